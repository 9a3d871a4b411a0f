"""What the Kubernetes manifests and the application lifecycle agree on: the
label and annotation names, and the range form of completion indexes
("0-2,5", as a Job's ``completedIndexes``). A leaf module, so that reading an
application's state loads neither the compiler nor the checks."""

from __future__ import annotations

LABEL = "primage.eu/application"
URL_ANNOTATION = "primage.eu/url"
INDEXES_ANNOTATION = "primage.eu/input-indexes"  # a run's completion index i -> the job's input index


def index_ranges(indexes: list[int]) -> str:
    """[0, 1, 2, 5] -> "0-2,5" (the form of a Job's completedIndexes)."""
    parts: list[str] = []
    ordered = sorted(set(indexes))
    start = None
    for position, value in enumerate(ordered):
        start = value if start is None else start
        if position + 1 == len(ordered) or ordered[position + 1] != value + 1:
            parts.append(str(start) if start == value else f"{start}-{value}")
            start = None
    return ",".join(parts)


def parse_ranges(text: str | None) -> list[int]:
    """"0-2,5" -> [0, 1, 2, 5]; an empty or missing text -> []."""
    found: list[int] = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        first, _, last = part.partition("-")
        found.extend(range(int(first), int(last or first) + 1))
    return found


__all__ = ["INDEXES_ANNOTATION", "LABEL", "URL_ANNOTATION", "index_ranges", "parse_ranges"]
