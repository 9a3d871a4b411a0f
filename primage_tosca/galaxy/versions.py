"""Ordering versions the way ``ansible-galaxy`` does, without its code.

Roles use a loose ordering: the version is cut into runs of digits and runs
of letters (a leading ``v`` is ignored), digits compare as numbers. Unlike
Python's old LooseVersion, a number and a word never make the comparison
fail: numbers sort above words, so ``2.0`` beats ``2.0rc1``'s ``rc`` part
only where they differ.

Collections use semantic versions: pre-releases sort below their release and
are never chosen unless asked for by name.
"""

from __future__ import annotations

import re
from typing import Iterable

from ..recipe_specs import parse_range

_PIECES = re.compile(r"\d+|[A-Za-z]+")
_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def loose_key(version: str) -> tuple:
    text = version[1:] if version[:1] in "vV" and version[1:2].isdigit() else version
    return tuple((1, int(p), "") if p.isdigit() else (0, 0, p.lower()) for p in _PIECES.findall(text))


def highest_loose(names: Iterable[str]) -> str | None:
    names = [n for n in names if n]
    return max(names, key=lambda n: (loose_key(n), n)) if names else None


def semver_key(version: str) -> tuple:
    match = _SEMVER.match(version)
    if not match:
        return (0, loose_key(version))
    major, minor, patch, pre = match.groups()
    if pre is None:
        pre_key: tuple = (1,)
    else:
        pre_key = (0, tuple((1, int(p), "") if p.isdigit() else (0, 0, p) for p in pre.split(".")))
    return (1, (int(major), int(minor), int(patch)), pre_key)


def is_prerelease(version: str) -> bool:
    match = _SEMVER.match(version)
    return bool(match and match.group(4))


def satisfies(version: str, requirement: str | None) -> bool:
    """Does a collection version meet ``requirement`` (exact, ``*``, or a range)?"""
    if requirement is None or requirement.strip() == "*":
        return True
    clauses = parse_range(requirement) if requirement[:1] in "<>=!" or "," in requirement else [("==", requirement)]
    key = semver_key(version)
    for operator, wanted in clauses:
        other = semver_key(wanted)
        ok = {
            "==": key == other, "!=": key != other, ">=": key >= other,
            "<=": key <= other, ">": key > other, "<": key < other,
        }[operator]
        if not ok:
            return False
    return True


def highest_matching(versions: Iterable[str], requirements: Iterable[str | None]) -> str | None:
    """The highest collection version meeting every requirement; pre-releases
    only when a requirement names one exactly."""
    requirements = list(requirements)
    exact = {r for r in requirements if r and not (r[:1] in "<>=!*" or "," in r)}
    candidates = [v for v in versions
                  if all(satisfies(v, r) for r in requirements) and (not is_prerelease(v) or v in exact)]
    return max(candidates, key=semver_key) if candidates else None
