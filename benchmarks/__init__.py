"""Benchmarks: every performance target of the project, measured beside its peer.

Run them all with ``python -m benchmarks.run`` from the repository root; the
command rewrites BENCHMARKS.md. A quick check that the harness works is
``python -m benchmarks.run --smoke`` (tiny sizes, never touches BENCHMARKS.md).

Adding a benchmark:

1. Write a module ``benchmarks/bench_<what>.py`` with a ``run(config)``
   function that returns a :class:`benchmarks.record.Result` (name, what is
   measured, the peer, our samples, the peer's samples, the target ratio,
   notes), or ``Result.skip(...)`` when the peer or the data is missing.
   Measure what users run: each side a whole process (our command line, or
   a short script of :mod:`benchmarks.sides`), timed from spawn to exit by
   :func:`benchmarks.isolate.time_pair` or :func:`benchmarks.isolate.time_jobs`.
2. List the module in :data:`benchmarks.registry.BENCHMARKS`.
"""
