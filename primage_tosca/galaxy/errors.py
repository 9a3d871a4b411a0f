"""Typed errors of the recipe stage.

Every error says what went wrong in one sentence a person can act on; most
also carry a ``hint`` (the command that fixes it) and, when the problem was
asked for somewhere, the place (``origin``: file:line:col).
"""

from __future__ import annotations

# The base error and the spec error live with the spec parser, which rule
# PT600 uses too; they are re-exported here for the rest of the package.
from ..recipe_specs import RecipeError, SpecError

__all__ = ["ArchiveError", "BadResponse", "ChecksumMismatch", "ConflictError", "GalaxyError", "LockError",
           "MissingFromCache", "NetworkRefused", "NotFound", "RecipeError", "RecipeErrors", "RecipeInputError",
           "ServerError", "SpecError", "StaleLock", "Timeout", "VersionNotFound", "raise_all"]


class RecipeInputError(RecipeError):
    """A blueprint, RADL file or local role cannot be read for its recipes."""


class ConflictError(RecipeError):
    """Two requests for one recipe cannot both be met (two different pinned versions)."""


class GalaxyError(RecipeError):
    """Talking to a Galaxy server (or downloading an archive) failed."""

    def __init__(self, message: str, *, url: str | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.url = url


class NotFound(GalaxyError):
    """The server has no such role, collection or file (HTTP 404, or an empty lookup)."""


class VersionNotFound(NotFound):
    """The role or collection exists but not in the version asked for."""


class ServerError(GalaxyError):
    """The server answered 5xx (after the retries) or another unexpected status."""


class BadResponse(GalaxyError):
    """The answer is not the JSON shape the Galaxy API documents."""


class Timeout(GalaxyError):
    """The server did not connect or answer in time (after the retries)."""


class NetworkRefused(RecipeError):
    """A URL the policy does not allow (plain http to a remote host, an unknown scheme)."""


class ArchiveError(RecipeError):
    """An archive is unsafe or unusable: ``..`` or absolute paths, links leaving it, too large."""


class ChecksumMismatch(ArchiveError):
    """An archive's sha256 is not the one the lock file records."""


class LockError(RecipeError):
    """The lock file is missing, unreadable, or not in the format we write."""


class StaleLock(LockError):
    """The lock file does not cover what a blueprint asks for."""


class MissingFromCache(RecipeError):
    """A locked recipe's archive is not in the local cache."""


class RecipeErrors(RecipeError):
    """Several recipes failed in one run; ``errors`` holds each."""

    def __init__(self, errors: list[RecipeError], what: str = "recipes failed"):
        self.errors = list(errors)
        lines = "\n".join(f"  - {error}" for error in self.errors)
        super().__init__(f"{len(self.errors)} {what}:\n{lines}")

    def as_dict(self) -> dict:
        return {"error": type(self).__name__, "message": self.message,
                "errors": [error.as_dict() for error in self.errors]}


def raise_all(errors: list[RecipeError], what: str = "recipes failed") -> None:
    """Raise the one error as it is, or several together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise RecipeErrors(errors, what)
