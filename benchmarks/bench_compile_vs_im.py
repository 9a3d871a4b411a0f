"""Our full compile to RADL beside IM's own converter, on the INDIGO examples
IM accepts, both in warm long-lived processes.

Target (issue 3): our compile at least 10x faster than IM's converter (IM
2.0.0, ``Tosca(text).to_radl()``), on the median over templates and on the
total, same run, same machine.

Each side is a long-lived process that converts templates on request, one at
a time: ours with this project's python, IM's with the python of its own venv
(``bash tools/im_venv.sh`` makes ``.venv-im``; IM is GPL-3.0 and is never
imported into this process). Both first convert every template once, untimed
(imports, caches and lazy set-ups warm, as in a running server); that round
also decides which templates are compared: those IM converts. Then, in each
repetition, every template is converted once by each side in turn.

A running server sees new templates that import the same type libraries, so
every timed conversion is of a template text the process has not seen
before: the server writes a copy with a one-line comment naming the request
at the top (outside the clock), and converts that copy. Our compile keeps its
process-wide parse cache, so a library is parsed once per process but the
template itself always is; it is also timed with a new ``ParseCache`` for
every conversion (every library parsed again, as IM does), reported in the
notes.

This module is also the server: ``python -m benchmarks.bench_compile_vs_im
--serve ours|im`` reads one JSON request a line on stdin and answers one JSON
line on stdout. Its top level imports only the standard library and this
package's plain modules, so IM's python can run it.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .bench_compile_scaling import Bound, JointResult
from .isolate import worker_env
from .paths import IMPORT_MAP, INDIGO_EXAMPLES, ROOT, load_test_helper
from .record import Config, Result

NAME = "compile-vs-im"
TARGET_RATIO = 10.0
SMOKE_TEMPLATES = 3
REQUEST_TIMEOUT = 120.0  # seconds for one answer before a side is declared stuck
MODULE = "bench_compile_vs_im"
MEASURES = ("`primage_tosca.emit.compile(path, target=\"radl\", inputs=..., import_map=...)`, `validate=True` "
            "(our checks and the tosca-parser check), of each INDIGO example IM accepts, in a warm process: "
            "every timed template text new to the process, its type libraries parsed once per process")
PEER = ("IM 2.0.0's converter: read the file, `Tosca(text).to_radl()`, the RADL text; same templates (type-library "
        "URLs rewritten to local files), in a warm process of its own venv (`.venv-im`)")
IM_OFFLINE_REPO = "http://127.0.0.1:9/im-convert-offline/"
SERIES = ("ours", "cold", "im")  # our compile; ours with a new ParseCache per conversion; IM's converter


# --------------------------------------------------------------------------
# The servers (each runs in a child process)


def _protocol_stdout():
    """The real stdout, kept for answers; file descriptor 1 then points at
    stderr, so whatever a converter prints cannot break the protocol."""
    sys.stdout.flush()
    answers = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return answers


def _ours_converter(setup: dict):
    import logging

    from primage_tosca.emit import CompileError, compile as compile_tosca
    from primage_tosca.source.document import ParseCache

    logging.disable(logging.CRITICAL)
    import_map = setup["import_map"]

    def convert(path: str, inputs: dict, mode: str) -> tuple[str | None, str | None]:
        # "ours": compile as a caller would, with the process-wide parse cache;
        # "cold": a new ParseCache, so the libraries are parsed again too.
        extra = {"parse_cache": ParseCache()} if mode == "cold" else {}
        try:
            text = compile_tosca(path, target="radl", inputs=inputs or None, import_map=import_map, **extra)
        except CompileError as exc:
            return None, str(exc)
        return text, None

    return convert


def _clean_message(message: str) -> str:
    """tosca-parser's collected errors carry a stack trace per error (lines
    indented by two tabs or more): keep the messages (as tools/im_convert.py does)."""
    lines = [line for line in message.splitlines() if not line.startswith("\t\t") and line.strip()]
    return " ".join(" ".join(lines).split())


def _im_converter(setup: dict):
    import logging

    logging.disable(logging.CRITICAL)  # IM and tosca-parser log every step
    from IM.tosca.Tosca import Tosca

    if setup.get("artifacts_path"):
        Tosca.ARTIFACTS_PATH = setup["artifacts_path"]
    Tosca.ARTIFACTS_REMOTE_REPO = IM_OFFLINE_REPO  # never fetch: refused at once

    def convert(path: str, inputs: dict, mode: str) -> tuple[str | None, str | None]:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            _, radl = Tosca(text).to_radl()
            return str(radl), None
        except Exception as exc:  # IM raises plain Exception, tosca-parser anything
            return None, f"{type(exc).__name__}: {_clean_message(str(exc) or repr(exc))[:2000]}"

    return convert


def serve(side: str) -> int:
    """Answer requests until ``{"quit": true}``. The first request is the set-up
    (``files``, ``inputs``, ``import_map``, ``artifacts_path``), answered
    ``{"ready": true}``; then ``{"convert": index, "mode": ..., "tag": n}``:
    write the file with ``# <tag>`` on top, convert it, answer the seconds."""
    from .worker import refuse_network

    answers = _protocol_stdout()
    refuse_network()
    scratch = tempfile.mkdtemp(prefix=f"bench-{side}-")
    # IM's converter opens a requests-cache database in the working directory.
    os.chdir(scratch)
    try:
        setup = json.loads(sys.stdin.readline())
        convert = (_im_converter if side == "im" else _ours_converter)(setup)
        texts = [Path(file).read_text(encoding="utf-8") for file in setup["files"]]
        names = [Path(file).name for file in setup["files"]]
        answers.write(json.dumps({"ready": True, "python": sys.executable}) + "\n")
        for line in sys.stdin:
            request = json.loads(line)
            if request.get("quit"):
                break
            index = request["convert"]
            copy = os.path.join(scratch, names[index])
            with open(copy, "w", encoding="utf-8") as handle:
                handle.write(f"# benchmark request {request['tag']}\n{texts[index]}")
            started = time.perf_counter()
            text, error = convert(copy, setup["inputs"][index], request.get("mode", "ours"))
            seconds = time.perf_counter() - started
            answers.write(json.dumps({"seconds": seconds, "error": error,
                                      "bytes": None if text is None else len(text)}) + "\n")
    finally:
        os.chdir("/")
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


# --------------------------------------------------------------------------
# The client (the benchmark process)


class SideError(Exception):
    """A side crashed, answered nonsense, or took too long."""


class Side:
    """One long-lived converter process."""

    def __init__(self, label: str, python: str, side: str, setup: dict):
        self.label = label
        self.log = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.process = subprocess.Popen([python, "-m", f"benchmarks.{MODULE}", "--serve", side], cwd=ROOT,
                                        env=worker_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.log, text=True, bufsize=1)
        self.ask(setup)

    def ask(self, request: dict) -> dict:
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            raise SideError(f"{self.label} exited early:\n{self.tail()}") from None
        readable, _, _ = select.select([self.process.stdout], [], [], REQUEST_TIMEOUT)
        line = self.process.stdout.readline() if readable else ""
        if not line:
            why = f"gave no answer in {REQUEST_TIMEOUT:g} s" if not readable else "exited"
            shown = request if "files" not in request else "set-up"
            tail = self.tail()
            self.close()
            raise SideError(f"{self.label} {why} (request {shown}):\n{tail}")
        return json.loads(line)

    def tail(self) -> str:
        self.log.seek(0)
        return "\n".join(self.log.read().strip().splitlines()[-15:])

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write(json.dumps({"quit": True}) + "\n")
                self.process.stdin.flush()
                self.process.wait(timeout=30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.log.close()


def equivalence_module():
    """tests/im_equivalence.py (the mirror, the inputs, where IM is)."""
    return load_test_helper("im_equivalence")


@dataclass
class Template:
    name: str
    index: int
    seconds: dict[str, list[float]] = field(default_factory=lambda: {series: [] for series in SERIES})

    def median(self, series: str) -> float:
        return statistics.median(self.seconds[series])

    @property
    def ratio(self) -> float:
        return self.median("im") / self.median("ours")


class Converters:
    """Both servers, and a tag that makes every request's template text new."""

    def __init__(self, sides: dict[str, Side]):
        self.sides = sides
        self.tag = 0

    def convert(self, series: str, index: int) -> dict:
        self.tag += 1
        side = "im" if series == "im" else "ours"
        mode = "cold" if series == "cold" else "ours"
        return self.sides[side].ask({"convert": index, "mode": mode, "tag": self.tag})


def warm_up(converters: Converters, names: list[str], wanted: int | None) -> tuple[list[Template], dict, dict]:
    """Convert each template once in each series, untimed; keep the templates
    IM converts (in smoke runs, stop once ``wanted`` are kept). A template
    ours refuses is kept: ``compile`` runs the whole pipeline (load, checks,
    topology, emit) before it withholds the text and raises."""
    kept, im_rejects, ours_refusals = [], {}, {}
    for index, name in enumerate(names):
        answers = {series: converters.convert(series, index) for series in SERIES}
        if answers["im"]["error"]:
            im_rejects[name] = answers["im"]["error"]
            continue
        if answers["ours"]["error"]:
            ours_refusals[name] = answers["ours"]["error"]
        kept.append(Template(name, index))
        if wanted is not None and len(kept) >= wanted:
            break
    return kept, im_rejects, ours_refusals


def time_templates(converters: Converters, templates: list[Template], repeat: int) -> None:
    """Each repetition converts every template once in each series, one
    after the other; the order of the series rotates from one conversion
    to the next, so none always goes first."""
    step = 0
    for _ in range(repeat):
        for template in templates:
            shift = step % len(SERIES)
            step += 1
            for series in SERIES[shift:] + SERIES[:shift]:
                answer = converters.convert(series, template.index)
                if series == "im" and answer["error"]:
                    raise SideError(f"IM rejected {template.name} after converting it in the warm-up: "
                                    f"{answer['error'][:500]}")
                template.seconds[series].append(answer["seconds"])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.3f} s"


def _first_error(message: str) -> str:
    """``CompileError``'s text without the file path: the rule and message of its first error."""
    text = " ".join(message.split())
    _, _, rest = text.partition(": ")
    return (rest.split(": ", 1)[-1] if rest else text)[:140]


def rejection_groups(im_rejects: dict, reason) -> str:
    """IM's rejections, grouped by reason with the template names in quotes blanked."""
    import re

    groups: dict[str, list[str]] = {}
    for name, error in sorted(im_rejects.items()):
        short = re.split(r" (?=\w+(?:Error|Exception): )", reason(error, 400))[0]  # the first error only
        short = re.sub(r'"[^"]*"', '"..."', short)
        short = re.sub(r"'[^']*'", "'...'", short)[:110]
        groups.setdefault(short, []).append(name)
    return "; ".join(f"{len(names)} with `{short}` ({', '.join(names)})" for short, names in
                     sorted(groups.items(), key=lambda item: -len(item[1])))


def summary_notes(templates: list[Template], repeat: int, im_rejects: dict, ours_refusals: dict,
                  reason) -> tuple[list[str], float]:
    """Notes, and the ratio of the totals."""
    medians = {series: [t.median(series) for t in templates] for series in SERIES}
    median_ratio = statistics.median(medians["im"]) / statistics.median(medians["ours"])
    total_ratio = sum(medians["im"]) / sum(medians["ours"])
    cold_median = statistics.median(medians["cold"])
    by_ratio = sorted(templates, key=lambda t: t.ratio)
    notes = [
        f"The rows above summarise per-template medians: each template's time is the median of its {repeat} "
        f"repetition(s); **median** is the median of those over the {len(templates)} templates, **min** and "
        f"**max** the fastest and slowest template, and **repetitions** counts templates. The ratio is "
        f"IM's median over templates / ours: **{median_ratio:.2f}x**.",
        f"Total over the {len(templates)} templates (sum of the per-template medians): ours "
        f"{ms(sum(medians['ours']))}, IM {ms(sum(medians['im']))}: **{total_ratio:.2f}x**, target >= "
        f"{TARGET_RATIO:g}x: **{'PASS' if total_ratio >= TARGET_RATIO else 'FAIL'}**. The verdict is PASS only "
        f"when both the median and the total reach the target.",
        f"Per template, IM / ours ranges from {by_ratio[0].ratio:.1f}x ({by_ratio[0].name}) to "
        f"{by_ratio[-1].ratio:.1f}x ({by_ratio[-1].name}); the median per-template ratio is "
        f"{statistics.median(t.ratio for t in templates):.1f}x.",
        f"Ours with a new `ParseCache` for every conversion (the template and every library it imports "
        f"parsed again each time, INDIGO's 100 kB `custom_types.yaml` included, as IM does): median over "
        f"templates {ms(cold_median)} ({statistics.median(medians['im']) / cold_median:.2f}x IM), total "
        f"{ms(sum(medians['cold']))} ({sum(medians['im']) / sum(medians['cold']):.2f}x IM). Not judged: a "
        f"running server keeps its parse cache.",
    ]
    if ours_refusals:
        notes.append(f"Ours refuses {len(ours_refusals)} of these templates (errors IM does not check for); they are "
                     f"timed all the same, as `compile` runs the whole pipeline before it withholds the text and "
                     f"raises `CompileError`: " + "; ".join(f"{name} ({_first_error(error)})"
                                                          for name, error in sorted(ours_refusals.items())) + ".")
    if im_rejects:
        notes.append(f"Left out, as IM rejects them ({len(im_rejects)}): {rejection_groups(im_rejects, reason)}.")
    return notes, total_ratio


FAIRNESS = [
    "Both sides run warm: each is one long-lived process (ours with this project's python, IM's with "
    "`.venv-im`'s) that imports its converter once and converts every template once, untimed, before "
    "the timed repetitions. Each conversion is timed inside its process, from the path of a template file "
    "to the RADL text: ours calls `compile(path, ...)`; IM's side reads the file and takes "
    "`str(radl)` of `Tosca(text).to_radl()`, as `tools/im_convert.py` does. Process start-up and the "
    "requests and answers between the processes are outside the clock.",
    "Every timed conversion, on both sides, is of a template text its process has not seen: the server "
    "first writes the template with a comment line naming the request on top, outside the clock. So our "
    "parse cache (keyed by content) never holds the template itself, only the libraries it imports, as in "
    "a server that gets new templates using the same type library. Also warm in our process: the normative "
    "type registry (`lru_cache`) and the bounded cache of frozen libraries handed to tosca-parser "
    "(`FrozenCache`). IM keeps tosca-parser's normative definitions loaded and opens its requests-cache "
    "session for each conversion, as it does for each request.",
    "Our compile is the full one, `validate=True`: our checks and the tosca-parser check, which runs "
    "tosca-parser on the template as IM's converter does.",
    "Both converters see the same inputs (tests/im_equivalence.py's placeholders for inputs without a "
    "default, and fixed values for IM's `random(N)` defaults) and the same type libraries: ours resolves "
    "the URL imports through the corpus import map, IM reads a temporary copy of the libraries in which "
    "every `https://raw.githubusercontent.com/` URL is a local path (tests/im_equivalence.py's "
    "`LocalMirror`); both processes refuse the network.",
    "The processes take turns: only one converts at a time, and the order of the three series (ours, ours "
    "with a new parse cache, IM) rotates from one conversion to the next. Our compile pauses the cyclic "
    "garbage collector while it runs (part of our compiler); IM's runs with Python's defaults.",
]


def run(config: Config) -> Result:
    result = JointResult(NAME, MEASURES, PEER, "primage_tosca compile()", "IM Tosca().to_radl()",
                         target_ratio=TARGET_RATIO, judged=not config.smoke)
    if not INDIGO_EXAMPLES.is_dir() or not IMPORT_MAP.is_file():
        result.skipped = f"the shared corpus is not at {INDIGO_EXAMPLES.parent.parent}"
        return result
    eq = equivalence_module()
    im_python = eq.im_python()
    if im_python is None:
        result.skipped = (f"IM's converter is not installed: run `{eq.IM_VENV_SCRIPT}` in the repository root "
                          f"(or set {eq.IM_PYTHON_ENV} to the python of a venv with im==2.0.0)")
        return result
    paths = eq.templates(folder=eq.EXAMPLES)  # the INDIGO examples: templates written elsewhere
    inputs = [eq.placeholder_inputs(path) for path in paths]
    sides: dict[str, Side] = {}
    with eq.LocalMirror() as mirror:
        copies = [str(mirror.template_copy(path, values)) for path, values in zip(paths, inputs)]
        shared = {"inputs": inputs, "import_map": str(IMPORT_MAP), "artifacts_path": str(mirror.artifacts_path)}
        try:
            sides["ours"] = Side("our compiler", sys.executable, "ours",
                                 {**shared, "files": [str(path) for path in paths]})
            sides["im"] = Side("IM's converter", str(im_python), "im", {**shared, "files": copies})
            converters = Converters(sides)
            templates, im_rejects, ours_refusals = warm_up(converters, [path.name for path in paths],
                                                           SMOKE_TEMPLATES if config.smoke else None)
            if templates:
                time_templates(converters, templates, config.repeat)
        finally:
            for side in sides.values():
                side.close()
    if not templates:
        result.error = f"IM rejected every template it was given ({len(im_rejects)})"
        return result
    result.ours = [t.median("ours") for t in templates]
    result.peer = [t.median("im") for t in templates]
    notes, total_ratio = summary_notes(templates, config.repeat, im_rejects, ours_refusals, eq.im_reason)
    result.further = [Bound("Total", total_ratio, TARGET_RATIO, at_most=False)]
    tried = len(paths) if not config.smoke else len(templates) + len(im_rejects)
    shown = Path(im_python)
    shown = shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown
    notes.insert(3, f"IM converted {len(templates)} of the {tried} INDIGO examples tried (IM's python: `{shown}`)"
                 + (", the first ones it accepts (smoke run)" if config.smoke else "") + ".")
    result.notes = notes + FAIRNESS
    return result


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--serve" and argv[1] in ("ours", "im"):
        return serve(argv[1])
    print("usage: python -m benchmarks.bench_compile_vs_im --serve ours|im  (started by the benchmark; run "
          "the benchmark with `python -m benchmarks.run --only compile-vs-im`)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
