"""Validating the OASIS TOSCA 2.0 conformance cases in one process, beside
Puccini 0.21 (from PyPI) judging the same files in one process.

Target: at least 5x faster than Puccini, whole processes (start-up and
imports included for both), same run, same machine.

Puccini is a TOSCA processor written in Go; its Python wheel carries the
compiled processor as a shared library (``libpuccini.so``, loaded through
ctypes). It is Apache-2.0 and runs only in its own venv
(``bash tools/puccini_venv.sh``, or ``make puccini-venv``, makes
``.venv-puccini``); a full run makes that venv when it is missing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from . import sides
from .bench_validate import summary, validate_command
from .isolate import Samples, WorkerError, time_pair
from .paths import CORPUS, ROOT
from .record import Config, Result

NAME = "tosca2-validate"
TARGET_RATIO = 5.0
SMOKE_CASES = 3  # the first cases, in sorted order: two valid, one invalid
CASES = CORPUS / "oasis-tosca-2.0"
EXPECTED = CASES / "expected.json"
VENV_SCRIPT = ROOT / "tools" / "puccini_venv.sh"
MAKE_VENV_TIMEOUT = 600
MEASURES = ("`python -m primage_tosca validate <every case file of expected.json>` on the OASIS TOSCA 2.0 cases, "
            "one whole process")
PEER = ("Puccini 0.21 from PyPI: one whole `python` process of Puccini's venv that imports `puccini.tosca` and runs "
        "`puccini.tosca.compile(path)` on each of the same files")
# "/path/case.yaml:12:3: error PT306 ...": a case our validate rejects
ERROR_LINE = re.compile(r"^(.+):\d+:\d+: error \w+ ", re.MULTILINE)


def expected_verdicts(smoke: bool) -> dict[str, str]:
    """Each case's absolute path -> "valid" or "invalid", as expected.json says."""
    verdicts = json.loads(EXPECTED.read_text(encoding="utf-8"))
    found = {str(CASES / case): verdict for case, verdict in sorted(verdicts.items())}
    return dict(list(found.items())[:SMOKE_CASES]) if smoke else found


def puccini_venv() -> Path:
    """Where tools/puccini_venv.sh puts Puccini's venv ($PUCCINI_VENV, else .venv-puccini)."""
    return Path(os.environ.get("PUCCINI_VENV") or ROOT / ".venv-puccini")


def puccini_python(smoke: bool) -> tuple[Path | None, str]:
    """Puccini's python, and what was done to have it; None and why when
    there is none. A full run makes (or checks) the venv with the project's
    script, untimed; a smoke run only looks, as it must stay fast and offline."""
    python = puccini_venv() / "bin" / "python"
    existed = python.is_file()
    if smoke:
        if existed:
            return python, "found"
        return None, (f"Puccini's venv is not at {puccini_venv()}: run `make puccini-venv` "
                      f"(bash tools/puccini_venv.sh); a full run makes it")
    try:
        done = subprocess.run(["bash", str(VENV_SCRIPT)], cwd=ROOT, capture_output=True, text=True, check=False,
                              timeout=MAKE_VENV_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, f"making Puccini's venv (tools/puccini_venv.sh) took longer than {MAKE_VENV_TIMEOUT} s"
    if done.returncode != 0:
        tail = " ".join((done.stderr.strip() or done.stdout.strip()).splitlines()[-3:])
        return None, f"Puccini's venv could not be made (tools/puccini_venv.sh exited {done.returncode}): {tail}"
    return python, "found" if existed else "made in this run by tools/puccini_venv.sh"


def puccini_version(python: Path) -> str:
    done = subprocess.run([str(python), "-c", "from importlib.metadata import version; print(version('puccini'))"],
                          capture_output=True, text=True, timeout=60, check=False)
    return done.stdout.strip() or "unknown"


def our_invalid(samples: Samples, count: int) -> set[str]:
    """The files our validate rejected, the same in every repetition, each of
    which checked every file."""
    found = []
    for run in samples.runs:
        checked = summary(Samples([run]))["files"]
        if checked != count:
            raise WorkerError(f"our validate checked {checked} files of {count}")
        found.append(set(ERROR_LINE.findall(run.stdout)))
    if any(invalid != found[0] for invalid in found):
        raise WorkerError("our validate judged the cases differently from one repetition to the next")
    return found[0]


def peer_invalid(samples: Samples, count: int) -> tuple[set[str], dict]:
    """The files Puccini rejected (the same in every repetition, each of which
    compiled every file), and its first report."""
    found = []
    for run in samples.runs:
        report = run.require("Puccini").report
        if not report or report["files"] != count:
            raise WorkerError(f"Puccini's process did not report on all {count} files: {run.stdout[-300:]}")
        found.append(set(report["invalid"]))
    if any(invalid != found[0] for invalid in found):
        raise WorkerError("Puccini judged the cases differently from one repetition to the next")
    return found[0], samples.runs[0].report


def agreement(expected: dict[str, str], invalid: set[str]) -> str:
    agree = sum(verdict == ("invalid" if path in invalid else "valid") for path, verdict in expected.items())
    return f"{agree}/{len(expected)} ({100.0 * agree / len(expected):.1f}%)"


def outcome_notes(ours: Samples, peer: Samples, expected: dict[str, str], python: Path, how: str) -> list[str]:
    mine = summary(ours)
    rejected = our_invalid(ours, len(expected))
    theirs, report = peer_invalid(peer, len(expected))
    outcomes = report["outcomes"]
    same = sum((path in rejected) == (path in theirs) for path in expected)
    wanted = sum(verdict == "invalid" for verdict in expected.values())
    shown = python.relative_to(ROOT) if python.is_relative_to(ROOT) else python
    return [
        f"{len(expected)} cases, {wanted} of them invalid according to expected.json; both sides judge every one.",
        f"Ours checked {mine['files']} files and rejected {len(rejected)} ({mine['errors']} errors, "
        f"{mine['warnings']} warnings in all; exit status {ours.runs[0].returncode}); it agrees with expected.json "
        f"on {agreement(expected, rejected)} of the cases.",
        f"Puccini {puccini_version(python)} (python `{shown}`, {how}) compiled {report['files']} files: "
        f"{outcomes.get('valid', 0)} without problems, {outcomes.get('problems', 0)} with problems "
        f"({report['problems']} in all), {outcomes.get('unreadable', 0)} it could not read; it agrees with "
        f"expected.json on {agreement(expected, theirs)} of the cases.",
        f"The two sides give the same verdict on {same} of the {len(expected)} cases.",
        f"Puccini's process, medians: {sides.phases(peer)}.",
    ]


FAIRNESS = [
    "Each repetition of each side is one whole process: ours is the command line as a user types it "
    "(default options, as the project's TOSCA 2.0 conformance test judges the cases; default text output, to a "
    "file); the peer is a `python -c` script in Puccini's venv that imports `puccini.tosca` (which loads "
    "`libpuccini.so`) and calls `compile()` on the files one after the other, as tools/puccini_validate.py does.",
    "A case is invalid for ours when validate reports an error in it, and for Puccini when `compile()` raises "
    "its problems (or cannot read the file). `compile()` is the check Puccini's Python API offers: with its "
    "defaults it also resolves and coerces, and hands back the compiled Clout, decoded in Python.",
    "Both processes run with the same environment (an empty data folder; any web fetch goes to a dead proxy and "
    "fails at once, so neither side times a download).",
]


def run(config: Config) -> Result:
    result = Result(NAME, MEASURES, PEER, "primage_tosca validate", "Puccini compile",
                    target_ratio=TARGET_RATIO, judged=not config.smoke)
    if not EXPECTED.is_file():
        result.skipped = f"the OASIS TOSCA 2.0 cases are not at {CASES}"
        return result
    python, how = puccini_python(config.smoke)
    if python is None:
        result.skipped = how
        return result
    expected = expected_verdicts(config.smoke)
    files = list(expected)
    ours, peer = time_pair(validate_command(files), lambda: sides.puccini(files, str(python)), config.repeat,
                           warmup=0 if config.smoke else 1)
    result.ours, result.peer = ours.seconds, peer.seconds
    result.ours_rss_kb, result.peer_rss_kb = ours.max_rss_kb, peer.max_rss_kb
    result.notes = outcome_notes(ours, peer, expected, python, how) + FAIRNESS
    return result
