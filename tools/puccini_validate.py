"""Validate TOSCA files with Puccini, one process for all of them.

Run by the python of .venv-puccini (tools/puccini_venv.sh makes it):

    .venv-puccini/bin/python tools/puccini_validate.py FILE [FILE ...]
    .venv-puccini/bin/python tools/puccini_validate.py --expected CASES/expected.json

Prints one JSON line per file on stdout:
    {"file": "...", "valid": true|false, "problems": ["row:column item: message", ...]}

With --expected (a JSON object mapping file paths, relative to that file's
folder, to "valid" or "invalid"), the files are those of the mapping unless
files are also given, and a last summary line on stderr says how many verdicts
agree with it.

Puccini (Apache-2.0) is a peer and an oracle here, never part of the project;
this file only calls its public Python API, puccini.tosca.compile(url), which
returns the compiled Clout or raises puccini.tosca.Problems.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path


def problem_text(problem: object) -> str:
    """One line for a Puccini problem: where, what, message (no Go call stack)."""
    if not isinstance(problem, Mapping):  # Puccini's problems are ard.types.Map
        return str(problem)
    where = ""
    if problem.get("row"):
        where = f"{problem.get('row')}:{problem.get('column', 0)} "
    item = f"{problem['item']}: " if problem.get("item") else ""
    section = problem.get("section") or ""
    prefix = f"{section} " if section and not section.startswith("file:") else ""
    return f"{where}{prefix}{item}{problem.get('message', '')}".strip()


def validate(path: str) -> dict:
    """Compile one file with Puccini and say whether it reported problems."""
    import puccini.tosca  # imported here so --help works without the venv

    if not os.path.exists(path):
        return {"file": path, "valid": False, "problems": [f"no such file: {path}"]}
    try:
        puccini.tosca.compile(os.path.abspath(path))
    except puccini.tosca.Problems as exc:
        return {"file": path, "valid": False, "problems": [problem_text(p) for p in exc.problems]}
    except Exception as exc:  # Puccini reports a failed read as a plain Exception
        return {"file": path, "valid": False, "problems": [f"error: {exc}"]}
    return {"file": path, "valid": True, "problems": []}


def load_expected(path: str) -> dict[str, bool]:
    """Map each case's path (joined to the expected file's folder) to valid=True/False."""
    base = Path(path).parent
    with open(path, encoding="utf-8") as handle:
        verdicts = json.load(handle)
    return {str(base / name): verdict == "valid" for name, verdict in verdicts.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="TOSCA files or CSARs to validate")
    parser.add_argument("--expected", help="JSON mapping of case paths to valid/invalid")
    args = parser.parse_args(argv)
    expected = load_expected(args.expected) if args.expected else {}
    files = args.files or list(expected)
    if not files:
        parser.error("give files to validate, or --expected")
    agree = 0
    for path in files:
        result = validate(path)
        print(json.dumps(result), flush=True)
        if expected.get(path) is result["valid"]:
            agree += 1
    if expected:
        scored = sum(1 for path in files if path in expected)
        share = 100.0 * agree / scored if scored else 0.0
        print(f"puccini agrees with the expected verdict on {agree}/{scored} files ({share:.1f}%)",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
