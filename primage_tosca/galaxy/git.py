"""Roles from git: ``git+https://host/org/repo[,ref]``.

The repository is cloned (bare) into a scratch folder inside the cache, the
ref is resolved to a commit, and ``git archive`` of that commit is re-packed
into a normalised tar.gz (see :func:`archive.normalized_tar_gz`) whose sha256
the lock records. git runs with no user or system configuration, no
terminal prompts, and only the http(s) transports.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from .archive import ArchiveLimits, normalized_tar_gz
from .client import HttpSettings, check_url
from .errors import ArchiveError, GalaxyError, NotFound, Timeout, VersionNotFound

_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def git_environment(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update({
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "true",
        "GIT_ALLOW_PROTOCOL": "https:http",
    })
    return env


def _run(arguments: list[str], scratch: Path, timeout: float, label: str, capture_bytes: bool = False):
    git = shutil.which("git")
    if git is None:
        raise GalaxyError(f"{label}: git is not installed, and this role comes from a git repository")
    try:
        done = subprocess.run([git, *arguments], cwd=scratch, env=git_environment(scratch), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise Timeout(f"{label}: git {arguments[0]} took longer than {timeout:g} s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return done.returncode, None, message[-1] if message else f"exit status {done.returncode}"
    return 0, done.stdout if capture_bytes else done.stdout.decode("utf-8", "replace"), ""


def clone_and_archive(clone_url: str, ref: str | None, name: str, scratch: Path, settings: HttpSettings,
                      limits: ArchiveLimits, label: str) -> tuple[str, bytes]:
    """(commit, normalised tar.gz bytes) of ``ref`` (the default branch when None)."""
    check_url(clone_url, settings)
    timeout = max(settings.read_timeout * 4, 60.0)
    repository = scratch / "repo.git"
    code, _, message = _run(["clone", "--quiet", "--bare", "--", clone_url, str(repository)], scratch, timeout, label)
    if code:
        if "not found" in message.lower() or "does not exist" in message.lower() or "404" in message:
            raise NotFound(f"{label}: the repository {clone_url} was not found ({message})", url=clone_url)
        raise GalaxyError(f"{label}: cloning {clone_url} failed ({message})", url=clone_url)
    wanted = ref or "HEAD"
    code, output, message = _run(["-C", str(repository), "rev-parse", "--verify", "--quiet", "--end-of-options",
                                  f"{wanted}^{{commit}}"], scratch, 60, label)
    if code or not output or not _COMMIT.match(output.strip()):
        raise VersionNotFound(f"{label}: {wanted!r} is neither a branch, a tag nor a commit of {clone_url}",
                              url=clone_url)
    commit = output.strip()
    code, tar_bytes, message = _run(["-C", str(repository), "archive", "--format=tar", commit], scratch, timeout,
                                    label, capture_bytes=True)
    if code:
        raise GalaxyError(f"{label}: git archive of {commit} failed ({message})", url=clone_url)
    if len(tar_bytes) > limits.max_unpacked:
        raise ArchiveError(f"{label}: the repository at {commit} is larger than {limits.max_unpacked:,} bytes")
    return commit, normalized_tar_gz(tar_bytes, name, label, limits)
