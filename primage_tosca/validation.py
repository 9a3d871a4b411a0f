"""validate(): every problem of one or many templates, located, in one call."""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from . import catalog
from .diagnostics import Diagnostic, Location, Severity
from .imports.template import LoadOptions, ServiceTemplate
from .pipeline import Compilation, run
from .records import field, record, replace
from .rulesettings import RuleSettings, RuleSettingsError, apply
from .topology import gc_paused

TOSCA_SUFFIXES = (".yaml", ".yml")
CSAR_SUFFIXES = (".csar", ".zip", ".tar", ".tar.gz", ".tgz")
CSAR_META = ("TOSCA.meta", os.path.join("TOSCA-Metadata", "TOSCA.meta"))
_TOSCA_MARK = re.compile(rb"^\s*tosca_definitions_version\s*:", re.MULTILINE)


@record
class Report:
    """The outcome of validating some files."""

    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))

    def exit_code(self, strict: bool = False) -> int:
        return 1 if self.failed(strict) else 0


def looks_like_tosca(path: str) -> bool:
    """A YAML file whose text declares tosca_definitions_version near the top."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64 * 1024)
    except OSError:
        return False
    return bool(_TOSCA_MARK.search(head))


def expand_paths(arguments: Iterable[str], only_tosca: bool = False,
                 overlay: Mapping[str, bytes] | None = None) -> tuple[list[str], list[Diagnostic]]:
    """Files as given, TOSCA files found under directories, and glob matches.
    A file named explicitly is checked, TOSCA or not, unless ``only_tosca``
    (for pre-commit, which passes every YAML file of a change). A path whose
    contents ``overlay`` holds (standard input, an editor's text) is taken as given."""
    files: list[str] = []
    problems: list[Diagnostic] = []
    for argument in arguments:
        if overlay and os.path.realpath(argument) in overlay:
            files.append(argument)
        elif is_csar(argument):
            files.append(argument)
        elif os.path.isdir(argument):
            found = sorted(
                str(p) for p in Path(argument).rglob("*")
                if p.suffix in TOSCA_SUFFIXES and p.is_file() and looks_like_tosca(str(p))
                and not any(part.startswith(".") for part in p.relative_to(argument).parts))
            files.extend(found)
        elif os.path.exists(argument):
            if not only_tosca or looks_like_tosca(argument):
                files.append(argument)
        elif glob.has_magic(argument):
            matches = sorted(glob.glob(argument, recursive=True))
            files.extend(m for m in matches if os.path.isfile(m) and (not only_tosca or looks_like_tosca(m)))
            if not matches:
                problems.append(catalog.make("PT109", f"no file matches {argument!r}", Location(argument)))
        else:
            problems.append(catalog.make("PT109", f"{argument} does not exist", Location(argument)))
    unique = list(dict.fromkeys(files))
    return unique, problems


def is_csar(path: str) -> bool:
    """A CSAR: an archive by its name, or a folder with a TOSCA.meta."""
    if os.path.isdir(path):
        return any(os.path.isfile(os.path.join(path, meta)) for meta in CSAR_META)
    return path.lower().endswith(CSAR_SUFFIXES) and os.path.isfile(path)


def check_csar(path: str, options: LoadOptions, settings: RuleSettings) -> list[Diagnostic]:
    """Every finding of a CSAR's entry definitions, placed in the archive
    (``app.csar/service.yaml``); a refused archive is one finding."""
    from .source.csar import CsarError, open_csar  # loaded for archives only

    try:
        with open_csar(path) as csar:
            found = check_file(str(csar.entry), in_archive(options, str(csar.root)), settings).findings or []
            root = str(csar.root) + os.sep
            return [d.with_location(Location(os.path.join(path, d.location.file[len(root):]), d.line, d.column))
                    if d.location.file.startswith(root) else d for d in found]
    except CsarError as exc:
        return [catalog.make(exc.rule, exc.message, Location(path))]


def in_archive(options: LoadOptions, root: str) -> LoadOptions:
    """Options for a CSAR's files: the archive is their repository (6.8.2.2), so an import may
    reach anywhere in it, and one written with a leading slash starts at its root."""
    real = os.path.realpath(root)
    policy = replace(options.policy, roots=[*options.policy.roots, real], repository_root=real)
    return replace(options, policy=policy)


def check_file(path: str, options: LoadOptions, settings: RuleSettings = RuleSettings(),
               reuse: Any = None) -> Compilation:
    """Every phase and check on one file; ``result.diagnostics`` are the
    findings the user's rule settings let through. ``reuse`` is passed to
    :func:`primage_tosca.pipeline.run` (the language server's)."""
    with gc_paused():  # a template's phases allocate much and free little: no collection scans it midway
        result = run(path, options, settings.checks, reuse=reuse)
    found = result.collector.items
    if "toscaparser" in settings.checks:  # its copy of a problem one of our rules reports is dropped
        from .checks.toscaparser import dedupe

        found = dedupe(found)
    if result.model is not None and result.model is not result.template:  # a TOSCA 2.0 template, lowered
        found = [written_path(d, result.model) for d in found]
    result.findings = apply(found, settings, result.template)
    return result


def written_path(diagnostic: Diagnostic, model: ServiceTemplate) -> Diagnostic:
    """A finding of the shared phases with the path written in the 2.0 file."""
    path = model.written_path(diagnostic.file, diagnostic.path)
    return diagnostic if path == tuple(diagnostic.path) else replace(diagnostic, path=path)


def validate(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    options: LoadOptions | None = None,
    only_tosca: bool = False,
    settings: RuleSettings | None = None,
) -> Report:
    """Validate files, directories (recursively, TOSCA files only) and globs.

    Problems are reported, never raised: the returned :class:`Report` lists
    every diagnostic of every file, sorted by place."""
    options = options or LoadOptions()
    settings = settings or RuleSettings()
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files, problems = expand_paths((str(p) for p in paths), only_tosca, options.overlay)
    found = [d for d in problems if settings.wants(d.rule)]
    for file in files:
        if is_csar(file):
            found.extend(check_csar(file, options, settings))
        else:
            found.extend(check_file(file, options, settings).findings)
    return Report(files, sorted(found, key=Diagnostic.sort_key))


def rule_settings(*, ignore: Sequence[str] = (), only: Sequence[str] = (), checks: Sequence[str] = (),
                  show_library_findings: bool | None = None, use_config: bool = True,
                  template: str | os.PathLike | None = None) -> RuleSettings:
    """The user's rule settings: ``--ignore``/``--only`` rule ids and optional
    ``checks`` (``toscaparser``) added to the config file's (``ignore:``,
    ``only:``, ``checks:``, ``show_library_findings:``); the flag wins over the
    file. The config file is the one above the current directory, or with
    ``template`` the one nearest that file. Raises
    :class:`~primage_tosca.rulesettings.RuleSettingsError` for a name that
    means nothing."""
    from .checks import optional_checks
    from .config import FileConfig, find_config_files, load_config

    if not use_config:
        config = FileConfig()
    elif template is None:
        config = load_config()
    else:
        nearest = find_config_files([template])
        config = load_config(nearest[0]) if nearest else FileConfig()
    ignored = {r.upper() for r in [*ignore, *config.ignore]}
    kept = {r.upper() for r in [*only, *config.only]}
    wanted = {c.lower() for c in [*checks, *config.checks]}
    unknown = sorted(r for r in ignored | kept if r not in catalog.RULES)
    if unknown:
        raise RuleSettingsError(f"unknown rule id {', '.join(unknown)}; `primage-tosca rules` lists them")
    unknown = sorted(wanted - set(optional_checks()))
    if unknown:
        raise RuleSettingsError(f"unknown check {', '.join(unknown)}; optional checks: " + ", ".join(optional_checks()))
    flag = show_library_findings if show_library_findings is not None else bool(config.show_library_findings)
    return RuleSettings(frozenset(ignored), frozenset(kept), flag, frozenset(wanted))
