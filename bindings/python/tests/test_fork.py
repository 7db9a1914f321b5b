"""Engines around `os.fork()`: stopped before it, connected again after it, in the parent and
in the child, and never hanging the child."""

import os
import shutil
import signal
import time
import traceback

import pytest

import novi
from novi.client import flag

from conftest import IN_WINDOW, execute, make_python_novi_db, sqlalchemy_url

pytestmark = [
    # Python 3.12+ warns about forking a process with threads (the engines' background
    # threads): forking is what these tests are about.
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning"),
]

HUNG = "hung"


def run_in_child(check, timeout=30):
    """Runs `check` in a forked child; returns its exit code (0: passed), or HUNG if it did not
    end within `timeout` seconds (it is then killed)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = check()
        except BaseException:
            traceback.print_exc()
            code = 99
        finally:
            # Never return into pytest from the child.
            os._exit(code)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return HUNG


def test_the_child_evaluates_with_an_engine_of_its_own(module_db):
    assert flag.is_enabled("Date Activated Feature", IN_WINDOW)
    parents = flag.engine()
    parent_pid = os.getpid()

    def child():
        # A change the parent's snapshot cannot know: only a connected engine sees it.
        execute(module_db, "UPDATE flags SET status = 0 WHERE name = 'Date Activated Feature'")
        if flag.is_enabled("Date Activated Feature", IN_WINDOW):
            return 10
        mine = flag.engine()
        if mine is parents or mine.pid != os.getpid():
            return 11
        if not flag.is_enabled("Combo OR", IN_WINDOW):
            return 12
        # The parent's engine, inherited stopped, connects again here on its own.
        if parents.is_enabled("Date Activated Feature", IN_WINDOW):
            return 13
        if parents.pid != os.getpid():
            return 14
        parents.refresh()
        return 0

    assert run_in_child(child) == 0
    assert flag.engine() is parents
    # Stopped before the fork, the parent's engine connected again on this call: it sees the
    # child's write without a refresh.
    assert not flag.is_enabled("Date Activated Feature", IN_WINDOW)
    assert parents.pid == parent_pid
    assert flag.is_enabled("Combo OR", IN_WINDOW)


def test_an_explicit_engine_in_the_child(db):
    with novi.Engine(sqlalchemy_url(db)) as engine:
        assert engine.is_enabled("Combo OR", IN_WINDOW)

        def child():
            with novi.Engine(sqlalchemy_url(db)) as own:
                if not own.is_enabled("Combo OR", IN_WINDOW):
                    return 22
            # The inherited engine connects again here, and is closed at exit.
            if not engine.is_enabled("Combo OR", IN_WINDOW):
                return 24
            return 0 if engine.pid == os.getpid() else 25

        assert run_in_child(child) == 0
        # Nothing the child did closed anything of the parent's.
        execute(db, "UPDATE flags SET status = 0 WHERE name = 'Combo OR'")
        engine.refresh()
        assert not engine.is_enabled("Combo OR", IN_WINDOW)


def grandchild_round(url):
    """A parent engine; a child with an engine of its own forks a grandchild that uses the
    inherited one. Returns the child's exit code."""
    with novi.Engine(url) as engine:
        assert engine.is_enabled("Combo OR", IN_WINDOW)

        def grandchild():
            if not engine.is_enabled("Combo OR", IN_WINDOW):
                return 20
            return 0 if engine.pid == os.getpid() else 21

        def child():
            with novi.Engine(url) as own:
                if not own.is_enabled("Combo OR", IN_WINDOW):
                    return 22
                return 0 if run_in_child(grandchild) == 0 else 23

        return run_in_child(child)


def test_grandchildren_never_crash(db):
    """Forks of forks, each starting threads of its own. Before pools ended their threads when
    dropped, r2d2's idle workers outlived a stopped engine by up to 30 s, and about 1% of
    grandchildren crashed on the locks they left behind (parking_lot has no fork support)."""
    rounds = int(os.environ.get("NOVI_PY_FORK_ROUNDS", "300"))
    failed = [n for n in range(rounds) if grandchild_round(sqlalchemy_url(db)) != 0]
    assert failed == []


def test_forking_while_engines_work_never_hangs_the_child(db):
    # Right after an engine connects, its background thread opens the connection of its change
    # watcher, and SQLite takes process-wide locks to open a file. Without the fork hooks, a
    # child forked at that moment inherited those locks held for good, and about half such
    # children hung when they opened the same database.
    url = sqlalchemy_url(db)
    with novi.Engine(url, refresh_interval=0.001) as busy:
        for round_ in range(20):
            fresh = novi.Engine(url)
            assert fresh.is_enabled("Combo OR", IN_WINDOW)
            # Connects again after the previous fork: its threads run at this one.
            assert busy.is_enabled("Combo OR", IN_WINDOW)

            def child():
                with novi.Engine(url) as own:
                    if not own.is_enabled("Combo OR", IN_WINDOW):
                        return 30
                return 0 if fresh.is_enabled("Combo OR", IN_WINDOW) else 31

            assert run_in_child(child, timeout=10) == 0, f"round {round_}"
            fresh.close()


def test_an_engine_that_cannot_connect_again_answers_from_the_flags_it_had(tmp_path):
    folder = tmp_path / "gone"
    folder.mkdir()
    db = make_python_novi_db(folder / "novi.db")
    with novi.Engine(sqlalchemy_url(db)) as engine:
        assert engine.is_enabled("Combo OR", IN_WINDOW)
        # What a fork does to the engine, without forking: it stops.
        novi._novi._before_fork()
        novi._novi._after_fork_in_parent()
        shutil.rmtree(folder)
        assert engine.is_enabled("Combo OR", IN_WINDOW)
        assert engine.evaluate("Combo OR", IN_WINDOW)["reason"]["code"] == "all_matched"
        with pytest.raises(novi.NoviError, match="not connected"):
            engine.refresh()
    assert engine.closed
