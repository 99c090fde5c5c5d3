"""The pure core: ``fix_text(text, settings) -> Result`` and ``check_text``.

Each pass parses the text, asks every selected fixer for violations (pragmas
respected), applies the non-overlapping fixes allowed by the settings, and
re-parses: the Dockerfile, and the shell of every RUN. A pass whose output
does not parse, or breaks a RUN's shell that parsed before, is undone and the
fixer named; a file that has not settled after ``max_passes`` is a bug too.
Either way the whole file is rolled back: nothing half-fixed is ever kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from manifesto.context import FixContext
from manifesto.cst import Dockerfile, Instruction, ParseError, parse
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Applicability, Fix, Violation, apply_edits, overlaps
from manifesto.fixer import Fixer
from manifesto.pragmas import read_pragmas
from manifesto.shell import ShellCache


@dataclass(frozen=True, slots=True)
class EngineSettings:
    selected: Callable[[str], bool] = lambda code: True
    """Whether a rule code is enabled (for this file)."""
    unsafe_fixes: bool = False
    max_passes: int = 30


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

    @property
    def changed(self) -> bool:
        return self.output != self.source


class FixerError(Exception):
    """A fixer produced output that does not parse or never settles."""


def _applicable(fix: Fix | None, settings: EngineSettings) -> bool:
    if fix is None:
        return False
    if fix.applicability is Applicability.SAFE:
        return True
    return fix.applicability is Applicability.UNSAFE and settings.unsafe_fixes


def _instruction_at(tree: Dockerfile, offset: int) -> Instruction | None:
    for ins in tree.instructions:
        if ins.start <= offset < ins.end or (offset == ins.end and ins is tree.instructions[-1]):
            return ins
    return None


def collect(
    text: str,
    tree: Dockerfile,
    fixers: Sequence[Fixer],
    settings: EngineSettings,
    shells: ShellCache | None = None,
) -> list[Finding]:
    """Every violation in chain order, pragma-suppressed ones left out."""
    ctx = FixContext(text, tree, shells if shells is not None else ShellCache())
    pragmas = read_pragmas(tree)
    findings: list[Finding] = []
    for fixer in fixers:
        info = fixer.INFO
        if not settings.selected(info.code):
            continue
        for violation in fixer.fix(tree, ctx):
            if pragmas.suppresses(info, _instruction_at(tree, violation.start)):
                continue
            findings.append(Finding(info, violation))
    return findings


def check_text(text: str, fixers: Sequence[Fixer], settings: EngineSettings) -> list[Finding]:
    """Findings without applying anything; raises ParseError for bad input."""
    return collect(text, parse(text), fixers, settings)


def _broken_shells(text: str, tree: Dockerfile, shells: ShellCache) -> set[str]:
    """Texts of the RUNs whose shell tree-sitter cannot parse."""
    ctx = FixContext(text, tree, shells)
    out: set[str] = set()
    for ins in tree.instructions:
        script = ctx.shell(ins)
        if script is not None and script.has_errors:
            out.add(ins.render())
    return out


def _verify(new_text: str, broken_before: set[str], shells: ShellCache) -> Dockerfile:
    try:
        tree = parse(new_text)
    except ParseError as exc:
        raise FixerError(f"output does not parse: {exc}") from None
    if tree.render() != new_text:
        raise FixerError("output does not round-trip")
    newly_broken = _broken_shells(new_text, tree, shells) - broken_before
    if newly_broken:
        first = next(iter(newly_broken)).splitlines()[0]
        raise FixerError(f"output breaks the shell of a RUN: {first!r}")
    return tree


def fix_text(text: str, fixers: Sequence[Fixer], settings: EngineSettings) -> Result:
    """Apply fixes until the text settles; raises ParseError when the input is bad."""
    tree = parse(text)
    current = text
    applied: list[AppliedFix] = []
    # One cache for the whole loop: a RUN parsed to verify a pass is not parsed
    # again by the next pass's fixers (the key is its text and offset).
    shells = ShellCache()
    broken = _broken_shells(current, tree, shells)
    for pass_number in range(1, settings.max_passes + 1):
        findings = collect(current, tree, fixers, settings, shells)
        chosen: list[Finding] = []
        for finding in findings:
            fix = finding.violation.fix
            if not _applicable(fix, settings):
                continue
            assert fix is not None
            if any(overlaps(fix, c.violation.fix) for c in chosen if c.violation.fix):
                continue
            chosen.append(finding)
        if not chosen:
            return Result(text, current, tuple(applied), tuple(findings), (), tree)
        edits = [e for c in chosen if c.violation.fix for e in c.violation.fix.edits]
        candidate = apply_edits(current, edits)
        try:
            tree = _verify(candidate, broken, shells)
        except FixerError as exc:
            culprit = _find_culprit(current, chosen, broken, shells)
            return _failed(text, f"{culprit}: {exc}")
        if candidate == current:
            return _failed(text, "fixes that change nothing: " + _codes(chosen))
        current = candidate
        broken = _broken_shells(current, tree, shells)
        applied += [
            AppliedFix(c.rule, c.violation.fix, pass_number) for c in chosen if c.violation.fix
        ]
    return _failed(
        text,
        f"fixes did not converge after {settings.max_passes} passes: "
        + _codes([Finding(a.rule, Violation(a.rule.code, "", 0, 0)) for a in applied[-5:]]),
    )


def _codes(findings: Sequence[Finding]) -> str:
    return ", ".join(sorted({f"{f.rule.code} ({f.rule.name})" for f in findings}))


def _find_culprit(
    text: str, chosen: Sequence[Finding], broken: set[str], shells: ShellCache
) -> str:
    """Name the fixers whose fix alone breaks the file."""
    culprits: list[Finding] = []
    for finding in chosen:
        fix = finding.violation.fix
        if fix is None:
            continue
        try:
            _verify(apply_edits(text, fix.edits), broken, shells)
        except FixerError:
            culprits.append(finding)
    return "internal error in " + _codes(culprits or list(chosen))


def _failed(text: str, message: str) -> Result:
    return Result(text, text, (), (), (message,), None)
