"""Command line: argument parsing and printing only. Every command calls the public API.

Exit codes: 0 success (no errors), 1 the templates have errors (or warnings
with --strict) or an operation failed, 2 usage error (bad flags, unreadable
inputs file or import map).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import Any, Sequence

from . import __version__
from .cli_common import (EXIT_FAILED, EXIT_OK, EXIT_USAGE, STDIN, UsageError, add_inputs_options,  # noqa: F401
                         add_loader_options, add_rule_options, options_from_args, parse_size,
                         read_stdin_template, refuse_overwriting_inputs, settings_from_args, use_color,
                         write_output)

# -- commands -----------------------------------------------------------------------

def cmd_validate(args: argparse.Namespace) -> int:
    from .api import render, validate

    options = options_from_args(args)
    if not args.paths:
        raise UsageError("validate needs at least one file, directory or glob")
    if STDIN in args.paths:
        args.paths = read_stdin_template(args.paths, options)
    if args.output:
        refuse_overwriting_inputs([args.output], args)
    report = validate(args.paths, options=options, only_tosca=args.only_tosca, settings=settings_from_args(args))
    color = use_color(sys.stdout, args.color) and args.output is None and args.format == "text"
    write_output(render(report, args.format, color=color), args.output)
    return report.exit_code(strict=args.strict)


def cmd_types(args: argparse.Namespace) -> int:
    from .api import Fetcher, UrlCache, pull_types

    cache = UrlCache()
    if args.types_command == "list":
        for meta in sorted(cache.entries(), key=lambda m: m.get("url", "")):
            print(f"{meta.get('url')}  {meta.get('size', '?')} bytes  fetched {meta.get('fetched', '?')}")
        return EXIT_OK
    if args.types_command == "builtin":
        return print_builtin_types()
    fetcher = Fetcher(timeout=args.timeout, max_bytes=args.max_file_size or Fetcher.max_bytes)
    failed = 0
    for pulled in pull_types(args.urls, cache, fetcher):
        via = f" (imported by {pulled.imported_by})" if pulled.imported_by else ""
        if pulled.error:
            print(f"error: {pulled.error}{via}", file=sys.stderr)
            failed += 1
        elif pulled.builtin:
            print(f"{pulled.url}: served by primage_tosca itself, not fetched{via}")
        else:
            print(f"{pulled.url} -> {pulled.path}{via}")
    return EXIT_FAILED if failed else EXIT_OK


def print_builtin_types() -> int:
    from .api import BUILTIN_PROFILES, PROFILE_ALIASES, builtin_urls

    print("URL prefixes served from the package:")
    for prefix, folder in builtin_urls().items():
        print(f"  {prefix}  ->  {folder}")
    print("TOSCA 2.0 profile names:")
    for name, url in BUILTIN_PROFILES.items():
        print(f"  {name}  ->  {url}")
    for alias, name in PROFILE_ALIASES.items():
        print(f"  {alias}  ->  {name}")
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    if args.markdown:
        from .api import rules_markdown

        sys.stdout.write(rules_markdown())
        return EXIT_OK
    from .api import RULES

    for rule in RULES.values():
        print(f"{rule.id}  {rule.severity.value:<7}  {rule.name:<28} {rule.summary}")
    return EXIT_OK


# -- parser ---------------------------------------------------------------------------

def _terminal_columns() -> int:
    """The terminal's width, as shutil.get_terminal_size gives it (which argparse
    would load shutil for, and with it bz2 and lzma, on every run)."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80


class CommandListFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps every command's help on one line. argparse measures command names
    at one indent and prints them at a deeper one, so a long name such as
    'reconfigure' would otherwise push its help onto the next line."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=max(100, _terminal_columns()))

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        self._action_max_length = max(self._action_max_length, 18)


class TerminalWidthFormatter(argparse.HelpFormatter):
    """argparse's own help layout, as wide as the terminal."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_terminal_columns() - 2)  # argparse's own margin


class Parser(argparse.ArgumentParser):
    """An argparse parser (its subcommands' parsers too) whose help formatter
    measures the terminal itself."""

    def __init__(self, *args, formatter_class: type = TerminalWidthFormatter, **kwargs) -> None:
        super().__init__(*args, formatter_class=formatter_class, **kwargs)


def add_types_command(commands: Any) -> None:
    """The ``types`` command and its subcommands."""
    types = commands.add_parser("types", help="fetch URL-imported type libraries into the local cache",
                                description="The offline cache of URL imports (under the data directory), and "
                                            "the type libraries built into the package.")
    types_commands = types.add_subparsers(dest="types_command", metavar="SUBCOMMAND", required=True)
    pull = types_commands.add_parser("pull", help="download URLs, and what they import, into the cache (https only)")
    pull.add_argument("urls", nargs="+", metavar="URL")
    pull.add_argument("--timeout", type=float, default=20.0, help="seconds per request (default 20)")
    pull.add_argument("--max-file-size", type=parse_size, default=None, metavar="SIZE")
    types_commands.add_parser("list", help="list the cached URLs")
    types_commands.add_parser("builtin", help="list the URLs and profile names served from the package itself")
    types.set_defaults(handler=cmd_types)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``command``, only that command's parser is built
    (and its module loaded): a run pays for no other."""
    parser = Parser(
        prog="primage-tosca",
        description="Validate, compile and deploy TOSCA application templates on research clouds.",
        formatter_class=CommandListFormatter,
        epilog="Run `primage-tosca COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"primage-tosca {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    validate = commands.add_parser("validate", help="check templates; report every problem with file, line, column",
                                   description="Check TOSCA templates and report every problem at once.")
    validate.add_argument("paths", nargs="*", metavar="PATH",
                          help="files, directories (recursive) or globs; - reads a template from standard input")
    validate.add_argument("-f", "--format", choices=["text", "json", "sarif", "github"], default="text")
    validate.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    validate.add_argument("--strict", action="store_true", help="warnings fail the run too (exit 1)")
    validate.add_argument("--only-tosca", action="store_true",
                          help="skip named files that do not declare tosca_definitions_version (for pre-commit)")
    validate.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                          help="colour text output (auto: only on a terminal, and not when NO_COLOR is set)")
    add_loader_options(validate)
    add_inputs_options(validate)
    add_rule_options(validate)
    validate.set_defaults(handler=cmd_validate)

    if wanted(command, ("types",)):
        add_types_command(commands)
    if wanted(command, ("rules",)):
        rules = commands.add_parser("rules", help="list the rule catalogue (ids, severities, summaries)")
        rules.add_argument("--markdown", action="store_true", help="print docs/rules.md")
        rules.set_defaults(handler=cmd_rules)

    # The other commands' modules are imported only when their command runs
    # (or for the full help): a validate run starts without them.
    if wanted(command, COMPILE_COMMANDS):
        from .cli_compile import add_commands as add_compile_commands
        add_compile_commands(commands)
    if wanted(command, LIFECYCLE_COMMANDS):
        from .cli_lifecycle import add_commands as add_lifecycle_commands
        add_lifecycle_commands(commands)
    if wanted(command, RECIPES_COMMANDS):
        from .cli_recipes import add_commands as add_recipes_commands
        add_recipes_commands(commands)
    if wanted(command, LSP_COMMANDS):
        from .cli_lsp import add_commands as add_lsp_commands
        add_lsp_commands(commands)
    return parser


# The commands each command-line module adds (tests check these against the modules).
COMPILE_COMMANDS = ("compile", "graph")
LIFECYCLE_COMMANDS = ("deploy", "list", "inspect", "outputs", "logs", "wait", "undeploy", "reconfigure", "local-im")
RECIPES_COMMANDS = ("recipes",)
LSP_COMMANDS = ("lsp",)
OWN_COMMANDS = ("validate", "types", "rules")


def wanted(command: str | None, names: tuple[str, ...]) -> bool:
    return command is None or command in names


def command_of(argv: Sequence[str]) -> str | None:
    """The command a run names, when it names a known one first; else None (every command is built)."""
    known = OWN_COMMANDS + COMPILE_COMMANDS + LIFECYCLE_COMMANDS + RECIPES_COMMANDS + LSP_COMMANDS
    return argv[0] if argv and argv[0] in known else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_of(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args)
    except UsageError as exc:
        print(f"primage-tosca {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. piped into head
        return EXIT_OK


def run() -> int:
    """The console script and ``python -m primage_tosca``: :func:`main`, then
    the process ends. The objects a run made are handed to the permanent
    generation first, so the interpreter's last collection does not walk them
    all (seconds after a 10,000-node compile) only to find nothing to free."""
    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(run())
