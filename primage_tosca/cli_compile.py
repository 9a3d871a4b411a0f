"""The ``compile`` and ``graph`` commands: parsing and printing only; the
work is :func:`primage_tosca.emit.compile_results` and
:func:`primage_tosca.emit.graph.render_graph`.

``cli.build_parser`` wires them in with :func:`add_commands`. Diagnostics go
to stderr in validate's text format, so stdout carries only the RADL or the
graph.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .api import GRAPH_FORMATS as FORMATS
from .api import GRAPH_IMAGE_FORMATS as IMAGE_FORMATS
from .api import TARGETS
from .cli_common import (EXIT_FAILED, EXIT_OK, UsageError, add_inputs_options, add_loader_options, add_rule_options,
                         options_from_args, print_diagnostics, refuse_overwriting_inputs, settings_from_args,
                         write_file)


def add_commands(subparsers) -> None:
    """Add ``compile`` and ``graph`` to the CLI's subcommands."""
    compile_parser = subparsers.add_parser(
        "compile", help="compile templates to RADL for the Infrastructure Manager",
        description="Compile TOSCA templates to RADL, as IM's own converter maps them. Refuses (exit 1) "
                    "when a template has errors; warnings (what RADL cannot express) go to stderr.")
    compile_parser.add_argument("blueprints", nargs="+", metavar="BLUEPRINT", help="template files")
    compile_parser.add_argument("--to", choices=TARGETS, default="radl",
                                help="target: radl (IM), k8s (Kubernetes manifests of PRIMAGE applications) or "
                                     "ec3 (an EC3 template of a PRIMAGE cluster); default radl")
    compile_parser.add_argument("--include-secrets", action="store_true",
                                help="k8s: write the supplied secret values into the Secret manifests instead of "
                                     "placeholders (keep that output out of version control)")
    compile_parser.add_argument("-o", "--output", metavar="FILE_OR_DIR",
                                help="write to FILE; with several blueprints (or an existing folder) one "
                                     "<name>.radl per blueprint in that folder")
    compile_parser.add_argument("--no-contextualize", action="store_true",
                                help="write an empty `contextualize ()`: IM then runs no Ansible")
    compile_parser.add_argument("--no-validate", action="store_true",
                                help="skip the template checks; what stops reading a template, and the "
                                     "compiler's own errors, still stop it")
    compile_parser.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                                help="colour the diagnostics")
    add_loader_options(compile_parser)
    add_inputs_options(compile_parser)
    add_rule_options(compile_parser)
    compile_parser.set_defaults(handler=cmd_compile)

    graph_parser = subparsers.add_parser(
        "graph", help="draw a template's node graph (json, dot, mermaid, svg, png)",
        description="The node templates and their requirements as a graph.")
    graph_parser.add_argument("blueprint", metavar="BLUEPRINT")
    graph_parser.add_argument("-f", "--format", choices=FORMATS, default="dot")
    graph_parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    add_loader_options(graph_parser)
    add_inputs_options(graph_parser)
    graph_parser.set_defaults(handler=cmd_graph)


# -- compile ----------------------------------------------------------------------------------

def cmd_compile(args: argparse.Namespace) -> int:
    from .api import compile_results

    options = options_from_args(args)
    destinations = output_paths(args.blueprints, args.output, SUFFIXES.get(args.to, ".radl"))  # usage errors first
    refuse_overwriting_inputs(destinations or [], args)
    results = compile_results(args.blueprints, args.to, options=options, include_secrets=args.include_secrets,
                              contextualize=not args.no_contextualize, validate=not args.no_validate,
                              settings=settings_from_args(args))
    print_diagnostics(results, args.color)
    if not all(r.ok for r in results):
        failed = sum(1 for r in results if not r.ok)
        print(f"primage-tosca compile: {failed} of {len(results)} blueprint(s) have errors; nothing written",
              file=sys.stderr)
        return EXIT_FAILED
    if args.to == "ec3":
        from .api import launch_command

        for result, destination in zip(results, destinations or [None] * len(results)):
            print(launch_command(result, destination), file=sys.stderr)
    if destinations is None:
        sys.stdout.write(results[0].text or "")
        return EXIT_OK
    try:
        for result, destination in zip(results, destinations):
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(result.text or "", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename}: {exc.strerror}") from None
    return EXIT_OK


SUFFIXES = {"radl": ".radl", "k8s": ".yaml", "ec3": ".radl"}


def output_paths(blueprints: list[str], output: str | None, suffix: str = ".radl") -> list[Path] | None:
    """Where each RADL goes; None for stdout (one blueprint, no -o)."""

    if output is None:
        if len(blueprints) > 1:
            raise UsageError("several blueprints need -o DIR (one .radl each)")
        return None
    target = Path(output)
    if len(blueprints) == 1 and not target.is_dir():
        return [target]
    if target.exists() and not target.is_dir():
        raise UsageError(f"-o {output}: several blueprints need a folder, and this is a file")
    paths, used = [], set()
    for blueprint in blueprints:
        stem = Path(blueprint).stem or "blueprint"
        name, number = f"{stem}{suffix}", 2
        while name in used:  # two blueprints with one name from different folders
            name, number = f"{stem}-{number}{suffix}", number + 1
        used.add(name)
        paths.append(target / name)
    return paths


# -- graph ------------------------------------------------------------------------------------

def cmd_graph(args: argparse.Namespace) -> int:
    from .api import GraphvizMissing, render_graph
    from .api import load

    options = options_from_args(args)
    if args.output:
        refuse_overwriting_inputs([args.output], args)
    topology = load(args.blueprint, options=options)
    from .api import CompileResult, written_paths

    found = written_paths(topology.diagnostics, topology.template)  # a TOSCA 2.0 template's own paths
    print_diagnostics([CompileResult(topology.file, None, found)], "auto")  # cycles, say
    if not topology.template.sources.root.ok:
        return EXIT_FAILED
    try:
        rendered = render_graph(topology, args.format)
    except GraphvizMissing as exc:
        print(f"primage-tosca graph: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ValueError as exc:
        print(f"primage-tosca graph: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.output:
        write_file(args.output, rendered)
    elif isinstance(rendered, bytes):
        if args.format in IMAGE_FORMATS and sys.stdout.isatty():
            raise UsageError(f"--format {args.format} is binary: write it with -o FILE")
        sys.stdout.buffer.write(rendered)
    else:
        sys.stdout.write(rendered)
    return EXIT_OK


__all__ = ["add_commands", "cmd_compile", "cmd_graph", "output_paths", "print_diagnostics"]
