"""The topology stage: node templates as a networkx graph, hosting chains,
deploy order, and compile-time functions evaluated.

    >>> topology = load("blueprint.yaml", inputs={"cpus": 2}, import_map="import-map.json")
    >>> topology.compute_of("apache"), topology.deploy_order()
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence, overload

from ..model.template import LoadOptions, ServiceTemplate, load_template
from .build import build, gc_paused
from .model import COMPUTE, Policy, Topology
from .requirements import NORMATIVE, Requirement

PathLike = str | os.PathLike


def from_template(template: ServiceTemplate) -> Topology:
    """The topology of an already loaded template."""
    return build(template)


def resolve_options(options: LoadOptions | None, inputs: Any, import_map: Any, kwargs: dict) -> LoadOptions:
    """LoadOptions from the keyword arguments of :func:`primage_tosca.options.load_options`;
    ``inputs`` may be a dict or the path of a YAML inputs file."""
    if options is not None:
        return options
    from ..options import load_options
    from ..model.inputs import load_inputs_file

    if isinstance(inputs, (str, os.PathLike)):
        inputs = load_inputs_file(Path(inputs))
    return load_options(inputs=inputs, import_map=import_map, **kwargs)


@overload
def load(path: PathLike, *, inputs: Any = ..., import_map: Any = ..., options: LoadOptions | None = ...,
         **kwargs: Any) -> Topology: ...


@overload
def load(path: Sequence[PathLike], *, inputs: Any = ..., import_map: Any = ...,
         options: LoadOptions | None = ..., **kwargs: Any) -> list[Topology]: ...


def load(path, *, inputs=None, import_map=None, options=None, **kwargs):
    """Load a template (or a list of them) as a :class:`Topology`.

    ``inputs`` is a dict of input values (or a YAML file of them);
    ``import_map`` and the other keyword arguments are those of
    :func:`primage_tosca.options.load_options`, or pass ready ``options``. A list
    of paths shares one parse cache and one set of options, and gives a list.
    Problems in the template are in ``topology.diagnostics``, never raised."""
    templates = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    resolved = resolve_options(options, inputs, import_map, {"templates": templates} | kwargs)
    with gc_paused():
        if isinstance(path, (str, os.PathLike)):
            return build(load_template(str(path), resolved))
        return [build(load_template(str(p), resolved)) for p in path]


__all__ = ["gc_paused", "COMPUTE", "NORMATIVE", "Policy", "Requirement", "Topology", "from_template", "load"]
