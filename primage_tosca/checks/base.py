"""The check registry: each rule family is one unit, a function that reads
the finished topology and yields findings, registered with the rules it
reports. A check never raises: an exception escaping one is turned into an
internal-error finding and the other checks still run.

Most of TOSCA's rules are checked by the phases as they read (a value
against its type, a requirement against its definition); the checks here are
the ones that need the whole topology at once or speak for a platform.
"""

from __future__ import annotations

from typing import Callable, Iterable

from .. import catalog
from ..diagnostics import Diagnostic, Severity
from ..records import record
from ..topology.model import Topology

CheckFunction = Callable[[Topology], Iterable[Diagnostic]]


@record(frozen=True)
class Check:
    name: str
    rules: tuple[str, ...]
    function: CheckFunction
    optional: bool  # runs only when asked for by name (``--toscaparser``)


CHECKS: list[Check] = []


def check(*rules: str, optional: bool = False, name: str | None = None) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under ``name`` (default: its module's name)."""
    for rule_id in rules:
        catalog.rule(rule_id)  # an unknown id is a bug of ours: fail at import time

    def register(function: CheckFunction) -> CheckFunction:
        CHECKS.append(Check(name or function.__module__.rsplit(".", 1)[-1], rules, function, optional))
        return function
    return register


def report(topology: Topology, rule_id: str, message: str, path: tuple = (), *, key: bool = False,
           hint: str | None = None, severity: Severity | None = None) -> Diagnostic:
    """A finding placed at ``path`` of the template (in the file that wrote it)."""
    document = topology.template.document_of(path)
    return catalog.make(rule_id, message, document.locate(tuple(path), key), path, hint, severity)


def internal_error(topology: Topology, where: str, exc: BaseException) -> Diagnostic:
    return catalog.make(
        "PT900", f"the {where} check failed: {exc.__class__.__name__}: {exc}", topology.template.locate(()), (),
        "this is a bug in primage_tosca or a library it uses; please report it with the template")


def run_checks(topology: Topology, collector, optional: set[str] = frozenset()) -> None:
    """The default checks, and the optional ones named in ``optional``."""
    for entry in CHECKS:
        if entry.optional and entry.name not in optional:
            continue
        try:
            collector.extend(entry.function(topology))
        except RecursionError as exc:
            collector.add(internal_error(topology, entry.name, exc))
        except Exception as exc:  # noqa: BLE001 - the point is to catch everything
            collector.add(internal_error(topology, entry.name, exc))


def optional_checks() -> list[str]:
    return sorted({c.name for c in CHECKS if c.optional})
