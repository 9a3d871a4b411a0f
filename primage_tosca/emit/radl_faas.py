"""Serverless functions (``tosca.nodes.aisprint.FaaS.Function``) as IM 2.0
maps them.

A function hosted (through an OSCAR node, any SoftwareComponent on its
hosting chain) on a Compute this template deploys is registered on that
OSCAR cluster once it runs: a configure ``oscar_<function>`` on the Compute,
at the function's depth, calls the task IM's contextualization agent ships
(``utils/tasks/oscar_function.yml``) with the OSCAR endpoint, user and
password and the service definition as JSON; a count of 0 removes it
(``del_oscar_function.yml``).

Any other function is a system of its own, which IM's OSCAR connector (an
existing OSCAR cluster) or Lambda connector (an ECR image) deploys: name,
image, script, memory, cpu, GPU and SGX, environment variables, input and
output storage, storage providers, with an empty configure at its depth and
a deploy of one.

Where this differs from IM on purpose (docs/radl-mapping.md): RADL has no
booleans, so a storage provider's ``verify: true`` (IM writes Python's
``True``, which its own parser refuses) is left out with a warning; the
``exposed`` settings are written one number each (IM writes the whole map
into every feature, which RADL cannot parse either); a dependency on another
function names that function's system (IM fails on it).
"""

from __future__ import annotations

from typing import Any

from ..functions import is_symbolic
from .playtext import play_text
from .radl_container_env import CONTAINER, pod_name
from .radl_context import Emission, as_int, size_in_bytes
from .radl_text import Block, Configure, ContextItem, check_identifier
from .urls import split_url

FAAS = "tosca.nodes.aisprint.FaaS.Function"
SOFTWARE = "tosca.nodes.SoftwareComponent"
STRING_FEATURES = {"name": "name", "image": "disk.0.image.url", "script": "script"}
PROVIDER_KINDS = ("minio", "s3", "onedata")
PROVIDER_FIELDS = ("access_key", "secret_key", "region", "endpoint", "verify", "oneprovider_host", "token", "space")
EXPOSE_FIELDS = ("min_scale", "max_scale", "port", "cpu_threshold")  # what IM's OSCAR connector reads
# The properties IM puts in the service definition it registers on an OSCAR cluster.
SERVICE_PROPERTIES = frozenset({"name", "script", "alpine", "input", "output", "storage_providers", "enable_gpu",
                                "cpu", "memory", "image", "env_variables", "image_pull_secrets"})
FUNCTION_PROPERTIES = SERVICE_PROPERTIES | {"enable_sgx", "exposed"}
OSCAR_USER = "oscar"
TASKS = "utils/tasks"  # in IM's contextualization agent


def oscar_cluster(em: Emission, name: str) -> tuple[str, str] | None:
    """(OSCAR node, its Compute) when the function is registered on an OSCAR
    cluster this template deploys; None when it is a system of its own."""
    compute = em.topology.compute_of(name)
    oscar = next((h for h in em.topology.hosting_chain(name) if em.is_a(h, SOFTWARE)), None)
    return (oscar, compute) if oscar is not None and compute is not None else None


# -- a function deployed by IM's OSCAR or Lambda connector ----------------------------------------------

def build_function(em: Emission, name: str) -> Block:
    """The system of a function IM deploys itself."""
    system = Block("system", name)
    raw = em.topology.raw[name]
    for prop in sorted(raw.written - FUNCTION_PROPERTIES, key=str):
        em.unmapped(f"property {prop!r} of function {name!r} has no RADL feature (IM's OSCAR and Lambda connectors "
                    "read name, image, script, memory, cpu, GPU, SGX, environment, storage and exposed)",
                    raw.path + ("properties", prop))
    for prop, value in _properties(em, name):
        path = raw.path + ("properties", prop)
        if prop not in FUNCTION_PROPERTIES or value in (None, [], {}):
            continue
        if em.runtime(value, f"property {prop!r} of function {name!r}", path):
            continue
        _feature(em, system, prop, value, path)
    _dependencies(em, system, name)
    return system


def _properties(em: Emission, name: str) -> list[tuple[str, Any]]:
    """The function's evaluated properties in the order its type declares them."""
    declared = list(em.topology.raw[name].property_defs)
    values = em.topology.node(name)["properties"]
    return sorted(values.items(), key=lambda item: declared.index(item[0]) if item[0] in declared else len(declared))


def _feature(em: Emission, system: Block, prop: str, value: Any, path: tuple) -> None:
    if prop in STRING_FEATURES:
        system.set(STRING_FEATURES[prop], str(value))
    elif prop == "image_pull_secrets":
        system.set("image_pull_secrets", [str(v) for v in value] if isinstance(value, list) else str(value))
    elif prop == "cpu" and _number(value) is not None:
        system.set("cpu.count", _number(value))
    elif prop == "memory" and memory_bytes(value) is not None:
        system.set("memory.size", memory_bytes(value), "=", "B")
    elif prop in ("alpine", "enable_gpu", "enable_sgx") and isinstance(value, bool):
        feature = {"alpine": "alpine", "enable_gpu": "gpu.count", "enable_sgx": "cpu.sgx"}[prop]
        if value or prop == "alpine":  # IM writes alpine = 0 too, and the others only when asked for
            system.set(feature, 1 if value else 0)
    elif prop == "env_variables" and isinstance(value, dict):
        system.set("environment.variables", [f"{k}:{v}" for k, v in value.items()])
    elif prop in ("input", "output") and isinstance(value, list):
        _storage_paths(em, system, prop, value, path)
    elif prop == "storage_providers" and isinstance(value, dict):
        _providers(em, system, value, path)
    elif prop == "exposed" and isinstance(value, dict):
        _exposed(em, system, value, path)
    else:
        em.unmapped(f"{prop} {value!r} cannot be written in RADL; left out", path)


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else None


def memory_bytes(value: Any) -> int | None:
    """``512Mi``, ``1 GB``: IM appends the ``B`` a Kubernetes-style size leaves out."""
    if not isinstance(value, str):
        return None
    return size_in_bytes(value if value.endswith("B") else value + "B")


def _storage_paths(em: Emission, system: Block, prop: str, entries: list, path: tuple) -> None:
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("storage_provider") or not entry.get("path"):
            em.unmapped(f"{prop} {entry!r} needs a storage_provider and a path; the later entries are left out too, "
                        "as IM's connector stops at the first gap", path)
            return
        system.set(f"{prop}.{number}.provider", str(entry["storage_provider"]))
        system.set(f"{prop}.{number}.path", str(entry["path"]))
        for key in ("suffix", "prefix"):
            if entry.get(key):
                value = entry[key]
                system.set(f"{prop}.{number}.{key}", [str(v) for v in value] if isinstance(value, list) else str(value))


def _providers(em: Emission, system: Block, providers: dict, path: tuple) -> None:
    for kind in PROVIDER_KINDS:
        entries = providers.get(kind)
        for number, (ident, provider) in enumerate((entries or {}).items()):
            prefix = f"{kind}.{number}"
            system.set(f"{prefix}.id", str(ident))
            for key in PROVIDER_FIELDS:
                value = provider.get(key) if isinstance(provider, dict) else None
                if value in (None, "", False):
                    continue
                if value is True:
                    em.unmapped(f"{kind} provider {ident!r}: {key}: true cannot be written (RADL has no booleans, and "
                                "IM's OSCAR connector passes values as written); left out, so OSCAR does not "
                                "verify it", path + (kind, ident, key))
                    continue
                system.set(f"{prefix}.{key}", value if _number(value) is not None else str(value))
    for kind in sorted(set(providers) - set(PROVIDER_KINDS), key=str):
        em.unmapped(f"storage provider kind {kind!r} is not one IM's OSCAR connector reads "
                    f"({', '.join(PROVIDER_KINDS)}); left out", path + (kind,))


def _exposed(em: Emission, system: Block, exposed: dict, path: tuple) -> None:
    for key, value in exposed.items():
        number = as_int(value)
        if key in EXPOSE_FIELDS and number is not None:
            system.set(f"expose.{key}", number)
        else:
            em.unmapped(f"exposed {key}: {value!r} is left out: IM's OSCAR connector reads whole numbers for "
                        f"{', '.join(EXPOSE_FIELDS)}", path + (key,))


def _dependencies(em: Emission, system: Block, name: str) -> None:
    """``dependencies``: the systems the function waits for (IM's OSCAR
    connector), from its DependsOn requirements."""
    found: dict[str, None] = {}
    for target, edge in em.topology.edges_from(name):
        if edge["kind"] != "DependsOn":
            continue
        waited = dependency_system(em, target)
        if waited is None:
            em.unmapped(f"{name!r} depends on {target!r}, which is no system IM deploys; the function does not "
                        "wait for it", edge["path"])
        else:
            found[waited] = None
    if found:
        system.set("dependencies", list(found))


def dependency_system(em: Emission, target: str) -> str | None:
    """The system a node runs as: its Compute's, a pod's or a function's own."""
    compute = em.topology.compute_of(target)
    if compute is not None:
        return compute
    if em.is_a(target, CONTAINER):
        return pod_name(target)
    if em.is_a(target, FAAS):
        return target
    return None


# -- a function registered on an OSCAR cluster the template deploys ----------------------------------------

def registration(em: Emission, name: str, oscar: str, count: int) -> Configure | None:
    """The configure that registers the function on the OSCAR cluster (or,
    with a count of 0, removes it)."""
    conf_name = f"oscar_{name}"
    problem = check_identifier(conf_name)
    if problem:
        em.error(f"function {name!r} cannot be registered by a configure named {conf_name!r}: {problem}",
                 em.topology.raw[name].path, "rename the node template")
        return None
    import json  # only a template with functions pays for loading it

    service = service_definition(em, name)
    variables = {"oscar_endpoint": _oscar_endpoint(em, oscar), "oscar_username": OSCAR_USER,
                 "oscar_password": _oscar_password(em, oscar)}
    if count:
        task = {"include_tasks": f"{TASKS}/oscar_function.yml",
                "vars": {**variables, "oscar_service_json": json.dumps(service)}}
    else:
        task = {"include_tasks": f"{TASKS}/del_oscar_function.yml",
                "vars": {**variables, "oscar_service_name": service.get("name", name)}}
    recipe = play_text([{"tasks": [task]}], width=1 << 20)  # the JSON on one line
    if any(line.startswith("@end") for line in recipe.splitlines()):
        em.error(f"the service definition of {name!r} has a line starting with '@end', which ends a RADL recipe",
                 em.topology.raw[name].path)
        return None
    return Configure(conf_name, recipe)


def service_definition(em: Emission, name: str) -> dict:
    """The OSCAR service definition IM sends for a function."""
    raw = em.topology.raw[name]
    service: dict[str, Any] = {}
    for prop, value in _properties(em, name):
        path = raw.path + ("properties", prop)
        if value in (None, [], {}) or em.runtime(value, f"property {prop!r} of function {name!r}", path):
            continue
        if prop not in SERVICE_PROPERTIES:
            if prop in raw.written:
                em.unmapped(f"property {prop!r} of function {name!r} is not registered: IM's OSCAR recipe sends "
                            f"only {', '.join(sorted(SERVICE_PROPERTIES))}", path)
            continue
        if prop == "cpu" and _number(value) is not None:
            service["cpu"] = f"{value:g}"
        elif prop == "memory" and memory_bytes(value) is not None:
            service["memory"] = f"{memory_bytes(value) // 2**20}Mi"
        elif prop == "image":
            service["image"] = _service_image(str(value))
        elif prop == "env_variables":
            service["environment"] = {"Variables": value}
        elif prop == "image_pull_secrets":
            service["image_pull_secrets"] = value if isinstance(value, list) else [value]
        elif prop in ("cpu", "memory"):
            em.unmapped(f"{prop} {value!r} is not a number or size; left out", path)
        else:
            service[prop] = value
    return service


def _service_image(image: str) -> str:
    """``oscar://host/image`` and ``docker://image`` as the image name alone."""
    if image.startswith("oscar://"):
        parts = split_url(image)
        return parts.path[1:] if parts is not None else image
    return image.removeprefix("docker://")


def _oscar_endpoint(em: Emission, oscar: str) -> str:
    """``https://<dns_host>``, else the OSCAR VM's public address."""
    dns_host = em.topology.node(oscar)["properties"].get("dns_host")
    if isinstance(dns_host, str) and dns_host.strip("'\""):
        return f"https://{dns_host}"
    if is_symbolic(dns_host):
        em.runtime(dns_host, f"dns_host of {oscar!r}", em.topology.raw[oscar].path)
    return "http://{{ IM_NODE_PUBLIC_IP }}"


def _oscar_password(em: Emission, oscar: str) -> str:
    password = em.topology.node(oscar)["properties"].get("password")
    if isinstance(password, (str, int, float)) and not isinstance(password, bool):
        return str(password)
    em.unmapped(f"{oscar!r} has no password to register functions with (an OSCAR node's `password`)",
                em.topology.raw[oscar].path)
    return ""


def add_registrations(em: Emission) -> None:
    """The configures of the functions registered on an OSCAR cluster, each
    run on the cluster's Compute at the function's depth (after build_deploys
    has read their counts)."""
    for name, (oscar, compute) in em.registered.items():
        count = em.counts.get(name)
        if count is None:
            continue  # the count is wrong, and already reported
        configure = registration(em, name, oscar, count)
        if configure is None:
            continue
        em.doc.configures.append(configure)
        if em.contextualize:
            items = em.doc.contextualize if em.doc.contextualize is not None else []
            items.append(ContextItem(compute, configure.name, em.topology.levels.get(name, 1)))
            em.doc.contextualize = items
