"""Options for loading templates, from arguments, the environment and the
config file. It sits below every phase that loads, so any of them can build
options without reaching up to the public API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Sequence

from .config import FileConfig, env_import_maps, load_configs
from .imports.template import LoadOptions
from .source.document import PARSE_CACHE, ParseCache
from .imports.policy import ImportMap, ImportPolicy, UrlCache
from .source.reader import DEFAULT_LIMITS, Limits

PathLike = str | os.PathLike


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike, ImportMap)):
        return [value]
    return list(value)


def build_import_map(explicit: Iterable[PathLike | ImportMap], config: FileConfig) -> ImportMap:
    """Explicit maps first, then the environment's, then the config file's;
    on equal prefixes the earlier wins."""
    combined = ImportMap()
    for source in [*explicit, *env_import_maps(), *config.import_maps]:
        loaded = source if isinstance(source, ImportMap) else ImportMap.from_file(source)
        combined = combined.merged(loaded)
    return combined


def load_options(
    *,
    inputs: dict[str, Any] | None = None,
    import_map: PathLike | ImportMap | Sequence[PathLike | ImportMap] | None = None,
    online: bool | None = None,
    roots: Sequence[PathLike] | None = None,
    allow_outside_roots: bool = False,
    allow_file_urls: bool = False,
    allow_http: bool = False,
    max_file_size: int | None = None,
    cache_dir: PathLike | None = None,
    parse_cache: ParseCache | None = None,
    use_config: bool = True,
    templates: Sequence[PathLike] = (),
) -> LoadOptions:
    """Options for loading templates. Arguments win over the environment
    (``PRIMAGE_TOSCA_IMPORT_MAP``) and the config file (``.primage-tosca.yaml``),
    which is looked for above the folders of ``templates`` and above the
    current directory.

    Raises :class:`~primage_tosca.imports.policy.ImportMapError` or
    :class:`~primage_tosca.config.ConfigError` for a malformed map or config."""
    config = load_configs(_as_list(templates)) if use_config else FileConfig()
    all_roots = [str(Path(r).resolve()) for r in [*_as_list(roots), *config.roots]]
    policy = ImportPolicy(
        import_map=build_import_map(_as_list(import_map), config),
        cache=UrlCache(Path(cache_dir)) if cache_dir else None,
        online=bool(online if online is not None else config.online),
        roots=all_roots,
        allow_outside_roots=allow_outside_roots,
        allow_file_urls=allow_file_urls,
        allow_http=allow_http,
    )
    limits = DEFAULT_LIMITS if max_file_size is None else Limits(max_bytes=max_file_size)
    return LoadOptions(policy=policy, limits=limits, cache=parse_cache or PARSE_CACHE, inputs=inputs)


def resolve_options(options: LoadOptions | None, inputs: Any, import_map: Any, kwargs: dict) -> LoadOptions:
    """LoadOptions from the keyword arguments of :func:`load_options`;
    ``inputs`` may be a dict or the path of a YAML inputs file."""
    if options is not None:
        return options
    from .source.inputs import load_inputs_file

    if isinstance(inputs, (str, os.PathLike)):
        inputs = load_inputs_file(Path(inputs))
    return load_options(inputs=inputs, import_map=import_map, **kwargs)

