"""Deploy, wait until configured and undeploy 10 VMs on the local IM, beside
IM's own client (`im_client create` synchronously, `wait`, `destroy`) with
the same RADL, against the same server, in the same run.

Target (issue 4): ours takes at most 1.2x the peer's time (ratio >= 1/1.2).
Our side runs as two CLI processes (`deploy --wait`, `undeploy`), the peer
as three (`create`, `wait`, `destroy`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .isolate import worker_env
from .paths import ROOT
from .record import Config, Result

NAME = "deploy-10-vms"
TARGET_RATIO = 1 / 1.2
VMS = 10
BLUEPRINT = f"""\
tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  node_templates:
    vm:
      type: tosca.nodes.Compute
      capabilities:
        scalable:
          properties: {{min_instances: 0, max_instances: 100, default_instances: {VMS}}}
        endpoint:
          properties: {{network_name: PUBLIC}}
        host:
          properties: {{num_cpus: 1, mem_size: 1 GB}}
        os:
          properties: {{type: linux}}
"""
# The deployment commands through the CLI's own handlers (the top-level CLI
# has them once cli.py wires cli_lifecycle in; this works either way).
OURS = """
import argparse, sys
from primage_tosca import cli_lifecycle
parser = argparse.ArgumentParser()
commands = parser.add_subparsers(dest="command")
cli_lifecycle.add_commands(commands)
args = parser.parse_args(sys.argv[1:])
sys.exit(args.handler(args))
"""


def im_client() -> str | None:
    from primage_tosca.im.local import LocalIMError, find_python

    try:
        python = Path(find_python())
    except LocalIMError:
        return None
    beside = python.parent / "im_client"
    return str(beside) if beside.exists() else shutil.which("im_client")


def _run(command: list[str], env: dict) -> str:
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])}... failed ({done.returncode}): {(done.stderr or done.stdout)[-800:]}")
    return done.stdout


def run(config: Config) -> Result:
    client = im_client()
    if client is None:
        return Result.skip(NAME, "IM or im_client is not installed (make im-venv; pip install im-client there)")
    from primage_tosca.im.local import LocalIM

    folder = Path(tempfile.mkdtemp(prefix="primage-bench-deploy-"))
    server = LocalIM(folder / "im")
    try:
        status = server.start()
        env = worker_env() | {"PRIMAGE_TOSCA_HOME": str(folder / "home"), "PRIMAGE_TOSCA_IM_URL": status.url,
                              "PRIMAGE_TOSCA_IM_AUTH": str(server.auth_file)}
        blueprint = folder / "ten.yaml"
        blueprint.write_text(BLUEPRINT, encoding="utf-8")
        radl = folder / "ten.radl"
        radl.write_text(_run([sys.executable, "-m", "primage_tosca", "compile", str(blueprint), "--no-contextualize"],
                             env), encoding="utf-8")
        ours, peer = [], []
        for _ in range(1 if config.smoke else config.repeat):
            start = time.perf_counter()
            out = _run([sys.executable, "-c", OURS, "deploy", str(radl), "--json"], env)
            ident = __import__("json").loads(out)["id"]
            _run([sys.executable, "-c", OURS, "undeploy", ident], env)
            ours.append(time.perf_counter() - start)

            base = [client, "-r", status.url, "-a", str(server.auth_file)]
            start = time.perf_counter()
            out = _run(base + ["create", str(radl), "0"], env)
            infra = out.strip().split()[-1].strip(".")
            if "ID:" in out:
                infra = out.split("ID:")[-1].split()[0]
            _run(base + ["wait", infra], env)
            _run(base + ["-y", "destroy", infra], env)
            peer.append(time.perf_counter() - start)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return Result(NAME, measures=f"`deploy RADL --wait` (record, submit, poll) then `undeploy` of {VMS} Dummy VMs "
                                 "on the local IM, two CLI processes",
                  peer_measures="`im_client create RADL 0`, `wait`, `destroy` of the same RADL, three processes",
                  peer_label="im_client", ours=ours, peer=peer, target_ratio=TARGET_RATIO, judged=not config.smoke,
                  notes=["the same local IM 2.0.0 (Dummy cloud, every VM on 127.0.0.1) serves both sides",
                         "both send the RADL compiled once from the 10-VM blueprint before timing"])
