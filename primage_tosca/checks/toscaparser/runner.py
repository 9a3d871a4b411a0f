"""Running tosca-parser: imports served from our parsed documents, output
silenced, and calls serialised, since its findings and type table are global."""

from __future__ import annotations

import contextlib
import io
import logging
import threading
from typing import Any, Iterator

from ...records import record
from .copies import FrozenDocument, Prepared, plain_copy

# tosca-parser keeps its findings in a class attribute and its type table in
# another: two calls at once would mix them up.
_LOCK = threading.Lock()


class NotServed(Exception):
    """tosca-parser asked for a file the bridge did not prepare: a bug of ours."""

    def __init__(self, path: str):
        super().__init__(f"tosca-parser asked for {path!r}, which is not an import our loader resolved")


class ImportServer:
    """Stands in for tosca-parser's YAML loader: serves a fresh copy of each
    prepared file and refuses anything else. It never reads the disk."""

    def __init__(self, files: dict[str, FrozenDocument]):
        self.files = files

    def __call__(self, path: str, a_file: bool = True) -> Any:
        frozen = self.files.get(path)
        if frozen is None:
            raise NotServed(path)
        return frozen.thaw()


@record
class Outcome:
    """What one tosca-parser run left: the exceptions it collected, and the
    exception that escaped it, if one did."""

    findings: list[BaseException]
    crash: BaseException | None = None


TOSCAPARSER_LOGGERS = ("tosca", "tosca.model", "toscaparser")


def _toscaparser_loggers() -> list[logging.Logger]:
    """tosca-parser's loggers: "tosca", "tosca.model" and its modules' own.
    A disabled logger drops its records, its children's are not affected, so
    each is disabled by name."""
    names = set(TOSCAPARSER_LOGGERS)
    names.update(name for name in list(logging.root.manager.loggerDict)
                 if name.startswith(("tosca.", "toscaparser.")))
    return [logging.getLogger(name) for name in sorted(names)]


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """tosca-parser logs warnings (which reach stderr when no handler is set
    up) and prints in places: neither may reach our output."""
    loggers = _toscaparser_loggers()
    saved = [(logger, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            yield
    finally:
        for logger, disabled in saved:
            logger.disabled = disabled


def _refuse_path(path: str, a_file: bool = True) -> Any:
    raise NotServed(path)


@contextlib.contextmanager
def serving(server: ImportServer) -> Iterator[None]:
    """tosca-parser's YAML loader replaced by ``server`` for the duration."""
    import toscaparser.imports
    import toscaparser.tosca_template

    saved = toscaparser.imports.YAML_LOADER, toscaparser.tosca_template.YAML_LOADER
    toscaparser.imports.YAML_LOADER = server
    toscaparser.tosca_template.YAML_LOADER = _refuse_path  # we never pass a path
    try:
        yield
    finally:
        toscaparser.imports.YAML_LOADER, toscaparser.tosca_template.YAML_LOADER = saved


@contextlib.contextmanager
def restored_type_table() -> Iterator[None]:
    """An NFV or MEC template makes tosca-parser add its profile's types to the
    normative table for good; undo it so no template's verdict depends on the
    ones checked before it."""
    from toscaparser.elements.entity_type import EntityType

    table = EntityType.TOSCA_DEF
    saved = dict(table)
    try:
        yield
    finally:
        if len(table) != len(saved) or any(table.get(k) is not v for k, v in saved.items()):
            table.clear()
            table.update(saved)


def run_toscaparser(prepared: Prepared, inputs: dict | None) -> Outcome:
    """Parse the prepared template with tosca-parser and collect what it says."""
    from toscaparser.common.exception import ExceptionCollector, TOSCAException
    from toscaparser.tosca_template import ToscaTemplate

    server = ImportServer(prepared.files)
    with _LOCK, silenced(), serving(server), restored_type_table():
        try:
            ToscaTemplate(yaml_dict_tpl=prepared.template.thaw(),
                          parsed_params=plain_copy(inputs) if inputs else None)
            return Outcome(list(ExceptionCollector.exceptions))
        except TOSCAException as exc:  # the final summary, or a finding raised mid-way
            found = list(ExceptionCollector.exceptions)
            if ExceptionCollector.collecting:  # raised in the middle: a finding of its own
                found.append(exc)
            return Outcome(found or [exc])
        except Exception as exc:  # noqa: BLE001 - whatever escapes (RecursionError too) is reported
            return Outcome(list(ExceptionCollector.exceptions), exc)
        finally:
            ExceptionCollector.stop()
            ExceptionCollector.clear()
