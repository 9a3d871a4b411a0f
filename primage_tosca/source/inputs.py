"""Input values supplied by the user: an inputs file and ``-i key=value`` pairs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import yaml


class InputsError(Exception):
    """Supplied inputs cannot be read; the message says where and why."""


def parse_assignment(text: str) -> tuple[str, Any]:
    """``key=value``; the value is read as a YAML scalar or flow collection, so
    ``-i cpus=2`` gives an integer and ``-i ports=[80,443]`` a list. A value
    that is not valid YAML stays the plain string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputsError(f"-i {text!r}: expected key=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def load_inputs_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputsError(f"cannot read inputs file {path}: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise InputsError(f"{where}: inputs file is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise InputsError(f"{path}: an inputs file is a mapping from input name to value")
    return data


def collect_inputs(files: Iterable[str | Path] = (), assignments: Iterable[str] = ()) -> dict[str, Any] | None:
    """Inputs from files (later files win) then ``key=value`` pairs (which win
    over files). None when nothing at all was supplied."""
    files, assignments = list(files), list(assignments)
    if not files and not assignments:
        return None
    values: dict[str, Any] = {}
    for file in files:
        values.update(load_inputs_file(file))
    for text in assignments:
        key, value = parse_assignment(text)
        values[key] = value
    return values
