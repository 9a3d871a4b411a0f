"""The benchmark harness runs end to end on tiny inputs.

Speed is not asserted here: targets live in the benchmarks themselves
(``python -m benchmarks.run``, results in BENCHMARKS.md)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from conftest import CORPUS, ROOT

NUMBER = r"\d+(\.\d+)? (ms|s)"


def run_harness(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=300)


def section(text: str, name: str) -> str:
    """One benchmark's section of the report."""
    found = re.search(rf"^## {re.escape(name)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert found, f"no section {name} in:\n{text}"
    return found.group(1)


def row(text: str, label: str) -> str:
    """The table row of one tool in the benchmark's section."""
    found = [line for line in text.splitlines() if line.startswith(f"| {label} |")]
    assert found, f"no row for {label} in:\n{text}"
    return found[0]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the checkout")
def test_smoke_run_writes_both_tools_numbers(tmp_path):
    output = tmp_path / "bench.md"
    done = run_harness("-m", "benchmarks.run", "--smoke", "--output", str(output))
    assert done.returncode == 0, done.stdout + done.stderr
    text = output.read_text(encoding="utf-8")
    assert "Smoke run" in text and "| ERROR" not in text, text
    validate_indigo = section(text, "validate-indigo")
    for label in ("primage_tosca validate", "tosca-parser ToscaTemplate"):  # whole processes, with their memory
        assert re.search(rf"\| {NUMBER} \| {NUMBER} \| {NUMBER} \| 1 \| \d+ MB \|", row(validate_indigo, label))
    assert re.search(r"\*\*Ratio\*\* .*\*\*\d+\.\d+x\*\*", validate_indigo)
    assert "Ours found no problem in the file" in section(text, "validate-small")
    scaling = section(text, "compile-scaling")
    assert re.search(r"Scaling: .*\*\*\d+\.\d+x\*\*, target <= 11x", scaling)
    assert re.search(r"Peak memory .*\*\*\d+ MB\*\*, target <= 400 MB", scaling)
    assert "Each compile wrote 20 systems and 20 configures" in scaling
    for heading in ("## Machine", "## Versions", "| tosca-parser |", "| PyYAML |", "| CPU |"):
        assert heading in text


def test_script_form_lists_the_benchmarks():
    done = run_harness("benchmarks/run.py", "--list")
    assert done.returncode == 0, done.stderr
    assert "validate-indigo" in done.stdout.split()


def test_unknown_benchmark_is_refused():
    done = run_harness("-m", "benchmarks.run", "--smoke", "--only", "no-such-benchmark")
    assert done.returncode != 0
    assert "validate-indigo" in done.stderr


def test_only_a_full_run_writes_benchmarks_md(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import run
    from benchmarks.paths import BENCHMARKS_MD

    assert run.output_path(run.parse_arguments([])) == BENCHMARKS_MD
    for arguments in (["--smoke"], ["--only", "validate-indigo"]):
        chosen = run.output_path(run.parse_arguments(arguments))
        chosen.unlink()  # a fresh temp file
        assert chosen != BENCHMARKS_MD


def test_skipped_and_crashed_benchmarks_are_reported(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import report
    from benchmarks.record import Result

    results = [Result.skip("needs-peer", "im_client is not installed", target_ratio=1.0),
               Result("broken", error="Traceback ...\nValueError: boom")]
    text = report.render(results, [("CPU", "test")], [("PyYAML", "6")], "today", "python -m benchmarks.run")
    assert "| needs-peer | - | - | - | >= 1x | SKIPPED: im_client is not installed |" in text
    assert "| broken | - | - | - | - | ERROR: ValueError: boom |" in text


def test_a_whole_process_is_timed_with_its_own_peak_memory(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import isolate

    script = ("import json, sys, time; block = bytearray(120 * 1024 * 1024); time.sleep(0.2); "
              f"print({isolate.RESULT_MARK!r} + json.dumps({{'size': len(block)}})); sys.exit(3)")
    sample = isolate.run_process(isolate.python_command(script, {}))
    assert sample.returncode == 3 and sample.report == {"size": 120 * 1024 * 1024}
    assert sample.seconds >= 0.2  # spawn to exit, the sleep included
    assert 120 * 1024 <= sample.max_rss_kb < 400 * 1024  # the child's high-water mark, not the harness's
    with pytest.raises(isolate.WorkerError, match="exited 3"):
        sample.require("the test script")


def test_our_side_runs_from_bytecode_as_an_installed_package_does(monkeypatch):
    import importlib.util

    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import isolate

    source = ROOT / "primage_tosca" / "cli.py"
    cached = importlib.util.cache_from_source(str(source))
    isolate.compile_bytecode()
    assert os.path.getmtime(cached) >= os.path.getmtime(source)
