"""Reading an edited document again by reading only the block that changed.

An editor sends the whole text after each keystroke, and most of a large
template did not change. When the change lies inside one block mapping
(the lines under a ``key:`` line that are indented deeper than it), that
block is parsed alone and put in the place of the old one: its data, the
positions of its keys and values (moved to its lines), and the positions
after it moved by the lines the edit added or removed. The result is the
one a full parse gives; whenever that cannot be sure (problems, anchors,
tabs, text that is not plain UTF-8, a change on a key line) the answer is
None and the caller parses the whole text.
"""

from __future__ import annotations

import re
from typing import Any

from ..source.reader import Limits, ParsedYaml, declares_2_0, parse_bytes

# A line that opens a block: an indented plain key with nothing after the colon but a comment.
_HEADER = re.compile(r"( *)([A-Za-z0-9_][A-Za-z0-9_.\-]*):[ ]*(?:#.*)?")
_UNSAFE = ("&", "\t", "<<", "\ufeff")  # anchors, merges, tabs, byte order marks: parse it all
_BREAKS = ("\r", "\x85", "\u2028", "\u2029")  # line breaks of YAML besides \n: lines would not be counted alike
MIN_LINES = 200  # a short document is parsed whole: the gain would not pay for the bookkeeping


def reparse(old_raw: bytes, old: ParsedYaml, new_raw: bytes, limits: Limits,
            places: dict[tuple, tuple] | None = None) -> tuple[ParsedYaml, dict[tuple, tuple]] | None:
    """The parse of ``new_raw`` made from ``old`` (the parse of ``old_raw``) and
    its key places (see :func:`key_places`), or None. ``places`` are the old
    parse's key places, when the caller keeps them."""
    if not old.ok or old.problems or len(new_raw) > limits.max_bytes or b"\x00" in new_raw[:8192]:
        return None
    try:
        old_text, new_text = old_raw.decode("utf-8"), new_raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(mark in new_text or mark in old_text for mark in _BREAKS):
        return None
    if declares_2_0(new_text) != old.yaml_1_2:  # the edit changes which YAML reads the file
        return None
    block = _changed_block(old_text, new_text)
    if block is None:
        return None
    header, old_block, new_block = block
    if any(mark in new_block or mark in old_block for mark in _UNSAFE):
        return None
    places = places if places is not None else key_places(old)
    path = places.get((header + 1, _indent(new_block) + 1))
    if path is None or not isinstance(_at(old.data, path), (dict, list)):
        return None
    inner = Limits(limits.max_bytes, limits.max_depth - len(path) + 1, limits.max_nodes)
    before, after = (_part(text, inner, path, header, old.yaml_1_2) for text in (old_block, new_block))
    if before is None or after is None:
        return None
    shift = new_block.count("\n") - old_block.count("\n")
    found = _splice(old, after, before, path, header + old_block.count("\n") + 1, shift)
    # Without aliases a document counts one node per value; with them the old count is unknown here.
    grown = len(found.values) > len(old.values)
    if grown and (len(found.values) >= limits.max_nodes // 2 or b"*" in old_raw):
        return None
    if not shift and list(before[2]) == list(after[2]):
        places = dict(places)  # the same keys, perhaps at other columns
        for position in before[2].values():
            places.pop(position, None)
        places.update({position: where for where, position in after[2].items()})
    else:
        places = key_places(found)
    return found, places


def key_places(parsed: ParsedYaml) -> dict[tuple, tuple]:
    """Key position -> the key's path, for finding the path of a block's key line."""
    return {position: path for path, position in parsed.keys.items()}


def _part(text: str, limits: Limits, path: tuple, header: int, yaml_1_2: bool) -> tuple[Any, dict, dict] | None:
    """A block read alone, by the YAML its document is read with: its value, and the
    positions of its values and keys with their paths and lines in the whole document."""
    part = parse_bytes(text.encode("utf-8"), limits, yaml_1_2)
    if not part.ok or part.problems or not isinstance(part.data, dict) or list(part.data) != [path[-1]]:
        return None
    prefix = path[:-1]
    # The block's own root (path ()) is the enclosing mapping, whose place the old table has.
    return (part.data[path[-1]],
            *({prefix + inner: (line + header, column) for inner, (line, column) in table.items() if inner}
              for table in (part.values, part.keys)))


def _changed_block(old: str, new: str) -> tuple[int, str, str] | None:
    """The block holding the whole change: its key line, and its text in the old
    and in the new document; None when there is none."""
    if old == new or new.count("\n") < MIN_LINES:
        return None
    shortest = min(len(old), len(new))
    start = same_run(old, new, shortest, lambda text, a, b: text[a:b])
    same_tail = same_run(old, new, shortest - start, lambda text, a, b: text[len(text) - b:len(text) - a])
    first = old.count("\n", 0, start)  # the line the change starts on
    offset = old.rfind("\n", 0, start) + 1  # where it starts
    line_end = offset - 1
    for header in range(first - 1, -1, -1):
        offset = old.rfind("\n", 0, line_end) + 1  # the start of line `header`; the same in both texts
        line, line_end = old[offset:line_end], offset - 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = _indent(line)
        if not _HEADER.fullmatch(line):
            if indent == 0:
                return None
            continue
        old_end, new_end = _block_end(old, offset, indent), _block_end(new, offset, indent)
        # the block must hold the whole change: what follows it is the same text in both
        if len(old) - old_end == len(new) - new_end <= same_tail and old_end > start:
            return header, old[offset:old_end], new[offset:new_end]
        if indent == 0:
            return None
    return None


def same_run(old: str | bytes, new: str | bytes, most: int, cut) -> int:
    """How many characters (or bytes) the two texts share from one end (``cut`` takes the
    characters a to b from that end), up to ``most``: compared by slices that
    halve, as a character loop would take milliseconds on a large template."""
    done, step = 0, 4096
    while step:
        while done + step <= most and cut(old, done, done + step) == cut(new, done, done + step):
            done += step
        step //= 2
    return done


def _block_end(text: str, offset: int, indent: int) -> int:
    """Where the block whose key line starts at ``offset`` ends: the start of the
    first line after it that is indented no deeper (blank and comment lines do
    not count), or the end of the text; the newline before it is not the block's."""
    at = text.find("\n", offset)
    while at != -1:
        start = at + 1
        at = text.find("\n", start)
        line = text[start:at if at != -1 else len(text)]
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith("#") and len(line) - len(stripped) <= indent:
            return start - 1
    return len(text)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _replaced(data: Any, path: tuple, value: Any) -> Any:
    """``data`` with the value at ``path`` replaced; the collections on the way are copies."""
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = _replaced(data[path[0]], path[1:], value)
    return copy


def _splice(old: ParsedYaml, after: tuple, before: tuple, path: tuple, old_end: int, shift: int) -> ParsedYaml:
    """``old`` with the new block in the place of the old one; ``old_end`` is the
    old block's last line, ``shift`` the lines the edit added."""
    data = _replaced(old.data, path, after[0])
    tables = []
    for number, table in ((1, old.values), (2, old.keys)):
        if not shift and list(before[number]) == list(after[number]):
            tables.append({**table, **after[number]})  # the same paths in the same order: positions change
        else:
            tables.append(_positions(table, after[number], path, old_end, shift))
    return ParsedYaml(data, tables[0], tables[1], [], yaml_1_2=old.yaml_1_2)


def _positions(old: dict, moved: dict, path: tuple, old_end: int, shift: int) -> dict:
    """The old table with the block's entries in the place of the old block's, in document order."""
    size = len(path)
    found: dict = {}
    placed = False
    for where, position in old.items():
        if len(where) >= size and where[size - 1] == path[-1] and where[:size] == path:
            if not placed:
                found.update(moved)
                placed = True
            continue
        if shift and position[0] > old_end:
            position = (position[0] + shift, position[1])
        found[where] = position
    if not placed:
        found.update(moved)
    return found
