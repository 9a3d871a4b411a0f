"""Container applications as IM 2.0 maps them for its Kubernetes connector.

A ``tosca.nodes.Container.Application`` becomes a system of its own (a pod):
``disk.0.image.url = 'docker://<image>'`` from its Docker image artifact,
``command`` and ``environment.variables`` from its properties, configuration
files (``tosca.artifacts.File`` with a ``deploy_path``) as ``disk.N.content``
and ``disk.N.mount_path``, and from the ``host`` capability of the runtime it
is hosted on: ``cpu.count``, ``gpu.count``, ``memory.size``, volumes as
disks, and published (or exposed) ports as a network of its own. It gets an
empty configure at its depth and a deploy of one (a pod runs once).

Where this differs from IM's converter on purpose (docs/im-differences.md):
the system is named after the node alone, where IM appends the first eight
characters of the infrastructure id (known only when deploying: compiled RADL
is the same on every run); the runtime is whatever the application is hosted
on, where IM recognises only a node of type exactly
``tosca.nodes.Container.Runtime.Docker`` and silently drops the sizes and
ports of any other (INDIGO's runtimes, for one); and a volume's mount path
is the part after its name, where IM glues every later ``:`` part into it.
"""

from __future__ import annotations

from typing import Any

from .radl_container_env import environment_variables, pod_name
from .radl_context import BLOCK_STORAGE, Emission, as_int, repository_url, size_in_bytes
from .radl_network import add_outports, format_outports, unique_network_name
from .radl_text import Block
from .urls import split_url, url_problem

DOCKER_IMAGE = "tosca.artifacts.Deployment.Image.Container.Docker"
FILE_ARTIFACT = "tosca.artifacts.File"
APPLICATION_PROPERTIES = frozenset({"command", "environment"})
RUNTIME_PROPERTIES = frozenset({"num_cpus", "num_gpus", "mem_size", "volumes", "publish_ports", "expose_ports"})


def build_container(em: Emission, name: str, referenced: dict[str, set[str]]) -> Block | None:
    """The pod system of a container application (None when it has no image)."""
    raw = em.topology.raw[name]
    image = _image(em, name)
    if image is None:
        return None
    system = Block("system", pod_name(name))
    system.set("disk.0.image.url", "docker://" + image)
    disks = _configuration_files(em, system, name)
    _application_properties(em, system, name)
    for iface, operations in raw.interfaces.items():
        for op, operation in operations.items():
            if operation.written and operation.implementation is not None:
                em.unmapped(f"operation {iface}.{op} of container application {name!r} is not run: IM writes an "
                            "empty configure for a pod", operation.path)
    hosts = em.topology.hosting_chain(name)
    if hosts:
        referenced.setdefault(hosts[0], set()).add("host")  # read here: no warning that nothing reads it
        _runtime(em, system, hosts[0], disks)
    return system


def volume_names(em: Emission, containers: list[str]) -> set[str]:
    """The names the runtimes of these container applications mount as
    volumes: a BlockStorage node so named is used, not left unattached."""
    names = set()
    for name in containers:
        hosts = em.topology.hosting_chain(name)
        host = em.topology.node(hosts[0])["capabilities"].get("host") if hosts else None
        volumes = host["properties"].get("volumes") if host else None
        if isinstance(volumes, list):
            names.update(str(volume).split(":")[0] for volume in volumes)
    return names


def _image(em: Emission, name: str) -> str | None:
    """The Docker image, prefixed with its repository's host and path."""
    types = em.topology.types
    for artifact in em.topology.node(name)["artifacts"].values():
        if not isinstance(artifact, dict) or not types.is_derived_from("artifact_types", artifact.get("type"),
                                                                      DOCKER_IMAGE):
            continue
        file = artifact.get("file")
        if isinstance(file, str) and file.strip():
            url = repository_url(em, artifact.get("repository"))
            if not url:
                return file.strip()
            parts = split_url(url)
            if parts is None:
                em.error(f"the repository of the image of {name!r} has a malformed URL {url!r} "
                         f"({url_problem(url)})", em.topology.raw[name].path, "fix the repository's url")
                return None
            return f"{parts.netloc}{parts.path}".rstrip("/") + "/" + file.strip()
    em.error(f"container application {name!r} names no image: give it an artifact of type {DOCKER_IMAGE} "
             "with a file (the image name)", em.topology.raw[name].path)
    return None


def _configuration_files(em: Emission, system: Block, name: str) -> int:
    """``tosca.artifacts.File`` artifacts with a ``deploy_path``, as files
    mounted in the pod; returns the next free disk number."""
    types = em.topology.types
    number = 1
    raw = em.topology.raw[name]
    written = raw.template.get("artifacts")
    for artifact_name, artifact in em.topology.node(name)["artifacts"].items():
        if not isinstance(artifact, dict) or types.is_derived_from("artifact_types", artifact.get("type"),
                                                                  DOCKER_IMAGE):
            continue
        path = raw.path + ("artifacts", artifact_name)
        if not types.is_derived_from("artifact_types", artifact.get("type"), FILE_ARTIFACT) or \
                not artifact.get("deploy_path"):
            if not _written(written, artifact_name):  # the type's own: IM does not deploy it either
                continue
            em.unmapped(f"artifact {artifact_name!r} of container application {name!r} is neither its image nor a "
                        "file with a deploy_path; it is not deployed", path)
            continue
        content = _file_content(em, name, artifact, path)
        if content is not None:
            system.set(f"disk.{number}.content", content)
            system.set(f"disk.{number}.mount_path", str(artifact["deploy_path"]))
            number += 1
    return number


def _written(section: Any, name: str) -> bool:
    """Whether the template writes artifact ``name`` (a map, or a list of one-key maps)."""
    if isinstance(section, dict):
        return name in section
    return isinstance(section, list) and any(isinstance(item, dict) and name in item for item in section)


def _file_content(em: Emission, name: str, artifact: dict, path: tuple) -> str | None:
    """The text a configuration file holds: its ``content`` property, else the
    file it names, read as playbooks are (local, or an import-mapped URL)."""
    properties = artifact.get("properties") if isinstance(artifact.get("properties"), dict) else {}
    content = properties.get("content")
    if content:
        if em.runtime(content, "a configuration file's content", path):
            return None
        return str(content)
    file = artifact.get("file")
    if not isinstance(file, str) or not file:
        em.unmapped("a configuration file with neither content nor file; left out", path)
        return None
    document = em.topology.template.document_of(em.topology.raw[name].path)
    fetched = em.playbooks.read(file, getattr(document, "real_path", None), getattr(document, "url", None))
    if fetched.text is None:
        em.error(f"configuration file {file!r} of {name!r}: {fetched.problem}", path, fetched.hint)
        return None
    return fetched.text


def _application_properties(em: Emission, system: Block, name: str) -> None:
    raw = em.topology.raw[name]
    values = em.topology.node(name)["properties"]
    for prop in sorted(raw.written - APPLICATION_PROPERTIES, key=str):
        em.unmapped(f"property {prop!r} of container application {name!r} has no RADL feature (IM's Kubernetes "
                    "connector reads image, command and environment)", raw.path + ("properties", prop))
    command = values.get("command")
    if command not in (None, "", []) and not em.runtime(command, "the command", raw.path + ("properties", "command")):
        # a list stays a list, as IM writes it: the connector runs its first item with the rest as arguments
        system.set("command", [str(part) for part in command] if isinstance(command, list) else str(command))
    environment = values.get("environment")
    path = raw.path + ("properties", "environment")
    if isinstance(environment, dict) and environment:
        variables = environment_variables(em, name, environment, path)
        if variables:
            system.set("environment.variables", variables)


def _runtime(em: Emission, system: Block, runtime: str, disks: int) -> None:
    """Sizes, volumes and ports from the runtime's ``host`` capability."""
    capability = em.topology.raw[runtime].capabilities.get("host")
    if capability is None:
        return
    values = em.topology.node(runtime)["capabilities"]["host"]["properties"]
    for prop in sorted(capability.written - RUNTIME_PROPERTIES, key=str):
        em.unmapped(f"property {prop!r} of the host capability of {runtime!r} has no RADL feature for a pod",
                    capability.path + ("properties", prop))
    where = {prop: capability.path + ("properties", prop) for prop in RUNTIME_PROPERTIES}
    for prop, value in values.items():
        if prop not in RUNTIME_PROPERTIES or value in (None, [], {}) or em.runtime(value, prop, where[prop]):
            continue
        if prop == "num_cpus" and isinstance(value, (int, float)) and not isinstance(value, bool):
            system.set("cpu.count", float(value))
        elif prop == "num_gpus" and as_int(value) is not None:
            system.set("gpu.count", as_int(value))
        elif prop == "mem_size" and size_in_bytes(value) is not None:
            system.set("memory.size", size_in_bytes(value), "=", "B")
        elif prop == "volumes" and isinstance(value, list):
            _volumes(em, system, value, disks, where[prop])
        elif prop in ("publish_ports", "expose_ports") and isinstance(value, list):
            _ports(em, system, value, prop == "publish_ports", where[prop])
        else:
            em.unmapped(f"{prop} {value!r} of {runtime!r} cannot be written in RADL", where[prop])


def _volumes(em: Emission, system: Block, volumes: list, number: int, path: tuple) -> None:
    """``name:mount_path`` each; a BlockStorage node of that name gives the
    size or the volume id."""
    for volume in volumes:
        parts = str(volume).split(":")
        if len(parts) > 2:
            em.unmapped(f"volume {volume!r}: only name:mount_path is read; the options after it are left out",
                        path)
        storage = parts[0]
        if storage in em.topology.raw and em.is_a(storage, *BLOCK_STORAGE):
            properties = em.topology.node(storage)["properties"]
            if properties.get("volume_id"):
                system.set(f"disk.{number}.image.url", str(properties["volume_id"]))
            size = size_in_bytes(properties.get("size"))
            if size:  # 0: no size asked for (IM writes none)
                system.set(f"disk.{number}.size", size, "=", "B")
        if len(parts) > 1 and parts[1]:
            system.set(f"disk.{number}.mount_path", parts[1])
        number += 1


def _ports(em: Emission, system: Block, ports: list, public: bool, path: tuple) -> None:
    """A network of the pod's own. Published ports are reachable from outside
    (a NodePort service): ``target`` is the container's port, ``source`` the
    node port asked for (0: any), and the first port's ``endpoint`` the pod's
    DNS name. Exposed ones only inside the cluster (a ClusterIP service), a
    port given on one side only being the same on the other (IM's reading)."""
    specs = [port for port in ports if isinstance(port, dict)]
    if len(specs) < len(ports):
        em.unmapped("a port that is not a PortSpec map (protocol, source, target...) is left out", path)
    if public:
        _published(em, system, specs, path)
    outports = format_outports(em, specs, path, mirror=not public)
    network = Block("network", unique_network_name(em, f"{system.name}_{'pub' if public else 'priv'}"))
    network.set("outbound", "yes" if public else "no")
    if outports:
        add_outports(network, outports)
    em.doc.add_network(network)
    system.set("net_interface.0.connection", network.name)


def _published(em: Emission, system: Block, specs: list[dict], path: tuple) -> None:
    for spec in specs:
        if spec.get("target") is None and spec.get("source_range") is None:
            em.unmapped(f"port {spec!r} has no target (the container's port); IM's Kubernetes connector reads "
                        "source as the node port only", path, "add target: <the port the container listens on>")
    for spec in specs[1:]:
        if spec.get("endpoint") is not None:
            em.unmapped(f"port {spec!r}: only the first published port's endpoint names the pod (IM's reading); "
                        "this one is left out", path)
    dns_name = specs[0].get("endpoint") if specs else None
    if dns_name in (None, "") or em.runtime(dns_name, "the endpoint of the first published port", path):
        return
    system.set("net_interface.0.dns_name", str(dns_name))
    system.set("net_interface.0.dns.0.name", str(dns_name))
