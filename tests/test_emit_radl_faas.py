"""Serverless functions (tosca.nodes.aisprint.FaaS.Function) in RADL, as IM 2.0
maps them: registered on an OSCAR cluster the template deploys, or systems
for IM's OSCAR and Lambda connectors. The fixtures are also compared with
IM's own converter (tests/test_im_equivalence.py)."""

from __future__ import annotations

import json
import textwrap

import pytest
import yaml
from radl.radl_parse import parse_radl

from primage_tosca.emit import compile_results

from conftest import FIXTURES, IMPORT_MAP, ROOT, needs_corpus

pytestmark = needs_corpus()
COMPILE = FIXTURES / "compile"



def compiler(compiled) -> list:
    """What the compiler says (PT7xx) and every error: the template checks' warnings are
    the business of the rule fixtures, not of these tests."""
    return [d for d in compiled.diagnostics if d.rule.startswith("PT7") or d.severity.value == "error"]

def parsed(text: str):
    radl = parse_radl(text)
    radl.check()
    return radl


def compiled_fixture(name: str, **kwargs):
    return compile_results(COMPILE / name, import_map=IMPORT_MAP, use_config=False, **kwargs)[0]


def compiled_nodes(tmp_path, nodes: str, policies: str = ""):
    text = ("tosca_definitions_version: tosca_simple_yaml_1_0\nimports:\n"
            "  - https://raw.githubusercontent.com/grycap/tosca/main/custom_types.yaml\ntopology_template:\n"
            "  node_templates:\n" + textwrap.indent(textwrap.dedent(nodes), "    "))
    if policies:
        text += "  policies:\n" + textwrap.indent(textwrap.dedent(policies), "    ")
    path = tmp_path / "functions.yaml"
    path.write_text(text, encoding="utf-8")
    return compile_results(str(path), import_map=IMPORT_MAP, roots=[str(tmp_path)], use_config=False)[0]


def recipe_task(radl, name: str) -> dict:
    configure = next(c for c in radl.configures if c.name == name)
    plays = yaml.safe_load(configure.recipes)
    assert len(plays) == 1 and len(plays[0]["tasks"]) == 1
    return plays[0]["tasks"][0]


# -- registered on an OSCAR cluster the template deploys ------------------------------------------------

def test_functions_on_an_oscar_cluster_are_registered_by_configures_on_its_vm():
    compiled = compiled_fixture("faas_oscar.yaml")
    assert compiled.ok and compiler(compiled) == [], compiler(compiled)
    radl = parsed(compiled.text)
    assert [s.name for s in radl.systems] == ["front"]  # no system of their own
    assert [(d.id, d.vm_number) for d in radl.deploys] == [("front", 1)]
    steps = {(i.system, i.configure): i.num for i in radl.contextualize.items.values()}
    assert steps == {("front", "kube_front_conf"): 2, ("front", "oscar_front_conf"): 3,
                     ("front", "oscar_plants"): 4, ("front", "oscar_retired"): 4}  # after OSCAR

    task = recipe_task(radl, "oscar_plants")
    assert task["include_tasks"] == "utils/tasks/oscar_function.yml"  # shipped with IM's contextualization agent
    variables = task["vars"]
    assert (variables["oscar_endpoint"], variables["oscar_username"], variables["oscar_password"]) == (
        "https://oscar.example.org", "oscar", "not-a-real-password")
    assert json.loads(variables["oscar_service_json"]) == {
        "name": "plants", "memory": "1024Mi", "cpu": "0.5", "image": "grycap/plants:1.0",
        "script": "#!/bin/sh\necho $INPUT_FILE_PATH\n", "alpine": False, "enable_gpu": False,
        "environment": {"Variables": {"MODE": "fast"}},
        "input": [{"storage_provider": "minio.default", "path": "plants/in"}],
        "output": [{"storage_provider": "minio.default", "path": "plants/out", "suffix": "png"}]}

    removal = recipe_task(radl, "oscar_retired")  # count 0: removed from the cluster
    assert removal["include_tasks"] == "utils/tasks/del_oscar_function.yml"
    assert removal["vars"]["oscar_service_name"] == "retired"


def test_without_contextualization_a_registration_stays_for_a_later_reconfigure():
    compiled = compiled_fixture("faas_oscar.yaml", contextualize=False)
    assert compiled.ok, compiler(compiled)
    radl = parsed(compiled.text)
    assert "oscar_plants" in [c.name for c in radl.configures] and not radl.contextualize.items


def test_the_oscar_endpoint_without_dns_host_is_the_vms_public_address(tmp_path):
    compiled = compiled_nodes(tmp_path, """\
        vm:
          type: tosca.nodes.indigo.Compute
        oscar:
          type: tosca.nodes.indigo.OSCAR
          requirements:
            - host: vm
        fn:
          type: tosca.nodes.aisprint.FaaS.Function
          properties: { name: fn, memory: 256Mi, image: "oscar://oscar.example.org/grycap/fn", script: x,
                        enable_sgx: true }
          requirements:
            - host: oscar
        """)
    assert compiled.ok, compiler(compiled)
    task = recipe_task(parsed(compiled.text), "oscar_fn")
    assert task["vars"]["oscar_endpoint"] == "http://{{ IM_NODE_PUBLIC_IP }}"  # dns_host's default is "''"
    assert task["vars"]["oscar_password"] == "oscar123"  # the OSCAR type's default
    assert json.loads(task["vars"]["oscar_service_json"])["image"] == "grycap/fn"
    # IM's registration does not send enable_sgx: said, not dropped silently
    assert [(d.rule, "'enable_sgx'" in d.message, d.line) for d in compiler(compiled)] == [("PT700", True, 15)]


# -- systems for IM's OSCAR and Lambda connectors --------------------------------------------------------

def test_standalone_functions_are_systems_for_the_oscar_and_lambda_connectors():
    compiled = compiled_fixture("faas_standalone.yaml")
    assert compiled.ok and compiler(compiled) == [], compiler(compiled)
    radl = parsed(compiled.text)
    detect = radl.get_system_by_name("detect")
    values = {f.prop: f.value for f in detect.features}
    assert {k: v for k, v in values.items() if not k.startswith(("minio.", "s3.", "onedata.", "input.", "output."))} \
        == {"name": "detect", "memory.size": 2147483648, "cpu.count": 1.5, "gpu.count": 1, "cpu.sgx": 1,
            "alpine": 1, "disk.0.image.url": "ghcr.io/example/detect:2",
            "script": '#!/bin/bash\npython detect.py "$INPUT_FILE_PATH"\n', "image_pull_secrets": ["regcred"],
            "environment.variables": ["THRESHOLD:0.8", "LABELS:cat,dog"], "dependencies": ["database"],
            "net_interface.0.connection": "private_net"}
    assert {k: v for k, v in values.items() if k.startswith(("input.", "output."))} == {
        "input.0.provider": "minio.store", "input.0.path": "detect/in", "input.0.suffix": "jpg",
        "output.0.provider": "s3.aws", "output.0.path": "detect/out", "output.0.prefix": "result-",
        "output.1.provider": "onedata.space", "output.1.path": "detect/archive"}
    assert (values["minio.0.id"], values["minio.0.secret_key"], values["minio.0.endpoint"]) == (
        "store", "not-a-real-secret", "https://minio.example.org")
    assert (values["s3.0.id"], values["s3.0.region"], values["onedata.0.space"]) == ("aws", "eu-west-1", "shared")
    summarise = {f.prop: f.value for f in radl.get_system_by_name("summarise").features}
    assert (summarise["cpu.count"], summarise["alpine"], summarise["memory.size"]) == (1, 0, 512000000)
    assert "gpu.count" not in summarise and "cpu.sgx" not in summarise
    assert sorted((c.name, c.recipes) for c in radl.configures) == [("detect", None), ("summarise", None)]
    assert sorted((d.id, d.vm_number, d.cloud_id) for d in radl.deploys) == [
        ("database", 1, None), ("detect", 1, "oscar_site"), ("summarise", 1, None)]


def test_function_values_radl_cannot_carry_are_warnings_and_exposed_settings_are_numbers(tmp_path):
    compiled = compiled_nodes(tmp_path, """\
        first:
          type: tosca.nodes.aisprint.FaaS.Function
          properties:
            name: first
            memory: 256Mi
            image: a/b
            script: x
            exposed: { min_scale: "1", port: "8080", sticky: "yes" }
            storage_providers:
              minio:
                store: { endpoint: "https://m.example.org", access_key: a, secret_key: b, region: r, verify: true }
        second:
          type: tosca.nodes.aisprint.FaaS.Function
          properties: { name: second, memory: 256Mi, image: a/b, script: x }
          requirements:
            - dependency: first
        """)
    assert compiled.ok, compiler(compiled)
    radl = parsed(compiled.text)
    first = {f.prop: f.value for f in radl.get_system_by_name("first").features}
    assert (first["expose.min_scale"], first["expose.port"]) == (1, 8080)  # IM writes the whole map in each
    assert "minio.0.verify" not in first and first["minio.0.endpoint"] == "https://m.example.org"
    # a function that waits for another: IM's OSCAR connector looks for a system of that name
    assert radl.get_system_by_name("second").getValue("dependencies") == ["first"]
    assert [(d.rule, d.line) for d in compiler(compiled)] == [("PT700", 13), ("PT700", 16)]
    assert "sticky" in compiler(compiled)[0].message and "verify" in compiler(compiled)[1].message


@pytest.mark.parametrize("count, deployed", [(0, []), (1, [("fn", 1)]), (2, None)])
def test_a_function_runs_once_or_not_at_all(tmp_path, count, deployed):
    compiled = compiled_nodes(tmp_path, f"""\
        fn:
          type: tosca.nodes.aisprint.FaaS.Function
          properties: {{ name: fn, memory: 256Mi, image: a/b, script: x }}
          capabilities:
            scalable:
              properties: {{ count: {count} }}
        """)
    if deployed is None:
        assert [(d.rule, "0 or 1" in d.message) for d in compiled.errors] == [("PT702", True)]
        return
    assert compiled.ok, compiler(compiled)
    assert [(d.id, d.vm_number) for d in parsed(compiled.text).deploys] == deployed


def test_a_function_name_radl_cannot_use_is_a_compile_error(tmp_path):
    compiled = compiled_nodes(tmp_path, """\
        deploy:
          type: tosca.nodes.aisprint.FaaS.Function
          properties: { name: fn, memory: 256Mi, image: a/b, script: x }
        """)
    assert compiled.text is None and [d.rule for d in compiled.errors] == ["PT702"]
    assert "RADL keyword" in compiled.errors[0].message


def test_an_ec3_cluster_leaves_functions_out_with_a_warning(tmp_path):
    blueprint = yaml.safe_load((ROOT / "blueprints" / "kubernetes-cluster.yaml").read_text(encoding="utf-8"))
    blueprint["imports"] = [str(ROOT / "types" / "primage.yaml"),
                            "https://raw.githubusercontent.com/grycap/tosca/main/custom_types.yaml"]
    blueprint["topology_template"]["node_templates"]["fn"] = {
        "type": "tosca.nodes.aisprint.FaaS.Function",
        "properties": {"name": "fn", "memory": "256Mi", "image": "a/b", "script": "x"}}
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(blueprint, sort_keys=False), encoding="utf-8")
    images = {"front_image": "ost://cloud.example.org/a", "wn_image": "ost://cloud.example.org/b"}
    [compiled] = compile_results(str(path), target="ec3", import_map=IMPORT_MAP, inputs=images,
                                 roots=[str(tmp_path), str(ROOT)], use_config=False)
    assert compiled.ok, compiled.errors
    assert [d.message for d in compiler(compiled) if "serverless" in d.message] == [
        "'fn' is a serverless function; an EC3 cluster template holds only its VMs"]
    assert {s.name for s in parsed(compiled.text).systems} == {"front", "wn"}
