"""Where the repository and the shared corpus are."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
IMPORT_MAP = CORPUS / "type-libraries" / "import-map.json"
INDIGO_EXAMPLES = CORPUS / "indigo-tosca-types" / "examples"


def load_test_helper(name: str) -> ModuleType:
    """A helper module of the test suite (``tests/<name>.py``: the fake Galaxy,
    the IM comparison), loaded by path once per process."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module
