"""Novi: feature flags and multivariate tests, evaluated by Novi's Rust engine.

The module-level functions read the flags of the database that ``novi.ini`` (or
``$NOVI_DATABASE_URL``) names, through one engine per process created on first use::

    import novi

    if novi.is_enabled("New checkout", {"userId": "u-17"}):
        ...

``novi.client.flag`` is the same API under Python Novi's name; ``novi.Engine`` is an engine
over a database of your choice; ``novi.core`` is where activations written in Python are
registered.
"""

import atexit
import os

from novi import _novi
from novi._novi import (
    ConfigError,
    DatabaseError,
    Engine,
    FlagNotFound,
    NoviError,
    __version__,
)
from novi.client.flag import enabled, evaluate, evaluate_all, is_enabled

# Every engine's background threads are stopped before the interpreter shuts down, not during.
atexit.register(_novi._close_all)

# Engines stop before os.fork() (their threads could leave SQLite's locks held in the child)
# and connect again on their next call, in the parent and in the child.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_novi._before_fork,
        after_in_parent=_novi._after_fork_in_parent,
        after_in_child=_novi._after_fork_in_child,
    )

__all__ = [
    "ConfigError",
    "DatabaseError",
    "Engine",
    "FlagNotFound",
    "NoviError",
    "__version__",
    "enabled",
    "evaluate",
    "evaluate_all",
    "is_enabled",
]
