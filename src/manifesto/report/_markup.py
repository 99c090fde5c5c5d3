"""Rich markup for the human formats, or plain text when colour is off."""

from __future__ import annotations


def styled(text: str, style: str | None, color: bool) -> str:
    """``text`` as markup in ``style``, or ``text`` itself when ``color`` is off.

    Every piece of user text is wrapped in a tag, ``[none]`` when it has no style:
    :func:`rich.markup.escape` doubles a trailing backslash (a Dockerfile line
    continuation), and only a following tag turns that pair back into one.
    """
    if not color:
        return text
    if not text:
        return ""
    # imported here: rich's markup costs start-up time a run without colour never uses
    from rich.markup import escape

    name = style or "none"
    return f"[{name}]{escape(text)}[/{name}]"
