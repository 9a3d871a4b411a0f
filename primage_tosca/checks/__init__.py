"""Checks: one module per family of rules. Importing this package registers them all."""

from . import version  # noqa: F401  (registers its checks)
from .base import CHECKS, Check, check, report, run_checks

__all__ = ["CHECKS", "Check", "check", "report", "run_checks"]
