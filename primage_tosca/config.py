"""Settings that come from outside a call: environment, config file, data dir.

Precedence, highest first: an explicit argument (CLI flag or API keyword),
the environment variable, the config file, the default. The config file is
the first of ``./.primage-tosca.yaml`` (or any parent folder's) and
``$XDG_CONFIG_HOME/primage_tosca/config.yaml``; relative paths in it are taken
from the folder the file is in.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ENV_HOME = "PRIMAGE_TOSCA_HOME"
ENV_IMPORT_MAP = "PRIMAGE_TOSCA_IMPORT_MAP"
ENV_CONFIG = "PRIMAGE_TOSCA_CONFIG"
CONFIG_NAME = ".primage-tosca.yaml"
KNOWN_KEYS = frozenset({"import_map", "import_maps", "roots", "online", "ignore", "only", "checks",
                        "show_library_findings"})


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


@dataclass
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
    folder = (start or Path.cwd()).resolve()
    for candidate in [folder, *folder.parents]:
        if (candidate / CONFIG_NAME).is_file():
            return candidate / CONFIG_NAME
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
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
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


def env_import_maps() -> list[Path]:
    value = os.environ.get(ENV_IMPORT_MAP, "")
    return [Path(p) for p in value.split(os.pathsep) if p]
