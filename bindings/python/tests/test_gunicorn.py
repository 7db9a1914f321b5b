"""Under gunicorn, with several workers and threads each: with `--preload` (the engine is
created in the master, before the workers are forked) and without (each worker creates its
own). Every request gets the right answer, from more than one worker, a change reaches every
worker, and gunicorn stops cleanly. Traffic goes to 127.0.0.1 only and is bounded."""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import IN_WINDOW, OUT_OF_WINDOW, execute

APP = textwrap.dedent(
    '''
    import json
    import os
    import threading

    from novi.client import flag

    # With --preload this runs in the master: the engine exists before the workers fork.
    flag.is_enabled("Combo OR", {})


    def app(environ, start_response):
        window = environ.get("QUERY_STRING") == "in"
        context = {"currentDateTime": "11/26/2023 12:00 AM" if window else "11/28/2023 12:00 AM"}
        body = json.dumps({
            "pid": os.getpid(),
            "thread": threading.get_ident(),
            "combo_or": flag.is_enabled("Combo OR", context),
            "date": flag.is_enabled("Date Activated Feature", context),
        }).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    '''
)


def get(port, query):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/?{query}", timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.parametrize("preload", [True, False], ids=["preload", "no-preload"])
def test_workers_and_threads_answer_and_follow_changes(db, tmp_path, preload):
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(APP)
    (app_dir / "novi.ini").write_text(f"[database]\nurl=sqlite:///{Path(db).resolve()}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("NOVI_DATABASE_URL", "NOVI_REMOTE_URL")}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    args = [str(gunicorn), "--workers", "3", "--threads", "4", "--bind", "127.0.0.1:0"]
    args += ["--graceful-timeout", "10", "--log-level", "info"]
    if preload:
        args.append("--preload")
    process = subprocess.Popen(
        [*args, "app:app"],
        cwd=app_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = []
    port_found = threading.Event()
    port = []

    def read():
        for line in process.stderr:
            log.append(line)
            match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
            if match and not port:
                port.append(int(match.group(1)))
                port_found.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert port_found.wait(60), "gunicorn did not start:\n" + "".join(log)
        port = port[0]
        # Workers boot after the master listens: wait until requests are answered.
        deadline = time.monotonic() + 30
        while True:
            try:
                get(port, "in")
                break
            except OSError:
                assert time.monotonic() < deadline, "".join(log)
                time.sleep(0.05)

        queries = ["in", "out"] * 150
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda q: (q, get(port, q)), queries))
        assert len(answers) == 300
        for query, answer in answers:
            assert answer["combo_or"] is (query == "in"), answer
            assert answer["date"] is (query == "in"), answer
        pids = {answer["pid"] for _, answer in answers}
        assert len(pids) >= 2, pids
        assert process.pid not in pids

        # A change made elsewhere reaches every worker (each has its own engine and watcher).
        execute(db, "UPDATE flags SET status = 0 WHERE name = 'Combo OR'")
        deadline = time.monotonic() + 15
        seen_off = set()
        while True:
            with ThreadPoolExecutor(max_workers=8) as pool:
                batch = list(pool.map(lambda _: get(port, "in"), range(24)))
            if all(answer["combo_or"] is False for answer in batch):
                seen_off |= {answer["pid"] for answer in batch}
                if seen_off >= pids:
                    break
            assert time.monotonic() < deadline, f"workers still on: {batch}"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError("gunicorn did not stop within 30 s:\n" + "".join(log))
        reader.join(5)
    assert code == 0, "".join(log)
    assert not any("Traceback" in line or "WORKER TIMEOUT" in line for line in log), "".join(log)
