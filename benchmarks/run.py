"""Run every benchmark beside its peer and write BENCHMARKS.md.

    python -m benchmarks.run                 # all benchmarks, rewrites BENCHMARKS.md
    python -m benchmarks.run --smoke         # tiny inputs, 1 repetition, writes a temp file
    python -m benchmarks.run --only NAME     # one benchmark (repeatable), writes a temp file
    python -m benchmarks.run --repeat 9 --output results.md

BENCHMARKS.md is rewritten only by a full run (no --smoke, no --only), so it
always holds every benchmark measured in one run; other runs write to
--output, or to a temp file whose name is printed.

Exit status: 0 when every benchmark ran (whatever the verdicts), 1 with
--strict when one FAILed, 2 when one crashed or the arguments were wrong.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/run.py`: import the package from the root
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))

from benchmarks import isolate, machine, registry, report  # noqa: E402
from benchmarks.paths import BENCHMARKS_MD  # noqa: E402
from benchmarks.record import Config, Result  # noqa: E402

DEFAULT_REPEAT = 5


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny inputs and 1 repetition: checks the harness, judges nothing")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this benchmark (repeatable)")
    parser.add_argument("--repeat", type=int, metavar="N",
                        help=f"repetitions of each side (default {DEFAULT_REPEAT}, 1 with --smoke)")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write the report here")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a benchmark misses its target")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    arguments = parser.parse_args(argv)
    if arguments.repeat is not None and arguments.repeat < 1:
        parser.error("--repeat must be at least 1")
    return arguments


def choose(available: dict, only: list[str] | None) -> dict:
    if not only:
        return available
    unknown = [name for name in only if name not in available]
    if unknown:
        raise SystemExit(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(available)}")
    return {name: module for name, module in available.items() if name in only}


def run_one(name: str, module, config: Config) -> Result:
    """A crash becomes an ERROR result, so one broken benchmark does not hide the others."""
    started = time.perf_counter()
    print(f"running {name} ...", file=sys.stderr, flush=True)
    try:
        result = module.run(config)
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        result = Result(name, getattr(module, "MEASURES", ""), getattr(module, "PEER", ""),
                        target_ratio=getattr(module, "TARGET_RATIO", None), error=detail)
        traceback.print_exc()
    print(f"  {result.verdict} ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)
    return result


def output_path(arguments: argparse.Namespace) -> Path:
    if arguments.output:
        return arguments.output
    if arguments.smoke or arguments.only:
        handle = tempfile.NamedTemporaryFile("w", prefix="benchmarks-", suffix=".md", delete=False)
        handle.close()
        return Path(handle.name)
    return BENCHMARKS_MD


def command_line(arguments: argparse.Namespace) -> str:
    words = ["python -m benchmarks.run"]
    words += ["--smoke"] if arguments.smoke else []
    words += [f"--only {name}" for name in arguments.only or []]
    words += [f"--repeat {arguments.repeat}"] if arguments.repeat else []
    return " ".join(words)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    available = registry.load_all()
    if arguments.list:
        print("\n".join(available))
        return 0
    chosen = choose(available, arguments.only)
    repeat = arguments.repeat or (1 if arguments.smoke else DEFAULT_REPEAT)
    config = Config(smoke=arguments.smoke, repeat=repeat)
    date = time.strftime("%Y-%m-%d %H:%M %Z")
    host, versions = machine.machine(), machine.versions()  # load average before we add to it
    isolate.compile_bytecode()
    results = [run_one(name, module, config) for name, module in chosen.items()]
    host.append(("load average at end", machine.load_average()))  # other work on a shared machine shows here
    text = report.render(results, host, versions, date, command_line(arguments), smoke=arguments.smoke)
    target = output_path(arguments)
    target.write_text(text, encoding="utf-8")
    print("\n".join(report.table(["benchmark", "ours", "peer", "ratio", "target", "verdict"],
                                 report.summary_rows(results))))
    print(f"\nwrote {target}")
    if any(result.error for result in results):
        return 2
    return 1 if arguments.strict and any(result.verdict == "FAIL" for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
