"""Settings that come from outside a call: environment, config file, data dir.

Precedence, highest first: an explicit argument (CLI flag or API keyword),
the environment variable, the config file, the default. The config file is
the nearest ``.primage-tosca.yaml`` above the template's folder and above the
current directory (both are used when they differ), else
``$XDG_CONFIG_HOME/primage_tosca/config.yaml``; relative paths in it are taken
from the folder the file is in.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Sequence

import yaml

from .records import field, record

# libyaml's loader when PyYAML has it: safe, and much faster than the pure-Python one
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ENV_HOME = "PRIMAGE_TOSCA_HOME"
ENV_IMPORT_MAP = "PRIMAGE_TOSCA_IMPORT_MAP"
ENV_CONFIG = "PRIMAGE_TOSCA_CONFIG"
CONFIG_NAME = ".primage-tosca.yaml"
KNOWN_KEYS = frozenset({"import_map", "import_maps", "roots", "online", "ignore", "only", "checks",
                        "show_library_findings"})
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600



def _warn(message: str, *args: object) -> None:
    """A notice on the package's logger (logging is loaded only when there is one to give)."""
    import logging

    logging.getLogger("primage_tosca").warning(message, *args)


class ConfigError(Exception):
    """The config file is unreadable or malformed."""


def data_dir() -> Path:
    """Where the project keeps its state: caches and (later) the deployment store."""
    explicit = os.environ.get(ENV_HOME)
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "primage_tosca"
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "primage_tosca"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "primage_tosca"


# -- private files: the data directory holds deployment records and the local IM's data ------------

def private_dir(path: str | os.PathLike) -> Path:
    """``path`` as a folder only its owner can enter: created 0700 (each missing
    folder on the way too). Under the data directory, what an older version
    left open to other users is tightened first (:func:`tighten_data_dir`)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    home = data_dir()
    if path == home or home in path.parents:
        tighten_data_dir(home)
    return path


# what primage_tosca keeps in the data directory
OWN_ENTRIES = ("deployments.sqlite", "deployments.sqlite-wal", "deployments.sqlite-shm", "local-im", "imports",
               "recipes")


def tighten_data_dir(home: Path) -> None:
    """Take group and other permissions off the data directory and what
    primage_tosca keeps in it, with a notice. A folder that also holds other
    files (``$PRIMAGE_TOSCA_HOME`` set to a shared one) keeps its own mode and
    the rest of its files: only ours are tightened, and the notice says so."""
    try:
        info = home.stat()
        entries = list(home.iterdir())
    except OSError:
        return
    loose = [e for e in entries if e.name in OWN_ENTRIES and _open(e)]
    foreign = [e for e in entries if e.name not in OWN_ENTRIES and not e.name.startswith(".")]
    shared = bool(foreign) or bool(info.st_mode & stat.S_ISVTX)
    open_root = bool(stat.S_IMODE(info.st_mode) & 0o077)
    if not loose and not (open_root and not shared):
        if open_root:
            _warn("primage_tosca: %s is open to other users and holds other files: primage_tosca's own are "
                        "private, but give it a folder of its own ($PRIMAGE_TOSCA_HOME)", home)
        return
    first = home if open_root else loose[0]
    mode = stat.S_IMODE(first.lstat().st_mode)
    for entry in loose:
        _owner_only(entry)
        for root, folders, files in os.walk(entry):
            for name in [*folders, *files]:
                _owner_only(Path(root) / name)
    if open_root and not shared:
        _owner_only(home)
    _warn("primage_tosca: %s was open to other users (mode %04o); the data directory %s holds deployment "
                "records and credentials, so %s now readable by their owner only (0700 folders, 0600 files)",
                first, mode, home, "primage_tosca's entries in it are" if shared else "it and everything in it are")


def _open(path: Path) -> bool:
    try:
        return bool(stat.S_IMODE(path.lstat().st_mode) & 0o077)
    except OSError:
        return False


def _owner_only(path: Path) -> None:
    try:
        info = path.lstat()
        if not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)
    except OSError:
        pass  # not ours, or gone: nothing to tighten


def private_file(path: str | os.PathLike) -> Path:
    """``path`` exists, created readable and writable by its owner only
    (0600); an existing one loses any group and other permissions."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        _owner_only(path)  # a file made read-only stays so: whoever uses it says what that means
    return path


def write_private(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` (0600), replacing it whole: readers never see half a file."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


# -- the config file ------------------------------------------------------------------------------

@record
class FileConfig:
    """What a config file may set."""

    path: Path | None = None
    import_maps: list[Path] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)
    online: bool | None = None
    ignore: list[str] = field(default_factory=list)  # rule ids
    only: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # optional checks to run ("toscaparser")
    show_library_findings: bool | None = None


def find_config_file(start: Path | None = None) -> Path | None:
    explicit = os.environ.get(ENV_CONFIG)
    if explicit:
        return Path(explicit)
    project = _project_config(start or Path.cwd())
    return project or _user_config()


def find_config_files(templates: Sequence[str | os.PathLike] = ()) -> list[Path]:
    """The config files for a run on ``templates``: the nearest project file
    above each template's folder (nearest to the first template first), then
    the one above the current directory; the user's file when there is none."""
    explicit = os.environ.get(ENV_CONFIG)
    if explicit:
        return [Path(explicit)]
    found: list[Path] = []
    for start in [*(_folder_of(t) for t in templates), Path.cwd()]:
        project = _project_config(start) if start is not None else None
        if project is not None and project not in found:
            found.append(project)
    user = _user_config()
    return found or ([user] if user else [])


def _folder_of(template: str | os.PathLike) -> Path | None:
    path = Path(template)
    if path.is_dir():
        return path
    return path.parent if path.parent.is_dir() else None


def _project_config(start: Path) -> Path | None:
    folder = start.resolve()
    for candidate in [folder, *folder.parents]:
        if (candidate / CONFIG_NAME).is_file():
            return candidate / CONFIG_NAME
    return None


def _user_config() -> Path | None:
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    user = Path(xdg) / "primage_tosca" / "config.yaml"
    return user if user.is_file() else None


def _as_list(value, key: str, path: Path) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ConfigError(f"{path}: '{key}' must be a path or a list of paths")


def project_root() -> Path:
    """The folder of the project's config file (``.primage-tosca.yaml``) when
    there is one, else the current directory."""
    found = find_config_file()
    if found is not None and found.is_file() and found.name == ".primage-tosca.yaml":
        return found.parent.resolve()
    return Path.cwd()


def load_config(path: Path | None = None) -> FileConfig:
    path = path or find_config_file()
    if path is None:
        return FileConfig()
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}  # noqa: S506 - a safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config file must be a mapping")
    unknown = set(data) - KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)}; known: {', '.join(sorted(KNOWN_KEYS))}")
    base = path.parent
    maps = _as_list(data.get("import_map"), "import_map", path) + _as_list(data.get("import_maps"), "import_maps", path)
    roots = _as_list(data.get("roots"), "roots", path)
    online = data.get("online")
    if online is not None and not isinstance(online, bool):
        raise ConfigError(f"{path}: 'online' must be true or false")
    flag = data.get("show_library_findings")
    if flag is not None and not isinstance(flag, bool):
        raise ConfigError(f"{path}: 'show_library_findings' must be true or false")
    return FileConfig(path, [base / m for m in maps], [base / r for r in roots], online,
                      _words(data.get("ignore"), "ignore", path), _words(data.get("only"), "only", path),
                      _words(data.get("checks"), "checks", path), flag)


def _words(value, key: str, path: Path) -> list[str]:
    """A string or a list of strings (rule ids, check names)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ConfigError(f"{path}: '{key}' must be a name or a list of names")


def load_configs(templates: Sequence[str | os.PathLike] = ()) -> FileConfig:
    """One config from every file :func:`find_config_files` names: their
    import maps in that order (the earlier wins on equal prefixes), all their
    roots, and the first ``online`` that is set."""
    merged = FileConfig()
    for path in find_config_files(templates):
        found = load_config(path)
        merged.path = merged.path or found.path
        merged.import_maps += [m for m in found.import_maps if m not in merged.import_maps]
        merged.roots += [r for r in found.roots if r not in merged.roots]
        merged.online = found.online if merged.online is None else merged.online
    return merged


def env_import_maps() -> list[Path]:
    value = os.environ.get(ENV_IMPORT_MAP, "")
    return [Path(p) for p in value.split(os.pathsep) if p]
