"""Every benchmark, in the order they run and are reported.

Each entry names a module of this package that has ``NAME`` and
``run(config) -> Result``."""

from __future__ import annotations

import importlib

BENCHMARKS = [
    "bench_validate",
    "bench_validate_small",
    "bench_galaxy",
    "bench_deploy",
    "bench_store_list",
    "bench_compile_scaling",
    "bench_compile_vs_im",
    "bench_app_inspect",
    "bench_app_deploy",
    "bench_tosca2",
    "bench_lsp",
]


def load_all() -> dict:
    """Benchmark name -> module."""
    modules = [importlib.import_module(f"benchmarks.{name}") for name in BENCHMARKS]
    return {module.NAME: module for module in modules}
