"""Which process is which. A pid alone is not an identity: once a process
ends, the system may give its pid to an unrelated one. A process is named
here by host, pid and start time, so a stale pid file or a record left by a
dead process is never mistaken for a live one of ours."""

from __future__ import annotations

import os
import socket
import subprocess


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def start_time(pid: int) -> str | None:
    """When ``pid`` started, in the kernel's clock ticks since boot (Linux); None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(")")[-1].split()[19]
    except (OSError, IndexError):
        return None


def command_line(pid: int) -> str | None:
    """The command ``pid`` runs, its arguments joined by spaces; None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        pass
    try:  # no /proc (macOS, the BSDs)
        done = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def identity(pid: int | None = None) -> str:
    """``host:pid:start`` of ``pid`` (default: this process)."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{start_time(pid) or ''}"


def same_process(ident: str | None) -> bool | None:
    """Whether the process ``ident`` names still runs: None when it ran on another host (unknowable here)."""
    parts = (ident or "").split(":")
    if len(parts) < 3:
        return None
    host, pid_text, started = ":".join(parts[:-2]), parts[-2], parts[-1]
    if host != socket.gethostname():
        return None
    if not pid_text.isdigit() or not alive(int(pid_text)):
        return False
    return not started or start_time(int(pid_text)) in (None, started)


__all__ = ["alive", "command_line", "identity", "same_process", "start_time"]
