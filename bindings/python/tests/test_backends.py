"""The three databases, as Python Novi's users have them: tables that Python Novi 0.4.2
created (its own models' `create_all` on SQLite and PostgreSQL; on MySQL/MariaDB, where its
models cannot create them, the hand-written shape its users wrote), its sample rows, and
Python Novi itself (installed from PyPI in a virtualenv of its own, $NOVI_PY_REFERENCE) reading
them. The wheel's engine adopts the tables with no manual step, gives Python Novi's answers,
sees Python Novi's writes, and leaves the database usable by Python Novi.

PostgreSQL and MariaDB are the servers that scripts/test starts ($NOVI_TEST_POSTGRES_URL,
$NOVI_TEST_MYSQL_URL); each test works in a database of its own."""

import json
import os
import subprocess
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

import novi

import reference_novi
from conftest import REPO

BACKENDS = ["sqlite", "postgres", "mysql"]
FIXTURES = REPO / "novi-client" / "tests" / "fixtures"
SAMPLE_DATA = REPO / "sample_data.sql"

CONTEXTS = [
    {"currentDateTime": "11/26/2023 12:00 AM"},
    {"currentDateTime": "11/28/2023 12:00 AM"},
    {"currentDateTime": "11/27/2023 03:30 PM", "seed": 333, "variant": "A"},
    {"currentDateTime": "11/27/2023 03:30 PM", "seed": 333, "variant": "B"},
    {"currentDateTime": "01/01/2020 10:00 AM", "seed": 1, "variant": "A"},
    {"currentDateTime": "11/26/2023 06:00 AM", "seed": 7, "variant": "C"},
]

# Run by Python Novi's interpreter. argv: a JSON job. Creates the tables and rows when told to,
# runs SQL statements, then answers `flag.is_enabled` for every flag and context.
REFERENCE = r'''
import json, sys
job = json.loads(sys.argv[1])
from sqlalchemy import create_engine, text
engine = create_engine(job["url"])
if job.get("create") == "models":
    from novi.core.models import Base
    Base.metadata.create_all(engine)
elif job.get("create"):
    lines = open(job["create"]).read().splitlines()
    script = "\n".join(line for line in lines if not line.lstrip().startswith("--"))
    with engine.begin() as conn:
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(text(statement))
with engine.begin() as conn:
    for statement in job.get("sql", []):
        conn.execute(text(statement))
answers = None
if job.get("contexts") is not None:
    from novi.client import flag
    with engine.connect() as conn:
        names = [row[0] for row in conn.execute(text("SELECT name FROM flags ORDER BY id"))]
    answers = {}
    for name in names:
        answers[name] = [flag.is_enabled(name, ctx) for ctx in job["contexts"]]
print(json.dumps(answers))
'''


def server_url(backend):
    var = {"postgres": "NOVI_TEST_POSTGRES_URL", "mysql": "NOVI_TEST_MYSQL_URL"}[backend]
    url = os.environ.get(var)
    assert url, f"set {var} (scripts/test starts the server and sets it)"
    return url


class Database:
    """A fresh database of `backend`, with its SQLAlchemy URL for both Novis."""

    def __init__(self, backend, tmp_path):
        self.backend = backend
        self.tmp_path = tmp_path
        if backend == "sqlite":
            self.url = f"sqlite:///{tmp_path / 'novi.db'}"
            self.drop = None
            return
        admin = server_url(backend)
        name = f"novi_py_{uuid.uuid4().hex[:12]}"
        parts = urlsplit(admin)
        driver = {"postgres": "postgresql+psycopg2", "mysql": "mysql+pymysql"}[backend]
        admin_url = urlunsplit((driver, parts.netloc, parts.path, parts.query, ""))
        self.url = urlunsplit((driver, parts.netloc, "/" + name, parts.query, ""))
        self._admin(admin_url, f"CREATE DATABASE {name}")
        self.drop = lambda: self._admin(admin_url, f"DROP DATABASE {name}")

    @staticmethod
    def _admin(url, statement):
        """Runs `statement` outside a transaction (CREATE and DROP DATABASE need that)."""
        code = (
            "import sys; from sqlalchemy import create_engine, text\n"
            "e = create_engine(sys.argv[1], isolation_level='AUTOCOMMIT')\n"
            "c = e.connect(); c.execute(text(sys.argv[2])); c.close(); e.dispose()\n"
        )
        python = reference_novi.reference_python()
        subprocess.run([python, "-c", code, url, statement], check=True, timeout=60)

    def reference(self, create=None, sql=(), contexts=None):
        """Runs Python Novi on this database (with a novi.ini naming it, as its users do)."""
        workdir = self.tmp_path / "python-novi"
        workdir.mkdir(exist_ok=True)
        (workdir / "novi.ini").write_text(f"[database]\nurl={self.url}\necho=False\n")
        job = {"url": self.url, "create": create, "sql": list(sql), "contexts": contexts}
        env = {k: v for k, v in os.environ.items() if not k.startswith("NOVI_")}
        run = subprocess.run(
            [reference_novi.reference_python(), "-c", REFERENCE, json.dumps(job)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout.strip().splitlines()[-1])

    def create_as_python_novi(self):
        if self.backend == "mysql":
            # Python Novi's models cannot create their tables on MySQL (VARCHAR needs a length):
            # its users wrote this DDL by hand.
            self.reference(create=str(FIXTURES / "python-schema-mysql.sql"))
        else:
            self.reference(create="models")
        self.reference(create=str(SAMPLE_DATA))


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path):
    db = Database(request.param, tmp_path)
    yield db
    if db.drop:
        db.drop()


def defined(answer):
    """Python Novi's answer where it is defined: True or False (None is its leak of an
    undecided fold, which Novi decides; see the README's differences)."""
    return answer in (True, False)


def test_the_engine_adopts_python_novis_tables_and_answers_as_it_does(database):
    database.create_as_python_novi()
    before = database.reference(contexts=CONTEXTS)
    assert set(before) == {
        "Date Activated Feature",
        "Random Variant Feature",
        "Combo AND",
        "Combo OR",
    }
    with novi.Engine(database.url, refresh_interval=0.2) as engine:
        compared = 0
        for name, answers in before.items():
            for context, answer in zip(CONTEXTS, answers):
                if defined(answer):
                    assert engine.is_enabled(name, context) == answer, (name, context)
                    compared += 1
        assert compared >= 20
        # Both answers occur: the comparison can fail either way.
        assert {True, False} <= {a for answers in before.values() for a in answers}

        # A write made by Python Novi's side (its SQL, not Novi's) reaches the engine.
        database.reference(sql=["UPDATE flags SET status = FALSE WHERE name = 'Combo OR'"])
        deadline = time.monotonic() + 10
        while engine.is_enabled("Combo OR", CONTEXTS[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not engine.is_enabled("Combo OR", CONTEXTS[0])

    # The migrated database still serves Python Novi, with the same answers.
    after = database.reference(
        sql=["UPDATE flags SET status = TRUE WHERE name = 'Combo OR'"], contexts=CONTEXTS
    )
    assert after == before
