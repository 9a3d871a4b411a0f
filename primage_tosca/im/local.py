"""A local IM server for when no IM is configured: 127.0.0.1 only, the Dummy
cloud (every VM interface 127.0.0.1), its data under the data directory.

IM (GPL-3.0) is an optional extra: it runs as a separate program, with the
python named by ``PRIMAGE_TOSCA_IM_PYTHON``, else ``.venv-im/bin/python``
beside the checkout, else this python when it can import IM.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from ..config import data_dir
from .auth import Auth, load_auth

ENV_IM_PYTHON = "PRIMAGE_TOSCA_IM_PYTHON"
LAUNCHER = Path(__file__).with_name("launcher.py")
HOST = "127.0.0.1"


class LocalIMError(Exception):
    """The local IM cannot start, or is not installed."""


def find_python(explicit: str | None = None) -> str:
    candidates = [explicit, os.environ.get(ENV_IM_PYTHON)]
    checkout_venv = Path(__file__).resolve().parents[2] / ".venv-im" / "bin" / "python"
    candidates.append(str(checkout_venv) if checkout_venv.exists() else None)
    for candidate in candidates:
        if candidate:
            if not Path(candidate).exists():
                raise LocalIMError(f"IM python {candidate} does not exist")
            return candidate
    if importlib.util.find_spec("IM") is not None:
        return sys.executable
    raise LocalIMError("IM is not installed: install the `im` extra (pip install 'primage_tosca[im]'), or set "
                       f"{ENV_IM_PYTHON} to a python that can import IM (make im-venv)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours is not alive
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@dataclass
class Status:
    running: bool
    url: str | None = None
    pid: int | None = None
    directory: str = ""
    answering: bool = False


class LocalIM:
    """One IM server whose files (config, sqlite data, log, pid) live in ``directory``."""

    def __init__(self, directory: str | os.PathLike | None = None, *, python: str | None = None):
        self.directory = Path(directory) if directory else data_dir() / "local-im"
        self.python = python
        self.state_file = self.directory / "server.json"
        self.auth_file = self.directory / "auth.dat"
        self.log_file = self.directory / "im.log"

    # -- state ----------------------------------------------------------------------

    def _state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    @property
    def url(self) -> str | None:
        return self._state().get("url")

    def status(self) -> Status:
        state = self._state()
        pid = state.get("pid")
        running = bool(pid) and _alive(int(pid))
        answering = running and self._answers(state["url"], timeout=2.0)
        return Status(running, state.get("url") if running else None, pid if running else None,
                      str(self.directory), answering)

    @staticmethod
    def _answers(url: str, timeout: float = 1.0) -> bool:
        try:
            return requests.get(f"{url}/version", timeout=timeout).status_code == 200
        except requests.RequestException:
            return False

    def auth(self) -> Auth:
        """The credentials of the local IM: a per-server user and the Dummy cloud."""
        return load_auth(self.auth_file, token_env="")

    # -- start / stop ---------------------------------------------------------------

    def write_config(self, port: int) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "im.cfg"
        data = self.directory / "inf.dat"
        config.write_text("\n".join([
            "[im]",
            f"REST_ADDRESS = {HOST}",
            f"REST_PORT = {port}",
            f"DATA_DB = sqlite://{data.resolve()}",
            "USER_DB =",
            f"LOG_FILE = {self.log_file.resolve()}",
            "LOG_LEVEL = WARNING",
            "VM_INFO_UPDATE_FREQUENCY = 2",
            "CONFMAMAGER_CHECK_STATE_INTERVAL = 1",
            "WAIT_PUBLIC_IP_TIMEOUT = 5",
            "WAIT_SSH_ACCCESS_TIMEOUT = 5",
            "MAX_CONTEXTUALIZATION_TIME = 60",
            "",
        ]), encoding="utf-8")
        if not self.auth_file.exists():
            self.auth_file.touch(mode=0o600)
            self.auth_file.write_text(
                "# the local IM's user (any name and password are accepted) and its Dummy cloud\n"
                f"id = im; type = InfrastructureManager; username = local; password = {secrets.token_urlsafe(18)}\n"
                "id = dummy; type = Dummy\n", encoding="utf-8")
        return config

    def start(self, port: int | None = None, *, timeout: float = 60.0) -> Status:
        current = self.status()
        if current.running:
            return current
        port = port or self._state().get("port") or free_port()
        python = find_python(self.python)
        config = self.write_config(port)
        url = f"http://{HOST}:{port}"
        output = open(self.directory / "server.out", "ab")
        try:
            process = subprocess.Popen([python, str(LAUNCHER), str(config)], stdout=output, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, cwd=self.directory, start_new_session=True)
        finally:
            output.close()
        self.state_file.write_text(json.dumps({"pid": process.pid, "port": port, "url": url, "python": python}),
                                   encoding="utf-8")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = (self.directory / "server.out").read_text(errors="replace")[-1500:]
                raise LocalIMError(f"the local IM exited with code {process.returncode}:\n{tail}")
            if self._answers(url, timeout=0.5):
                return self.status()
            time.sleep(0.1)
        self.stop()
        raise LocalIMError(f"the local IM did not answer on {url} within {timeout:.0f} s")

    def stop(self, timeout: float = 15.0) -> bool:
        """Stop the server; False when none was running."""
        state = self._state()
        pid = state.get("pid")
        if not pid or not _alive(int(pid)):
            return False
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(int(pid), sig)  # its own session: the server and any worker it forked
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and _alive(int(pid)):
                try:
                    os.waitpid(int(pid), os.WNOHANG)
                except ChildProcessError:
                    pass
                time.sleep(0.05)
            if not _alive(int(pid)):
                break
        self.state_file.write_text(json.dumps({"port": state.get("port")}), encoding="utf-8")
        return True


__all__ = ["ENV_IM_PYTHON", "LocalIM", "LocalIMError", "Status", "find_python", "free_port"]
