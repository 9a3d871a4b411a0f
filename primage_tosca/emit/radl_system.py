"""A Compute node as a RADL ``system``: its host and os capabilities, its
own properties, the BlockStorage attached to it and the Ansible Galaxy
roles and collections the nodes on it need."""

from __future__ import annotations

import re
from typing import Any

from ..functions import is_symbolic
from .radl_context import BLOCK_STORAGE, Emission, as_int, size_in_bytes
from .radl_text import Block, Feature, Features
from .urls import url_problem

# capability property -> RADL feature, for the `os` and `host` capabilities (as IM reads them)
CAPABILITY_FEATURES = {
    "architecture": "cpu.arch",
    "type": "disk.0.os.name",
    "distribution": "disk.0.os.flavour",
    "version": "disk.0.os.version",
    "image": "disk.0.image.url",
    "credential": "disk.0.os.credentials",
    "num_cpus": "cpu.count",
    "disk_size": "disk.0.size",
    "disk_type": "disk.0.type",
    "mem_size": "memory.size",
    "cpu_frequency": "cpu.performance",
    "instance_type": "instance_type",
    "preemtible_instance": "spot",  # sic: the INDIGO types spell it so
    "preemptible_instance": "spot",
    "num_gpus": "gpu.count",
    "gpu_vendor": "gpu.vendor",
    "gpu_model": "gpu.model",
    "sgx": "cpu.sgx",
    "sgx_epc_size": "cpu.sgx.epc_size",
}
SIZES = frozenset({"disk_size", "mem_size"})
FLAGS = frozenset({"preemtible_instance", "preemptible_instance", "sgx"})
# Values RADL's own check accepts.
ALLOWED = {"cpu.arch": ("i386", "x86_64"), "disk.0.os.name": ("linux", "windows", "mac os x")}
OPERATORS = {"equal": "=", "greater_than": ">", "greater_or_equal": ">=", "less_than": "<", "less_or_equal": "<="}
VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*$")
COMPUTE_PROPERTIES = frozenset({"instance_name", "tags", "public_ip"})
SYSTEM_CAPABILITIES = frozenset({"os", "host", "endpoint", "scalable", "binding", "feature"})
ATTACHMENT_PROPERTIES = frozenset({"location", "device", "fs_type"})
STORAGE_PROPERTIES = frozenset({"size", "volume_id", "snapshot_id", "type"})
NOTHING: frozenset = frozenset()
PLAIN = (str, int, float)  # the values a feature is remembered for (by type too: True == 1 == 1.0)
ROLE = "tosca.artifacts.AnsibleGalaxy.role"
COLLECTION = "tosca.artifacts.AnsibleGalaxy.collection"


def build_system(em: Emission, name: str, referenced: dict[str, set[str]]) -> Block:
    system = Block("system", name)
    node = em.topology.node(name)
    raw = em.topology.raw[name]
    properties = node["properties"]
    instance_name = properties.get("instance_name")
    system.set("instance_name", instance_name if isinstance(instance_name, str) and instance_name else name)
    _tags(em, system, properties.get("tags"), raw.path + ("properties", "tags"))
    used = referenced.get(name, NOTHING)
    for prop in sorted(raw.written - COMPUTE_PROPERTIES - used) if raw.written else ():
        em.unmapped(f"property {prop!r} of Compute {name!r} has no RADL feature and no operation reads it",
                    raw.path + ("properties", prop))
    for capability in ("os", "host"):
        if capability in node["capabilities"]:
            _capability(em, system, name, capability)
    for capability, cap in raw.capabilities.items():
        if capability not in SYSTEM_CAPABILITIES and cap.written and capability not in used:
            em.unmapped(f"capability {capability!r} of Compute {name!r} has no RADL feature", cap.path)
    _disks(em, system, name)
    _applications(em, system, name)
    return system


def _tags(em: Emission, system: Block, tags: Any, path: tuple) -> None:
    if not tags:
        return
    if not isinstance(tags, dict) or is_symbolic(tags):
        em.unmapped("tags must be a map of compile-time values to become instance_tags", path)
        return
    system.set("instance_tags", ",".join(f"{k}={v}" for k, v in tags.items()))


def _capability(em: Emission, system: Block, name: str, capability: str) -> None:
    raw = em.topology.raw[name].capabilities[capability]
    values = em.topology.node(name)["capabilities"][capability]["properties"]
    for prop, value in values.items():
        feature = CAPABILITY_FEATURES.get(prop)
        if feature is None:
            if prop in raw.written:
                em.unmapped(f"{capability} property {prop!r} of {name!r} has no RADL feature",
                            raw.path + ("properties", prop))
            continue
        if value is None:
            continue
        key = _feature_key(prop, value)
        done = em.features.get(key) if key is not None else None
        if done is not None:  # a plain value met before (so not symbolic): no path, no test
            system.set(*done)
            continue
        path = raw.path + ("properties", prop)
        # the message is made only for a value left to run time: asked for every property of every Compute
        if is_symbolic(value) and em.runtime(value, f"{capability} property {prop!r} of {name!r}", path):
            continue
        _feature(em, system, prop, feature, value, path, key)


def _feature_key(prop: str, value: Any) -> tuple | None:
    """Where ``em.features`` keeps the feature a plain value of ``prop`` maps to; None for
    other values and for credentials, which are never remembered."""
    # a plain value maps to the same feature wherever it is written (clusters of identical VMs): worked out once
    if prop == "credential" or type(value) not in PLAIN:
        return None
    return (prop, type(value), value)


def _feature(em: Emission, system: Block, prop: str, feature: str, value: Any, path: tuple,
             key: tuple | None) -> None:
    """Set the feature for the value (remembered under ``key``, see :func:`_feature_key`)."""
    if prop == "credential":
        _credential(em, system, _operator(value)[1], path)
        return
    done = _converted(em, prop, feature, value, path)
    if done is None:
        return
    if key is not None:
        em.features[key] = done
    system.set(*done)


def _converted(em: Emission, prop: str, feature: str, value: Any, path: tuple) -> tuple | None:
    """The feature's (name, value, operator, unit) for the property's value; None (and a finding) when the
    value cannot be one."""
    operator, value = _operator(value)
    unit = ""
    if prop in SIZES:
        value, unit = size_in_bytes(value), "B"
        if value is None:
            em.unmapped(f"{prop} must be a scalar-unit size such as '4 GB'; left out", path)
            return None
    elif prop == "version":
        value = str(value)
        if not VERSION.match(value):
            em.unmapped(f"os version {value!r} is not numbers and dots, which RADL requires; left out", path)
            return None
    elif prop == "image":
        value = str(value) if "://" in str(value) else "docker://" + str(value)
        problem = url_problem(value)
        if problem:
            em.error(f"os image {value!r} is not a valid URL ({problem})", path,
                     "write the image as <scheme>://<site>/<image>, e.g. ost://cloud.example.org/ubuntu-22.04")
            return None
    elif prop in FLAGS:
        value = "yes" if value else "no"
    elif feature in ALLOWED and str(value).lower() not in ALLOWED[feature]:
        em.unmapped(f"{feature} {value!r} is not one RADL knows ({', '.join(ALLOWED[feature])}); left out", path)
        return None
    elif prop in ("num_cpus", "num_gpus", "cpu_frequency"):
        value = as_int(value) if as_int(value) is not None else value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            em.unmapped(f"{prop} {value!r} is not a number; left out", path)
            return None
    return _checked(em, feature, value, operator, unit, path)


def _checked(em: Emission, feature: str, value: Any, operator: str | None, unit: str, path: tuple) -> tuple | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        em.unmapped(f"{feature} needs a string or a number, not {type(value).__name__}; left out", path)
        return None
    numeric = isinstance(value, (int, float))
    operator = operator or (">=" if numeric else "=")
    if not numeric and operator != "=" and "version" not in feature:
        em.unmapped(f"{feature} is a string: RADL compares strings with '=' only; left out", path)
        return None
    return feature, value, operator, unit


def _operator(value: Any) -> tuple[str | None, Any]:
    """``{greater_or_equal: 2}`` -> ('>=', 2): IM reads constraint-style values."""
    if isinstance(value, dict) and len(value) == 1:
        key, inner = next(iter(value.items()))
        if key in OPERATORS:
            return OPERATORS[key], inner
    return None, value


def _credential(em: Emission, system: Block, value: Any, path: tuple) -> None:
    if not isinstance(value, dict) or not value.get("user"):
        em.unmapped("an image credential needs a user; left out", path)
        return
    token_type = value.get("token_type") or "password"
    token = value.get("token")
    if token:
        if token_type in ("password", "private_key", "public_key"):
            system.set(f"disk.0.os.credentials.{token_type}", str(token))
        else:
            em.unmapped(f"credential token_type {token_type!r} has no RADL feature; the token is left out", path)
    system.set("disk.0.os.credentials.username", str(value["user"]))


# -- attached block storage ----------------------------------------------------------------

def _disks(em: Emission, system: Block, name: str) -> None:
    number = 1
    for target, edge in em.topology.edges_from(name):
        if edge["kind"] != "AttachesTo":
            continue
        if not em.is_a(target, *BLOCK_STORAGE):
            em.unmapped(f"{name!r} attaches {target!r}, which is not BlockStorage; left out", edge["path"])
            continue
        if _disk(em, system, number, target, edge):
            number += 1
    if number > 1 and not any(f.name.startswith("disk.0.") for f in system.features):
        # RADL numbers disks from 0 (the boot disk) without gaps; say what IM assumes anyway
        system.set("disk.0.os.name", "linux")


def _disk(em: Emission, system: Block, number: int, target: str, edge: dict) -> bool:
    storage = em.topology.node(target)["properties"]
    raw = em.topology.raw[target]
    for prop in sorted(raw.written - STORAGE_PROPERTIES):
        em.unmapped(f"BlockStorage property {prop!r} has no RADL feature", raw.path + ("properties", prop))
    for prop in sorted(set(edge["properties"]) - ATTACHMENT_PROPERTIES):
        if edge["properties"][prop] is not None:
            em.unmapped(f"attachment property {prop!r} has no RADL feature", edge["path"])
    size = storage.get("size")
    volume = storage.get("volume_id")
    if size_in_bytes(size) == 0:
        size = None  # a size of 0 is how templates (and IM) say "no disk"
        if not volume and not storage.get("snapshot_id"):
            return False
    if size is None and not volume and not storage.get("snapshot_id"):
        em.unmapped(f"BlockStorage {target!r} has no size, volume_id or snapshot_id; no disk is added", raw.path)
        return False
    prefix = f"disk.{number}."
    if volume:
        system.set(prefix + "image.url", str(volume))
    else:
        if storage.get("type"):
            system.set(prefix + "type", str(storage["type"]))
        if size is not None:
            _disk_size(em, system, prefix, size, raw.path + ("properties", "size"))
        if storage.get("snapshot_id"):
            em.unmapped("snapshot_id has no RADL feature; the disk is created empty",
                        raw.path + ("properties", "snapshot_id"))
    _attachment(em, system, prefix, edge)
    return True


def _disk_size(em: Emission, system: Block, prefix: str, size: Any, path: tuple) -> None:
    if em.runtime(size, "the BlockStorage size", path):
        return
    value = size_in_bytes(size)
    if value is None:
        em.unmapped(f"BlockStorage size {size!r} is not a scalar-unit size such as '10 GB'", path)
        return
    system.set(prefix + "size", value, "=", "B")


def _attachment(em: Emission, system: Block, prefix: str, edge: dict) -> None:
    properties = edge["properties"]
    for prop in ("device", "location", "fs_type"):
        if is_symbolic(properties.get(prop)):
            em.runtime(properties[prop], f"attachment property {prop!r}", edge["path"])
            return
    if properties.get("device"):
        system.set(prefix + "device", str(properties["device"]))
    if properties.get("location"):
        system.set(prefix + "mount_path", str(properties["location"]))
        system.set(prefix + "fstype", str(properties.get("fs_type") or "ext4"))


# -- Ansible Galaxy roles and collections -----------------------------------------------------

def _applications(em: Emission, system: Block, compute: str) -> None:
    if not em.has_artifacts:
        return
    roles: dict[str, None] = {}
    collections: dict[str, None] = {}
    types = em.topology.types
    for node in em.topology.hosted_on(compute):
        for artifact in _artifacts_of(em, node):
            kind, file = artifact.get("type"), artifact.get("file")
            if not isinstance(kind, str) or not isinstance(file, str) or not file:
                continue
            if types.is_derived_from("artifact_types", kind, ROLE):
                roles[_pinned(em, file, "role", node)] = None
            elif types.is_derived_from("artifact_types", kind, COLLECTION):
                collections[_pinned(em, file, "collection", node)] = None
    for name in [*("ansible.collections." + f for f in collections), *("ansible.roles." + f for f in roles)]:
        system.add(Feature("disk.0.applications", "contains", Features([Feature("name", "=", name)])))


def _pinned(em: Emission, spec: str, kind: str, node: str) -> str:
    """The spec with the version recipes.lock chose, so IM installs exactly
    what was locked; as written (with a warning) when the lock lacks it."""
    if em.lock is None:
        return spec
    from ..galaxy.errors import RecipeError
    from ..galaxy.lock import pin_spec

    try:
        return pin_spec(spec, em.lock, kind)
    except RecipeError as exc:
        em.unmapped(f"{kind} {spec!r} of {node!r} is written unpinned: {exc}", em.topology.raw[node].path,
                    "run `primage-tosca recipes lock BLUEPRINT` to lock it")
        return spec


def _artifacts_of(em: Emission, node: str) -> list[dict]:
    """A node's artifacts, its relationships', and (as IM gathers them) the
    artifacts of the nodes it requires."""
    found = list(em.topology.node(node)["artifacts"].values())
    for requirement in em.topology.requirements.get(node, []):
        found.extend(requirement.artifacts.values())
        found.extend(em.topology.node(requirement.target)["artifacts"].values())
    return [a for a in found if isinstance(a, dict)]
