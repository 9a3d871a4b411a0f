"""The public API: what ``import primage_tosca`` offers and what the command
line calls. The CLI modules import this module and nothing else of the library.

The functions defined here are the entry points of the compiler
(:func:`validate`, :func:`load`, :func:`compile`); the rest are re-exported
from the phase that owns them, imported on first use so that a command such as
``list`` never loads the validator.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from .imports.template import LoadOptions
    from .rulesettings import RuleSettings
    from .topology import Topology
    from .validation import Report

PathLike = str | os.PathLike

# public name -> "module:attribute" (attribute defaults to the name)
_EXPORTS = {
    # loading
    "build_import_map": "options",
    "load_options": "options",
    # templates
    "LoadOptions": "imports.template",
    "InputsError": "source.inputs",
    "collect_inputs": "source.inputs",
    "load_inputs_file": "source.inputs",
    "ConfigError": "config",
    "ImportMapError": "imports.policy",
    "Fetcher": "imports.policy",
    "FetchError": "imports.policy",
    "UrlCache": "imports.policy",
    "pull_types": "imports.pull:pull",
    "BUILTIN_PROFILES": "profiles",
    "PROFILE_ALIASES": "profiles",
    "builtin_urls": "profiles",
    "RULES": "catalog",
    "Report": "validation",
    "render": "report",
    "rules_markdown": "report",
    "Topology": "topology",
    "RuleSettings": "rulesettings",
    "RuleSettingsError": "rulesettings",
    "rule_settings": "validation",
    "Compilation": "pipeline",
    # compiling
    "TARGETS": "formats",
    "GRAPH_FORMATS": "formats",
    "GRAPH_IMAGE_FORMATS": "formats",
    "CompileError": "emit",
    "CompileResult": "emit",
    "compile": "emit",
    "compile_results": "emit",
    "written_paths": "emit",
    "launch_command": "emit.ec3",
    "GraphvizMissing": "emit.graph",
    "render_graph": "emit.graph",
    # recipes
    "ARCHIVE_LIMITS": "galaxy.archive:DEFAULT_LIMITS",
    "ArchiveLimits": "galaxy.archive",
    "RecipeCache": "galaxy.cache",
    "HttpSettings": "galaxy.client",
    "LockError": "galaxy.errors",
    "RecipeError": "galaxy.errors",
    "entry_for": "galaxy.lock",
    "load_lock": "galaxy.lock",
    "collect_recipes": "galaxy.operations",
    "default_lock_path": "galaxy.operations",
    "default_recipes_dir": "galaxy.operations",
    "fetch_recipes": "galaxy.operations",
    "keys_for": "galaxy.operations",
    "lock_recipes": "galaxy.operations",
    "read_lock": "galaxy.operations",
    "verify_recipes": "galaxy.operations",
    "write_requirements": "galaxy.operations",
    "ResolveSettings": "galaxy.resolve",
    # deployments
    "AuthError": "im",
    "IMError": "im",
    "LocalIM": "im.local",
    "LocalIMError": "im.local",
    "BadArgument": "lifecycle",
    "LifecycleError": "lifecycle",
    "Progress": "lifecycle",
    "StoreError": "lifecycle",
    "check_im_url": "lifecycle",
    "check_name": "lifecycle.names",
    "printable": "lifecycle.names",
    "WaitTimeout": "lifecycle",
    "deploy": "lifecycle",
    "inspect": "lifecycle",
    "list_deployments": "lifecycle",
    "logs": "lifecycle",
    "outputs": "lifecycle",
    "reconfigure": "lifecycle",
    "undeploy": "lifecycle",
    "wait_deployment": "lifecycle",
    # applications on Kubernetes
    "AppPlan": "lifecycle.apps",
    "KubeError": "kube",
    "OnedataError": "onedata",
    "TokenNeeded": "lifecycle.apps",
    "Where": "lifecycle.apps",
    "app_logs": "lifecycle.apps",
    "app_outputs": "lifecycle.apps",
    "deploy_app": "lifecycle.apps",
    "find_deployment": "lifecycle.apps",
    "inspect_app": "lifecycle.apps",
    "reconfigure_app": "lifecycle.apps",
    "undeploy_app": "lifecycle.apps",
    # in the editor
    "serve_language_server": "lsp.server:serve",
}


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'primage_tosca.api' has no attribute {name!r}")
    module, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(f"..{module}", __name__), attribute or name)
    globals()[name] = value  # later lookups skip this function
    return value


def validate(paths: PathLike | Sequence[PathLike], *, options: LoadOptions | None = None,
             only_tosca: bool = False, settings: RuleSettings | None = None, **kwargs: Any) -> Report:
    """Validate templates, directories (recursively, TOSCA files only) or globs.

    Keyword arguments are those of :func:`load_options` (``inputs``,
    ``import_map``, ``online``, ``roots``...). ``only_tosca`` skips named files
    that do not declare tosca_definitions_version. ``settings`` says which
    rules to ignore or keep (``RuleSettings(ignore=frozenset({"PT402"}))``).
    Problems are returned in the report, never raised."""
    from .options import load_options
    from .validation import validate as run  # the checks load only when something is validated

    templates = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    return run(paths, options or load_options(templates=templates, **kwargs), only_tosca, settings)


def load(path: PathLike | Sequence[PathLike], *, inputs: Any = None, import_map: Any = None,
         options: LoadOptions | None = None, **kwargs: Any) -> Topology | list[Topology]:
    """Load a template (or a list of them) as a :class:`~primage_tosca.topology.Topology`.

    ``inputs`` is a dict of input values (or a YAML file of them);
    ``import_map`` and the other keyword arguments are those of
    :func:`load_options`, or pass ready ``options``. A list of paths shares
    one parse cache and one set of options, and gives a list. Every finding
    is in ``topology.diagnostics``, never raised; a template that cannot be
    read gives an empty topology with the reason."""
    from .options import resolve_options
    from .pipeline import run
    from .topology import gc_paused

    templates = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    resolved = resolve_options(options, inputs, import_map, {"templates": templates} | kwargs)
    with gc_paused():
        if isinstance(path, (str, os.PathLike)):
            return _topology(run(str(path), resolved, (), products=True))
        return [_topology(run(str(p), resolved, (), products=True)) for p in path]


def _topology(result: Any) -> Topology:
    from .pipeline import empty_topology

    return result.topology if result.topology is not None else empty_topology(result)


__all__ = ["load", "validate", *sorted(_EXPORTS)]
