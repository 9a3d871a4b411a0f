"""Deployments against a real IM 2.0.0 (Dummy cloud, 127.0.0.1 only)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from im_server import ROOT, im_server, needs_im  # noqa: F401

from primage_tosca import lifecycle
from primage_tosca.im.client import IMAuthError, IMNotFound, IMUnreachable
from primage_tosca.lifecycle.store import Store

pytestmark = needs_im

BLUEPRINT = """\
tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  inputs:
    mem: {{type: scalar-unit.size, default: 1 GB}}
    admin_token: {{type: string, default: s3cr3t-token}}
  node_templates:
    vm:
      type: tosca.nodes.Compute
      capabilities:
        scalable:
          properties: {{min_instances: 0, max_instances: 10, default_instances: {count}}}
        endpoint:
          properties: {{network_name: PUBLIC}}
        host:
          properties: {{num_cpus: 1, mem_size: {{get_input: mem}}}}
        os:
          properties: {{type: linux}}
  outputs:
    ip:
      value: {{get_attribute: [vm, public_address]}}
    url:
      value: {{concat: ["http://", {{get_attribute: [vm, private_address]}}, "/"]}}
"""


def blueprint(tmp_path: Path, count: int = 1, name: str = "app.yaml") -> Path:
    path = tmp_path / name
    path.write_text(BLUEPRINT.format(count=count), encoding="utf-8")
    return path


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    from primage_tosca import cli, cli_lifecycle

    parser = argparse.ArgumentParser(prog="primage-tosca")
    commands = parser.add_subparsers(dest="command")
    cli_lifecycle.add_commands(commands)
    args = parser.parse_args(argv)
    code = args.handler(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def im(im_server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("PRIMAGE_TOSCA_IM_URL", im_server.url)
    monkeypatch.setenv("PRIMAGE_TOSCA_IM_AUTH", str(im_server.auth_file))
    return im_server


def test_deploy_radl_inspect_outputs_undeploy_twice(im, tmp_path, capsys):
    path = blueprint(tmp_path)
    code, out, err = run_cli(["deploy", str(path), "--name", "web", "--no-contextualize"], capsys)
    assert code == 0, err
    ident = out.split()[0]
    assert "configured" in out and "infrastructure: configured" in err  # progress lines, not a TTY
    record = Store().get(ident)
    assert record.infra_id and record.kind == "radl" and record.inputs["admin_token"] == "***"
    assert record.auth_path == str(im.auth_file) and [h["state"] for h in record.history][0] == "submitting"

    code, out, _ = run_cli(["list", "--json"], capsys)
    assert [d["id"] for d in json.loads(out)] == [ident]

    code, out, _ = run_cli(["inspect", "web", "--json"], capsys)
    data = json.loads(out)
    assert data["state"] == "configured" and data["vms"][0]["node"] == "vm"
    assert {a["ip"] for a in data["vms"][0]["addresses"]} == {"127.0.0.1"}

    code, out, _ = run_cli(["outputs", ident, "--json"], capsys)
    assert json.loads(out) == {"ip": "127.0.0.1", "url": "http://127.0.0.1/"}

    code, out, _ = run_cli(["logs", ident], capsys)
    assert code == 0

    password = im.auth().im_credential().values["password"].reveal()
    assert password not in Path(Store().path).read_bytes().decode("latin-1")

    assert run_cli(["undeploy", ident], capsys)[0] == 0
    code, out, _ = run_cli(["undeploy", ident], capsys)
    assert code == 0 and "deleted" in out
    with pytest.raises(IMNotFound):
        lifecycle.client_for(Store().get(ident)).state(record.infra_id)


def test_deploy_as_tosca(im, tmp_path):
    record = lifecycle.deploy(blueprint(tmp_path), kind="tosca", timeout=60)
    assert record.state == "configured" and record.kind == "tosca"
    assert "primage_tosca_deployment" in record.payload
    result = lifecycle.outputs(record.id)
    assert result.get("ip") in ("127.0.0.1", ["127.0.0.1"])
    lifecycle.undeploy(record.id)


def test_reconfigure_scale_and_property(im, tmp_path, capsys):
    record = lifecycle.deploy(blueprint(tmp_path, 1), contextualize=False, timeout=60)
    three = blueprint(tmp_path, 3, "three.yaml")

    code, out, _ = run_cli(["reconfigure", record.id, str(three), "--dry-run", "--no-contextualize"], capsys)
    assert code == 0 and "scale node vm: 1 -> 3" in out and "nothing applied" in out
    assert len(lifecycle.inspect(record.id)["vms"]) == 1

    result = lifecycle.reconfigure(record.id, three, contextualize=False, timeout=60)
    assert result.applied and result.plan.scaled == {"vm": (1, 3)}
    assert len(lifecycle.inspect(record.id)["vms"]) == 3

    result = lifecycle.reconfigure(record.id, blueprint(tmp_path, 1, "one.yaml"), contextualize=False, timeout=60)
    assert result.plan.scaled == {"vm": (3, 1)}
    view = lifecycle.inspect(record.id)
    assert len(view["vms"]) == 1 and view["state"] == "configured"

    # memory is a VM size: IM does not resize a running VM, so it is not claimed as applied
    code, out, _ = run_cli(["reconfigure", record.id, "-i", "mem=2 GB", "--no-contextualize"], capsys)
    assert code == 1 and "memory.size >= 2000000000B" in out and "not applied" in out
    assert "applied: reconfigured" not in out and "1000000000B" in Store().get(record.id).payload

    code, out, _ = run_cli(["reconfigure", record.id, "-i", "mem=2 GB", "--replace-vms"], capsys)
    assert code == 0 and "replaced 1 VM(s) of vm" in out
    stored = Store().get(record.id)
    assert "2000000000B" in stored.payload and stored.history[-1]["state"] == "configured"
    lifecycle.undeploy(record.id)


def test_bad_radl_shows_ims_message(im, tmp_path):
    bad = tmp_path / "bad.radl"
    from primage_tosca.im.client import IMBadRequest

    client = lifecycle.connect().client
    with pytest.raises(IMBadRequest, match="Line"):
        client.create("network n (outbound = 'no')\nsystem s ( net_interface.0.connection = 'n' \ndeploy s 1")
    assert not bad.exists()


def test_another_users_deployment_is_refused(im, tmp_path, capsys):
    record = lifecycle.deploy(blueprint(tmp_path), contextualize=False, timeout=60)
    other = im.other_user_auth()
    with pytest.raises(IMAuthError, match="mallory"):
        lifecycle.inspect(record.id, auth=str(other))
    code, _, err = run_cli(["inspect", record.id, "--auth", str(other)], capsys)
    assert code == 1 and "for the credential id = im; type = InfrastructureManager; username = mallory" in err
    assert "other-secret" not in err
    lifecycle.undeploy(record.id)


def test_client_killed_between_submit_and_record(im, tmp_path):
    """The record is written before the submit; a crash before its completion
    leaves it 'submitting', and inspect finds the infrastructure by its mark."""
    script = textwrap.dedent(f"""
        import os
        from primage_tosca.lifecycle.store import Store
        real = Store.update
        def crash(self, ident, **fields):
            if fields.get("state") == "submitted":
                os._exit(9)
            return real(self, ident, **fields)
        Store.update = crash
        from primage_tosca import lifecycle
        lifecycle.deploy({str(blueprint(tmp_path))!r}, contextualize=False)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=120)
    assert done.returncode == 9
    [record] = Store().list()
    assert record.state == "submitting" and record.infra_id is None
    view = lifecycle.inspect(record.id)
    assert view["state"] == "configured" and view["deployment"]["infra_id"]
    assert any("reconciled" in h["detail"] for h in Store().get(record.id).history)
    lifecycle.undeploy(record.id)


def test_never_submitted_record_is_marked_failed(im, tmp_path):
    store = Store()
    record = store.create(name="ghost", im_url=im.url, kind="radl", payload="x", auth_path=str(im.auth_file))
    assert lifecycle.inspect(record.id)["state"] == "failed"
    assert lifecycle.undeploy(record.id).state == "deleted"


def test_compile_errors_stop_before_any_record(im, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("tosca_definitions_version: tosca_simple_yaml_1_0\ntopology_template:\n  node_templates:\n"
                      "    vm: {type: tosca.nodes.NoSuchType}\n")
    with pytest.raises(lifecycle.LifecycleError, match="cannot be compiled"):
        lifecycle.deploy(broken)
    assert Store().count() == 0


def test_im_down_then_restarted(tmp_path_factory, tmp_path, monkeypatch):
    from im_server import start_server

    server = start_server(tmp_path_factory.mktemp("im-restart"))
    try:
        monkeypatch.setenv("PRIMAGE_TOSCA_IM_URL", server.url)
        monkeypatch.setenv("PRIMAGE_TOSCA_IM_AUTH", str(server.auth_file))
        record = lifecycle.deploy(blueprint(tmp_path), contextualize=False, timeout=60)
        server.stop()
        with pytest.raises(IMUnreachable, match=server.url.replace(".", r"\.")):
            lifecycle.inspect(record.id)
        assert Store().get(record.id).infra_id == record.infra_id  # the record is kept
        server.start()  # same port, same sqlite data
        view = lifecycle.inspect(record.id)
        assert view["state"] == "configured" and len(view["vms"]) == 1
        lifecycle.undeploy(record.id)
    finally:
        server.stop()


def test_local_im_when_none_is_configured(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PRIMAGE_TOSCA_IM_URL", raising=False)
    monkeypatch.delenv("PRIMAGE_TOSCA_IM_AUTH", raising=False)
    try:
        code, out, err = run_cli(["deploy", str(blueprint(tmp_path)), "--no-contextualize"], capsys)
        assert code == 0 and "using the local IM at http://127.0.0.1:" in err
        code, out, _ = run_cli(["local-im", "status", "--json"], capsys)
        assert json.loads(out)["running"] is True
        ident = Store().list()[0].id
        assert run_cli(["undeploy", ident], capsys)[0] == 0
    finally:
        code, out, _ = run_cli(["local-im", "stop"], capsys)
    assert out.strip() == "stopped"


BLUEPRINT_2_0 = """\
tosca_definitions_version: tosca_2_0
imports:
  - profile: org.oasis-open.simple:2.0
service_template:
  inputs:
    mem: {type: Size, default: 1 GB}
  node_templates:
    vm:
      type: Compute
      capabilities:
        scalable:
          properties: {min_instances: 0, max_instances: 10, default_instances: 1}
        endpoint:
          properties: {network_name: PUBLIC}
        host:
          properties: {num_cpus: 1, mem_size: {$get_input: mem}}
        os:
          properties: {type: linux}
  outputs:
    ip:
      value: {$get_attribute: [vm, public_address]}
    url:
      value: {$concat: ["http://", {$get_attribute: [vm, private_address]}, "/"]}
"""


@pytest.mark.parametrize("kind", ["radl", "tosca"])
def test_deploy_a_2_0_blueprint(im, tmp_path, kind):
    # as RADL, compiled here; as TOSCA, in the 1.3 model IM's converter reads
    path = tmp_path / "app-2.0.yaml"
    path.write_text(BLUEPRINT_2_0, encoding="utf-8")
    record = lifecycle.deploy(path, kind=kind, timeout=60)
    assert record.state == "configured" and record.kind == kind
    result = lifecycle.outputs(record.id)
    assert result == {"ip": "127.0.0.1", "url": "http://127.0.0.1/"}
    assert kind == "radl" or "tosca_simple_yaml_1_3" in record.payload
    lifecycle.undeploy(record.id)
