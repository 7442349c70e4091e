"""Check a distributed setup from outside: what ``pyjang check`` reports.

Each instance must be live (``/health``) and ready (``/ready``); all must
show the same ``key_id``; a session created on one must be known on every
other (``/ready/session``, or a real login with an account). Each failed
check says what to change and names the section of the deployment guide
that explains it. Checks through a balancer live in
:mod:`pyjang.cluster.reach`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from pyjang.cluster.web import Reply, Unreachable, fetch

__all__ = [
    "ANCHORS",
    "GUIDE",
    "Observed",
    "Result",
    "check_instances",
    "check_sessions",
    "fail",
    "observe",
    "passed",
]

GUIDE = "docs/deployment.md"
COOKIE = "session_id"
# The sections of the guide that failed checks point at.
ANCHORS = frozenset(
    {
        "instance-down",
        "instance-not-ready",
        "different-session-keys",
        "different-session-stores",
        "session-probe-refused",
        "login-failed",
        "balancer-down",
        "balancer-misses-an-instance",
        "probe-reachable-through-the-balancer",
        "failover-failed",
    }
)


@dataclass(frozen=True)
class Result:
    """One line of the report; a failed one carries the fix and its guide section."""

    check: str
    target: str
    ok: bool
    detail: str
    anchor: str | None = None

    @property
    def guide(self) -> str | None:
        """Return ``docs/deployment.md#section`` for a failure, else None."""
        return f"{GUIDE}#{self.anchor}" if self.anchor else None

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {**asdict(self), "guide": self.guide}


def passed(check: str, target: str, detail: str) -> Result:
    """Return a passed result."""
    return Result(check, target, True, detail)


def fail(check: str, target: str, detail: str, anchor: str) -> Result:
    """Return a failed result whose ``detail`` says what to change.

    Raises ValueError for an ``anchor`` not in :data:`ANCHORS`.
    """
    if anchor not in ANCHORS:
        raise ValueError(f"the guide has no section {anchor!r}")
    return Result(check, target, False, f"{detail} (see {GUIDE}#{anchor})", anchor)


@dataclass
class Observed:
    """What one instance answered to ``/health`` and ``/ready``."""

    url: str
    health: int | None = None
    error: str | None = None
    ready: int | None = None
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        """Return True when ``/health`` answered 200."""
        return self.health == 200

    @property
    def name(self) -> str:
        """Return the ``instance`` ``/ready`` named, or the URL."""
        return str(self.report.get("instance") or self.url)

    @property
    def key_id(self) -> str | None:
        """Return the ``key_id`` ``/ready`` showed, if any."""
        value = self.report.get("key_id")
        return value if isinstance(value, str) else None


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def observe(url: str, token: str | None = None) -> Observed:
    """Ask ``url`` for ``/health`` and ``/ready``; never raises for the network."""
    seen = Observed(url)
    try:
        seen.health = fetch(f"{url}/health").status
        reply = fetch(f"{url}/ready", headers=_auth(token))
    except Unreachable as error:
        seen.error = str(error)
        return seen
    seen.ready = reply.status
    try:
        body = reply.json()
    except ValueError:
        body = None
    seen.report = body if isinstance(body, dict) else {}
    return seen


def _liveness(seen: Observed) -> Result:
    if seen.live:
        return passed("live", seen.url, "answers /health")
    why = seen.error or f"it answered /health with {seen.health}"
    return fail(
        "live",
        seen.url,
        f"instance {seen.url} is down ({why}): start it, or fix its HOST and PORT",
        "instance-down",
    )


def _readiness(seen: Observed) -> Result:
    if seen.ready == 200:
        return passed("ready", seen.url, f"ready as instance {seen.name}")
    status = seen.report.get("status", f"HTTP {seen.ready}")
    if status == "draining":
        why = "it is draining: it got SIGTERM and is shutting down"
    else:
        failed = seen.report.get("failed") or []
        checks = seen.report.get("checks") or {}
        names = ", ".join(f"{n} {checks.get(n, 'failed')}" for n in failed)
        why = f"{status}: {names}" if names else str(status)
    return fail(
        "ready",
        seen.url,
        f"instance {seen.url} is not ready ({why}); read its log",
        "instance-not-ready",
    )


def _short(key_id: str) -> str:
    return f"{key_id[:4]}…"


def _keys(observed: Sequence[Observed]) -> list[Result]:
    ids = [(seen, seen.key_id) for seen in observed if seen.key_id]
    if not ids:
        return []
    majority = Counter(key for _, key in ids).most_common(1)[0][0]
    results = [
        fail(
            "key_id",
            seen.url,
            f"instance {seen.url} has a different SESSION_KEY (key_id "
            f"{_short(key)} vs {_short(majority)}): give every instance the same "
            "SESSION_KEY",
            "different-session-keys",
        )
        for seen, key in ids
        if key != majority
    ]
    if not results:
        detail = f"{len(ids)} instance(s) share one SESSION_KEY (key_id {majority})"
        results.append(passed("key_id", "all", detail))
    return results


def check_instances(
    urls: Sequence[str], token: str | None = None
) -> tuple[list[Observed], list[Result]]:
    """Observe every instance; return the observations and their results."""
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(urls)))) as pool:
        observed = list(pool.map(lambda url: observe(url, token), urls))
    results = [_liveness(seen) for seen in observed]
    results += [_readiness(seen) for seen in observed if seen.live]
    return observed, results + _keys([s for s in observed if s.live])


def _reference(observed: Sequence[Observed]) -> Observed | None:
    keyed = [seen for seen in observed if seen.live and seen.key_id]
    if not keyed:
        return None
    majority = Counter(seen.key_id for seen in keyed).most_common(1)[0][0]
    return next(seen for seen in keyed if seen.key_id == majority)


def _probe(url: str, token: str | None, cookie: str | None = None) -> Reply:
    headers = _auth(token)
    if cookie is not None:
        headers["Cookie"] = f"{COOKIE}={cookie}"
    return fetch(f"{url}/ready/session", headers=headers)


def _refused(url: str, reply: Reply) -> Result:
    return fail(
        "sessions",
        url,
        f"instance {url} refused /ready/session ({reply.status}): run check on a "
        "host it trusts, without a proxy in between, or pass --token METRICS_TOKEN",
        "session-probe-refused",
    )


def check_sessions(
    observed: Sequence[Observed], token: str | None = None
) -> list[Result]:
    """Create a session on one instance and look it up on every other."""
    origin = _reference(observed)
    others = [s for s in observed if s.live and origin and s.url != origin.url]
    if origin is None or not others:
        return []
    try:
        created = _probe(origin.url, token)
    except Unreachable as error:
        return [fail("sessions", origin.url, f"{origin.url}: {error}", "instance-down")]
    cookie, body = created.cookie(COOKIE), _json(created)
    if created.status != 200 or cookie is None or not body.get("probe"):
        return [_refused(origin.url, created)]
    return [_look_up(origin.url, seen.url, cookie, body, token) for seen in others]


def _json(reply: Reply) -> dict[str, Any]:
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


_STORES = {
    "redis": "uses a different Redis",
    "db": "uses a different database for sessions",
    "memory": "keeps sessions in its own memory (SESSION_STORE=memory)",
}


def _look_up(
    origin: str, url: str, cookie: str, created: dict[str, Any], token: str | None
) -> Result:
    try:
        reply = _probe(url, token, cookie)
    except Unreachable as error:
        return fail("sessions", url, f"{url}: {error}", "instance-down")
    body = _json(reply)
    if reply.status == 503:
        return fail(
            "sessions",
            url,
            f"instance {url} cannot reach its session store: check REDIS_URL",
            "instance-not-ready",
        )
    if reply.status != 200:
        return _refused(url, reply)
    if body.get("probe") == created["probe"]:
        return passed("sessions", url, f"accepts a session created on {origin}")
    if body.get("cookie") == "invalid":
        return fail(
            "sessions",
            url,
            f"instance {url} rejects a session created on {origin}: its "
            "SESSION_KEY differs; give every instance the same SESSION_KEY",
            "different-session-keys",
        )
    store = str(body.get("store") or created.get("store") or "redis")
    return fail(
        "sessions",
        url,
        f"instance {url} {_STORES.get(store, 'uses a different session store')}: "
        f"a session created on {origin} is unknown on {url}; point every instance "
        "at the same REDIS_URL (or DATABASE_URL with SESSION_STORE=db)",
        "different-session-stores",
    )
