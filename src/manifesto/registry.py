"""The explicit, ordered tuple of fixers: chain order is this order."""

from __future__ import annotations

from manifesto.diagnostics import RuleInfo
from manifesto.fixer import Fixer
from manifesto.fixers import (
    apk_cache_kept,
    apt_lists_kept,
    apt_prompt_unanswered,
    apt_recommends_installed,
    apt_update_alone,
    dnf_cache_kept,
    instruction_invalid,
    npm_cache_kept,
    pip_cache_kept,
    root_user,
    rpm_prompt_unanswered,
    unpinned_image,
    yarn_cache_kept,
    yum_cache_kept,
    zypper_cache_kept,
)

CHECKS: tuple[Fixer, ...] = (instruction_invalid,)
"""Rules that say the file cannot build (MF0xx): ``check`` reports them, ``fix`` refuses
the file before any fixer runs; never part of the fix loop."""

FIXERS: tuple[Fixer, ...] = (
    apt_lists_kept,
    apt_update_alone,
    apt_prompt_unanswered,
    apt_recommends_installed,
    apk_cache_kept,
    yum_cache_kept,
    dnf_cache_kept,
    zypper_cache_kept,
    rpm_prompt_unanswered,
    pip_cache_kept,
    yarn_cache_kept,
    npm_cache_kept,
    # Last: it edits image references (FROM, ARG defaults, --from flags) and never
    # a RUN's script, so its edits cannot overlap the package-cache fixers'; last
    # keeps the rule table in code order (MF1xx, then MF3xx).
    unpinned_image,
)

OPT_IN: tuple[Fixer, ...] = (root_user,)
"""Rules that ``ALL`` does not select: they run, after :data:`FIXERS`, only when a
selector names them (``--select MF401``, ``--extend-select MF4``). Switching the
user an image runs as is a finding on nearly every Dockerfile and its fix changes
what the container may do, so a run asks for it."""


def rules() -> tuple[RuleInfo, ...]:
    return tuple(f.INFO for f in (*CHECKS, *FIXERS, *OPT_IN))


def rule(code_or_name: str) -> RuleInfo | None:
    wanted = code_or_name.strip().upper()
    for info in rules():
        if info.code.upper() == wanted or info.name.upper() == wanted:
            return info
    return None
