"""A bounded, steady stream of GETs through a balancer, and a way to log in.

Several threads each keep one HTTP client (with kept-alive connections) and
send, in turn, an anonymous ``GET /`` and a logged-in ``GET /dashboard``,
pausing between requests. A request fails when it gets no answer or any
status but 200 — a logged-in request sent to the login page (302) counts as
failed, as the session was lost. The stream stops by itself after
``max_requests`` or ``max_seconds``, whichever comes first.

Like a browser, a client retries a GET once, on a new connection, when the
kept-alive connection it was sent on is closed before any byte of an answer
(RFC 9112, section 9.3.1). nginx does that on every reload: its old workers
close their idle client connections, and a request already on its way is
lost. Such retries are counted apart (``retried``); a retry that fails too
is a failure.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from types import TracebackType

import httpx2

from tests.conftest import STRONG_PASSWORD

__all__ = ["Load", "LoadResult", "register"]

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# The connection broke before any answer: what a closed keep-alive looks like.
_CLOSED_UNANSWERED = (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError)


def _cookies(response: httpx2.Response) -> dict[str, str]:
    found = {}
    for header in response.headers.get_list("set-cookie"):
        for name, morsel in SimpleCookie(header).items():
            found[name] = morsel.value
    return found


def register(base: str, email: str) -> str:
    """Register ``email`` through ``base``; return the new session cookie.

    Cookies are carried by hand: they are ``Secure`` and this is plain HTTP.
    """
    with httpx2.Client(timeout=10, follow_redirects=False) as client:
        page = client.get(f"{base}/register")
        assert page.status_code == 200, page.text[:300]
        cookies = _cookies(page)
        match = _TOKEN.search(page.text)
        assert match is not None
        form = {
            "email": email,
            "password": STRONG_PASSWORD,
            "password_confirm": STRONG_PASSWORD,
            "csrf_token": match.group(1),
        }
        header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        done = client.post(f"{base}/register", data=form, headers={"Cookie": header})
        assert done.status_code == 303, done.text[:300]
        return _cookies(done)["session_id"]


@dataclass
class LoadResult:
    """What the stream saw: counts by outcome and the first failures."""

    sent: int = 0
    ok: int = 0
    retried: int = 0
    failures: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    stopped_by_limit: bool = False

    @property
    def failed(self) -> int:
        return self.sent - self.ok


class Load:
    """Run the stream while the ``with`` block runs (bounded in count and time)."""

    def __init__(
        self,
        base: str,
        session: str,
        *,
        workers: int = 3,
        pause: float = 0.05,
        max_requests: int = 3000,
        max_seconds: float = 150.0,
    ) -> None:
        self.base = base
        self.session = session
        self.pause = pause
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.result = LoadResult()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._work, args=(n,), daemon=True)
            for n in range(workers)
        ]

    def __enter__(self) -> Load:
        self._deadline = time.monotonic() + self.max_seconds
        for thread in self._threads:
            thread.start()
        self.wait_for(10)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        """Block until at least ``count`` more requests have been answered."""
        target = self.result.sent + count
        deadline = time.monotonic() + timeout
        while self.result.sent < target and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.result.sent >= target, "the load did not get going"

    def _take(self) -> bool:
        with self._lock:
            if self._stop.is_set():
                return False
            if (
                self.result.sent >= self.max_requests
                or time.monotonic() >= self._deadline
            ):
                self.result.stopped_by_limit = True
                return False
            self.result.sent += 1
            return True

    def _work(self, number: int) -> None:
        logged_in = {"Cookie": f"session_id={self.session}"}
        with httpx2.Client(timeout=10, follow_redirects=False) as client:
            turn = number
            while self._take():
                turn += 1
                path, headers = ("/dashboard", logged_in) if turn % 2 else ("/", {})
                self._record(path, self._send(client, path, headers))
                time.sleep(self.pause)

    def _send(self, client: httpx2.Client, path: str, headers: dict[str, str]) -> str:
        for attempt in (1, 2):
            try:
                response = client.get(f"{self.base}{path}", headers=headers)
            except _CLOSED_UNANSWERED as error:
                if attempt == 2:
                    return type(error).__name__
                with self._lock:
                    self.result.retried += 1
            except httpx2.HTTPError as error:
                return type(error).__name__
            else:
                return str(response.status_code)
        raise AssertionError("unreachable")

    def _record(self, path: str, outcome: str) -> None:
        with self._lock:
            self.result.outcomes[f"{path} {outcome}"] += 1
            if outcome == "200":
                self.result.ok += 1
            elif len(self.result.failures) < 20:
                self.result.failures.append(f"GET {path} -> {outcome}")
