"""Deployment names, and text from the store made safe to print.

A name is 1 to 128 characters, none of them a control or format character
(newlines, tabs, escape sequences, bidirectional overrides), and neither
starts nor ends with a space. Names are a handle for people; the local id
stays the key."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

MAX_NAME = 128
_FALLBACK = "deployment"


def _unprintable(char: str) -> bool:
    return unicodedata.category(char).startswith("C")


def check_name(name: str) -> str:
    """``name`` when it is a valid deployment name; else ValueError saying why."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a deployment name cannot be empty")
    if len(name) > MAX_NAME:
        raise ValueError(f"a deployment name has at most {MAX_NAME} characters, not {len(name):,}")
    bad = next((c for c in name if _unprintable(c)), None)
    if bad is not None:
        raise ValueError(f"a deployment name cannot hold control characters ({printable(bad)} in {printable(name)})")
    if name != name.strip():
        raise ValueError(f"a deployment name cannot start or end with a space ({printable(name)!r})")
    return name


def default_name(blueprint: str | os.PathLike) -> str:
    """The blueprint's file name without its suffix, made a valid name."""
    stem = "".join("_" if _unprintable(c) else c for c in Path(blueprint).stem).strip()
    return stem[:MAX_NAME].strip() or _FALLBACK


def printable(text: object, keep: str = "") -> str:
    """``text`` with every control or format character written as an escape
    (``\\n``, ``\\x1b``, ``\\u202e``), except those in ``keep``."""
    text = str(text)
    if not any(_unprintable(c) and c not in keep for c in text):
        return text
    return "".join(c if c in keep or not _unprintable(c) else repr(c)[1:-1] for c in text)


__all__ = ["MAX_NAME", "check_name", "default_name", "printable"]
