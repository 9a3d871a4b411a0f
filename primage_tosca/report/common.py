"""Helpers the formatters share: rule lookup, counts, file locations, links."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePath

from ..catalog import RULES
from ..diagnostics import Diagnostic, Severity

TOOL_NAME = "primage-tosca"
# Where the project lives (as in README.md); SARIF links rules and the tool to it.
PROJECT_URL = "https://github.com/primage/primage_tosca"
RULES_DOC_URL = f"{PROJECT_URL}/blob/main/docs/rules.md"

# A scheme of two letters or more, so a Windows drive ("C:\...") is not a URL.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")


def tool_version() -> str:
    """The package's version; read at call time so the import order of
    ``primage_tosca`` and this module does not matter."""
    import primage_tosca

    return str(getattr(primage_tosca, "__version__", "unknown"))


def rule_name(rule_id: str) -> str:
    """The catalogued name; a formatter must not crash on an uncatalogued id."""
    entry = RULES.get(rule_id)
    return entry.name if entry else "unknown-rule"


def rule_anchor(rule_id: str) -> str:
    """The anchor of a rule in docs/rules.md (``PT100`` -> ``pt100``)."""
    return rule_id.lower()


def rule_help_url(rule_id: str) -> str:
    return f"{RULES_DOC_URL}#{rule_anchor(rule_id)}"


def count(diagnostics: list[Diagnostic], severity: Severity) -> int:
    return sum(1 for d in diagnostics if d.severity is severity)


def position(diagnostic: Diagnostic) -> tuple[int, int]:
    """Line and column, never below 1: GitHub rejects a SARIF region before
    line 1 and the JSON schema promises 1-based numbers."""
    return max(1, diagnostic.line), max(1, diagnostic.column)


def is_url(file: str) -> bool:
    return bool(_URL.match(file))


def relative_to_cwd(file: str, cwd: str | None = None) -> str | None:
    """The POSIX path of ``file`` relative to the current directory, or None
    when the file is a URL or lies outside that directory."""
    if is_url(file):
        return None
    base = os.path.abspath(cwd or os.getcwd())
    target = os.path.abspath(file)
    try:
        if os.path.commonpath([base, target]) != base:
            return None
        relative = os.path.relpath(target, base)
    except ValueError:  # different drives on Windows
        return None
    return PurePath(relative).as_posix()


def absolute_file_uri(file: str) -> str:
    return Path(os.path.abspath(file)).as_uri()
