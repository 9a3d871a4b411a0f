"""What a reconfiguration changes: two RADL texts compared block by block.

A plan lists systems (compute nodes) added, removed and scaled (deploy
counts), systems whose features changed, recipes (``configure`` blocks)
added, removed or changed, and networks changed. Scale changes are applied
by adding resources or removing VMs; every other change by IM's reconfigure
with the new RADL, except what IM fixes when it creates a VM: its size
(CPUs, memory, GPUs, disks, instance type) and its image. Those are listed
apart (:attr:`Plan.fixed`); only replacing the VMs applies them.
"""

from __future__ import annotations

import re
from typing import Iterator

from ..records import field, record

_HEAD = re.compile(r"\s*(network|system|configure|description|contextualize|deploy)\b")


@record
class Radl:
    networks: dict[str, str] = field(default_factory=dict)
    systems: dict[str, str] = field(default_factory=dict)
    configures: dict[str, str] = field(default_factory=dict)
    deploys: dict[str, int] = field(default_factory=dict)
    contextualize: str = ""
    contextualize_head: str = ""  # the timeout, when there is one

    def block(self, kind: str, name: str) -> str:
        body = {"network": self.networks, "system": self.systems, "configure": self.configures}[kind][name]
        return f"{kind} {name} (\n{body}\n)\n"


def _unquoted(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """(index, depth) of each character of ``text`` from ``start`` that is
    outside quotes and @begin...@end blocks; ``depth`` counts the parentheses
    open around it (a parenthesis itself is outside the pair it makes)."""
    depth, index, quote = 0, start, None
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif text.startswith("@begin", index):
            end = text.find("@end", index)
            index = len(text) if end < 0 else end + 3
        elif char in "'\"":
            quote = char
        else:
            depth -= char == ")"
            yield index, depth
            depth += char == "("
        index += 1


def _body_end(text: str, start: int) -> int:
    """Index of the ``)`` closing the ``(`` at ``start``; skips quotes and @begin...@end."""
    for index, depth in _unquoted(text, start):
        if depth == 0 and text[index] == ")":
            return index
    raise ValueError("unbalanced parentheses in RADL")


_AND = re.compile(r"and\b")


def split_features(body: str) -> list[str]:
    """The features of a block body, split on the ``and`` between them (not
    inside quotes or parentheses), whitespace made single."""
    features, start = [], 0
    for index, depth in _unquoted(body):
        if depth == 0 and index >= start and _AND.match(body, index) and (index == 0 or body[index - 1].isspace()):
            features.append(body[start:index])
            start = index + 3
    features.append(body[start:])
    return [" ".join(f.split()) for f in features if f.strip()]


def _normal(body: str) -> str:
    if "@begin" in body:
        return body.strip()
    return " and ".join(sorted(split_features(body)))


# Features IM sets when it creates a VM and never changes on a running one.
FIXED_FEATURE = re.compile(r"^(cpu\.|memory\.|gpu\.|instance_type|instance_tags|sgx|preemtible_instance|"
                           r"availability_zone|disk\.0\.(image\.|os\.)|disk\.[1-9]\d*\.(size|type|image\.))")


def fixed(feature: str) -> bool:
    return bool(FIXED_FEATURE.match(feature))


_COMMENT = re.compile(r"\s*(#[^\n]*\n?\s*)*")


def blocks(text: str) -> Iterator[tuple[str, str, int, int]]:
    """Each top-level block of a RADL text: (kind, name, start, end), ``end``
    just past its closing parenthesis (or its line, for ``deploy``). Comment
    lines are skipped where they stand, so offsets are the text's own."""
    index = 0
    while True:
        index = _COMMENT.match(text, index).end()
        match = _HEAD.match(text, index)
        if not match:
            return
        kind = match.group(1)
        if kind == "deploy":
            line = re.compile(r"deploy\s+(\S+)\s+(\d+)[^\n]*").match(text, match.start(1))
            if not line:
                raise ValueError("malformed deploy line")
            yield kind, line.group(1), match.start(1), line.end()
            index = line.end()
            continue
        open_at = text.find("(", match.end())
        if open_at < 0:
            raise ValueError(f"{kind} without a body")
        close_at = _body_end(text, open_at)
        yield kind, text[match.end():open_at].strip(), match.start(1), close_at + 1
        index = close_at + 1


def parse_radl(text: str) -> Radl:
    """The blocks of a RADL text (what the compiler and IM write; not a validating parser)."""
    radl = Radl()
    for kind, name, start, end in blocks(text):
        if kind == "deploy":
            line = re.match(r"deploy\s+(\S+)\s+(\d+)", text[start:end])
            radl.deploys[name] = radl.deploys.get(name, 0) + int(line.group(2))
            continue
        body = text[text.index("(", start) + 1:end - 1].strip()
        if kind == "network":
            radl.networks[name] = body
        elif kind == "system":
            radl.systems[name] = body
        elif kind == "configure":
            radl.configures[name] = body
        elif kind == "contextualize":
            radl.contextualize, radl.contextualize_head = body, name
    return radl


@record
class Plan:
    added: dict[str, int] = field(default_factory=dict)  # system -> count
    removed: dict[str, int] = field(default_factory=dict)
    scaled: dict[str, tuple[int, int]] = field(default_factory=dict)  # system -> (old, new)
    systems_changed: list[str] = field(default_factory=list)
    recipes_added: list[str] = field(default_factory=list)
    recipes_removed: list[str] = field(default_factory=list)
    recipes_changed: list[str] = field(default_factory=list)
    networks_changed: list[str] = field(default_factory=list)
    contextualize_changed: bool = False
    fixed: dict[str, list[str]] = field(default_factory=dict)  # system -> size or image features IM will not change
    secrets_changed: bool = False

    @property
    def empty(self) -> bool:
        return not any([self.added, self.removed, self.scaled, self.fixed, self.needs_reconfigure])

    @property
    def needs_reconfigure(self) -> bool:
        return bool(self.systems_changed or self.recipes_added or self.recipes_removed or self.recipes_changed
                    or self.networks_changed or self.contextualize_changed or self.secrets_changed)

    def as_dict(self) -> dict:
        return {"added": self.added, "removed": self.removed,
                "scaled": {k: {"from": a, "to": b} for k, (a, b) in self.scaled.items()},
                "systems_changed": self.systems_changed, "recipes_added": self.recipes_added,
                "recipes_removed": self.recipes_removed, "recipes_changed": self.recipes_changed,
                "networks_changed": self.networks_changed, "contextualize_changed": self.contextualize_changed,
                "fixed": self.fixed, "secrets_changed": self.secrets_changed, "empty": self.empty}

    def lines(self) -> list[str]:
        if self.empty:
            return ["no changes"]
        out = [f"+ add node {n} ({c} VM{'s' if c != 1 else ''})" for n, c in self.added.items()]
        out += [f"- remove node {n} ({c} VM{'s' if c != 1 else ''})" for n, c in self.removed.items()]
        out += [f"~ scale node {n}: {a} -> {b}" for n, (a, b) in self.scaled.items()]
        out += [f"~ node {n}: properties changed" for n in self.systems_changed]
        out += [f"~ node {n}: {', '.join(f)} (a VM size or image: IM does not change running VMs)"
                for n, f in self.fixed.items()]
        out += [f"+ recipe {n}" for n in self.recipes_added]
        out += [f"- recipe {n}" for n in self.recipes_removed]
        out += [f"~ recipe {n} changed" for n in self.recipes_changed]
        out += [f"~ network {n} changed" for n in self.networks_changed]
        if self.contextualize_changed:
            out.append("~ contextualization changed")
        if self.secrets_changed:
            out.append("~ secret inputs changed (their values are not shown)")
        return out


def diff(old_text: str, new_text: str) -> Plan:
    old, new = parse_radl(old_text), parse_radl(new_text)
    plan = Plan()
    for name, count in new.deploys.items():
        before = old.deploys.get(name, 0)
        if before == 0 and count:
            plan.added[name] = count
        elif before != count:
            plan.scaled[name] = (before, count)
    for name, count in old.deploys.items():
        if name not in new.deploys and count:
            plan.removed[name] = count
    for name in sorted(n for n in new.systems if n in old.systems and n not in plan.removed):
        before, after = set(split_features(old.systems[name])), set(split_features(new.systems[name]))
        changed = before ^ after
        sizes = sorted(f for f in after - before if fixed(f)) + sorted(
            f"{f} (removed)" for f in before - after if fixed(f) and not _replaced(f, after))
        if sizes:
            plan.fixed[name] = sizes
        if any(not fixed(f) for f in changed):
            plan.systems_changed.append(name)
    plan.recipes_added = sorted(set(new.configures) - set(old.configures))
    plan.recipes_removed = sorted(set(old.configures) - set(new.configures))
    plan.recipes_changed = sorted(n for n in new.configures if n in old.configures
                                  and _normal(new.configures[n]) != _normal(old.configures[n]))
    plan.networks_changed = sorted(n for n in new.networks if n in old.networks
                                   and _normal(new.networks[n]) != _normal(old.networks[n]))
    plan.contextualize_changed = (_normal(old.contextualize), old.contextualize_head) != (
        _normal(new.contextualize), new.contextualize_head)
    return plan


def _key(feature: str) -> str:
    """A feature's name and operator: ``cpu.count >=`` of ``cpu.count >= 2``."""
    match = re.match(r"\s*([\w.]+)\s*(>=|<=|=|contains)?", feature)
    return " ".join(filter(None, match.groups())) if match else feature


def _replaced(feature: str, others: set[str]) -> bool:
    return any(_key(other) == _key(feature) for other in others)


def without_deploys(text: str) -> str:
    return re.sub(r"(?m)^\s*deploy\s+\S+\s+\d+[^\n]*\n?", "", text)


def keep_fixed(new_text: str, old_text: str, systems: dict[str, list[str]] | list[str]) -> str:
    """``new_text`` with the size and image features of ``systems`` as
    ``old_text`` has them: what a deployment really is when IM did not
    apply those changes."""
    old = parse_radl(old_text)
    out, last = [], 0
    for kind, name, start, end in blocks(new_text):
        if kind != "system" or name not in systems or name not in old.systems:
            continue
        body = new_text[new_text.index("(", start) + 1:end - 1]
        features = [f for f in split_features(body) if not fixed(f)]
        features += [f for f in split_features(old.systems[name]) if fixed(f)]
        out.append(new_text[last:start] + f"system {name} (\n" + " and\n".join(features) + "\n)")
        last = end
    return "".join(out) + new_text[last:]


def additions(new_text: str, counts: dict[str, int], known: set[str] | None = None) -> str:
    """The RADL that adds ``counts`` VMs of systems defined in ``new_text``:
    every network, the systems to add in full and the others by reference
    (``system front``: IM keeps their definitions, and the contextualize
    block may name them), every recipe, the contextualize block and the
    deploy lines. A system not in ``known`` (not on IM yet) goes in full."""
    new = parse_radl(new_text)
    known = set(new.systems) if known is None else known
    parts = [new.block("network", n) for n in new.networks]
    parts += [new.block("system", n) if n in counts or n not in known else f"system {n}\n" for n in new.systems]
    parts += [new.block("configure", n) for n in new.configures]
    parts.append(f"contextualize {new.contextualize_head} ({new.contextualize})\n".replace("  ", " "))
    parts += [f"deploy {n} {c}\n" for n, c in counts.items() if c > 0]
    return "\n".join(parts)


__all__ = ["FIXED_FEATURE", "Plan", "Radl", "additions", "blocks", "diff", "fixed", "keep_fixed", "parse_radl",
           "split_features", "without_deploys"]
