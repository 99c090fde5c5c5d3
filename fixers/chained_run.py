"""## What it does

Finds a RUN whose `&&` / `;` chain holds logically independent units and
splits it into one RUN per unit. A unit starts at a command that installs
(`apt-get update`/`install`, `apk add`, `dnf install`, `pip install`,
`npm ci`, ...), fetches (`curl`, `wget`, `git clone`) or builds
(`./configure`, `make`, `cmake`), together with what prepares it (a `cd`, a
`mkdir`, an `echo` banner, the package sources and keys of an install), and runs
up to the next such command. Commands of one kind in a row (`apt-get update &&
apt-get install`, `./configure && make`, `curl a && curl b`) are one unit.
Units are then joined back wherever splitting would change the image:

- a package-manager unit keeps its update, install and clean-up together;
- a file created in one command and deleted by a later one stays in one unit,
  and so does one changed in place later (`chmod`, `chown`, `sed -i`: a layer
  that changes a file holds a whole copy of it). The paths are read from the
  literal words: redirections, `-o`/`-O` outputs, `tar -x -C`, `unzip -d`,
  `mkdir`, `cp`/`mv`/`ln` destinations, `git clone`'s directory. A package
  manager writes the system directories, all but `/tmp`, `/var/tmp`,
  `/usr/local`, `/opt`, `/srv`, `/mnt` and home directories; a language package
  manager writes anywhere but `/tmp`, `/var`, `/etc`, `/srv` and `/mnt`. `rm`,
  `mv`'s sources, `gunzip`, `find -delete`, `apt-get purge`/`clean` and
  `apk del` delete. A path written with a variable may be any path;
- shell state does not cross a split: after an `export`, an assignment,
  `source`, a function, `umask`, `trap`, a `for` loop or a `cd` to a directory
  that is not a literal path, the rest of the chain is one unit. Two kinds of
  state are carried: leading `set` options (`set -eux`) are repeated at the
  head of each new RUN, and a unit that needs the directory of an earlier
  literal `cd` starts with that `cd` again (no split when a command since that
  `cd` may delete the directory: the shell went on in it, a new `cd` fails);
- a split never changes where the build fails (see Fix safety).

## Why

A layer is cached as a whole: when one command of a long chain changes (a
version bumped in a download URL), the whole RUN runs again, package installs
included, and images built on the same base share nothing past the first
difference. One RUN per unit lets a rebuild reuse every unit before the one
that changed. It is the manifesto's "leverage layering": group what belongs
together (install with its clean-up: splitting them would keep the deleted
bytes in an earlier layer) and separate what does not.

It is a trade-off: more layers, and hadolint's DL3059 asks for the opposite
(consecutive RUNs merged). That is why this rule is opt-in.

## Example

Before:

    RUN apt-get update && \
        apt-get install -y --no-install-recommends ca-certificates curl && \
        rm -rf /var/lib/apt/lists/* && \
        curl -fsSL -o /tmp/tool.tar.gz https://example.com/tool-1.2.tar.gz && \
        tar -xzf /tmp/tool.tar.gz -C /opt && \
        rm /tmp/tool.tar.gz

After:

    RUN apt-get update && \
        apt-get install -y --no-install-recommends ca-certificates curl && \
        rm -rf /var/lib/apt/lists/*
    RUN curl -fsSL -o /tmp/tool.tar.gz https://example.com/tool-1.2.tar.gz && \
        tar -xzf /tmp/tool.tar.gz -C /opt && \
        rm /tmp/tool.tar.gz

## Fix safety

Unsafe, and opt-in: `ALL` does not select it; name it (`--select MF203`,
`--extend-select MF2`). It changes the layers of the image (their number and
content; the final file tree is the same) and what a rebuild reuses.

The build fails where it failed before, and succeeds only when the RUN did:

- at `&&`: only in the script's last statement, and only where no `||` follows
  in it (`a && b || c` runs `c` when `a` fails);
- at `;` or a newline: only where `set -e` (in the script or in the `SHELL`
  flags) stops the script when the statement before it fails (a simple command
  or a pipeline, not an and-or list or a compound command), or where that
  statement cannot fail (`true`, `:`). Without `set -e`, `a; b` goes on after
  `a` fails, and two RUNs would not;
- never across `||`, a pipe, a subshell, `{ }`, a loop or an `if`, nor after
  `exit`, `exec` or `return`, nor in a chain that runs something in the
  background (`&`).

Each new RUN is written in the file's style: the RUN's own keyword as written
and its flags copied (`--mount`, `--network`, `--security`: every new RUN gets
all of them, so a cache or secret mount is there for every unit, as it was for
the whole chain), the continuation lines as they were, and a comment line
between two units moved above the RUN of the unit it precedes.

No split (and no finding) when:

- the result would hold a RUN without a command that installs, fetches or
  builds (the threshold: every new RUN must do one of those, so a chain of
  cheap commands, `mkdir && chmod && ln`, stays one RUN: more layers, no reuse);
- the script has tree-sitter errors, a here-document (the body would have to
  move with its command), or is run by a non-POSIX `SHELL` or on Windows;
- a comment inside the continuation between two units is a pragma (moved, it
  would start applying to a new RUN), or a pragma above the RUN applies to it
  (it would apply to the first new RUN only).

## Caveats

A leading `cd DIR &&` is never turned into `WORKDIR DIR`: `WORKDIR` also moves
every later instruction and the container's start directory, which is rarely
equivalent; the `cd` is kept in the RUN (repeated when a later unit needs it).
A program the rule does not know is taken to write its working directory and
the absolute paths its words name, and to delete nothing; a script it runs
(`./cleanup.sh`, `make clean`) may delete files an earlier unit created, which
would then stay in that unit's layer. Exports and assignments are never carried,
so a chain that starts with `export DEBIAN_FRONTEND=noninteractive` is left as
it is (an `ENV` or `ARG` would change later instructions too).

## Related

hadolint DL3059 (merge consecutive RUNs) pulls the other way. BuildKit has none.
"""

from __future__ import annotations

import bisect
import itertools
import re
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from manifesto.fixers._units import (
    HERE,
    ROOT,
    SYSTEM_FAMILIES,
    Atom,
    Effects,
    FirstWriters,
    PathT,
    Region,
    atoms_of,
    effects,
    resolve,
    writes_manager_config,
)

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction, Role
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Edit, Fix, Violation, apply_edits
from manifesto.pragmas import Pragmas, read_pragmas
from manifesto.shell import ShellScript, Statement

INFO = RuleInfo(
    code="MF203",
    name="chained_run",
    title="Split a RUN chaining independent units into one RUN per unit; opt-in",
    applicability=Applicability.UNSAFE,
    doc=__doc__ or "",
)

_PRAGMA = re.compile(r"manifesto\s*:|hadolint|check\s*=", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Split:
    """Where a chain is cut: after atom ``after``, the next RUN carrying ``carry``."""

    after: int
    carry: str


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    for ins in tree.instructions:
        if ins.keyword != "RUN":
            continue
        plan = _plan(ins, ctx)
        if plan is not None:
            yield _violation(ins, ctx, plan)


@dataclass(frozen=True, slots=True)
class _Plan:
    atoms: list[Atom]
    splits: list[_Split]
    named_by: list[int]
    """For each new RUN, the atom that names it in the message (its first install,
    fetch or build)."""


def _plan(ins: Instruction, ctx: FixContext) -> _Plan | None:
    script = ctx.shell(ins)
    if (
        script is None
        or script.has_errors
        or not script.supported
        or script.heredocs
        or script.script_heredoc is not None
        or ctx.windows_at(ins)
        or not ctx.posix_shell_at(ins)
    ):
        return None
    pragmas: Pragmas = ctx.cached(("chained_run.pragmas",), lambda: read_pragmas(ctx.tree))
    if pragmas.by_instruction.get(ins.start):
        return None
    atoms = atoms_of(script, ctx.text)
    if atoms is None or len(atoms) < 2:
        return None
    chain = _Chain.read(atoms, script, _workdir(ins, ctx))
    if chain is None:
        return None
    cuts = [b for b in chain.candidates() if chain.allowed[b]]
    # Threshold: every new RUN installs, fetches or builds. Later units start at
    # such a command by construction; the first one may not (`mkdir /x && chmod ...`
    # before the install): it then stays with the second.
    while cuts and not any(chain.effects[i].starts for i in range(cuts[0] + 1)):
        cuts.pop(0)
    if not cuts:
        return None
    splits: list[_Split] = []
    for cut in cuts:
        carry = chain.carry(cut, ctx.text)
        if carry is None:
            return None
        splits.append(_Split(cut, carry))
    if any(_PRAGMA.search(c) for s in splits for c in _gap_comments(ins, atoms, s.after)):
        return None
    bounds = [0, *(s.after + 1 for s in splits), len(atoms)]
    named_by = [
        next((i for i in range(lo, hi) if chain.effects[i].starts), lo)
        for lo, hi in itertools.pairwise(bounds)
    ]
    return _Plan(atoms, splits, named_by)


def _workdir(ins: Instruction, ctx: FixContext) -> PathT | None:
    """The RUN's starting directory when the stage sets it with a literal absolute
    ``WORKDIR`` (relative ones are joined to the one before)."""
    return ctx.cached(("chained_run.workdirs",), lambda: _workdirs(ctx)).get(id(ins))


def _workdirs(ctx: FixContext) -> dict[int, PathT | None]:
    """Each instruction's starting directory, in one walk over each stage (walking
    everything earlier in the image for each RUN is quadratic in a long file). A stage
    starts where the stage it is built FROM ends."""
    out: dict[int, PathT | None] = {}
    ends: dict[int, PathT | None] = {}
    for stage in ctx.stages:
        chain = ctx.ancestors(stage)
        parent = chain[-2] if len(chain) > 1 else None
        if parent is None:
            current: PathT | None = None
        elif parent.index in ends:
            current = ends[parent.index]
        else:  # a parent later in the file (never in a file BuildKit builds): walk it
            current = None
            for item in (i for st in chain[:-1] for i in st.instructions):
                current = _after_workdir(item, current)
        for item in stage.instructions:
            out[id(item)] = current
            current = _after_workdir(item, current)
        ends[stage.index] = current
    return out


def _after_workdir(item: Instruction, current: PathT | None) -> PathT | None:
    if item.keyword != "WORKDIR":
        return current
    value = item.args_text.strip()
    if "$" in value or not value:
        return None
    if value.startswith("/"):
        return resolve(value, None)
    return resolve(value, current) if current is not None else None


class _Chain:
    """The atoms of one RUN with their effects, and which cuts keep its meaning."""

    def __init__(
        self,
        atoms: list[Atom],
        effects_: list[Effects],
        cwd_before: list[PathT | None],
        allowed: list[bool],
        leading_sets: int,
        workdir: PathT | None = None,
    ) -> None:
        self.atoms = atoms
        self.effects = effects_
        self.cwd_before = cwd_before
        self.allowed = allowed
        self.leading_sets = leading_sets
        self.workdir = workdir

    @classmethod
    def read(cls, atoms: list[Atom], script: ShellScript, workdir: PathT | None) -> _Chain | None:
        cwd: PathT | None = (HERE,)
        found: list[Effects] = []
        cwd_before: list[PathT | None] = []
        state_from: int | None = None
        leading_sets = 0
        for i, atom in enumerate(atoms):
            cwd_before.append(cwd)
            fx = effects(atom, cwd)
            if fx.leaves:
                return None  # the commands after an `exit` would run in a new RUN
            if fx.leading_set and leading_sets == i:
                leading_sets += 1
            elif fx.leading_set:
                fx.state = True
            if fx.cd is not None:
                cwd = fx.cd
            if fx.state and state_from is None:
                state_from = i
                cwd = None
            found.append(fx)
        last = script.statements[-1]
        parts = _part_indices(atoms)
        allowed = [
            _keeps_failures(atoms[b], found[b], script, last, parts[b])
            and b >= leading_sets
            and (state_from is None or b < state_from)
            and cwd_before[b + 1] is not None
            for b in range(len(atoms) - 1)
        ]
        _glue_package_managers(found, allowed)
        writers = FirstWriters([fx.writes for fx in found], workdir)
        for j, fx in enumerate(found):
            for target in (*fx.deletes, *fx.modifies):
                first = writers.first(target)
                if first is not None and first < j:
                    for b in range(first, j):
                        allowed[b] = False
        return cls(atoms, found, cwd_before, allowed, leading_sets, workdir)

    def starts_unit_kind(self, i: int) -> bool:
        return self.effects[i].starts is not None

    def unit_starts(self) -> list[int]:
        """Atoms that start a unit: an install, fetch or build that does not go on
        from one of the same kind (``apt-get update && apt-get install``,
        ``./configure && make``, ``curl a && curl b``)."""
        out: list[int] = []
        for i, fx in enumerate(self.effects):
            if fx.starts is None:
                continue
            if i > 0:
                before = self.effects[i - 1]
                same_manager = fx.manager is not None and before.manager == fx.manager
                if same_manager or (fx.manager is None and before.starts == fx.starts):
                    continue
            out.append(i)
        return out

    def candidates(self) -> list[int]:
        """The cuts before each unit start, moved back over what prepares the unit:
        a `cd` or `mkdir`, an `echo` banner, what feeds it through a pipe, a package
        source for an install."""
        cuts: set[int] = set()
        for i in self.unit_starts():
            fx = self.effects[i]
            system = fx.manager in SYSTEM_FAMILIES
            b = i - 1
            while b >= 0 and self._prepares(b, system):
                b -= 1
            if b >= 0:
                cuts.add(b)
        return sorted(cuts)

    def _prepares(self, b: int, system: bool) -> bool:
        atom, fx = self.atoms[b], self.effects[b]
        if atom.operator_after in ("|", "|&"):
            return True
        if fx.cd is not None:
            return True
        head = atom.head
        if head is not None and head.program == "mkdir" and not fx.deletes:
            return True
        if head is not None and head.program in ("echo", "printf") and not head.redirects:
            return True  # a banner (`echo "**** install packages ****"`) names what follows
        return system and writes_manager_config(fx)

    def carry(self, cut: int, text: str) -> str | None:
        """What the RUN after ``cut`` repeats first: the leading `set` options, and a
        `cd` to the directory an earlier `cd` left, when the unit needs it."""
        parts = ""
        joiner = " && "
        if self.leading_sets:
            first, nxt = self.atoms[0].start, self.atoms[self.leading_sets].start
            parts = _without_dropped_lines(text[first:nxt])
            gap = text[self.atoms[self.leading_sets - 1].end : nxt]
            joiner = _without_dropped_lines(gap)
        cwd = self.cwd_before[cut + 1]
        if cwd is None:
            return None
        if cwd != (HERE,) and self._needs_cwd(cut + 1):
            if self._deleted(cwd, cut):
                return None  # the repeated `cd` would fail where the shell went on
            where = "/".join(cwd[1:])
            where = "/" + where if cwd[0] == ROOT else where
            parts += f"cd {shlex.quote(where)}{joiner}"
        return parts

    def _deleted(self, cwd: PathT, cut: int) -> bool:
        """Whether a command up to ``cut`` may delete ``cwd`` or a directory above it
        (``cd /usr/src/app && make install && rm -rf /usr/src``): the shell ran on
        in the deleted directory, a new RUN's ``cd`` to it fails."""
        entered = max((i for i in range(cut + 1) if self.effects[i].cd is not None), default=0)
        for fx in self.effects[entered : cut + 1]:
            for target in fx.deletes:
                if isinstance(target, Region):
                    continue  # a package manager removes its packages' files, not a tree
                if target is None or _within(cwd, target, self.workdir):
                    return True
        return False

    def _needs_cwd(self, start: int) -> bool:
        for fx in self.effects[start:]:
            if fx.uses_cwd:
                return True
            if fx.cd is not None:
                return False  # `cd /abs`: what follows no longer depends on the start
        return False


def _within(inner: PathT, outer: PathT, workdir: PathT | None) -> bool:
    """Whether ``inner`` may be ``outer`` or lie under it (when in doubt: yes)."""
    if inner[0] != outer[0]:
        if workdir is None:
            return True
        inner = inner if inner[0] == ROOT else (*workdir, *inner[1:])
        outer = outer if outer[0] == ROOT else (*workdir, *outer[1:])
    return bool(inner[: len(outer)] == outer)


def _glue_package_managers(found: list[Effects], allowed: list[bool]) -> None:
    """A distribution's package manager is one unit from its first command to its
    last: an install split from its update would read lists an earlier layer
    downloaded (the cache-busting bug of ``apt-get install`` alone in a RUN), and a
    purge split from its install would leave the packages in that layer."""
    first: dict[str, int] = {}
    for j, fx in enumerate(found):
        if fx.manager not in SYSTEM_FAMILIES:
            continue
        start = first.setdefault(fx.manager, j)
        for b in range(start, j):
            allowed[b] = False


def _keeps_failures(
    atom: Atom, fx: Effects, script: ShellScript, last: Statement, part: int
) -> bool:
    """Whether the build still fails exactly when the RUN did, cut after ``atom`` (the
    ``part``-th top-level command of its statement)."""
    op = atom.operator_after
    statement = atom.statement
    if op == "&&":
        if statement is not last:
            return False  # `a && b; c` goes on to `c` when `a` fails
        later = statement.operators[part + 1 :]
        return "||" not in later
    if op in (";", "\n"):
        plain = atom.head is not None and all(o in ("|", "|&") for o in statement.operators)
        if plain and script.errexit_at(statement.start):
            return True
        return fx.cannot_fail and len(statement.commands) == 1
    return False


def _part_indices(atoms: Sequence[Atom]) -> list[int]:
    """How many top-level commands of its statement come before each atom: counted once
    by bisection over each statement's starts (counting for every atom is quadratic in a
    long chain)."""
    starts: dict[int, list[int]] = {}
    out: list[int] = []
    for atom in atoms:
        statement = atom.statement
        if id(statement) not in starts:
            top = sorted(c.start for c in statement.commands if not c.context)
            starts[id(statement)] = top
        out.append(bisect.bisect_left(starts[id(statement)], atom.start))
    return out


def _without_dropped_lines(text: str) -> str:
    """``text`` without the comment and blank lines BuildKit drops inside a
    continuation: the first line is code, and the last, unended one is the
    indentation of the code that follows."""
    lines = text.splitlines(keepends=True)
    kept = lines[:1]
    for k, line in enumerate(lines[1:], 1):
        body = line.strip(" \t\r\n")
        ended = line.endswith("\n")
        if (body and not body.startswith("#")) or (k == len(lines) - 1 and not ended):
            kept.append(line)
    return "".join(kept)


def _gap_comments(ins: Instruction, atoms: Sequence[Atom], after: int) -> list[str]:
    start, end = atoms[after].end, atoms[after + 1].start
    return [
        line.content
        for line, role in zip(ins.lines, ins.roles, strict=True)
        if role is Role.COMMENT and start <= line.start and line.end <= end
    ]


def _violation(ins: Instruction, ctx: FixContext, plan: _Plan) -> Violation:
    text, atoms = ctx.text, plan.atoms
    # a RUN that ends the file without a newline takes the file's (CRLF stays CRLF)
    newline = ctx.tree.line_break(ins)
    first_line = ins.lines[0].content
    indent = first_line[: len(first_line) - len(first_line.lstrip(" \t"))]
    keyword = text[ins.keyword_span.start : ins.keyword_span.end]
    flags = text[ins.keyword_span.end : ins.args.start]
    edits: list[Edit] = []
    for split in plan.splits:
        start, end = atoms[split.after].end, atoms[split.after + 1].start
        moved = "".join(
            indent + comment.lstrip(" \t") + newline
            for comment in _gap_comments(ins, atoms, split.after)
        )
        content = f"{newline}{moved}{indent}{keyword}{flags}{split.carry}"
        edits.append(Edit(start, end, content))
    # One edit over the whole chain: a fix another rule makes inside this RUN in the
    # same pass (a clean-up appended at its end) overlaps it and goes first; the
    # split is then planned again on the RUN as that fix leaves it.
    first, last = atoms[0].start, atoms[-1].end
    whole = apply_edits(text[first:last], [_shifted(e, -first) for e in edits])
    units = [_describe(atoms[i], ctx) for i in plan.named_by]
    message = (
        f"RUN chains {len(units)} independent units ({', '.join(units)}): "
        "one RUN each lets a rebuild reuse the layers of the units that did not change"
    )
    fix_ = Fix(
        f"Split the RUN into {len(units)} RUNs, one per unit",
        (Edit(first, last, whole),),
        Applicability.UNSAFE,
    )
    return Violation(INFO.code, message, ins.start, ins.content_end, fix_)


def _shifted(edit: Edit, by: int) -> Edit:
    return Edit(edit.start + by, edit.end + by, edit.content)


def _describe(atom: Atom, ctx: FixContext) -> str:
    row, _ = ctx.tree.position(atom.start)
    head = atom.head
    name = head.program if head is not None and head.program else "a compound command"
    return f"`{name}` at line {row}"
