"""tosca-parser's exceptions as diagnostics: messages cleaned, findings IM
accepts relaxed to PT801, crashes turned into PT900, and copies of what our own
rules report dropped by :func:`dedupe`."""

from __future__ import annotations

import re
import traceback
from typing import Any, Iterable

from ... import catalog
from ...diagnostics import Diagnostic
from ...topology.model import Topology
from ..base import report
from .places import Place
from .runner import NotServed

# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------

_BOILERPLATE = " Refer to the definition to verify valid values."


def exception_text(exc: BaseException) -> str:
    """tosca-parser's message without the quoting a KeyError adds, the quotes
    around a whole message, or the sentence every unknown field repeats."""
    if isinstance(exc, KeyError) and len(exc.args) == 1 and isinstance(exc.args[0], str):
        text = exc.args[0]
    else:
        text = str(exc)
    text = text.strip().replace(_BOILERPLATE, "")
    if len(text) > 1 and text[0] == text[-1] == '"' and text.count('"') > 2:
        text = text[1:-1]  # InvalidGroupTargetException quotes its whole message
    return text


def clean_message(exc: BaseException, names: dict[str, str]) -> str:
    """``Class: message``, with the absolute paths we handed tosca-parser
    replaced by the names the user knows the files by."""
    text = exception_text(exc)
    for real_path, shown in names.items():
        text = text.replace(real_path, shown)
    return f"{exc.__class__.__name__}: {text}"


# ---------------------------------------------------------------------------
# Relaxations: where tosca-parser 2.15 is stricter than the IM deployments
# ---------------------------------------------------------------------------

HOSTED_ON = "tosca.relationships.HostedOn"
_OCCURRENCES = re.compile(r'^Relationship "host" in template "(?P<node>[^"]*)" has a wrong number of occurrences')


def relaxation(topology: Topology, text: str) -> str | None:
    """Why IM accepts what tosca-parser rejects in ``text``, or None when the
    finding stands. Each case is listed in docs/relaxations.md."""
    match = _OCCURRENCES.match(text)
    if match:
        return hosted_elsewhere(topology, match["node"])
    return None


def hosted_elsewhere(topology: Topology, name: str) -> str | None:
    """A node with no ``host`` requirement at all that is hosted through
    another requirement: IM finds a node's Compute by following any
    relationship derived from HostedOn, not only ``host``."""
    node = topology.raw.get(name)
    if node is None or any(a.name == "host" for a in node.requirements):
        return None  # host given more often than allowed: a real error
    for requirement in topology.requirements.get(name, ()):
        if requirement.kind == "HostedOn":
            return (f'IM\'s converter finds the host of "{name}" along its "{requirement.name}" requirement '
                    f"({requirement.relationship}): it follows any HostedOn relationship, not only 'host'")
    return None


def _requirements(node: dict) -> list[tuple[str, Any]]:
    found = []
    for item in node.get("requirements") or []:
        if isinstance(item, dict) and len(item) == 1:
            name, assignment = next(iter(item.items()))
            found.append((str(name), assignment))
    return found


# ---------------------------------------------------------------------------
# Findings and crashes
# ---------------------------------------------------------------------------

RELAXED_HINT = ("IM deployments whose tosca-parser predates this check deploy it as written; an IM that "
                "installs tosca-parser 2.15 (IM 2.0.0 from PyPI does) rejects it, so check which one you target")
INTERNAL_HINT = ("tosca-parser crashed instead of reporting a problem; the template may well be wrong "
                 "nearby (a list written as a mapping, a mapping as a string), but this is a bug to report")


def finding(topology: Topology, exc: BaseException, text: str, place: Place,
            names: dict[str, str]) -> Diagnostic:
    """One collected exception as a diagnostic at ``place``."""
    message = clean_message(exc, names)
    reason = relaxation(topology, text)
    rule = "PT800"
    hint = None
    if reason:
        rule, message = "PT801", f"{message} ({reason})"
        hint = RELAXED_HINT
    if place.document is None:
        return report(topology, rule, message, place.path, key=place.key, hint=hint)
    return catalog.make(rule, message, place.document.locate(place.path, place.key), place.path, hint)


def crash(topology: Topology, exc: BaseException) -> Diagnostic:
    where = _raised_at(exc)
    message = f"tosca-parser failed: {exc.__class__.__name__}: {exc}" + (f" (at {where})" if where else "")
    hint = INTERNAL_HINT if not isinstance(exc, NotServed) else "this is a bug in primage_tosca; please report it"
    return report(topology, "PT900", message, (), hint=hint)


def _raised_at(exc: BaseException) -> str | None:
    """The innermost tosca-parser frame of the traceback, for the bug report."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "toscaparser" in f.filename]
    if not frames:
        return None
    last = frames[-1]
    return f"toscaparser/{last.filename.rsplit('toscaparser/', 1)[-1]}:{last.lineno} in {last.name}"


# ---------------------------------------------------------------------------
# Dedupe: our own rules first
# ---------------------------------------------------------------------------

# Our rules that report what tosca-parser also finds: when one of them speaks
# about a place, tosca-parser's finding at (or inside) that place is a copy.
OWN_RULES = frozenset({
    "PT101", "PT300", "PT301",
    "PT310", "PT311", "PT312", "PT313", "PT314", "PT320",
    "PT400", "PT401",
    "PT500", "PT501", "PT502",
})
TOSCAPARSER_RULES = frozenset({"PT800", "PT801"})


def dedupe(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """``diagnostics`` without the tosca-parser findings one of our own rules
    already reports: same file, and the same path or a path inside ours. An
    own diagnostic at the top of a file only covers findings placed there too."""
    diagnostics = list(diagnostics)
    own: dict[str, list[tuple]] = {}
    for diagnostic in diagnostics:
        if diagnostic.rule in OWN_RULES:
            own.setdefault(diagnostic.file, []).append(tuple(diagnostic.path))
    if not own:
        return diagnostics
    return [d for d in diagnostics
            if d.rule not in TOSCAPARSER_RULES or not _covered(tuple(d.path), own.get(d.file, ()))]


def _covered(path: tuple, owned: Iterable[tuple]) -> bool:
    for mine in owned:
        if path == mine or (mine and path[:len(mine)] == mine):
            return True
    return False
