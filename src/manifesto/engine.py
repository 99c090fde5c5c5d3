"""The pure core: ``fix_text(text, settings) -> Result`` and ``check_text``.

Each pass parses the text, asks every selected fixer for violations (pragmas
respected), applies the non-overlapping fixes allowed by the settings, and
re-parses: the Dockerfile, and the shell of every RUN. A pass whose output
does not parse, or breaks a RUN's shell that parsed before, is undone and the
fixer named; a file that has not settled after ``max_passes`` is a bug too.
Either way the whole file is rolled back: nothing half-fixed is ever kept.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from manifesto.context import FixContext
from manifesto.context_files import ContextListing
from manifesto.cst import Dockerfile, Instruction, ParseError, parse
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, ChosenFixes, Fix, NewFile, Violation, apply_edits
from manifesto.fixer import Fixer
from manifesto.pins import ImagePins
from manifesto.pragmas import read_pragmas
from manifesto.shell import ShellCache
from manifesto.users import DEFAULT_APP_USER, AppUser


@dataclass(frozen=True, slots=True)
class EngineSettings:
    selected: Callable[[str], bool] = lambda code: True
    """Whether a rule code is enabled (for this file)."""
    unsafe_fixes: bool = False
    max_passes: int = 30
    target: str | None = None
    """The stage built with ``docker build --target`` (None: the last stage)."""
    image_pins: ImagePins | None = None
    """Tags and digests to pin images to (:mod:`manifesto.pins`); None: no source of truth."""
    read_context_file: Callable[[str], str | None] | None = None
    """Reads a small file of the build context (:mod:`manifesto.context_files`); None:
    the run reads none (stdin, tests)."""
    app_user: AppUser = DEFAULT_APP_USER
    """The user MF401 creates and switches images to."""
    list_context: Callable[[], ContextListing | None] | None = None
    """Lists the Dockerfile's directory (:mod:`manifesto.context_files`); None: no listing."""


@dataclass(frozen=True, slots=True)
class Finding:
    rule: RuleInfo
    violation: Violation


@dataclass(frozen=True, slots=True)
class AppliedFix:
    rule: RuleInfo
    fix: Fix
    pass_number: int


@dataclass(frozen=True, slots=True)
class Result:
    source: str
    output: str
    """The fixed text; equal to ``source`` when nothing applied or on an internal error."""
    applied: tuple[AppliedFix, ...]
    remaining: tuple[Finding, ...]
    """Findings in ``output`` (offsets into it) that were not fixed."""
    errors: tuple[str, ...] = ()
    """Internal errors (a fixer broke the file or did not converge): exit 2."""
    tree: Dockerfile | None = field(default=None, compare=False)
    new_files: tuple[NewFile, ...] = ()
    """Files the applied fixes create beside the Dockerfile, in the order applied."""

    @property
    def changed(self) -> bool:
        return self.output != self.source or bool(self.new_files)


class FixerError(Exception):
    """A fixer produced output that does not parse or never settles."""


class RuleCrashed(Exception):
    """A rule raised while checking a file (a bug in it, or in a plugin): the file is
    reported and left as it is, and the run goes on with the other files."""

    def __init__(self, rule: RuleInfo, cause: Exception) -> None:
        lines = str(cause).strip().splitlines()
        detail = f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__
        super().__init__(f"rule {rule.code} ({rule.name}) failed: {detail}")
        self.rule = rule


def _applicable(fix: Fix | None, settings: EngineSettings) -> bool:
    if fix is None:
        return False
    if fix.applicability is Applicability.SAFE:
        return True
    return fix.applicability is Applicability.UNSAFE and settings.unsafe_fixes


class _InstructionIndex:
    """The instruction holding an offset, by bisection (one lookup per violation)."""

    __slots__ = ("_instructions", "_starts")

    def __init__(self, tree: Dockerfile) -> None:
        self._instructions = tree.instructions
        self._starts = [ins.start for ins in tree.instructions]

    def at(self, offset: int) -> Instruction | None:
        """The instruction whose span holds ``offset`` (the last one also holds its end)."""
        i = bisect.bisect_right(self._starts, offset) - 1
        if i < 0:
            return None
        ins = self._instructions[i]
        last = i == len(self._instructions) - 1
        return ins if offset < ins.end or (last and offset == ins.end) else None


def collect(
    text: str,
    tree: Dockerfile,
    fixers: Sequence[Fixer],
    settings: EngineSettings,
    shells: ShellCache | None = None,
) -> list[Finding]:
    """Every violation in chain order, pragma-suppressed ones left out."""
    ctx = FixContext(
        text,
        tree,
        shells if shells is not None else ShellCache(),
        target=settings.target,
        image_pins=settings.image_pins,
        read_context_file=settings.read_context_file,
        list_context=settings.list_context,
        app_user=settings.app_user,
    )
    pragmas = read_pragmas(tree)
    index = _InstructionIndex(tree)
    findings: list[Finding] = []
    for fixer in fixers:
        info = fixer.INFO
        if not settings.selected(info.code):
            continue
        try:
            violations = list(fixer.fix(tree, ctx))
        except Exception as exc:
            raise RuleCrashed(info, exc) from exc
        for violation in violations:
            if pragmas.suppresses(info, index.at(violation.start)):
                continue
            findings.append(Finding(info, violation))
    return findings


def check_text(text: str, fixers: Sequence[Fixer], settings: EngineSettings) -> list[Finding]:
    """Findings without applying anything; raises ParseError for bad input."""
    return collect(text, parse(text), fixers, settings)


def _broken_shells(text: str, tree: Dockerfile, shells: ShellCache) -> set[str]:
    """Texts of the RUNs whose shell tree-sitter cannot parse, without their final line
    break: a broken RUN that ends the file and only gains one (a fix writes lines
    after it) is the same broken RUN, not one the fix broke."""
    ctx = FixContext(text, tree, shells)
    out: set[str] = set()
    for ins in tree.instructions:
        script = ctx.shell(ins)
        if script is not None and script.has_errors:
            out.add(text[ins.start : ins.content_end])
    return out


def _verify(
    new_text: str, broken_before: set[str], shells: ShellCache
) -> tuple[Dockerfile, set[str]]:
    """The new tree and its broken RUNs; FixerError when the text is worse than before.

    Every RUN is checked, but the cache is keyed by a script's text: only the RUNs
    a fix changed are parsed again, the others are the cached scripts moved.
    """
    try:
        tree = parse(new_text)
    except ParseError as exc:
        raise FixerError(f"output does not parse: {exc}") from None
    if tree.render() != new_text:
        raise FixerError("output does not round-trip")
    broken = _broken_shells(new_text, tree, shells)
    newly_broken = broken - broken_before
    if newly_broken:
        first = next(iter(newly_broken)).splitlines()[0]
        raise FixerError(f"output breaks the shell of a RUN: {first!r}")
    return tree, broken


def fix_text(text: str, fixers: Sequence[Fixer], settings: EngineSettings) -> Result:
    """Apply fixes until the text settles; raises ParseError when the input is bad."""
    tree = parse(text)
    current = text
    applied: list[AppliedFix] = []
    # One cache for the whole loop: a RUN parsed to verify a pass is not parsed
    # again by the next pass's fixers, nor a RUN that only moved (the key is its text).
    shells = ShellCache()
    broken = _broken_shells(current, tree, shells)
    # Files the applied fixes create: the fixers see the directory as it was, so a
    # finding whose fix creates one of them is settled, not found again.
    created: dict[str, NewFile] = {}
    for pass_number in range(1, settings.max_passes + 1):
        findings = [
            f
            for f in collect(current, tree, fixers, settings, shells)
            if not _creates_only(f.violation.fix, created)
        ]
        # Every fix that does not conflict with an earlier one goes in this pass:
        # a file with a thousand independent fixes settles in two passes, not a thousand.
        chosen: list[Finding] = []
        taken = ChosenFixes()
        creating: set[str] = set()
        for finding in findings:
            fix = finding.violation.fix
            if fix is None or not _applicable(fix, settings) or taken.conflicts(fix):
                continue
            paths = {f.path for f in fix.new_files}
            if paths & (creating | set(created)):
                continue  # two fixes creating one file: the first only
            creating |= paths
            taken.add(fix)
            chosen.append(finding)
        if not chosen:
            return Result(
                text, current, tuple(applied), tuple(findings), (), tree, tuple(created.values())
            )
        edits = [e for c in chosen if c.violation.fix for e in c.violation.fix.edits]
        candidate = apply_edits(current, edits)
        if candidate == current and not creating:
            return _failed(text, "fixes that change nothing: " + _codes(chosen))
        if candidate != current:
            try:
                tree, broken_after = _verify(candidate, broken, shells)
            except FixerError as exc:
                culprit = _find_culprit(current, chosen, broken, shells)
                return _failed(text, f"{culprit}: {exc}")
        else:
            broken_after = broken
        for c in chosen:
            if c.violation.fix is not None:
                created.update((f.path, f) for f in c.violation.fix.new_files)
        current = candidate
        broken = broken_after
        applied += [
            AppliedFix(c.rule, c.violation.fix, pass_number) for c in chosen if c.violation.fix
        ]
    return _failed(
        text,
        f"fixes did not converge after {settings.max_passes} passes: "
        + _codes([Finding(a.rule, Violation(a.rule.code, "", 0, 0)) for a in applied[-5:]]),
    )


def _creates_only(fix: Fix | None, created: dict[str, NewFile]) -> bool:
    """Whether ``fix`` does nothing but create files already created."""
    return (
        fix is not None
        and not fix.edits
        and bool(fix.new_files)
        and all(f.path in created for f in fix.new_files)
    )


def _codes(findings: Sequence[Finding]) -> str:
    return ", ".join(sorted({f"{f.rule.code} ({f.rule.name})" for f in findings}))


def _find_culprit(
    text: str, chosen: Sequence[Finding], broken: set[str], shells: ShellCache
) -> str:
    """Name the fixers whose fix alone breaks the file.

    Trying each fix alone costs a parse of the whole file per fix: quadratic when a
    pass holds thousands of fixes. The fixes are halved instead, and only a half
    that breaks the file is searched further, down to single fixes (a few parses
    for one bad fix among thousands). When no single fix breaks it, the smallest
    group that does is named.
    """
    fixes = [f for f in chosen if f.violation.fix is not None]
    culprits = _breaking(text, fixes, broken, shells, known_bad=True)
    return "internal error in " + _codes(culprits or list(chosen))


def _breaking(
    text: str, group: list[Finding], broken: set[str], shells: ShellCache, *, known_bad: bool
) -> list[Finding]:
    if not group:
        return []
    if not known_bad:
        edits = [e for f in group if f.violation.fix for e in f.violation.fix.edits]
        try:
            _verify(apply_edits(text, edits), broken, shells)
            return []
        except FixerError:
            pass
    if len(group) == 1:
        return group
    half = len(group) // 2
    found = _breaking(text, group[:half], broken, shells, known_bad=False)
    found += _breaking(text, group[half:], broken, shells, known_bad=False)
    return found or group


def _failed(text: str, message: str) -> Result:
    return Result(text, text, (), (), (message,), None)
