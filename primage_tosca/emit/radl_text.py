"""RADL as data, and its text.

Only what the RADL grammar can say is built here, and it is written so the
``radl`` parser reads back exactly what was meant: identifiers are checked
against the lexer's rule, strings quoted the one way its lexer unquotes, and
numbers written without exponents or signs (its NUMBER token has neither).
"""

from __future__ import annotations

import math
import re
from typing import Union

from ..records import field, record

# The lexer's VAR token, and the words it reserves (a system cannot be named `deploy`).
IDENTIFIER = re.compile(r"[a-zA-Z_.][\w.-]*\Z")
RESERVED = frozenset({"network", "ansible", "system", "soft", "and", "contains", "deploy", "configure",
                      "contextualize", "step", "with", "option", "description"})
COMPARATORS = ("=", "<=", ">=", "<", ">")


class RadlValueError(ValueError):
    """A value RADL cannot write; the message says why, ``block`` where."""

    block: str | None = None


def check_identifier(name: str) -> str | None:
    """Why ``name`` cannot name a RADL system, network or configure; None if it can."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        return f"{name!r} is not a RADL identifier (letters, digits, '_', '.', '-'; not starting with a digit or '-')"
    if name in RESERVED:
        return f"{name!r} is a RADL keyword"
    return None


def quote(value: str) -> str:
    """A RADL string literal. Its lexer keeps a backslash and the character
    after it, and only unescapes a quote, so a value ending in a backslash or
    holding a backslash before a quote cannot be written."""
    if value.endswith("\\") or "\\'" in value:
        raise RadlValueError("a backslash before a quote or at the end cannot be written in a RADL string")
    return "'" + value.replace("'", "\\'") + "'"


def number(value: int | float) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RadlValueError(f"{value!r} is not a number")
    if value < 0 or (isinstance(value, float) and not math.isfinite(value)):
        raise RadlValueError(f"{value!r}: RADL numbers are finite and not negative")
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value))
    written = repr(value)
    return written if "e" not in written else format(value, ".15f").rstrip("0").rstrip(".")


@record
class Feature:
    """``name op value`` (with an optional unit), or ``name contains (...)``."""

    name: str
    operator: str
    value: Union[str, int, float, list, "Features"]
    unit: str = ""

    def render(self) -> str:
        if isinstance(self.value, Features):
            return f"{self.name} contains ({self.value.render(' and ')})"
        if isinstance(self.value, list):
            items = ", ".join(quote(str(v)) for v in self.value)
            return f"{self.name} {self.operator} [ {items} ]"
        if isinstance(self.value, str):
            return f"{self.name} {self.operator} {quote(self.value)}"
        return f"{self.name} {self.operator} {number(self.value)}{self.unit}"


@record
class Features:
    items: list[Feature] = field(default_factory=list)

    def render(self, joiner: str = " and\n") -> str:
        return joiner.join(f.render() for f in self.items)


@record
class Block:
    """A ``network``, ``system`` or ``description`` with its features. Setting
    a feature again replaces it in place, so the order stays the first one."""

    keyword: str
    name: str
    features: list[Feature] = field(default_factory=list)
    _index: dict = field(default_factory=dict, repr=False)

    def set(self, name: str, value, operator: str = "=", unit: str = "") -> None:
        feature = Feature(name, operator, value, unit)
        if name in self._index:
            self.features[self._index[name]] = feature
        else:
            self._index[name] = len(self.features)
            self.features.append(feature)

    def get(self, name: str):
        at = self._index.get(name)
        return None if at is None else self.features[at].value

    def remove(self, name: str) -> None:
        at = self._index.pop(name, None)
        if at is not None:
            del self.features[at]
            self._index = {f.name: i for i, f in enumerate(self.features) if not isinstance(f.value, Features)}

    def add(self, feature: Feature) -> None:
        """A feature that may repeat (``disk.0.applications contains``)."""
        self.features.append(feature)

    def has(self, name: str) -> bool:
        return name in self._index

    def render(self) -> str:
        if not self.features:
            return f"{self.keyword} {self.name} ()"
        try:
            body = " and\n".join(f.render() for f in self.features)
        except RadlValueError as exc:
            exc.block = self.name
            raise
        return f"{self.keyword} {self.name} (\n{body}\n)"


@record
class Configure:
    name: str
    recipe: str | None  # None: an empty configure, as IM writes for a pod

    def render(self) -> str:
        if self.recipe is None:
            return f"configure {self.name} ()"
        recipe = self.recipe if self.recipe.endswith("\n") else self.recipe + "\n"
        return f"configure {self.name} (\n@begin\n{recipe}@end\n)"


@record
class ContextItem:
    system: str
    configure: str
    step: int = 0


@record
class Deploy:
    system: str
    count: int
    cloud: str | None = None

    def render(self) -> str:
        return f"deploy {self.system} {self.count}" + (f" {self.cloud}" if self.cloud else "")


@record
class RadlDocument:
    description: Block | None = None
    networks: list[Block] = field(default_factory=list)
    systems: list[Block] = field(default_factory=list)
    configures: list[Configure] = field(default_factory=list)
    contextualize: list[ContextItem] | None = None  # None: no block; []: the empty block
    deploys: list[Deploy] = field(default_factory=list)

    _network_index: dict = field(default_factory=dict, repr=False)

    def network(self, name: str) -> Block | None:
        return self._network_index.get(name)

    def add_network(self, block: Block) -> Block:
        self.networks.append(block)
        self._network_index[block.name] = block
        return block

    def render(self) -> str:
        parts: list[str] = []
        if self.description is not None:
            parts.append(self.description.render())
        parts.extend(n.render() for n in self.networks)
        parts.extend(s.render() for s in self.systems)
        parts.extend(c.render() for c in self.configures)
        if self.contextualize is not None:
            parts.append(render_contextualize(self.contextualize))
        parts.extend(d.render() for d in self.deploys)
        return "\n\n".join(parts) + "\n"


def render_contextualize(items: list[ContextItem]) -> str:
    if not items:
        return "contextualize ()"
    lines = [f"system {i.system} configure {i.configure}" + (f" step {i.step}" if i.step else "") for i in items]
    return "contextualize (\n" + "\n".join(lines) + "\n)"
