"""Checks: one module per family of rules. Importing this package registers them all,
in this order (the order only decides the order of equal-place diagnostics)."""

from . import artifacts, graph, inputs, platform, toscaparser, types, values, version  # noqa: F401
from .base import CHECKS, Check, check, report, run_checks

__all__ = ["CHECKS", "Check", "check", "report", "run_checks"]
