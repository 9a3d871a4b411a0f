"""Reading a Cloud Service Archive (CSAR): a zip, a tarball or a folder of
TOSCA files and the artifacts they use.

:func:`open_csar` checks every member before anything is written, extracts
the archive into a private folder (0700, files 0600) and yields a
:class:`Csar` naming the entry definitions file inside that folder, plus the
metadata of ``TOSCA.meta``. The folder is removed when the ``with`` block ends.

Which file is the entry (TOSCA 2.0, section 17):

* a ``TOSCA.meta`` at the root or in ``TOSCA-Metadata/`` (only one of the
  two) whose block 0 names it in ``Entry-Definitions``; both its 2.0 form
  (``CSAR-Version: 2.0``) and its 1.x form (``TOSCA-Meta-File-Version``,
  ``CSAR-Version: 1.0`` or ``1.1``) are read;
* otherwise, or when ``TOSCA.meta`` names no entry, the single ``.yaml`` or
  ``.yml`` file at the root of the archive.

An archive is refused, with a :class:`CsarError` carrying a rule id and a
message (never a traceback), when a member's path is absolute or leaves the
archive, when it holds links, devices, FIFOs, encrypted or repeated members,
when it is larger than :class:`CsarLimits` allow (size of the archive, of one
file, of all files, number of members, compression ratio), when
``TOSCA.meta`` is malformed or not UTF-8, or when the entry is missing.
Sizes are counted as bytes are written, so a member whose header lies about
its size is stopped all the same.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from .. import catalog
from ..diagnostics import Diagnostic, Location
from ..records import field, record, replace

INVALID = "PT110"  # csar-invalid
UNSAFE = "PT111"  # csar-unsafe
TOO_LARGE = "PT112"  # csar-too-large

META_PLACES = ("TOSCA-Metadata/TOSCA.meta", "TOSCA.meta")
YAML_SUFFIXES = (".yaml", ".yml")
CSAR_VERSIONS = ("1.0", "1.1", "2.0")
META_FILE_VERSIONS = ("1.0", "1.1")
CHUNK = 64 * 1024


@record(frozen=True)
class CsarLimits:
    """Bounds on what one archive may cost to open."""

    max_archive_bytes: int = 256 * 1024 * 1024  # the archive file itself
    max_total_bytes: int = 512 * 1024 * 1024  # all members, unpacked
    max_file_bytes: int = 128 * 1024 * 1024  # one member, unpacked
    max_members: int = 10_000
    max_ratio: int = 200  # unpacked / packed, for members past ratio_floor
    ratio_floor: int = 1024 * 1024  # small files of one repeated byte are fine
    max_meta_bytes: int = 64 * 1024  # TOSCA.meta


DEFAULT_LIMITS = CsarLimits()


class CsarError(Exception):
    """Why an archive cannot be used: a rule id (PT110-PT112), a message, the
    archive and, where there is one, the member at fault."""

    def __init__(self, rule: str, message: str, archive: str = "", member: str = "") -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.archive = archive
        self.member = member

    def __str__(self) -> str:
        where = f"{self.archive}: " if self.archive else ""
        return f"{where}{self.message}"

    def diagnostic(self) -> Diagnostic:
        """The error as a located diagnostic of its catalogued rule."""
        return catalog.make(self.rule, str(self), Location(self.archive or "<csar>"))


@record(frozen=True)
class CsarMetadata:
    """Block 0 of ``TOSCA.meta`` (or what stands for it without one)."""

    csar_version: str | None
    entry_definitions: str
    created_by: str | None = None
    other_definitions: tuple[str, ...] = ()
    meta_file_version: str | None = None  # the 1.x form's TOSCA-Meta-File-Version
    meta_file: str | None = None  # where TOSCA.meta was; None when there was none
    extra: dict[str, str] = field(default_factory=dict)  # other keynames of block 0
    blocks: tuple[dict[str, str], ...] = ()  # the blocks after block 0


@record(frozen=True)
class Csar:
    """An opened archive: its private folder, entry file and metadata."""

    source: str
    root: Path
    entry: Path
    metadata: CsarMetadata
    other_definitions: tuple[Path, ...] = ()


# --- members ------------------------------------------------------------------


@record
class Member:
    """One file or folder of an archive, whatever its format."""

    name: str  # cleaned: relative, '/'-separated, no '.' or '..' parts
    is_dir: bool
    size: int  # as declared; checked again while copying
    packed: int | None  # compressed size where the format says (zip)
    open: Callable[[], BinaryIO] | None = None


def clean_name(raw: str, archive: str) -> str:
    """The member's path made relative and '/'-separated; refuses names that
    are absolute or climb out of the archive."""
    if "\x00" in raw or "\\" in raw:
        raise CsarError(UNSAFE, f"member {raw!r} has a backslash or NUL in its name", archive, raw)
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw):
        raise CsarError(UNSAFE, f"member {raw!r} has an absolute path", archive, raw)
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise CsarError(UNSAFE, f"member {raw!r} has a '..' part that leaves the archive", archive, raw)
    return "/".join(parts)


def zip_members(archive: zipfile.ZipFile, label: str) -> Iterator[Member]:
    for info in archive.infolist():
        name = clean_name(info.filename, label)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise CsarError(UNSAFE, f"member {info.filename!r} is a symbolic link", label, info.filename)
        if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # 0: no type recorded
            raise CsarError(UNSAFE, f"member {info.filename!r} is a device, FIFO or other special file",
                            label, info.filename)
        if info.flag_bits & 0x1:
            raise CsarError(INVALID, f"member {info.filename!r} is encrypted", label, info.filename)
        opener = None if info.is_dir() else (lambda info=info: archive.open(info))
        yield Member(name, info.is_dir(), info.file_size, info.compress_size, opener)


def tar_members(archive: tarfile.TarFile, label: str) -> Iterator[Member]:
    for info in archive:
        name = clean_name(info.name, label)
        if info.issym() or info.islnk():
            kind = "symbolic" if info.issym() else "hard"
            raise CsarError(UNSAFE, f"member {info.name!r} is a {kind} link to {info.linkname!r}",
                            label, info.name)
        if not (info.isreg() or info.isdir()):
            raise CsarError(UNSAFE, f"member {info.name!r} is a device, FIFO or other special file",
                            label, info.name)
        opener = None if info.isdir() else (lambda info=info: archive.extractfile(info))
        yield Member(name, info.isdir(), info.size, None, opener)


def folder_members(folder: Path, label: str) -> Iterator[Member]:
    """A folder read as an archive: links and special files are refused as
    they would be in a tarball (a link could lead anywhere on the disk)."""
    pending = [folder]
    while pending:
        current = pending.pop()
        with os.scandir(current) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                name = Path(entry.path).relative_to(folder).as_posix()
                if entry.is_symlink():
                    raise CsarError(UNSAFE, f"{name!r} is a symbolic link", label, name)
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                    yield Member(name, True, 0, None)
                elif entry.is_file(follow_symlinks=False):
                    size = entry.stat(follow_symlinks=False).st_size
                    yield Member(name, False, size, None, lambda path=entry.path: open(path, "rb"))
                else:
                    raise CsarError(UNSAFE, f"{name!r} is a device, FIFO or other special file", label, name)


def check_members(members: Iterator[Member], packed_total: int, limits: CsarLimits,
                  label: str) -> list[Member]:
    """All members, each checked against the limits and the others' names."""
    checked: list[Member] = []
    kinds: dict[str, bool] = {}  # name -> is_dir
    total = 0
    for member in members:
        if len(checked) >= limits.max_members:
            raise CsarError(TOO_LARGE, f"more than {limits.max_members:,} members", label)
        if not member.name:  # the archive's own root folder ("./")
            continue
        check_unique(member, kinds, label)
        if not member.is_dir:
            total += member.size
            check_sizes(member, total, limits, label)
        checked.append(member)
    if packed_total and total > limits.ratio_floor and total > packed_total * limits.max_ratio:
        raise CsarError(TOO_LARGE, f"unpacks to {total:,} bytes from {packed_total:,}, more than "
                        f"{limits.max_ratio} times its size (a compression bomb?)", label)
    return checked


def check_unique(member: Member, kinds: dict[str, bool], label: str) -> None:
    """A name may appear once, and no file may stand where a folder is needed.
    kinds maps each name seen, and each folder implied by one, to is_dir."""
    previous = kinds.get(member.name)
    if previous is not None and not (previous and member.is_dir):
        what = "is a file and a folder" if previous != member.is_dir else "appears more than once"
        raise CsarError(UNSAFE, f"member {member.name!r} {what}", label, member.name)
    parts = member.name.split("/")
    for depth in range(1, len(parts)):
        parent = "/".join(parts[:depth])
        if kinds.get(parent) is False:
            raise CsarError(UNSAFE, f"member {member.name!r} lies under {parent!r}, which is a file",
                            label, member.name)
        kinds.setdefault(parent, True)
    kinds[member.name] = member.is_dir


def check_sizes(member: Member, total: int, limits: CsarLimits, label: str) -> None:
    if member.size > limits.max_file_bytes:
        raise CsarError(TOO_LARGE, f"member {member.name!r} unpacks to {member.size:,} bytes, "
                        f"more than the {limits.max_file_bytes:,} allowed for one file", label, member.name)
    if total > limits.max_total_bytes:
        raise CsarError(TOO_LARGE, f"the members unpack to more than {limits.max_total_bytes:,} bytes",
                        label, member.name)
    if member.packed is not None and member.size > limits.ratio_floor \
            and member.size > max(member.packed, 1) * limits.max_ratio:
        raise CsarError(TOO_LARGE, f"member {member.name!r} unpacks to {member.size:,} bytes from "
                        f"{member.packed:,}, more than {limits.max_ratio} times its size "
                        "(a compression bomb?)", label, member.name)


# --- extraction ---------------------------------------------------------------


class Budget:
    """Bytes actually written, against the caps (headers can lie)."""

    def __init__(self, limits: CsarLimits, label: str) -> None:
        self.limits = limits
        self.label = label
        self.total = 0

    def take(self, member: Member, written: int, count: int) -> None:
        self.total += count
        if written > self.limits.max_file_bytes or written > member.size:
            raise CsarError(TOO_LARGE, f"member {member.name!r} holds more bytes than its header says "
                            f"({member.size:,}) or than one file may", self.label, member.name)
        if self.total > self.limits.max_total_bytes:
            raise CsarError(TOO_LARGE, f"the members unpack to more than {self.limits.max_total_bytes:,} bytes",
                            self.label, member.name)


def extract(members: list[Member], root: Path, budget: Budget) -> None:
    """Write each member under root, folders 0700 and files 0600."""
    for member in members:
        target = root.joinpath(*member.name.split("/"))
        if member.is_dir:
            target.mkdir(mode=0o700, parents=True, exist_ok=True)
            continue
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        copy_member(member, target, budget)


def copy_member(member: Member, target: Path, budget: Budget) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(target, flags, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        assert member.open is not None
        source = member.open()
        if source is None:  # tarfile gives None for members with no data
            return
        with source:
            written = 0
            while chunk := source.read(CHUNK):
                written += len(chunk)
                budget.take(member, written, len(chunk))
                out.write(chunk)


# --- TOSCA.meta -----------------------------------------------------------------


def parse_meta(data: bytes, label: str, where: str) -> list[dict[str, str]]:
    """Blocks of ``Keyname: value`` lines separated by empty lines; a line
    starting with a space continues the value above it (joined by one space)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsarError(INVALID, f"{where} is not UTF-8 text (byte {exc.start})", label, where) from None
    blocks: list[dict[str, str]] = []
    block: dict[str, str] = {}
    last = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if block:
                blocks.append(block)
            block, last = {}, ""
        elif line[0] in " \t":
            if not last:
                raise CsarError(INVALID, f"{where} line {number}: a continuation line with no keyname above it",
                                label, where)
            block[last] = f"{block[last]} {line.strip()}".strip()
        else:
            last = meta_line(line, number, block, label, where)
    if block:
        blocks.append(block)
    return blocks


def meta_line(line: str, number: int, block: dict[str, str], label: str, where: str) -> str:
    key, colon, value = line.partition(":")
    key = key.strip()
    if not colon or not key or any(char.isspace() for char in key):
        raise CsarError(INVALID, f"{where} line {number}: expected 'Keyname: value', found {line.strip()!r}",
                        label, where)
    if key in block:
        raise CsarError(INVALID, f"{where} line {number}: the keyname {key!r} appears twice in its block",
                        label, where)
    block[key] = value.strip()
    return key


def split_definitions(value: str) -> tuple[str, ...]:
    """Other-Definitions: names separated by blanks, quoted when they hold one."""
    return tuple(quoted or bare for quoted, bare in re.findall(r'"([^"]*)"|(\S+)', value))


def meta_metadata(blocks: list[dict[str, str]], where: str, label: str) -> CsarMetadata:
    block0 = dict(blocks[0]) if blocks else {}
    file_version = block0.pop("TOSCA-Meta-File-Version", None)
    csar_version = block0.pop("CSAR-Version", None)
    created_by = block0.pop("Created-By", None)
    entry = block0.pop("Entry-Definitions", None)
    other = split_definitions(block0.pop("Other-Definitions", ""))
    if csar_version is None:
        raise CsarError(INVALID, f"{where} has no CSAR-Version in its first block", label, where)
    if csar_version not in CSAR_VERSIONS:
        raise CsarError(INVALID, f"{where}: CSAR-Version {csar_version!r} is not one of "
                        f"{', '.join(CSAR_VERSIONS)}", label, where)
    if file_version is not None or csar_version != "2.0":
        require_one_x(file_version, created_by, entry, where, label)
    return CsarMetadata(csar_version=csar_version, entry_definitions=entry or "", created_by=created_by,
                        other_definitions=other, meta_file_version=file_version, meta_file=where,
                        extra=block0, blocks=tuple(blocks[1:]))


def require_one_x(file_version: str | None, created_by: str | None, entry: str | None,
                  where: str, label: str) -> None:
    """The 1.x form of block 0, where all four keynames are mandatory."""
    if file_version not in META_FILE_VERSIONS:
        found = "no TOSCA-Meta-File-Version" if file_version is None else f"TOSCA-Meta-File-Version {file_version!r}"
        raise CsarError(INVALID, f"{where} has {found}; the 1.x form needs 1.0 or 1.1", label, where)
    for key, value in (("Created-By", created_by), ("Entry-Definitions", entry)):
        if not value:
            raise CsarError(INVALID, f"{where} has no {key}, which the 1.x form requires", label, where)


def read_meta(members: list[Member], limits: CsarLimits, label: str) -> CsarMetadata | None:
    found = [m for m in members if not m.is_dir and m.name in META_PLACES]
    if not found:
        return None
    if len(found) > 1:
        raise CsarError(INVALID, "the archive has both TOSCA.meta and TOSCA-Metadata/TOSCA.meta; "
                        "it may hold only one", label)
    member = found[0]
    if member.size > limits.max_meta_bytes:
        raise CsarError(TOO_LARGE, f"{member.name} is larger than {limits.max_meta_bytes:,} bytes", label, member.name)
    assert member.open is not None
    with member.open() as handle:
        data = handle.read(limits.max_meta_bytes + 1)
    if len(data) > limits.max_meta_bytes:
        raise CsarError(TOO_LARGE, f"{member.name} is larger than {limits.max_meta_bytes:,} bytes", label, member.name)
    return meta_metadata(parse_meta(data, label, member.name), member.name, label)


def root_yaml(members: list[Member], label: str, why: str) -> str:
    """The single YAML file at the archive's root (section 17.3)."""
    candidates = sorted(m.name for m in members
                        if not m.is_dir and "/" not in m.name and m.name.lower().endswith(YAML_SUFFIXES))
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise CsarError(INVALID, f"{why} and no .yaml or .yml file at its root to be the entry", label)
    raise CsarError(INVALID, f"{why} and several YAML files at its root ({', '.join(candidates)}); "
                    "exactly one may be there", label)


TOSCA_VERSION = re.compile(rb"^tosca_definitions_version:\s*['\"]?([A-Za-z0-9_.]+)", re.MULTILINE)


def inferred_version(entry: Path) -> str | None:
    """CSAR-Version from the entry's tosca_definitions_version (section 17.3)."""
    with open(entry, "rb") as handle:
        match = TOSCA_VERSION.search(handle.read(CHUNK))
    if not match:
        return None
    version = match.group(1).decode("ascii")
    if version == "tosca_2_0":
        return "2.0"
    return "1.1" if version.startswith("tosca_simple_yaml_1_") else None


def resolve_entry(members: list[Member], meta: CsarMetadata | None, label: str) -> CsarMetadata:
    """Metadata whose entry_definitions names a regular file of the archive."""
    files = {m.name for m in members if not m.is_dir}
    if meta is None:
        return CsarMetadata(csar_version=None, entry_definitions=root_yaml(members, label, "the archive has no TOSCA.meta"))
    if not meta.entry_definitions:
        entry = root_yaml(members, label, f"{meta.meta_file} names no Entry-Definitions")
        meta = replace(meta, entry_definitions=entry)
    for key, name in [("Entry-Definitions", meta.entry_definitions)] + [("Other-Definitions", n) for n in meta.other_definitions]:
        clean = clean_name(name, label)
        if clean not in files:
            raise CsarError(INVALID, f"{meta.meta_file}: {key} names {name!r}, which is not a file of the archive",
                            label, meta.meta_file or "")
    return meta


# --- opening ------------------------------------------------------------------


@contextmanager
def archive_members(source: Path, limits: CsarLimits, label: str) -> Iterator[tuple[Iterator[Member], int]]:
    """The members of a folder, zip or tarball, and the packed size (0 for a folder)."""
    if source.is_dir():
        yield folder_members(source, label), 0
        return
    if not source.is_file():
        raise CsarError(INVALID, "no such file or folder", label)
    packed = source.stat().st_size
    if packed > limits.max_archive_bytes:
        raise CsarError(TOO_LARGE, f"the archive is {packed:,} bytes, more than the {limits.max_archive_bytes:,} allowed", label)
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            yield zip_members(archive, label), packed
    elif tarfile.is_tarfile(source):
        with tarfile.open(source, mode="r:*") as archive:
            yield tar_members(archive, label), packed
    else:
        raise CsarError(INVALID, "not a zip file, a tarball (.tar, .tar.gz, .tgz) or a folder", label)


@contextmanager
def open_csar(source: str | os.PathLike, limits: CsarLimits = DEFAULT_LIMITS) -> Iterator[Csar]:
    """Check and extract a CSAR; yields it, then removes the extracted folder.

    Raises :class:`CsarError` for anything wrong with the archive."""
    label = os.fspath(source)
    root = Path(tempfile.mkdtemp(prefix="primage-csar-"))  # mkdtemp makes it 0700
    try:
        csar = unpack(Path(source), root, limits, label)
        yield csar
    finally:
        shutil.rmtree(root, ignore_errors=True)


def unpack(source: Path, root: Path, limits: CsarLimits, label: str) -> Csar:
    try:
        with archive_members(source, limits, label) as (members, packed):
            checked = check_members(members, packed, limits, label)
            metadata = resolve_entry(checked, read_meta(checked, limits, label), label)
            extract(checked, root, Budget(limits, label))
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError) as exc:
        raise CsarError(INVALID, f"the archive is corrupt or truncated ({exc})", label) from None
    except NotImplementedError as exc:  # a zip compression method Python cannot read
        raise CsarError(INVALID, f"the archive uses a format this reader cannot open ({exc})", label) from None
    except OSError as exc:
        raise CsarError(INVALID, f"cannot read the archive ({exc.strerror or exc})", label) from None
    entry = root.joinpath(*clean_name(metadata.entry_definitions, label).split("/"))
    if metadata.csar_version is None:
        metadata = replace(metadata, csar_version=inferred_version(entry))
    others = tuple(root.joinpath(*clean_name(name, label).split("/")) for name in metadata.other_definitions)
    return Csar(source=label, root=root, entry=entry, metadata=metadata, other_definitions=others)
