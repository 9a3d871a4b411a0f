"""Inputs and odd values on the command line: inputs read with the template
reader's limits, clean errors instead of tracebacks, outputs that would
overwrite an input, deployment names, the config file found from the
template's folder, and `deploy --as tosca` of the bundled blueprints."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from im_server import ROOT, im, im_server, needs_im  # noqa: F401

from primage_tosca import cli, lifecycle
from primage_tosca.lifecycle.store import Store
from primage_tosca.source.inputs import InputsError, collect_inputs

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 9)}]\n" for n in range(8))

VALID = """\
tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  inputs:
    cpus: {type: integer, default: 1}
  node_templates:
    vm:
      type: tosca.nodes.Compute
      capabilities:
        host:
          properties: {num_cpus: {get_input: cpus}}
"""


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def run(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "primage_tosca", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env=env)


# -- inputs through the reader --------------------------------------------------------------------

def test_an_alias_bomb_in_an_inputs_file_is_refused(tmp_path):
    path = tmp_path / "inputs.yaml"
    path.write_text(BOMB)
    started = time.monotonic()
    with pytest.raises(InputsError, match="alias"):
        collect_inputs([path])
    assert time.monotonic() - started < 5


def test_an_alias_bomb_in_an_input_value_is_refused():
    value = "[" + ", ".join(["&a [x, x, x, x, x, x, x, x, x]"] + ["*a"] * 3) + "]"
    assert collect_inputs([], [f"ok={value}"])["ok"][1] == ["x"] * 9  # a few aliases are fine
    with pytest.raises(InputsError, match="alias"):
        collect_inputs([], ["x=" + BOMB.replace("\n", ", ").rstrip(", ").join("{}")])


def test_the_inputs_file_is_held_to_max_file_size(tmp_path, capsys):
    path = tmp_path / "inputs.yaml"
    path.write_text("cpus: 2\nnote: " + "x" * 3000 + "\n")
    with pytest.raises(InputsError, match="3,0[0-9][0-9] bytes.*2,000"):
        collect_inputs([path], max_bytes=2000)
    template = tmp_path / "t.yaml"
    template.write_text(VALID)
    code, _, err = run_cli(["validate", str(template), "--inputs", str(path), "--max-file-size", "2KB"], capsys)
    assert code == 2 and "over the 2,000-byte limit" in err


@pytest.mark.parametrize("where", ["file", "value"])
def test_a_self_referencing_alias_is_an_error(tmp_path, capsys, where):
    template = tmp_path / "t.yaml"
    template.write_text(VALID)
    if where == "file":
        path = tmp_path / "inputs.yaml"
        path.write_text("cpus: &a [1, *a]\n")
        argv = ["compile", str(template), "--inputs", str(path)]
    else:
        argv = ["compile", str(template), "-i", "cpus=&a [1, *a]"]
    code, _, err = run_cli(argv, capsys)
    assert code == 2 and "alias" in err and "Traceback" not in err


def test_inputs_errors_name_the_place(tmp_path):
    path = tmp_path / "inputs.yaml"
    path.write_text("cpus: 2\nbad: [1\n")
    with pytest.raises(InputsError, match=f"{path}:3:1"):
        collect_inputs([path])
    assert collect_inputs([], ["x=[1", "y=a: b", "z=2"]) == {"x": "[1", "y": {"a": "b"}, "z": 2}


# -- tracebacks turned into errors ---------------------------------------------------------------------

def test_a_list_where_a_string_is_expected(capsys):
    code, _, err = run_cli(["compile", str(ROOT / "blueprints" / "hello-compute.yaml"), "-i", "image=[a,b]",
                            "--root", str(ROOT)], capsys)
    assert code == 1 and "Traceback" not in err and "image" in err


def test_a_non_integer_node_port_for_kubernetes(capsys):
    inputs = ["onedata_provider=p.example.org", "onedata_space=s", "onedata_token=t0ken-value",
              "notebook_token=n0tebook-token", "public_host=h.example.org", "node_port=abc"]
    argv = ["compile", str(ROOT / "blueprints" / "jupyter-notebook.yaml"), "--to", "k8s", "--root", str(ROOT)]
    for item in inputs:
        argv += ["-i", item]
    code, _, err = run_cli(argv, capsys)
    assert code == 1 and "Traceback" not in err and "abc" in err
    code, _, err = run_cli(argv + ["--no-validate"], capsys)
    assert code == 1 and "Traceback" not in err and "abc" in err


@pytest.mark.parametrize("value", ["99999999999999999999999", "0", "-1"])
def test_list_limit_out_of_range(capsys, value):
    code, _, err = run_cli(["list", "--limit", value], capsys)
    assert code == 2 and "--limit" in err
    code, _, err = run_cli(["list", "--page", value], capsys)
    assert code == 2 and "--page" in err


def test_output_into_a_missing_folder(tmp_path, capsys):
    template = tmp_path / "t.yaml"
    template.write_text(VALID)
    target = tmp_path / "missing" / "out"
    for argv in (["validate", str(template), "-o", str(target)],
                 ["graph", str(template), "-o", str(target)]):
        code, _, err = run_cli(argv, capsys)
        assert code == 2 and "missing" in err and "Traceback" not in err, argv


@pytest.mark.parametrize("command", ["validate", "compile", "graph"])
def test_an_output_that_is_an_input_is_refused(tmp_path, capsys, command):
    template = tmp_path / "t.yaml"
    template.write_text(VALID)
    code, _, err = run_cli([command, str(template), "-o", str(template)], capsys)
    assert code == 2 and "input" in err
    assert template.read_text() == VALID
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text("cpus: 2\n")
    code, _, err = run_cli([command, str(template), "--inputs", str(inputs), "-o", str(tmp_path / "." / "inputs.yaml")],
                           capsys)
    assert code == 2 and inputs.read_text() == "cpus: 2\n"


# -- names ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["", " ", "x" * 5000, "two\nlines", "bell\x07", "esc\x1b[31mred", "rtl\u202e"])
def test_bad_deployment_names_are_refused(tmp_path, capsys, name):
    template = tmp_path / "t.yaml"
    template.write_text(VALID)
    code, _, err = run_cli(["deploy", str(template), "--name", name, "--im-url", "http://127.0.0.1:9"], capsys)
    assert code == 2 and "--name" in err
    assert not (Path(os.environ["PRIMAGE_TOSCA_HOME"]) / "local-im").exists()


def test_names_are_escaped_when_printed(capsys):
    with Store() as store:  # a record from before names were checked
        store.db.execute("INSERT INTO deployments (id, name, im_url, kind, payload, state, created, updated) "
                         "VALUES ('e5c00000', 'evil\nname\x1b[2J', 'u', 'radl', '', 'failed', 1, 1)")
    code, out, _ = run_cli(["list"], capsys)
    assert code == 0 and "\x1b" not in out and "evil\\nname\\x1b[2J" in out
    assert len([line for line in out.splitlines() if line.strip()]) == 1
    code, out, _ = run_cli(["inspect", "e5c00000"], capsys)
    assert "\x1b" not in out and "evil\\nname" in out


def test_the_default_name_from_an_odd_file_name_is_made_valid(tmp_path):
    from primage_tosca.lifecycle.names import default_name

    assert default_name(tmp_path / "web\napp.yaml") == "web_app"
    assert default_name(tmp_path / ("x" * 300 + ".yaml")) == "x" * 128


# -- the config file from the template's folder ---------------------------------------------------------------

def test_the_config_file_is_found_from_the_templates_folder(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "types", repo / "types")
    shutil.copytree(ROOT / "recipes", repo / "recipes")
    (repo / "blueprints").mkdir()
    shutil.copy(ROOT / "blueprints" / "hello-compute.yaml", repo / "blueprints")
    (repo / ".primage-tosca.yaml").write_text("roots:\n  - .\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PRIMAGE_TOSCA_CONFIG"}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "no-user-config")
    env["PYTHONPATH"] = str(ROOT)  # this checkout, not whichever is installed
    done = run("validate", str(repo / "blueprints" / "hello-compute.yaml"), cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    done = run("compile", str(repo / "blueprints" / "hello-compute.yaml"), cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr


# -- deploy --as tosca of the bundled blueprints ------------------------------------------------------------------

IMAGE = "ost://cloud.example.org/ubuntu-22.04"
BUNDLED = {
    "hello-compute.yaml": {},
    "kubernetes-cluster.yaml": {"front_image": IMAGE, "wn_image": IMAGE},
    "onedata-storage.yaml": {"onedata_provider": "oneprovider.example.org", "onedata_space": "primage",
                             "onedata_token": "a-token-for-the-test", "image": IMAGE},
}



@needs_im
@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_blueprints_deploy_as_tosca(im, name):
    path = ROOT / "blueprints" / name
    record = lifecycle.deploy(path, inputs=BUNDLED[name], roots=[ROOT], kind="tosca", contextualize=False,
                              timeout=60)
    assert record.state == "configured", record.history
    assert "imports" not in record.payload.split("topology_template")[0]  # one self-contained document
    lifecycle.undeploy(record.id)


@needs_im
def test_bundled_recipes_reach_ims_converter(im):
    inputs = BUNDLED["hello-compute.yaml"]
    record = lifecycle.deploy(ROOT / "blueprints" / "hello-compute.yaml", inputs=inputs, roots=[ROOT], kind="tosca",
                              wait=False)
    radl = str(lifecycle.client_for(Store().get(record.id)).radl(record.infra_id))
    assert "configure web_page" in radl  # IM read the playbook under recipes/
    lifecycle.undeploy(record.id)


def test_as_tosca_to_another_machines_im_names_the_local_recipes(tmp_path):
    auth = tmp_path / "auth.dat"
    auth.write_text("id = im; type = InfrastructureManager; username = u; password = p\n")
    with pytest.raises(lifecycle.LifecycleError, match="recipes/hello_page.yml.*deploy --as radl"):
        lifecycle.deploy(ROOT / "blueprints" / "hello-compute.yaml", roots=[ROOT], kind="tosca",
                         im_url="https://im.example.org/im", auth=str(auth))
    assert Store().count() == 0
    radl = tmp_path / "x.radl"
    radl.write_text("system vm ()\ndeploy vm 1\n")
    with pytest.raises(lifecycle.BadArgument, match="RADL"):
        lifecycle.deploy(radl, kind="tosca", im_url="https://im.example.org/im", auth=str(auth))
