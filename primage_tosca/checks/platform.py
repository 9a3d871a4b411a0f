"""PT410, PT411, PT720, PT721: the PRIMAGE platform's own rules, for
templates that use the types of ``types/primage.yaml``.

* PT410 secret-inline: a secret property (a Onedata token, a registry
  password, a notebook token) holds a value written in the template, or reads
  an input whose ``default`` writes one.
* PT411 secret-input-missing: a secret input has no value and no default
  when one is needed: at validate time only when the user supplied input
  values (``-i``/``--inputs``: they mean to deploy); the compilers ask
  :func:`missing_secrets` themselves when their target needs the value.
* PT720 registry-credential-missing: an application's image comes from a
  private registry, and no username and password reach it.
* PT721 input-selection-empty: an HTC job's inputs, when they can be known
  before submission (a list, or a glob over a listing), are none.

The facts live here once (:data:`SECRET_PROPERTIES`, :func:`select_inputs`,
:func:`image_registry`) and the Kubernetes and EC3 emitters use them too.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Iterator

from ..diagnostics import Diagnostic
from ..functions import is_symbolic
from ..imports.template import ServiceTemplate
from ..records import record
from ..topology.model import Topology
from .base import check, report

PREFIX = "primage."
SPACE = "primage.nodes.OnedataSpace"
REGISTRY = "primage.nodes.ContainerRegistry"
APPLICATION = "primage.nodes.Application"
HTC_JOB = "primage.nodes.HTCJob"
NOTEBOOK = "primage.nodes.NotebookApplication"
# The properties that hold secrets, by the type that declares them.
SECRET_PROPERTIES = {
    SPACE: ("token",),
    REGISTRY: ("password",),
    NOTEBOOK: ("access_token",),
}
INPUTS_PATH = ("topology_template", "inputs")


def uses_platform(template: ServiceTemplate) -> bool:
    """True when a node template or type of the template is a PRIMAGE type
    (a cheap look before a topology is built)."""
    types = template.data.get("node_types") if isinstance(template.data, dict) else None
    if isinstance(types, dict) and any(isinstance(t, dict) and str(t.get("derived_from", "")).startswith(PREFIX)
                                       for t in types.values()):
        return True
    nodes = template.topology.get("node_templates")
    if not isinstance(nodes, dict):
        return False
    return any(isinstance(n, dict) and str(n.get("type", "")).startswith(PREFIX) for n in nodes.values())


# -- secrets ----------------------------------------------------------------------------------

@record(frozen=True)
class SecretUse:
    node: str
    prop: str
    path: tuple  # of the property value
    value: Any  # as written, before evaluation


def secret_uses(topology: Topology) -> Iterator[SecretUse]:
    """Every secret property a node template assigns, in template order."""
    for name, raw in topology.raw.items():
        for base, props in SECRET_PROPERTIES.items():
            if not raw.is_a(base):
                continue
            for prop in props:
                if prop in raw.written:
                    yield SecretUse(name, prop, raw.path + ("properties", prop), raw.properties.get(prop))


def secret_input(value: Any) -> str | None:
    """The input a secret property reads directly, if it does."""
    if isinstance(value, dict) and len(value) == 1 and "get_input" in value:
        argument = value["get_input"]
        argument = argument[0] if isinstance(argument, list) and argument else argument
        return argument if isinstance(argument, str) else None
    return None


def secret_inputs(topology: Topology) -> dict[str, SecretUse]:
    """Input name -> the first secret property that reads it."""
    found: dict[str, SecretUse] = {}
    for use in secret_uses(topology):
        name = secret_input(use.value)
        if name is not None:
            found.setdefault(name, use)
    return found


def missing_secrets(topology: Topology, supplied: dict | None) -> list[Diagnostic]:
    """PT411 for each secret input with neither a supplied value nor a default."""
    template = topology.template
    supplied = supplied or {}
    found = []
    for name, use in secret_inputs(topology).items():
        definition = template.inputs.get(name)
        if not isinstance(definition, dict) or name in supplied or definition.get("default") is not None:
            continue
        found.append(report(topology, "PT411", f"secret input {name!r} ({use.prop} of {use.node!r}) has no value "
                            "and no default", INPUTS_PATH + (name,), key=True,
                            hint=f"supply it at deploy time (-i {name}=... or an --inputs file kept out of the "
                                 "repository)"))
    return found


@check("PT410", "PT411", "PT720", "PT721")
def platform(topology: Topology) -> Iterator[Diagnostic]:
    """Every platform rule, for templates that use the PRIMAGE types."""
    if not uses_platform(topology.template):
        return
    yield from secrets(topology)
    yield from registry_credentials(topology)
    yield from input_selection(topology)


def secrets(topology: Topology) -> Iterator[Diagnostic]:
    template = topology.template
    for use in secret_uses(topology):
        name = secret_input(use.value)
        if name is None:
            if _written_literal(use.value):
                yield report(topology, "PT410", f"{use.prop} of {use.node!r} is a secret written in the template",
                             use.path, hint="declare a secret input without a default and read it with "
                                            "{ get_input: NAME }; supply the value at deploy time")
            continue
        definition = template.inputs.get(name)
        if isinstance(definition, dict) and _written_literal(definition.get("default")):
            yield report(topology, "PT410", f"secret input {name!r} ({use.prop} of {use.node!r}) has its value "
                         "written as the default", INPUTS_PATH + (name, "default"),
                         hint="remove the default; supply the value at deploy time")
    if template.options.inputs is not None:
        yield from missing_secrets(topology, template.options.inputs)


def _written_literal(value: Any) -> bool:
    if value is None or is_symbolic(value):
        return False
    return not (isinstance(value, str) and value.strip() == "")


# -- registries -------------------------------------------------------------------------------

def image_registry(image: Any) -> str | None:
    """The registry host an image reference names (``registry.example.org:5000/seg:1``
    -> ``registry.example.org:5000``); None for Docker Hub short names."""
    if not isinstance(image, str) or "/" not in image:
        return None
    first = image.split("/", 1)[0]
    if "." in first or ":" in first or first == "localhost":
        return first
    return None


def requirement_target(topology: Topology, node: str, requirement: str) -> tuple[str | None, tuple]:
    for target, edge in topology.edges_from(node):
        if edge.get("requirement") == requirement:
            return target, edge.get("path", ())
    return None, ()


def _value(topology: Topology, node: str, prop: str) -> Any:
    value = topology.node(node)["properties"].get(prop)
    return None if is_symbolic(value) else value


def registry_problem(topology: Topology, app: str) -> str | None:
    """Why the image of ``app`` cannot be pulled with a credential; None when it can
    (or when the values are not known before deploy time)."""
    image = _value(topology, app, "image")
    host = image_registry(image)
    registry, _ = requirement_target(topology, app, "registry")
    if registry is None:
        for name in topology.nodes:
            if topology.is_a(name, REGISTRY) and host is not None and _value(topology, name, "server") == host \
                    and _value(topology, name, "private") is not False:
                return (f"image {image!r} comes from the private registry {name!r} ({host}), but {app!r} has no "
                        f"`registry` requirement, so no pull credential reaches it")
        return None
    server = _value(topology, registry, "server")
    if host is not None and isinstance(server, str) and server != host:
        return f"image {image!r} is not from {registry!r} ({server}): its credential will not be used"
    if _value(topology, registry, "private") is False:
        return None
    raw = topology.raw[registry]
    missing = [p for p in ("username", "password") if p not in raw.written or raw.properties.get(p) in (None, "")]
    if missing:
        return f"private registry {registry!r} of image {image!r} has no {' or '.join(missing)}"
    return None


def registry_credentials(topology: Topology) -> Iterator[Diagnostic]:
    template = topology.template
    for name in topology.nodes:
        if topology.is_a(name, APPLICATION) and "image" in topology.raw[name].written:
            problem = registry_problem(topology, name)
            if problem:
                yield report(topology, "PT720", problem, topology.raw[name].path + ("properties", "image"),
                             hint="add `- registry: NODE` with a primage.nodes.ContainerRegistry whose username "
                                  "and password read inputs (the password a secret one)")


# -- HTC input selection ----------------------------------------------------------------------

@record(frozen=True)
class Selection:
    files: list[str] | None  # None: not known before the job runs
    decided_by: str  # the property that made it empty or known


def select_inputs(properties: dict) -> Selection:
    """The input files of an HTC job: ``input_files``, filtered by
    ``input_pattern`` when both are given; else the pattern over
    ``input_listing``. Glob semantics are :mod:`fnmatch`'s, on paths relative
    to the space (``*`` also crosses ``/``)."""
    files = properties.get("input_files")
    pattern = properties.get("input_pattern")
    listing = properties.get("input_listing")
    pattern = pattern if isinstance(pattern, str) and not is_symbolic(pattern) else None
    if isinstance(files, list) and not is_symbolic(files):
        chosen = [str(f) for f in files]
        if pattern is not None:
            chosen = [f for f in chosen if fnmatch.fnmatchcase(f, pattern)]
            return Selection(chosen, "input_pattern" if files else "input_files")
        return Selection(chosen, "input_files")
    if pattern is not None and isinstance(listing, list) and not is_symbolic(listing):
        return Selection([str(f) for f in listing if fnmatch.fnmatchcase(str(f), pattern)], "input_pattern")
    return Selection(None, "input_pattern" if pattern is not None else "input_files")


def input_selection(topology: Topology) -> Iterator[Diagnostic]:
    template = topology.template
    for name in topology.nodes:
        if not topology.is_a(name, HTC_JOB):
            continue
        selection = select_inputs(topology.node(name)["properties"])
        if selection.files is not None and not selection.files:
            prop = selection.decided_by
            yield report(topology, "PT721", f"the input selection of HTC job {name!r} matches no file, so the job "
                         "would run nothing", topology.raw[name].path + ("properties", prop),
                         hint="check input_pattern against the listing, or list input_files")


__all__ = ["SECRET_PROPERTIES", "Selection", "image_registry", "missing_secrets", "registry_problem",
           "requirement_target", "secret_inputs", "select_inputs"]
