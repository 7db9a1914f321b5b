"""The engine's answers on Python Novi's sample flags: `is_enabled`, `evaluate` and
`evaluate_all`, their shapes, errors, contexts, and reloads."""

import random
import time

import pytest

import novi
from novi.client import flag

from conftest import IN_WINDOW, OUT_OF_WINDOW, add_flag, execute, sqlalchemy_url

SAMPLE_FLAGS = ["Date Activated Feature", "Random Variant Feature", "Combo AND", "Combo OR"]


def check_shape(answer):
    assert set(answer) == {"enabled", "reason", "variant"}
    assert isinstance(answer["enabled"], bool)
    assert set(answer["reason"]) == {"code", "message"}
    assert isinstance(answer["reason"]["code"], str)
    assert isinstance(answer["reason"]["message"], str)
    assert answer["variant"] is None or isinstance(answer["variant"], str)


def test_is_enabled_on_the_sample_flags(engine):
    assert engine.is_enabled("Date Activated Feature", IN_WINDOW) is True
    assert engine.is_enabled("Date Activated Feature", OUT_OF_WINDOW) is False
    assert engine.is_enabled("Random Variant Feature", {"seed": 333, "variant": "A"}) is True
    assert engine.is_enabled("Random Variant Feature", {"seed": 333, "variant": "B"}) is False
    both = {**IN_WINDOW, "seed": 333, "variant": "A"}
    assert engine.is_enabled("Combo AND", both) is True
    assert engine.is_enabled("Combo AND", {**both, "variant": "C"}) is False
    assert engine.is_enabled("Combo OR", {**both, "variant": "C"}) is True


def test_an_unknown_flag_is_off(engine):
    # Python Novi raised AttributeError here.
    assert engine.is_enabled("No such flag") is False
    with pytest.raises(novi.FlagNotFound, match="flag `No such flag` does not exist"):
        engine.evaluate("No such flag")
    assert issubclass(novi.FlagNotFound, novi.NoviError)


def test_evaluate_gives_the_answer_and_why(engine):
    answer = engine.evaluate("Random Variant Feature", {"seed": 333, "variant": "A"})
    check_shape(answer)
    assert answer == {
        "enabled": True,
        "reason": {"code": "all_matched", "message": "every activation matched"},
        "variant": "A",
    }
    answer = engine.evaluate("Date Activated Feature", OUT_OF_WINDOW)
    check_shape(answer)
    assert answer == {
        "enabled": False,
        "reason": {"code": "not_matched", "message": "activation 1 did not match"},
        "variant": None,
    }


def test_a_disabled_flag_says_so(db, engine):
    execute(db, "UPDATE flags SET status = 0 WHERE name = 'Combo OR'")
    engine.refresh()
    answer = engine.evaluate("Combo OR", IN_WINDOW)
    assert answer["enabled"] is False
    assert answer["reason"] == {"code": "disabled", "message": "the flag's status is false"}


def test_evaluate_all_answers_every_flag_by_name_in_id_order(engine):
    answers = engine.evaluate_all({**IN_WINDOW, "seed": 333, "variant": "A"})
    assert list(answers) == SAMPLE_FLAGS
    for answer in answers.values():
        check_shape(answer)
    assert [answer["enabled"] for answer in answers.values()] == [True, True, True, True]
    assert answers["Random Variant Feature"]["variant"] == "A"
    assert engine.evaluate_all({"seed": 333, "variant": "A"}) == {
        name: engine.evaluate(name, {"seed": 333, "variant": "A"}) for name in SAMPLE_FLAGS
    }


def test_the_module_level_api(module_db):
    assert flag.is_enabled("Date Activated Feature", IN_WINDOW) is True
    assert novi.is_enabled("Date Activated Feature", OUT_OF_WINDOW) is False
    assert flag.evaluate("Combo OR", IN_WINDOW)["enabled"] is True
    assert list(novi.evaluate_all(IN_WINDOW)) == SAMPLE_FLAGS
    calls = []

    @flag.enabled("Date Activated Feature", IN_WINDOW)
    def on(x, y=0):
        calls.append((x, y))
        return x + y

    @novi.enabled("Date Activated Feature", OUT_OF_WINDOW)
    def off():
        calls.append("off")
        return "never"

    assert on.__name__ == "on"
    assert on(1, y=2) == 3
    assert off() is None
    assert calls == [(1, 2)]
    engine = flag.engine()
    assert engine is flag.engine()
    assert engine.url.endswith("novi.db")


def test_contexts_that_cannot_be_read_raise(engine):
    loop = []
    loop.append(loop)
    for context, error, message in [
        ({"tags": {"a", "b"}}, TypeError, "holds a set"),
        ({1: "one"}, TypeError, "context keys must be str"),
        ({"x": float("nan")}, ValueError, "holds NaN"),
        ({"x": [float("inf")]}, ValueError, "holds inf"),
        ({"loop": loop}, ValueError, "nests more than"),
        (["not", "a", "dict"], TypeError, "must be a dict or None"),
    ]:
        with pytest.raises(error, match=message):
            engine.is_enabled("Combo OR", context)


def test_big_integer_seeds_stay_exact(db, engine):
    # WeightedRandomActivation seeds Python's Mersenne Twister with the context's seed, as
    # Python Novi did (`random.seed(seed)`, then `random.choices`): a big integer must reach it
    # whole, not rounded to a float.
    add_flag(
        db,
        10,
        "Coin",
        "novi.client.activations.weighted_random_activation.WeightedRandomActivation",
        '{"splits": [50, 50], "variations": ["A", "B"]}',
    )
    engine.refresh()
    seeds = [333, 2**63, 2**64 + 1, -(2**64) - 3] + [2**70 + n for n in range(8)]

    def python_novi(seed):
        return random.Random(seed).choices(["A", "B"], weights=[50, 50])[0]

    # The test can tell an exact seed from a rounded one.
    assert any(python_novi(seed) != python_novi(float(seed)) for seed in seeds)
    for seed in seeds:
        expected = python_novi(seed)
        assert engine.is_enabled("Coin", {"seed": seed, "variant": expected}), seed
        assert engine.evaluate("Coin", {"seed": seed, "variant": expected})["variant"] == expected
        other = "B" if expected == "A" else "A"
        assert not engine.is_enabled("Coin", {"seed": seed, "variant": other}), seed


def test_refresh_and_the_background_thread_see_other_writers(db):
    with novi.Engine(sqlalchemy_url(db), refresh_interval=None, watch_changes=True) as engine:
        assert engine.is_enabled("Combo OR", IN_WINDOW)
        before = engine.revision
        execute(db, "UPDATE flags SET status = 0 WHERE name = 'Combo OR'")
        deadline = time.monotonic() + 10
        while engine.is_enabled("Combo OR", IN_WINDOW) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not engine.is_enabled("Combo OR", IN_WINDOW), "the watcher saw no change"
        assert engine.revision != before
    with novi.Engine(sqlalchemy_url(db), refresh_interval=0, watch_changes=False) as engine:
        execute(db, "UPDATE flags SET status = 1 WHERE name = 'Combo OR'")
        time.sleep(0.3)
        assert not engine.is_enabled("Combo OR", IN_WINDOW)
        engine.refresh()
        assert engine.is_enabled("Combo OR", IN_WINDOW)


def test_a_closed_engine_refuses_calls(db):
    engine = novi.Engine(sqlalchemy_url(db))
    assert not engine.closed
    engine.close()
    engine.close()
    assert engine.closed
    with pytest.raises(RuntimeError, match="closed"):
        engine.is_enabled("Combo OR")


@pytest.mark.parametrize(
    "url, error, message",
    [
        ("oracle://scott@db/flags", novi.ConfigError, "unsupported database URL scheme `oracle`"),
        (
            "postgresql+psycopg2://novi:s3cret@127.0.0.1:1/novi",
            novi.DatabaseError,
            "cannot connect to PostgreSQL at postgresql://novi:\\*\\*\\*@127.0.0.1:1/novi",
        ),
    ],
)
def test_bad_urls_raise_typed_errors_without_the_password(url, error, message):
    with pytest.raises(error, match=message) as raised:
        novi.Engine(url)
    assert "s3cret" not in str(raised.value)


def test_bad_options_raise(db):
    for interval in [-1.0, float("nan"), float("inf")]:
        with pytest.raises(ValueError, match="refresh_interval"):
            novi.Engine(sqlalchemy_url(db), refresh_interval=interval)


def test_the_configuration_comes_from_novi_ini_unless_the_environment_names_one(
    db, tmp_path, monkeypatch
):
    monkeypatch.delenv("NOVI_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "novi.ini").write_text("[database]\nurl = sqlite:///novi.db\necho = False\n")
    with novi.Engine.from_config() as engine:
        assert engine.url == "sqlite://novi.db"
        assert engine.is_enabled("Combo OR", IN_WINDOW)
    other = tmp_path / "other.db"
    monkeypatch.setenv("NOVI_DATABASE_URL", f"sqlite://{other}")
    with novi.Engine.from_config() as engine:
        assert engine.url == f"sqlite://{other}"
        assert engine.evaluate_all() == {}
    # DATABASE_URL, which novi-web also reads, usually names the application's own database.
    monkeypatch.delenv("NOVI_DATABASE_URL")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@127.0.0.1:1/app")
    with novi.Engine.from_config() as engine:
        assert engine.url == "sqlite://novi.db"


def test_every_engine_is_closed_at_exit(db, tmp_path):
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        f"""
        import novi
        from novi.core import BaseActivation, register

        @register
        class Slow(BaseActivation):
            def evaluate(self, context=None):
                return True

        # Never closed by the script: novi closes it at exit, with its background thread.
        engine = novi.Engine({sqlalchemy_url(db)!r}, refresh_interval=0.01)
        assert engine.is_enabled("Combo OR", {{"currentDateTime": "11/26/2023 12:00 AM"}})
        print("ok")
        """
    )
    for _ in range(3):
        run = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
        )
        assert (run.returncode, run.stdout.strip(), run.stderr) == (0, "ok", "")
    engine = novi.Engine(sqlalchemy_url(db))
    novi._novi._close_all()
    assert engine.closed
