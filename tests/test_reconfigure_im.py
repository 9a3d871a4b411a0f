"""Reconfigure and scaling on a real IM 2.0.0, with contextualization on (the
default: IM's Dummy VMs then end `unconfigured`, SSH to them fails) and off."""

from __future__ import annotations

import argparse
import json
import time

import pytest
from im_server import ROOT, im, im_server, needs_im  # noqa: F401

from primage_tosca import lifecycle
from primage_tosca.lifecycle.store import Store

pytestmark = needs_im

IMAGE = "ost://cloud.example.org/ubuntu-22.04"
CLUSTER = {"front_image": IMAGE, "wn_image": IMAGE}
CLUSTER_FILE = ROOT / "blueprints" / "kubernetes-cluster.yaml"



def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    from primage_tosca import cli_lifecycle

    parser = argparse.ArgumentParser(prog="primage-tosca")
    cli_lifecycle.add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code = args.handler(args)
    out, err = capsys.readouterr()
    return code, out, err


def nodes(record_id: str, expect: dict[str, int] | None = None) -> dict[str, list[str]]:
    """The VM ids of each node; with ``expect`` (node -> count), once IM has that
    many (VMs added without waiting appear within seconds)."""
    deadline = time.monotonic() + 60
    while True:
        found: dict[str, list[str]] = {}
        for vm in lifecycle.inspect(record_id)["vms"]:
            found.setdefault(vm["node"], []).append(vm["id"])
        if expect is None or {n: len(v) for n, v in found.items()} == expect or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def counts(record_id: str, expect: dict[str, int]) -> dict[str, int]:
    return {n: len(v) for n, v in nodes(record_id, expect).items()}


@pytest.mark.parametrize("contextualize", [True, False])
def test_scale_a_two_system_blueprint_up_and_down(im, contextualize):
    record = lifecycle.deploy(CLUSTER_FILE, inputs=CLUSTER, roots=[ROOT], contextualize=contextualize, wait=False)
    assert counts(record.id, {"front": 1, "wn": 1}) == {"front": 1, "wn": 1}

    up = lifecycle.reconfigure(record.id, inputs={"min_nodes": 3}, roots=[ROOT], wait=False)
    assert up.applied and up.plan.scaled == {"wn": (1, 3)}
    assert counts(record.id, {"front": 1, "wn": 3}) == {"front": 1, "wn": 3}

    down = lifecycle.reconfigure(record.id, inputs={"min_nodes": 1}, roots=[ROOT], wait=False)
    assert down.applied and down.plan.scaled == {"wn": (3, 1)}
    assert counts(record.id, {"front": 1, "wn": 1}) == {"front": 1, "wn": 1}
    assert ("contextualize ()" in Store().get(record.id).payload) is not contextualize
    lifecycle.undeploy(record.id)


def test_reconfigure_remembers_how_the_deployment_was_made(im, tmp_path, capsys):
    """--no-contextualize and the import map given at deploy time hold for reconfigure; flags override."""
    library = tmp_path / "vendor" / "types.yaml"
    library.parent.mkdir()
    library.write_text("tosca_definitions_version: tosca_simple_yaml_1_0\nnode_types:\n"
                       "  example.nodes.VM:\n    derived_from: tosca.nodes.Compute\n")
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"https://types.example.org/": "vendor/"}))
    (tmp_path / "hello.yml").write_text("- hosts: all\n  tasks:\n    - debug: msg=hello\n")
    blueprint = tmp_path / "app.yaml"
    blueprint.write_text("tosca_definitions_version: tosca_simple_yaml_1_0\n"
                         "imports:\n  - https://types.example.org/types.yaml\n"
                         "topology_template:\n  inputs:\n    cpus: {type: integer, default: 1}\n"
                         "  node_templates:\n    vm:\n      type: example.nodes.VM\n"
                         "      capabilities:\n        host:\n          properties: {num_cpus: {get_input: cpus}}\n"
                         "    hello:\n      type: tosca.nodes.SoftwareComponent\n"
                         "      requirements:\n        - host: vm\n"
                         "      interfaces:\n        Standard:\n          configure: hello.yml\n")
    code, out, err = run_cli(["deploy", str(blueprint), "--no-contextualize", "--import-map", str(mapping)], capsys)
    assert code == 0, err
    ident = out.split()[0]
    options = Store().get(ident).options
    assert options["contextualize"] is False and options["import_map"] == [str(mapping.resolve())]

    code, out, err = run_cli(["reconfigure", ident, "--dry-run", "-i", "cpus=1"], capsys)
    assert code == 0, err
    assert "no changes" in out  # neither a PT201 for the mapped URL nor contextualization coming back

    code, out, err = run_cli(["reconfigure", ident, "--dry-run", "--contextualize"], capsys)
    assert code == 0, err
    assert "contextualization" in out  # the flag wins over the remembered option
    lifecycle.undeploy(ident)


def test_vm_sizes_are_not_claimed_as_applied(im, capsys):
    record = lifecycle.deploy(CLUSTER_FILE, inputs=CLUSTER, roots=[ROOT], contextualize=False, timeout=60)
    before = nodes(record.id)

    code, out, err = run_cli(["reconfigure", record.id, "-i", "wn_cpus=8", "--root", str(ROOT)], capsys)
    assert code == 1
    assert "applied: reconfigured" not in out
    assert "not applied" in out and "cpu.count" in out and "--replace-vms" in out
    assert nodes(record.id) == before
    again = lifecycle.reconfigure(record.id, inputs={"wn_cpus": 8}, roots=[ROOT], dry_run=True)
    assert again.plan.fixed == {"wn": ["cpu.count >= 8"]}  # still pending: the record kept the old size

    code, out, err = run_cli(["reconfigure", record.id, "-i", "wn_cpus=8", "--root", str(ROOT), "--replace-vms"],
                             capsys)
    assert code == 0, err
    assert "replaced 1 VM(s) of wn" in out
    after = nodes(record.id)
    assert after["front"] == before["front"] and len(after["wn"]) == 1 and after["wn"] != before["wn"]
    client = lifecycle.client_for(Store().get(record.id))
    info = client.vm_info(record.infra_id, after["wn"][0])
    system = next(i for i in info if i.get("class") == "system")
    assert system.get("cpu.count_min") == 8 or system.get("cpu.count") == 8
    assert lifecycle.reconfigure(record.id, inputs={"wn_cpus": 8}, roots=[ROOT], dry_run=True).plan.empty
    lifecycle.undeploy(record.id)


RADL = """\
network public (outbound = 'yes')
system vm (
cpu.count >= 1 and
net_interface.0.connection = 'public' and
disk.0.os.name = 'linux'
)
configure vm_conf (
@begin
- tasks:
  - debug: msg=hello
@end
)
contextualize (
system vm configure vm_conf step 1
)
deploy vm 1
"""


def test_no_contextualize_is_honoured_for_a_radl_file(im, tmp_path):
    path = tmp_path / "plain.radl"
    path.write_text(RADL)
    record = lifecycle.deploy(path, contextualize=False, timeout=60)
    assert record.state == "configured"  # with the contextualize block, Dummy VMs end unconfigured
    stored = Store().get(record.id)
    assert "contextualize ()" in stored.payload and "system vm configure vm_conf" not in stored.payload
    assert len(stored.payload.splitlines()) >= len(RADL.splitlines())  # the user's lines keep their numbers
    lifecycle.undeploy(record.id)
