#!/usr/bin/env bash
# Create .venv-im in the repository root with IM's TOSCA converter (the slim
# install: IM itself without its dependencies, then only what IM.tosca and the
# REST server need, about 170 MB instead of 740 MB).
#
# IM is GPL-3.0: it lives in its own venv and runs as a separate program,
# used only as a test peer (tests/im_equivalence.py). Nothing of it is copied
# into the project.
#
# Idempotent: when .venv-im already has the pinned IM and its converter
# imports, it prints so and does nothing.
#
# Environment: PYTHON (default python3, 3.10+), IM_VENV (default
# <repo>/.venv-im), PIP_OPTS (extra pip options, e.g. an index URL).
set -euo pipefail

IM_VERSION="2.0.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${IM_VENV:-$ROOT/.venv-im}"
PYTHON="${PYTHON:-python3}"
PY="$VENV/bin/python"
STAMP="$VENV/.im-$IM_VERSION-installed"

# The dependencies IM's converter and server import, without the ansible
# collections bundle that `pip install im` would pull in. The two that decide
# what the converter accepts and writes are pinned to the measured versions.
DEPS=(radl==1.3.5 tosca-parser==2.15.0 requests-cache PyYAML fastapi uvicorn python-multipart
      psutil paramiko scp netaddr pydantic defusedxml xmltodict packaging
      requests ansible-core suds-community hvac lxml
      im-client==1.8.4)  # IM's own client: the peer of the deploy benchmark

check() {
    "$PY" - "$IM_VERSION" <<'PYEOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
assert version("im") == sys.argv[1], version("im")
assert version("tosca-parser") == "2.15.0" and version("radl") == "1.3.5"
assert version("im-client")
import IM.tosca.Tosca  # noqa: F401  the converter imports
PYEOF
}

if [ -x "$PY" ] && [ -f "$STAMP" ] && check; then
    echo "im_venv: $VENV already has IM $IM_VERSION; nothing to do"
    exit 0
fi

if [ ! -x "$PY" ]; then
    echo "im_venv: creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
else
    echo "im_venv: reusing $VENV"
fi

echo "im_venv: upgrading pip"
"$PY" -m pip install --quiet --upgrade pip ${PIP_OPTS:-}
echo "im_venv: installing im==$IM_VERSION without its dependencies"
"$PY" -m pip install --quiet --no-deps "im==$IM_VERSION" ${PIP_OPTS:-}
echo "im_venv: installing the converter's dependencies: ${DEPS[*]}"
echo "im_venv: (pip's note that im requires ansible, apache-libcloud, boto3 and scar is expected:"
echo "im_venv:  the slim install leaves out the cloud connectors and the ansible collections bundle)"
"$PY" -m pip install --quiet "${DEPS[@]}" ${PIP_OPTS:-}

if ! check; then
    echo "im_venv: IM $IM_VERSION is installed but IM.tosca.Tosca does not import:" >&2
    "$PY" -c 'import IM.tosca.Tosca' >&2 || true
    exit 1
fi
touch "$STAMP"
echo "im_venv: done; IM's python is $PY (export PRIMAGE_TOSCA_IM_PYTHON=$PY)"
