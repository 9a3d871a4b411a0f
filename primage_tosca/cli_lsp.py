"""``primage-tosca lsp``: the language server for editors, on stdin and stdout.

It takes the loading and rule flags of ``validate`` (an editor may also send
them as initialization options); the config file nearest each open document
applies as it does for ``validate``. Argument parsing only: the server is in
:mod:`primage_tosca.lsp`.
"""

from __future__ import annotations

import argparse

from .cli_common import EXIT_OK, add_loader_options, add_rule_options, loader_kwargs, \
    settings_from_args, split_words


def cmd_lsp(args: argparse.Namespace) -> int:
    from .api import serve_language_server

    settings_from_args(args)  # an unknown rule id is a usage error now, not a finding on every document
    loader = {k: v for k, v in loader_kwargs(args).items() if v is not None}
    serve_language_server(loader=loader, ignore=tuple(split_words(args.ignore)), only=tuple(split_words(args.only)),
                          checks=("toscaparser",) if args.toscaparser else (),
                          show_library_findings=args.show_library_findings)
    return EXIT_OK


def add_commands(subparsers) -> argparse.ArgumentParser:
    """Add ``lsp`` to the top-level subparsers."""
    parser = subparsers.add_parser(
        "lsp", help="the TOSCA language server for editors (stdio): findings as you type, hover, completion",
        description="Serve the language server protocol on stdin and stdout, for editors: the findings of "
                    "`validate` as you type, hover, go to definition, references, completion, quick "
                    "fixes and the outline. "
                    "See docs/editor.md for editor set-up.")
    parser.add_argument("--stdio", action="store_true",
                        help="speak over stdin and stdout (the default and only transport)")
    add_loader_options(parser)
    add_rule_options(parser)
    parser.set_defaults(handler=cmd_lsp)
    return parser
