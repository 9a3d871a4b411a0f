#!/usr/bin/env bash
# Creates .venv-ec3 with the real ec3-cli from PyPI, the peer of the EC3
# target's tests. ec3-cli pins dependencies of its own, so it gets its own
# venv. Idempotent: does nothing when the pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

EC3_VERSION=2.2.1
VENV=.venv-ec3
PY="$VENV/bin/python"

if [ -x "$VENV/bin/ec3" ] && "$PY" -c "from importlib.metadata import version; assert version('ec3-cli') == '$EC3_VERSION'" 2>/dev/null; then
    echo "ec3_venv: $VENV already has ec3-cli $EC3_VERSION; nothing to do"
    exit 0
fi
echo "ec3_venv: creating $VENV with ec3-cli $EC3_VERSION"
"${PYTHON:-python3}" -m venv "$VENV"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet "ec3-cli==$EC3_VERSION"
echo "ec3_venv: done; ec3 is $PWD/$VENV/bin/ec3"
