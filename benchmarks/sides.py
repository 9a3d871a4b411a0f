"""The programs the benchmarks run as whole processes, besides our CLI.

Each is a short script run with ``python -c``: it reads its JSON payload on
stdin, imports only the standard library and the tool it measures, and ends
by printing one result line (:data:`benchmarks.isolate.RESULT_MARK`) with
what it did and its own clock around its imports and its work, so a report
can say where a process's time went. The harness times the whole process
from outside; these clocks are only for the notes.
"""

from __future__ import annotations

import sys

from .isolate import RESULT_MARK, Command, Sample, Samples, python_command
from .record import median

# tosca-parser's ToscaTemplate on each file of the payload, URL imports served
# from local copies (``local_defs``). Logging is off (tosca-parser logs every
# step at INFO and warns through the root logger; writing log lines is not
# parsing). A file it rejects, or crashes on, was still parsed.
TOSCAPARSER = f"""
import time
started = time.perf_counter()
import json, sys
payload = json.load(sys.stdin)
import logging
logging.disable(logging.CRITICAL)
from toscaparser.tosca_template import ToscaTemplate
imported = time.perf_counter()
outcomes, nodes = {{}}, 0
for path in payload["files"]:
    try:
        nodes += len(ToscaTemplate(path, local_defs=payload["local_defs"] or None).nodetemplates)
        kind = "valid"
    except Exception as exc:
        kind = type(exc).__name__
    outcomes[kind] = outcomes.get(kind, 0) + 1
done = time.perf_counter()
print({RESULT_MARK!r} + json.dumps({{"files": len(payload["files"]), "outcomes": outcomes, "nodes": nodes,
      "clock": [started, imported, done, time.perf_counter()]}}))
"""

# Our public compile_results(path, target="radl"): the default path, every
# default check on. The RADL is counted after the clock.
COMPILE_RADL = f"""
import time
started = time.perf_counter()
import json, sys
payload = json.load(sys.stdin)
from primage_tosca.api import compile_results
imported = time.perf_counter()
(result,) = compile_results(payload["path"], target="radl")
done = time.perf_counter()
text = "\\n" + (result.text or "")
severities = [d.severity.name for d in result.diagnostics]
print({RESULT_MARK!r} + json.dumps({{"ok": result.ok, "bytes": len(text) - 1,
      "systems": text.count("\\ndeploy "), "configures": text.count("\\nconfigure "),
      "errors": severities.count("ERROR"), "warnings": severities.count("WARNING"),
      "clock": [started, imported, done, time.perf_counter()]}}))
"""

# The interpreter alone: the floor under every whole-process figure.
NOTHING = "pass"


def toscaparser(files: list[str], local_defs: dict[str, str] | None = None) -> Command:
    return python_command(TOSCAPARSER, {"files": files, "local_defs": local_defs or {}})


def compile_radl(path: str) -> Command:
    return python_command(COMPILE_RADL, {"path": path})


def bare_python() -> Command:
    return Command([sys.executable, "-c", NOTHING])


def our_cli(*arguments: str) -> Command:
    """``python -m primage_tosca ARGUMENTS``, as a user runs it."""
    return Command([sys.executable, "-m", "primage_tosca", *arguments])


def clock_split(sample: Sample) -> dict[str, float] | None:
    """One script process's seconds: interpreter start-up (spawn to the
    script's first line), imports, work, and the rest (its report, then the
    interpreter's exit, which frees every object the work left alive)."""
    clock = (sample.report or {}).get("clock")
    if not clock:
        return None
    started, imported, done, finished = clock
    return {"start-up": started - sample.spawned, "imports": imported - started, "work": done - imported,
            "report and exit": sample.spawned + sample.seconds - finished}


def phases(samples: Samples) -> str:
    """Where a script's processes spent their time, medians: 'start-up
    0.020 s, imports 0.100 s, work 1.200 s, report and exit 0.010 s'."""
    splits = [split for split in map(clock_split, samples.runs) if split]
    if not splits:
        return "no clock reported"
    return ", ".join(f"{name} {median([split[name] for split in splits]):.3f} s" for name in splits[0])
