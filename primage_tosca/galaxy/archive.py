"""Role and collection archives: checked before they are trusted, read
without extracting, extracted without ever leaving the destination.

An archive is refused when a member's path is absolute or has a ``..``
part, when a symbolic or hard link points outside the archive (or a path
runs through a link), when it holds devices or FIFOs, or when it is larger
than the limits (compressed bytes, unpacked bytes, number of members).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import posixpath
import stat
import tarfile
import tempfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from ..records import field, record
from ..source.document import Document, document_from_text
from ..source.reader import Limits
from .errors import ArchiveError

META_NAMES = ("meta/main.yml", "meta/main.yaml")
META_REQUIREMENTS = ("meta/requirements.yml", "meta/requirements.yaml")
MAX_META_BYTES = 1_000_000


@record(frozen=True)
class ArchiveLimits:
    max_bytes: int = 50 * 1024 * 1024  # the archive as downloaded
    max_unpacked: int = 512 * 1024 * 1024  # the sum of its members' sizes
    max_members: int = 20_000


DEFAULT_LIMITS = ArchiveLimits()


@record
class ArchiveInfo:
    """What checking an archive found."""

    root: str  # the folder the role or collection sits in ("" at the top)
    members: int
    unpacked: int
    meta: Document | None = None  # a role's meta/main.yml
    requirements: Document | None = None  # a role's meta/requirements.yml
    manifest: dict | None = None  # a collection's MANIFEST.json
    names: list[str] = field(default_factory=list)


def _clean_name(name: str, label: str) -> str:
    if "\\" in name or "\x00" in name:
        raise ArchiveError(f"{label}: member {name!r} has a backslash or NUL in its path")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"{label}: member {name!r} has an absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(f"{label}: member {name!r} has a '..' part that leaves the archive")
    return "/".join(parts)


def _check_link(member: tarfile.TarInfo, clean: str, names: set[str], label: str) -> None:
    target = member.linkname
    if not target or target.startswith("/") or "\\" in target:
        raise ArchiveError(f"{label}: link {member.name!r} points to {target!r}, outside the archive")
    if member.issym():
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(clean), target))
    else:  # hard links name another member of the archive
        resolved = posixpath.normpath(target)
    if resolved == ".." or resolved.startswith("../") or resolved.startswith("/"):
        raise ArchiveError(f"{label}: link {member.name!r} points to {target!r}, outside the archive")
    if member.islnk() and _clean_name(target, label) not in names:
        raise ArchiveError(f"{label}: hard link {member.name!r} points to {target!r}, which is not an earlier file")


def open_tar(source: str | os.PathLike | bytes, label: str) -> tarfile.TarFile:
    try:
        if isinstance(source, (bytes, bytearray)):
            return tarfile.open(fileobj=io.BytesIO(source), mode="r:*")
        return tarfile.open(os.fspath(source), mode="r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"{label}: not a readable tar archive ({exc})") from None


def check_members(tar: tarfile.TarFile, limits: ArchiveLimits, label: str) -> list[tuple[tarfile.TarInfo, str]]:
    """Every member with its cleaned path; raises ArchiveError on the first
    unsafe one. Reads the whole stream, so a truncated archive fails here."""
    checked: list[tuple[tarfile.TarInfo, str]] = []
    seen: set[str] = set()
    links: set[str] = set()
    unpacked = 0
    try:
        for member in tar:
            if len(checked) >= limits.max_members:
                raise ArchiveError(f"{label}: more than {limits.max_members:,} members")
            clean = _clean_name(member.name, label)
            if member.isreg():
                unpacked += member.size
                if unpacked > limits.max_unpacked:
                    raise ArchiveError(f"{label}: unpacks to more than {limits.max_unpacked:,} bytes "
                                       "(the size cap); raise --max-archive-size if it is genuine")
            elif member.issym() or member.islnk():
                _check_link(member, clean, seen, label)
                if member.issym():
                    links.add(clean)
            elif not member.isdir():
                raise ArchiveError(f"{label}: member {member.name!r} is a device, FIFO or other special file")
            seen.add(clean)
            checked.append((member, clean))
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"{label}: the archive is corrupt or truncated ({exc})") from None
    for _, clean in checked:  # a path may not run through a link ("link/file" where link -> elsewhere)
        parts = clean.split("/")
        for depth in range(1, len(parts)):
            if "/".join(parts[:depth]) in links:
                raise ArchiveError(f"{label}: member {clean!r} runs through the link {'/'.join(parts[:depth])!r}")
    return checked


def _find_root(names: list[str], candidates: tuple[str, ...]) -> tuple[str, str] | None:
    """The shallowest member named ``<root>/<candidate>``; (root, member)."""
    best: tuple[int, str, str] | None = None
    for name in names:
        for candidate in candidates:
            if name == candidate or name.endswith("/" + candidate):
                root = name[: -len(candidate)].rstrip("/")
                depth = root.count("/") + 1 if root else 0
                if depth <= 1 and (best is None or depth < best[0]):
                    best = (depth, root, name)
    return (best[1], best[2]) if best else None


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, label: str, limit: int = MAX_META_BYTES) -> bytes:
    if member.size > limit:
        raise ArchiveError(f"{label}: {member.name} is larger than {limit:,} bytes")
    handle = tar.extractfile(member)
    if handle is None:
        raise ArchiveError(f"{label}: {member.name} is not a regular file")
    return handle.read(limit + 1)


def inspect_archive(source: str | os.PathLike | bytes, kind: str, label: str,
                    limits: ArchiveLimits = DEFAULT_LIMITS) -> ArchiveInfo:
    """Check an archive and read its role metadata or collection manifest."""
    size = len(source) if isinstance(source, (bytes, bytearray)) else os.path.getsize(source)
    if size > limits.max_bytes:
        raise ArchiveError(f"{label}: the archive is {size:,} bytes, over the {limits.max_bytes:,}-byte cap")
    with open_tar(source, label) as tar:
        checked = check_members(tar, limits, label)
        by_name = {clean: member for member, clean in checked}
        names = list(by_name)
        unpacked = sum(m.size for m, _ in checked if m.isreg())
        if kind == "collection":
            found = _find_root(names, ("MANIFEST.json",))
            if not found or not by_name[found[1]].isreg():
                source = _find_root(names, ("galaxy.yml", "galaxy.yaml"))
                if source and by_name[source[1]].isreg():  # a collection's source tree (from git)
                    return ArchiveInfo(source[0], len(checked), unpacked, names=names,
                                       manifest=_galaxy_yml(tar, by_name[source[1]], label))
                raise ArchiveError(f"{label}: no MANIFEST.json (nor galaxy.yml): not a collection archive")
            try:
                manifest = json.loads(_read_member(tar, by_name[found[1]], label))
            except (ValueError, UnicodeDecodeError) as exc:
                raise ArchiveError(f"{label}: MANIFEST.json is not JSON ({exc})") from None
            if not isinstance(manifest, dict) or not isinstance(manifest.get("collection_info"), dict):
                raise ArchiveError(f"{label}: MANIFEST.json has no collection_info")
            return ArchiveInfo(found[0], len(checked), unpacked, manifest=manifest, names=names)
        found = _find_root(names, META_NAMES)
        if not found or not by_name[found[1]].isreg():
            raise ArchiveError(f"{label}: no meta/main.yml: not an Ansible role archive")
        root, meta_name = found
        meta = document_from_text(_read_member(tar, by_name[meta_name], label), name=f"{label}:{meta_name}",
                                  limits=Limits(max_bytes=MAX_META_BYTES))
        requirements = None
        for candidate in META_REQUIREMENTS:
            member = by_name.get(f"{root}/{candidate}" if root else candidate)
            if member is not None and member.isreg():
                requirements = document_from_text(_read_member(tar, member, label),
                                                  name=f"{label}:{member.name}",
                                                  limits=Limits(max_bytes=MAX_META_BYTES))
                break
        return ArchiveInfo(root, len(checked), unpacked, meta=meta, requirements=requirements, names=names)


def _galaxy_yml(tar: tarfile.TarFile, member: tarfile.TarInfo, label: str) -> dict:
    """A source collection's galaxy.yml, shaped like MANIFEST.json's collection_info."""
    document = document_from_text(_read_member(tar, member, label), name=f"{label}:{member.name}",
                                  limits=Limits(max_bytes=MAX_META_BYTES))
    data = document.data
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("namespace", "name", "version")):
        raise ArchiveError(f"{label}: galaxy.yml needs namespace, name and version as strings")
    dependencies = data.get("dependencies") or {}
    if not isinstance(dependencies, dict):
        raise ArchiveError(f"{label}: galaxy.yml dependencies must be a mapping")
    return {"collection_info": {**data, "dependencies": {str(k): str(v) for k, v in dependencies.items()}},
            "source": True}


def extract_archive(source: str | os.PathLike, destination: str | os.PathLike, label: str,
                    limits: ArchiveLimits = DEFAULT_LIMITS, strip_root: str = "") -> Path:
    """Extract a checked archive into ``destination`` (which must not exist).

    Writes into a temporary sibling first and renames it into place, so a
    failure leaves nothing behind. Links are recreated only when they stay
    inside; hard links become copies; modes are reduced to 0644/0755."""
    destination = Path(destination)
    if destination.exists():
        raise ArchiveError(f"{label}: {destination} already exists")
    destination.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".extract-", dir=destination.parent))
    try:
        with open_tar(source, label) as tar:
            checked = check_members(tar, limits, label)
            written: dict[str, Path] = {}
            prefix = strip_root.strip("/") + "/" if strip_root.strip("/") else ""
            for member, clean in checked:
                if prefix:
                    if clean + "/" == prefix:
                        continue
                    if not clean.startswith(prefix):
                        continue
                    relative = clean[len(prefix):]
                else:
                    relative = clean
                if not relative:
                    continue
                target = scratch / relative
                _ensure_inside(scratch, target.parent, label, clean)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                if member.issym():
                    os.symlink(member.linkname, target)
                elif member.islnk():
                    origin = written.get(_clean_name(member.linkname, label))
                    if origin is None:
                        raise ArchiveError(f"{label}: hard link {member.name!r} to a file outside the extracted part")
                    _copy_file(origin, target, origin.stat().st_mode & stat.S_IXUSR)
                else:
                    handle = tar.extractfile(member)
                    _write_file(handle, target, member.size, bool(member.mode & stat.S_IXUSR))
                written[clean] = target
        os.replace(scratch, destination)
    except BaseException:
        _remove_tree(scratch)
        raise
    return destination


def _ensure_inside(root: Path, folder: Path, label: str, name: str) -> None:
    real_root = os.path.realpath(root)
    current = os.path.realpath(folder) if folder.exists() else os.path.realpath(folder.parent)
    if os.path.commonpath([real_root, current]) != real_root:
        raise ArchiveError(f"{label}: member {name!r} would be written outside the destination")


def _write_file(handle: BinaryIO | None, target: Path, size: int, executable: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(target, flags, 0o755 if executable else 0o644)
    with os.fdopen(descriptor, "wb") as out:
        remaining = size
        while handle is not None and remaining > 0:
            chunk = handle.read(min(remaining, 1 << 20))
            if not chunk:
                break
            out.write(chunk)
            remaining -= len(chunk)


def _copy_file(origin: Path, target: Path, executable: Any) -> None:
    with open(origin, "rb") as handle:
        _write_file(handle, target, origin.stat().st_size, bool(executable))


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def normalized_tar_gz(tar_bytes: bytes, prefix: str, label: str, limits: ArchiveLimits = DEFAULT_LIMITS) -> bytes:
    """Re-pack a tar stream (``git archive`` output) into a tar.gz whose
    bytes depend only on the files: sorted names under ``prefix/``, zero
    times and owners, modes 0644/0755, no extended headers. So the sha256 of
    an archive built from a git commit is the same with any git version."""
    out = io.BytesIO()
    with open_tar(tar_bytes, label) as source:
        checked = check_members(source, limits, label)
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as zipped:
            with tarfile.open(fileobj=zipped, mode="w", format=tarfile.GNU_FORMAT) as target:
                top = tarfile.TarInfo(prefix)
                top.type, top.mode, top.mtime = tarfile.DIRTYPE, 0o755, 0
                target.addfile(top)
                for member, clean in sorted(checked, key=lambda pair: pair[1]):
                    if not clean:
                        continue
                    info = tarfile.TarInfo(f"{prefix}/{clean}")
                    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                    if member.isdir():
                        info.type, info.mode = tarfile.DIRTYPE, 0o755
                        target.addfile(info)
                    elif member.issym():
                        info.type, info.mode, info.linkname = tarfile.SYMTYPE, 0o777, member.linkname
                        target.addfile(info)
                    elif member.isreg():
                        data = source.extractfile(member).read()
                        info.size, info.mode = len(data), 0o755 if member.mode & stat.S_IXUSR else 0o644
                        target.addfile(info, io.BytesIO(data))
    return out.getvalue()
