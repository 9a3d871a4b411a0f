"""Onedata: the Oneprovider REST client (:mod:`.client`)."""

from .client import (Entry, OnedataAuthError, OnedataError, OnedataNotFound, OnedataUnreachable, OneproviderClient,
                     base_url)

__all__ = ["Entry", "OnedataAuthError", "OnedataError", "OnedataNotFound", "OnedataUnreachable",
           "OneproviderClient", "base_url"]
