"""Server-side sessions: a signed cookie names an entry in a store.

``SESSION_STORE`` picks the store (``memory``, ``db`` or ``redis``); every
store honours the same contract, described in :mod:`pyjang.sessions.stores`.
"""

from pyjang.sessions.manager import SessionManager
from pyjang.sessions.middleware import SessionMiddleware, current_session
from pyjang.sessions.session import Session
from pyjang.sessions.signing import Signer, key_fingerprint

__all__ = [
    "Session",
    "SessionManager",
    "SessionMiddleware",
    "Signer",
    "current_session",
    "key_fingerprint",
]
