"""What a reconfiguration changes: two RADL texts compared block by block.

A plan lists systems (compute nodes) added, removed and scaled (deploy
counts), systems whose features changed, recipes (``configure`` blocks)
added, removed or changed, and networks changed. Scale changes are applied
by adding resources or removing VMs; every other change by IM's reconfigure
with the new RADL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEAD = re.compile(r"\s*(network|system|configure|description|contextualize|deploy)\b")


@dataclass
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


def _body_end(text: str, start: int) -> int:
    """Index of the ``)`` closing the ``(`` at ``start``; skips quotes and @begin...@end."""
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
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise ValueError("unbalanced parentheses in RADL")


def _normal(body: str) -> str:
    if "@begin" in body:
        return body.strip()
    return " and ".join(sorted(part.strip() for part in re.split(r"\band\b", " ".join(body.split())) if part.strip()))


def parse_radl(text: str) -> Radl:
    """The blocks of a RADL text (what the compiler and IM write; not a validating parser)."""
    radl, index = Radl(), 0
    text = re.sub(r"(?m)^\s*#.*$", "", text)
    while True:
        match = _HEAD.match(text, index)
        if not match:
            break
        kind = match.group(1)
        if kind == "deploy":
            line = re.match(r"\s*deploy\s+(\S+)\s+(\d+)[^\n]*", text[index:])
            if not line:
                raise ValueError("malformed deploy line")
            radl.deploys[line.group(1)] = radl.deploys.get(line.group(1), 0) + int(line.group(2))
            index += line.end()
            continue
        open_at = text.index("(", match.end())
        close_at = _body_end(text, open_at)
        name = text[match.end():open_at].strip()
        body = text[open_at + 1:close_at].strip()
        if kind == "network":
            radl.networks[name] = body
        elif kind == "system":
            radl.systems[name] = body
        elif kind == "configure":
            radl.configures[name] = body
        elif kind == "contextualize":
            radl.contextualize, radl.contextualize_head = body, name
        index = close_at + 1
    return radl


@dataclass
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

    @property
    def empty(self) -> bool:
        return not any([self.added, self.removed, self.scaled, self.needs_reconfigure])

    @property
    def needs_reconfigure(self) -> bool:
        return bool(self.systems_changed or self.recipes_added or self.recipes_removed or self.recipes_changed
                    or self.networks_changed or self.contextualize_changed)

    def as_dict(self) -> dict:
        return {"added": self.added, "removed": self.removed,
                "scaled": {k: {"from": a, "to": b} for k, (a, b) in self.scaled.items()},
                "systems_changed": self.systems_changed, "recipes_added": self.recipes_added,
                "recipes_removed": self.recipes_removed, "recipes_changed": self.recipes_changed,
                "networks_changed": self.networks_changed, "contextualize_changed": self.contextualize_changed,
                "empty": self.empty}

    def lines(self) -> list[str]:
        if self.empty:
            return ["no changes"]
        out = [f"+ add node {n} ({c} VM{'s' if c != 1 else ''})" for n, c in self.added.items()]
        out += [f"- remove node {n} ({c} VM{'s' if c != 1 else ''})" for n, c in self.removed.items()]
        out += [f"~ scale node {n}: {a} -> {b}" for n, (a, b) in self.scaled.items()]
        out += [f"~ node {n}: properties changed" for n in self.systems_changed]
        out += [f"+ recipe {n}" for n in self.recipes_added]
        out += [f"- recipe {n}" for n in self.recipes_removed]
        out += [f"~ recipe {n} changed" for n in self.recipes_changed]
        out += [f"~ network {n} changed" for n in self.networks_changed]
        if self.contextualize_changed:
            out.append("~ contextualization order changed")
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
    plan.systems_changed = sorted(n for n in new.systems if n in old.systems and n not in plan.removed
                                  and _normal(new.systems[n]) != _normal(old.systems[n]))
    plan.recipes_added = sorted(set(new.configures) - set(old.configures))
    plan.recipes_removed = sorted(set(old.configures) - set(new.configures))
    plan.recipes_changed = sorted(n for n in new.configures if n in old.configures
                                  and _normal(new.configures[n]) != _normal(old.configures[n]))
    plan.networks_changed = sorted(n for n in new.networks if n in old.networks
                                   and _normal(new.networks[n]) != _normal(old.networks[n]))
    plan.contextualize_changed = (_normal(old.contextualize), old.contextualize_head) != (
        _normal(new.contextualize), new.contextualize_head)
    return plan


def without_deploys(text: str) -> str:
    return re.sub(r"(?m)^\s*deploy\s+\S+\s+\d+[^\n]*\n?", "", text)


def additions(new_text: str, counts: dict[str, int]) -> str:
    """The RADL that adds ``counts`` VMs of systems defined in ``new_text``:
    every network, the systems, the recipes, the contextualize block and
    the deploy lines."""
    new = parse_radl(new_text)
    parts = [new.block("network", n) for n in new.networks]
    parts += [new.block("system", n) for n in counts if n in new.systems]
    parts += [new.block("configure", n) for n in new.configures]
    parts.append(f"contextualize {new.contextualize_head} ({new.contextualize})\n".replace("  ", " "))
    parts += [f"deploy {n} {c}\n" for n, c in counts.items() if c > 0]
    return "\n".join(parts)


__all__ = ["Plan", "Radl", "additions", "diff", "parse_radl", "without_deploys"]
