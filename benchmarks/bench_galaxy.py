"""`recipes lock` of the 38 roles the INDIGO type library names, beside
`ansible-galaxy role install -r` of the same roles, both against one local
Galaxy server that answers every request after a fixed 50 ms.

Target (issue 6): our lock takes at most a third of ansible-galaxy's time
(ratio >= 3), same run, same server, same roles.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .isolate import Command, time_pair
from .paths import CORPUS, IMPORT_MAP, load_test_helper
from .record import Config, Result, median

NAME = "recipes-lock-indigo"
TARGET_RATIO = 3.0
DELAY_SECONDS = 0.05
SMOKE_ROLES = 4
LIBRARY = CORPUS / "indigo-tosca-types" / "custom_types.yaml"
# The one role of the library written as a git URL sits in a YAML comment
# (custom_types.yaml, tosca.nodes.indigo.LRMS.FrontEnd.Mesos); it is counted
# among the 38 as the brief counts it, and served as a git repository.
COMMENTED_GIT_ROLE = ("ansible-role-docker", "deep-dev")
MEASURES = ("`python -m primage_tosca recipes lock` of a blueprint naming the 38 distinct INDIGO roles "
            "(fresh lock and cache: every lookup, version list and archive fetched)")
PEER = "`ansible-galaxy role install -r requirements.yml -p DIR` of the same 38 roles and versions"


def _server_module():
    """The test suite's fake Galaxy (tests/galaxy_server.py)."""
    return load_test_helper("galaxy_server")


def indigo_roles() -> list[tuple[str, str | None]]:
    """(name, version) of every role the INDIGO library names, first
    version seen for each name (it pins indigo-dc.slurm twice), in order."""
    from primage_tosca.api import load_options
    from primage_tosca.galaxy.collect import collect

    collected = collect([LIBRARY], load_options(use_config=False, import_map=IMPORT_MAP))
    chosen: dict[str, str | None] = {}
    for request in collected.requests:
        if request.spec.kind == "role" and request.spec.source == "galaxy":
            chosen.setdefault(request.spec.name, request.spec.version)
    return list(chosen.items())


def ansible_galaxy() -> str | None:
    beside = Path(sys.executable).parent / "ansible-galaxy"
    return str(beside) if beside.exists() else shutil.which("ansible-galaxy")


def recipes_command() -> list[str]:
    """`python -m primage_tosca recipes` once the top-level CLI has the
    command, else the module's own entry point (the same handlers)."""
    import contextlib
    import io

    from primage_tosca import cli

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            cli.build_parser().parse_args(["recipes", "list", "x.yaml"])
        return [sys.executable, "-m", "primage_tosca"]
    except SystemExit:
        return [sys.executable, "-m", "primage_tosca.cli_recipes"]


def build_site(folder: Path, galaxy, server, roles: list[tuple[str, str | None]], with_git: bool) -> list[str]:
    """Publish every role on the fake Galaxy; return the specs to ask for."""
    specs = []
    for name, version in roles:
        namespace, _, short = name.rpartition(".")
        versions = {v: server.role_archive(name, v) for v in ("1.0.0", "1.1.0")}
        if version:
            versions[version] = server.role_archive(name, version)
        galaxy.add_role(namespace, short, versions)
        specs.append(f"{name},{version}" if version else name)
    if with_git:
        repository, ref = COMMENTED_GIT_ROLE
        bare = server.git_role_repository(folder / "git", repository, {"v1": None, ref: None})
        galaxy.folders[f"/git/{repository}.git"] = bare
        specs.append(f"git+{galaxy.url}/git/{repository}.git,{ref}")
    return specs


def _environment(home: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "PRIMAGE_TOSCA_"))}
    env.update({"HOME": home, "PRIMAGE_TOSCA_HOME": os.path.join(home, "data"), "PRIMAGE_TOSCA_CONFIG": os.devnull,
                "ANSIBLE_HOME": os.path.join(home, ".ansible"), "ANSIBLE_LOCAL_TEMP": os.path.join(home, "tmp"),
                "ANSIBLE_NOCOLOR": "1", "http_proxy": "", "https_proxy": "", "no_proxy": "127.0.0.1"})
    return env


def _scratch(prefix: str) -> str:
    """A fresh folder for one repetition, removed when the benchmark run ends."""
    import atexit

    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, folder, True)
    return folder


def ours_command(payload: dict):
    """A new lock file and an empty cache for every repetition."""

    def make() -> Command:
        home = _scratch("bench-recipes-")
        command = [*payload["command"], "recipes", "lock", payload["blueprint"], "--server", payload["server"],
                   "--lock", os.path.join(home, "recipes.lock"), "--recipes-dir", os.path.join(home, "no-recipes"),
                   "--json"]
        return Command(command, env=_environment(home), cwd=home)

    return make


def peer_command(payload: dict, roles_folders: list[str]):
    """An empty roles folder and Ansible home for every repetition."""

    def make() -> Command:
        home = _scratch("bench-ansible-galaxy-")
        roles = os.path.join(home, "roles")
        roles_folders.append(roles)
        command = [payload["ansible_galaxy"], "role", "install", "-r", payload["requirements"], "-p", roles,
                   "-s", payload["server"]]
        return Command(command, env=_environment(home), cwd=home)

    return make


FAIRNESS = [
    "Both tools are started as command-line programs in every repetition, each a whole process timed from "
    "spawn to exit, start-up included.",
    "Both talk to the same local Galaxy server (`tests/galaxy_server.py`, threaded, on 127.0.0.1), "
    "which sleeps 50 ms before every answer, in the same run; the roles, versions and archives are the same.",
    "Each repetition of each side starts from nothing: a new lock file and an empty cache for ours, an "
    "empty roles folder and Ansible home for ansible-galaxy. Ours downloads every archive (to record its "
    "sha256 and read its dependencies), as ansible-galaxy does to install it.",
    "Ours makes its requests concurrently (a bounded pool of 16 threads sharing one requests.Session) and "
    "fetches each answer once; ansible-galaxy installs the roles one after the other. ansible-galaxy also "
    "extracts each role, which ours does not need to do to lock.",
]


def run(config: Config) -> Result:
    result = Result(NAME, MEASURES, PEER, "primage_tosca recipes lock", "ansible-galaxy role install",
                    target_ratio=TARGET_RATIO, judged=not config.smoke)
    if not LIBRARY.is_file():
        result.skipped = f"the shared corpus is not at {CORPUS}"
        return result
    program = ansible_galaxy()
    if program is None:
        result.skipped = "ansible-galaxy is not installed (pip install ansible-core)"
        return result
    if shutil.which("git") is None:
        result.skipped = "git is not installed"
        return result
    server = _server_module()
    roles = indigo_roles()
    if config.smoke:
        roles = roles[:SMOKE_ROLES]
    folder = Path(tempfile.mkdtemp(prefix="bench-galaxy-site-"))
    galaxy = server.FakeGalaxy(delay=DELAY_SECONDS, page_size=50).start()
    try:
        specs = build_site(folder, galaxy, server, roles, with_git=not config.smoke)
        blueprint = server.write_blueprint(folder / "indigo-roles.yaml", specs)
        requirements = folder / "requirements.yml"
        requirements.write_text("\n".join(f"- {json.dumps(spec)}" for spec in specs) + "\n", encoding="utf-8")
        ours_payload = {"command": recipes_command(), "blueprint": str(blueprint), "server": galaxy.url}
        peer_payload = {"ansible_galaxy": program, "requirements": str(requirements), "server": galaxy.url}
        roles_folders: list[str] = []
        ours, peer = time_pair(ours_command(ours_payload), peer_command(peer_payload, roles_folders), config.repeat,
                               warmup=0 if config.smoke else 1)
        for sample in ours.runs:
            sample.require("recipes lock")
        for sample in peer.runs:
            sample.require("ansible-galaxy")
        installed = len(os.listdir(roles_folders[-1]))
    finally:
        galaxy.stop()
        shutil.rmtree(folder, ignore_errors=True)
    result.ours, result.peer = ours.seconds, peer.seconds
    locked = [json.loads(run.stdout) for run in ours.runs]
    mine = {"recipes": len(locked[0]["recipes"]), "requests": locked[0]["requests"]}
    inner = median([data["seconds"] for data in locked])
    result.notes = [
        f"{len(specs)} roles: {len(roles)} Galaxy roles (first version named for each; the library pins "
        f"indigo-dc.slurm to both master and cons_res, which `recipes lock` of the whole library reports as a "
        f"conflict)" + (f" and the git role {COMMENTED_GIT_ROLE[0]},{COMMENTED_GIT_ROLE[1]} served as a git "
                        "repository over HTTP" if not config.smoke else "") + ".",
        f"Ours locked {mine['recipes']} recipes with {mine['requests']} network requests; ansible-galaxy "
        f"installed {installed} roles.",
        f"Of our median, the resolution itself (reported by the command) took {inner:.3f} s; the rest is "
        f"interpreter start-up, imports and reading the blueprint.",
    ] + FAIRNESS
    if mine["recipes"] != len(specs) or installed != len(specs):
        result.notes.append(f"WARNING: expected {len(specs)} roles on both sides.")
    return result
