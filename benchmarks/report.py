"""BENCHMARKS.md: the machine, the versions and every result of one run."""

from __future__ import annotations

from .record import Result, median

METHOD = """\
Every benchmark times our tool and its peer on the same input, in the same run, on the same machine,
and measures what a user runs: unless a benchmark's notes say otherwise, each repetition of each side
is a whole process (our command line, or a short Python script that imports the peer and runs it),
timed by the harness from just before it is spawned until it has exited, so interpreter start-up,
imports, the work and the exit count for both sides alike. Our package's bytecode is compiled before
the run, as pip does when it installs a package (the peers' installed packages have theirs). Peak memory is the process's RSS
high-water mark as the kernel reports it at exit. Repetitions of the sides are interleaved and
rotate which goes first, so a machine that gets busier during the run weighs on both; a first,
untimed round (left out of smoke runs) fills the OS file cache. The ratio is the peer's median
divided by ours: above 1 we are faster. A benchmark passes when its ratio reaches its target and
every further target in its notes is met."""


def seconds(value: float) -> str:
    return f"{value:.3f} s" if value >= 1 else f"{value * 1000:.1f} ms"


def ratio_text(result: Result) -> str:
    return f"{result.ratio:.2f}x" if result.ratio is not None else "-"


def target_text(result: Result) -> str:
    return f">= {result.target_ratio:g}x" if result.target_ratio is not None else "-"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def summary_rows(results: list[Result]) -> list[list[str]]:
    rows = []
    for result in results:
        if result.ran:
            rows.append([result.name, seconds(median(result.ours)), seconds(median(result.peer)),
                         ratio_text(result), target_text(result), result.verdict])
        else:
            rows.append([result.name, "-", "-", "-", target_text(result), f"{result.verdict}: {why_not(result)}"])
    return rows


def why_not(result: Result) -> str:
    """One line on why a benchmark has no figures: for a crash, the exception line."""
    lines = [line for line in (result.skipped or result.error or "no samples").splitlines() if line.strip()]
    return (lines[-1] if result.error else lines[0]).strip()


def megabytes(kilobytes: int | None) -> str:
    return "-" if kilobytes is None else f"{kilobytes / 1024:.0f} MB"


def sample_row(label: str, samples: list[float], rss_kb: int | None = None, memory: bool = False) -> list[str]:
    row = [label, seconds(median(samples)), seconds(min(samples)), seconds(max(samples)), str(len(samples))]
    return row + [megabytes(rss_kb)] if memory else row


def section(result: Result) -> list[str]:
    lines = [f"## {result.name}", "", f"- **Measured:** {result.measures}", f"- **Peer:** {result.peer_measures}",
             f"- **Target:** ratio {target_text(result)}", ""]
    if result.skipped:
        return lines + [f"**SKIPPED:** {result.skipped}", ""]
    if not result.ran:
        return lines + [f"**{result.verdict}:**", "", "```", result.error or "no samples", "```", ""]
    memory = result.ours_rss_kb is not None or result.peer_rss_kb is not None
    lines += table(["tool", "median", "min", "max", "repetitions"] + (["peak RSS"] if memory else []),
                   [sample_row(result.ours_label, result.ours, result.ours_rss_kb, memory),
                    sample_row(result.peer_label, result.peer, result.peer_rss_kb, memory)])
    lines += ["", f"**Ratio** (peer median / our median): **{ratio_text(result)}**, "
                  f"target {target_text(result)}: **{result.verdict}**", ""]
    lines += [f"- {note}" for note in result.notes]
    return lines + [""]


def render(results: list[Result], machine: list, versions: list, date: str, command: str,
           smoke: bool = False) -> str:
    lines = ["# Benchmarks", "",
             f"Written by `{command}` on {date}. Do not edit by hand: run the command again.", ""]
    if smoke:
        lines += ["**Smoke run:** tiny inputs and one repetition; it checks the harness, not the speed.", ""]
    lines += ["## Summary", ""]
    lines += table(["benchmark", "ours (median)", "peer (median)", "ratio", "target", "verdict"],
                   summary_rows(results))
    lines += ["", "## Method", "", METHOD, "", "## Machine", ""]
    lines += table(["", ""], [[key, value] for key, value in [("date", date), *machine]])
    lines += ["", "## Versions", ""]
    lines += table(["package", "version"], [[key, value] for key, value in versions])
    lines += [""]
    for result in results:
        lines += section(result)
    return "\n".join(lines).rstrip() + "\n"
