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
from pathlib import Path

import requests

from .. import processes
from ..config import data_dir, private_dir, private_file, write_private
from ..records import record
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


def port_taken(port: int) -> bool:
    """True when something already listens on ``HOST:port``."""
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


@record
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
        self.config_file = self.directory / "im.cfg"
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

    def _ours(self, state: dict) -> bool:
        """Whether the pid in ``state`` is this server's: alive, started when
        it was recorded, running our launcher on our config. A pid reused by
        an unrelated process is never taken for ours."""
        pid = state.get("pid")
        if not isinstance(pid, int) or pid <= 0 or not processes.alive(pid):
            return False
        if state.get("started") and processes.start_time(pid) not in (None, state["started"]):
            return False
        command = processes.command_line(pid)
        return command is None or (str(LAUNCHER) in command and str(self.config_file) in command)

    def status(self) -> Status:
        state = self._state()
        pid = state.get("pid")
        running = self._ours(state)
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
        private_dir(self.directory)
        config = self.config_file
        data = self.directory / "inf.dat"
        for path in (data, self.log_file, self.directory / "server.out"):  # private before IM opens them
            private_file(path)
        write_private(config, "\n".join([
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
        ]))
        if not self.auth_file.exists():
            write_private(self.auth_file,
                          "# the local IM's user (any name and password are accepted) and its Dummy cloud\n"
                          f"id = im; type = InfrastructureManager; username = local; "
                          f"password = {secrets.token_urlsafe(18)}\nid = dummy; type = Dummy\n")
        private_file(self.auth_file)
        return config

    def start(self, port: int | None = None, *, timeout: float = 60.0) -> Status:
        current = self.status()
        if current.running:
            return current
        if port and port_taken(port):
            raise LocalIMError(f"port {port} on {HOST} is in use by another program: choose another --port, or "
                               "leave it out for a free one")
        remembered = self._state().get("port")
        port = port or (remembered if remembered and not port_taken(remembered) else free_port())
        python = find_python(self.python)
        config = self.write_config(port)
        url = f"http://{HOST}:{port}"
        output = open(self.directory / "server.out", "ab")
        try:  # umask: the files IM makes (its database, its log) are the owner's only
            process = subprocess.Popen([python, str(LAUNCHER), str(config)], stdout=output, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, cwd=self.directory, start_new_session=True,
                                       umask=0o077)
        finally:
            output.close()
        write_private(self.state_file, json.dumps({"pid": process.pid, "port": port, "url": url, "python": python,
                                                   "started": processes.start_time(process.pid)}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = (self.directory / "server.out").read_text(errors="replace")[-1500:]
                raise LocalIMError(f"the local IM exited with code {process.returncode}:\n{tail}")
            if self._answers(url, timeout=0.5):
                time.sleep(0.2)  # what answered must be ours: a server that lost the port has exited by now
                if process.poll() is None:
                    return self.status()
                continue
            time.sleep(0.1)
        self.stop()
        raise LocalIMError(f"the local IM did not answer on {url} within {timeout:.0f} s")

    def stop(self, timeout: float = 15.0) -> bool:
        """Stop the server; False when none was running."""
        state = self._state()
        pid = state.get("pid")
        if not self._ours(state):  # a stale pid file: that pid is someone else's now
            if pid:
                write_private(self.state_file, json.dumps({"port": state.get("port")}))
            return False
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(int(pid), sig)  # its own session: the server and any worker it forked
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and processes.alive(int(pid)):
                try:
                    os.waitpid(int(pid), os.WNOHANG)
                except ChildProcessError:
                    pass
                time.sleep(0.05)
            if not processes.alive(int(pid)):
                break
        write_private(self.state_file, json.dumps({"port": state.get("port")}))
        return True


__all__ = ["ENV_IM_PYTHON", "LocalIM", "LocalIMError", "Status", "find_python", "free_port", "port_taken"]
