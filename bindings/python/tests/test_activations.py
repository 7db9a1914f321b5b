"""Activations written in Python: registered with `@register` or discovered in a
`novi_activations` package, built from stored rows, deciding flags, and failing closed."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

import novi
from novi.client import flag
from novi.core import BaseActivation, register

from conftest import add_flag, sqlalchemy_url

CLASS = f"{__name__}.{{}}"
SEEN = []


@register
class CountryActivation(BaseActivation):
    """On when the context's country is in the config (a comma-separated list)."""

    def __init__(self, cfg=None):
        super().__init__(cfg)
        self.countries = set(cfg.split(","))

    def evaluate(self, context=None):
        return context.get("country") in self.countries


@register
class Recorder(BaseActivation):
    """Records what it was given; on when the context says `on` (any truthy value)."""

    def evaluate(self, context=None):
        SEEN.append((self.config, context))
        return context.get("on")


@register
class Raises(BaseActivation):
    def evaluate(self, context=None):
        raise ValueError("no country given")


@register
class RaisesInConstructor(BaseActivation):
    def __init__(self, cfg=None):
        raise KeyError("threshold")

    def evaluate(self, context=None):
        return True


@register
class NoEvaluate:
    def __init__(self, cfg=None):
        pass


@register
class Interrupted(BaseActivation):
    def evaluate(self, context=None):
        raise KeyboardInterrupt


def test_a_registered_class_decides_its_flag(db, engine):
    add_flag(db, 10, "Nordics", CLASS.format("CountryActivation"), "NO,SE,DK")
    engine.refresh()
    assert engine.is_enabled("Nordics", {"country": "NO"})
    assert not engine.is_enabled("Nordics", {"country": "FR"})
    assert engine.evaluate("Nordics", {"country": "SE"}) == {
        "enabled": True,
        "reason": {"code": "all_matched", "message": "every activation matched"},
        "variant": None,
    }


def test_the_class_gets_the_raw_config_and_the_context_as_a_dict(db, engine):
    add_flag(db, 11, "Recorded", CLASS.format("Recorder"), '{"not": "parsed"}')
    engine.refresh()
    SEEN.clear()
    context = {
        "on": 1,
        "seed": 2**70,
        "negative": -(2**80),
        "i64": -(2**63),
        "u64": 2**64 - 1,
        "ratio": 0.1,
        "inf": float("inf"),
        "nested": {"list": [1, "a", None, True], "tuple": (1, 2)},
    }
    assert engine.is_enabled("Recorded", context)
    config, seen = SEEN[-1]
    assert config == '{"not": "parsed"}'
    assert seen == {**context, "nested": {"list": [1, "a", None, True], "tuple": [1, 2]}}
    assert type(seen["seed"]) is int and type(seen["ratio"]) is float
    # Each evaluation gets a dict of its own: an activation cannot change the caller's.
    assert seen is not context
    assert not engine.is_enabled("Recorded", {"on": 0})
    # No context: an empty dict (Python Novi passed None).
    assert not engine.is_enabled("Recorded")
    assert SEEN[-1][1] == {}


def test_truthiness_is_pythons_bool(db, engine):
    add_flag(db, 12, "Truthy", CLASS.format("Recorder"))
    engine.refresh()
    for value, expected in [("yes", True), ("", False), ([0], True), ([], False), (None, False)]:
        assert engine.is_enabled("Truthy", {"on": value}) is expected, value


def test_an_activation_that_raises_makes_its_flag_false(db, engine):
    add_flag(db, 13, "Raising", CLASS.format("Raises"))
    engine.refresh()
    assert engine.is_enabled("Raising", {"country": "NO"}) is False
    answer = engine.evaluate("Raising")
    assert answer["enabled"] is False
    assert answer["reason"]["code"] == "evaluation_error"
    assert "Raises.evaluate raised ValueError: no country given" in answer["reason"]["message"]
    # The other flags are unaffected.
    assert engine.is_enabled("Date Activated Feature", {"currentDateTime": "11/26/2023 12:00 AM"})


def test_a_class_that_cannot_be_built_makes_its_flags_false(db, engine):
    add_flag(db, 14, "Unbuildable", CLASS.format("RaisesInConstructor"))
    add_flag(db, 15, "No evaluate", CLASS.format("NoEvaluate"))
    add_flag(db, 16, "Unknown", CLASS.format("NeverRegistered"))
    engine.refresh()
    for name, expected in [
        ("Unbuildable", "RaisesInConstructor config: its constructor raised KeyError: 'threshold'"),
        ("No evaluate", "NoEvaluate config: its instances have no evaluate method"),
        ("Unknown", "unknown activation class"),
    ]:
        assert engine.is_enabled(name) is False
        answer = engine.evaluate(name)
        assert answer["reason"]["code"] == "activation_error", name
        assert expected in answer["reason"]["message"], answer


def test_keyboard_interrupt_is_not_swallowed(db, engine):
    add_flag(db, 17, "Interrupted", CLASS.format("Interrupted"))
    engine.refresh()
    with pytest.raises(KeyboardInterrupt):
        engine.is_enabled("Interrupted")
    # Raised once, by the call during which it happened: later calls are unaffected.
    assert engine.is_enabled("Date Activated Feature", {"currentDateTime": "11/26/2023 12:00 AM"})


def test_a_class_registered_after_the_engine_loaded_is_used(module_db):
    add_flag(module_db, 18, "Late", CLASS.format("LateActivation"))
    assert flag.is_enabled("Late") is False
    assert flag.evaluate("Late")["reason"]["code"] == "activation_error"

    @register
    class LateActivation(BaseActivation):
        def evaluate(self, context=None):
            return True

    # The module-level API rebuilds its engine's activations after a registration.
    assert flag.is_enabled("Late") is True


def test_an_engine_can_be_given_its_own_classes(db):
    class Always(BaseActivation):
        def evaluate(self, context=None):
            return True

    add_flag(db, 19, "Own", "custom.Always")
    classes = {}
    with novi.Engine(sqlalchemy_url(db), classes=classes) as engine:
        assert engine.classes is classes
        assert not engine.is_enabled("Own")
        classes["custom.Always"] = Always
        engine.rebuild()
        assert engine.is_enabled("Own")


def test_a_builtin_name_wins_over_a_python_class(db):
    name = "novi.client.activations.date_time_activation.DateTimeActivation"
    assert name in novi._novi.builtin_classes()

    class Never(BaseActivation):
        def evaluate(self, context=None):
            return False

    with novi.Engine(sqlalchemy_url(db), classes={name: Never}) as engine:
        assert engine.is_enabled(
            "Date Activated Feature", {"currentDateTime": "11/26/2023 12:00 AM"}
        )


# Discovery runs once per process and imports from sys.path: each case gets a fresh
# interpreter.
DISCOVERY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from novi.client import flag
    from novi.core import registry

    checks = {
        name: flag.evaluate(name, {"country": "NO", "weekday": "sat"})
        for name in ["Weekend", "Registered inside", "Not an activation", "Abstract"]
    }
    print(json.dumps({"checks": checks, "registry": sorted(registry)}))
    """
)

PACKAGE = {
    # A namespace package, as Python Novi shipped `novi_activations` (no __init__.py).
    "novi_activations/calendar.py": '''
        from novi.core import BaseActivation

        class WeekendActivation(BaseActivation):
            """Found by discovery: a BaseActivation subclass, not registered."""

            def evaluate(self, context=None):
                return context.get("weekday") in self.config.split(",")
    ''',
    "novi_activations/acme/__init__.py": "",
    "novi_activations/acme/geo.py": '''
        import abc

        # Importing novi.core inside novi_activations works (Python Novi's import cycle).
        from novi.core import BaseActivation, register

        @register
        class Countries(BaseActivation):
            def evaluate(self, context=None):
                return context.get("country") == self.config

        class Helper:
            """Not an activation: ignored."""

            def evaluate(self, context=None):
                return True

        class Base(BaseActivation):
            """Abstract: ignored."""

            @abc.abstractmethod
            def evaluate(self, context=None):
                ...
    ''',
}


def test_activations_of_a_novi_activations_package_are_discovered(db, tmp_path):
    site = tmp_path / "site"
    for relative, source in PACKAGE.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    add_flag(db, 20, "Weekend", "novi_activations.calendar.WeekendActivation", "sat,sun")
    add_flag(db, 21, "Registered inside", "novi_activations.acme.geo.Countries", "NO")
    add_flag(db, 22, "Not an activation", "novi_activations.acme.geo.Helper")
    add_flag(db, 23, "Abstract", "novi_activations.acme.geo.Base")
    env = dict(os.environ)
    env["NOVI_DATABASE_URL"] = f"sqlite://{db}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    run = subprocess.run(
        [sys.executable, "-c", DISCOVERY_SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    checks = result["checks"]
    assert checks["Weekend"]["enabled"] is True, checks
    assert checks["Registered inside"]["enabled"] is True, checks
    for name in ["Not an activation", "Abstract"]:
        assert checks[name]["reason"]["code"] == "activation_error", checks
    assert result["registry"] == [
        "novi_activations.acme.geo.Countries",
        "novi_activations.calendar.WeekendActivation",
    ]
