"""PT600: Ansible Galaxy artifact specs are well formed.

IM turns an artifact of type ``tosca.artifacts.AnsibleGalaxy.role`` (or
``.collection``) into an ``ansible.roles.<file>`` application and installs it
with ``ansible-galaxy`` on the new machines; a malformed ``file`` only shows
up there, deep in the contextualization log. :func:`parse_galaxy_spec` reads
the spec the way IM splits it (``|`` first, then ``,``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urlsplit

from ..diagnostics import Diagnostic
from ..model.template import ServiceTemplate
from .base import check, report
from .types import named_entries

ROLE_TYPE = "tosca.artifacts.AnsibleGalaxy.role"
COLLECTION_TYPE = "tosca.artifacts.AnsibleGalaxy.collection"

NAMESPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")  # Galaxy v1 owners are GitHub users: hyphens allowed
ROLE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
INSTALL_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
COLLECTION_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # ansible-core wants Python identifiers
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+/-]*$")  # tags and branches: 1.2.0, v1, master, feature/x
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


class GalaxySpecError(ValueError):
    """A malformed spec; ``hint`` says how to write it."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class GalaxySpec:
    """A parsed spec. ``source`` is ``galaxy`` (a ``namespace.name``), ``git``
    (a ``git+https://`` repository) or ``archive`` (an ``https://`` tarball or,
    as ansible-galaxy reads it, a GitHub repository page)."""

    source: str
    src: str
    version: str | None = None
    name: str | None = None
    collection: bool = False


ROLE_FORMS = ("namespace.role", "namespace.role,version", "git+https://host/org/repo[,version][|name]",
              "https://host/path/role.tar.gz[|name]")
COLLECTION_FORMS = ("namespace.collection", "namespace.collection,version",
                    "git+https://host/org/repo[,version]", "https://host/path/collection.tar.gz")


def parse_galaxy_spec(text: Any, collection: bool = False) -> GalaxySpec:
    """Parse the ``file`` of a Galaxy artifact, or raise :class:`GalaxySpecError`.

    Roles (``tosca.artifacts.AnsibleGalaxy.role``):

    * ``namespace.role`` - a Galaxy role, e.g. ``grycap.docker``
    * ``namespace.role,version`` - at a tag or branch, e.g. ``indigo-dc.slurm,cons_res``
    * ``git+https://host/org/repo`` - from git, optionally ``,version`` (a tag or
      branch) and ``|name`` (the name to install it as), e.g.
      ``git+https://github.com/org/ansible-role-x|x``. IM splits ``|`` before
      ``,`` so ``url,version|name`` is read too.
    * ``https://host/path/role.tar.gz|name`` - an archive (``.tar.gz``/``.tgz``),
      or an ``https://github.com/org/repo`` page, which ansible-galaxy clones.

    Collections (``tosca.artifacts.AnsibleGalaxy.collection``):

    * ``namespace.collection`` and ``namespace.collection,version``
    * ``git+https://host/org/repo`` (optionally ``,version``)
    * ``https://host/path/collection.tar.gz``

    Refused: empty text, whitespace, a name without namespace, an empty or
    odd version (a trailing comma), ``|`` with no name, ``http://`` and
    other URL schemes (IM fetches on a fresh machine: https only).
    """
    kind = "collection" if collection else "role"
    forms = COLLECTION_FORMS if collection else ROLE_FORMS
    hint = "write one of: " + ", ".join(forms)
    if not isinstance(text, str):
        raise GalaxySpecError(f"the {kind} spec must be a string, not a {type(text).__name__}", hint)
    if not text.strip():
        raise GalaxySpecError(f"the {kind} spec is empty", hint)
    if re.search(r"\s", text):
        raise GalaxySpecError(f"the {kind} spec {text!r} contains whitespace", hint)
    source, bar, name = text.partition("|")
    if bar:
        name = check_install_name(name, collection, hint)
    src, comma, version = source.partition(",")
    if comma:
        version = check_version(version, hint)
    if "://" in src or src.startswith("git+"):
        return parse_url(src, version or None, name or None, collection, hint)
    return parse_galaxy_name(src, version or None, name or None, collection, hint)


def check_install_name(name: str, collection: bool, hint: str) -> str:
    if collection:
        raise GalaxySpecError("a collection is installed under its own name: drop the '|name'", hint)
    if not name:
        raise GalaxySpecError("'|' must be followed by the name to install the role as", hint)
    if not INSTALL_NAME.match(name):
        raise GalaxySpecError(f"{name!r} after '|' is not a role name", hint)
    return name


def check_version(version: str, hint: str) -> str:
    if not version:
        raise GalaxySpecError("the spec ends with ',' but gives no version", hint)
    if "," in version:
        raise GalaxySpecError("the spec has more than one ','; give at most one version", hint)
    if not VERSION.match(version):
        raise GalaxySpecError(f"{version!r} is not a version (a tag or branch such as 1.2.0 or master)", hint)
    return version


def parse_galaxy_name(src: str, version: str | None, name: str | None, collection: bool, hint: str) -> GalaxySpec:
    kind = "collection" if collection else "role"
    parts = src.split(".")
    if len(parts) < 2 or not all(parts):
        raise GalaxySpecError(f"{src!r} has no namespace: Galaxy {kind}s are named namespace.{kind}", hint)
    if len(parts) > 2:
        raise GalaxySpecError(f"{src!r} has too many dots: Galaxy {kind}s are named namespace.{kind}", hint)
    namespace, short = parts
    pattern_ns, pattern_name = (COLLECTION_PART, COLLECTION_PART) if collection else (NAMESPACE, ROLE_NAME)
    if not pattern_ns.match(namespace):
        raise GalaxySpecError(f"{namespace!r} is not a Galaxy namespace", hint)
    if not pattern_name.match(short):
        raise GalaxySpecError(f"{short!r} is not a Galaxy {kind} name", hint)
    return GalaxySpec("galaxy", src, version, name, collection)


def parse_url(src: str, version: str | None, name: str | None, collection: bool, hint: str) -> GalaxySpec:
    git = src.startswith("git+")
    url = src[len("git+"):] if git else src
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "http":
        raise GalaxySpecError(f"{src!r} uses plain http; use https", hint)
    if scheme != "https":
        raise GalaxySpecError(f"{src!r}: only https URLs can be fetched by IM's machines", hint)
    if not parts.netloc or parts.path.strip("/") == "":
        raise GalaxySpecError(f"{src!r} names no repository or file", hint)
    if git:
        return GalaxySpec("git", src, version, name, collection)
    is_archive = parts.path.endswith(ARCHIVE_SUFFIXES)
    github_page = not collection and parts.netloc.lower() == "github.com"
    if not (is_archive or github_page):
        raise GalaxySpecError(f"{src!r} is neither a .tar.gz archive nor a git repository",
                              "prefix a repository with git+ (git+https://...), or point at a .tar.gz")
    if version and is_archive:
        raise GalaxySpecError("an archive has no version: drop the ',version'", hint)
    return GalaxySpec("archive", src, version, name, collection)


# --- the check -------------------------------------------------------------------

def galaxy_kind(template: ServiceTemplate, artifact_type: Any) -> str | None:
    """'role', 'collection' or None for other artifact types."""
    if not isinstance(artifact_type, str):
        return None
    registry = template.types
    for base, kind in ((ROLE_TYPE, "role"), (COLLECTION_TYPE, "collection")):
        if artifact_type == base or registry.is_derived_from("artifact_types", artifact_type, base):
            return kind
    return None


def check_artifact(template: ServiceTemplate, name: str, artifact: dict, inherited: Any,
                   path: tuple) -> Iterator[Diagnostic]:
    """``inherited``: the same-named artifact of the node's type, which a
    template's artifact refines (its type and file apply when left out)."""
    base = inherited if isinstance(inherited, dict) else {}
    kind = galaxy_kind(template, artifact.get("type", base.get("type")))
    if kind is None:
        return
    if "file" not in artifact:
        if "file" not in base:
            yield report(template, "PT600", f"Galaxy {kind} artifact {name!r} has no file", path, key=True,
                         hint=f"give it as file: namespace.{kind}")
        return
    value = artifact["file"]
    if isinstance(value, dict):
        return  # a function such as get_input: its value is not known here
    try:
        parse_galaxy_spec(value, collection=(kind == "collection"))
    except GalaxySpecError as problem:
        yield report(template, "PT600", f"artifact {name!r}: {problem}", path + ("file",), hint=problem.hint)


def node_artifacts(template: ServiceTemplate, artifacts: Any, inherited: dict,
                   path: tuple) -> Iterator[Diagnostic]:
    for name, artifact, where in named_entries(artifacts, path):
        if isinstance(artifact, dict):
            yield from check_artifact(template, name, artifact, inherited.get(name), where)


def type_artifacts(template: ServiceTemplate, node_type: Any) -> dict:
    """The artifacts a node type defines, merged along its ancestry."""
    if not isinstance(node_type, str):
        return {}
    return template.types.lookup_in_chain("node_types", node_type, "artifacts")


@check("PT600")
def galaxy_specs(template: ServiceTemplate) -> Iterator[Diagnostic]:
    for name, node in template.node_templates.items():
        if isinstance(node, dict):
            yield from node_artifacts(template, node.get("artifacts"), type_artifacts(template, node.get("type")),
                                      ("topology_template", "node_templates", name, "artifacts"))
    own_types = template.data.get("node_types") if isinstance(template.data, dict) else None
    if isinstance(own_types, dict):
        for name, definition in own_types.items():
            if isinstance(definition, dict):
                inherited = type_artifacts(template, definition.get("derived_from"))
                yield from node_artifacts(template, definition.get("artifacts"), inherited,
                                          ("node_types", name, "artifacts"))
