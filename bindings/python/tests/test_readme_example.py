"""A Python Novi user's script, unchanged, against a database Python Novi created.

The script is the example of Python Novi 0.4.2's README, read at test time from its source
distribution (not copied into this repository): `from novi.client import flag`, the `enabled`
decorator with a context, and `flag.is_enabled`, configured by `novi.ini` and a
`logging.conf` in the working directory (the README names that file without giving it).
"""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import make_python_novi_db

def readme_example():
    """The example of Python Novi 0.4.2's README, exactly as its source distribution (from
    PyPI) has it: the Python block that configures logging and checks the flags.
    `scripts/test.sh` downloads the distribution and names its README in
    $NOVI_PY_REFERENCE_README."""
    path = os.environ.get("NOVI_PY_REFERENCE_README")
    assert path, (
        "set NOVI_PY_REFERENCE_README to the README.md of Python Novi 0.4.2's source "
        "distribution (scripts/test.sh does)"
    )
    blocks = re.findall(r"```python\n(.*?)```", Path(path).read_text(), flags=re.S)
    [example] = [block for block in blocks if "logging.config.fileConfig" in block]
    assert "from novi.client import flag" in example
    return example


NOVI_INI = "[database]\nurl=sqlite:///novi.db\necho=False\n"

LOGGING_CONF = textwrap.dedent(
    """
    [loggers]
    keys=root

    [handlers]
    keys=console

    [formatters]
    keys=plain

    [logger_root]
    level=DEBUG
    handlers=console

    [handler_console]
    class=StreamHandler
    level=DEBUG
    formatter=plain
    args=(sys.stdout,)

    [formatter_plain]
    format=%(asctime)s - %(name)s - %(levelname)s - %(message)s
    """
)


def test_readme_example_prints_its_two_lines(tmp_path):
    make_python_novi_db(tmp_path / "novi.db")
    (tmp_path / "novi.ini").write_text(NOVI_INI)
    (tmp_path / "logging.conf").write_text(LOGGING_CONF)
    (tmp_path / "example.py").write_text(readme_example())
    env = {k: v for k, v in os.environ.items() if k not in ("NOVI_DATABASE_URL", "DATABASE_URL")}
    run = subprocess.run(
        [sys.executable, "example.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    printed = [line for line in run.stdout.splitlines() if " - " not in line]
    assert printed == ["Feature active as of 11/26/2023 12:00 AM", "variation A"]
    # The engine logs through `logging`: where the database came from, and the adoption of
    # Python Novi's tables.
    assert "novi.engine - INFO - using sqlite://novi.db (from novi.ini [database] url)" in run.stdout
    assert "migration(s)" in run.stdout
