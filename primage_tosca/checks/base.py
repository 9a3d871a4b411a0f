"""The check registry: each rule family is a function that reads a template
and yields diagnostics. A check never raises: an exception escaping one is
turned into an internal-error diagnostic and the other checks still run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from .. import catalog
from ..diagnostics import Diagnostic
from ..imports.template import ServiceTemplate

CheckFunction = Callable[[ServiceTemplate], Iterable[Diagnostic]]


@dataclass(frozen=True)
class Check:
    name: str
    rules: tuple[str, ...]
    function: CheckFunction
    needs_types: bool  # skipped when an import is missing: every type would look unknown


CHECKS: list[Check] = []

# A more specific rule supersedes a general one reporting the same place: a
# secret input left without a value is PT411, not also PT401.
SUPERSEDES = {"PT411": frozenset({"PT401"})}


def check(*rules: str, needs_types: bool = False) -> Callable[[CheckFunction], CheckFunction]:
    for rule_id in rules:
        catalog.rule(rule_id)  # an unknown id is a bug of ours: fail at import time
    def register(function: CheckFunction) -> CheckFunction:
        CHECKS.append(Check(function.__module__.rsplit(".", 1)[-1] + "." + function.__name__,
                            rules, function, needs_types))
        return function
    return register


def report(template: ServiceTemplate, rule_id: str, message: str, path: tuple = (), *,
           key: bool = False, hint: str | None = None, severity=None) -> Diagnostic:
    """A diagnostic placed at ``path`` in the template (at the key when ``key``)."""
    return catalog.make(rule_id, message, template.locate(path, key), path, hint, severity)


def internal_error(template: ServiceTemplate, where: str, exc: BaseException) -> Diagnostic:
    return catalog.make(
        "PT900", f"{where} failed: {exc.__class__.__name__}: {exc}", template.locate(()), (),
        "this is a bug in primage_tosca or a library it uses; please report it with the template")


def run_checks(template: ServiceTemplate, checks: Iterable[Check] | None = None) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    skipped_types = False
    for entry in CHECKS if checks is None else checks:
        if entry.needs_types and not template.complete:
            skipped_types = True
            continue
        try:
            found.extend(entry.function(template))
        except RecursionError as exc:
            found.append(internal_error(template, entry.name, exc))
        except Exception as exc:  # noqa: BLE001 - the point is to catch everything
            found.append(internal_error(template, entry.name, exc))
    if skipped_types:
        found.append(report(template, "PT302", "type checks and tosca-parser were skipped because an import "
                            "or parent could not be loaded", ()))
    return drop_superseded(found)


def drop_superseded(found: list[Diagnostic]) -> list[Diagnostic]:
    covered = {(rule, d.location) for d in found for rule in SUPERSEDES.get(d.rule, ())}
    return [d for d in found if (d.rule, d.location) not in covered]
