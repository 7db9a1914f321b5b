"""`flag.is_enabled` per call from Python: the `novi` wheel against Python Novi 0.4.2, on the
same SQLite database, in the same run.

Usage (with the python of the virtualenv where the wheel is installed):

    python bindings/python/scripts/bench.py --reference /path/to/reference-venv/bin/python

`--reference` is the python of a virtualenv holding Python Novi 0.4.2 (`pip install
novi==0.4.2`; both packages are `novi`, hence two virtualenvs). The script

1. creates a SQLite database in a temporary directory, as Python Novi leaves it: its tables
   and sample rows (the repository's copies), plus a status-true flag without activations and
   a 50% rollout flag (see CASES);
2. times Python Novi first, in a subprocess of the reference python whose working directory
   holds a `novi.ini` naming the database (Python Novi reads it at import);
3. then times the wheel in this process, through `from novi.client import flag` with
   `$NOVI_DATABASE_URL` naming the database (set before the first call);
4. prints a Markdown table: µs per call, best of 5 repeats of a timeit-auto-ranged loop
   (at least 0.2 s each), with the same timing code on both sides; the answers each side gave;
   and whether the plain flag meets the target (at most 2 µs per call).

The cases:

- **plain**: a status-true flag with no activations, the engine's cheapest flag (the
  `is_enabled/plain` of BENCHMARKS.md). The wheel answers True; Python Novi answers None
  (falsy: it folds over no activations), doing its usual work for a flag (one query, a fold).
- **plain (date window)**: Python Novi's sample `Date Activated Feature`, a flag with the
  simplest built-in activation that can say yes in both (DateTimeActivation, the context's
  `currentDateTime` inside the window): True in both.
- **rollout**: `GradualRolloutActivation` at 50% by `userId`, a class of the wheel's engine;
  Python Novi has no rollout class (it would skip the unknown class), so its column says n/a.
- **WeightedRandom**: Python Novi's sample `Random Variant Feature` (`[100, 0, 0]` over
  A, B, C) with `{"seed": 333, "variant": "A"}`: True in both.

The whole run takes well under 2 minutes (about 4 × 1.5 s per side, plus imports).
"""

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SCHEMA = REPO / "novi-client" / "tests" / "fixtures" / "python-schema-sqlite.sql"
SAMPLE_DATA = REPO / "sample_data.sql"

ROLLOUT_CLASS = "GradualRolloutActivation"

# (case, flag name, context, on the Python Novi side too)
CASES = [
    ("plain (status true, no activations)", "Plain", {}, True),
    ("plain (date window)", "Date Activated Feature",
     {"currentDateTime": "11/27/2023 12:00 AM"}, True),
    ("rollout (50% by userId)", "Rollout", {"userId": "user-17"}, False),
    ("WeightedRandom", "Random Variant Feature", {"seed": 333, "variant": "A"}, True),
]

TARGET_US = 2.0

# The timing code, run as it is on both sides (exec'd here, sent to the reference python).
TIMING = r'''
import timeit


def measure(is_enabled, name, context, repeat=5):
    """(µs per call of is_enabled(name, context), best of `repeat` auto-ranged loops; the
    answer; the number of loops)."""
    answer = is_enabled(name, context)  # warm up, and the answer
    timer = timeit.Timer(
        "is_enabled(name, context)",
        globals={"is_enabled": is_enabled, "name": name, "context": context},
    )
    loops, _ = timer.autorange()
    best = min(timer.repeat(repeat=repeat, number=loops))
    return best / loops * 1e6, answer, loops
'''

REFERENCE_SCRIPT = TIMING + r'''
import json
import sys
from importlib.metadata import version

from novi.client import flag

cases = json.loads(sys.argv[1])
results = {}
for name, context in cases:
    try:
        results[name] = measure(flag.is_enabled, name, context)
    except Exception as exc:
        results[name] = [None, f"raised {type(exc).__name__}: {exc}", 0]
print(json.dumps({"version": version("novi"), "results": results}))
'''


def make_database(path, rollout):
    """Python Novi's tables and sample rows, a status-true flag without activations and (when
    the wheel has the class) a rollout flag. Written before any engine opens the file."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(SCHEMA.read_text())
        conn.executescript(SAMPLE_DATA.read_text())
        conn.execute("INSERT INTO flags VALUES (10, 'Plain', 1)")
        if rollout:
            config = json.dumps({"percentage": 50, "stickiness": "userId"})
            conn.execute(
                "INSERT INTO activations VALUES (11, 'Half', ?, ?)", (ROLLOUT_CLASS, config)
            )
            conn.execute("INSERT INTO flags VALUES (11, 'Rollout', 1)")
            conn.execute("INSERT INTO flags_activations VALUES (11, 11)")
        conn.commit()
    finally:
        conn.close()


def time_reference(python, db_path, workdir, timeout):
    """Python Novi's timings, from a subprocess of `python` in `workdir` (with novi.ini)."""
    (workdir / "novi.ini").write_text(
        f"[database]\nurl = sqlite:///{Path(db_path).resolve()}\necho = False\n"
    )
    cases = [(name, context) for _, name, context, both in CASES if both]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "NOVI_DATABASE_URL", "VIRTUAL_ENV")
    }
    run = subprocess.run(
        [python, "-c", REFERENCE_SCRIPT, json.dumps(cases)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if run.returncode != 0:
        sys.exit(f"Python Novi ({python}) failed ({run.returncode}):\n{run.stderr[-3000:]}")
    output = json.loads(run.stdout.strip().splitlines()[-1])
    if output["version"] != "0.4.2":
        print(f"warning: the reference is Python Novi {output['version']}, not 0.4.2",
              file=sys.stderr)
    return output["version"], output["results"]


def time_wheel(db_path):
    """The wheel's timings, in this process, through the module-level API."""
    os.environ["NOVI_DATABASE_URL"] = f"sqlite://{Path(db_path).resolve()}"
    namespace = {}
    exec(TIMING, namespace)
    from novi.client import flag

    results = {}
    for _, name, context, _ in CASES:
        results[name] = namespace["measure"](flag.is_enabled, name, context)
    flag.close()
    return results


def fmt_us(value):
    if value is None:
        return "n/a"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reference", required=True,
        help="the python of a virtualenv with Python Novi 0.4.2 installed",
    )
    parser.add_argument("--timeout", type=float, default=90, help="for the reference (s)")
    args = parser.parse_args()

    import novi
    from novi import _novi

    rollout = ROLLOUT_CLASS in _novi.builtin_classes()
    with tempfile.TemporaryDirectory(prefix="novi-bench-") as tmp:
        work = Path(tmp)
        db_path = work / "novi.db"
        make_database(db_path, rollout)
        reference_version, reference = time_reference(args.reference, db_path, work, args.timeout)
        wheel = time_wheel(db_path)

    print(f"`flag.is_enabled` per call, best of 5 auto-ranged timeit repeats; "
          f"wheel novi {novi.__version__} (Python {platform.python_version()}), "
          f"Python Novi {reference_version}; SQLite; {os.cpu_count()} CPUs\n")
    print("| case | wheel µs/call | Python Novi µs/call | ratio (Python Novi / wheel) "
          "| answers (wheel / Python Novi) |")
    print("|---|---:|---:|---:|---|")
    for case, name, context, both in CASES:
        if name == "Rollout" and not rollout:
            print(f"| {case} | n/a (no {ROLLOUT_CLASS}) | n/a | n/a | |")
            continue
        wheel_us, wheel_answer, _ = wheel[name]
        if both:
            ref_us, ref_answer, _ = reference[name]
        else:
            ref_us, ref_answer = None, "n/a (no rollout class)"
        ratio = f"{ref_us / wheel_us:,.0f}×" if ref_us is not None else "n/a"
        print(f"| {case} | {fmt_us(wheel_us)} | {fmt_us(ref_us)} | {ratio} "
              f"| {wheel_answer} / {ref_answer} |")
    plain_us = wheel[CASES[0][1]][0]
    verdict = "met" if plain_us <= TARGET_US else "NOT met"
    print(f"\nTarget for a plain flag: at most {TARGET_US:g} µs per call: {verdict} "
          f"({fmt_us(plain_us)} µs).")


if __name__ == "__main__":
    main()
