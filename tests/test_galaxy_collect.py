"""Collecting recipes with where they were asked for: TOSCA types and
templates, RADL applications, local roles and their meta dependencies."""

from __future__ import annotations

import textwrap

import pytest
from conftest import CORPUS, IMPORT_MAP, needs_corpus
from galaxy_server import ARTIFACT_TYPES

from primage_tosca.api import load_options
from primage_tosca.galaxy.collect import collect

TEMPLATE = """\
tosca_definitions_version: tosca_simple_yaml_1_0
{types}
  my.artifacts.Role:
    derived_from: tosca.artifacts.AnsibleGalaxy.role
node_types:
  my.Base:
    derived_from: tosca.nodes.SoftwareComponent
    artifacts:
      base_role:
        file: acme.base,1.0
        type: tosca.artifacts.AnsibleGalaxy.role
      playbook:
        file: recipes/install.yml
        type: tosca.artifacts.Implementation.Bash
  my.App:
    derived_from: my.Base
    artifacts:
      app_role:
        file: acme.app
        type: my.artifacts.Role
  my.Unused:
    derived_from: tosca.nodes.SoftwareComponent
    artifacts:
      unused_role:
        file: acme.unused
        type: tosca.artifacts.AnsibleGalaxy.role
topology_template:
  inputs:
    tools_version:
      type: string
      default: ">=2.0.0"
  node_templates:
    app:
      type: my.App
      artifacts:
        base_role:
          file: acme.base,2.0
          type: tosca.artifacts.AnsibleGalaxy.role
        tools:
          file: {{ get_input: tools_version_spec }}
          type: tosca.artifacts.AnsibleGalaxy.collection
        broken:
          file: "nfs,"
          type: tosca.artifacts.AnsibleGalaxy.role
      requirements:
        - host: vm
    vm:
      type: tosca.nodes.Compute
"""


def write(path, text):
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def template(tmp_path):
    return write(tmp_path / "app.yaml", TEMPLATE.format(types=ARTIFACT_TYPES.rstrip()))


def where(path, needle: str, occurrence: int = 0) -> str:
    """path:line:col of the n-th line holding ``needle``; the column is where the needle starts."""
    hits = [(number, line.index(needle) + 1) for number, line in enumerate(path.read_text().splitlines(), 1)
            if needle in line]
    line, column = hits[occurrence]
    return f"{path}:{line}:{column}"


def by_name(collected):
    return {request.spec.name: request for request in collected.requests}


def test_tosca_artifacts_of_used_types_and_templates(template):
    collected = collect([template], load_options(use_config=False, inputs={"tools_version_spec": "acme.tools,>=2.0.0"}))
    found = by_name(collected)
    assert set(found) == {"acme.base", "acme.app", "acme.tools"}  # not acme.unused: no template uses it
    # the template's base_role overrides the type's: only 2.0 is asked for
    assert found["acme.base"].spec.version == "2.0"
    assert found["acme.base"].origin == where(template, "acme.base,2.0")
    assert "node template app" in found["acme.base"].via
    assert found["acme.app"].origin == where(template, "acme.app")
    assert found["acme.app"].via == "node type my.App, artifact app_role"
    assert found["acme.tools"].spec.kind == "collection" and found["acme.tools"].spec.version == ">=2.0.0"
    [error] = collected.errors
    assert error.rule == "PT600" and error.origin == where(template, '"nfs,"') and "version after ',' is empty" in error.message


def test_an_input_without_a_value_is_a_warning(template):
    collected = collect([template], load_options(use_config=False))
    assert "acme.tools" not in by_name(collected)
    assert any("input 'tools_version_spec'" in w.message for w in collected.warnings)


def test_a_type_library_offers_all_its_types(tmp_path):
    library = tmp_path / "types.yaml"
    library.write_text("tosca_definitions_version: tosca_simple_yaml_1_0\n" + ARTIFACT_TYPES + textwrap.dedent("""\
        node_types:
          lib.One:
            derived_from: tosca.nodes.SoftwareComponent
            artifacts:
              role: { file: acme.one, type: tosca.artifacts.AnsibleGalaxy.role }
          lib.Two:
            derived_from: tosca.nodes.SoftwareComponent
            artifacts:
              role: { file: "acme.two,1.0", type: tosca.artifacts.AnsibleGalaxy.role }
        """))
    found = by_name(collect([library], load_options(use_config=False)))
    assert set(found) == {"acme.one", "acme.two"}


RADL = """\
network public (outbound = 'yes')
system front (
  cpu.count >= 2 and
  disk.0.applications contains (name = 'ansible.roles.grycap.kubernetes' and version = '1.2') and
  disk.0.applications contains (name = 'ansible.modules.grycap.clues') and
  disk.0.applications contains (name = 'ansible.collections.community.general,7.0.0') and
  disk.0.applications contains (name = 'ansible.roles.git+https://github.com/grycap/ansible-role-im|grycap.im') and
  disk.0.applications contains (name = 'python3')
)
configure front (
@begin
- tasks: []
@end
)
deploy front 1
"""


def test_radl_applications_are_parsed_with_the_radl_package(tmp_path):
    path = write(tmp_path / "cluster.radl", RADL)
    collected = collect([path])
    found = by_name(collected)
    assert set(found) == {"grycap.kubernetes", "grycap.clues", "community.general", "grycap.im"}
    assert found["grycap.kubernetes"].spec.version == "1.2"
    assert found["grycap.kubernetes"].origin == where(path, "ansible.roles.grycap.kubernetes")
    assert found["grycap.kubernetes"].via == "system front"
    assert found["grycap.clues"].origin == where(path, "ansible.modules.grycap.clues")
    assert found["community.general"].spec.kind == "collection"
    assert found["grycap.im"].spec.source == "git"
    assert not collected.findings


def test_radl_the_parser_cannot_read_is_scanned_with_a_warning(tmp_path):
    path = write(tmp_path / "ec3.radl", """\
        description kubernetes (kind = 'main' and short = 'k8s')
        network public (outports contains '80/tcp')
        system front (
          disk.0.applications contains (name = 'ansible.modules.grycap.kubernetes') and
          disk.0.applications contains (name = 'ansible.roles.bad,')
        )
        """)
    collected = collect([path])
    assert [r.spec.name for r in collected.requests] == ["grycap.kubernetes"]
    assert collected.requests[0].origin == where(path, "ansible.modules.grycap.kubernetes")
    assert any("not parsed as RADL" in w.message for w in collected.warnings)
    assert collected.errors[0].origin == where(path, "ansible.roles.bad,")


def test_local_roles_and_their_meta_dependencies(tmp_path):
    recipes = tmp_path / "recipes"
    write_role = lambda folder, meta: (folder / "meta").mkdir(parents=True) or write(folder / "meta" / "main.yml", meta)  # noqa: E731
    write_role(recipes / "roles" / "web", """\
        galaxy_info: {author: me}
        dependencies:
          - common
          - role: geerlingguy.nginx
            version: "3.1.0"
          - "acme.base,1.0"
          - legacy_name
        """)
    write_role(recipes / "common", "dependencies: []\n")
    (recipes / "common" / "meta" / "requirements.yml").write_text("collections:\n  - name: community.general\n")
    (recipes / "hello_page.yml").write_text("- hosts: all\n")  # a playbook, not a role
    (recipes / "not-a-role").mkdir()
    collected = collect([], recipes_dir=recipes)
    assert set(collected.local_roles) == {"web", "common"}
    assert collected.local_roles["web"].local_dependencies == ["common"]
    found = by_name(collected)
    assert set(found) == {"geerlingguy.nginx", "acme.base", "community.general"}
    meta = recipes / "roles" / "web" / "meta" / "main.yml"
    assert found["geerlingguy.nginx"].origin == where(meta, "role: geerlingguy.nginx") and found["geerlingguy.nginx"].spec.version == "3.1.0"
    assert found["community.general"].spec.kind == "collection"
    assert any("'legacy_name' is neither a local role" in w.message for w in collected.warnings)


def test_folders_and_missing_files(tmp_path, template):
    (tmp_path / "notes.yaml").write_text("just: yaml\n")
    write(tmp_path / "c.radl", RADL)
    collected = collect([tmp_path, tmp_path / "missing.yaml"], load_options(use_config=False))
    assert collected.files == [str(tmp_path / "app.yaml"), str(tmp_path / "c.radl")]
    assert any("missing.yaml does not exist" in e.message for e in collected.errors)


@needs_corpus()
def test_the_indigo_type_library():
    collected = collect([CORPUS / "indigo-tosca-types" / "custom_types.yaml"],
                        load_options(use_config=False, import_map=IMPORT_MAP))
    names = {r.spec.name for r in collected.requests}
    assert len(names) == 37  # the 38th (a git URL) is in a YAML comment
    slurm = {r.spec.version for r in collected.requests if r.spec.name == "indigo-dc.slurm"}
    assert slurm == {"master", "cons_res"}
    assert not collected.errors
