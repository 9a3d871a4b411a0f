"""Ansible Galaxy recipes: collect what blueprints ask for, resolve and lock
it, cache the archives, and hand pinned requirements to IM and ansible-galaxy.

Modules, in the order data flows through them:

* :mod:`..recipe_specs` - the spec grammar (``ns.role,version``, ``url|name``...),
  pure; it lives in ``model`` because rule PT600 checks artifacts with it too;
* :mod:`.collect` - the requests in TOSCA, RADL and local roles, with positions;
* :mod:`.client` - the Galaxy v1/v3 HTTP client (timeouts, retries, typed errors);
* :mod:`.resolve` - requests to a lock, concurrently, dependencies included;
* :mod:`.lock` - ``recipes.lock``: read strictly, written atomically; ``pin_spec``;
* :mod:`.cache`, :mod:`.archive` - archives by sha256, checked before use;
* :mod:`.requirements` - a pinned ``requirements.yml``;
* :mod:`.operations` - the ``recipes`` commands as functions.

Only the light parts are imported here, so ``from primage_tosca.galaxy.lock
import pin_spec`` (the RADL compiler's entry point) does not load HTTP code.
"""

from ..recipe_specs import RecipeSpec, parse_spec
from .errors import (ArchiveError, BadResponse, ChecksumMismatch, ConflictError, GalaxyError, LockError,
                     MissingFromCache, NotFound, RecipeError, ServerError, SpecError, StaleLock, Timeout,
                     VersionNotFound)
from .lock import Lock, LockEntry, load_lock, pin_spec

__all__ = [
    "ArchiveError", "BadResponse", "ChecksumMismatch", "ConflictError", "GalaxyError", "Lock", "LockEntry",
    "LockError", "MissingFromCache", "NotFound", "RecipeError", "RecipeSpec", "ServerError", "SpecError",
    "StaleLock", "Timeout", "VersionNotFound", "load_lock", "parse_spec", "pin_spec",
]
