"""IM credentials: the auth file format, secrets that never print, the header.

An auth file has one credential per line, ``key = value; key = value``;
blank lines and lines starting with ``#`` are skipped; values may be quoted
(``'a;b'`` or ``"a;b"``) and ``file(path)`` reads a value from a file
(relative to the auth file's folder). A file whose text is a JSON list of
objects is read as that list. Values of secret keys (passwords, tokens,
keys, proxies) are :class:`Secret`: they print as ``***``.

IM wants the credentials in the ``Authorization`` header, one line each,
joined by the two characters backslash and ``n``; a newline inside a value
(a private key read with ``file()``) is sent as backslash, backslash, ``n``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Iterable

from ..records import field, record

ENV_TOKEN = "PRIMAGE_TOSCA_IM_TOKEN"
LINE_SEPARATOR = "\\n"  # backslash, n
VALUE_NEWLINE = "\\\\n"  # backslash, backslash, n
_SECRET_KEY = re.compile(r"pass|token|secret|key|proxy|credential", re.IGNORECASE)
_PUBLIC_KEYS = {"public_key", "key_name", "keypair", "keypair_name"}


class AuthError(Exception):
    """The auth file cannot be read or is malformed."""


class Secret:
    """A value that must not be shown: ``str``/``repr`` give ``***``;
    :meth:`reveal` gives the value, only for the wire."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = str(value)

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return "***"

    def __repr__(self) -> str:
        return "Secret('***')"

    def __format__(self, spec: str) -> str:
        return format("***", spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self):  # no pickling into a cache or a store by accident
        raise TypeError("a Secret cannot be pickled")


def is_secret_key(key: str) -> bool:
    return key.lower() not in _PUBLIC_KEYS and bool(_SECRET_KEY.search(key))


def reveal(value: Any) -> str:
    return value.reveal() if isinstance(value, Secret) else str(value)


@record
class Credential:
    """One line of an auth file; secret values are :class:`Secret`."""

    values: dict[str, Any]
    line: int = 0

    @property
    def id(self) -> str:
        return str(self.values.get("id", ""))

    @property
    def type(self) -> str:
        return str(self.values.get("type", ""))

    def describe(self) -> str:
        """Who this credential is, for error messages: never a secret."""
        parts = [f"type = {self.type or '?'}"]
        if self.id:
            parts.insert(0, f"id = {self.id}")
        for key in ("username", "host"):
            value = self.values.get(key)
            if value is not None and not isinstance(value, Secret):
                parts.append(f"{key} = {value}")
        if "token" in self.values:
            parts.append("token = ***")
        where = f" (line {self.line})" if self.line else ""
        return "; ".join(parts) + where

    def to_line(self) -> str:
        items = []
        for key, value in self.values.items():
            text = reveal(value)
            if any(c in text for c in ";\n\"'") or text != text.strip():
                text = '"' + text.replace('"', "'") + '"'
            items.append(f"{key} = {text.replace(chr(10), VALUE_NEWLINE)}")
        return "; ".join(items)

    def masked(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.values.items()}


@record
class Auth:
    """The credentials sent to IM, and where they came from (the path is
    what the store keeps; never the values)."""

    credentials: list[Credential] = field(default_factory=list)
    path: str | None = None

    def header(self) -> str:
        return LINE_SEPARATOR.join(c.to_line() for c in self.credentials)

    def im_credential(self) -> Credential | None:
        return next((c for c in self.credentials if c.type == "InfrastructureManager"), None)

    def describe(self) -> str:
        im = self.im_credential()
        source = f" from {self.path}" if self.path else ""
        return (im.describe() if im else "no InfrastructureManager credential") + source

    def __repr__(self) -> str:
        return f"Auth(path={self.path!r}, credentials={[c.masked() for c in self.credentials]!r})"

    def with_token(self, token: str | Secret | None) -> "Auth":
        """The IM credential gets ``token`` (added when there is none), for
        token-based IM and EGI Check-in."""
        if not token:
            return self
        secret = token if isinstance(token, Secret) else Secret(token.strip())
        creds = [Credential(dict(c.values), c.line) for c in self.credentials]
        im = next((c for c in creds if c.type == "InfrastructureManager"), None)
        if im is None:
            creds.insert(0, Credential({"id": "im", "type": "InfrastructureManager", "token": secret}))
        elif not any(k in im.values for k in ("token", "password")):
            im.values["token"] = secret
        return Auth(creds, self.path)


def split_fields(line: str, separator: str) -> list[str]:
    """Split on ``separator`` outside single or double quotes."""
    fields, current, quote = [], [], None
    for char in line:
        if quote:
            current.append(char)
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char == separator:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    if quote:
        raise AuthError(f"unclosed {quote} quote")
    fields.append("".join(current))
    return fields


def _value(text: str, base: Path, key: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].replace("\\n", "\n")
    else:
        match = re.fullmatch(r"file\((.+)\)", text)
        if match:
            path = Path(match.group(1).strip().strip("'\"")).expanduser()
            path = path if path.is_absolute() else base / path
            try:
                text = path.read_text(encoding="utf-8").strip("\n")
            except OSError as exc:
                raise AuthError(f"cannot read file({match.group(1)}) for '{key}': {exc.strerror}") from None
    return Secret(text) if is_secret_key(key) else text


def parse_auth_text(text: str, base: Path | None = None) -> list[Credential]:
    base = base or Path.cwd()
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise AuthError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise AuthError("a JSON auth file must be a list of objects")
        return [Credential({str(k): Secret(str(v)) if is_secret_key(str(k)) else v for k, v in d.items()}, n)
                for n, d in enumerate(data, 1)]
    found = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        values: dict[str, Any] = {}
        try:
            for item in split_fields(line, ";"):
                if not item.strip():
                    continue
                pair = split_fields(item, "=")
                if len(pair) < 2 or not pair[0].strip():
                    raise AuthError(f"'{item.split('=')[0].strip()}' is not `key = value`")
                key = pair[0].strip()
                values[key] = _value("=".join(pair[1:]), base, key)
        except AuthError as exc:
            raise AuthError(f"line {number}: {exc}") from None
        if "type" not in values:
            raise AuthError(f"line {number}: a credential needs a `type`")
        found.append(Credential(values, number))
    return found


def load_auth(path: str | os.PathLike | None = None, *, token: str | Secret | None = None,
              token_env: str = ENV_TOKEN, default: Iterable[Credential] = ()) -> Auth:
    """Credentials from ``path`` (or ``default`` when there is none), with
    the token of ``token`` or the ``token_env`` environment variable."""
    if path is not None:
        file = Path(path).expanduser()
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise AuthError(f"cannot read auth file {file}: {exc.strerror}") from None
        try:
            auth = Auth(parse_auth_text(text, file.parent), str(file))
        except AuthError as exc:
            raise AuthError(f"{file}: {exc}") from None
    else:
        auth = Auth(list(default))
    env_token = os.environ.get(token_env) if token_env else None
    return auth.with_token(token or env_token)


__all__ = ["Auth", "AuthError", "Credential", "ENV_TOKEN", "Secret", "load_auth", "parse_auth_text"]
