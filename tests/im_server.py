"""A real IM 2.0.0 server for the tests: 127.0.0.1, a free port, sqlite in a
temporary folder, the Dummy cloud with every VM interface on 127.0.0.1
(primage_tosca/im/launcher.py). IM runs with $PRIMAGE_TOSCA_IM_PYTHON, else
.venv-im/bin/python; tests that need it are skipped when neither exists.

    from im_server import im_server  # noqa: F401  (one server per session)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from primage_tosca.im.auth import load_auth
from primage_tosca.im.local import LocalIM, LocalIMError, find_python

ROOT = Path(__file__).resolve().parent.parent


def im_python() -> str | None:
    try:
        python = find_python()
    except LocalIMError:
        return None
    return python if python and Path(python).exists() else None


needs_im = pytest.mark.skipif(im_python() is None, reason="no python with IM (make im-venv)")


class Server:
    """A started LocalIM with its URL and auth files for two users."""

    def __init__(self, directory: Path):
        self.local = LocalIM(directory, python=im_python())
        self.directory = directory
        self.url = ""

    def start(self) -> "Server":
        status = self.local.start()
        self.url = status.url or ""
        return self

    def stop(self) -> None:
        self.local.stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def auth_file(self) -> Path:
        return self.local.auth_file

    def other_user_auth(self) -> Path:
        path = self.directory / "other-auth.dat"
        path.write_text("id = im; type = InfrastructureManager; username = mallory; password = other-secret\n"
                        "id = dummy; type = Dummy\n", encoding="utf-8")
        return path

    def auth(self):
        return load_auth(self.auth_file, token_env="")


def start_server(directory: Path) -> Server:
    if im_python() is None:
        pytest.skip("no python with IM (make im-venv)")
    os.environ.pop("PRIMAGE_TOSCA_IM_URL", None)
    return Server(directory).start()


@pytest.fixture(scope="session")
def im_server(tmp_path_factory):
    """One IM for the whole session."""
    server = start_server(tmp_path_factory.mktemp("im-server"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def im_server_module(tmp_path_factory):
    """An IM of the module's own, for tests that stop or restart it."""
    server = start_server(tmp_path_factory.mktemp("im-server-module"))
    yield server
    server.stop()


@pytest.fixture
def im(im_server, monkeypatch):
    """The session's IM as the default target ($PRIMAGE_TOSCA_IM_URL and _AUTH)."""
    monkeypatch.setenv("PRIMAGE_TOSCA_IM_URL", im_server.url)
    monkeypatch.setenv("PRIMAGE_TOSCA_IM_AUTH", str(im_server.auth_file))
    return im_server
