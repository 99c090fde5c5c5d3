"""Writing new shell text into a RUN in the file's own style.

Fixers that add a command (a clean-up after an install, say) call
:func:`append_command`: it finds where the script's last top-level statement
ends and joins the new command with the operator that keeps the script's
meaning, laid out the way the RUN already is: its newline, its escape
character, its continuation indent, and ``&&`` at the end of a line or at the
start of the next.
"""

from __future__ import annotations

from dataclasses import dataclass

from manifesto.cst import Instruction, Role
from manifesto.edits import Edit
from manifesto.shell import ShellScript

JOINING_OPERATORS = ("&&", "||", ";", "|")


@dataclass(frozen=True, slots=True)
class RunStyle:
    newline: str
    escape: str
    indent: str
    operator_first: bool
    """``\\`` then ``&& cmd`` on the next line (True) or ``cmd && \\`` (False)."""
    multiline: bool


def run_style(ins: Instruction) -> RunStyle:
    """How a RUN lays out its continuation lines."""
    newline = next((ln.newline for ln in ins.lines if ln.newline), "\n")
    code_lines = [
        ln
        for ln, role in zip(ins.lines, ins.roles, strict=True)
        if role in (Role.FIRST, Role.CONTINUATION)
    ]
    first_votes = last_votes = 0
    for line in code_lines[1:]:
        if line.content.lstrip().startswith(JOINING_OPERATORS):
            first_votes += 1
    for line in code_lines[:-1]:
        body = line.content.rstrip(" \t")
        body = body[: -len(ins.escape)] if body.endswith(ins.escape) else body
        if body.rstrip().endswith(JOINING_OPERATORS):
            last_votes += 1
    indent = "    "
    if len(code_lines) > 1:
        last = code_lines[-1].content
        indent = last[: len(last) - len(last.lstrip(" \t"))] or indent
    return RunStyle(
        newline=newline,
        escape=ins.escape,
        indent=indent,
        operator_first=first_votes > last_votes,
        multiline=len(code_lines) > 1,
    )


def append_command(ins: Instruction, script: ShellScript, command: str) -> Edit:
    """An insertion that runs ``command`` after everything else the RUN does.

    ``&&`` keeps the RUN's exit status (the command runs only if the script so
    far succeeded); under ``set -e`` with statements joined by ``;`` the script
    already stops at the first failure, so ``;`` keeps its style. In a
    ``RUN <<EOF`` script the command goes on the line of the last statement.
    """
    operator = script.append_operator()
    at = script.end
    if script.script_heredoc is not None:
        if operator == "\n":
            body = script.script_heredoc.body
            line_start = body.text.rfind("\n", 0, at - body.start) + 1
            line = body.text[line_start:]
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            rest = body.text[at - body.start :]
            nl = "\r\n" if rest.split("\n", 1)[0].endswith("\r") else "\n"
            return Edit.insert(at, nl + indent + command)
        return Edit.insert(at, f" {operator} {command}")
    style = run_style(ins)
    if operator == "\n":
        operator = ";"
    if not style.multiline:
        sep = "; " if operator == ";" else f" {operator} "
        return Edit.insert(at, f"{sep}{command}")
    glue = f"{style.escape}{style.newline}{style.indent}"
    if operator == ";":
        return Edit.insert(at, f"; {glue}{command}")
    if style.operator_first:
        return Edit.insert(at, f" {glue}{operator} {command}")
    return Edit.insert(at, f" {operator} {glue}{command}")
