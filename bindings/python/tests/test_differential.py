"""Differential tests: the wheel against Python Novi 0.4.2 (from PyPI) on the same database.

Python Novi runs in a subprocess of the interpreter `$NOVI_PY_REFERENCE` names (its own
virtualenv: both packages are `novi`; see `reference_novi.py`). It answers every flag for
every context in one process, on the database as Python Novi left it, before any engine of
the wheel has opened (and migrated) the file; then the wheel answers the same questions with
`novi.Engine(...).is_enabled`.

How answers are compared:

- Python Novi's answers are compared where they are defined: where `is_enabled` returned
  True, False or None without any activation having answered None on the way. An activation
  answers None where Python Novi leaks an undecided answer (a date window without
  `currentDateTime`), and its folds then swallow the None or pass it on depending on the order
  of the rows ("Combo AND" is True for `{"seed": 1, "variant": "A"}` with no date at all); the
  wheel decides those (it reads the clock), so they are counted, not compared. The reference
  process notices them by wrapping each activation class's `evaluate` (`reference_novi.Leaked`).
- Python Novi's `is_enabled` returns True, False or None (a fold of nothing); the wheel always
  returns a bool. None is falsy, and Python Novi's own `@flag.enabled` treats it as off, so the
  comparison is `bool(reference) == wheel`.
- Where Python Novi raises (a malformed stored config, a `currentDateTime` that does not
  parse, a seed of the wrong type), the wheel must answer False (it fails closed), except in an
  Or whose other member is on (documented below).
- The differences the bindings' README lists ("Differences from Python Novi found so far")
  are checked as such, exactly (`DOCUMENTED`): a status-true flag without activations
  (Python Novi None, the wheel True), an activation of an unknown class (Python Novi skips
  it, the wheel is off), a composite naming a missing id (Python Novi leaves it out, the
  wheel is off), an activation whose stored config cannot be used (Python Novi fails only
  when it evaluates it with certain keys, the wheel is off), an Or whose member raises
  (Python Novi raises, the wheel is on when another member is on), an unknown flag (Python
  Novi raises AttributeError, the wheel is False).
- Anything else is a disagreement and fails the test, listed by flag with the contexts.
"""

import datetime
import json
import random
from collections import Counter, defaultdict

import pytest

import novi

import reference_novi
from conftest import execute, make_python_novi_db, sqlalchemy_url
from reference_novi import Leaked, Raised, Returned

DT = "novi.client.activations.date_time_activation.DateTimeActivation"
WR = "novi.client.activations.weighted_random_activation.WeightedRandomActivation"
AND = "novi.client.activations.and_activation.AndActivation"
OR = "novi.client.activations.or_activation.OrActivation"

SAMPLE_FORMAT = "%m/%d/%Y %I:%M %p"
ISO_FORMAT = "%Y-%m-%d %H:%M:%S"
DOTTED_FORMAT = "%d.%m.%Y %H:%M"


def window(start, end, fmt=SAMPLE_FORMAT):
    return json.dumps({"startDateTime": start, "endDateTime": end, "format": fmt})


def split(splits, variations):
    return json.dumps({"splits": splits, "variations": variations})


# Added to the sample rows (activations 1-4, flags 1-4): (id, class_name, config).
ACTIVATIONS = [
    (10, DT, window("2024-03-01 00:00:00", "2024-04-01 00:00:00", ISO_FORMAT)),
    (11, DT, window("01.06.2024 09:00", "01.06.2024 17:30", DOTTED_FORMAT)),
    (12, DT, window("11/27/2023 12:00 PM", "11/27/2023 12:00 PM")),  # empty
    # Contains the present: the wheel reads the clock when the context has no time.
    (13, DT, window("01/01/2000 12:00 AM", "01/01/2100 12:00 AM")),
    (14, DT, window("11/27/2023 01:30 PM", "11/27/2023 01:31 PM")),  # one minute
    (15, WR, split([50, 50], ["A", "B"])),
    (16, WR, split([10, 20, 70], ["A", "B", "C"])),
    (17, WR, split([0, 0, 100], ["A", "B", "C"])),
    (18, WR, split([0.5, 0.25, 0.25], ["A", "B", "C"])),
    (19, WR, split([1, 0, 1], ["A", "B", "C"])),
    # Malformed configs: Python Novi raises only when it evaluates them with the keys.
    (20, WR, split([50, 50], ["A", "B", "C"])),
    (21, DT, json.dumps({"startDateTime": "11/26/2023 12:00 AM",
                         "endDateTime": "11/28/2023 12:00 AM"})),  # no format
    (22, WR, split([0, 0], ["A", "B"])),
    (23, WR, '{"splits": [50, 50], "variations": ["A", "B"]'),  # not JSON
    (24, AND, "[10, 15]"),
    (25, OR, "[11, 16]"),
    (26, AND, "[2, 1]"),
    (27, OR, "[15, 99]"),  # 99 does not exist
    (28, AND, "[98, 99]"),  # neither exists
    (29, AND, "[24, 25]"),
    (30, OR, "[1, 20]"),
    (31, "novi_activations.nowhere.Nowhere", "{}"),
    (32, OR, "[15, 16]"),
    (33, AND, "[1, 13]"),
    (34, DT, window("11/01/2023 12:00 AM", "11/26/2023 12:00 AM")),  # ends where 1 starts
    (35, OR, "[1, 34]"),
]

# (id, name, status, linked activation ids in flags_activations row order).
FLAGS = [
    (10, "ISO Window", 1, [10]),
    (11, "Dotted Window", 1, [11]),
    (12, "Empty Window", 1, [12]),
    (13, "Open Window", 1, [13]),
    (14, "Afternoon Minute", 1, [14]),
    (15, "Coin", 1, [15]),
    (16, "Three Way", 1, [16]),
    (17, "All C", 1, [17]),
    (18, "Float Weights", 1, [18]),
    (19, "Zero In Middle", 1, [19]),
    (20, "Bad Splits", 1, [20]),
    (21, "Bad Window", 1, [21]),
    (22, "Zero Weights", 1, [22]),
    (23, "Bad JSON", 1, [23]),
    (24, "ISO And Coin", 1, [24]),
    (25, "Dotted Or Three", 1, [25]),
    (26, "Reversed And", 1, [26]),
    (27, "Or Missing Id", 1, [27]),
    (28, "And Nothing", 1, [28]),
    (29, "Nested", 1, [29]),
    (30, "Or Bad Splits", 1, [30]),
    (31, "Unknown Class", 1, [31, 15]),
    (32, "Coin Or Three", 1, [32]),
    (33, "Window And Open", 1, [33]),
    (34, "Before Window", 1, [34]),
    (35, "Either Window", 1, [35]),
    (36, "Disabled Coin", 0, [15]),
    (37, "No Activations", 1, []),
    (38, "Disabled Empty", 0, []),
    (39, "Rows Date Then Coin", 1, [1, 15]),
    (40, "Rows Coin Then Date", 1, [15, 1]),
    (41, "Duplicate Rows", 1, [16, 16]),
    (42, "Rows Coin Then Three", 1, [15, 16]),
]

SAMPLE_FLAGS = ["Date Activated Feature", "Random Variant Feature", "Combo AND", "Combo OR"]
ALL_FLAGS = SAMPLE_FLAGS + [name for _, name, _, _ in FLAGS]

# Flags whose answer comes from a WeightedRandom draw alone (the seed matters).
WEIGHTED_FLAGS = [
    "Random Variant Feature", "Coin", "Three Way", "All C", "Float Weights", "Zero In Middle",
    "Coin Or Three", "Rows Coin Then Three", "Duplicate Rows",
]


def statements():
    """The INSERTs adding ACTIVATIONS and FLAGS to the sample database."""
    rows = []
    for id_, class_name, config in ACTIVATIONS:
        rows.append(
            "INSERT INTO activations VALUES ({}, 'activation {}', '{}', '{}')".format(
                id_, id_, class_name, config.replace("'", "''")
            )
        )
    for id_, name, status, _ in FLAGS:
        rows.append(f"INSERT INTO flags VALUES ({id_}, '{name}', {status})")
    # Inserted in order: Python Novi reads a flag's links in rowid order.
    for id_, _, _, links in FLAGS:
        rows.extend(f"INSERT INTO flags_activations VALUES ({id_}, {a})" for a in links)
    return rows


# The differences listed in the bindings' README ("Differences from Python Novi found so far"),
# each as the exact pair of answers it allows on the flags it concerns.
# Flags with an Or among their activations (directly or inside an And).
OR_FLAGS = {"Combo OR", "Dotted Or Three", "Or Missing Id", "Or Bad Splits", "Coin Or Three",
            "Either Window", "Nested"}

DOCUMENTED = [
    (
        "status true, no activations: Python Novi None, the wheel on",
        {"No Activations"},
        lambda ref, wheel: ref is None and wheel is True,
    ),
    (
        "activation of an unknown class: Python Novi skips it, the wheel is off",
        {"Unknown Class"},
        lambda ref, wheel: wheel is False and not isinstance(ref, (Raised, Returned)),
    ),
    (
        "a composite naming a missing id: Python Novi leaves the id out, the wheel is off",
        {"Or Missing Id"},
        lambda ref, wheel: wheel is False and ref is True,
    ),
    (
        "a config that cannot be used: Python Novi fails only when it evaluates it with "
        "certain keys, the wheel is off",
        {"Or Bad Splits"},
        lambda ref, wheel: wheel is False and ref is True,
    ),
    (
        "an Or whose member raises: Python Novi raises, the wheel is on when another member is on",
        OR_FLAGS,
        lambda ref, wheel: isinstance(ref, Raised) and wheel is True,
    ),
]


def classify(flag, ref, wheel):
    """What kind of answer pair (`ref` from Python Novi, `wheel` from the wheel) this is,
    and whether it is allowed."""
    if isinstance(ref, Returned):
        return "Python Novi returned a non-bool", False
    if isinstance(ref, Leaked):
        return "undefined: Python Novi answered through an activation's None", True
    if isinstance(ref, Raised) and wheel is False:
        return "Python Novi raised, the wheel is off (fails closed)", True
    if not isinstance(ref, Raised) and bool(ref) == wheel:
        if ref is None:
            return "same: Python Novi None, the wheel False", True
        return f"same: both {wheel}", True
    for description, flags, allowed in DOCUMENTED:
        if flag in flags and allowed(ref, wheel):
            return f"documented: {description}", True
    if isinstance(ref, Raised):
        return f"Python Novi raised {ref.name}, the wheel is on", False
    return f"Python Novi {ref!r}, the wheel {wheel}", False


def report(pairs, wheel_reasons=None, limit=4):
    """Counts of each kind of answer pair, and the disagreements grouped by flag and kind
    with a few of their contexts. `pairs`: (flag, context, ref, wheel) tuples."""
    kinds = Counter()
    bad = defaultdict(list)
    for flag, context, ref, wheel in pairs:
        kind, ok = classify(flag, ref, wheel)
        kinds[kind] += 1
        if not ok:
            bad[(flag, kind)].append((context, ref, wheel))
    lines = [f"{count:7d}  {kind}" for kind, count in kinds.most_common()]
    problems = []
    for (flag, kind), cases in sorted(bad.items()):
        problems.append(f"{flag!r}: {kind} ({len(cases)} context(s)), e.g.")
        for context, ref, wheel in cases[:limit]:
            reason = ""
            if wheel_reasons is not None:
                reason = f"  [wheel: {wheel_reasons.get((flag, json.dumps(context)))}]"
            problems.append(
                f"    {json.dumps(context)}: Python Novi {ref!r}, wheel {wheel}{reason}"
            )
    return kinds, lines, problems


# ---------------------------------------------------------------------------------------
# Contexts


def _times(rng):
    """A `currentDateTime` value: mostly in the sample window's format around its
    boundaries, some in the other windows' formats, some that cannot parse."""
    roll = rng.random()
    if roll < 0.30:
        return rng.choice([
            "11/25/2023 11:59 PM", "11/26/2023 12:00 AM", "11/26/2023 12:01 AM",
            "11/27/2023 12:00 AM", "11/27/2023 12:00 PM", "11/27/2023 01:29 PM",
            "11/27/2023 01:30 PM", "11/27/2023 1:30 pm", "11/27/2023 01:31 PM",
            "11/27/2023 11:59 PM", "11/28/2023 12:00 AM", "11/28/2023 12:01 AM",
            "11/1/2023 12:00 AM", "10/31/2023 11:59 PM", "11/27/2023 12:00 am",
            "12/31/1999 11:59 PM", "01/01/2000 12:00 AM", "12/31/2099 11:59 PM",
            "01/01/2100 12:00 AM", "12/03/2026 07:00 AM",
        ])
    if roll < 0.60:
        start = datetime.datetime(2023, 10, 28)
        moment = start + datetime.timedelta(minutes=rng.randrange(60 * 24 * 35))
        return moment.strftime(SAMPLE_FORMAT)
    if roll < 0.72:
        if rng.random() < 0.5:
            return rng.choice([
                "2024-03-01 00:00:00", "2024-02-29 23:59:59", "2024-03-31 23:59:59",
                "2024-04-01 00:00:00", "2024-03-15 12:30:00",
            ])
        start = datetime.datetime(2024, 2, 25)
        return (start + datetime.timedelta(seconds=rng.randrange(86400 * 40))).strftime(ISO_FORMAT)
    if roll < 0.86:
        if rng.random() < 0.5:
            return rng.choice([
                "01.06.2024 09:00", "01.06.2024 08:59", "01.06.2024 17:29",
                "01.06.2024 17:30", "1.6.2024 9:00",
            ])
        start = datetime.datetime(2024, 6, 1, 7)
        return (start + datetime.timedelta(minutes=rng.randrange(60 * 12))).strftime(DOTTED_FORMAT)
    # Cannot parse (Python Novi raises ValueError or TypeError).
    return rng.choice(["2023-11-27", " 11/27/2023 12:00 AM", "11/27/2023 13:00 PM", "", 5, None])


def _seed(rng):
    roll = rng.random()
    if roll < 0.35:
        return rng.randrange(1000)
    if roll < 0.45:
        return -rng.randrange(1, 10**6)
    if roll < 0.55:
        return rng.choice([1, -1]) * (2 ** rng.randrange(63, 90) + rng.randrange(1000))
    if roll < 0.70:
        return rng.choice([
            rng.randrange(-500, 500) + 0.5, rng.uniform(-1e6, 1e6), 2.0, 1e20, -0.25,
        ])
    if roll < 0.93:
        return rng.choice([f"user-{rng.randrange(10**6)}", "", "ü-ß-😀", "A", "333"])
    if roll < 0.98:
        return rng.choice([True, False])
    return [1]  # not a seed Python accepts: TypeError


def random_contexts(count=1000, seed=2026):
    """`count` contexts, the same ones every run: None, {}, and dicts with or without
    `currentDateTime`, `seed`, `variant` (and an unrelated key)."""
    rng = random.Random(seed)
    contexts = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.02:
            contexts.append(None)
            continue
        if roll < 0.04:
            contexts.append({})
            continue
        context = {}
        if rng.random() < 0.65:
            context["currentDateTime"] = _times(rng)
        if rng.random() < 0.75:
            context["seed"] = _seed(rng)
        if rng.random() < 0.75:
            context["variant"] = rng.choice(["A", "A", "A", "B", "B", "C", "C", "D", "a"])
        if rng.random() < 0.2:
            context["userId"] = f"u-{rng.randrange(100)}"
        contexts.append(context)
    # Exactly as Python Novi will see them (through JSON).
    return json.loads(json.dumps(contexts))


# Seeds 0..49 with each variant of the [50, 50] "Coin": exactly one of A and B is on for
# each seed, and which one depends on the seed.
SEED_PROBES = [{"seed": s, "variant": v} for s in range(50) for v in ("A", "B")]


# ---------------------------------------------------------------------------------------
# Running both


def wheel_answers(db_path, flags, contexts):
    """The wheel's `is_enabled` for every context and flag, and its reason codes."""
    answers, reasons = [], {}
    with novi.Engine(sqlalchemy_url(db_path)) as engine:
        for context in contexts:
            row = []
            for name in flags:
                enabled = engine.is_enabled(name, context)
                row.append(enabled)
                reason = engine.evaluate(name, context)["reason"]
                assert engine.evaluate(name, context)["enabled"] is enabled
                reasons[(name, json.dumps(context))] = reason["code"]
            answers.append(row)
    return answers, reasons


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    """The sample database plus FLAGS, answered by Python Novi (first, on the file as it
    left it) and by the wheel for the random contexts and SEED_PROBES.

    None without $NOVI_PY_REFERENCE: the tests then fail (`needs_reference`), not error."""
    if not reference_novi.configured():
        return None
    path = make_python_novi_db(tmp_path_factory.mktemp("differential") / "novi.db")
    execute(path, *statements())
    contexts = random_contexts() + SEED_PROBES
    reference = reference_novi.evaluate(path, ALL_FLAGS, contexts)
    wheel, reasons = wheel_answers(path, ALL_FLAGS, contexts)
    return {"path": path, "contexts": contexts, "reference": reference, "wheel": wheel,
            "reasons": reasons}


def needs_reference(rich):
    """`rich`, or the test fails as `reference_novi.reference_python()` explains."""
    reference_novi.reference_python()
    return rich


def pairs_of(result, rows):
    """(flag, context, Python Novi's answer, the wheel's) for the contexts at `rows`."""
    for i in rows:
        context = result["contexts"][i]
        for j, flag in enumerate(ALL_FLAGS):
            yield flag, context, result["reference"][i][j], result["wheel"][i][j]


def test_a_thousand_random_contexts_get_the_same_answers(rich):
    """1,000 random contexts (random.Random(2026)) × every flag of the rich database:
    `bool(Python Novi) == wheel`; where Python Novi raised, the wheel is off; the README's
    documented differences exactly as documented; nothing else."""
    rich = needs_reference(rich)
    assert all(isinstance(answer, bool) for row in rich["wheel"] for answer in row)
    pairs = list(pairs_of(rich, range(1000)))
    assert len(pairs) >= 1000 * len(ALL_FLAGS) >= 1000
    kinds, lines, problems = report(pairs, rich["reasons"])
    print("\nPython Novi 0.4.2 vs the wheel, 1,000 random contexts:\n" + "\n".join(lines))
    # The comparison can fail: both answers occur, also where a seed decides.
    weighted = [(ref, wheel) for flag, _, ref, wheel in pairs if flag in WEIGHTED_FLAGS]
    assert {wheel for _, wheel in weighted} == {True, False}
    assert {ref for ref, _ in weighted if isinstance(ref, bool)} == {True, False}
    assert kinds["same: both True"] > 500 and kinds["same: both False"] > 500
    assert not problems, (
        "the wheel and Python Novi 0.4.2 disagree:\n" + "\n".join(problems)
        + "\n\ncounts:\n" + "\n".join(lines)
    )


def test_the_weighted_choice_depends_on_the_seed_in_both(rich):
    """A [50, 50] split: for each seed exactly one of A and B is on, in Python Novi and in
    the wheel alike, and some seeds choose A, others B."""
    rich = needs_reference(rich)
    coin = ALL_FLAGS.index("Coin")
    start = len(rich["contexts"]) - len(SEED_PROBES)
    chosen = {"reference": {}, "wheel": {}}
    for side in chosen:
        for i, context in enumerate(SEED_PROBES):
            if rich[side][start + i][coin]:
                assert context["seed"] not in chosen[side], (side, context)
                chosen[side][context["seed"]] = context["variant"]
    for side, choices in chosen.items():
        assert sorted(choices) == list(range(50)), side
        assert set(choices.values()) == {"A", "B"}, side
    assert chosen["wheel"] == chosen["reference"]
    # The same, from Python's random module in this process.
    for seed, variant in chosen["wheel"].items():
        assert random.Random(seed).choices(["A", "B"], weights=[50, 50])[0] == variant


def test_the_random_contexts_reach_python_novis_exceptions(rich):
    """Python Novi raised on some of the random contexts (bad stored configs, times that do
    not parse, a list as seed), so the comparison above reaches the cases where the wheel
    must fail closed."""
    rich = needs_reference(rich)
    raised = Counter(
        ref.name for _, _, ref, _ in pairs_of(rich, range(1000))
        if isinstance(ref, Raised)
    )
    assert {"ValueError", "AttributeError", "JSONDecodeError", "TypeError"} <= set(raised)


def test_python_novi_answers_alike_on_the_database_the_wheel_migrated(rich):
    """The wheel migrated the file when it opened it (Python Novi's rows kept, its link table
    rebuilt with a key): Python Novi, run again on it, gives the answers it gave before, the
    order-dependent flags included (200 of the random contexts, and the seed probes)."""
    rich = needs_reference(rich)
    rows = list(range(200)) + list(range(1000, len(rich["contexts"])))
    contexts = [rich["contexts"][i] for i in rows]
    again = reference_novi.evaluate(rich["path"], ALL_FLAGS, contexts)
    changed = [
        (ALL_FLAGS[j], contexts[k], rich["reference"][i][j], answer)
        for k, (i, row) in enumerate(zip(rows, again))
        for j, answer in enumerate(row)
        if repr(answer) != repr(rich["reference"][i][j])
    ]
    assert not changed, changed[:20]


def test_an_unknown_flag_is_a_documented_difference(db):
    """Documented: Python Novi raises AttributeError for an unknown flag; the wheel answers
    False."""
    [[answer]] = reference_novi.evaluate(db, ["No Such Flag"], [{"seed": 1, "variant": "A"}])
    assert answer == Raised("AttributeError"), answer
    with novi.Engine(sqlalchemy_url(db)) as engine:
        assert engine.is_enabled("No Such Flag", {"seed": 1, "variant": "A"}) is False


# ---------------------------------------------------------------------------------------
# The sample database, with the contexts Python Novi's behaviour was recorded for

IN = "11/27/2023 12:00 AM"
A1 = {"seed": 1, "variant": "A"}
B1 = {"seed": 1, "variant": "B"}

# (context, {flag: Python Novi's recorded answer}) as recorded on the sample database (the
# reference's behaviour notes, sections 3 to 6).
RECORDED = [
    (None, {"Date Activated Feature": None, "Combo AND": False, "Combo OR": False}),
    ({}, {"Date Activated Feature": None, "Random Variant Feature": False,
          "Combo AND": False, "Combo OR": False}),
    ({"currentDateTime": IN}, {"Date Activated Feature": True, "Combo AND": False,
                               "Combo OR": True}),
    (A1, {"Date Activated Feature": None, "Combo AND": True, "Combo OR": True}),
    (B1, {"Date Activated Feature": None, "Combo AND": False, "Combo OR": False}),
    ({"currentDateTime": IN, **A1}, {"Date Activated Feature": True, "Combo AND": True,
                                     "Combo OR": True}),
    ({"currentDateTime": IN, **B1}, {"Date Activated Feature": True, "Combo AND": False,
                                     "Combo OR": True}),
    ({"currentDateTime": "11/28/2023 12:00 AM", **A1},
     {"Date Activated Feature": False, "Combo AND": False, "Combo OR": True}),
    ({"currentDateTime": "11/28/2023 12:00 AM", **B1}, {"Combo OR": False}),
    ({"currentDateTime": "11/25/2023 11:59 PM"}, {"Date Activated Feature": False}),
    ({"currentDateTime": "11/26/2023 12:00 AM"}, {"Date Activated Feature": True}),
    ({"currentDateTime": "11/27/2023 11:59 PM"}, {"Date Activated Feature": True}),
    ({"currentDateTime": "11/27/2023 12:00 am"}, {"Date Activated Feature": True}),
    ({"currentDateTime": "11/26/2023 12:00 AM", "seed": 90, "variant": "A"},
     dict.fromkeys(SAMPLE_FLAGS, True)),
    ({"currentDateTime": "11/28/2023 12:00 AM", "seed": 90, "variant": "B"},
     dict.fromkeys(SAMPLE_FLAGS, False)),
    ({"seed": 333, "variant": "A"}, {"Random Variant Feature": True}),
    ({"seed": 333, "variant": "B"}, {"Random Variant Feature": False}),
    ({"seed": 333}, {"Random Variant Feature": False}),
    ({"currentDateTime": "2023-11-27"}, {"Date Activated Feature": Raised("ValueError")}),
    ({"seed": [1], "variant": "A"}, {"Random Variant Feature": Raised("TypeError")}),
]


def test_the_recorded_contexts_on_the_sample_database(db):
    """Python Novi's recorded answers on the unchanged sample database: the reference here
    gives them (so the harness asks it right), and the wheel agrees as above."""
    contexts = [context for context, _ in RECORDED]
    reference = reference_novi.evaluate(db, SAMPLE_FLAGS, contexts)
    for (context, recorded), row in zip(RECORDED, reference):
        for flag, answer in recorded.items():
            got = row[SAMPLE_FLAGS.index(flag)]
            if isinstance(got, Leaked):
                got = got.value
            assert got == answer and type(got) is type(answer), (context, flag, got)
    wheel, reasons = wheel_answers(db, SAMPLE_FLAGS, contexts)
    pairs = [
        (flag, context, reference[i][j], wheel[i][j])
        for i, context in enumerate(contexts)
        for j, flag in enumerate(SAMPLE_FLAGS)
    ]
    kinds, lines, problems = report(pairs, reasons, limit=20)
    print("\nPython Novi 0.4.2 vs the wheel, recorded contexts:\n" + "\n".join(lines))
    assert not problems, (
        "the wheel and Python Novi 0.4.2 disagree:\n" + "\n".join(problems)
        + "\n\ncounts:\n" + "\n".join(lines)
    )
