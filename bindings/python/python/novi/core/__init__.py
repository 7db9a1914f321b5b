"""Activations written in Python: the base class, registration, and discovery.

An activation class is built once per loaded snapshot for each stored activation whose
``class_name`` is ``module.ClassName`` of the class: ``cls(config)`` with the stored config
text, then ``instance.evaluate(context)`` decides at each check (``bool()`` of its answer).
Classes are found in two ways, as in Python Novi:

- ``@register`` on the class;
- discovery: every ``BaseActivation`` subclass defined in the modules of a package named
  ``novi_activations`` on ``sys.path`` (subpackages included), imported when the process's
  engine is first created. Modules there may import ``novi.core`` freely.

Built-in activation names (``novi._novi.builtin_classes()``) are served by the engine's Rust
activations and win over a Python class registered under the same name.
"""

import abc
import importlib
import importlib.util
import inspect
import logging
import pkgutil
import threading

from novi import _novi

__all__ = [
    "BaseActivation",
    "discover_activations",
    "discovered_activations",
    "register",
    "registry",
]

_log = logging.getLogger(__name__)

#: The activation classes engines build from, by ``module.ClassName`` (shared with the engine).
registry = _novi.activation_classes()
#: Python Novi's name for it.
discovered_activations = registry

_lock = threading.Lock()
# Bumped by each registration, so that an engine built before it can be rebuilt.
_registrations = 0
_discovered = set()


class BaseActivation(abc.ABC):
    """The base of activations written in Python.

    ``config`` is the stored config text; ``evaluate`` gets the caller's context as a dict
    (empty when the caller gave none) and returns whether the activation says yes.
    """

    def __init__(self, cfg=None):
        self.config = cfg

    @abc.abstractmethod
    def evaluate(self, context=None):
        """Whether this activation says yes for ``context``."""


def _name_of(cls):
    return f"{cls.__module__}.{cls.__name__}"


def register(cls):
    """Registers an activation class under ``module.ClassName``; returns the class."""
    global _registrations
    if not inspect.isclass(cls):
        raise TypeError(f"register expects a class, not {type(cls).__name__}")
    name = _name_of(cls)
    if name in _novi.builtin_classes():
        _log.warning("%s is a built-in activation name: the built-in activation is used", name)
    with _lock:
        registry[name] = cls
        _registrations += 1
    _log.debug("registered activation class %s", name)
    return cls


def _generation():
    """How many registrations there have been (engines compare it with what they built)."""
    return _registrations


def discover_activations(package="novi_activations"):
    """Imports every module of ``package`` (if it is installed) and registers the
    ``BaseActivation`` subclasses defined there that are not yet registered. Done once per
    package and process; returns the names registered by this call.

    A module that fails to import is logged and skipped: its classes stay unknown, so the
    flags that use them are off.
    """
    with _lock:
        if package in _discovered:
            return []
        _discovered.add(package)
    try:
        if importlib.util.find_spec(package) is None:
            return []
        root = importlib.import_module(package)
    except Exception:
        _log.exception("cannot import the activations package %s", package)
        return []
    modules = [root]
    for info in pkgutil.walk_packages(
        getattr(root, "__path__", []), prefix=package + ".", onerror=_walk_failed
    ):
        try:
            modules.append(importlib.import_module(info.name))
        except Exception:
            _log.exception("cannot import activation module %s", info.name)
    found = []
    for module in modules:
        for value in list(vars(module).values()):
            if (
                inspect.isclass(value)
                and issubclass(value, BaseActivation)
                and value is not BaseActivation
                and not inspect.isabstract(value)
                and _name_of(value) not in registry
            ):
                register(value)
                found.append(_name_of(value))
    _log.debug("discovered activation classes: %s", found)
    return found


def _walk_failed(name):
    _log.error("cannot import activation package %s", name, exc_info=True)
