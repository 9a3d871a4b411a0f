"""``primage-tosca recipes ...``: Ansible Galaxy recipes from the command line.

    recipes list BLUEPRINT...          every recipe asked for, and where (file:line:col)
    recipes lock BLUEPRINT...          resolve online what the lock lacks; write recipes.lock
    recipes fetch [BLUEPRINT...]       download locked archives missing from the cache (sha256 checked)
    recipes verify [BLUEPRINT...]      check the cache against the lock (and the lock against blueprints)
    recipes requirements [-o FILE] [--from-cache] [BLUEPRINT...]
                                       a pinned requirements.yml for ansible-galaxy / IM

Only ``lock`` and ``fetch`` may use the network, and only for what the lock or
the cache lacks. Argument parsing and printing only: the work is in
:mod:`primage_tosca.galaxy.operations`. Exit codes: 0 success, 1 a recipe
problem (each printed with the command that fixes it), 2 usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .cli_common import (EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, add_inputs_options, add_loader_options,
                         options_from_args, parse_size)


def _size(text: str) -> int:
    return parse_size(text)


def add_commands(subparsers) -> argparse.ArgumentParser:
    """Add ``recipes`` and its subcommands to the top-level subparsers."""
    recipes = subparsers.add_parser(
        "recipes", help="lock, cache and export Ansible Galaxy recipes",
        description="Resolve, lock and cache the Ansible roles and collections blueprints need, and hand them "
                    "to IM and ansible-galaxy pinned. Offline once a lock exists: only `lock` (for what the "
                    "lock lacks) and `fetch` (for what the cache lacks) use the network.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = recipes.add_subparsers(dest="recipes_command", metavar="SUBCOMMAND", required=True)

    def common(parser: argparse.ArgumentParser, blueprints_required: bool) -> None:
        parser.add_argument("blueprints", nargs="+" if blueprints_required else "*", metavar="BLUEPRINT",
                            help="TOSCA or RADL files, or folders of them")
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")
        parser.add_argument("--lock", metavar="FILE", default=None,
                            help="the lock file (default: recipes.lock in the project folder)")
        parser.add_argument("--recipes-dir", metavar="DIR", default=None,
                            help="local roles (default: recipes/ in the project folder)")
        parser.add_argument("--cache-dir", metavar="DIR", default=None,
                            help="the archive cache (default: recipes/ under the data directory)")
        add_loader_options(parser)
        add_inputs_options(parser)
        parser.set_defaults(handler=handle)

    def network(parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("network")
        group.add_argument("--server", metavar="URL", default=None,
                           help="Galaxy server (default: $PRIMAGE_TOSCA_GALAXY_SERVER, else https://galaxy.ansible.com)")
        group.add_argument("--jobs", type=int, default=16, metavar="N", help="concurrent requests (default 16, max 64)")
        group.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                           help="read timeout per request (default 30)")
        group.add_argument("--connect-timeout", type=float, default=5.0, metavar="SECONDS",
                           help="connect timeout per request (default 5)")
        group.add_argument("--retries", type=int, default=2, metavar="N",
                           help="retries of a failed GET, with backoff (default 2)")
        group.add_argument("--max-archive-size", type=_size, default=None, metavar="SIZE",
                           help="largest archive downloaded (default 50MiB)")
        group.add_argument("--offline", action="store_true",
                           help="never use the network: what the lock or cache lacks is an error")

    listing = commands.add_parser("list", help="every recipe the blueprints ask for, with file:line:col")
    common(listing, True)

    lock = commands.add_parser("lock", help="resolve what the lock lacks (online) and write recipes.lock")
    common(lock, True)
    network(lock)
    lock.add_argument("--update", action="store_true", help="resolve every recipe again, ignoring the lock")
    lock.add_argument("--update-recipe", action="append", default=[], metavar="NAME",
                      help="resolve this recipe again (repeatable)")

    fetch = commands.add_parser("fetch", help="download locked archives the cache lacks, checking sha256")
    common(fetch, False)
    network(fetch)

    verify = commands.add_parser("verify", help="check the cache against the lock (no network)")
    common(verify, False)
    verify.add_argument("--max-archive-size", type=_size, default=None, metavar="SIZE",
                        help="largest archive accepted (default 50MiB)")

    requirements = commands.add_parser("requirements", help="write a pinned requirements.yml (no network)")
    common(requirements, False)
    requirements.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    requirements.add_argument("--from-cache", action="store_true",
                              help="point every source at the cached archive: installs with no network")
    return recipes


# -- helpers ----------------------------------------------------------------------------------------


def _cache(args):
    from .api import RecipeCache

    return RecipeCache(args.cache_dir) if args.cache_dir else RecipeCache()


def _settings(args):
    from .api import ARCHIVE_LIMITS as DEFAULT_LIMITS, ArchiveLimits
    from .api import HttpSettings
    from .api import ResolveSettings

    jobs = getattr(args, "jobs", 16)
    if jobs < 1 or jobs > 64:
        raise UsageError("--jobs must be between 1 and 64")
    http = HttpSettings(connect_timeout=getattr(args, "connect_timeout", 5.0), read_timeout=getattr(args, "timeout", 30.0),
                        retries=max(0, getattr(args, "retries", 2)), allow_http=bool(args.allow_http))
    cap = getattr(args, "max_archive_size", None)
    limits = ArchiveLimits(max_bytes=cap, max_unpacked=max(cap * 10, DEFAULT_LIMITS.max_unpacked)) if cap \
        else DEFAULT_LIMITS
    return ResolveSettings(server=getattr(args, "server", None), jobs=jobs, http=http, limits=limits,
                           offline=bool(getattr(args, "offline", False)))


def _recipes_dir(args) -> Path:
    from .api import default_recipes_dir

    return Path(args.recipes_dir) if args.recipes_dir else default_recipes_dir()


def _lock_path(args) -> Path:
    from .api import default_lock_path

    return Path(args.lock) if args.lock else default_lock_path()


def _collect(args):
    from .api import collect_recipes

    return collect_recipes(args.blueprints, options_from_args(args), _recipes_dir(args))


def _emit(args, data: dict, text: str) -> None:
    if args.json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    elif text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _key_text(key) -> str:
    return f"{key[0]} {key[1]}"


# -- the commands -------------------------------------------------------------------------------------


def cmd_list(args) -> int:
    from .api import LockError
    from .api import entry_for, load_lock

    collected = _collect(args)
    lock, lock_problem = None, None
    try:
        lock = load_lock(_lock_path(args), required=False)
    except LockError as exc:
        lock_problem = str(exc)
    rows, lines = [], []
    for request in collected.requests:
        locked = None
        if lock is not None:
            try:
                locked = entry_for(request.spec, lock).version or "locked"
            except LockError:
                locked = None
        row = request.as_dict() | {"locked": locked}
        rows.append(row)
        state = f"locked {locked}" if locked else ("not in the lock" if lock is not None else "")
        lines.append(f"{request.origin}: {request.spec.kind} {request.spec.raw}  ({request.via})"
                     + (f"  [{state}]" if state else ""))
    if collected.local_roles:
        lines.append(f"local roles ({len(collected.local_roles)}):")
        for role in collected.local_roles.values():
            extra = f" (uses {', '.join(role.local_dependencies)})" if role.local_dependencies else ""
            lines.append(f"  {role.name}  {role.path}{extra}")
    names = {(r.spec.kind, r.spec.name) for r in collected.requests}
    lines.append(f"{len(collected.requests)} request(s) for {len(names)} recipe(s) in {len(collected.files)} file(s)")
    for finding in collected.findings:
        lines.append(str(finding))
    if lock_problem:
        lines.append(f"warning: {lock_problem}")
    data = {"files": collected.files, "recipes": rows,
            "local_roles": [role.as_dict() for role in collected.local_roles.values()],
            "findings": [finding.as_dict() for finding in collected.findings],
            "lock": str(_lock_path(args)) if lock is not None else None, "ok": not collected.errors}
    _emit(args, data, "\n".join(lines))
    return EXIT_FAILED if collected.errors else EXIT_OK


def cmd_lock(args) -> int:
    from .api import lock_recipes

    update: Any = True if args.update else (args.update_recipe or False)
    result = lock_recipes(args.blueprints, options_from_args(args), lock_path=_lock_path(args),
                          recipes_dir=_recipes_dir(args), settings=_settings(args), cache=_cache(args), update=update)
    resolution = result.resolution
    lock = resolution.lock
    lines = [f"{'wrote' if result.written else 'unchanged:'} {result.path}: {len(lock)} recipe(s); "
             f"{len(resolution.added)} added, {len(resolution.changed)} changed, {len(resolution.removed)} removed, "
             f"{len(resolution.kept)} kept; {resolution.requests_made} network request(s) in "
             f"{resolution.seconds:.2f} s"]
    for key in resolution.added:
        lines.append(f"  + {_key_text(key)} {lock.entries[key].version or ''}".rstrip())
    for key in resolution.changed:
        lines.append(f"  ~ {_key_text(key)} {lock.entries[key].version or ''}".rstrip())
    for key in resolution.removed:
        lines.append(f"  - {_key_text(key)}")
    for finding in [*result.collected.warnings, *resolution.findings]:
        lines.append(str(finding))
    data = {"ok": True, "lock": str(result.path), "written": result.written,
            "added": [list(k) for k in resolution.added], "changed": [list(k) for k in resolution.changed],
            "removed": [list(k) for k in resolution.removed], "kept": [list(k) for k in resolution.kept],
            "requests": resolution.requests_made, "seconds": round(resolution.seconds, 3),
            "recipes": [entry.as_dict() for entry in lock.ordered()],
            "warnings": [f.as_dict() for f in [*result.collected.warnings, *resolution.findings]]}
    _emit(args, data, "\n".join(lines))
    return EXIT_OK


def _selected_keys(args, lock):
    if not args.blueprints:
        return None, None
    from .api import keys_for

    collected = _collect(args)
    return keys_for(lock, collected), collected


def cmd_fetch(args) -> int:
    from .api import fetch_recipes, read_lock

    lock = read_lock(_lock_path(args))
    keys, _ = _selected_keys(args, lock)
    cache = _cache(args)
    result = fetch_recipes(lock, cache=cache, settings=_settings(args), keys=keys)
    lines = [f"fetched {len(result.fetched)} archive(s), {len(result.present)} already cached ({cache.root})"]
    lines += [f"  + {entry.kind} {entry.label}" for entry in result.fetched]
    data = {"ok": True, "cache": str(cache.root), "fetched": [e.as_dict() for e in result.fetched],
            "present": [e.as_dict() for e in result.present], "requests": result.requests_made}
    _emit(args, data, "\n".join(lines))
    return EXIT_OK


def cmd_verify(args) -> int:
    from .api import collect_recipes, read_lock, verify_recipes

    lock = read_lock(_lock_path(args))
    collected = collect_recipes(args.blueprints, options_from_args(args), _recipes_dir(args)) \
        if args.blueprints else None
    result = verify_recipes(lock, cache=_cache(args), collected=collected, settings=_settings(args))
    lines = []
    for item in result.items:
        lines.append(f"{item.status:<8} {item.entry.kind} {item.entry.label}" + (f"  ({item.detail})" if item.detail else ""))
    for stale in result.stale:
        lines.append(f"stale    {stale}")
    for entry in result.unused:
        lines.append(f"unused   {entry.kind} {entry.label} (no blueprint given asks for it)")
    bad = [item for item in result.items if item.status != "ok"]
    lines.append(f"{'OK' if result.ok else 'FAILED'}: {len(result.items) - len(bad)} of {len(result.items)} "
                 f"archive(s) verified" + (f"; {len(result.stale)} request(s) not in the lock" if result.stale else ""))
    data = {"ok": result.ok, "lock": str(lock.path),
            "recipes": [{"name": i.entry.name, "kind": i.entry.kind, "version": i.entry.version,
                         "sha256": i.entry.sha256, "status": i.status, "detail": i.detail} for i in result.items],
            "stale": [exc.as_dict() for exc in result.stale],
            "unused": [[e.kind, e.name] for e in result.unused]}
    _emit(args, data, "\n".join(lines))
    return EXIT_OK if result.ok else EXIT_FAILED


def cmd_requirements(args) -> int:
    from .api import read_lock, write_requirements

    lock = read_lock(_lock_path(args))
    keys, _ = _selected_keys(args, lock)
    text = write_requirements(lock, keys=keys, from_cache=args.from_cache, cache=_cache(args))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    import yaml

    data = yaml.safe_load(text) or {}
    if args.json:
        _emit(args, {"ok": True, "output": args.output, "from_cache": args.from_cache, "requirements": data}, "")
    elif args.output:
        count = sum(len(v) for v in data.values() if isinstance(v, list))
        sys.stdout.write(f"wrote {args.output}: {count} pinned requirement(s)\n")
    else:
        sys.stdout.write(text)
    return EXIT_OK


HANDLERS = {"list": cmd_list, "lock": cmd_lock, "fetch": cmd_fetch, "verify": cmd_verify,
            "requirements": cmd_requirements}


def handle(args) -> int:
    """Run one ``recipes`` subcommand; a RecipeError is printed (with its
    fix) and exits 1, as JSON too with --json."""
    from .api import RecipeError

    try:
        return HANDLERS[args.recipes_command](args)
    except RecipeError as exc:
        print(f"primage-tosca recipes {args.recipes_command}: error: {exc}", file=sys.stderr)
        if args.json:
            sys.stdout.write(json.dumps({"ok": False, **exc.as_dict()}, indent=2, default=str) + "\n")
        return EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    """``python -m primage_tosca.cli_recipes recipes ...``: the same commands
    before (or without) the top-level CLI wiring them in."""
    parser = argparse.ArgumentParser(prog="primage-tosca")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except UsageError as exc:
        print(f"primage-tosca recipes: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
