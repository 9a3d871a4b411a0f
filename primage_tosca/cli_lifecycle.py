"""The deployment commands (deploy, list, inspect, outputs, logs, wait,
reconfigure, undeploy) and ``local-im``: parsing and printing only; the work
is :mod:`primage_tosca.lifecycle`. ``--json`` on every read command.
Secrets never print: credentials are shown by id and type, secret inputs as ***.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Callable

from .cli_common import (EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_inputs_options, add_loader_options, inputs_from_args,
                         loader_kwargs, positive_int, print_diagnostics, seconds)


def _im_url(text: str) -> str:
    from .api import BadArgument, check_im_url

    try:
        return check_im_url(text)
    except BadArgument as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--im-url: ")) from None


def _name(text: str) -> str:
    from .api import check_name

    try:
        return check_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _connection(parser: argparse.ArgumentParser, url: bool = False) -> None:
    group = parser.add_argument_group("IM")
    if url:
        group.add_argument("--im-url", metavar="URL", type=_im_url,
                           help="IM REST endpoint, http(s)://HOST[:PORT][/PATH] (default $PRIMAGE_TOSCA_IM_URL, "
                                "else the local IM)")
    group.add_argument("--auth", metavar="FILE", help="IM auth file (default $PRIMAGE_TOSCA_IM_AUTH; a token in "
                                                      "$PRIMAGE_TOSCA_IM_TOKEN is added to the IM credential)")
    group.add_argument("--insecure", action="store_true", help="do not verify IM's TLS certificate")


def add_commands(subparsers) -> None:
    deploy = subparsers.add_parser("deploy", help="compile a blueprint and deploy it through IM",
                                   description="Compile, record, submit to IM and (by default) wait until configured.")
    deploy.add_argument("blueprint", metavar="BLUEPRINT")
    deploy.add_argument("--name", type=_name, help="a name for the deployment: 1 to 128 characters, no control "
                                                   "characters (default: the blueprint's file name)")
    deploy.add_argument("--replace", action="store_true",
                        help="if a deployment holds the name, undeploy it first (else the name is refused)")
    deploy.add_argument("--as", dest="kind", choices=["radl", "tosca"], default="radl",
                        help="send the compiled RADL (default) or the TOSCA template to IM's own converter")
    deploy.add_argument("--wait", action=argparse.BooleanOptionalAction, default=True,
                        help="wait until configured (default) or return once submitted")
    deploy.add_argument("--timeout", type=seconds, default=1800.0, metavar="S", help="seconds to wait (default 1800)")
    deploy.add_argument("--no-contextualize", action="store_true",
                        help="empty contextualize () (for --as tosca: no interfaces): IM runs no Ansible; "
                             "remembered for reconfigure")
    deploy.add_argument("--json", action="store_true")
    _connection(deploy, url=True)
    add_loader_options(deploy)
    add_inputs_options(deploy)
    deploy.set_defaults(handler=cmd_deploy)

    listing = subparsers.add_parser("list", help="the deployments in the local store, newest first")
    listing.add_argument("--limit", type=positive_int(10_000), default=50, help="page size, 1 to 10000 (default 50)")
    listing.add_argument("--page", type=positive_int(10 ** 9), default=1, help="page number, from 1")
    listing.add_argument("--state", help="only deployments in this state")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)

    for name, help_text, handler in (
            ("inspect", "state, VMs and addresses, last contextualization messages", cmd_inspect),
            ("outputs", "the blueprint's outputs, resolved", cmd_outputs),
            ("logs", "IM's contextualization messages", cmd_logs),
            ("wait", "wait until the deployment is configured", cmd_wait),
            ("undeploy", "destroy the deployment (already gone is fine)", cmd_undeploy)):
        command = subparsers.add_parser(name, help=help_text)
        command.add_argument("reference", metavar="ID", help="local id, name, or IM infrastructure id")
        if name == "wait":
            command.add_argument("--timeout", type=seconds, default=1800.0, metavar="S")
        if name != "logs":
            command.add_argument("--json", action="store_true")
        _connection(command)
        command.set_defaults(handler=handler)

    reconf = subparsers.add_parser("reconfigure", help="apply a changed blueprint or inputs to a deployment",
                                   description="Recompile, print the plan (nodes added, removed, scaled, recipes "
                                               "changed) and apply it.")
    reconf.add_argument("reference", metavar="ID")
    reconf.add_argument("blueprint", nargs="?", metavar="BLUEPRINT", help="default: the deployed blueprint")
    reconf.add_argument("--dry-run", action="store_true", help="print the plan only")
    reconf.add_argument("--contextualize", action=argparse.BooleanOptionalAction, default=None,
                        help="IM runs the recipes (default: as the deployment was made)")
    reconf.add_argument("--replace-vms", action="store_true",
                        help="apply VM size and image changes by replacing the nodes' VMs (IM does not change a "
                             "running VM)")
    reconf.add_argument("--wait", action=argparse.BooleanOptionalAction, default=True)
    reconf.add_argument("--timeout", type=seconds, default=1800.0, metavar="S")
    reconf.add_argument("--json", action="store_true")
    _connection(reconf)
    add_loader_options(reconf)
    add_inputs_options(reconf)
    reconf.set_defaults(handler=cmd_reconfigure)

    local = subparsers.add_parser("local-im", help="a local IM server (Dummy cloud, 127.0.0.1) for when none is set",
                                  description="Run IM 2.0.0 on 127.0.0.1 with the Dummy cloud; its data live under "
                                              "the data directory. Needs the `im` extra or $PRIMAGE_TOSCA_IM_PYTHON.")
    local.add_argument("action", choices=["start", "stop", "status"])
    local.add_argument("--port", type=positive_int(65535), help="port to listen on (default: a free one)")
    local.add_argument("--python", help="the python that runs IM (default $PRIMAGE_TOSCA_IM_PYTHON)")
    local.add_argument("--json", action="store_true")
    local.set_defaults(handler=cmd_local_im)


# -- helpers ------------------------------------------------------------------------------------

def _fail(command: str, exc: Exception) -> int:
    print(f"primage-tosca {command}: error: {exc}", file=sys.stderr)
    return EXIT_FAILED


def _guard(command: str, action: Callable[[], int]) -> int:
    from .api import AuthError, BadArgument, IMError
    from .api import LifecycleError, StoreError, WaitTimeout

    try:
        return action()
    except BadArgument as exc:
        print(f"primage-tosca {command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AuthError as exc:
        print(f"primage-tosca {command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LifecycleError as exc:
        if exc.diagnostics:
            from .api import CompileResult

            print_diagnostics([CompileResult(exc.diagnostics[0].file, None, exc.diagnostics)], "auto")
        return _fail(command, exc)
    except (IMError, StoreError, WaitTimeout) as exc:
        return _fail(command, exc)


def _progress(args) -> Callable[[dict], None] | None:
    if getattr(args, "json", False):
        return None
    from .api import Progress

    return Progress(sys.stderr).update


def _dump(data) -> None:
    print(json.dumps(data, indent=2, default=str))


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


def _shown(text) -> str:
    """Text from the store or IM, with control characters escaped."""
    from .api import printable

    return printable(text)


# -- commands ------------------------------------------------------------------------------------

def cmd_deploy(args: argparse.Namespace) -> int:
    from .api import deploy

    inputs = inputs_from_args(args)

    def run() -> int:
        record = deploy(args.blueprint, name=args.name, inputs=inputs, im_url=args.im_url, auth=args.auth,
                        kind=args.kind, wait=args.wait, timeout=args.timeout, contextualize=not args.no_contextualize,
                        insecure=args.insecure, replace=args.replace, progress=_progress(args),
                        notify=lambda note: print(note, file=sys.stderr), **loader_kwargs(args))
        if args.json:
            _dump(record.as_dict())
        else:
            print(f"{record.id}  {_shown(record.name)}  {record.state}  IM {record.im_url} "
                  f"infrastructure {record.infra_id}")
        return EXIT_OK if record.state in ("configured", "submitted", "pending", "running") else EXIT_FAILED
    return _guard("deploy", run)


def cmd_list(args: argparse.Namespace) -> int:
    from .api import list_deployments

    def run() -> int:
        records = list_deployments(limit=args.limit, offset=(max(args.page, 1) - 1) * args.limit, state=args.state)
        if args.json:
            _dump([r.summary() for r in records])
            return EXIT_OK
        if not records:
            print("no deployments")
        for r in records:
            print(f"{r.id}  {_shown(r.name):<24} {_shown(r.state):<12} {_when(r.created)}  {r.kind:<5} "
                  f"{_shown(r.infra_id or '-')}  {_shown(r.im_url)}")
        return EXIT_OK
    return _guard("list", run)


def cmd_inspect(args: argparse.Namespace) -> int:
    from .api import inspect

    def run() -> int:
        data = inspect(args.reference, auth=args.auth, insecure=args.insecure)
        if args.json:
            _dump(data)
            return EXIT_OK
        record = data["deployment"]
        print(f"deployment {record['id']} ({_shown(record['name'])}): {_shown(data['state'])}")
        if data.get("note"):
            print(f"  {_shown(data['note'])}")
        print(f"  IM {_shown(record['im_url'])}  infrastructure {_shown(record['infra_id'] or '-')}  "
              f"({record['kind']})")
        print(f"  blueprint {_shown(record['blueprint'])}  sha256 {str(record['blueprint_hash'])[:12]}")
        if record["inputs"]:
            print("  inputs: " + ", ".join(f"{_shown(k)}={_shown(v)}" for k, v in record["inputs"].items()))
        for vm in data["vms"]:
            addresses = ", ".join(f"{a['ip']}{' (public)' if a.get('public') else ''}" for a in vm.get("addresses", [])
                                  if a.get("ip"))
            print(f"  vm {_shown(vm['id'])}  {_shown(vm.get('node') or '?'):<16} {_shown(vm['state']):<12} "
                  f"{_shown(addresses)}")
        if data["contmsg"]:
            print("  last contextualization messages:")
            for line in data["contmsg"]:
                print(f"    {_shown(line)}")
        print("  history:")
        for entry in record["history"]:
            print(f"    {_when(entry['at'])}  {_shown(entry['state']):<12} {_shown(entry['detail'])}")
        return EXIT_OK
    return _guard("inspect", run)


def cmd_outputs(args: argparse.Namespace) -> int:
    from .api import outputs

    def run() -> int:
        data = outputs(args.reference, auth=args.auth, insecure=args.insecure)
        if args.json:
            _dump(data)
        else:
            for name, value in data.items():
                print(f"{name}: {value if not isinstance(value, (dict, list)) else json.dumps(value)}")
        return EXIT_OK
    return _guard("outputs", run)


def cmd_logs(args: argparse.Namespace) -> int:
    from .api import logs

    def run() -> int:
        text = logs(args.reference, auth=args.auth, insecure=args.insecure)
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        return EXIT_OK
    return _guard("logs", run)


def cmd_wait(args: argparse.Namespace) -> int:
    from .api import wait_deployment

    def run() -> int:
        state = wait_deployment(args.reference, auth=args.auth, insecure=args.insecure, timeout=args.timeout,
                                progress=_progress(args))
        if args.json:
            _dump(state)
        else:
            print(state["state"])
        return EXIT_OK if state["state"] == "configured" else EXIT_FAILED
    return _guard("wait", run)


def cmd_reconfigure(args: argparse.Namespace) -> int:
    from .api import reconfigure

    inputs = inputs_from_args(args)

    def run() -> int:
        result = reconfigure(args.reference, args.blueprint, inputs=inputs, dry_run=args.dry_run, auth=args.auth,
                             insecure=args.insecure, contextualize=args.contextualize, replace_vms=args.replace_vms,
                             wait=args.wait, timeout=args.timeout, progress=_progress(args), **loader_kwargs(args))
        done = EXIT_FAILED if result.not_applied else EXIT_OK  # the deployment does not match the blueprint
        if args.json:
            _dump({"plan": result.plan.as_dict(), "applied": result.applied, "actions": result.actions,
                   "not_applied": result.not_applied, "state": result.record.state})
            return done
        print("plan:")
        for line in result.plan.lines():
            print(f"  {line}")
        for action in result.actions:
            print(f"applied: {action}")
        for line in result.not_applied:
            print(f"not applied: {line}")
        if result.applied:
            print(f"{result.record.id}: {result.record.state}")
        elif args.dry_run:
            print("dry run: nothing applied")
        return done
    return _guard("reconfigure", run)


def cmd_undeploy(args: argparse.Namespace) -> int:
    from .api import undeploy

    def run() -> int:
        record = undeploy(args.reference, auth=args.auth, insecure=args.insecure)
        if args.json:
            _dump(record.summary())
        else:
            print(f"{record.id}: {record.state} ({_shown(record.history[-1]['detail']) if record.history else ''})")
        return EXIT_OK
    return _guard("undeploy", run)


def cmd_local_im(args: argparse.Namespace) -> int:
    from .api import LocalIM, LocalIMError

    server = LocalIM(python=args.python)
    try:
        if args.action == "start":
            status = server.start(args.port)
        elif args.action == "stop":
            stopped = server.stop()
            status = server.status()
            if not args.json:
                print("stopped" if stopped else "not running")
                return EXIT_OK
        else:
            status = server.status()
    except LocalIMError as exc:
        return _fail("local-im", exc)
    if args.json:
        _dump(vars(status))
    elif status.running:
        print(f"local IM running at {status.url} (pid {status.pid}, data in {status.directory})")
    else:
        print(f"local IM not running (data in {status.directory})")
    return EXIT_OK if status.running or args.action != "start" else EXIT_FAILED


__all__ = ["add_commands"]
