"""Flag checks for the whole process, as Python Novi's ``novi.client.flag`` offered them.

The functions share one engine per process. It is created on first use (importing Novi does
not touch the database): the activations of a ``novi_activations`` package are discovered,
then the engine connects to ``$NOVI_DATABASE_URL`` or else the ``[database] url`` of
``novi.ini`` in the working directory (default ``sqlite:///novi.db``), migrates it, and loads
the flags; a background thread keeps them current. With ``$NOVI_REMOTE_URL`` (or ``[remote]
url`` in ``novi.ini``) it reads a ``novi-web`` server instead, with the client token of
``$NOVI_CLIENT_TOKEN`` (or ``[remote] token``), and follows its changes.

The engine belongs to the process that created it. After ``os.fork()`` (``multiprocessing``,
gunicorn's ``--preload``) the child's first call creates an engine of its own (``novi``'s fork
hooks have stopped the parent's before the fork; see ``novi.Engine``).
"""

import atexit
import configparser
import functools
import logging
import os
import threading

from novi import _novi, core

__all__ = ["close", "enabled", "engine", "evaluate", "evaluate_all", "is_enabled"]

_log = logging.getLogger(__name__)

# Guards creating and replacing the engine. Replaced in a forked child, where a thread that
# no longer exists may have held it.
_lock = threading.RLock()
_engine = None
# The process that created `_engine`, and the registry generation it was built with.
_engine_pid = None
_engine_generation = None
_creating = False


def engine():
    """The process's engine, created on first use (and again after ``os.fork()``).

    Activation classes registered since it was created are built into it before it is
    returned.
    """
    current = _engine
    if current is not None and _engine_pid == os.getpid():
        if _engine_generation == core._generation():
            return current
    return _engine_for_this_process()


def _engine_for_this_process():
    global _engine, _engine_pid, _engine_generation, _creating
    with _lock:
        pid = os.getpid()
        if _engine is not None and _engine_pid == pid:
            generation = core._generation()
            if _engine_generation != generation:
                _engine.rebuild()
                _engine_generation = generation
            return _engine
        if _creating:
            raise RuntimeError(
                "novi: a flag was checked while the engine was being created "
                "(from an activation's constructor?)"
            )
        # The parent's engine, after a fork: dropping it leaks its client on purpose.
        _engine = None
        _creating = True
        try:
            core.discover_activations()
            generation = core._generation()
            created = _configured_engine()
            _engine, _engine_pid, _engine_generation = created, pid, generation
            return created
        finally:
            _creating = False


def _configured_engine():
    """The engine the configuration names.

    A ``novi-web`` server when one is named (``$NOVI_REMOTE_URL``, else ``[remote] url`` of
    ``novi.ini``, with the client token from ``$NOVI_CLIENT_TOKEN`` or ``[remote] token``),
    unless ``$NOVI_DATABASE_URL`` names a database while only ``novi.ini`` names a server (the
    environment wins over the file); otherwise the database (see ``novi.Engine.from_config``).
    """
    remote_url = os.environ.get("NOVI_REMOTE_URL", "").strip()
    token = os.environ.get("NOVI_CLIENT_TOKEN", "").strip() or None
    backup_file = os.environ.get("NOVI_BACKUP_FILE", "").strip() or None
    if not remote_url and not os.environ.get("NOVI_DATABASE_URL", "").strip():
        ini = configparser.ConfigParser()
        try:
            ini.read("novi.ini")
        except configparser.Error as err:
            raise _novi.ConfigError(f"novi.ini: {err}") from err
        if ini.has_option("remote", "url"):
            remote_url = ini.get("remote", "url").strip()
            token = token or ini.get("remote", "token", fallback="").strip() or None
            backup_file = backup_file or ini.get("remote", "backup_file", fallback="").strip() or None
    if remote_url:
        _log.info("using the novi-web server %s", remote_url)
        return _novi.Engine.remote(remote_url, token, backup_file=backup_file)
    return _novi.Engine.from_config()


def _after_fork_in_child():
    global _lock, _creating
    _lock = threading.RLock()
    _creating = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def close():
    """Closes the process's engine (the next check creates a new one). Called at exit."""
    global _engine, _engine_pid, _engine_generation
    with _lock:
        current, pid = _engine, _engine_pid
        _engine = _engine_pid = _engine_generation = None
    if current is not None and pid == os.getpid():
        current.close()


# Stops the background thread before the interpreter shuts down, not during.
atexit.register(close)


def is_enabled(flag_name, context=None):
    """Whether the flag is on for ``context`` (a dict of facts, or None).

    An unknown flag is off (Python Novi raised ``AttributeError``).
    """
    return engine().is_enabled(flag_name, context)


def enabled(flag_name, context=None):
    """Decorates a function to run only while the flag is on for ``context``.

    The flag is checked at each call; while it is off the function is not called and the call
    returns None.
    """

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if is_enabled(flag_name, context):
                return func(*args, **kwargs)
            return None

        return wrapper

    return decorator


def evaluate(flag_name, context=None):
    """The flag's answer and why.

    ``{"enabled": bool, "reason": {"code": str, "message": str}, "variant": str | None}``;
    raises ``novi.FlagNotFound`` for an unknown flag.
    """
    return engine().evaluate(flag_name, context)


def evaluate_all(context=None):
    """Every flag's answer (as ``evaluate`` gives it), by flag name."""
    return engine().evaluate_all(context)
