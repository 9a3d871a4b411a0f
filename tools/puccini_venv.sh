#!/usr/bin/env bash
# Create .venv-puccini in the repository root with Puccini's Python package,
# a TOSCA processor written in Go whose wheel carries the compiled processor
# as a shared library (libpuccini.so) called through ctypes.
#
# Puccini is Apache-2.0; it lives in its own venv and runs as a separate
# program (tools/puccini_validate.py), used only as a benchmark peer and a test
# oracle for TOSCA 2.0. Nothing of it is copied into the project.
#
# PyPI ships a prebuilt wheel for CPython 3.11 on Linux x86_64 only; on any
# other interpreter pip falls back to the source distribution, whose build
# downloads a Go toolchain, which fails where only package registries are
# reachable. Point PYTHON at a 3.11 interpreter in that case.
#
# Idempotent: when .venv-puccini already has the pinned version and its
# library loads, it prints so and does nothing.
#
# Environment: PYTHON (default python3), PUCCINI_VENV (default
# <repo>/.venv-puccini), PIP_OPTS (extra pip options, e.g. an index URL).
set -euo pipefail

PUCCINI_VERSION="0.21.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PUCCINI_VENV:-$ROOT/.venv-puccini}"
PYTHON="${PYTHON:-python3}"
PY="$VENV/bin/python"
STAMP="$VENV/.puccini-$PUCCINI_VERSION-installed"

check() {
    "$PY" - "$PUCCINI_VERSION" <<'PYEOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
assert version("puccini") == sys.argv[1], version("puccini")
import puccini.tosca  # noqa: F401  loads libpuccini.so
PYEOF
}

if [ -x "$PY" ] && [ -f "$STAMP" ] && check; then
    echo "puccini_venv: $VENV already has puccini $PUCCINI_VERSION; nothing to do"
    exit 0
fi

if [ ! -x "$PY" ]; then
    echo "puccini_venv: creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
else
    echo "puccini_venv: reusing $VENV"
fi

echo "puccini_venv: upgrading pip"
"$PY" -m pip install --quiet --upgrade pip ${PIP_OPTS:-}
echo "puccini_venv: installing puccini==$PUCCINI_VERSION (prebuilt wheel only)"
# --only-binary: never start the source build, which would fetch Go from the web.
"$PY" -m pip install --quiet --only-binary puccini "puccini==$PUCCINI_VERSION" ${PIP_OPTS:-}

if ! check; then
    echo "puccini_venv: puccini $PUCCINI_VERSION is installed but puccini.tosca does not load:" >&2
    "$PY" -c 'import puccini.tosca' >&2 || true
    exit 1
fi
touch "$STAMP"
echo "puccini_venv: done; run tools/puccini_validate.py with $PY"
