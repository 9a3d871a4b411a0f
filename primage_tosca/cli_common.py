"""What every command-line module shares: exit codes, the usage error, the
loading and inputs options, and printing. The command modules (cli.py and
cli_*.py) import this module and :mod:`primage_tosca.api`, never each other."""

from __future__ import annotations

import argparse
import glob
import math
import os
import sys
from pathlib import Path

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


STDIN = "-"  # the path argument that means standard input
STDIN_NAME = "<stdin>"  # how findings name a template read from standard input


def read_stdin_template(paths: list[str], options) -> list[str]:
    """Standard input's bytes, held in ``options.overlay`` as a file named
    ``<stdin>`` in the current folder (relative imports start there); the
    paths with ``-`` replaced by that name."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise UsageError("- names standard input, and there is none to read")
    limit = options.limits.max_bytes
    try:
        raw = stream.read(limit + 1)  # one byte over: the reader reports the file as too large
    except OSError as exc:
        raise UsageError(f"cannot read standard input: {exc.strerror or exc}") from None
    options.overlay[os.path.realpath(STDIN_NAME)] = raw
    return [STDIN_NAME if path == STDIN else path for path in paths]


def settings_from_args(args: argparse.Namespace):
    """RuleSettings from the rule flags and the config file; unknown names are usage errors."""
    from .api import RuleSettingsError, rule_settings

    try:
        return rule_settings(ignore=split_words(args.ignore), only=split_words(args.only),
                             checks=["toscaparser"] if args.toscaparser else [],
                             show_library_findings=args.show_library_findings)
    except RuleSettingsError as exc:
        raise UsageError(str(exc)) from None


def split_words(values: list[str]) -> list[str]:
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


def positive_int(most: int):
    """An argparse type: a whole number from 1 to ``most``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not 1 <= value <= most:
            raise argparse.ArgumentTypeError(f"{text} is out of range: give 1 to {most:,}")
        return value
    return parse


def seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds above zero")
    return value


def loader_kwargs(args: argparse.Namespace) -> dict:
    """The loading flags as given (unset ones None), for calls that remember them."""
    return {"import_map": list(args.import_map) or None, "roots": list(args.root) or None, "online": args.online,
            "allow_outside_roots": args.allow_outside_roots or None, "allow_file_urls": args.allow_file_urls or None,
            "allow_http": args.allow_http or None, "max_file_size": args.max_file_size}


def inputs_from_args(args: argparse.Namespace):
    """The --inputs files and -i values, read under --max-file-size; malformed ones are usage errors."""
    from .api import InputsError, collect_inputs

    try:
        return collect_inputs(getattr(args, "inputs", []), getattr(args, "assignments", []),
                              max_bytes=getattr(args, "max_file_size", None))
    except InputsError as exc:
        raise UsageError(str(exc)) from None


def templates_of(args: argparse.Namespace) -> list[str]:
    """The template paths a command was given, whatever its argument is called."""
    for name in ("paths", "blueprints"):
        if getattr(args, name, None):
            return list(getattr(args, name))
    single = getattr(args, "blueprint", None)
    return [single] if single else []


def options_from_args(args: argparse.Namespace):
    """LoadOptions from the shared flags; malformed inputs or maps are usage errors."""
    from .api import ConfigError, ImportMapError, load_options

    inputs = inputs_from_args(args)
    try:
        settings = {k: v for k, v in loader_kwargs(args).items() if v is not None}
        return load_options(inputs=inputs, templates=templates_of(args), **settings)
    except (ImportMapError, ConfigError) as exc:
        raise UsageError(str(exc)) from None


def refuse_overwriting_inputs(destinations, args: argparse.Namespace) -> None:
    """A usage error when an output would replace a file the command reads:
    a template (named, matched by a glob, or under a named folder), an inputs
    file or an import map."""
    read = [Path(p) for p in templates_of(args)] + [Path(p) for p in getattr(args, "inputs", [])]
    read += [Path(p) for p in getattr(args, "import_map", [])]
    read += [Path(match) for p in templates_of(args) for match in glob.glob(str(p), recursive=True)]
    for destination in destinations:
        target = Path(destination)
        if not target.exists():
            continue
        for source in read:
            if _same_file(target, source) or (source.is_dir() and target.suffix.lower() in (".yaml", ".yml")
                                              and source.resolve() in target.resolve().parents):
                raise UsageError(f"-o {destination} would overwrite an input ({source}): write the output elsewhere")


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def use_color(stream, choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def write_output(text: str, destination: str | None) -> None:
    if not destination:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        return
    write_file(destination, text if text.endswith("\n") or not text else text + "\n")


def write_file(destination: str | os.PathLike, content: str | bytes) -> None:
    """Write an output file; a missing folder or a refused write is a usage error, not a traceback."""
    target = Path(destination)
    if not target.parent.is_dir():
        raise UsageError(f"cannot write {destination}: the folder {target.parent} does not exist")
    try:
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {destination}: {exc.strerror or exc}") from None


def print_diagnostics(results, color_choice: str) -> None:
    """Compile results' diagnostics on stderr, in validate's text format."""
    from .api import Report, render

    diagnostics = [d for r in results for d in r.diagnostics]
    if not diagnostics:
        return
    report = Report([r.file for r in results], diagnostics)
    text = render(report, "text", color=use_color(sys.stderr, color_choice))
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
