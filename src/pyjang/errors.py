"""Every exception pyjang raises on purpose.

The tree::

    PyjangError
    ├── ConfigError          a setting is missing or invalid; stops the process
    ├── StoreError           a session or rate-limit store failed or timed out
    │   └── StoreTimeout     the store did not answer within SESSION_STORE_TIMEOUT
    ├── MigrationError       the schema could not be brought up to date
    ├── CommandError         a command-line action cannot proceed
    └── GeneratorError       a generator refused its input; nothing was written

Each message is one sentence that says what to change.
"""

from __future__ import annotations

__all__ = [
    "CommandError",
    "ConfigError",
    "GeneratorError",
    "MigrationError",
    "PyjangError",
    "StoreError",
    "StoreTimeout",
]


class PyjangError(Exception):
    """Base class of every error pyjang raises on purpose."""


class ConfigError(PyjangError):
    """A setting is missing or invalid; the message names the variable."""


class StoreError(PyjangError):
    """A store could not be reached or failed; the data in it is untouched."""


class StoreTimeout(StoreError):
    """A store did not answer in time."""


class MigrationError(PyjangError):
    """Pending migrations could not be applied."""


class CommandError(PyjangError):
    """A command-line action cannot proceed; shown as one line, exit status 1."""


class GeneratorError(PyjangError):
    """A generator refused its input, or could not finish; nothing was written."""
