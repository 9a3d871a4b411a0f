"""The phases of reading one template, in order, each on the last one's product:

    read      YAML with a position for every key and value     source/
    imports   imports, fragments, each file's TOSCA dialect     imports/
    types     types linked, definitions merged and checked      typesystem/
    render    templates with defaults and values checked        render/
    topology  requirements resolved, functions evaluated        topology/
    checks    the rules that look at the whole topology         checks/

One collector gathers every finding. A phase whose input is broken (a file
that is not a TOSCA mapping, an import that could not be read) stops the run
there and says why, once. Each product is kept, so a compiler emits from the
very topology the checks saw.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from . import catalog
from .checks import run_checks
from .diagnostics import Collector, Diagnostic, Severity
from .imports.template import LoadOptions, ServiceTemplate, load_template
from .records import field, record
from .render import Rendered, render
from .topology.build import build_topology
from .topology.model import Topology
from .typesystem import Types, build_types
from .typesystem.grammar import is_call_1
from .versions import V2_0


@record
class Compilation:
    """Each phase's product for one template, and every finding."""

    file: str
    template: ServiceTemplate | None = None
    model: ServiceTemplate | None = None  # what the shared phases read: the template, or a 2.0 one lowered
    types: Types | None = None
    rendered: Rendered | None = None
    topology: Topology | None = None
    collector: Collector = field(default_factory=Collector)
    stopped_at: str | None = None  # the phase that could not go on
    findings: list[Diagnostic] | None = None  # the collector's, once the user's rule settings are applied

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.findings if self.findings is not None else self.collector.sorted()

    @property
    def ok(self) -> bool:
        return self.stopped_at is None and not self.collector.has_errors()


def run(path: str, options: LoadOptions, checks: Iterable[str] | None = None, products: bool = False,
        reuse: Any = None) -> Compilation:
    """Every phase on one template. ``checks`` names the optional checks to
    run besides the default ones (``toscaparser``); None runs no checks at all
    (a compiler that only needs the topology). A TOSCA 2.0 template is checked
    by its own grammar; its types, rendering and topology are built only for
    callers that ask for ``products`` (compilers), and only when it has no
    errors. A 1.x template always has them: its checks read the topology.
    ``reuse`` is the language server's memory of the last run on the same file
    (see :mod:`primage_tosca.lsp.reuse`): it gives the collector and the types,
    and hands the render and topology phases what the edit did not change."""
    result = Compilation(path) if reuse is None else Compilation(path, collector=reuse.collector())
    template = result.template = load_template(path, options)
    result.collector.extend(template.diagnostics)
    if not template.readable:
        result.stopped_at = "read"
        return result
    if not template.complete:
        result.collector.add(catalog.make(
            "PT302", "type checks were skipped because an import or parent could not be loaded", template.locate(()),
            hint="fix the import above (or pass --import-map / --online); the rest of the template is checked then"))
        result.stopped_at = "imports"
        return result
    if template.dialect.version >= V2_0:
        _run_2(result, template, checks, products)
    else:
        _shared_phases(result, template, checks, result.collector, reuse=reuse)
    if result.topology is not None:
        result.topology.diagnostics = result.collector.sorted()
    return result


def _shared_phases(result: Compilation, template: ServiceTemplate, checks: Iterable[str] | None,
                   collector: Collector, is_call: Callable[[Any], bool] = is_call_1, reuse: Any = None) -> None:
    """Types, render, topology and checks: the phases every TOSCA version shares."""
    result.model = template
    phase = "types"
    try:
        result.types = build_types(template, collector, is_call=is_call) if reuse is None \
            else reuse.types(template, collector)
        phase = "render"
        result.rendered = render(template, result.types, collector, reuse)
        phase = "topology"
        result.topology = build_topology(result.rendered, collector, reuse)
        if checks is not None:
            phase = "checks"
            run_checks(result.topology, collector, set(checks))
    except RecursionError as exc:
        _internal(result, phase, exc)
    except Exception as exc:  # noqa: BLE001 - a bug of ours must not end the run with a traceback
        _internal(result, phase, exc)


def _run_2(result: Compilation, template: ServiceTemplate, checks: Iterable[str] | None, products: bool) -> None:
    """A TOSCA 2.0 template: its own grammar's checks; then, for a compiler,
    the template lowered to the 1.x model and the shared phases on it."""
    from .typesystem.check2 import Checker2  # loaded for 2.0 templates only

    try:
        Checker2(template, result.collector).run()
        if not products and checks is None:
            return
        if _own_errors(result.collector, template):
            if products:
                result.stopped_at = "types"
            return
        from .typesystem.lower2 import is_lowered_call, lower  # loaded for compilers only

        lowered = lower(template)
    except (RecursionError, Exception) as exc:  # noqa: BLE001 - a bug of ours must not end the run with a traceback
        _internal(result, "types", exc)
        return
    found = Collector()
    _shared_phases(result, lowered, checks, found, is_lowered_call)
    result.collector.extend(lowered.new_findings(found.items, result.collector.items))


def _own_errors(collector: Collector, template: ServiceTemplate) -> bool:
    """Errors in the template's own files; a library imported by URL is not the author's
    to fix, and its findings are folded into one warning at the end (rulesettings)."""
    libraries = {d.file for d in template.all_documents() if d.url}
    return any(d.severity is Severity.ERROR and d.file not in libraries for d in collector.items)


def _internal(result: Compilation, phase: str, exc: BaseException) -> None:
    result.stopped_at = phase
    where = result.template.locate(()) if result.template is not None else catalog.Location(result.file)
    result.collector.add(catalog.make(
        "PT900", f"the {phase} phase failed: {exc.__class__.__name__}: {exc}", where,
        hint="this is a bug in primage_tosca; please report it with the template"))


def empty_topology(result: Compilation) -> Topology:
    """The topology of a template whose reading stopped: no nodes, every finding."""
    topology = Topology(template=result.template, rendered=Rendered(result.template, result.types),
                        types=result.types)
    topology.diagnostics = result.collector.sorted()
    return topology
