"""The bundled PRIMAGE blueprints: clean under validate, and RADL that IM's
own parser (`radl`) accepts."""

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
BLUEPRINTS = REPO / "blueprints"
SITE = {"onedata_provider": "oneprovider.example.org", "onedata_space": "primage-data",
        "onedata_token": "TOKEN", "image": "ost://cloud.example.org/ubuntu-22.04"}
INPUTS = {
    "hello-compute.yaml": {},
    "kubernetes-cluster.yaml": {"front_image": "ost://cloud.example.org/a", "wn_image": "ost://cloud.example.org/b"},
    "onedata-storage.yaml": SITE,
    "htc-segmentation.yaml": {**SITE, "registry_server": "registry.example.org", "registry_username": "u",
                              "registry_password": "P", "image": "registry.example.org/seg:1",
                              "input_listing": ["inputs/a.nii.gz"]},
    "jupyter-notebook.yaml": {**SITE, "notebook_token": "NB", "public_host": "kube.example.org"},
}


APPLICATIONS = ("htc-segmentation.yaml", "jupyter-notebook.yaml")
# TOSCA 2.0 twins of the blueprints above (name -> its 1.x twin, whose inputs it takes).
TOSCA_2_0 = {"hello-compute-2.0.yaml": "hello-compute.yaml"}


def test_every_blueprint_is_listed() -> None:
    assert sorted(p.name for p in BLUEPRINTS.glob("*.yaml")) == sorted([*INPUTS, *TOSCA_2_0])
    assert set(TOSCA_2_0.values()) <= set(INPUTS)
    for name in TOSCA_2_0:
        assert (BLUEPRINTS / name).read_text("utf-8").startswith("tosca_definitions_version: tosca_2_0\n")


def all_blueprints() -> list[str]:
    return [f"blueprints/{name}" for name in sorted([*INPUTS, *TOSCA_2_0])]


def test_validate_says_nothing_but_the_summary() -> None:
    run = subprocess.run([sys.executable, "-c", "import primage_tosca.checks.platform, sys; "
                          f"from primage_tosca.cli import main; sys.exit(main(['validate', *{all_blueprints()!r}]))"],
                         cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "PRIMAGE_TOSCA_CONFIG": str(REPO / ".primage-tosca.yaml")})
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    assert lines == [f"{len(INPUTS) + len(TOSCA_2_0)} files checked: no problems"]


@pytest.mark.parametrize("name", sorted([*INPUTS, *TOSCA_2_0]))
def test_compiles_to_radl_that_radl_accepts(name: str) -> None:
    radl_parse = pytest.importorskip("radl.radl_parse")
    options = load_options(inputs=INPUTS[TOSCA_2_0.get(name, name)], roots=[str(REPO)], use_config=False)
    [result] = compile_results(str(BLUEPRINTS / name), "radl", options=options)
    assert result.errors == [] and result.ok
    if name not in APPLICATIONS:  # applications run on Kubernetes: RADL has nothing for them (PT700 says so)
        assert [d for d in result.diagnostics if d.rule.startswith("PT7")] == []
    radl_parse.parse_radl(result.text).check()


def test_radl_of_the_cluster_has_its_recipes() -> None:
    options = load_options(inputs=INPUTS["kubernetes-cluster.yaml"], roots=[str(REPO)], use_config=False)
    [result] = compile_results(str(BLUEPRINTS / "kubernetes-cluster.yaml"), "radl", options=options)
    for expected in ("system front (", "system wn (", "ansible.roles.grycap.kubernetes",
                     "ansible.roles.grycap.clues", "deploy front 1", "deploy wn 1"):
        assert expected in result.text


def test_radl_needs_the_secret_values() -> None:
    # IM receives the RADL, and its recipes need the token: a missing one is PT411 at compile time
    options = load_options(inputs=None, roots=[str(REPO)], use_config=False)
    [result] = compile_results(str(BLUEPRINTS / "onedata-storage.yaml"), "radl", options=options)
    assert not result.ok
    assert [(d.rule, d.line) for d in result.errors] == [("PT411", 23)]
