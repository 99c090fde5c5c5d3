"""Low-level text rules shared by the parser and the semantic views.

Each function reproduces one of BuildKit's rules (frontend/dockerfile/parser),
character for character, so that our reading of a file is BuildKit's.
"""

from __future__ import annotations

import re

# Go's unicode.IsSpace: what BuildKit trims and splits on.
GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
GO_SPACE_CHARS = "".join(sorted(GO_SPACE))

# reWhitespace in parser.go: the separator of FROM/EXPOSE words and of the keyword.
WHITESPACE_RE = re.compile(r"[\t\v\f\r ]+")

DIRECTIVE_RE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$", re.DOTALL)
HEREDOC_RE = re.compile(r"^(\d*)<<(-?)([^<]*)$", re.DOTALL)

VALID_DIRECTIVES = frozenset({"escape", "syntax", "check"})

# bufio.Scanner's default limit: a longer physical line is an error in BuildKit.
MAX_LINE_BYTES = 64 * 1024


def strip_go(s: str) -> str:
    return s.strip(GO_SPACE_CHARS)


def trim_continuation(content: str, escape: str) -> tuple[str, bool]:
    """Remove a trailing line-continuation escape; say whether there was one.

    BuildKit's regex is ``([^E])E[ \\t]*$|^E[ \\t]*$``: the escape character,
    optionally followed by blanks, at the end of the line, and not itself escaped
    by one more escape character just before it.
    """
    body = content.rstrip(" \t")
    if not body.endswith(escape):
        return content, False
    if len(body) == 1:
        return "", True
    if body[-2] == escape:
        return content, False
    return body[:-1], True


def go_quote(s: str) -> str:
    """Go's strconv.Quote, for comparing with BuildKit's AST dumps."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\a":
            out.append("\\a")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\v":
            out.append("\\v")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)
