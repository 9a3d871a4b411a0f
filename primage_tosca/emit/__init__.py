"""Emitters: a Topology in, text out.

    >>> text = compile("blueprint.yaml", target="radl", inputs={"cpus": 2}, import_map="map.json")

``compile`` refuses to emit when the template has errors (its own, found by
validation, or the compiler's): it raises :class:`CompileError`, whose
``results`` hold every diagnostic. :func:`compile_results` never raises and
gives the text and diagnostics of each template, for callers (the CLI) that
print both.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from .. import catalog
from ..diagnostics import Collector, Diagnostic, Location, Severity
from ..formats import TARGETS
from ..imports.template import LoadOptions
from ..options import resolve_options
from ..pipeline import Compilation, run
from ..records import field, record
from ..rulesettings import RuleSettings, apply
from ..topology import Topology, gc_paused
from .playbooks import PlaybookSource
from .radl import emit_radl


@record
class CompileResult:
    """One template compiled: the text (None when errors stopped it) and
    every diagnostic, sorted by place."""

    file: str
    text: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    topology: Topology | None = None
    documents: list[dict] = field(default_factory=list)  # k8s: the manifests as data (the lifecycle applies them)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def ok(self) -> bool:
        return self.text is not None and not self.errors


class CompileError(Exception):
    """Some template has errors; ``results`` say which and why."""

    def __init__(self, results: list[CompileResult]):
        self.results = results
        failed = [r for r in results if not r.ok]
        first = next((d for r in failed for d in r.errors), None)
        detail = f": {first.file}:{first.line}:{first.column}: {first.rule} {first.message}" if first else ""
        super().__init__(f"{len(failed)} of {len(results)} template(s) cannot be compiled{detail}")

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for r in self.results for d in r.diagnostics]


def merge_diagnostics(*groups: Sequence[Diagnostic]) -> list[Diagnostic]:
    """One list, sorted; a finding that two stages both make (the same rule
    at the same place) is kept once, as the earlier stage wrote it."""
    seen: set = set()
    found = Collector()
    for group in groups:
        keys = set()
        for diagnostic in group:
            key = (diagnostic.rule, diagnostic.location)
            if key not in seen:  # only an earlier stage's finding hides one
                keys.add(key)
                found.add(diagnostic)
        seen |= keys
    return found.sorted()


# What still stops a compile when the checks are skipped: a template that
# cannot be read, and requirements that name no node (the graph has a hole).
UNSKIPPABLE = ("PT1", "PT2", "PT300", "PT301", "PT302", "PT320", "PT321", "PT9")


def compile_topology(topology: Topology, target: str = "radl", *, contextualize: bool = True,
                     validate: bool = True, playbooks: PlaybookSource | None = None,
                     include_secrets: bool = False, settings: RuleSettings | None = None) -> CompileResult:
    """Compile one topology; never raises for a problem in the template."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    found = topology.diagnostics
    if not validate:
        found = [d for d in found if d.rule.startswith(UNSKIPPABLE)]
    found = [*found, *topology.notes]
    if target == "k8s" and not include_secrets:  # Secrets get placeholders: no secret value is needed
        from .k8s import drop_unneeded_secrets

        found = drop_unneeded_secrets(topology, found)
    try:
        emitted = _emit(topology, target, playbooks, contextualize, include_secrets)
    except (ValueError, TypeError) as exc:  # a value of the wrong kind reached the emitter
        emitted = _unusable_value(topology, target, exc, found)
    diagnostics = apply(merge_diagnostics(found, emitted.diagnostics), settings or RuleSettings(), topology.template)
    failed = any(d.severity is Severity.ERROR for d in diagnostics)
    return CompileResult(topology.file, None if failed else emitted.text, diagnostics, topology,
                         [] if failed else list(getattr(emitted, "documents", None) or []))


def _unusable_value(topology: Topology, target: str, exc: Exception, known: list[Diagnostic]):
    """No text. When the checks already found errors, they say why; else (``--no-validate``) a PT702 says it."""
    from .radl import Emitted

    if any(d.severity is Severity.ERROR for d in known):
        return Emitted(None, [])
    return Emitted(None, [catalog.make("PT702", f"the {target} compiler cannot use a value of this template: {exc}",
                                       Location(topology.file),
                                       hint="validate the template (without --no-validate) to find the value")])


def _emit(topology: Topology, target: str, playbooks: PlaybookSource | None, contextualize: bool,
          include_secrets: bool):
    """The target's emitter (k8s and ec3 for the PRIMAGE platform's types)."""
    if target == "k8s":
        from .k8s import emit_k8s

        return emit_k8s(topology, include_secrets)
    if target == "ec3":
        from .ec3 import emit_ec3

        return emit_ec3(topology, playbooks, contextualize)
    lock, problem = project_lock()
    emitted = emit_radl(topology, playbooks, contextualize, lock)
    if problem is not None:
        emitted.diagnostics = [*emitted.diagnostics, problem]
    from ..checks.platform import missing_secrets, uses_platform

    if uses_platform(topology.template):  # IM needs every secret's value in the RADL
        emitted.diagnostics = [*emitted.diagnostics, *missing_secrets(topology, topology.template.options.inputs)]
    return emitted


def project_lock() -> tuple[Any, Diagnostic | None]:
    """The project's recipes.lock (next to .primage-tosca.yaml, else in the
    current folder) when there is one: RADL then names the locked versions.
    A lock that cannot be read stops the compile rather than go unpinned."""
    from ..galaxy.errors import RecipeError
    from ..galaxy.lock import default_lock_path, load_lock

    path = default_lock_path()
    try:
        return load_lock(path, required=False), None
    except RecipeError as exc:
        return None, catalog.make("PT702", f"recipes.lock cannot be read: {exc}", Location(str(path)),
                                  hint=getattr(exc, "hint", None))


def compile_results(sources: Any, target: str = "radl", *, inputs: Any = None, import_map: Any = None,
                    contextualize: bool = True, validate: bool = True, options: LoadOptions | None = None,
                    include_secrets: bool = False, settings: RuleSettings | None = None,
                    **kwargs: Any) -> list[CompileResult]:
    """Compile paths or topologies (one or a list); one result each. Paths
    share one set of options, parse cache and playbook cache."""
    items = [sources] if isinstance(sources, (str, os.PathLike, Topology)) else list(sources)
    settings = settings or RuleSettings()
    resolved: LoadOptions | None = None
    playbooks: PlaybookSource | None = None
    results = []
    templates = [i for i in items if not isinstance(i, Topology)]  # their config files count
    with gc_paused():
        for item in items:
            if isinstance(item, Topology):
                topology = item
            else:
                resolved = resolved or resolve_options(options, inputs, import_map, {"templates": templates} | kwargs)
                compilation = run(str(item), resolved, settings.checks if validate else None)
                topology = compilation.topology
                if topology is None:
                    results.append(_stopped(compilation, settings))
                    continue
            options_used = topology.template.options
            if playbooks is None or playbooks.policy is not options_used.policy:
                playbooks = PlaybookSource(options_used.policy, options_used.limits.max_bytes)
            results.append(compile_topology(topology, target, contextualize=contextualize, validate=validate,
                                            playbooks=playbooks, include_secrets=include_secrets, settings=settings))
    return results


def _stopped(compilation: Compilation, settings: RuleSettings) -> CompileResult:
    """A template whose reading stopped before its topology: its findings, no text."""
    if compilation.stopped_at is None and compilation.template is not None:  # read by a grammar that builds none
        compilation.collector.add(catalog.make(
            "PT702", "compiling TOSCA 2.0 templates is not supported yet; `validate` checks them",
            compilation.template.locate(("tosca_definitions_version",)), ("tosca_definitions_version",)))
    return CompileResult(compilation.file, None, apply(compilation.collector, settings, compilation.template))


def compile(sources: Any, target: str = "radl", *, inputs: Any = None, import_map: Any = None,
            contextualize: bool = True, validate: bool = True, options: LoadOptions | None = None,
            **kwargs: Any) -> str | list[str]:
    """Compile a template (path or :class:`Topology`) to ``target`` text; a
    list of them gives a list of texts.

    ``inputs`` (a dict, or a YAML file of values), ``import_map`` and the
    other keyword arguments are those of :func:`primage_tosca.options.load_options`.
    ``contextualize=False`` writes an empty ``contextualize ()`` (IM then
    runs no Ansible). ``validate=False`` skips the template checks (the
    compiler's own errors still stop it). Raises :class:`CompileError` when
    any template has errors."""
    results = compile_results(sources, target, inputs=inputs, import_map=import_map, contextualize=contextualize,
                              validate=validate, options=options, **kwargs)
    if not all(r.ok for r in results):
        raise CompileError(results)
    texts = [r.text or "" for r in results]
    single = isinstance(sources, (str, os.PathLike, Topology))
    return texts[0] if single else texts


__all__ = ["CompileError", "CompileResult", "TARGETS", "compile", "compile_results", "compile_topology",
           "merge_diagnostics"]
