"""How a deployment was made, remembered for its reconfigurations: whether
IM contextualizes it, and the loading options given for it (import maps,
roots, online, the allow flags, the file size cap). Never a secret: these
are paths and switches. Paths are kept absolute, so a reconfigure from
another folder finds the same files.

Config files and ``$PRIMAGE_TOSCA_IMPORT_MAP`` are not copied here: they are
read again on each run, as for any other command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..records import asdict, field, fields, record

LOADING = ("roots", "online", "allow_outside_roots", "allow_file_urls", "allow_http", "max_file_size")


@record
class Settings:
    contextualize: bool = True
    import_map: list = field(default_factory=list)  # map files (absolute paths) or {prefix: path} mappings
    roots: list[str] = field(default_factory=list)
    online: bool | None = None
    allow_outside_roots: bool = False
    allow_file_urls: bool = False
    allow_http: bool = False
    max_file_size: int | None = None

    @classmethod
    def from_dict(cls, data: dict | None) -> "Settings":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})

    def as_dict(self) -> dict:
        return asdict(self)

    def over(self, contextualize: bool | None = None, import_map: Any = None, options: Any = None,
             **given: Any) -> "Settings":
        """These settings with what a call gives laid over them: a flag that is
        set wins, import maps given come first (the earlier map wins), roots add up."""
        if options is not None:
            return _from_options(options, self.contextualize if contextualize is None else contextualize)
        merged = Settings(**self.as_dict())
        if contextualize is not None:
            merged.contextualize = bool(contextualize)
        merged.import_map = _maps(import_map) + [m for m in self.import_map if m not in _maps(import_map)]
        merged.roots = self.roots + [r for r in _paths(given.get("roots")) if r not in self.roots]
        for name in LOADING[1:]:
            if given.get(name) is not None:
                setattr(merged, name, given[name])
        return merged

    def load_kwargs(self) -> dict:
        """Keyword arguments of :func:`primage_tosca.options.load_options`."""
        from ..imports.policy import ImportMap

        maps = [m if isinstance(m, str) else ImportMap({k: Path(v) for k, v in m.items()}) for m in self.import_map]
        loading = {name: getattr(self, name) for name in LOADING if getattr(self, name) not in (None, False, [])}
        return ({"import_map": maps} if maps else {}) | loading


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, (str, os.PathLike, dict)) or hasattr(value, "entries") else list(value)


def _paths(value: Any) -> list[str]:
    return [str(Path(p).resolve()) for p in _as_list(value)]


def _maps(value: Any) -> list:
    """Import maps as they can be stored: a file's absolute path, or an in-memory map's entries."""
    found = []
    for item in _as_list(value):
        if hasattr(item, "entries"):
            found.append({prefix: str(path) for prefix, path in item.entries.items()})
        elif isinstance(item, dict):
            found.append({str(k): str(v) for k, v in item.items()})
        else:
            found.append(str(Path(item).resolve()))
    return found


def _from_options(options: Any, contextualize: bool) -> Settings:
    """Settings from ready LoadOptions: their effective values."""
    policy = options.policy
    entries = {prefix: str(path) for prefix, path in policy.import_map.entries.items()}
    return Settings(contextualize, [entries] if entries else [], list(policy.roots), policy.online,
                    policy.allow_outside_roots, policy.allow_file_urls, policy.allow_http, options.limits.max_bytes)


__all__ = ["Settings"]
