"""The checks phase: one module per family of rules. Importing this package
registers them all, in this order (the order only decides the order of
equal-place findings)."""

from . import artifacts, inputs, platform, ports  # noqa: F401
from . import crosscheck  # noqa: F401, I001 - registered last, as it always was
from .base import CHECKS, Check, check, optional_checks, report, run_checks

__all__ = ["CHECKS", "Check", "check", "optional_checks", "report", "run_checks"]
