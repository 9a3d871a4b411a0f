"""Compiling real templates to RADL beside IM's own converter, whole
processes on both sides.

Target: at least 10x faster than IM's converter (IM 2.0.0,
``Tosca(text).to_radl()``), same run, same machine, on the INDIGO examples
IM accepts: one process of ours compiles them all
(``python -m primage_tosca compile ... -o DIR``), one process of IM's venv
converts them all (``tools/im_convert.py``, which imports IM's converter and
calls it on each file); each is timed from spawn to exit, start-up included.

The same templates are also compiled one per process on both sides (a user
compiling one blueprint; IM's converter started for one template), reported
in the notes: there the start-up of both interpreters is most of the time.

IM is GPL-3.0 and runs only as a separate program, with the python of its
own venv (``bash tools/im_venv.sh`` makes ``.venv-im``).
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import sides
from .isolate import Command, Sample, Samples, run_process, time_jobs, time_pair
from .paths import IMPORT_MAP, INDIGO_EXAMPLES, ROOT, load_test_helper
from .record import Config, Result, median

NAME = "compile-vs-im"
TARGET_RATIO = 10.0
SMOKE_TRIED = 10  # smoke runs ask IM about the first few examples only...
SMOKE_TEMPLATES = 3  # ...and time the first ones it accepts
PER_TEMPLATE_REPEAT = 3  # the one-template-per-process series, reported and not judged
COMPILE_EXIT_CODES = (0, 1)  # 1: a blueprint has errors (every one is still compiled)
MEASURES = ("`python -m primage_tosca compile <the INDIGO examples IM accepts> --to radl --import-map <corpus import "
            "map> -o DIR`, one whole process")
PEER = ("IM 2.0.0's converter: one whole process of IM's venv running `tools/im_convert.py --json` on the same "
        "templates (`Tosca(text).to_radl()` on each, type-library URLs rewritten to local files)")
FIRST_ERROR = re.compile(r": error (PT\d+) (.*)")


def equivalence_module():
    """tests/im_equivalence.py (the mirror, the inputs, where IM is)."""
    return load_test_helper("im_equivalence")


@dataclass
class Inputs:
    """The template copies each side compiles, and where they write."""

    names: list[str]
    ours: list[str]  # inputs without defaults given defaults; URL imports kept (served by the import map)
    im: list[str]  # the same, type-library URLs rewritten to local paths
    artifacts_path: str
    output: Path

    def ours_command(self, indexes: list[int]) -> Command:
        files = [self.ours[i] for i in indexes]
        target = str(self.output / "radl") if len(files) > 1 else str(self.output / "one.radl")
        return sides.our_cli("compile", *files, "--to", "radl", "--import-map", str(IMPORT_MAP), "-o", target)

    def im_command(self, indexes: list[int], python: str) -> Command:
        return Command([python, str(ROOT / "tools" / "im_convert.py"), "--json", "--artifacts-path",
                        self.artifacts_path, *(self.im[i] for i in indexes)])


def write_inputs(eq, mirror, paths: list[Path], folder: Path) -> Inputs:
    """Both sides compile the same text: an input a user would have to give
    becomes the input's default (IM's converter takes no input values); IM's
    copy has the type-library URLs rewritten, ours keeps them."""
    ours_folder = folder / "ours"
    ours_folder.mkdir()
    ours, im = [], []
    for path in paths:
        copy = mirror.template_copy(path, eq.placeholder_inputs(path))
        mine = ours_folder / path.name
        mine.write_text(mirror.restore(copy.read_text(encoding="utf-8")), encoding="utf-8")
        im.append(str(copy))
        ours.append(str(mine))
    return Inputs([p.name for p in paths], ours, im, str(mirror.artifacts_path), folder)


def im_results(sample: Sample, files: list[str]) -> list[dict]:
    """Each file's result in IM's JSON report, in order."""
    sample.require("IM's converter (tools/im_convert.py)")
    results = json.loads(sample.stdout)["results"]
    return [results[file] for file in files]


def im_error(found: dict) -> str:
    return f"{found.get('error_type', 'Error')}: {found['error']}"


# --------------------------------------------------------------------------
# The notes


def rejection_groups(im_rejects: dict, reason) -> str:
    """IM's rejections, grouped by reason with the template names in quotes blanked."""
    groups: dict[str, list[str]] = {}
    for name, error in sorted(im_rejects.items()):
        short = re.split(r" (?=\w+(?:Error|Exception): )", reason(error, 400))[0]  # the first error only
        short = re.sub(r'"[^"]*"', '"..."', short)
        short = re.sub(r"'[^']*'", "'...'", short)[:110]
        groups.setdefault(short, []).append(name)
    return "; ".join(f"{len(names)} with `{short}` ({', '.join(names)})" for short, names in
                     sorted(groups.items(), key=lambda item: -len(item[1])))


def refusals(per_template: dict[str, Samples], names: list[str]) -> dict[str, str]:
    """Templates our compile refuses (exit 1), with the first error."""
    found = {}
    for name in names:
        run = per_template[f"ours {name}"].runs[0].require(f"primage_tosca compile {name}", COMPILE_EXIT_CODES)
        if run.returncode:
            first = FIRST_ERROR.search(run.stderr)
            found[name] = " ".join(first.groups())[:140] if first else run.stderr.strip()[-140:]
    return found


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.3f} s"


def per_template_notes(per_template: dict[str, Samples], names: list[str]) -> list[str]:
    ours = {name: median(per_template[f"ours {name}"].seconds) for name in names}
    im = {name: median(per_template[f"im {name}"].seconds) for name in names}
    ratios = sorted((im[name] / ours[name], name) for name in names)
    repeat = len(per_template[f"ours {names[0]}"].runs)
    return [
        f"One template per process (not judged; {repeat} repetition(s) of each template on each side, each a "
        f"whole process): median over the {len(names)} templates ours {ms(statistics.median(ours.values()))}, "
        f"IM {ms(statistics.median(im.values()))}: "
        f"**{statistics.median(im.values()) / statistics.median(ours.values()):.2f}x**; totals ours "
        f"{ms(sum(ours.values()))}, IM {ms(sum(im.values()))}. Per template, IM / ours ranges from "
        f"{ratios[0][0]:.2f}x ({ratios[0][1]}) to {ratios[-1][0]:.2f}x ({ratios[-1][1]}). Here both "
        f"interpreters' start-up and imports are most of each process.",
    ]


FAIRNESS = [
    "Both sides are whole processes timed from spawn to exit, start-up and imports included: ours is the "
    "command line as a user types it; IM's is `tools/im_convert.py` in IM's venv, which imports "
    "`IM.tosca.Tosca`, reads each file and takes `str(radl)` of `Tosca(text).to_radl()`, and prints every RADL "
    "(or error) as JSON. Ours writes one `.radl` file per blueprint, or none when one blueprint has errors "
    "(every blueprint is compiled all the same).",
    "Both convert the same text: inputs without a default get tests/im_equivalence.py's placeholders as "
    "defaults (fixed values for IM's `random(N)` defaults), as IM's converter takes no input values. Ours "
    "resolves the URL imports through the corpus import map; IM reads a copy of the libraries in which every "
    "`https://raw.githubusercontent.com/` URL is a local path (tests/im_equivalence.py's `LocalMirror`); "
    "neither reaches the network.",
    "Within its one process, ours reads a library imported by many templates (INDIGO's `custom_types.yaml`) "
    "once; IM's converter parses it again for each template. That is part of what is measured.",
    "The batch processes of the two sides alternate which goes first; a first, untimed round of both fills the "
    "OS file cache (not in smoke runs). The one-template series runs every template's two processes in "
    "rotating order.",
]


def run(config: Config) -> Result:
    result = Result(NAME, MEASURES, PEER, "primage_tosca compile", "IM tools/im_convert.py",
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
    paths = eq.templates(folder=eq.EXAMPLES)[:SMOKE_TRIED if config.smoke else None]
    folder = Path(tempfile.mkdtemp(prefix="bench-compile-vs-im-"))
    try:
        with eq.LocalMirror() as mirror:
            inputs = write_inputs(eq, mirror, paths, folder)
            everything = list(range(len(paths)))
            # Which templates IM converts: one untimed process over all of them.
            first = im_results(run_process(inputs.im_command(everything, str(im_python))), inputs.im)
            accepted = [i for i in everything if "radl" in first[i]]
            accepted = accepted[:SMOKE_TEMPLATES] if config.smoke else accepted
            im_rejects = {inputs.names[i]: im_error(first[i]) for i in everything if "radl" not in first[i]}
            if not accepted:
                result.error = f"IM rejected every template it was given ({len(im_rejects)})"
                return result
            ours, im = time_pair(lambda: inputs.ours_command(accepted),
                                 lambda: inputs.im_command(accepted, str(im_python)), config.repeat,
                                 warmup=0 if config.smoke else 1)
            names = [inputs.names[i] for i in accepted]
            jobs = []
            for index, name in zip(accepted, names):
                jobs += [(f"ours {name}", lambda i=index: inputs.ours_command([i])),
                         (f"im {name}", lambda i=index: inputs.im_command([i], str(im_python)))]
            per_template = time_jobs(jobs, min(config.repeat, PER_TEMPLATE_REPEAT))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.ours, result.peer = ours.seconds, im.seconds
    result.ours_rss_kb, result.peer_rss_kb = ours.max_rss_kb, im.max_rss_kb
    result.notes = batch_notes(ours, im, inputs, accepted, len(paths), im_python, config.smoke)
    result.notes += per_template_notes(per_template, names)
    refused = refusals(per_template, names)
    if refused:
        result.notes.append(f"Ours refuses {len(refused)} of these templates (errors IM does not check for); they are "
                            f"timed all the same, as `compile` reads and checks every blueprint, then writes "
                            f"nothing and exits 1: " + "; ".join(f"{name} ({error})"
                                                                 for name, error in sorted(refused.items())) + ".")
    if im_rejects:
        result.notes.append(f"Left out, as IM rejects them ({len(im_rejects)}): "
                            f"{rejection_groups(im_rejects, eq.im_reason)}.")
    result.notes += FAIRNESS
    return result


def batch_notes(ours: Samples, im: Samples, inputs: Inputs, accepted: list[int], tried: int, im_python: Path,
                smoke: bool) -> list[str]:
    for run in ours.runs:
        run.require("primage_tosca compile", COMPILE_EXIT_CODES)
    files = [inputs.im[i] for i in accepted]
    inside = median([sum(found["seconds"] for found in im_results(run, files)) for run in im.runs])
    shown = im_python.relative_to(ROOT) if im_python.is_relative_to(ROOT) else im_python
    return [
        f"IM converted {len(accepted)} of the {tried} INDIGO examples tried (IM's python: `{shown}`)"
        + (", the first ones it accepts (smoke run)" if smoke else "") + "; both sides compile those "
        f"{len(accepted)} in one process each. Our exit status: {ours.runs[0].returncode}.",
        f"Of IM's process ({ms(median(im.seconds))} median), its conversions themselves (`Tosca(text).to_radl()`, "
        f"by its own clock, median over the repetitions) took {ms(inside)}; the rest is start-up, imports and output.",
    ]
