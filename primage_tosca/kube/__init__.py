"""The Kubernetes API client: a thin layer over the official `kubernetes`
package (imported on first use, so loading this package costs nothing) with
typed errors (:mod:`.errors`)."""

from .errors import (Conflict, Forbidden, Invalid, KubeConfigError, KubeError, NamespaceMissing, NotFound, NotOwned,
                     QuotaExceeded, TLSFailure, Unauthorized, Unreachable)

__all__ = ["Conflict", "Forbidden", "Invalid", "KubeConfigError", "KubeError", "NamespaceMissing", "NotFound",
           "NotOwned", "QuotaExceeded", "TLSFailure", "Unauthorized", "Unreachable"]
