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
    from .model.template import LoadOptions
    from .validation import Report

PathLike = str | os.PathLike

# public name -> "module:attribute" (attribute defaults to the name)
_EXPORTS = {
    # loading
    "build_import_map": "options",
    "load_options": "options",
    # templates
    "LoadOptions": "model.template",
    "InputsError": "model.inputs",
    "collect_inputs": "model.inputs",
    "load_inputs_file": "model.inputs",
    "ConfigError": "config",
    "ImportMapError": "source.imports",
    "Fetcher": "source.imports",
    "FetchError": "source.imports",
    "UrlCache": "source.imports",
    "RULES": "catalog",
    "Report": "validation",
    "render": "report",
    "rules_markdown": "report",
    "Topology": "topology",
    "load": "topology",
    # compiling
    "TARGETS": "formats",
    "GRAPH_FORMATS": "formats",
    "GRAPH_IMAGE_FORMATS": "formats",
    "CompileError": "emit",
    "CompileResult": "emit",
    "compile": "emit",
    "compile_results": "emit",
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
    "LifecycleError": "lifecycle",
    "Progress": "lifecycle",
    "StoreError": "lifecycle",
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
             only_tosca: bool = False, **kwargs: Any) -> Report:
    """Validate templates, directories (recursively, TOSCA files only) or globs.

    Keyword arguments are those of :func:`load_options` (``inputs``,
    ``import_map``, ``online``, ``roots``...). ``only_tosca`` skips named files
    that do not declare tosca_definitions_version. Problems are returned in
    the report, never raised."""
    from .options import load_options
    from .validation import validate as run  # the checks load only when something is validated

    return run(paths, options or load_options(**kwargs), only_tosca)


__all__ = ["validate", *sorted(_EXPORTS)]
