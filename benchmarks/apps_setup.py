"""What the two Kubernetes application benchmarks share: the local API server
and Oneprovider of the test suite (tests/kube_server.py, tests/onedata_server.py),
and the HTC blueprint's inputs.

Both benchmarks run in this process, servers in threads beside the client: the
benchmark worker refuses every connection (so that no benchmark waits on the
network), and these must talk to 127.0.0.1. Both sides of each benchmark share
the same servers and the same process, so neither is favoured."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from .paths import ROOT, load_test_helper

HTC = ROOT / "blueprints" / "htc-segmentation.yaml"
TOKEN = "onedata-token"


def servers(files: int = 0):
    """A started KubeServer, and a started OneproviderServer with ``files``
    inputs in primage-data/inputs (and a few files the pattern leaves out)."""
    load_test_helper("local_http")  # what both servers import
    kube = load_test_helper("kube_server").KubeServer(deletion_delay=0.0).start()
    provider = load_test_helper("onedata_server").OneproviderServer(token=TOKEN).__enter__()
    for i in range(files):
        provider.add(f"primage-data/inputs/p{i:05d}.nii.gz", b"x")
    for name in ("README.md", "notes.txt", "subjects.csv"):
        provider.add(f"primage-data/inputs/{name}", b"-")
    return kube, provider


def htc_inputs(provider_url: str, **more) -> dict:
    base = yaml.safe_load((ROOT / "tests" / "fixtures" / "platform" / "htc-inputs.yaml").read_text())
    base.pop("input_listing")
    return base | {"onedata_provider": provider_url, "onedata_token": TOKEN,
                   "registry_password": "registry-password"} | more


def scratch_home() -> Path:
    """A data dir of its own (the store), so the user's is never touched."""
    home = Path(tempfile.mkdtemp(prefix="primage-bench-apps-"))
    os.environ["PRIMAGE_TOSCA_HOME"] = str(home)
    os.environ["PRIMAGE_TOSCA_CONFIG"] = os.devnull
    return home


def options(inputs: dict):
    from primage_tosca.options import load_options

    return load_options(inputs=inputs, roots=[str(ROOT)], use_config=False)
