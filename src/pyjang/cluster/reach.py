"""Checks through the balancer, with a real login, and the failover drill.

Through the balancer, ``/ready`` is asked until every instance has answered
at least once (its ``instance`` field says which did), and
``/ready/session`` must stay hidden: a balancer that forwards no
``X-Forwarded-For`` makes every request look local to the instances. The
failover drill kills one instance of a cluster ``pyjang cluster up``
started, keeps asking the balancer, then starts the instance again.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections import Counter
from collections.abc import Sequence
from urllib.parse import urlencode, urlsplit

from pyjang.cluster.balancer import open_balancer
from pyjang.cluster.checks import COOKIE, Observed, Result, fail, passed
from pyjang.cluster.instances import kill_instance
from pyjang.cluster.keys import load_keys
from pyjang.cluster.lifecycle import instance_config
from pyjang.cluster.rolling import replace_instance
from pyjang.cluster.state import ClusterPaths, ClusterState, InstanceRecord, locked
from pyjang.cluster.web import Reply, Unreachable, fetch
from pyjang.errors import CommandError

__all__ = ["check_balancer", "check_login", "failover"]

TRIES_PER_INSTANCE = 10
FAILOVER_REQUESTS = 20
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def _instance_of(reply: Reply) -> str | None:
    try:
        body = reply.json()
    except ValueError:
        return None
    name = body.get("instance") if isinstance(body, dict) else None
    return name if isinstance(name, str) else None


def check_balancer(lb: str, observed: Sequence[Observed]) -> list[Result]:
    """Check that ``lb`` answers, reaches every ready instance and hides probes."""
    try:
        fetch(f"{lb}/health")
    except Unreachable as error:
        detail = f"the balancer at {lb} does not answer ({error}): start it"
        return [fail("balancer", lb, detail, "balancer-down")]
    expected = {seen.name: seen.url for seen in observed if seen.ready == 200}
    seen: Counter[str] = Counter()
    limit, sent = max(20, TRIES_PER_INSTANCE * len(expected)), 0
    while sent < limit:
        sent += 1
        try:
            name = _instance_of(fetch(f"{lb}/ready"))
        except Unreachable:
            name = None
        if name:
            seen[name] += 1
        if expected and set(expected) <= set(seen):
            break
    return [*_distribution(lb, expected, seen, sent), _hidden(lb)]


def _distribution(
    lb: str, expected: dict[str, str], seen: Counter[str], sent: int
) -> list[Result]:
    if not seen:
        detail = (
            f"the balancer at {lb} passed none of {sent} requests for /ready to a "
            "ready instance: check its server list and health checks"
        )
        return [fail("balancer", lb, detail, "balancer-down")]
    missing = [name for name in expected if name not in seen]
    results = [
        fail(
            "balancer",
            expected[name],
            f"the balancer at {lb} sent none of {sent} requests to instance "
            f"{expected[name]} ({name}): list it among the balancer's servers and "
            "check that its health checks pass",
            "balancer-misses-an-instance",
        )
        for name in missing
    ]
    if not missing:
        extra = sorted(set(seen) - set(expected))
        also = f"; it also reaches {', '.join(extra)}" if extra else ""
        detail = f"reaches all {len(expected)} instance(s) in {sent} requests{also}"
        results.append(passed("balancer", lb, detail))
    return results


def _hidden(lb: str) -> Result:
    try:
        status = fetch(f"{lb}/ready/session").status
    except Unreachable as error:
        return fail("forwarding", lb, f"{lb}: {error}", "balancer-down")
    if status == 404:
        return passed("forwarding", lb, "keeps /ready/session from the world")
    return fail(
        "forwarding",
        lb,
        f"the balancer at {lb} lets anyone reach /ready/session ({status}): it must "
        "send X-Forwarded-For, or instances take its requests for local ones",
        "probe-reachable-through-the-balancer",
    )


def _log_in(url: str, email: str, password: str) -> str | Result:
    try:
        page = fetch(f"{url}/login")
        csrf, match = page.cookie("csrftoken"), _CSRF_FIELD.search(page.body.decode())
        if page.status != 200 or csrf is None or match is None:
            detail = f"{url}/login answered {page.status} without a login form"
            return fail("login", url, detail, "login-failed")
        form = {"email": email, "password": password, "csrf_token": match.group(1)}
        reply = fetch(
            f"{url}/login",
            method="POST",
            body=urlencode(form).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf}",
            },
        )
    except Unreachable as error:
        return fail("login", url, f"{url}: {error}", "instance-down")
    session = reply.cookie(COOKIE)
    if reply.status != 303 or not session:
        detail = f"cannot log in on {url} as {email} ({reply.status}): check both"
        return fail("login", url, detail, "login-failed")
    return session


def check_login(
    observed: Sequence[Observed], email: str, password: str
) -> list[Result]:
    """Log in on one ready instance and load ``/dashboard`` on every other."""
    ready = [seen for seen in observed if seen.ready == 200]
    if not ready:
        return []
    origin = ready[0].url
    session = _log_in(origin, email, password)
    if isinstance(session, Result):
        return [session]
    results = [passed("login", origin, f"logged in as {email}")]
    for seen in ready[1:]:
        results.append(_dashboard(origin, seen.url, session))
    return results


def _dashboard(origin: str, url: str, session: str) -> Result:
    try:
        reply = fetch(f"{url}/dashboard", headers={"Cookie": f"{COOKIE}={session}"})
    except Unreachable as error:
        return fail("login", url, f"{url}: {error}", "instance-down")
    if reply.status == 200:
        return passed("login", url, f"shows the dashboard of a login made on {origin}")
    return fail(
        "login",
        url,
        f"a login made on {origin} is unknown on {url} ({reply.status}): give every "
        "instance the same SESSION_KEY and session store",
        "different-session-stores",
    )


def _pick(state: ClusterState, urls: Sequence[str]) -> InstanceRecord:
    ports = {urlsplit(url).port for url in urls}
    for record in state.instances:
        if record.port in ports:
            return record
    return state.instances[0]


def failover(paths: ClusterPaths, lb: str, urls: Sequence[str]) -> Result:
    """Kill one instance, ask ``lb`` all the while, then start the instance again."""
    with locked(paths):
        state = ClusterState.load(paths)
        config = instance_config(state, load_keys(paths, state))
        balancer = open_balancer(paths, state.balancer, state.size)
        record = _pick(state, urls)
        kill_instance(record)
        answered = 0
        for _ in range(FAILOVER_REQUESTS):
            with contextlib.suppress(Unreachable):
                answered += fetch(f"{lb}/ready").status == 200
            time.sleep(0.05)
        try:
            replace_instance(paths, state, balancer, config, record)
        except CommandError as error:
            detail = f"{record.name} did not come back after the drill: {error}"
            return fail("failover", record.url, detail, "failover-failed")
    if answered < FAILOVER_REQUESTS:
        alone = "; a one-instance cluster has nothing to fail over to"
        detail = (
            f"the balancer at {lb} failed {FAILOVER_REQUESTS - answered} of "
            f"{FAILOVER_REQUESTS} requests while {record.name} was down"
            f"{alone if len(state.instances) == 1 else ''}"
        )
        return fail("failover", lb, detail, "failover-failed")
    return passed(
        "failover",
        lb,
        f"answered {answered} of {FAILOVER_REQUESTS} requests while {record.name} "
        f"was killed; {record.name} is back in rotation",
    )
