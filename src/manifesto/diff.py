"""Unified diffs that ``git apply -p1`` accepts, newline quirks and odd file names included."""

from __future__ import annotations

import bisect
import difflib
import itertools
from collections.abc import Iterator, Sequence

NO_NEWLINE = "\\ No newline at end of file\n"

# git's quote_c_style: these get a letter escape, other controls, DEL and every
# byte of a non-ASCII character an octal one (core.quotePath, on by default).
_C_ESCAPES = {
    0x07: "\\a",
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0B: "\\v",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}


def _name_bytes(name: str) -> bytes:
    """The file name's bytes: undecodable ones come back from their surrogate escapes."""
    try:
        return name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogatepass")


def quote_path(name: str) -> str:
    """``name`` as git writes it in a diff header: as is, or C-quoted in double quotes.

    A name with a newline, tab, quote, backslash, control character or non-ASCII
    byte is quoted (``"b/nl\\nx/Dockerfile"``, ``"b/Dockerfile.\\377"``), so a
    header is always one line of printable ASCII that ``git apply`` reads back
    to the same bytes.
    """
    data = _name_bytes(name)
    if all(0x20 <= b < 0x7F and b not in _C_ESCAPES for b in data):
        return name
    out = []
    for b in data:
        if b in _C_ESCAPES:
            out.append(_C_ESCAPES[b])
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03o}")
    return '"' + "".join(out) + '"'


def _header(sign: str, name: str) -> str:
    # git ends the line with a tab when the name has a space, so that patch(1)
    # does not take the part after the space for a timestamp.
    tab = "\t" if " " in name else ""
    return f"{sign} {quote_path(name)}{tab}\n"


def split_keep(text: str) -> list[str]:
    """Lines split on ``\\n`` only (a lone ``\\r`` stays inside its line)."""
    if not text:
        return []
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unified_diff(path: str, before: str, after: str, context: int = 3) -> str:
    """``--- a/PATH`` / ``+++ b/PATH`` diff of two texts; empty when equal.

    ``PATH`` is quoted as git quotes it (:func:`quote_path`).
    """
    if before == after:
        return ""
    out: list[str] = [_header("---", f"a/{path}"), _header("+++", f"b/{path}")]
    for line in _hunks(split_keep(before), split_keep(after), context):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n")
            out.append(NO_NEWLINE)
    return "".join(out)


def new_file_diff(path: str, content: str) -> str:
    """The diff that creates ``path`` with ``content`` (``--- /dev/null``): ``git apply``
    creates the file."""
    lines = split_keep(content)
    out = ["--- /dev/null\n", _header("+++", f"b/{path}"), f"@@ -0,0 +1,{len(lines)} @@\n"]
    for line in lines:
        out.append(f"+{line}" if line.endswith("\n") else f"+{line}\n{NO_NEWLINE}")
    return "".join(out)


DIFFLIB_LINES = 2_000
"""Up to this many lines a side, difflib's own matcher. It costs lines x hunks when
the hunks are many and alike (every RUN of a big generated file fixed the same
way); past it, the lines are first cut at anchors and difflib matches between them."""


def _hunks(a: list[str], b: list[str], context: int) -> Iterator[str]:
    """The hunk lines of a unified diff (no ---/+++ header), as ``difflib`` writes them."""
    if len(a) <= DIFFLIB_LINES and len(b) <= DIFFLIB_LINES:
        # difflib's own ---/+++ lines are dropped: the caller writes quoted ones
        yield from itertools.islice(difflib.unified_diff(a, b, n=context, lineterm="\n"), 2, None)
        return
    for group in _AnchoredMatcher(a, b).get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        old = _format_range(first[1], last[2])
        new = _format_range(first[3], last[4])
        yield f"@@ -{old} +{new} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + line for line in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + line for line in b[j1:j2])


def _format_range(start: int, stop: int) -> str:
    """difflib's ``start,length`` of a hunk side (1-based; ``N,0`` for an empty one)."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return f"{beginning}"
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


class _AnchoredMatcher(difflib.SequenceMatcher[str]):
    """difflib's opcodes over matching blocks found in near-linear time.

    The lines that occur exactly once on each side, in an order both sides agree
    on (the longest such sequence, as patience diff takes it), are matched first;
    difflib's matcher then only sees the short stretches between two anchors.
    """

    def __init__(self, a: Sequence[str], b: Sequence[str]) -> None:
        super().__init__(None, a, b)
        self._blocks = _merged(_anchored_blocks(a, b), a, b)

    def get_matching_blocks(self) -> list[difflib.Match]:
        return self._blocks


def _anchored_blocks(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int, int]]:
    once_a = {line: i for line, i in _unique(a).items()}
    once_b = _unique(b)
    pairs = [(i, once_b[line]) for line, i in once_a.items() if line in once_b]
    pairs.sort()
    anchors = _longest_increasing(pairs)
    blocks: list[tuple[int, int, int]] = []
    ai = bj = 0
    for i, j in [*anchors, (len(a), len(b))]:
        if ai < i or bj < j:
            matcher = difflib.SequenceMatcher(None, a[ai:i], b[bj:j])
            blocks += [(ai + x, bj + y, n) for x, y, n in matcher.get_matching_blocks() if n]
        if i < len(a):
            blocks.append((i, j, 1))
        ai, bj = i + 1, j + 1
    return blocks


def _unique(lines: Sequence[str]) -> dict[str, int]:
    """Each line that occurs once, with its index."""
    seen: dict[str, int] = {}
    for i, line in enumerate(lines):
        seen[line] = -1 if line in seen else i
    return {line: i for line, i in seen.items() if i >= 0}


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of ``pairs`` (sorted by first item) increasing in the second."""
    tails: list[int] = []  # tails[k]: second item ending the best run of length k + 1
    ends: list[int] = []  # index in pairs of that end
    previous: list[int] = []
    for index, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            ends.append(index)
        else:
            tails[k] = j
            ends[k] = index
        previous.append(ends[k - 1] if k else -1)
    out: list[tuple[int, int]] = []
    at = ends[-1] if ends else -1
    while at >= 0:
        out.append(pairs[at])
        at = previous[at]
    return out[::-1]


def _merged(
    blocks: list[tuple[int, int, int]], a: Sequence[str], b: Sequence[str]
) -> list[difflib.Match]:
    """Adjacent blocks joined, and difflib's closing ``(len(a), len(b), 0)``."""
    out: list[difflib.Match] = []
    for i, j, n in blocks:
        if out and out[-1].a + out[-1].size == i and out[-1].b + out[-1].size == j:
            last = out[-1]
            out[-1] = difflib.Match(last.a, last.b, last.size + n)
        else:
            out.append(difflib.Match(i, j, n))
    out.append(difflib.Match(len(a), len(b), 0))
    return out
