"""URLs a template writes (images, repositories, implementations), read so
that a malformed one is a finding and never an exception: ``urlsplit``
raises ValueError for an unclosed ``[`` in the host part (``ost://[zz/img``)."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be read as a URL; None when it can."""
    try:
        urlsplit(url)
    except ValueError as exc:
        return str(exc) or "malformed"
    return None


def split_url(url: str) -> SplitResult | None:
    """``urlsplit(url)``, or None when the URL is malformed."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def url_path(reference: str) -> str:
    """The path of a URL; a plain path (or a malformed URL) as it is."""
    parts = split_url(reference) if "://" in reference else None
    return parts.path if parts is not None else reference
