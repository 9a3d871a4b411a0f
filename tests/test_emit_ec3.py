"""compile --to ec3: the cluster blueprint as an EC3 template, run through the
real ec3-cli (PyPI ec3-cli 2.2.1) with `ec3 launch NAME TEMPLATE -a AUTH
--dry-run -p`, which merges the templates and prints the RADL it would send
to IM without contacting anything.

ec3-cli is looked for at $PRIMAGE_TOSCA_EC3 (the `ec3` script), then at
.venv-ec3/bin/ec3 (`python3 -m venv .venv-ec3 && .venv-ec3/bin/pip install
ec3-cli`: it has pinned dependencies of its own, so it gets its own venv)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import primage_tosca.checks.platform  # noqa: F401 - registers the platform check
from primage_tosca.api import load_options
from primage_tosca.emit import compile_results

REPO = Path(__file__).resolve().parent.parent
CLUSTER = REPO / "blueprints" / "kubernetes-cluster.yaml"
IMAGES = {"front_image": "ost://cloud.example.org/ubuntu-22.04", "wn_image": "ost://cloud.example.org/ubuntu-22.04-wn"}


def ec3_script() -> Path | None:
    for candidate in (os.environ.get("PRIMAGE_TOSCA_EC3"), REPO / ".venv-ec3" / "bin" / "ec3"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def compile_ec3(path: Path = CLUSTER, inputs: dict | None = None):
    options = load_options(inputs=IMAGES if inputs is None else inputs, roots=[str(REPO)], use_config=False)
    [result] = compile_results(str(path), "ec3", options=options)
    return result


def test_template_shape() -> None:
    result = compile_ec3()
    assert result.ok, [d.message for d in result.errors]
    text = result.text
    assert text.startswith("description kubernetes-cluster (\nkind = 'main'")
    for expected in ("system front (", "system wn (", "configure front (", "configure wn (",
                     "ec3_max_instances = 4", "name = 'ansible.roles.grycap.clues'", "clues_auth:"):
        assert expected in text
    assert text.rstrip().endswith("deploy front 1")
    assert "deploy wn" not in text and "contextualize" not in text


def test_template_is_valid_radl() -> None:
    radl_parse = pytest.importorskip("radl.radl_parse")
    parsed = radl_parse.parse_radl(compile_ec3().text)
    parsed.check()
    assert {s.name for s in parsed.systems} == {"front", "wn"}


def test_images_are_needed() -> None:
    result = compile_ec3(inputs={})
    assert not result.ok and "PT702" in {d.rule for d in result.errors}


def test_secrets_are_refused(tmp_path: Path) -> None:
    storage = REPO / "blueprints" / "onedata-storage.yaml"
    options = load_options(inputs={"onedata_provider": "p", "onedata_space": "s", "onedata_token": "T", "image": "i"},
                           roots=[str(REPO)], use_config=False)
    [result] = compile_results(str(storage), "ec3", options=options)
    assert not result.ok
    assert any(d.rule == "PT702" and "secret" in d.message for d in result.errors)
    assert result.text is None


def test_real_ec3_launch_dry_run(tmp_path: Path) -> None:
    if ec3_script() is None:
        message = "ec3-cli not installed: run `make ec3-venv` (bash tools/ec3_venv.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: a missing peer there is a broken set-up, not a skip
        pytest.skip(message)
    templates = tmp_path / "templates"
    templates.mkdir()
    run = subprocess.run([sys.executable, "-m", "primage_tosca", "compile", "--to", "ec3", str(CLUSTER), "--root",
                          str(REPO), "-i", f"front_image={IMAGES['front_image']}", "-i",
                          f"wn_image={IMAGES['wn_image']}", "-o", str(templates / "primage-k8s.radl")],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "ec3 launch primage-k8s primage-k8s -a auth.dat" in run.stderr
    auth = tmp_path / "auth.dat"
    auth.write_text("id = ost; type = OpenStack; host = https://cloud.example.org:5000; username = u; password = p\n")
    env = {**os.environ, "HOME": str(tmp_path)}  # EC3 writes ~/.ec3: keep it in the test folder
    launched = subprocess.run([str(ec3_script()), "launch", "mycluster", "primage-k8s", "-a", str(auth),
                               "--dry-run", "-p"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert launched.returncode == 0, launched.stdout + launched.stderr
    merged = launched.stdout
    for expected in ("system front (", "system wn (", "configure front (", "configure wn (", "deploy front 1",
                     "ansible.roles.grycap.kubernetes", "ansible.roles.grycap.clues",
                     "disk.0.image.url = 'ost://cloud.example.org/ubuntu-22.04'"):
        assert expected in merged
    # EC3 resolved our ec3_xpath: CLUES gets the auth EC3 holds, not a secret we wrote
    assert "clues_auth: 'id = ost" in merged
    assert not list((tmp_path / ".ec3" / "clusters").glob("*")) if (tmp_path / ".ec3" / "clusters").exists() else True


def test_container_applications_are_left_to_the_k8s_target(tmp_path: Path) -> None:
    text = CLUSTER.read_text(encoding="utf-8").replace("../types/", f"{REPO}/types/")
    text = text.replace("  node_templates:\n", "  node_templates:\n"
                        "    viewer:\n"
                        "      type: tosca.nodes.Container.Application.Docker\n"
                        "      artifacts:\n"
                        "        image: { file: nginx, type: tosca.artifacts.Deployment.Image.Container.Docker }\n", 1)
    path = tmp_path / "cluster.yaml"
    path.write_text(text, encoding="utf-8")
    options = load_options(inputs=IMAGES, roots=[str(REPO), str(tmp_path)], use_config=False)
    [result] = compile_results(str(path), "ec3", options=options, validate=False)
    assert result.ok, [d.message for d in result.errors]
    assert "viewer" not in result.text and "docker://" not in result.text
    assert [(d.rule, d.hint) for d in result.diagnostics if "viewer" in d.message] == [
        ("PT700", "compile it with --to k8s")]
