"""Remote mode: an engine that reads a `novi-web` server's snapshot with a client token (no
database credentials in the application) and follows its changes; Python activations are
built there too. Runs the real `novi-web` binary ($NOVI_WEB_BIN, which scripts/test.sh builds)
on 127.0.0.1 over a database Python Novi created."""

import os
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import novi
from novi.client import flag
from novi.core import BaseActivation

from conftest import IN_WINDOW, OUT_OF_WINDOW, execute, sqlalchemy_url

TOKEN = "client-secret-for-tests"
CONTEXTS = [
    None,
    {},
    IN_WINDOW,
    OUT_OF_WINDOW,
    {"seed": 333, "variant": "A"},
    {"seed": 333, "variant": "B", **IN_WINDOW},
    {"seed": 1, "variant": "A", **IN_WINDOW},
]


def _novi_web():
    path = os.environ.get("NOVI_WEB_BIN")
    assert path, "set NOVI_WEB_BIN to the novi-web binary (scripts/test.sh does)"
    assert Path(path).is_file(), f"NOVI_WEB_BIN={path} does not exist"
    return path


class Server:
    """A `novi-web` process on 127.0.0.1, stopped by `stop`."""

    def __init__(self, db, *args):
        env = {k: v for k, v in os.environ.items() if k not in ("NOVI_DATABASE_URL", "DATABASE_URL")}
        env["RUST_LOG"] = "info"
        self.process = subprocess.Popen(
            [
                _novi_web(),
                "--database-url",
                f"sqlite://{Path(db).resolve()}",
                "--bind",
                "127.0.0.1:0",
                "--refresh-interval",
                "60",
                *args,
            ],
            cwd=Path(db).parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.log = []
        found = threading.Event()
        self.port = None

        def read():
            for line in self.process.stderr:
                self.log.append(line)
                match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
                if match and self.port is None:
                    self.port = int(match.group(1))
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(60):
            self.stop()
            raise AssertionError("novi-web did not start:\n" + "".join(self.log))
        self.url = f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None, token=TOKEN):
        import http.client
        import json

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, (json.loads(data) if data else None)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def server(db):
    running = Server(db, "--client-token", TOKEN)
    yield running
    running.stop()


def eventually(what, check, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s: {what}")


def test_a_remote_engine_answers_as_the_database_does(db, server):
    with novi.Engine(sqlalchemy_url(db)) as local, novi.Engine.remote(server.url, TOKEN) as remote:
        assert remote.is_remote and not local.is_remote
        assert remote.url == server.url
        assert remote.revision == local.revision
        for context in CONTEXTS:
            assert remote.evaluate_all(context) == local.evaluate_all(context), context
            for name in local.evaluate_all():
                assert remote.is_enabled(name, context) == local.is_enabled(name, context)
        # The server's own evaluation agrees too.
        status, served = server.request("POST", "/evaluatedFlags", IN_WINDOW)
        assert status == 200
        assert {f["name"]: bool(f["status"]) for f in served} == {
            name: answer["enabled"] for name, answer in remote.evaluate_all(IN_WINDOW).items()
        }


def test_a_remote_engine_follows_the_servers_changes(server):
    with novi.Engine.remote(server.url, TOKEN) as remote:
        assert not remote.is_enabled("made remotely")
        status, created = server.request("POST", "/flags", {"name": "made remotely", "status": True})
        assert status == 201, created
        eventually("the engine sees the new flag", lambda: remote.is_enabled("made remotely"))
        status, _ = server.request(
            "PUT", "/flags/made%20remotely", {"name": "made remotely", "status": False}
        )
        assert status == 200
        eventually("the engine sees it off", lambda: not remote.is_enabled("made remotely"))


def test_a_wrong_or_missing_token_is_refused_without_showing_it(server):
    for token in (None, "not-the-token"):
        with pytest.raises(novi.NoviError) as raised:
            novi.Engine.remote(server.url, token)
        assert re.search(r"answered 40[13]", str(raised.value)), raised.value
        assert TOKEN not in str(raised.value)
    with pytest.raises(novi.ConfigError):
        novi.Engine.remote("ftp://127.0.0.1:1", TOKEN)


def test_python_activations_are_built_in_remote_mode(db, server):
    class Tenant(BaseActivation):
        def evaluate(self, context=None):
            return (context or {}).get("tenant") == self.config

    name = "novi_activations.remote.Tenant"
    # Stored by hand (the server links no class of that name, so its admin API refuses it).
    execute(
        db,
        f"INSERT INTO activations VALUES (40, 'acme only', '{name}', 'acme')",
        "INSERT INTO flags VALUES (40, 'acme feature', 1)",
        "INSERT INTO flags_activations VALUES (40, 40)",
    )
    with novi.Engine.remote(server.url, TOKEN, classes={name: Tenant}) as remote:
        eventually("the server serves the new rows", lambda: "acme feature" in remote.evaluate_all())
        assert remote.is_enabled("acme feature", {"tenant": "acme"})
        assert not remote.is_enabled("acme feature", {"tenant": "globex"})
        # A change of its config, followed over the stream, builds the class again.
        execute(db, "UPDATE activations SET config = 'globex' WHERE id = 40")
        eventually(
            "the engine rebuilds the class",
            lambda: remote.is_enabled("acme feature", {"tenant": "globex"}),
        )
    # Without the class, the flag fails closed with the reason.
    with novi.Engine.remote(server.url, TOKEN, classes={}) as remote:
        answer = remote.evaluate("acme feature", {"tenant": "globex"})
        assert answer["enabled"] is False
        assert answer["reason"]["code"] == "activation_error", answer


def test_a_remote_engine_starts_from_its_backup_when_the_server_is_down(db, tmp_path):
    backup = str(tmp_path / "snapshot.json")
    running = Server(db, "--client-token", TOKEN)
    try:
        with novi.Engine.remote(running.url, TOKEN, backup_file=backup) as remote:
            assert remote.is_enabled("Combo OR", IN_WINDOW)
    finally:
        running.stop()
    with novi.Engine.remote(running.url, TOKEN, backup_file=backup, timeout=1) as remote:
        assert remote.is_enabled("Combo OR", IN_WINDOW)
    with pytest.raises(novi.NoviError):
        novi.Engine.remote(running.url, TOKEN, timeout=1)


def test_the_module_level_api_reads_the_server_named_by_the_environment(server, monkeypatch):
    flag.close()
    monkeypatch.setenv("NOVI_REMOTE_URL", server.url)
    monkeypatch.setenv("NOVI_CLIENT_TOKEN", TOKEN)
    try:
        assert flag.is_enabled("Combo OR", IN_WINDOW)
        assert flag.engine().is_remote
    finally:
        flag.close()


SCRIPT = textwrap.dedent(
    """
    from novi.client import flag

    print(flag.engine().is_remote, flag.is_enabled("Combo OR", {"currentDateTime": "11/26/2023 12:00 AM"}))
    """
)


def test_novi_ini_can_name_the_server(server, tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "novi.ini").write_text(
        f"[database]\nurl=sqlite:///novi.db\n\n[remote]\nurl={server.url}\ntoken={TOKEN}\n"
    )
    (app / "check.py").write_text(SCRIPT)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NOVI_DATABASE_URL", "NOVI_REMOTE_URL", "NOVI_CLIENT_TOKEN")
    }
    run = subprocess.run(
        [sys.executable, "check.py"], cwd=app, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True"]
    # The database of [database] was not touched.
    assert not (app / "novi.db").exists()


def test_the_gil_is_released_while_the_engine_waits():
    """A server that accepts the connection and never answers: while one thread waits in
    `Engine.remote` (in Rust, until its 2 s timeout), another thread keeps running Python and
    notes the time as it goes. Had the engine held the GIL, that thread could not have run in
    the middle of the wait."""
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    done = threading.Event()
    stamps = []

    def count():
        n = 0
        while not done.is_set():
            n += 1
            if n % 10_000 == 0:
                stamps.append(time.monotonic())

    counter = threading.Thread(target=count)
    counter.start()
    try:
        start = time.monotonic()
        with pytest.raises(novi.NoviError):
            novi.Engine.remote(f"http://127.0.0.1:{port}", TOKEN, timeout=2)
        end = time.monotonic()
    finally:
        done.set()
        counter.join(10)
        silent.close()
    assert end - start > 1.5, "the call did not wait for its timeout"
    middle = [t for t in stamps if start + 0.5 < t < end - 0.5]
    assert middle, "no Python ran in another thread while the engine waited"
