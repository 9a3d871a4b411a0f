"""The INDIGO examples: with the corpus import map every one loads without
the network and without an internal error; without it, every URL import is a
PT201 that names the URL, never a hang or a traceback."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import yaml

from conftest import IMPORT_MAP, INDIGO_EXAMPLES, needs_corpus
from primage_tosca.api import load_options
from primage_tosca.source.document import ParseCache
from primage_tosca.imports.policy import is_url
from primage_tosca.validation import validate

pytestmark = [needs_corpus(), pytest.mark.corpus]

IMPORT_PROBLEMS = {"PT200", "PT201", "PT202", "PT204", "PT205"}
SHARED_CACHE = ParseCache()  # custom_types.yaml is parsed once for the whole module


def examples() -> list[Path]:
    if not INDIGO_EXAMPLES.is_dir():
        return []
    return sorted(p for p in INDIGO_EXAMPLES.iterdir() if p.suffix in (".yaml", ".yml"))


def url_imports(path: Path) -> list[str]:
    """The URLs the example imports, read independently of our loader."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = []
    for item in data.get("imports") or []:
        values = [item] if isinstance(item, str) else list(item.values()) if isinstance(item, dict) else []
        for value in values:
            file = value.get("file") if isinstance(value, dict) else value
            if isinstance(file, str) and is_url(file):
                found.append(file)
    return found


@pytest.fixture
def no_sockets(monkeypatch):
    """Record any attempt to open a connection: offline means none at all."""
    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise ConnectionRefusedError("offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_there_are_examples():
    assert len(examples()) >= 60


@pytest.mark.parametrize("path", examples(), ids=lambda p: p.name)
def test_example_loads_offline_with_the_import_map(path, no_sockets):
    options = load_options(import_map=str(IMPORT_MAP), use_config=False, parse_cache=SHARED_CACHE)
    started = time.perf_counter()
    report = validate(str(path), options)
    assert time.perf_counter() - started < 10
    assert no_sockets == []
    bad = [d for d in report.diagnostics if d.rule == "PT900" or d.rule in IMPORT_PROBLEMS]
    assert bad == [], [(d.rule, d.message) for d in bad]
    # everything it imports was found, so no type check was skipped
    assert not [d for d in report.diagnostics if d.rule == "PT302"]
    for diagnostic in report.diagnostics:
        assert diagnostic.line >= 1 and diagnostic.column >= 1


@pytest.mark.parametrize("path", examples(), ids=lambda p: p.name)
def test_example_without_the_import_map_names_each_url(path, no_sockets):
    options = load_options(use_config=False, parse_cache=SHARED_CACHE)
    started = time.perf_counter()
    report = validate(str(path), options)
    assert time.perf_counter() - started < 10
    assert no_sockets == []
    assert not [d for d in report.diagnostics if d.rule == "PT900"]
    offline = [d for d in report.diagnostics if d.rule == "PT201"]
    urls = url_imports(path)
    assert urls, "every indigo example imports its types by URL"
    for url in urls:
        [diagnostic] = [d for d in offline if url in d.message]
        assert diagnostic.file == str(path) and diagnostic.line > 1
        assert "--import-map" in diagnostic.hint and "types pull" in diagnostic.hint
    assert report.exit_code() == 1
