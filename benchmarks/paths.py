"""Where the repository and the shared corpus are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
IMPORT_MAP = CORPUS / "type-libraries" / "import-map.json"
INDIGO_EXAMPLES = CORPUS / "indigo-tosca-types" / "examples"
