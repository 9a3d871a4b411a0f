"""What the numbers were measured on: the machine and the software versions."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from importlib import metadata

from .paths import ROOT


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def field_of(text: str, name: str) -> str | None:
    """The value of the first ``name : value`` line, as in /proc files."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None


def cpu_model() -> str:
    return field_of(read_text("/proc/cpuinfo"), "model name") or platform.processor() or "unknown"


def cores() -> str:
    total = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else total
    return f"{usable} usable of {total}" if usable != total else str(total)


def memory() -> str:
    found = field_of(read_text("/proc/meminfo"), "MemTotal")  # "16318412 kB"
    if not found:
        return "unknown"
    kilobytes = int(found.split()[0])
    return f"{kilobytes / 1024 / 1024:.1f} GiB"


def operating_system() -> str:
    pretty = field_of(read_text("/etc/os-release").replace("=", ":"), "PRETTY_NAME")
    kernel = f"{platform.system()} {platform.release()}"
    return f"{pretty.strip(chr(34))}, {kernel}" if pretty else kernel


def load_average() -> str:
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg()) + " (1 / 5 / 15 min)"
    except OSError:
        return "unknown"


def machine() -> list[tuple[str, str]]:
    return [
        ("CPU", cpu_model()),
        ("cores", cores()),
        ("memory", memory()),
        ("OS", operating_system()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("load average at start", load_average()),
    ]


def version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_revision() -> str | None:
    """The checkout's commit, marked when the work tree has changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + (" with uncommitted changes" if dirty.stdout.strip() else "")


def pyyaml_version() -> str:
    try:
        import yaml
    except ImportError:
        return "not installed"
    return f"{yaml.__version__} ({'with' if yaml.__with_libyaml__ else 'without'} libyaml)"


def our_version() -> str:
    """The installed distribution's version, else the one written in the
    package (a checkout that was never pip-installed). Read, not imported, so
    a broken package still gets its benchmarks reported."""
    found = version_of("primage_tosca")
    if found != "not installed":
        return found
    text = read_text(str(ROOT / "primage_tosca" / "__init__.py"))
    match = re.search(r"^__version__\s*=\s*[\"']([^\"']+)", text, re.MULTILINE)
    return match.group(1) if match else "unknown"


def versions() -> list[tuple[str, str]]:
    ours = our_version()
    revision = git_revision()
    return [
        ("primage_tosca", f"{ours} (git {revision})" if revision else ours),
        ("tosca-parser", version_of("tosca-parser")),
        ("PyYAML", pyyaml_version()),
    ]
