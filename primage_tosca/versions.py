"""TOSCA versions: what a ``tosca_definitions_version`` value means.

Each file declares its own version and is read by that version's grammar.
A version is a small value object; comparisons between them decide which
keynames and normative types a file may use.
"""

from __future__ import annotations

from typing import Any

from .records import record


@record(frozen=True, order=True)
class Version:
    """A TOSCA grammar version, ``(1, 3)`` for Simple Profile 1.3, ``(2, 0)`` for TOSCA 2.0."""

    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def label(self) -> str:
        return f"TOSCA {self}"


V1_0, V1_1, V1_2, V1_3, V2_0 = Version(1, 0), Version(1, 1), Version(1, 2), Version(1, 3), Version(2, 0)
V1 = (V1_0, V1_1, V1_2, V1_3)


@record(frozen=True)
class Dialect:
    """One accepted ``tosca_definitions_version`` value: its grammar version
    and the profile (normative type set) it brings."""

    name: str
    version: Version
    profile: str  # the packaged profile holding its normative types ("" for none)


DIALECTS: dict[str, Dialect] = {
    d.name: d for d in (
        Dialect("tosca_simple_yaml_1_0", V1_0, "tosca_simple_yaml_1_0"),
        Dialect("tosca_simple_yaml_1_1", V1_1, "tosca_simple_yaml_1_1"),
        Dialect("tosca_simple_yaml_1_2", V1_2, "tosca_simple_yaml_1_2"),
        Dialect("tosca_simple_yaml_1_3", V1_3, "tosca_simple_yaml_1_3"),
        # The NFV and MEC profiles extend the 1.0 grammar with types of their own.
        Dialect("tosca_simple_profile_for_nfv_1_0_0", V1_0, "tosca_simple_profile_for_nfv_1_0_0"),
        Dialect("tosca_simple_profile_for_mec_1_0_0", V1_0, "tosca_simple_profile_for_mec_1_0_0"),
        # TOSCA 2.0 brings no implicit types: a file has what it imports (a profile, a url).
        Dialect("tosca_2_0", V2_0, ""),
    )
}

# Spellings other tools accept and real templates use; read as the version they name.
ALIASES = {
    "tosca_simple_yaml_1_0_0": "tosca_simple_yaml_1_0",
    "http://docs.oasis-open.org/tosca/ns/simple/yaml/1.0": "tosca_simple_yaml_1_0",
    "http://docs.oasis-open.org/tosca/ns/simple/yaml/1.3": "tosca_simple_yaml_1_3",
    "tosca_simple_profile_for_nfv_1_0": "tosca_simple_profile_for_nfv_1_0_0",
}


def dialect_of(value: Any) -> Dialect | None:
    """The dialect a ``tosca_definitions_version`` value names, or None."""
    if not isinstance(value, str):
        return None
    return DIALECTS.get(ALIASES.get(value, value))


def known_names() -> list[str]:
    return list(DIALECTS)
