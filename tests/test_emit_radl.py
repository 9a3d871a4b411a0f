"""The RADL compiler: one test per mapping on small fixtures, then what it
refuses, determinism, the CLI, the graph output, and every corpus template
that compiles passing the real radl parser's check()."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from radl.radl_parse import parse_radl

from primage_tosca import cli
from primage_tosca.cli_compile import add_commands
from primage_tosca.emit import CompileError, compile, compile_results
from primage_tosca.emit.graph import GraphvizMissing, graph_data, render_graph
from primage_tosca.emit.radl_configure import merge_play
from primage_tosca.emit.radl_text import (
    Block, Configure, RadlDocument, RadlValueError, check_identifier, number, quote)
from primage_tosca import load

from conftest import CORPUS, FIXTURES, IMPORT_MAP, INDIGO_EXAMPLES, ROOT, needs_corpus

COMPILE = FIXTURES / "compile"
FIXTURE_MAP = COMPILE / "import-map.json"



def compiler(compiled) -> list:
    """What the compiler says (PT7xx) and every error: the template checks' warnings are
    the business of the rule fixtures, not of these tests."""
    return [d for d in compiled.diagnostics if d.rule.startswith("PT7") or d.severity.value == "error"]

def result(name: str, **kwargs):
    kwargs.setdefault("use_config", False)
    return compile_results(COMPILE / name, **kwargs)[0]


def parsed(text: str):
    radl = parse_radl(text)
    radl.check()
    return radl


def features(radl, system: str) -> dict[str, str]:
    """name -> 'op value' for a system's plain features."""
    found = {}
    for feature in radl.get_system_by_name(system).features:
        if feature.operator != "contains":
            found[feature.prop] = f"{feature.operator} {feature.value}{feature.unit or ''}"
    return found


def applications(radl, system: str) -> list[str]:
    return [f.value.getValue("name") for f in radl.get_system_by_name(system).features if f.operator == "contains"]


def rules(found) -> list[tuple[str, int]]:
    return [(d.rule, d.line) for d in compiler(found)]


# -- Compute ---------------------------------------------------------------------------------

def test_compute_host_and_os():
    compiled = result("compute.yaml")
    assert compiled.ok and compiler(compiled) == []
    server = features(parsed(compiled.text), "server")
    assert server == {
        "instance_name": "= web-1", "instance_tags": "= project=primage,owner=lab",
        "cpu.arch": "= x86_64", "disk.0.os.name": "= linux", "disk.0.os.flavour": "= ubuntu",
        "disk.0.os.version": "= 20.04", "disk.0.image.url": "= ost://cloud.example.org/1234",
        "disk.0.os.credentials.password": "= s3cret", "disk.0.os.credentials.username": "= cloudadm",
        "cpu.count": ">= 2", "memory.size": ">= 4000000000B", "disk.0.size": ">= 21474836480B",
        "instance_type": "= m1.large", "spot": "= yes", "gpu.count": ">= 1", "gpu.vendor": "= NVIDIA",
        "gpu.model": "= Tesla V100", "net_interface.0.connection": "= private_net",
    }
    assert "memory.size >= 4000000000B" in compiled.text  # IM's 1 GB = 10**9 bytes


def test_compute_values_radl_cannot_carry_are_warnings():
    compiled = result("compute_unmapped.yaml", validate=False)
    assert compiled.ok
    server = features(parsed(compiled.text), "server")
    assert "cpu.count" not in server and "disk.0.os.name" not in server and "disk.0.os.version" not in server
    assert server["memory.size"] == ">= 2000000000B"  # IM's constraint-style value
    assert server["disk.0.image.url"] == "= docker://ubuntu:22.04"
    found = rules(compiled)
    for line in (16, 20, 21, 25, 26):
        assert ("PT700", line) in found, line
    assert ("PT701", 20) in found
    assert all(d.severity.value == "warning" for d in compiler(compiled))


# -- networks -------------------------------------------------------------------------------

def test_endpoints_make_public_and_private_networks():
    compiled = result("endpoints.yaml")
    assert compiled.ok, compiler(compiled)
    radl = parsed(compiled.text)
    public = radl.get_network_by_id("public_net")
    assert public.isPublic()
    assert public.getValue("outports") == "80/tcp-80/tcp,8443/tcp-443/tcp,5000:5010/udp,10.0.0.0/8-22/tcp-22/tcp"
    private = radl.get_network_by_id("private_net")
    assert not private.isPublic()
    assert private.getValue("provider_id") == "site-net"  # back's site-net.PRIVATE
    assert private.getValue("outports") == "9000/tcp-9000/tcp"  # the app's endpoint on back
    front = features(radl, "front")
    assert front["net_interface.0.connection"] == "= private_net"
    assert front["net_interface.1.connection"] == "= public_net"
    assert front["net_interface.0.dns_name"] == "= front.example.org"
    assert [d.id for d in radl.deploys] == ["front", "back"]  # public systems first


def test_network_nodes_and_ports():
    compiled = result("network_port.yaml")
    assert compiled.ok, compiler(compiled)
    radl = parsed(compiled.text)
    lan = radl.get_network_by_id("lan")
    assert (lan.getValue("provider_id"), lan.getValue("cidr"), lan.getValue("create"), lan.getValue("router")) == (
        "provider-lan", "192.168.10.0/24", "yes", "192.168.10.1")
    assert radl.get_network_by_id("wan").isPublic()
    server = features(radl, "server")
    assert server["net_interface.0.connection"] == "= lan" and server["net_interface.0.ip"] == "= 192.168.10.5"
    assert server["net_interface.1.connection"] == "= wan"
    assert "private_net" not in compiled.text


def test_vms_on_two_cloud_sites_do_not_share_a_private_network():
    compiled = result("two_clouds.yaml")
    assert compiled.ok, compiler(compiled)
    radl = parsed(compiled.text)
    assert features(radl, "here")["net_interface.0.connection"] == "= private_net"
    assert features(radl, "also_here")["net_interface.0.connection"] == "= private_net"
    assert features(radl, "there")["net_interface.0.connection"] == "= private.site-b.example.org"
    # as IM does, the shared network's provider id and outports move to the new one
    moved = radl.get_network_by_id("private.site-b.example.org")
    assert (moved.getValue("provider_id"), moved.getValue("outports")) == ("lab-net", "8080/tcp-8080/tcp")


def test_a_private_network_node_is_joined_without_a_port(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("tosca_definitions_version: tosca_simple_yaml_1_0\ntopology_template:\n  node_templates:\n"
                    "    net:\n      type: tosca.nodes.network.Network\n"
                    "    vm:\n      type: tosca.nodes.Compute\n      properties: {}\n")
    # a Network node is private, so vm joins it as IM does (no Port needed)
    radl = parsed(compile(path, use_config=False))
    assert features(radl, "vm")["net_interface.0.connection"] == "= net"


# -- storage, roles -------------------------------------------------------------------------------

def test_block_storage_attachments():
    compiled = result("block_storage.yaml")
    assert compiled.ok, compiler(compiled)
    server = features(parsed(compiled.text), "server")
    assert server["disk.1.size"] == "= 100000000000B"
    assert (server["disk.1.device"], server["disk.1.mount_path"], server["disk.1.fstype"]) == (
        "= hdb", "= /data", "= ext4")
    assert server["disk.2.image.url"] == "= vol-0042"
    assert server["disk.0.os.name"] == "= linux"  # disks count from 0 without gaps
    assert rules(compiled) == [("PT700", 34)]  # the orphan volume


def test_galaxy_roles_and_collections_on_the_host():
    compiled = result("galaxy.yaml")
    assert compiled.ok
    assert applications(parsed(compiled.text), "server") == [
        "ansible.collections.kubernetes.core", "ansible.roles.indigo-dc.os_users",
        "ansible.roles.grycap.docker", "ansible.roles.indigo-dc.slurm,cons_res"]
    assert rules(compiled) == [("PT700", 29)]  # the manual: an artifact nothing deploys


# -- operations -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def operations():
    compiled = result("operations.yaml", import_map=FIXTURE_MAP)
    assert compiled.ok, compiler(compiled)
    return compiled


def test_operations_become_configures_at_their_depth(operations):
    radl = parsed(operations.text)
    assert [c.name for c in radl.configures] == ["db_dbvm_conf", "web_webvm_conf"]
    steps = {(i.system, i.configure): i.num for i in radl.contextualize.items.values()}
    assert steps == {("dbvm", "db_dbvm_conf"): 2, ("webvm", "web_webvm_conf"): 3}


def test_a_configure_is_one_play_in_lifecycle_order(operations):
    radl = parsed(operations.text)
    (play,) = yaml.safe_load(radl.get_configure_by_name("web_webvm_conf").recipes)
    assert "hosts" not in play and "connection" not in play
    assert play["become"] is True and play["handlers"][0]["name"] == "restart app"
    names = [t["name"] for t in play["tasks"]]
    assert names == ["Download artifact https://downloads.example.org/site.tar.gz", "Install the packages",
                     "Point the web app at its database", "Write the configuration",
                     "Copy contents of script of interface web_start", "web_start"]
    assert play["tasks"][-1]["environment"] == {"APP_PORT": "8080"}
    assert play["vars"] == {
        "packages": ["nginx", "git"], "site_archive": "/tmp/site.tar.gz",
        "db_host": "{{ hostvars[groups['dbvm'][0]]['IM_NODE_PRIVATE_IP'] }}", "port": 8080,
        "me": "{{ IM_NODE_PRIVATE_IP }}", "vm_id": "{{ IM_NODE_VMID }}",
        "url": "http://{{ IM_NODE_PUBLIC_IP }}:8080"}


def test_undeploy_operations_are_reported(operations):
    assert ("PT700", 76) in rules(operations)


def test_an_unmapped_url_playbook_is_an_error():
    compiled = result("operations.yaml")  # no import map: the configure URL cannot be read
    assert compiled.text is None
    assert any(d.rule == "PT702" and "not available offline" in d.message for d in compiler(compiled))
    with pytest.raises(CompileError) as raised:
        compile(COMPILE / "operations.yaml", use_config=False)
    assert "PT702" in str(raised.value) and raised.value.diagnostics


def test_no_contextualize(operations):
    text = compile(COMPILE / "operations.yaml", import_map=FIXTURE_MAP, contextualize=False, use_config=False)
    radl = parsed(text)
    assert "contextualize ()" in text and not radl.contextualize.items
    assert len(radl.configures) == 2  # still there, for a later reconfigure


def test_plays_merge_like_im():
    into = {"vars": {"a": 1}, "tasks": [{"name": "x"}]}
    merge_play(into, {"vars": {"b": 2}, "tasks": [{"name": "y"}], "roles": ["r"], "become": True})
    merge_play(into, {"become": False, "roles": ["s"]})
    assert into == {"vars": {"a": 1, "b": 2}, "tasks": [{"name": "x"}, {"name": "y"}], "roles": ["r", "s"],
                    "become": True}


# -- deploy lines and policies --------------------------------------------------------------------

def test_scaling_and_placement():
    compiled = result("scaling_placement.yaml")
    assert compiled.ok, compiler(compiled)
    radl = parsed(compiled.text)
    deploys = [(d.id, d.vm_number, d.cloud_id) for d in radl.deploys]
    assert deploys == [("front", 1, "site_a"), ("wn", 3, "site_b"), ("batch", 2, "site_b")]  # spare: 0
    assert features(radl, "front")["availability_zone"] == "= nova"
    assert radl.get_system_by_name("spare") is not None
    assert radl.description.getValue("name") == "primage-cluster"
    assert [d.message for d in compiler(compiled) if d.rule == "PT700"] == [
        "policy 'watch' of type 'tosca.policies.Monitoring' has no RADL equivalent; ignored"]


# -- container applications (IM's Kubernetes pods) -----------------------------------------------

def test_container_applications_become_pods_as_im_writes_them():
    compiled = result("containers.yaml")
    assert compiled.ok, compiler(compiled)
    radl = parsed(compiled.text)
    assert features(radl, "web-app") == {
        "disk.0.image.url": "= docker://registry.example.org/lab/web:1.2",
        "disk.1.content": "= [web]\nport = 8080\n", "disk.1.mount_path": "= /etc/web/settings.ini",
        "command": "= ['python', '-m', 'http.server', '8080']", "environment.variables": '= MODE=production,HOSTS="a,b"',
        "cpu.count": "= 2", "memory.size": "= 1073741824B", "net_interface.0.connection": "= web-app_pub",
        "disk.2.size": "= 5000000000B", "disk.2.mount_path": "= /srv/data", "disk.3.mount_path": "= /var/cache",
    }
    published = radl.get_network_by_id("web-app_pub")
    assert published.isPublic() and published.getValue("outports") == "30080/tcp-8080/tcp"
    exposed = radl.get_network_by_id("worker_priv")
    assert not exposed.isPublic() and exposed.getValue("outports") == "9000/tcp-9000/tcp"  # as IM reads exposed ports
    assert [(c.name, c.recipes) for c in radl.configures] == [("web-app", None), ("worker", None)]
    steps = {item.system: item.num for item in radl.contextualize.items.values()}
    assert steps == {"worker": 2, "web-app": 3}  # after its runtime, and the worker it depends on
    assert [(d.id, d.vm_number) for d in radl.deploys] == [("web-app", 1), ("worker", 1)]


def test_what_a_pod_cannot_carry_is_reported_where_it_is_written():
    compiled = result("containers.yaml")
    assert [(d.rule, d.line, d.message.split(" has ")[0].split(":")[0]) for d in compiler(compiled)] == [
        ("PT700", 68, "property 'disk_size' of the host capability of 'web_runtime'"),
        ("PT700", 73, "volume 'cache"),
        ("PT700", 83, "property 'labels' of container application 'worker'"),
    ]  # and no "BlockStorage 'data' is attached to no Compute": the pod mounts it


def pod_template(tmp_path, nodes: str, policies: str = "") -> str:
    """A template of the given node templates (and policies), YAML at any indent."""
    text = "tosca_definitions_version: tosca_simple_yaml_1_0\ntopology_template:\n  node_templates:\n"
    text += textwrap.indent(textwrap.dedent(nodes), "    ")
    if policies:
        text += "  policies:\n" + textwrap.indent(textwrap.dedent(policies), "    ")
    path = tmp_path / "app.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def pod_result(path: str, tmp_path):
    return compile_results(path, roots=[str(tmp_path)], use_config=False, validate=False)[0]


NGINX = "{ file: nginx, type: tosca.artifacts.Deployment.Image.Container.Docker }"


def test_a_container_without_an_image_is_a_compile_error(tmp_path):
    path = pod_template(tmp_path, """\
        app:
          type: tosca.nodes.Container.Application.Docker
        """)
    compiled = pod_result(path, tmp_path)
    assert not compiled.ok
    assert [(d.rule, d.line) for d in compiler(compiled)] == [("PT702", 5)]  # the node's body
    assert "names no image" in compiler(compiled)[0].message


@pytest.mark.parametrize("count, deployed", [(0, []), (1, [("my-app", 1)]), (3, None)])
def test_a_pod_runs_once_or_not_at_all(tmp_path, count, deployed):
    path = pod_template(tmp_path, f"""\
        my_app:
          type: tosca.nodes.Container.Application.Docker
          artifacts:
            image: {NGINX}
        """, f"""\
        - scale:
            type: tosca.policies.Scaling
            targets: [ my_app ]
            properties: {{ count: {count} }}
        """)
    compiled = pod_result(path, tmp_path)
    if deployed is None:
        assert [(d.rule, "0 or 1" in d.message) for d in compiler(compiled)] == [("PT702", True)]
        return
    assert compiled.ok, compiler(compiled)
    assert [(d.id, d.vm_number) for d in parsed(compiled.text).deploys] == deployed


def test_a_pod_name_taken_by_another_system_is_a_compile_error(tmp_path):
    path = pod_template(tmp_path, f"""\
        my-app:
          type: tosca.nodes.Compute
        my_app:
          type: tosca.nodes.Container.Application.Docker
          artifacts:
            image: {NGINX}
        """)
    compiled = pod_result(path, tmp_path)
    assert [d.rule for d in compiler(compiled)] == ["PT702"]
    assert "another system has that name" in compiler(compiled)[0].message


@pytest.mark.parametrize("also_missing", [False, True])
def test_a_configuration_file_is_read_like_a_playbook(tmp_path, also_missing):
    (tmp_path / "app.conf").write_text("level = debug\n", encoding="utf-8")
    missing = "\n            gone: { file: gone.conf, type: tosca.artifacts.File, deploy_path: /etc/gone.conf }"
    path = pod_template(tmp_path, f"""\
        app:
          type: tosca.nodes.Container.Application.Docker
          artifacts:
            image: {NGINX}
            conf: {{ file: app.conf, type: tosca.artifacts.File, deploy_path: /etc/app.conf }}""" +
                        (missing if also_missing else "") + "\n")
    compiled = pod_result(path, tmp_path)
    if also_missing:
        assert [(d.rule, "'gone.conf'" in d.message) for d in compiler(compiled)] == [("PT702", True)]
        return
    assert compiled.ok, compiler(compiled)
    assert features(parsed(compiled.text), "app")["disk.1.content"] == "= level = debug\n"


# -- what IM writes for the grycap types (the same fixtures are compared with IM: test_im_equivalence) ----

def grycap(name: str, **kwargs):
    """A fixture importing the grycap type library, served from the corpus."""
    kwargs.setdefault("use_config", False)
    return compile_results(COMPILE / name, import_map=IMPORT_MAP, **kwargs)[0]


def grycap_template(tmp_path, nodes: str, inputs: str = "") -> str:
    text = ("tosca_definitions_version: tosca_simple_yaml_1_0\nimports:\n"
            "  - https://raw.githubusercontent.com/grycap/tosca/main/custom_types.yaml\ntopology_template:\n")
    if inputs:
        text += "  inputs:\n" + textwrap.indent(textwrap.dedent(inputs), "    ")
    text += "  node_templates:\n" + textwrap.indent(textwrap.dedent(nodes), "    ")
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def grycap_result(path: str, tmp_path):
    return compile_results(path, import_map=IMPORT_MAP, roots=[str(tmp_path)], use_config=False)[0]


@needs_corpus()
def test_a_block_storage_of_size_zero_is_no_disk():
    compiled = grycap("block_storage_zero.yaml")
    assert compiled.ok and compiler(compiled) == [], compiler(compiled)
    server = features(parsed(compiled.text), "server")
    assert {k: v for k, v in server.items() if k.startswith("disk.") and not k.startswith("disk.0.")} == {
        "disk.1.size": "= 20000000000B", "disk.1.device": "= vdc", "disk.1.mount_path": "= /data",
        "disk.1.fstype": "= ext4"}  # the empty volume takes no number, as in IM


@needs_corpus()
def test_a_pod_command_list_and_environment_functions_as_im_writes_them():
    compiled = grycap("container_env.yaml")
    assert compiled.ok and compiler(compiled) == [], compiler(compiled)
    radl = parsed(compiled.text)
    web = radl.get_system_by_name("web")
    assert web.getValue("command") == ["gunicorn", "-b", "0.0.0.0:8000", "app:main"]  # a list, not one string
    assert web.getValue("environment.variables") == (
        'DB_URL=mysql://root@db:3306/app,DB_PASSWORD=not-a-real-password,WORKERS="2,4"')
    frontend = radl.get_system_by_name("frontend")
    assert frontend.getValue("command") == ["nginx", "-g", "daemon off;"]
    assert frontend.getValue("environment.variables") == "API=https://web.example.org"  # its DNS name


@needs_corpus()
def test_pod_ports_and_dns_name_as_im_writes_them():
    compiled = grycap("container_ports.yaml")
    assert compiled.ok and compiler(compiled) == [], compiler(compiled)
    radl = parsed(compiled.text)
    portal = features(radl, "portal")
    assert (portal["net_interface.0.dns_name"], portal["net_interface.0.dns.0.name"]) == (
        "= portal.example.org", "= portal.example.org")
    assert portal["disk.1.mount_path"] == "= /scratch" and "disk.1.size" not in portal  # a size of 0: none asked
    # published: only a target leaves the node port to Kubernetes (0), as IM writes it
    assert radl.get_network_by_id("portal_pub").getValue("outports") == "0/tcp-8080/tcp,30053/udp-5353/udp"
    # exposed: a port given on one side only is the same on the other
    assert radl.get_network_by_id("cache_priv").getValue("outports") == "6379/tcp-6379/tcp,16379/tcp-16379/tcp"


@needs_corpus()
def test_pod_environment_values_known_only_at_run_time_are_left_out_one_by_one(tmp_path):
    image = "{ file: app, type: tosca.artifacts.Deployment.Image.Container.Docker }"
    path = grycap_template(tmp_path, f"""\
        vm:
          type: tosca.nodes.indigo.Compute
        app:
          type: tosca.nodes.Container.Application.Docker
          properties:
            environment:
              KEPT: plain
              VM_IP: {{ get_attribute: [ vm, private_address ] }}
              ALL: {{ get_attribute: [ other, endpoints ] }}
              PUBLIC: {{ get_attribute: [ other, endpoints, 0 ] }}
              MISSING: {{ get_attribute: [ other, endpoints, 5 ] }}
              OWN: {{ concat: [ {{ get_attribute: [ SELF, endpoints, 0 ] }}, "/x" ] }}
          artifacts:
            image: {image}
          requirements:
            - host: app_runtime
        app_runtime:
          type: tosca.nodes.Container.Runtime.Docker
          capabilities:
            host:
              properties:
                expose_ports: [ {{ target: 9000 }} ]
        other:
          type: tosca.nodes.Container.Application.Docker
          artifacts:
            image: {image}
          requirements:
            - host: other_runtime
        other_runtime:
          type: tosca.nodes.Container.Runtime.Docker
          capabilities:
            host:
              properties:
                publish_ports: [ {{ target: 80 }} ]
        """)
    compiled = grycap_result(path, tmp_path)
    assert compiled.ok, compiler(compiled)
    assert parsed(compiled.text).get_system_by_name("app").getValue("environment.variables") == (
        "KEPT=plain,OWN=app:9000/x")
    left_out = [d.message.split(" of ")[0] for d in compiler(compiled) if d.rule == "PT700"]
    assert left_out == [f"environment variable {v!r}" for v in ("VM_IP", "ALL", "PUBLIC", "MISSING")]
    assert all(d.line > 8 for d in compiler(compiled))  # each where its variable is written


@pytest.mark.parametrize("image", ["ost://[zz/img", "[zz/img"])  # the second a Docker image: docker://[zz/img
@needs_corpus()
def test_a_malformed_image_url_is_a_located_error(tmp_path, image):
    path = grycap_template(tmp_path, f"""\
        server:
          type: tosca.nodes.indigo.Compute
          capabilities:
            os:
              properties:
                image: "{image}"
        """)
    compiled = grycap_result(path, tmp_path)
    assert compiled.text is None
    assert [(d.rule, d.line, d.column, "is not a valid URL" in d.message) for d in compiled.errors] == [
        ("PT702", 11, 20, True)]  # at the value


def test_malformed_repository_and_implementation_urls_are_located_errors(tmp_path):
    path = tmp_path / "urls.yaml"
    path.write_text(textwrap.dedent("""\
        tosca_definitions_version: tosca_simple_yaml_1_0
        repositories:
          broken: { url: "https://[registry/lab" }
        topology_template:
          node_templates:
            server:
              type: tosca.nodes.Compute
            app:
              type: tosca.nodes.SoftwareComponent
              requirements:
                - host: server
              interfaces:
                Standard:
                  create:
                    implementation: "https://[zz/install.yml"
            pod:
              type: tosca.nodes.Container.Application.Docker
              artifacts:
                image: { file: nginx, type: tosca.artifacts.Deployment.Image.Container.Docker, repository: broken }
        """), encoding="utf-8")
    compiled = compile_results(str(path), roots=[str(tmp_path)], use_config=False, validate=False)[0]
    assert compiled.text is None
    assert [(d.rule, d.line) for d in compiled.errors] == [("PT702", 15), ("PT702", 17)]
    assert all("not a valid URL" in d.message or "malformed URL" in d.message for d in compiled.errors)


# -- refusals ---------------------------------------------------------------------------------------

def test_software_without_a_compute_is_a_compile_error():
    compiled = result("no_host.yaml", validate=False)  # tosca-parser also objects to the missing host
    assert compiled.text is None
    assert [(d.rule, d.severity.value) for d in compiled.errors] == [("PT702", "error")]
    assert "hosted on no Compute" in compiled.errors[0].message


def test_a_keyword_cannot_name_a_system():
    compiled = result("bad_name.yaml")
    assert compiled.text is None and "RADL keyword" in compiled.errors[0].message


def test_validation_errors_stop_the_compile_unless_skipped():
    assert result("compute_unmapped.yaml").text is None  # tosca-parser rejects the version 'bionic'
    assert result("compute_unmapped.yaml", validate=False).text is not None


# -- the API ----------------------------------------------------------------------------------------

def test_compile_a_list_and_a_topology():
    texts = compile([COMPILE / "compute.yaml", COMPILE / "galaxy.yaml"], use_config=False)
    assert isinstance(texts, list) and len(texts) == 2 and "system server" in texts[1]
    topology = load(COMPILE / "compute.yaml", use_config=False)
    assert compile(topology) == texts[0]


def test_inputs_reach_the_radl():
    text = compile(COMPILE / "scaling_placement.yaml", inputs={"workers": 5}, use_config=False)
    assert "deploy wn 5 site_b" in text


def test_unknown_target():
    with pytest.raises(ValueError):
        compile(COMPILE / "compute.yaml", target="nope", use_config=False)


# -- RADL text ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["plain", "it's", "C:\\path\\to", "a#b", "two\nlines", "ünïcode", "'"])
def test_strings_round_trip_through_the_radl_parser(value):
    block = Block("system", "s")
    block.set("note", value)
    block.set("net_interface.0.connection", "n")
    document = RadlDocument(networks=[Block("network", "n")], systems=[block])
    radl = parsed(document.render())
    assert radl.get_system_by_name("s").getValue("note") == value


@pytest.mark.parametrize("value", ["ends\\", "a\\'b"])
def test_strings_radl_cannot_write(value):
    with pytest.raises(RadlValueError):
        quote(value)


def test_identifiers_and_numbers():
    assert check_identifier("web_server-1.a") is None
    assert "keyword" in check_identifier("system")
    assert check_identifier("9lives") and check_identifier("has space") and check_identifier("-x")
    assert number(3) == "3" and number(2.5) == "2.5" and number(4.0) == "4" and number(1e-7) == "0.0000001"
    with pytest.raises(RadlValueError):
        number(-1)


def test_recipe_lines_cannot_end_the_block_early():
    text = Configure("c", "- tasks:\n  - debug: msg='@end'\n").render()
    assert text.endswith("@end\n)") and text.count("\n@end\n") == 1


# -- determinism ---------------------------------------------------------------------------------------

def test_same_input_same_bytes():
    first = compile(COMPILE / "operations.yaml", import_map=FIXTURE_MAP, use_config=False)
    assert compile(COMPILE / "operations.yaml", import_map=FIXTURE_MAP, use_config=False) == first


SCRIPT = """
import sys
from primage_tosca.emit import compile
for path, import_map in zip(sys.argv[1::2], sys.argv[2::2]):
    sys.stdout.write(compile(path, import_map=import_map or None, validate=False, use_config=False))
"""


def _compile_in_subprocess(seed: str, arguments: list[str]) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PRIMAGE_TOSCA_CONFIG": os.devnull}
    done = subprocess.run([sys.executable, "-c", SCRIPT, *arguments], cwd=ROOT, env=env, capture_output=True,
                          check=True, timeout=300)
    return done.stdout


def test_byte_identical_across_hash_seeds():
    arguments = [str(COMPILE / "operations.yaml"), str(FIXTURE_MAP), str(COMPILE / "scaling_placement.yaml"), "",
                 str(COMPILE / "endpoints.yaml"), ""]
    if (INDIGO_EXAMPLES / "web_mysql_tosca.yaml").is_file():
        arguments += [str(INDIGO_EXAMPLES / "slurm_glusterfs.yml"), str(IMPORT_MAP)]
    outputs = {_compile_in_subprocess(seed, arguments) for seed in ("0", "1", "4242")}
    assert len(outputs) == 1 and next(iter(outputs))


# -- the corpus ----------------------------------------------------------------------------------------

def corpus_templates() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    found = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in (".yaml", ".yml") or "artifacts" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "tosca_definitions_version" in text and "node_templates" in text:
            found.append(path)
    return found


@needs_corpus()
@pytest.mark.corpus
def test_every_corpus_template_that_compiles_passes_radl_check():
    templates = corpus_templates()
    results = compile_results(templates, import_map=IMPORT_MAP, validate=False, use_config=False)
    compiled = [r for r in results if r.text is not None]
    assert len(compiled) >= 100, f"only {len(compiled)} of {len(templates)} compiled"
    failures = []
    for compiled_result in compiled:
        try:
            parsed(compiled_result.text)
        except Exception as exc:  # noqa: BLE001 - report every failing template at once
            failures.append(f"{compiled_result.file}: {exc}")
    assert not failures, "\n".join(failures)
    refused = [r for r in results if r.text is None]
    assert all(r.errors for r in refused)  # refused only with an error to say why


@needs_corpus()
@pytest.mark.corpus
def test_indigo_web_mysql_as_im_maps_it():
    text = compile(INDIGO_EXAMPLES / "web_mysql_tosca.yaml", import_map=IMPORT_MAP, use_config=False)
    radl = parsed(text)
    assert features(radl, "db_server")["disk.1.mount_path"] == "= /mnt/disk"
    assert radl.get_network_by_id("public_net").getValue("outports") == "80/tcp-80/tcp,443/tcp-443/tcp"
    steps = {i.configure: i.num for i in radl.contextualize.items.values()}
    assert steps == {"apache_web_server_conf": 2, "web_server_conf": 1, "test_db_db_server_conf": 3,
                     "mysql_db_server_conf": 2}
    assert applications(radl, "web_server") == ["ansible.roles.indigo-dc.os_users"]


# -- the CLI ----------------------------------------------------------------------------------------

def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="primage-tosca")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    try:
        code = args.handler(args)
    except cli.UsageError as exc:
        print(f"usage: {exc}", file=sys.stderr)
        code = cli.EXIT_USAGE
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_compile_to_stdout(capsys):
    code, out, err = run_cli(["compile", str(COMPILE / "compute.yaml")], capsys)
    assert code == 0 and out.startswith("network private_net") and err == ""
    parsed(out)


def test_cli_compile_several_into_a_folder(tmp_path, capsys):
    code, out, err = run_cli(["compile", str(COMPILE / "compute.yaml"), str(COMPILE / "galaxy.yaml"),
                              "-o", str(tmp_path / "radl"), "-i", "unused=1"], capsys)
    assert code == 0 and out == ""
    assert sorted(p.name for p in (tmp_path / "radl").iterdir()) == ["compute.radl", "galaxy.radl"]
    assert "PT700" in err  # the galaxy manual warning is printed, validate-style
    parsed((tmp_path / "radl" / "galaxy.radl").read_text())


def test_cli_compile_refuses_on_errors(tmp_path, capsys):
    code, out, err = run_cli(["compile", str(COMPILE / "no_host.yaml"), "-o", str(tmp_path / "x.radl")], capsys)
    assert code == 1 and not (tmp_path / "x.radl").exists()
    assert "error PT702" in err and "nothing written" in err


def test_cli_compile_flags(tmp_path, capsys):
    code, out, _ = run_cli(["compile", str(COMPILE / "operations.yaml"), "--import-map", str(FIXTURE_MAP),
                            "--no-contextualize"], capsys)
    assert code == 0 and "contextualize ()" in out
    code, _, err = run_cli(["compile", str(COMPILE / "compute.yaml"), str(COMPILE / "galaxy.yaml")], capsys)
    assert code == cli.EXIT_USAGE and "-o DIR" in err
    code, out, _ = run_cli(["compile", str(COMPILE / "scaling_placement.yaml"), "-i", "workers=7"], capsys)
    assert code == 0 and "deploy wn 7 site_b" in out


def test_cli_graph_formats(capsys):
    code, out, _ = run_cli(["graph", str(COMPILE / "relationships.yaml"), "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 0 and [n["name"] for n in data["nodes"]][:2] == ["vm", "net"]
    assert {"source": "db", "target": "dbms", "relationship": "tosca.relationships.HostedOn"}.items() <= \
        data["edges"][3].items()
    code, out, _ = run_cli(["graph", str(COMPILE / "relationships.yaml"), "--format", "dot"], capsys)
    assert out.startswith("digraph topology {") and '"db" -> "dbms"' in out
    code, out, _ = run_cli(["graph", str(COMPILE / "relationships.yaml"), "--format", "mermaid"], capsys)
    assert out.startswith("flowchart BT") and "n4 -->|\"host (HostedOn)\"| n3" in out


def test_graph_images_need_graphviz(tmp_path, capsys):
    topology = load(COMPILE / "cycle.yaml", use_config=False)
    if shutil.which("dot") is None:
        with pytest.raises(GraphvizMissing):
            render_graph(topology, "svg")
        code, _, err = run_cli(["graph", str(COMPILE / "cycle.yaml"), "-f", "png", "-o", str(tmp_path / "g.png")],
                               capsys)
        assert code == 1 and "Graphviz" in err
    else:
        assert render_graph(topology, "svg").startswith(b"<?xml")


def test_graph_data_has_the_cycle():
    data = graph_data(load(COMPILE / "cycle.yaml", use_config=False))
    assert data["cycles"] == [["a", "b", "c"]] and data["deploy_order"] == ["vm", "a", "b", "c"]
