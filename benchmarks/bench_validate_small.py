"""Validating one small template, as a pre-commit hook does on one changed
file, beside tosca-parser parsing it: whole processes on both sides.

Target: at least 2x faster than tosca-parser, same run, same machine.
"""

from __future__ import annotations

import importlib.util

from . import sides
from .bench_validate import peer_command, peer_outcome, summary, validate_command
from .isolate import time_jobs, worker_env
from .paths import ROOT
from .record import Config, Result, median

NAME = "validate-small"
TARGET_RATIO = 2.0
TEMPLATE = ROOT / "blueprints" / "hello-compute.yaml"  # three nodes, one local import, no URL imports
REPEAT_FACTOR = 4  # a process of a tenth of a second: more repetitions steady the median
MEASURES = f"`python -m primage_tosca validate {TEMPLATE.relative_to(ROOT)}`, one whole process"
PEER = "one whole `python` process that imports tosca-parser and runs `ToscaTemplate(path)` on the same file"


def run(config: Config) -> Result:
    result = Result(NAME, MEASURES, PEER, "primage_tosca validate", "tosca-parser ToscaTemplate",
                    target_ratio=TARGET_RATIO, judged=not config.smoke)
    if importlib.util.find_spec("toscaparser") is None:
        result.skipped = "tosca-parser is not installed"
        return result
    path = str(TEMPLATE.relative_to(ROOT))  # as a user types it; both sides run in the repository root
    env = worker_env()
    env.pop("PRIMAGE_TOSCA_CONFIG")  # the repository's .primage-tosca.yaml (roots: the whole checkout) is found
    jobs = [("ours", validate_command([path], env=env)), ("peer", peer_command([path])), ("python", sides.bare_python)]
    repeat = config.repeat if config.smoke else config.repeat * REPEAT_FACTOR
    samples = time_jobs(jobs, repeat, warmup=0 if config.smoke else 1)
    ours, peer, bare = samples["ours"], samples["peer"], samples["python"]
    result.ours, result.peer = ours.seconds, peer.seconds
    result.ours_rss_kb, result.peer_rss_kb = ours.max_rss_kb, peer.max_rss_kb
    summary(ours, codes=(0,))  # every repetition found the template valid
    theirs = peer_outcome(peer)
    floor = median(bare.seconds)
    result.notes = [
        f"Ours found no problem in the file (exit status 0); tosca-parser: "
        f"{', '.join(f'{count} {kind}' for kind, count in theirs['outcomes'].items())}, {theirs['nodes']} node "
        f"templates.",
        f"The interpreter alone (`python -c pass`, timed in the same rounds): median {floor * 1000:.1f} ms. Above "
        f"it, ours takes {(median(ours.seconds) - floor) * 1000:.1f} ms and tosca-parser "
        f"{(median(peer.seconds) - floor) * 1000:.1f} ms.",
        f"tosca-parser's process, medians: {sides.phases(peer)}.",
        f"Each repetition of each side (and of the bare interpreter) is one whole process, in rotating order; "
        f"{repeat} repetition(s) each, after an untimed round (not in smoke runs). The template imports a local "
        f"type file (`../types/`) and no URL. Ours runs with its default checks and finds the repository's "
        f"`.primage-tosca.yaml` (which lets imports read the whole checkout), as a pre-commit hook run in this "
        f"repository does.",
    ]
    return result
