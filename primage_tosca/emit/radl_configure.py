"""Interface operations as RADL ``configure`` blocks.

Each node that has operations to run gets one configure, named
``<node>_<compute>_conf`` (``<compute>_conf`` for a Compute's own), holding
one Ansible play: the operations' inputs as ``vars``, a download task per
``get_artifact`` input, then the tasks (and roles, handlers...) of each
operation's playbook, in lifecycle order (see :mod:`.radl_steps`). A script
that is not YAML runs through a copy and a shell task, its inputs as
environment variables. Run-time attributes become Jinja (:mod:`.radl_jinja`).
"""

from __future__ import annotations

import posixpath
from typing import Any

import yaml

from ..functions import function_name, is_symbolic, text
from ..records import record
from .playtext import play_text
from .radl_context import Emission, repository_url
from .radl_jinja import ansible_value
from .radl_steps import STEPS, Step, node_steps
from .radl_text import Configure, ContextItem
from .urls import url_path, url_problem

ARTIFACTS_DIR = "/tmp"  # where IM puts downloaded artifacts  # nosec - a path on the VM, not here


# -- building the play ------------------------------------------------------------------------------

FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@record
class Play:
    vars: dict
    tasks: list
    recipes: list  # playbooks: lists of plays

    def render(self) -> str:
        head: dict = {}
        if self.vars:
            head["vars"] = self.vars
        if self.tasks:
            head["tasks"] = list(self.tasks)
        plays = [head]
        for recipe in self.recipes:
            merge_play(plays[0], recipe[0])
            plays.extend(recipe[1:])
        return play_text(plays)


def merge_play(into: dict, play: dict) -> None:
    """One playbook's play merged into the configure's: lists (tasks, roles,
    handlers) are appended, maps (vars) updated, other keys kept once."""
    for key, value in play.items():
        current = into.get(key)
        if isinstance(current, list) and isinstance(value, list):
            current.extend(value)
        elif isinstance(current, dict) and isinstance(value, dict):
            current.update(value)
        elif key not in into:
            into[key] = list(value) if isinstance(value, list) else (dict(value) if isinstance(value, dict) else value)


def build_configure(em: Emission, node: str, compute: str, steps: dict[str, Step]) -> Configure | None:
    play = Play({}, [], [])
    for name in STEPS:
        if name in steps:
            _add_step(em, play, steps[name])
    if not play.tasks and not play.recipes:
        return None
    conf_name = f"{node}_conf" if node == compute else f"{node}_{compute}_conf"
    recipe = play.render()
    if "@end" in recipe and any(line.startswith("@end") for line in recipe.splitlines()):
        em.error(f"the playbook of {node!r} has a line starting with '@end', which ends a RADL recipe",
                 em.topology.raw[node].path)
        return None
    return Configure(conf_name, recipe)


def _add_step(em: Emission, play: Play, step: Step) -> None:
    implementation = _implementation(em, step)
    if implementation is None:
        return
    fetched = em.playbooks.read(implementation, *_origin(em, step))
    if fetched.text is None:
        em.error(f"operation {step.name!r} of {step.owner!r}: {fetched.problem}", step.path or
                 em.topology.raw[step.owner].path, fetched.hint)
        return
    variables = _inputs(em, play, step)
    if _is_yaml(fetched.where):
        _add_playbook(em, play, step, fetched, variables)
    else:
        _add_script(play, step, fetched, variables)


def _implementation(em: Emission, step: Step) -> str | None:
    value = step.evaluated.get("implementation")
    where = step.path or em.topology.raw[step.owner].path
    if isinstance(value, dict):
        if value.get("dependencies"):
            em.unmapped(f"operation {step.name!r}: dependencies of an implementation are not copied to the VM",
                        where)
        value = value.get("primary")
    if value is None:
        return None
    if not isinstance(value, str) or is_symbolic(value):
        em.error(f"operation {step.name!r} of {step.owner!r}: the implementation must be a file name or URL", where)
        return None
    artifact = _artifacts_of(em, step.owner).get(value) if em.has_artifacts else None
    return _artifact_uri(em, artifact) if artifact is not None else value


def _artifacts_of(em: Emission, node: str) -> dict[str, dict]:
    found = dict(em.topology.node(node)["artifacts"])
    for requirement in em.topology.requirements.get(node, []):
        for name, artifact in requirement.artifacts.items():
            found.setdefault(name, artifact)
        for name, artifact in em.topology.node(requirement.target)["artifacts"].items():
            found.setdefault(name, artifact)
    return found


def _artifact_uri(em: Emission, artifact: dict) -> str:
    file = text(artifact.get("file"))
    url = repository_url(em, artifact.get("repository"))
    return url.rstrip("/") + "/" + file if url is not None else file


def _origin(em: Emission, step: Step) -> tuple[str | None, str | None]:
    document = step.operation.origin or em.topology.template.document
    return getattr(document, "real_path", None), getattr(document, "url", None)


def _is_yaml(where: str) -> bool:
    return url_path(where).endswith((".yaml", ".yml"))


def _inputs(em: Emission, play: Play, step: Step) -> dict:
    variables = {}
    evaluated = step.evaluated.get("inputs", {})
    for name, raw in step.operation.inputs.items():
        if function_name(raw) == "get_artifact":
            uri = _get_artifact(em, step, raw["get_artifact"])
            if uri is not None and url_problem(uri):
                em.error(f"artifact {uri!r} is not a valid URL ({url_problem(uri)})",
                         step.path or em.topology.raw[step.owner].path)
                continue
            if uri is not None and "://" not in uri:
                em.unmapped(f"artifact {uri!r} is not a URL: the VM downloads artifacts itself, so the "
                            "get_url task IM runs will not find it", step.path or em.topology.raw[step.owner].path)
            if uri is not None:
                local = f"{ARTIFACTS_DIR}/{posixpath.basename(url_path(uri)) or 'artifact'}"
                play.tasks.append({"name": f"Download artifact {uri}", "get_url": _get_url(local, uri)})
                variables[name] = local
                continue
        variables[name] = ansible_value(em, evaluated.get(name), step)
    return variables


def _get_url(dest: str, url: str) -> Any:
    """IM's free-form arguments when they are safe to write that way."""
    if any(c in url + dest for c in "' \n\\"):
        return {"dest": dest, "url": url}
    return f"dest={dest} url='{url}'"


def _get_artifact(em: Emission, step: Step, args: Any) -> str | None:
    if not isinstance(args, list) or len(args) < 2:
        return None
    entity = {"SELF": step.self_node, "SOURCE": step.source, "TARGET": step.target}.get(args[0], args[0])
    if entity not in em.topology.raw:
        return None
    artifact = _artifacts_of(em, entity).get(args[1])
    return _artifact_uri(em, artifact) if isinstance(artifact, dict) else None


def _add_playbook(em: Emission, play: Play, step: Step, fetched, variables: dict) -> None:
    try:
        plays = _parsed(em, fetched.text)
    except yaml.YAMLError as exc:
        em.error(f"operation {step.name!r} of {step.owner!r}: {fetched.where} is not valid YAML: "
                 f"{getattr(exc, 'problem', exc)}", step.path or em.topology.raw[step.owner].path)
        return
    if not isinstance(plays, list) or not plays or not all(isinstance(p, dict) for p in plays):
        em.error(f"operation {step.name!r} of {step.owner!r}: {fetched.where} is not an Ansible playbook "
                 "(a list of plays)", step.path or em.topology.raw[step.owner].path)
        return
    # the VM the configure runs on is IM's choice: drop where the playbook says to run
    plays = [{k: v for k, v in p.items() if k not in ("hosts", "connection")} for p in plays]
    _warn_shadowed_inputs(em, step, plays[0], variables)
    play.vars.update(variables)
    play.recipes.append(plays)


def _warn_shadowed_inputs(em: Emission, step: Step, first_play: dict, variables: dict) -> None:
    """IM merges a playbook's own ``vars`` over the operation's inputs (we do
    the same, to deploy as IM would), so an input of the same name is lost:
    say so where the input is written."""
    own = first_play.get("vars")
    if not isinstance(own, dict):
        return
    for name in sorted(set(own) & set(variables), key=str):
        em.unmapped(f"input {name!r} of operation {step.name!r} of {step.owner!r} is overridden by the "
                    "playbook's own vars, as IM merges them", step.path or em.topology.raw[step.owner].path,
                    f"drop {name!r} from the playbook's vars (use `{{{{ {name} | default(...) }}}}` instead)")


def _parsed(em: Emission, text_: str) -> Any:
    """Each playbook parsed once per compile (the plays are copied on merge)."""
    cache = em.parsed_playbooks
    if text_ not in cache:
        cache[text_] = yaml.load(text_, Loader=FastLoader)  # nosec - a safe loader
    return cache[text_]


def _add_script(play: Play, step: Step, fetched, variables: dict) -> None:
    base = posixpath.basename(url_path(fetched.where))
    label = f"{step.owner}_{step.name}"
    remote = f"{ARTIFACTS_DIR}/{base}"
    tasks = [{"name": f"Copy contents of script of interface {label}",
              "copy": {"dest": remote, "content": fetched.text, "mode": "0755"}},
             {"name": label, "shell": remote}]
    if variables:
        tasks[1]["environment"] = {k: text(v) if not isinstance(v, (dict, list)) else v for k, v in variables.items()}
    play.recipes.append([{"tasks": tasks}])


# -- all configures and the contextualize order ---------------------------------------------------------

def build_configures(em: Emission, software: list[str]) -> None:
    """Configures in template order (a Compute's own with it; a pod's or a
    function's empty one, as IM writes it), and the contextualize items at
    each node's depth."""
    items: list[ContextItem] = []
    levels = em.topology.levels
    single = em.single_systems
    nodes = sorted([*software, *single], key=lambda n: em.topology.raw[n].index)
    for node in nodes:
        if node in single:
            em.doc.configures.append(Configure(single[node], None))
            items.append(ContextItem(single[node], single[node], levels.get(node, 1)))
            continue
        compute = em.topology.compute_of(node)
        steps = node_steps(em, node)
        if not steps:
            continue
        if compute is None:
            if any(s.evaluated.get("implementation") for s in steps.values()):
                em.error(f"{node!r} has operations to run but is hosted on no Compute (follow its host "
                         "requirements: none leads to a tosca.nodes.Compute)", em.topology.raw[node].path,
                         "add a `host` requirement to a Compute node (or to a node hosted on one)")
            continue
        configure = build_configure(em, node, compute, steps)
        if configure is not None:
            em.doc.configures.append(configure)
            items.append(ContextItem(compute, configure.name, levels.get(node, 1)))
    em.doc.contextualize = items if em.contextualize else []
