"""Every recipe a blueprint asks for, and where it asks.

Three places name recipes:

* TOSCA: artifacts of type ``tosca.artifacts.AnsibleGalaxy.role`` (or
  ``.collection``, or a type derived from them) on the node types a template
  uses (with their ancestors) and on the node templates themselves; a file
  that has no node templates (a type library) offers the artifacts of all
  the node types it defines;
* RADL: ``disk.0.applications`` named ``ansible.roles.X``,
  ``ansible.modules.X`` (the older spelling) or ``ansible.collections.X``;
* the project's local roles under ``recipes/`` (``recipes/NAME/`` or
  ``recipes/roles/NAME/``): their ``meta/main.yml`` dependencies and
  ``meta/requirements.yml``.

Nothing here touches the network (URL imports follow the loader's options).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable

from ..recipe_specs import COLLECTION, ROLE, RecipeSpec, parse_application, parse_requirement, parse_spec
from ..imports.template import LoadOptions, ServiceTemplate
from ..pipeline import run
from ..records import field, record
from ..typesystem import Types
from ..source.document import Document, load_document
from .errors import SpecError

ERROR, WARNING = "error", "warning"
GALAXY_ARTIFACT_TYPES = {
    "tosca.artifacts.AnsibleGalaxy.role": ROLE,
    "tosca.artifacts.AnsibleGalaxy.collection": COLLECTION,
}
RADL_SUFFIXES = (".radl",)
TOSCA_SUFFIXES = (".yaml", ".yml")
_TOSCA_MARK = re.compile(rb"^\s*tosca_definitions_version\s*:", re.MULTILINE)
_RADL_APPLICATION = re.compile(r"""name\s*=\s*(['"])(ansible\.(?:roles|modules|collections)\.[^'"]+)\1""")


@record(frozen=True)
class Request:
    """One recipe asked for at one place."""

    spec: RecipeSpec
    origin: str  # file:line:col
    via: str = ""  # what asked: "node type X, artifact Y", "system front", "local role Z"
    parent: tuple[str, str] | None = None  # the recipe whose metadata asked (dependencies)

    def describe(self) -> str:
        return f"{self.origin} ({self.via})" if self.via else self.origin

    def as_dict(self) -> dict:
        return {"spec": self.spec.raw, "name": self.spec.name, "kind": self.spec.kind, "source": self.spec.source,
                "version": self.spec.version, "origin": self.origin, "via": self.via}


@record
class Finding:
    severity: str
    message: str
    origin: str | None = None
    hint: str | None = None
    rule: str | None = None

    def __str__(self) -> str:
        text = f"{self.origin}: {self.severity}: {self.message}" if self.origin else f"{self.severity}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict:
        return {"severity": self.severity, "message": self.message, "origin": self.origin, "hint": self.hint,
                "rule": self.rule}


@record
class LocalRole:
    name: str
    path: str
    origin: str
    local_dependencies: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"name": self.name, "path": self.path, "origin": self.origin,
                "local_dependencies": self.local_dependencies}


@record
class Collected:
    files: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    local_roles: dict[str, LocalRole] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def add(self, request: Request) -> None:
        if request not in self.requests:
            self.requests.append(request)

    def keys(self) -> set[tuple[str, str]]:
        return {r.spec.key for r in self.requests}


def _where(location) -> str:
    return f"{location.file}:{location.line}:{location.column}"


# -- which files ---------------------------------------------------------------------------


def _looks_like_tosca(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return bool(_TOSCA_MARK.search(handle.read(64 * 1024)))
    except OSError:
        return False


def expand_blueprints(arguments: Iterable[str | os.PathLike], found: Collected) -> list[str]:
    """Files as given; under a directory, TOSCA YAML files and RADL files (hidden folders skipped)."""
    files: list[str] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                relative = candidate.relative_to(path).parts
                if any(part.startswith(".") for part in relative) or not candidate.is_file():
                    continue
                if candidate.suffix in RADL_SUFFIXES or (candidate.suffix in TOSCA_SUFFIXES
                                                         and _looks_like_tosca(candidate)):
                    files.append(str(candidate))
        elif path.is_file():
            files.append(str(argument))
        else:
            found.findings.append(Finding(ERROR, f"{argument} does not exist", str(argument)))
    return list(dict.fromkeys(files))


# -- TOSCA ---------------------------------------------------------------------------------------


def galaxy_kind(types: Types | None, artifact_type: Any) -> str | None:
    if not isinstance(artifact_type, str):
        return None
    found = types.find("artifact_types", artifact_type) if types is not None else None
    for base, kind in GALAXY_ARTIFACT_TYPES.items():
        if artifact_type == base or (found is not None and found.is_a(base)):
            return kind
    return None


def _input_value(template: ServiceTemplate, name: Any) -> Any:
    supplied = template.options.inputs or {}
    if isinstance(name, str) and name in supplied:
        return supplied[name]
    definition = template.inputs.get(name) if isinstance(name, str) else None
    return definition.get("default") if isinstance(definition, dict) else None


def _artifact_spec(template: ServiceTemplate, value: Any, kind: str, origin: str, via: str,
                   found: Collected) -> None:
    if isinstance(value, dict) and set(value) == {"get_input"}:
        resolved = _input_value(template, value["get_input"])
        if not isinstance(resolved, str):
            found.findings.append(Finding(WARNING, f"{via}: the recipe comes from input {value['get_input']!r}, "
                                                   "which has no value here; it is not collected", origin,
                                          hint="give the input with -i/--inputs"))
            return
        value = resolved
    try:
        spec = parse_spec(value, kind)
    except SpecError as exc:
        found.findings.append(Finding(ERROR, f"{via}: {exc.message}", origin, exc.hint, rule="PT600"))
        return
    found.add(Request(spec, origin, via))


def _type_artifacts(types: Types | None, type_name: str) -> dict[str, tuple[Any, str, str]]:
    """Artifact name -> (definition, origin, via), the nearest type winning."""
    merged: dict[str, tuple[Any, str, str]] = {}
    found = types.find("node_types", type_name) if types is not None else None
    for typedef in reversed(found.ancestry if found is not None else ()):
        artifacts = typedef.raw.get("artifacts")
        if not isinstance(artifacts, dict) or typedef.document is None:
            continue
        for name, definition in artifacts.items():
            path = (*typedef.path, "artifacts", name)
            at = path + ("file",) if isinstance(definition, dict) else path
            merged[name] = (definition, _where(typedef.document.locate(at)),
                            f"node type {typedef.name}, artifact {name}")
    return merged


def _collect_artifacts(template: ServiceTemplate, types: Types | None, artifacts: dict[str, tuple[Any, str, str]],
                       found: Collected) -> None:
    for definition, origin, via in artifacts.values():
        if not isinstance(definition, dict):
            continue
        kind = galaxy_kind(types, definition.get("type"))
        if kind is None:
            continue
        if "file" not in definition:
            found.findings.append(Finding(ERROR, f"{via}: an Ansible Galaxy artifact needs 'file'", origin,
                                          rule="PT600"))
            continue
        _artifact_spec(template, definition.get("file"), kind, origin, via, found)


def collect_tosca(path: str, options: LoadOptions, found: Collected) -> None:
    result = run(path, options, None)
    template, types = result.template, result.types
    readable = isinstance(template.data, dict)
    for diagnostic in template.diagnostics:
        # Only what stops us reading recipes fails the command; the rest is `validate`'s business.
        if diagnostic.severity.value == ERROR:
            found.findings.append(Finding(ERROR if not readable else WARNING,
                                          f"{diagnostic.message} [{diagnostic.rule}]",
                                          _where(diagnostic.location), diagnostic.hint))
    if not readable:
        return
    if not template.complete:
        found.findings.append(Finding(ERROR, "an import could not be loaded, so recipes of its types may be "
                                             "missing", f"{template.file}:1:1",
                                      hint="fix the import (or pass --import-map / --online)"))
    templates = template.node_templates
    if templates:
        for name, node in templates.items():
            if not isinstance(node, dict):
                continue
            artifacts = _type_artifacts(types, node.get("type")) if isinstance(node.get("type"), str) else {}
            own = node.get("artifacts")
            if isinstance(own, dict):
                for artifact, definition in own.items():
                    at = ("topology_template", "node_templates", name, "artifacts", artifact)
                    at = at + ("file",) if isinstance(definition, dict) else at
                    artifacts[artifact] = (definition, _where(template.locate(at)),
                                           f"node template {name}, artifact {artifact}")
            _collect_artifacts(template, types, artifacts, found)
        return
    root_files = {template.file}
    for typedef in (types.system.own("node_types").values() if types is not None else ()):
        if typedef.document is not None and typedef.document.file in root_files:
            _collect_artifacts(template, types, _type_artifacts(types, typedef.name), found)


# -- RADL ------------------------------------------------------------------------------------


def _column(lines: list[str], line: int, needle: str) -> int:
    if 1 <= line <= len(lines):
        index = lines[line - 1].find(needle)
        if index >= 0:
            return index + 1
    return 1


def collect_radl(path: str, found: Collected, max_bytes: int = 10 * 1024 * 1024) -> None:
    try:
        if os.path.getsize(path) > max_bytes:
            found.findings.append(Finding(ERROR, f"the file is over {max_bytes:,} bytes", f"{path}:1:1"))
            return
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        found.findings.append(Finding(ERROR, f"cannot read the RADL file: {exc}", f"{path}:1:1"))
        return
    lines = text.splitlines()
    try:
        from radl import radl_parse

        parsed = radl_parse.parse_radl(text)
    except ImportError:
        parsed, why = None, "the radl package is not installed"
    except Exception as exc:  # RADLParseException, and the parser's own bugs
        parsed, why = None, str(exc).strip() or type(exc).__name__
    if parsed is None:
        found.findings.append(Finding(WARNING, f"not parsed as RADL ({why}); recipes were found by a textual "
                                               "scan of disk.0.applications names", f"{path}:1:1"))
        for match in _RADL_APPLICATION.finditer(text):
            line = text.count("\n", 0, match.start(2)) + 1
            column = match.start(2) - (text.rfind("\n", 0, match.start(2)) + 1) + 1
            _radl_request(match.group(2), None, f"{path}:{line}:{column}", "disk.0.applications", found)
        return
    for system in parsed.systems:
        for application in system.getApplications():
            name = application.getValue("name")
            feature = application.props.get("name")
            line = getattr(feature, "line", None) or 1
            origin = f"{path}:{line}:{_column(lines, line, str(name))}"
            _radl_request(name, application.getValue("version"), origin, f"system {system.name}", found)


def _radl_request(name: Any, version: Any, origin: str, via: str, found: Collected) -> None:
    try:
        spec = parse_application(name, version)
    except SpecError as exc:
        found.findings.append(Finding(ERROR, f"{via}: {exc.message}", origin, exc.hint, rule="PT600"))
        return
    if spec is not None:
        found.add(Request(spec, origin, via))


# -- local roles --------------------------------------------------------------------------------


def _is_role_dir(path: Path) -> bool:
    return any((path / sub / f"main.{ext}").is_file() for sub in ("tasks", "meta", "handlers", "defaults")
               for ext in ("yml", "yaml"))


def find_local_roles(recipes_dir: Path) -> dict[str, Path]:
    roles: dict[str, Path] = {}
    for base in (recipes_dir / "roles", recipes_dir):
        if not base.is_dir():
            continue
        for child in sorted(base.iterdir()):
            if child.is_dir() and not child.name.startswith(".") and child.name not in roles and _is_role_dir(child):
                roles[child.name] = child
    return roles


def _first_existing(folder: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        if (folder / name).is_file():
            return folder / name
    return None


def requirements_from_metadata(meta: Document | None, requirements: Document | None, label: str,
                               local_names: set[str], parent: tuple[str, str] | None,
                               found: Collected) -> list[str]:
    """Requests from a role's meta/main.yml ``dependencies`` and its
    meta/requirements.yml; returns the dependencies that are local roles."""
    local: list[str] = []
    entries: list[tuple[Any, tuple, Document, str]] = []
    if meta is not None and meta.ok and isinstance(meta.data, dict):
        dependencies = meta.data.get("dependencies")
        if isinstance(dependencies, list):
            entries += [(item, ("dependencies", i), meta, ROLE) for i, item in enumerate(dependencies)]
        elif dependencies not in (None, {}):
            where = meta.locate(("dependencies",))
            found.findings.append(Finding(WARNING, f"{label}: 'dependencies' is not a list; ignored", _where(where)))
    elif meta is not None and not meta.ok:
        found.findings.append(Finding(ERROR, f"{label}: meta/main.yml is not readable YAML", f"{meta.file}:1:1"))
    if requirements is not None and requirements.ok:
        data = requirements.data
        if isinstance(data, list):
            entries += [(item, (i,), requirements, ROLE) for i, item in enumerate(data)]
        elif isinstance(data, dict):
            for section, kind in (("roles", ROLE), ("collections", COLLECTION)):
                items = data.get(section)
                if isinstance(items, list):
                    entries += [(item, (section, i), requirements, kind) for i, item in enumerate(items)]
    for item, path, document, kind in entries:
        origin = _where(document.locate(path))
        name = item if isinstance(item, str) else (
            (item.get("role") or item.get("src") or item.get("name")) if isinstance(item, dict) else None)
        if kind == ROLE and isinstance(name, str) and name in local_names:
            local.append(name)
            continue
        if kind == ROLE and isinstance(name, str) and "." not in name and "://" not in name:
            found.findings.append(Finding(WARNING, f"{label}: dependency {name!r} is neither a local role nor a "
                                                   "Galaxy name (namespace.role); it is not collected", origin))
            continue
        try:
            spec = parse_requirement(item, kind)
        except SpecError as exc:
            found.findings.append(Finding(ERROR, f"{label}: {exc.message}", origin, exc.hint, rule="PT600"))
            continue
        found.add(Request(spec, origin, f"{label} dependency", parent))
    return local


def collect_local_roles(recipes_dir: Path, found: Collected) -> None:
    roles = find_local_roles(recipes_dir)
    names = set(roles)
    for name, folder in roles.items():
        meta_path = _first_existing(folder, ("meta/main.yml", "meta/main.yaml"))
        requirements_path = _first_existing(folder, ("meta/requirements.yml", "meta/requirements.yaml"))
        meta = load_document(str(meta_path)) if meta_path else None
        requirements = load_document(str(requirements_path)) if requirements_path else None
        origin = f"{meta_path}:1:1" if meta_path else f"{folder}"
        role = LocalRole(name, str(folder), origin)
        role.local_dependencies = requirements_from_metadata(meta, requirements, f"local role {name}", names,
                                                             None, found)
        found.local_roles[name] = role


# -- all of it -------------------------------------------------------------------------------------


def collect(paths: Iterable[str | os.PathLike], options: LoadOptions | None = None,
            recipes_dir: str | os.PathLike | None = None) -> Collected:
    """Every recipe the blueprints (TOSCA or RADL files, or folders of them)
    and the local roles ask for, each with where it was asked for."""
    options = options or LoadOptions()
    found = Collected()
    found.files = expand_blueprints(paths, found)
    for path in found.files:
        if path.endswith(RADL_SUFFIXES):
            collect_radl(path, found)
        else:
            collect_tosca(path, options, found)
    if recipes_dir is not None and Path(recipes_dir).is_dir():
        collect_local_roles(Path(recipes_dir), found)
    return found
