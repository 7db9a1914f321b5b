"""Shared fixtures: SQLite databases as Python Novi users have them, and engines over them."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from novi.client import flag

REPO = Path(__file__).resolve().parents[3]

# A context inside the window of the sample "Date Activated" activation
# (11/26/2023 12:00 AM to 11/28/2023 12:00 AM).
IN_WINDOW = {"currentDateTime": "11/26/2023 12:00 AM"}
OUT_OF_WINDOW = {"currentDateTime": "11/28/2023 12:00 AM"}


def _reference_files():
    """Python Novi 0.4.2's schema and sample data: the reference copies when this machine has
    them ($NOVI_PYTHON_REFERENCE, or `shared/reference/python-novi` beside the checkout), else
    the repository's (the same DDL, verbatim, and the same rows)."""
    candidates = [
        os.environ.get("NOVI_PYTHON_REFERENCE"),
        str(REPO.parent / "shared" / "reference" / "python-novi"),
    ]
    for directory in filter(None, candidates):
        schema, data = Path(directory, "schema.sql"), Path(directory, "sample_data.sql")
        if schema.is_file() and data.is_file():
            return schema, data
    return (
        REPO / "novi-client" / "tests" / "fixtures" / "python-schema-sqlite.sql",
        REPO / "sample_data.sql",
    )


SCHEMA, SAMPLE_DATA = _reference_files()


def pytest_report_header(config):
    return f"Python Novi schema: {SCHEMA}; sample data: {SAMPLE_DATA}"


def make_python_novi_db(path):
    """Creates a SQLite database as Python Novi leaves it: its tables and its sample rows.

    (Done in this process, before any engine opens the file.)"""
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA.read_text())
        conn.executescript(SAMPLE_DATA.read_text())
    conn.close()
    return path


WRITER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
for statement in sys.argv[2:]:
    conn.execute(statement)
conn.commit()
conn.close()
"""


def execute(path, *statements):
    """Runs SQL statements on the database at `path`, from another process (as an admin would).

    Never from this one while an engine has the file open: Python's `sqlite3` is a second copy
    of SQLite in the process, and two copies do not see each other's POSIX locks (closing one
    drops the other's) or its WAL index, which one of them may truncate under the other
    (SIGBUS). See the README.
    """
    subprocess.run([sys.executable, "-c", WRITER, str(path), *statements], check=True, timeout=60)


def add_flag(path, flag_id, name, class_name, config="", status=1):
    """Stores a flag with one activation of `class_name` (both with id `flag_id`)."""
    execute(
        path,
        f"INSERT INTO activations VALUES ({flag_id}, 'activation {flag_id}', '{class_name}', "
        f"'{config}')",
        f"INSERT INTO flags VALUES ({flag_id}, '{name}', {status})",
        f"INSERT INTO flags_activations VALUES ({flag_id}, {flag_id})",
    )


def sqlalchemy_url(path):
    """The SQLAlchemy URL of a SQLite file (`sqlite:///` + an absolute path)."""
    return f"sqlite:///{Path(path).resolve()}"


@pytest.fixture
def db(tmp_path):
    """The path of a fresh Python Novi database with the sample flags."""
    return make_python_novi_db(tmp_path / "novi.db")


@pytest.fixture
def engine(db):
    """An engine over `db`, closed after the test."""
    import novi

    with novi.Engine(sqlalchemy_url(db)) as engine:
        yield engine


@pytest.fixture
def module_db(db, monkeypatch):
    """`db` as the database of the module-level API (`novi.client.flag`), with a fresh engine."""
    flag.close()
    # $NOVI_DATABASE_URL is read in the Rust form: `sqlite://` + the path.
    monkeypatch.setenv("NOVI_DATABASE_URL", f"sqlite://{Path(db).resolve()}")
    yield db
    flag.close()
