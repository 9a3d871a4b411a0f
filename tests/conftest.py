"""Shared test setup.

Tests may talk to 127.0.0.0/8 only: a guard refuses any other connection, so
a test that would reach the network fails loudly instead of hanging or
leaking traffic."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
IMPORT_MAP = CORPUS / "type-libraries" / "import-map.json"
INDIGO_EXAMPLES = CORPUS / "indigo-tosca-types" / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

_real_connect = socket.socket.connect
_real_create_connection = socket.create_connection


def _is_loopback(address) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths
        return True
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise ConnectionRefusedError(f"tests may only connect to 127.0.0.0/8, not {address!r}")
    return _real_connect(self, address)


def _guarded_create_connection(address, *args, **kwargs):
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"tests may only connect to 127.0.0.0/8, not {address!r}")
    return _real_create_connection(address, *args, **kwargs)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket, "create_connection", _guarded_create_connection)
    yield


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Each test gets its own data dir and no stray config or import map."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("PRIMAGE_TOSCA_HOME", str(home))
    monkeypatch.delenv("PRIMAGE_TOSCA_IMPORT_MAP", raising=False)
    monkeypatch.setenv("PRIMAGE_TOSCA_CONFIG", os.devnull)
    yield home


def needs_corpus():
    return pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the checkout")
