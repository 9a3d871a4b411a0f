"""What can go wrong talking to a Kubernetes API server, as typed errors with
messages a user can act on. Nothing here imports the `kubernetes` package."""

from __future__ import annotations


class KubeError(Exception):
    """A Kubernetes API call failed; ``str()`` says what and what to do."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class KubeConfigError(KubeError):
    """No usable kubeconfig: missing file, unknown context, malformed YAML."""


class Unreachable(KubeError):
    """No answer from the API server (refused, unknown host, timeout)."""


class TLSFailure(KubeError):
    """The TLS handshake failed (untrusted or mismatched certificate)."""


class Unauthorized(KubeError):
    """401: the credentials of the kubeconfig were refused."""


class Forbidden(KubeError):
    """403: the user may not do this verb on this resource."""

    def __init__(self, message: str, verb: str = "", resource: str = "", status: int | None = 403):
        super().__init__(message, status)
        self.verb, self.resource = verb, resource


class QuotaExceeded(Forbidden):
    """403 from a ResourceQuota: the namespace is full."""


class NamespaceMissing(KubeError):
    """The namespace does not exist on this cluster."""


class NotFound(KubeError):
    """404: the object is not there."""


class Conflict(KubeError):
    """409: the object exists, or another field manager owns what we change."""


class Invalid(KubeError):
    """422: the server refused the object (an immutable field changed, a bad value)."""


class NotOwned(KubeError):
    """An object of that name exists that this deployment did not create."""


__all__ = ["Conflict", "Forbidden", "Invalid", "KubeConfigError", "KubeError", "NamespaceMissing", "NotFound",
           "NotOwned", "QuotaExceeded", "TLSFailure", "Unauthorized", "Unreachable"]
