"""pyjang: a batteries-included, HTMX-first web framework whose apps scale out.

The public surface is what ``__all__`` lists; everything else may change.
"""

from pyjang.app import create_app
from pyjang.auth import admin_required, login, login_required, logout, staff_required
from pyjang.database import Base, Database
from pyjang.errors import ConfigError, PyjangError, StoreError
from pyjang.models import User
from pyjang.runtime import runtime
from pyjang.sessions import Session
from pyjang.settings import Settings, load_settings
from pyjang.templating import flash, is_htmx

__all__ = [
    "Base",
    "ConfigError",
    "Database",
    "PyjangError",
    "Session",
    "Settings",
    "StoreError",
    "User",
    "admin_required",
    "create_app",
    "flash",
    "is_htmx",
    "load_settings",
    "login",
    "login_required",
    "logout",
    "runtime",
    "staff_required",
]
