"""Compiling a large generated topology to RADL on the default path: how the
cost grows with its size, how much memory it takes, and how it compares with
tosca-parser parsing the same file.

The topology has N Compute nodes and N software nodes, software i hosted on
Compute i and depending on software i-1 (a chain of N-1 DependsOn
relationships). Every node reads an input (``get_input``): each Compute its
CPU count, each software node its ``Standard.create`` operation's ``site``
input (the operation runs a local playbook and also reads a property with
``get_property``), so the compile writes N systems and N configures.

Three targets, judged together:

1. at N = 2,000, at least 5x faster than tosca-parser's ``ToscaTemplate(path)``
   alone on the same file, whole processes (start-up and imports included);
2. linear growth: our compile at N = 10,000 takes at most 11x its time at
   N = 1,000;
3. peak memory (RSS high-water mark of the process) at N = 10,000 under 400 MB.

Our side is the public ``compile_results(path, target="radl")`` with nothing
changed: every default check runs, as it does for every user.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path

from . import sides
from .isolate import Samples, time_jobs
from .record import Bound, Config, JointResult, median

NAME = "compile-scaling"
TARGET_RATIO = 5.0  # tosca-parser's process at COMPARE_SIZE / our process at COMPARE_SIZE
SCALING_LIMIT = 11.0  # our compile at LARGE / at SMALL, at most
MEMORY_LIMIT_MB = 400.0  # our peak RSS at LARGE, at most
SMALL, LARGE, COMPARE_SIZE = 1_000, 10_000, 2_000
SMOKE_SMALL, SMOKE_LARGE, SMOKE_COMPARE = 10, 100, 20
PLAYBOOK = "install.yml"
MEASURES = ("one whole `python` process running the public `compile_results(path, target=\"radl\")` (every default "
            "check on) on a generated topology of N Compute + N software nodes (hosted, a DependsOn chain, a "
            "`get_input` in every node); N = 2,000 here, N = 1,000 and 10,000 for the further targets in the notes")
PEER = ("one whole `python` process running tosca-parser's `ToscaTemplate(path)` alone (parse and its own "
        "validation, no RADL) on the same N = 2,000 file")


# --------------------------------------------------------------------------
# The input


def topology_text(size: int) -> str:
    """A TOSCA template with ``size`` Compute and ``size`` software nodes."""
    lines = ["tosca_definitions_version: tosca_simple_yaml_1_0", "",
             f"description: {size} Compute nodes, {size} software nodes hosted on them, each depending on "
             "the one before", "", "topology_template:", "  inputs:",
             "    cpus:", "      type: integer", "      default: 1",
             "    site:", "      type: string", "      default: cloud.example.org",
             "  node_templates:"]
    for i in range(size):
        lines += [f"    vm_{i}:",
                  "      type: tosca.nodes.Compute",
                  "      capabilities:",
                  "        host:",
                  "          properties:",
                  "            num_cpus: { get_input: cpus }",
                  "            mem_size: 2 GB",
                  "        os:",
                  "          properties:",
                  "            type: linux",
                  "            distribution: ubuntu",
                  f"    app_{i}:",
                  "      type: tosca.nodes.SoftwareComponent",
                  "      properties:",
                  f"        component_version: '1.{i}'",
                  "      requirements:",
                  f"        - host: vm_{i}"]
        if i:
            lines.append(f"        - dependency: app_{i - 1}")
        lines += ["      interfaces:",
                  "        Standard:",
                  "          create:",
                  f"            implementation: {PLAYBOOK}",
                  "            inputs:",
                  "              version: { get_property: [ SELF, component_version ] }",
                  "              site: { get_input: site }"]
    return "\n".join(lines) + "\n"


def write_inputs(folder: Path, sizes: list[int]) -> dict[int, str]:
    """One template file per size, and the playbook they all name."""
    (folder / PLAYBOOK).write_text("- hosts: localhost\n  tasks:\n    - debug:\n        msg: \"{{ version }} at {{ site }}\"\n",
                                   encoding="utf-8")
    paths = {}
    for size in sorted(set(sizes)):
        path = folder / f"topology-{size}.yaml"
        path.write_text(topology_text(size), encoding="utf-8")
        paths[size] = str(path)
    return paths


# --------------------------------------------------------------------------
# Running


def spread(samples: list[float]) -> str:
    return f"median {median(samples):.3f} s (min {min(samples):.3f}, max {max(samples):.3f})"


def check_outcomes(samples: dict[str, Samples], sizes: dict[str, int]) -> list[str]:
    """What went wrong, when a side did not do the whole job."""
    warnings = []
    for key, found in samples.items():
        size = sizes[key]
        for run in found.runs:
            report = run.report or {}
            if key == "peer":
                failed = run.returncode != 0 or report.get("outcomes") != {"valid": 1} or report.get("nodes") != 2 * size
            else:
                failed = (run.returncode != 0 or not report.get("ok") or report.get("systems") != size
                          or report.get("configures") != size)
            if failed:
                shown = report or run.stderr.strip()[-500:]
                warnings.append(f"{key} at N = {size} did not do the whole job (exit status "
                                f"{run.returncode}): {shown}")
                break
    return warnings


def work_seconds(samples: Samples) -> list[float]:
    """The ``compile_results`` call of each repetition, by the process's own clock."""
    return [split["work"] for split in map(sides.clock_split, samples.runs) if split]


def targets(samples: dict[str, Samples], small: int, large: int) -> list[Bound]:
    small_work, large_work = (work_seconds(samples["small"]), work_seconds(samples["large"]))
    growth = median(large_work) / median(small_work) if small_work and large_work and median(small_work) > 0 else None
    peak_mb = samples["large"].max_rss_kb / 1024
    return [Bound(f"Scaling: our `compile_results` call at N = {large:,} / at N = {small:,}", growth, SCALING_LIMIT),
            Bound(f"Peak memory (RSS high-water mark) of our process at N = {large:,}", peak_mb, MEMORY_LIMIT_MB,
                  unit=" MB", digits=0)]


def notes(samples: dict[str, Samples], sizes: tuple[int, int, int], file_sizes: dict[int, int],
          further: list[Bound]) -> list[str]:
    small, large, compare = sizes
    ours, peer = samples["ours"], samples["peer"]
    mine = ours.runs[0].report or {}
    whole = {size: median(samples[key].seconds) for key, size in (("small", small), ("large", large))}
    memory = ", ".join(f"{samples[key].max_rss_kb / 1024:.0f} MB at N = {size:,}"
                       for key, size in (("small", small), ("ours", compare), ("large", large)))
    return [
        further[0].text() + f" (linear growth would be {large / small:g}x). The call alone is judged: the "
        f"process start-up, the same at every size, would flatten the growth. Whole processes: "
        f"{whole[large] / whole[small]:.2f}x.",
        further[1].text() + f". Our peak RSS: {memory}; tosca-parser's at N = {compare:,}: "
        f"{peer.max_rss_kb / 1024:.0f} MB.",
        "The verdict is PASS only when all three targets are met; the table above shows the first "
        f"(N = {compare:,} against tosca-parser).",
        f"Our whole processes: N = {small:,}: {spread(samples['small'].seconds)}; N = {compare:,}: "
        f"{spread(ours.seconds)}; N = {large:,}: {spread(samples['large'].seconds)}.",
        f"Where our processes' time went (medians): N = {small:,}: {sides.phases(samples['small'])}; "
        f"N = {compare:,}: {sides.phases(ours)}; N = {large:,}: {sides.phases(samples['large'])}. "
        f"tosca-parser at N = {compare:,}: {sides.phases(peer)}.",
        "What our side runs: `python -c` with `from primage_tosca.api import compile_results` and "
        "`compile_results(path, target=\"radl\")`: read, imports, types, render, topology, every default check, "
        "emit RADL. What the peer runs: `python -c` with "
        "`from toscaparser.tosca_template import ToscaTemplate` and `ToscaTemplate(path)`, logging disabled: it "
        "builds its node templates and relationship graph and validates them; it writes no RADL.",
        f"Each compile wrote {mine.get('systems')} systems and {mine.get('configures')} configures "
        f"({mine.get('bytes', 0):,} bytes of RADL) at N = {compare:,}, with {mine.get('errors')} errors and "
        f"{mine.get('warnings')} warnings. Template files: " +
        ", ".join(f"{size:,} bytes at N = {n:,}" for n, size in sorted(file_sizes.items())) + ".",
        "Each repetition of each side and size is a whole process; the four jobs of a round run one after "
        "the other, their order rotating from round to round; a first round is untimed (not in smoke runs).",
    ]


def run(config: Config) -> JointResult:
    sizes = (SMOKE_SMALL, SMOKE_LARGE, SMOKE_COMPARE) if config.smoke else (SMALL, LARGE, COMPARE_SIZE)
    small, large, compare = sizes
    result = JointResult(NAME, MEASURES, PEER, "primage_tosca compile_results", "tosca-parser ToscaTemplate",
                         target_ratio=TARGET_RATIO, judged=not config.smoke)
    if importlib.util.find_spec("toscaparser") is None:
        result.skipped = "tosca-parser is not installed"
        return result
    folder = Path(tempfile.mkdtemp(prefix="bench-compile-scaling-"))
    try:
        paths = write_inputs(folder, list(sizes))
        jobs = [("small", lambda: sides.compile_radl(paths[small])),
                ("large", lambda: sides.compile_radl(paths[large])),
                ("ours", lambda: sides.compile_radl(paths[compare])),
                ("peer", lambda: sides.toscaparser([paths[compare]]))]
        samples = time_jobs(jobs, config.repeat, warmup=0 if config.smoke else 1)
        file_sizes = {size: Path(path).stat().st_size for size, path in paths.items()}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.ours, result.peer = samples["ours"].seconds, samples["peer"].seconds
    result.ours_rss_kb, result.peer_rss_kb = samples["ours"].max_rss_kb, samples["peer"].max_rss_kb
    result.further = targets(samples, small, large)
    result.notes = notes(samples, sizes, file_sizes, result.further)
    failures = check_outcomes(samples, {"small": small, "large": large, "ours": compare, "peer": compare})
    if failures:  # a side that did not do the whole job has no comparable time
        result.error = "\n".join(failures)
    return result
