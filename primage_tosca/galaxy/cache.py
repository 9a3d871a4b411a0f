"""The recipe cache: archives by sha256 under the data directory.

``<data dir>/recipes/archives/ab/abcdef....tar.gz``: content-addressed, so
one archive shared by two locks is stored once and a file's name says what
its bytes must hash to. Downloads land in ``<cache>/tmp`` and are renamed
into place only once checked; nothing is ever written outside the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from ..config import data_dir, private_dir
from .errors import ChecksumMismatch, LockError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def default_cache_root() -> Path:
    return data_dir() / "recipes"


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class RecipeCache:
    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root else default_cache_root()

    @property
    def archives(self) -> Path:
        return self.root / "archives"

    def path_for(self, sha256: str) -> Path:
        if not _SHA256.match(sha256 or ""):
            raise LockError(f"{sha256!r} is not a sha256 (64 lower-case hexadecimal digits)")
        return self.archives / sha256[:2] / f"{sha256}.tar.gz"

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def check(self, sha256: str) -> str | None:
        """None when the cached archive is there and hashes right; else why not."""
        path = self.path_for(sha256)
        if not path.is_file():
            return "missing"
        actual = file_sha256(path)
        return None if actual == sha256 else f"corrupt (its sha256 is {actual})"

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path]:
        """A private temporary folder inside the cache, removed afterwards."""
        base = private_dir(self.root / "tmp")  # the data directory is the owner's only
        folder = Path(tempfile.mkdtemp(prefix="work-", dir=base))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def store(self, source: Path, sha256: str, label: str) -> Path:
        """Move a checked file from a scratch folder into the cache."""
        actual = file_sha256(source)
        if actual != sha256:
            raise ChecksumMismatch(f"{label}: the archive's sha256 is {actual}, not {sha256}")
        target = self.path_for(sha256)
        private_dir(target.parent)
        os.replace(source, target)
        return target

    def store_bytes(self, content: bytes, label: str) -> tuple[Path, str]:
        sha256 = hashlib.sha256(content).hexdigest()
        target = self.path_for(sha256)
        if not target.is_file():
            with self.scratch() as folder:
                temporary = folder / "archive.tar.gz"
                temporary.write_bytes(content)
                self.store(temporary, sha256, label)
        return target, sha256

    def remove(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_for(sha256).unlink()
