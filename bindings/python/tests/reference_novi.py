"""Python Novi 0.4.2, the reference, asked from a subprocess of its own interpreter.

Python Novi is installed in a virtualenv of its own (both packages are named `novi`);
`$NOVI_PY_REFERENCE` names that virtualenv's python (`scripts/test.sh` exports it). Python
Novi reads `novi.ini` from its working directory when it is imported, so each run gets a
working directory of its own holding a `novi.ini` that names the database file.

One run answers every flag for every context, in one process: `flag.is_enabled(name, ctx)`
gives True, False or None there, or raises; a raised exception is reported as `Raised` (its
class name and message), and an answer reached through an activation that answered None as
`Leaked` (each activation class's `evaluate` is wrapped in that process to notice it).

The script the subprocess runs is written here; nothing is taken from Python Novi.
"""

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

ENV_VAR = "NOVI_PY_REFERENCE"

# Run by the reference interpreter: argv[1] is the job (flag names and contexts, JSON),
# argv[2] where the answers go (JSON). Answers go to a file: stdout is left to whatever
# Python Novi or SQLAlchemy print.
SCRIPT = r"""
import json
import sys
from importlib.metadata import version

from novi.client import flag
from novi.core import BaseActivation

# Whether an activation answered None during the current check: Python Novi's leak of an
# undecided answer (a date window without `currentDateTime`), which its folds then swallow or
# pass on. Each activation class's own `evaluate` is wrapped to notice it; its answer is
# returned unchanged.
leaked = [False]


def watch(cls):
    original = cls.__dict__.get("evaluate")
    if original is not None and not getattr(original, "_watched", False):
        def evaluate(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            if result is None:
                leaked[0] = True
            return result
        evaluate._watched = True
        cls.evaluate = evaluate
    for sub in cls.__subclasses__():
        watch(sub)


def answer(name, context):
    leaked[0] = False
    try:
        value = flag.is_enabled(name, context)
    except Exception as exc:
        return {"raised": type(exc).__name__, "message": str(exc)[:300]}
    if leaked[0]:
        return {"leaked": value}
    if value is None or value is True or value is False:
        return value
    return {"returned": repr(value)}


# The built-in classes, imported (and so subclasses of BaseActivation) before wrapping.
import novi.client.activations.and_activation
import novi.client.activations.date_time_activation
import novi.client.activations.or_activation
import novi.client.activations.weighted_random_activation
watch(BaseActivation)


with open(sys.argv[1], encoding="utf-8") as f:
    job = json.load(f)
results = [[answer(name, context) for name in job["flags"]] for context in job["contexts"]]
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump({"version": version("novi"), "results": results}, f)
"""


class Raised:
    """Python Novi raised `name` (an exception class name) with `message`."""

    def __init__(self, name, message=""):
        self.name = name
        self.message = message

    def __eq__(self, other):
        return isinstance(other, Raised) and other.name == self.name

    def __hash__(self):
        return hash(("Raised", self.name))

    def __repr__(self):
        return f"raised {self.name}({self.message!r})"


class Leaked:
    """Python Novi answered `value`, but through an activation that answered None (its leak
    of an undecided answer, swallowed or passed on by its folds): undefined, not compared."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"{self.value!r} through a None"


class Returned:
    """Python Novi returned something other than True, False or None (its repr)."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return f"returned {self.text}"


def configured():
    """Whether $NOVI_PY_REFERENCE is set."""
    return bool(os.environ.get(ENV_VAR))


def reference_python():
    """The reference interpreter, from $NOVI_PY_REFERENCE; the calling test fails without it."""
    path = os.environ.get(ENV_VAR)
    if not path:
        pytest.fail(
            f"${ENV_VAR} is not set: it must name the python of a virtualenv with Python Novi "
            f"0.4.2 (`pip install novi==0.4.2`); scripts/test.sh creates one and sets it",
            pytrace=False,
        )
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"${ENV_VAR}={path} is not an executable file", pytrace=False)
    return path


def novi_ini(db_path):
    """A `novi.ini` naming the SQLite file `db_path` (SQLAlchemy's form, absolute)."""
    return f"[database]\nurl = sqlite:///{Path(db_path).resolve()}\necho = False\n"


def _decode(value):
    if value is None or isinstance(value, bool):
        return value
    if "raised" in value:
        return Raised(value["raised"], value.get("message", ""))
    if "leaked" in value:
        return Leaked(value["leaked"])
    return Returned(value["returned"])


def evaluate(db_path, flags, contexts, timeout=600):
    """Python Novi's `flag.is_enabled(name, context)` for every context and flag name.

    Returns a list (one per context) of lists (one per flag, in the order of `flags`) of
    True, False, None, `Raised` or `Returned`. Contexts go through JSON: they must be
    dicts of JSON values, or None.
    """
    python = reference_python()
    with tempfile.TemporaryDirectory(prefix="novi-reference-") as workdir:
        work = Path(workdir)
        (work / "novi.ini").write_text(novi_ini(db_path))
        job, out = work / "job.json", work / "answers.json"
        job.write_text(json.dumps({"flags": list(flags), "contexts": list(contexts)}))
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "PYTHONHOME", "NOVI_DATABASE_URL", "VIRTUAL_ENV")
        }
        run = subprocess.run(
            [python, "-c", SCRIPT, str(job), str(out)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if run.returncode != 0:
            pytest.fail(
                f"Python Novi ({python}) failed with exit status {run.returncode}:\n"
                f"{run.stderr[-4000:]}",
                pytrace=False,
            )
        answers = json.loads(out.read_text())
    if answers["version"] != "0.4.2":
        pytest.fail(
            f"${ENV_VAR} runs Python Novi {answers['version']}, not 0.4.2", pytrace=False
        )
    return [[_decode(value) for value in row] for row in answers["results"]]
