"""What every command-line module shares: exit codes, the usage error, the
loading and inputs options, and printing. The command modules (cli.py and
cli_*.py) import this module and :mod:`primage_tosca.api`, never each other."""

from __future__ import annotations

import argparse
import os
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or unreadable inputs: exit 2 with the message."""


# -- shared option groups -------------------------------------------------------

def add_loader_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("loading and imports")
    group.add_argument("--import-map", action="append", default=[], metavar="FILE",
                       help="YAML/JSON map from URL prefix to local file or folder (repeatable; "
                            "also $PRIMAGE_TOSCA_IMPORT_MAP and the config file)")
    group.add_argument("--online", action="store_true", default=None,
                       help="allow fetching URL imports that are neither mapped nor cached (https only)")
    group.add_argument("--root", action="append", default=[], metavar="DIR",
                       help="folder local imports may read from (repeatable; default: the template's folder)")
    group.add_argument("--allow-outside-roots", action="store_true", help="let local imports leave the roots")
    group.add_argument("--allow-file-urls", action="store_true", help="allow file:// imports")
    group.add_argument("--allow-http", action="store_true", help="allow plain http:// fetches")
    group.add_argument("--max-file-size", type=parse_size, default=None, metavar="SIZE",
                       help="largest file read, e.g. 20MB (default 10MB)")


def add_rule_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("rules")
    group.add_argument("--ignore", action="append", default=[], metavar="RULE",
                       help="leave out findings of this rule (repeatable; also `ignore:` in the config file)")
    group.add_argument("--only", action="append", default=[], metavar="RULE",
                       help="report only this rule's findings (repeatable; also `only:` in the config file)")
    group.add_argument("--toscaparser", action="store_true",
                       help="also run tosca-parser, the parser IM runs, and report its verdict (PT800, PT801)")
    group.add_argument("--show-library-findings", action="store_true", default=None,
                       help="list each finding in type libraries imported by URL instead of one line per library")


def settings_from_args(args: argparse.Namespace):
    """RuleSettings from the rule flags and the config file; unknown names are usage errors."""
    from .api import RuleSettingsError, rule_settings

    try:
        return rule_settings(ignore=_split(args.ignore), only=_split(args.only),
                             checks=["toscaparser"] if args.toscaparser else [],
                             show_library_findings=args.show_library_findings)
    except RuleSettingsError as exc:
        raise UsageError(str(exc)) from None


def _split(values: list[str]) -> list[str]:
    """``--ignore PT402,PT700`` and ``--ignore PT402 --ignore PT700`` alike."""
    return [part for value in values for part in value.replace(",", " ").split()]


def add_inputs_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("inputs")
    group.add_argument("--inputs", action="append", default=[], metavar="FILE",
                       help="YAML file of input values (repeatable; later files win)")
    group.add_argument("-i", "--input", action="append", default=[], metavar="KEY=VALUE", dest="assignments",
                       help="one input value, read as YAML (repeatable; wins over --inputs)")


def parse_size(text: str) -> int:
    units = {"": 1, "b": 1, "kb": 1000, "k": 1000, "mb": 10**6, "m": 10**6, "gb": 10**9, "g": 10**9,
             "kib": 1024, "mib": 1024**2, "gib": 1024**3}
    number = text.strip().lower().rstrip()
    digits = number.rstrip("abcdefghijklmnopqrstuvwxyz").strip()
    unit = number[len(digits):].strip()
    try:
        value = float(digits)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 20MB)") from None
    if unit not in units or value <= 0:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 20MB)")
    return int(value * units[unit])


def options_from_args(args: argparse.Namespace):
    """LoadOptions from the shared flags; malformed inputs or maps are usage errors."""
    from .api import ConfigError, ImportMapError, InputsError, collect_inputs, load_options

    try:
        inputs = collect_inputs(getattr(args, "inputs", []), getattr(args, "assignments", []))
        return load_options(
            inputs=inputs, import_map=args.import_map, online=args.online, roots=args.root,
            allow_outside_roots=args.allow_outside_roots, allow_file_urls=args.allow_file_urls,
            allow_http=args.allow_http, max_file_size=args.max_file_size)
    except (InputsError, ImportMapError, ConfigError) as exc:
        raise UsageError(str(exc)) from None


def use_color(stream, choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def write_output(text: str, destination: str | None) -> None:
    if destination:
        with open(destination, "w", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") or not text else text + "\n")
    else:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")


def print_diagnostics(results, color_choice: str) -> None:
    """Compile results' diagnostics on stderr, in validate's text format."""
    from .api import Report, render

    diagnostics = [d for r in results for d in r.diagnostics]
    if not diagnostics:
        return
    report = Report([r.file for r in results], diagnostics)
    text = render(report, "text", color=use_color(sys.stderr, color_choice))
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
