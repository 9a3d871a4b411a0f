"""Hostile and broken inputs: each gives a located diagnostic, in bounded time
and memory, and never a traceback, both through validate() and the CLI."""

from __future__ import annotations

import codecs
import os
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from conftest import FIXTURES, ROOT
from primage_tosca.validation import validate

BAD = FIXTURES / "bad"
SECONDS = 5.0  # generous: every case takes well under a second
PEAK_BYTES = 32 * 1024 * 1024  # Python allocations while validating one case
HEADER = "tosca_definitions_version: tosca_simple_yaml_1_0\n"


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[Path], Path]  # writes (or names) the input, returns the path to validate
    rule: str
    file: str  # the base name of the file the diagnostic is located in
    line: int | None = None  # None: any line >= 1
    column: int | None = None


def fixture(name: str) -> Callable[[Path], Path]:
    return lambda _tmp: BAD / name


def written(name: str, content: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(content)
        return path

    return make


def huge_file(tmp: Path) -> Path:
    """50 MB, sparse: created instantly, and refused before a byte is read."""
    path = tmp / "huge.yaml"
    with open(path, "wb") as handle:
        handle.write(HEADER.encode())
        handle.truncate(50 * 1024 * 1024)
    return path


def alias_bomb() -> bytes:
    """Billion laughs: 9 levels, each alias 9 times the one before."""
    lines = [HEADER.rstrip("\n"), 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        aliases = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{aliases}]")
    return ("\n".join(lines) + "\n").encode()


def deep_block_mappings(depth: int) -> bytes:
    return "".join(" " * level + f"k{level}:\n" for level in range(depth)).encode()


CASES = [
    Case("empty", fixture("empty.yaml"), "PT103", "empty.yaml", 1, 1),
    Case("only-comments", fixture("comments_only.yaml"), "PT103", "comments_only.yaml", 1, 1),
    Case("not-yaml", fixture("not_yaml.yaml"), "PT100", "not_yaml.yaml", 4, 11),
    Case("a-list", fixture("a_list.yaml"), "PT101", "a_list.yaml", 1, 1),
    Case("a-scalar", fixture("a_scalar.yaml"), "PT101", "a_scalar.yaml", 1, 1),
    Case("binary", written("binary.yaml", bytes(range(256)) * 64), "PT105", "binary.yaml", 1, 1),
    Case("binary-no-nul", written("noise.yaml", bytes(range(0x80, 0x100)) * 64), "PT105", "noise.yaml", 1, 1),
    Case("50-mb", huge_file, "PT104", "huge.yaml", 1, 1),
    Case("alias-bomb", written("bomb.yaml", alias_bomb()), "PT106", "bomb.yaml"),
    Case("deep-flow-sequences", written("deep1.yaml", b"a: " + b"[" * 10_000 + b"]" * 10_000 + b"\n"),
         "PT107", "deep1.yaml", 1),
    Case("deep-block-sequences", written("deep2.yaml", b"a:\n" + b"- " * 10_000 + b"x\n"), "PT107", "deep2.yaml"),
    Case("deep-flow-mappings", written("deep3.yaml", b"a: " + b"{a: " * 10_000 + b"1" + b"}" * 10_000 + b"\n"),
         "PT107", "deep3.yaml", 1),
    Case("deep-block-mappings", written("deep4.yaml", deep_block_mappings(1_000)), "PT107", "deep4.yaml"),
    Case("non-utf8", written("latin1.yaml", HEADER.encode() + "description: café crème\n".encode("latin-1")),
         "PT105", "latin1.yaml", 2, 17),
    # the column counts characters: é is two bytes but one column
    Case("non-utf8-after-multibyte", written("mixed.yaml", HEADER.encode() + b"description: \xc3\xa9\xff\n"),
         "PT105", "mixed.yaml", 2, 15),
    Case("control-character", written("bell.yaml", HEADER.encode() + b"description: ring \x07\n"), "PT105",
         "bell.yaml", 2, 19),
    Case("tabs", fixture("tabs.yaml"), "PT100", "tabs.yaml", 3, 1),
    Case("no-version", fixture("no_version.yaml"), "PT300", "no_version.yaml", 1, 1),
    Case("unknown-version", fixture("unknown_version.yaml"), "PT301", "unknown_version.yaml", 1, 28),
    Case("import-missing", fixture("import_missing.yaml"), "PT200", "import_missing.yaml", 3, 5),
    Case("import-directory", fixture("import_directory.yaml"), "PT200", "import_directory.yaml", 3, 5),
    Case("import-itself", fixture("import_self.yaml"), "PT203", "import_self.yaml", 3, 5),
    Case("import-cycle-of-two", fixture("cycle2/a.yaml"), "PT203", "b.yaml", 3, 5),
    Case("import-cycle-of-three", fixture("cycle3/a.yaml"), "PT203", "c.yaml", 3, 5),
    Case("unknown-tags", fixture("unknown_tags.yaml"), "PT108", "unknown_tags.yaml", 5, 13),
    Case("several-documents", fixture("several_documents.yaml"), "PT108", "several_documents.yaml", 4, 1),
    Case("complex-keys", fixture("complex_keys.yaml"), "PT306", "complex_keys.yaml", 4, 7),
    Case("duplicate-keys", fixture("duplicate_keys.yaml"), "PT102", "duplicate_keys.yaml", 6, 5),
    Case("does-not-exist", lambda tmp: tmp / "nowhere.yaml", "PT109", "nowhere.yaml", 1, 1),
]


def matches(diagnostic, case: Case) -> bool:
    return (diagnostic.rule == case.rule
            and os.path.basename(diagnostic.file) == case.file
            and case.line in (None, diagnostic.line)
            and case.column in (None, diagnostic.column))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_validate_reports_a_located_diagnostic(case, tmp_path):
    path = case.make(tmp_path)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        report = validate(str(path))
    finally:
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert elapsed < SECONDS
    assert peak < PEAK_BYTES, f"peak {peak:,} bytes"
    found = [d for d in report.errors if matches(d, case)]
    assert found, [(d.rule, d.file, d.line, d.column, d.message) for d in report.diagnostics]
    for diagnostic in report.diagnostics:
        assert diagnostic.rule != "PT900", diagnostic.message
        assert diagnostic.file and diagnostic.line >= 1 and diagnostic.column >= 1
    assert report.exit_code() == 1


def test_the_huge_file_is_refused_without_being_read(tmp_path, monkeypatch):
    path = huge_file(tmp_path)
    reads = []
    real_open = open

    def watching_open(file, mode="r", *args, **kwargs):
        if os.fspath(file) == str(path):
            reads.append(mode)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", watching_open)
    report = validate(str(path))
    assert [d.rule for d in report.errors] == ["PT104"]
    assert "52,428,800 bytes" in report.errors[0].message
    assert reads == []  # its size alone refused it


def test_tabs_get_a_hint():
    [diagnostic] = validate(str(BAD / "tabs.yaml")).errors
    assert "tab" in (diagnostic.hint or "").lower()


def test_non_utf8_names_the_byte():
    content = HEADER.encode() + "description: café\n".encode("latin-1")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.yaml"
        path.write_bytes(content)
        [diagnostic] = validate(str(path)).errors
    assert "0xe9" in diagnostic.message


def test_alias_bomb_message_names_aliases(tmp_path):
    path = written("bomb.yaml", alias_bomb())(tmp_path)
    [diagnostic] = validate(str(path)).errors
    assert "alias" in diagnostic.message and diagnostic.line >= 2


UTF16_TEMPLATE = """\
tosca_definitions_version: tosca_simple_yaml_1_0
description: Größe — UTF-16 with a byte order mark
topology_template:
  node_templates:
    server:
      type: tosca.nodes.Compute
"""


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_utf16_with_bom_works(tmp_path, bom, codec):
    path = tmp_path / "utf16.yaml"
    path.write_bytes(bom + UTF16_TEMPLATE.encode(codec))
    report = validate(str(path))
    assert not [d for d in report.diagnostics if d.rule.startswith("PT1")], report.diagnostics
    assert report.errors == []


def test_utf16_positions_are_in_characters(tmp_path):
    path = tmp_path / "utf16.yaml"
    broken = UTF16_TEMPLATE.replace("type: tosca.nodes.Compute", "type: [tosca.nodes.Compute")
    path.write_bytes(codecs.BOM_UTF16_LE + broken.encode("utf-16-le"))
    [diagnostic] = validate(str(path)).errors
    assert diagnostic.rule == "PT100" and diagnostic.line >= 6


# -- the same through the command line ----------------------------------------------------

@dataclass
class Run:
    code: int
    out: str
    err: str
    max_rss_kb: int
    seconds: float


def run_cli(*args: str) -> Run:
    """Run `python -m primage_tosca validate ARGS`, measuring the child's own
    peak memory (wait4 reports it per process)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "NO_COLOR": "1"}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "primage_tosca", "validate", *args],
                                   stdout=out, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Run(process.returncode, out.read().decode("utf-8", "replace"),
                   err.read().decode("utf-8", "replace"), usage.ru_maxrss, seconds)


needs_cli = pytest.mark.skipif(
    not (ROOT / "primage_tosca" / "cli.py").is_file() or not hasattr(os, "wait4"),
    reason="no CLI yet, or no wait4 on this platform")


@pytest.fixture(scope="module")
def baseline_rss() -> int:
    """The CLI's peak memory on a tiny file: imports and interpreter."""
    return run_cli(str(BAD / "empty.yaml")).max_rss_kb


@needs_cli
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_cli_reports_a_located_diagnostic(case, tmp_path, baseline_rss):
    path = case.make(tmp_path)
    run = run_cli(str(path))
    both = run.out + run.err
    assert "Traceback" not in both
    assert run.code == 1, both
    assert run.seconds < SECONDS + 5  # interpreter start-up on a slow machine
    assert run.max_rss_kb < baseline_rss + 25 * 1024, f"{run.max_rss_kb} KiB vs {baseline_rss} KiB"
    line = str(case.line) if case.line else r"\d+"
    column = str(case.column) if case.column else r"\d+"
    place = rf"{re.escape(case.file)}:{line}:{column}: error {case.rule}\b"
    assert re.search(place, run.out), run.out
    # every diagnostic line carries file:line:col
    for text in run.out.splitlines():
        if re.search(r"\b(error|warning|info) PT\d{3}\b", text):
            assert re.match(r"^\S.*:\d+:\d+: (error|warning|info) PT\d{3} ", text), text


@needs_cli
def test_cli_accepts_utf16(tmp_path):
    path = tmp_path / "utf16.yaml"
    path.write_bytes(codecs.BOM_UTF16_LE + UTF16_TEMPLATE.encode("utf-16-le"))
    run = run_cli(str(path))
    assert "Traceback" not in run.out + run.err
    assert run.code == 0, run.out


@needs_cli
def test_cli_checks_many_bad_files_in_one_run(tmp_path):
    paths = [str(case.make(tmp_path)) for case in CASES if case.id != "does-not-exist"]
    run = run_cli(*paths)
    assert "Traceback" not in run.out + run.err
    assert run.code == 1
    for case in CASES:
        if case.id != "does-not-exist":
            assert re.search(rf"{re.escape(case.file)}:\d+:\d+: error {case.rule}\b", run.out), case.id
