"""The deployment commands (deploy, list, inspect, outputs, logs, wait,
reconfigure, undeploy) and ``local-im``: parsing and printing only; the work
is :mod:`primage_tosca.lifecycle` (IM) and :mod:`primage_tosca.lifecycle.apps`
(applications on Kubernetes, ``deploy --to k8s``); the other commands find
which from the store. ``--json`` on every read command.
Secrets never print: credentials are shown by id and type, secret inputs as ***.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Callable

from .cli_common import (EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, add_inputs_options, add_loader_options,
                         inputs_from_args, loader_kwargs, options_from_args, positive_int, print_diagnostics, seconds)


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
    group.add_argument("--insecure", action="store_true",
                       help="do not verify the TLS certificate (IM's, or a Kubernetes API's)")


def _kube(parser: argparse.ArgumentParser, deploying: bool = False) -> None:
    group = parser.add_argument_group("Kubernetes (applications)")
    group.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig (default $KUBECONFIG, else ~/.kube/config; "
                                                            "later commands reuse the deploy's)")
    group.add_argument("--context", help="kubeconfig context (default: its current one)")
    if deploying:
        group.add_argument("--namespace", help="namespace (default: the context's, else default)")
        group.add_argument("--on", metavar="CLUSTER", help="the cluster deployed through IM with that id or name: "
                                                           "its outputs give the API endpoint")
        group.add_argument("--force-conflicts", action="store_true",
                           help="take over fields another field manager owns (server-side apply force)")


def add_commands(subparsers) -> None:
    deploy = subparsers.add_parser("deploy", help="deploy a blueprint through IM, or its applications on Kubernetes",
                                   description="Compile, record, submit to IM and (by default) wait until configured; "
                                               "with --to k8s, apply the applications' manifests on a cluster.")
    deploy.add_argument("blueprint", metavar="BLUEPRINT")
    deploy.add_argument("--to", dest="target", choices=["im", "k8s"], default="im",
                        help="im (default): infrastructure through IM; k8s: the applications on a Kubernetes cluster")
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
    _kube(deploy, deploying=True)
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
        if name == "undeploy":
            command.add_argument("--timeout", type=seconds, default=120.0, metavar="S",
                                 help="seconds to wait for a Kubernetes application's objects to go (default 120)")
        if name == "logs":
            command.add_argument("--index", type=int, metavar="I", help="the HTC job's input (completion index)")
            command.add_argument("--follow", "-f", action="store_true", help="stream until the container ends")
        else:
            command.add_argument("--json", action="store_true")
        if name == "outputs":
            command.add_argument("--download", metavar="DIR", help="fetch an application's results from the space "
                                                                  "into DIR (resumes, checks sizes)")
            add_inputs_options(command)
        _connection(command)
        _kube(command)
        command.set_defaults(handler=handler)

    reconf = subparsers.add_parser("reconfigure", help="apply a changed blueprint or inputs to a deployment",
                                   description="Recompile, print the plan (nodes added, removed, scaled, recipes "
                                               "changed) and apply it.")
    reconf.add_argument("reference", metavar="ID")
    reconf.add_argument("blueprint", nargs="?", metavar="BLUEPRINT", help="default: the deployed blueprint")
    reconf.add_argument("--dry-run", action="store_true", help="print the plan only")
    reconf.add_argument("--retry-failed", action="store_true",
                        help="run the failed inputs of an application's HTC job again (nothing else)")
    reconf.add_argument("--contextualize", action=argparse.BooleanOptionalAction, default=None,
                        help="IM runs the recipes (default: as the deployment was made)")
    reconf.add_argument("--replace-vms", action="store_true",
                        help="apply VM size and image changes by replacing the nodes' VMs (IM does not change a "
                             "running VM)")
    reconf.add_argument("--wait", action=argparse.BooleanOptionalAction, default=True)
    reconf.add_argument("--timeout", type=seconds, default=1800.0, metavar="S")
    reconf.add_argument("--json", action="store_true")
    _connection(reconf)
    _kube(reconf)
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
    from .api import AuthError, BadArgument, IMError, KubeError, OnedataError
    from .api import LifecycleError, StoreError, WaitTimeout

    try:
        return action()
    except (KubeError, OnedataError) as exc:
        return _fail(command, exc)
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

    if args.target == "k8s":
        options = options_from_args(args)
        return _guard("deploy", lambda: _deploy_app(args, options))
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
        if _is_app(args.reference):
            return _inspect_app(args)
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
        if _is_app(args.reference):
            return _outputs_app(args)
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
        if _is_app(args.reference):
            return _logs_app(args)
        if args.index is not None or args.follow:
            raise UsageError("--index and --follow are for applications on Kubernetes (deploy --to k8s)")
        text = logs(args.reference, auth=args.auth, insecure=args.insecure)
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        return EXIT_OK
    return _guard("logs", run)


def cmd_wait(args: argparse.Namespace) -> int:
    from .api import wait_deployment

    def run() -> int:
        if _is_app(args.reference):
            raise UsageError("wait is for IM deployments; inspect an application on Kubernetes to follow it")
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
        if _is_app(args.reference):
            return _reconfigure_app(args, options_from_args(args))
        if args.retry_failed:
            raise UsageError("--retry-failed is for applications on Kubernetes (deploy --to k8s)")
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
        if _is_app(args.reference):
            from .api import undeploy_app

            record = undeploy_app(args.reference, where=_where(args), timeout=args.timeout)
        else:
            record = undeploy(args.reference, auth=args.auth, insecure=args.insecure)
        if args.json:
            _dump(record.summary())
        else:
            print(f"{record.id}: {record.state} ({_shown(record.history[-1]['detail']) if record.history else ''})")
        return EXIT_OK
    return _guard("undeploy", run)


# -- applications on Kubernetes ------------------------------------------------------------------

def _is_app(reference: str) -> bool:
    from .api import find_deployment

    return find_deployment(reference).kind == "k8s"


def _where(args: argparse.Namespace):
    from .api import Where

    return Where(kubeconfig=args.kubeconfig, context=args.context, insecure=args.insecure)


def _deploy_app(args: argparse.Namespace, options) -> int:
    from .api import deploy_app

    record = deploy_app(args.blueprint, name=args.name, options=options, kubeconfig=args.kubeconfig,
                        context=args.context, namespace=args.namespace, on=args.on, insecure=args.insecure,
                        force=args.force_conflicts)
    if args.json:
        _dump(record.as_dict())
    else:
        print(f"{record.id}  {record.name}  {record.state}  Kubernetes {record.im_url}")
    return EXIT_OK


def _inspect_app(args: argparse.Namespace) -> int:
    from .api import inspect_app

    data = inspect_app(args.reference, where=_where(args))
    if args.json:
        _dump(data)
        return EXIT_OK
    record = data["deployment"]
    print(f"deployment {record['id']} ({record['name']}): {data['state']}")
    print(f"  Kubernetes {record['api_server']}  namespace {record['namespace']}"
          + (f"  context {record['context']}" if record.get("context") else "")
          + (f"  on cluster {record['cluster']}" if record.get("cluster") else ""))
    print(f"  blueprint {record['blueprint']}  sha256 {str(record['blueprint_hash'])[:12]}")
    if record["inputs"]:
        print("  inputs: " + ", ".join(f"{k}={_brief(v)}" for k, v in record["inputs"].items()))
    for app in data["applications"]:
        _print_app(app)
    print("  history:")
    for entry in record["history"]:
        print(f"    {_when(entry['at'])}  {entry['state']:<12} {entry['detail']}")
    return EXIT_OK


def _brief(value) -> str:
    text = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _print_app(app: dict) -> None:
    if app["kind"] == "notebook":
        extra = f", {app['reason']}" if app.get("reason") else ""
        print(f"  {app['name']} (notebook): {app['state']}, {app['restarts']} restart(s), {app.get('url') or '-'}"
              f"{extra}")
        return
    print(f"  {app['name']} (HTC job): {app['done']}/{app['total']} done, {app['running']} running, "
          f"{len(app['waiting'])} waiting, {len(app['failed'])} failed, {app['pending']} not started  [{app['state']}]")
    if app["missing"]:
        print(f"    gone from the cluster (deleted outside primage-tosca): {', '.join(app['missing'])}")
    for title, entries in (("failed", app["failed"]), ("waiting", app["waiting"])):
        if entries:
            print(f"    {title}:")
        for entry in entries:
            print(f"      {entry['index']:>5}  {entry['input']}  {entry['reason']}")


def _outputs_app(args: argparse.Namespace) -> int:
    from .api import TokenNeeded, app_outputs

    inputs = inputs_from_args(args)
    try:
        data = app_outputs(args.reference, inputs=inputs, download=args.download)
    except TokenNeeded:
        if not sys.stdin.isatty():
            raise
        import getpass

        data = app_outputs(args.reference, inputs=inputs, token=getpass.getpass("Onedata token: "),
                           download=args.download)
    if args.json:
        _dump(data)
        return EXIT_OK
    for name, value in data["outputs"].items():
        print(f"{name}: {value if not isinstance(value, (dict, list)) else json.dumps(value)}")
    for label, found in data["files"].items():
        print(f"{label}: {len(found['files'])} file(s) in {found['folder']}")
        for entry in found["files"]:
            print(f"  {entry['size']:>12}  {entry['path']}")
        if "downloaded_to" in found:
            print(f"  downloaded to {found['downloaded_to']} ({found['bytes_fetched']} bytes fetched now)")
    return EXIT_OK


def _logs_app(args: argparse.Namespace) -> int:
    from .api import app_logs

    for line in app_logs(args.reference, index=args.index, follow=args.follow, where=_where(args)):
        sys.stdout.write(line + "\n")
        if args.follow:
            sys.stdout.flush()
    return EXIT_OK


def _reconfigure_app(args: argparse.Namespace, options) -> int:
    from .api import reconfigure_app

    record, plan = reconfigure_app(args.reference, args.blueprint, options=options, dry_run=args.dry_run,
                                   retry_failed=args.retry_failed, where=_where(args))
    applied = not args.dry_run and not plan.empty
    if args.json:
        _dump({"plan": plan.as_dict(), "applied": applied, "state": record.state})
        return EXIT_OK
    print("plan:")
    for line in plan.lines or ["no change"]:
        print(f"  {line}")
    for change in plan.changes:
        print(f"    {change['kind']} {change['name']} {change['path']}: {_brief(change['before'])} -> "
              f"{_brief(change['after'])}")
    if applied:
        print(f"{record.id}: {record.state} ({record.history[-1]['detail'] if record.history else ''})")
    elif args.dry_run:
        print("dry run: nothing applied")
    return EXIT_OK


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
