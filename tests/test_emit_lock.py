"""RADL names the Galaxy recipe versions the project's recipes.lock chose."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from primage_tosca.emit import compile_results

from conftest import ROOT

TEMPLATE = textwrap.dedent("""\
    tosca_definitions_version: tosca_simple_yaml_1_0
    artifact_types:
      tosca.artifacts.AnsibleGalaxy.role:
        derived_from: tosca.artifacts.Root
    topology_template:
      node_templates:
        app:
          type: tosca.nodes.SoftwareComponent
          artifacts:
            docker_role:
              file: grycap.docker
              type: tosca.artifacts.AnsibleGalaxy.role
          requirements:
            - host: vm
        vm:
          type: tosca.nodes.Compute
    """)

LOCK = textwrap.dedent("""\
    lock_version: 1
    server: https://galaxy.ansible.com
    recipes:
    - name: grycap.docker
      kind: role
      source: galaxy
      requested:
      - grycap.docker
      version: v6.2.0
      url: https://github.com/grycap/ansible-role-docker/archive/v6.2.0.tar.gz
      sha256: %s
      size: 2048
      dependencies: []
    """) % ("ab" * 32)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config file: the current folder is the project root
    (tmp_path / "app.yaml").write_text(TEMPLATE)
    return tmp_path


def compiled(project):
    [result] = compile_results(str(project / "app.yaml"), "radl", use_config=False)
    return result


def test_without_a_lock_the_spec_is_written_as_asked(project):
    assert "name = 'ansible.roles.grycap.docker'" in compiled(project).text


def test_the_lock_pins_the_version(project):
    (project / "recipes.lock").write_text(LOCK)
    result = compiled(project)
    assert "name = 'ansible.roles.grycap.docker,v6.2.0'" in result.text, result.diagnostics


def test_a_recipe_the_lock_lacks_stays_unpinned_with_a_warning(project):
    (project / "recipes.lock").write_text(LOCK.replace("grycap.docker", "grycap.other"))
    result = compiled(project)
    assert "name = 'ansible.roles.grycap.docker'" in result.text
    assert any(d.rule == "PT700" and "unpinned" in d.message for d in result.diagnostics)


def test_a_broken_lock_stops_the_compile(project):
    (project / "recipes.lock").write_text("lock_version: 1\nrecipes: 3\n")
    result = compiled(project)
    assert not result.ok
    assert any(d.rule == "PT702" and "recipes.lock" in d.message for d in result.errors)


def test_compiling_loads_no_http_code(tmp_path):
    """Reading recipes.lock must not pull in the Galaxy client (requests) nor
    tosca-parser's package: a tenth of a second of every compile."""
    script = ("import sys; from primage_tosca import compile; "
              f"compile({str(ROOT / 'blueprints' / 'hello-compute.yaml')!r}, roots=[{str(ROOT)!r}], validate=False); "
              "print(sorted(m for m in ('requests', 'urllib3', 'pbr', 'toscaparser') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PRIMAGE_TOSCA_CONFIG": os.devnull}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
