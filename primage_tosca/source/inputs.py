"""Input values supplied by the user: an inputs file and ``-i key=value`` pairs.

Both are read by the same reader as templates (:mod:`primage_tosca.source.reader`),
under the same limits: the size cap (``--max-file-size``), the nesting limit
and the alias budget that stops "billion laughs" documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import yaml

from ..source.document import read_local
from ..source.reader import DEFAULT_LIMITS, Limits, Problem, parse_bytes

try:
    from yaml import CSafeLoader as _Scanner
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Scanner

EMPTY = "PT103"  # the reader's "the file is empty": no inputs, not an error


class InputsError(Exception):
    """Supplied inputs cannot be read; the message says where and why."""


def _limits(max_bytes: int | None) -> Limits:
    return DEFAULT_LIMITS if max_bytes is None else Limits(max_bytes=max_bytes)


def _describe(where: str, problem: Problem) -> str:
    hint = f" ({problem.hint})" if problem.hint else ""
    return f"{where}:{problem.line}:{problem.column}: {problem.message}{hint}"


def _is_yaml(text: str) -> bool:
    """Whether ``text`` parses as YAML; only events, so aliases are never expanded here."""
    try:
        for _ in yaml.parse(text, Loader=_Scanner):
            pass
    except yaml.YAMLError:
        return False
    return True


def parse_assignment(text: str, max_bytes: int | None = None) -> tuple[str, Any]:
    """``key=value``; the value is read as a YAML scalar or flow collection, so
    ``-i cpus=2`` gives an integer and ``-i ports=[80,443]`` a list. A value
    that is not valid YAML stays the plain string; one that breaks the
    reader's limits (an alias bomb, a recursive alias) is an error."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputsError(f"-i {text!r}: expected key=value")
    if not raw.strip() or not _is_yaml(raw):
        return key, raw if raw.strip() else ""
    parsed = parse_bytes(raw.encode("utf-8"), _limits(max_bytes))
    problems = [p for p in parsed.problems if p.rule != EMPTY]
    if problems:
        raise InputsError(f"-i {key}: {problems[0].message}")
    return key, parsed.data


def load_inputs_file(path: str | Path, max_bytes: int | None = None) -> dict[str, Any]:
    """The values of a YAML inputs file: a mapping from input name to value."""
    path = Path(path)
    limits = _limits(max_bytes)
    raw, problem = read_local(str(path), limits)
    if raw is None:
        raise InputsError(f"cannot read inputs file {path}: {problem.message if problem else 'unreadable'}")
    parsed = parse_bytes(raw, limits)
    problems = [p for p in parsed.problems if p.rule != EMPTY]
    if problems:
        raise InputsError(_describe(str(path), problems[0]))
    data = parsed.data
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise InputsError(f"{path}: an inputs file is a mapping from input name to value")
    return data


def collect_inputs(files: Iterable[str | Path] = (), assignments: Iterable[str] = (), *,
                   max_bytes: int | None = None) -> dict[str, Any] | None:
    """Inputs from files (later files win) then ``key=value`` pairs (which win
    over files). None when nothing at all was supplied. ``max_bytes`` caps
    each file and value, as ``--max-file-size`` caps templates."""
    files, assignments = list(files), list(assignments)
    if not files and not assignments:
        return None
    values: dict[str, Any] = {}
    for file in files:
        values.update(load_inputs_file(file, max_bytes))
    for text in assignments:
        key, value = parse_assignment(text, max_bytes)
        values[key] = value
    return values
