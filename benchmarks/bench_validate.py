"""Validating the 66 INDIGO examples in one process, beside tosca-parser
parsing the same files with their imports served locally, in one process.

Target: at least 12x faster than tosca-parser, whole processes (start-up and
imports included for both), same run, same machine.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import yaml

from . import sides
from .isolate import Samples, time_pair
from .paths import IMPORT_MAP, INDIGO_EXAMPLES
from .record import Config, Result

NAME = "validate-indigo"
TARGET_RATIO = 12.0
SMOKE_TEMPLATES = 3
MEASURES = ("`python -m primage_tosca validate <the 66 INDIGO examples> --import-map <corpus import map>`, "
            "one whole process")
PEER = ("one whole `python` process that imports tosca-parser and runs `ToscaTemplate(path, local_defs=...)` on "
        "each of the same files, URL imports served from the same local copies")
# "66 files checked: 8 errors, 130 warnings" (or "no problems")
SUMMARY = re.compile(r"^(\d+) files? checked: (?:(\d+) errors?, (\d+) warnings?|no problems)", re.MULTILINE)
VALIDATE_EXIT_CODES = (0, 1)  # 1: the templates have errors, which is a finished run


def template_files(smoke: bool) -> list[str]:
    files = sorted(str(p) for p in INDIGO_EXAMPLES.iterdir() if p.suffix in (".yaml", ".yml"))
    return files[:SMOKE_TEMPLATES] if smoke else files


def url_imports(path: Path) -> list[str]:
    """The URLs a TOSCA file imports, in any of the three import notations."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    entries = data.get("imports") if isinstance(data, dict) else None
    found = []
    for entry in entries if isinstance(entries, list) else []:
        values = entry.values() if isinstance(entry, dict) else [entry]
        for value in values:
            reference = value.get("file") if isinstance(value, dict) else value
            if isinstance(reference, str) and reference.startswith(("http://", "https://")):
                found.append(reference)
    return found


def local_definitions(files: list[str]) -> dict[str, str]:
    """tosca-parser's ``local_defs``: every URL the files import, directly or
    through an imported library, mapped to its local copy with the same
    import map our side uses. Worked out before any timing starts."""
    from primage_tosca.imports.policy import ImportMap

    import_map = ImportMap.from_file(IMPORT_MAP)
    served: dict[str, str] = {}
    pending = [Path(f) for f in files]
    while pending:
        for url in url_imports(pending.pop()):
            local = import_map.lookup(url)
            if url not in served and local is not None and local.is_file():
                served[url] = str(local)
                pending.append(local)
    return served


def summary(samples: Samples, codes: tuple[int, ...] = VALIDATE_EXIT_CODES) -> dict[str, int]:
    """The counts of our validate run's last line, checked on every repetition."""
    for run in samples.runs:
        run.require("primage_tosca validate", codes)
    found = SUMMARY.search(samples.runs[0].stdout)
    if found is None:
        raise ValueError(f"no summary line in our validate output:\n{samples.runs[0].stdout[-500:]}")
    files, errors, warnings = found.groups()
    return {"files": int(files), "errors": int(errors or 0), "warnings": int(warnings or 0)}


def peer_outcome(samples: Samples) -> dict:
    for run in samples.runs:
        run.require("tosca-parser")
    return samples.runs[0].report


def validate_command(files: list[str], *options: str, env: dict[str, str] | None = None):
    """What to run for our side: a fresh process each time."""

    def make():
        command = sides.our_cli("validate", *files, *options)
        command.env = env
        return command

    return make


def peer_command(files: list[str], local_defs: dict[str, str] | None = None):
    return lambda: sides.toscaparser(files, local_defs)


def outcome_notes(ours: Samples, peer: Samples, files: list[str], served: dict) -> list[str]:
    mine, theirs = summary(ours), peer_outcome(peer)
    peer_counts = ", ".join(f"{count} {kind}" for kind, count in sorted(theirs["outcomes"].items()))
    notes = [
        f"Ours validated {mine['files']} files and reported {mine['errors']} errors and {mine['warnings']} "
        f"warnings in all (exit status {ours.runs[0].returncode}).",
        f"tosca-parser parsed {theirs['files']} files: {peer_counts}.",
        f"tosca-parser's process, medians: {sides.phases(peer)}.",
        f"{len(served)} distinct URL imports were served to tosca-parser from local copies "
        f"(`local_defs`, worked out before timing with the import map our side is given).",
    ]
    if mine["files"] != len(files) or theirs["files"] != len(files):
        notes.append(f"WARNING: expected {len(files)} files; the two sides did not cover the same set.")
    return notes


FAIRNESS = [
    "Each repetition of each side is one whole process: ours is the command line as a user types it "
    "(default text output, to a file); the peer is a `python -c` script that imports tosca-parser and "
    "parses the files one after the other. Both run with the same interpreter and environment.",
    "Within its one process, ours reads a library imported by many templates (INDIGO's `custom_types.yaml`) "
    "once; tosca-parser parses it again for each template. That is part of what is measured.",
    "tosca-parser runs with logging disabled; ours logs nothing by default.",
]


def run(config: Config) -> Result:
    result = Result(NAME, MEASURES, PEER, "primage_tosca validate", "tosca-parser ToscaTemplate",
                    target_ratio=TARGET_RATIO, judged=not config.smoke)
    if not INDIGO_EXAMPLES.is_dir() or not IMPORT_MAP.is_file():
        result.skipped = f"the shared corpus is not at {INDIGO_EXAMPLES.parent.parent}"
        return result
    if importlib.util.find_spec("toscaparser") is None:
        result.skipped = "tosca-parser is not installed"
        return result
    files = template_files(config.smoke)
    served = local_definitions(files)
    ours, peer = time_pair(validate_command(files, "--import-map", str(IMPORT_MAP)), peer_command(files, served),
                           config.repeat, warmup=0 if config.smoke else 1)
    result.ours, result.peer = ours.seconds, peer.seconds
    result.ours_rss_kb, result.peer_rss_kb = ours.max_rss_kb, peer.max_rss_kb
    result.notes = outcome_notes(ours, peer, files, served) + FAIRNESS
    return result

