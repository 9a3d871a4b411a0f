"""PT800, PT801, PT900: tosca-parser's own findings, mapped back to positions.

tosca-parser is what IM itself runs on a template, so its verdict matters, but
run as it comes it is slow, noisy and unsafe for untrusted input: it reads
imports from the disk relative to the working directory, fetches URLs, logs
and prints, keeps its findings in global state, mutates the dicts it is given
and reports problems as bare messages with no file, line or column.

This bridge runs it on data we have already read and checked:

* the template is handed over pre-parsed (``yaml_dict_tpl``), every import
  rewritten to the absolute path of the file our loader resolved, and every
  import tosca-parser then asks for is served from our parsed documents by a
  stand-in for its YAML loader: it never opens a file or a URL;
* it gets copies, since it writes into what it is given: the template and
  every non-type section by ``marshal`` (several times faster than
  ``copy.deepcopy``) from bytes made once per document content; type
  sections copied down to the depth tosca-parser writes at, sharing the rest
  (see copies.TYPE_SECTIONS); and only the sections it reads (see
  copies.LazySections);
* its logging and output are silenced, and one lock serialises the calls
  because its exception collector and type table are global;
* each exception it collected becomes a diagnostic placed, by the shape of its
  message, at the node template, property or input it names;
* where it is stricter than the IM deployments accept, the finding is a
  PT801 warning with the reason (see docs/relaxations.md);
* anything else escaping it (AttributeError, KeyError ...) is a PT900 internal
  error on the file, never a crash.

:func:`dedupe` drops tosca-parser's copy of a problem one of our own rules
already reports at the same place.

The modules: ``copies`` (frozen copies, import rewriting, :func:`prepare`),
``runner`` (lock, silencing, serving imports, :func:`run_toscaparser`),
``places`` (:class:`Locator`, the place rules, the generic search) and
``findings`` (messages, relaxations, crashes, :func:`dedupe`).
"""

from __future__ import annotations

import importlib
from typing import Any, Iterator

from ...diagnostics import Diagnostic
from ...topology.model import Topology

# The bridge's modules load when the check runs (it is opt-in; checks/crosscheck.py
# registers it without importing this package).
_EXPORTS = {
    "Frozen": "copies", "FrozenDocument": "copies", "imported_documents": "copies", "plain_copy": "copies",
    "prepare": "copies",
    "OWN_RULES": "findings", "RELAXED_HINT": "findings", "TOSCAPARSER_RULES": "findings",
    "clean_message": "findings", "crash": "findings", "dedupe": "findings", "exception_text": "findings",
    "finding": "findings",
    "Locator": "places", "Place": "places", "borrow_scalar_unit_places": "places", "find_place": "places",
    "_LOCK": "runner", "ImportServer": "runner", "NotServed": "runner", "_refuse_path": "runner",
    "run_toscaparser": "runner", "silenced": "runner",
}

# The check, dedupe (for validate.py), and what tests/test_toscaparser_bridge.py reaches for.
__all__ = [
    "toscaparser", "dedupe",
    "OWN_RULES", "RELAXED_HINT", "TOSCAPARSER_RULES", "Frozen", "FrozenDocument", "ImportServer", "Locator",
    "NotServed", "Place", "_LOCK", "_refuse_path", "clean_message", "crash", "exception_text", "find_place",
    "plain_copy", "prepare", "run_toscaparser", "silenced",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def toscaparser(topology: Topology) -> Iterator[Diagnostic]:
    """tosca-parser's verdict on the template, each finding placed (the opt-in
    check ``toscaparser``, registered by :mod:`..crosscheck`)."""
    from .copies import imported_documents, prepare
    from .findings import crash, exception_text, finding
    from .places import Locator, borrow_scalar_unit_places, find_place
    from .runner import run_toscaparser

    template = topology.template
    prepared = prepare(template)
    outcome = run_toscaparser(prepared, template.options.inputs)
    imported = imported_documents(template)
    names = {real_path: document.file for real_path, document in imported.items()}
    locator = Locator(template, imported, topology.types)
    texts = [exception_text(exc) for exc in outcome.findings]
    places = borrow_scalar_unit_places(texts, [find_place(locator, text) for text in texts])
    for exc, text, place in zip(outcome.findings, texts, places):
        yield finding(topology, exc, text, place, names)
    if outcome.crash is not None:
        yield crash(topology, outcome.crash)
