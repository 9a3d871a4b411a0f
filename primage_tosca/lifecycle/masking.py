"""Secret input values kept off disk.

What IM is sent must hold every secret (IM passes them to the VMs); what the
store keeps must hold none. :class:`SecretMask` turns a payload into its
stored form: each secret value, as written or as any emitter escapes it, is
replaced by ``***``. A value too short to replace safely (fewer than
:data:`MIN_MASKED` characters: it could stand for part of anything) makes
the payload unmaskable; it is then not stored at all.

A reconfiguration must still see a rotated token. The secrets' values are
kept as a salted scrypt digest, compared on the next reconfigure.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any, Iterable

from ..records import field, record

MASK = "***"
MIN_MASKED = 4
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


def _texts(value: Any) -> Iterable[str]:
    """The scalar texts inside a value; booleans and nulls say nothing worth hiding."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)
    elif value is not None and not isinstance(value, bool):
        text = str(value)
        if text:
            yield text


def _written_forms(text: str) -> set[str]:
    """``text`` as the emitters may write it: raw, JSON- or Python-escaped,
    in RADL single quotes, in YAML single quotes."""
    return {text, json.dumps(text)[1:-1], repr(text)[1:-1], text.replace("\\", "\\\\").replace("'", "\\'"),
            text.replace("'", "''")}


@record
class SecretMask:
    """The secret values of one deployment's inputs."""

    values: dict[str, list[str]] = field(default_factory=dict)  # input name -> its texts

    @classmethod
    def of(cls, inputs: dict[str, Any], names: Iterable[str]) -> "SecretMask":
        return cls({name: list(_texts(inputs[name])) for name in sorted(set(names)) if name in inputs})

    @property
    def unmaskable(self) -> list[str]:
        """Inputs with a value too short to mask safely."""
        return [name for name, texts in self.values.items() if any(len(t) < MIN_MASKED for t in texts)]

    def text(self, text: str) -> str:
        """``text`` with every secret value replaced by ``***``."""
        forms = {form for texts in self.values.values() for t in texts for form in _written_forms(t)}
        for form in sorted(forms, key=len, reverse=True):
            if len(form) >= MIN_MASKED:
                text = text.replace(form, MASK)
        return text

    def stored(self, payload: str) -> tuple[str, str]:
        """The payload as the store keeps it, and a note for the record's history."""
        if self.unmaskable:
            return "", (f"payload not stored: secret input(s) {', '.join(self.unmaskable)} are too short to mask "
                        f"(under {MIN_MASKED} characters)")
        return self.text(payload), "secret values masked in the stored payload" if self.values else ""

    def digest(self, previous: str | None = None) -> str | None:
        """A salted scrypt digest of the secret values (the salt of ``previous``
        when given, so two digests of the same values are equal)."""
        if not self.values:
            return None
        salt = secrets.token_bytes(16)
        if previous and previous.count("$") == 2:
            salt = bytes.fromhex(previous.split("$")[1])
        material = json.dumps(self.values, sort_keys=True).encode("utf-8")
        return f"scrypt${salt.hex()}${hashlib.scrypt(material, salt=salt, **_SCRYPT).hex()}"


__all__ = ["MASK", "MIN_MASKED", "SecretMask"]
