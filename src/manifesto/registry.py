"""The explicit, ordered tuple of fixers: chain order is this order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from manifesto.diagnostics import RuleInfo
from manifesto.fixer import Fixer
from manifesto.fixers import (
    add_local_files,
    apk_cache_kept,
    apt_cli_in_script,
    apt_lists_kept,
    apt_prompt_unanswered,
    apt_recommends_installed,
    apt_update_alone,
    cd_in_run,
    chained_run,
    cleanup_in_later_layer,
    context_copied_before_install,
    dnf_cache_kept,
    dockerignore_missing,
    env_legacy_format,
    instruction_invalid,
    lists_read_stale,
    maintainer_deprecated,
    npm_cache_kept,
    pip_cache_kept,
    pipe_fails_silently,
    root_user,
    rpm_prompt_unanswered,
    secret_in_env,
    several_processes,
    shell_form_command,
    single_stage,
    unpinned_image,
    wget_progress_shown,
    yarn_cache_kept,
    yum_cache_kept,
    zypper_cache_kept,
)

if TYPE_CHECKING:
    from manifesto.plugins import Plugins

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
    # Move a clean-up into the RUN that made the mess and give an install its own
    # update: edits inside RUN scripts (and whole clean-up RUNs), after the package
    # rules, so an append of theirs at the same place wins and these settle on the
    # next pass.
    cleanup_in_later_layer,
    lists_read_stale,
    # Moves a whole-context COPY after the install RUN that follows it: its edits
    # are whole lines around RUNs, never a RUN's script.
    context_copied_before_install,
    # It edits image references (FROM, ARG defaults, --from flags) and never
    # a RUN's script, so its edits cannot overlap the package-cache fixers'; here
    # it keeps the rule table in code order (MF1xx, then MF3xx).
    unpinned_image,
    # Splits a single stage into builder and runtime (inserts after the build, edits
    # the FROM and moved CMD/ENTRYPOINT paths). Before root_user, out of code order
    # on purpose: both insert after the last build step, the first in chain order
    # wins the pass, and root_user's RUN useradd after the build would stop the
    # split for good; in this order root_user's next pass switches the runtime
    # stage (`USER 65532:65532` on scratch, `nonroot` on distroless).
    single_stage,
    # Only inserts lines after an instruction of the shipped stage: no edit of
    # another fixer's span.
    root_user,
    secret_in_env,
    shell_form_command,
    # Creates a file beside the Dockerfile and edits none of it.
    dockerignore_missing,
    cd_in_run,
    add_local_files,
    several_processes,
    maintainer_deprecated,
    env_legacy_format,
    apt_cli_in_script,
    wget_progress_shown,
    pipe_fails_silently,
)

OPT_IN: tuple[Fixer, ...] = (chained_run,)
"""Rules that ``ALL`` does not select: they run, after :data:`FIXERS`, only when a
selector names them (``--select MF203``, ``--extend-select MF2``), for findings on
nearly every Dockerfile whose fix a run should ask for."""


def plugins() -> Plugins:
    """The third-party fixers installed (entry-point group ``manifesto.fixers``), run
    after :data:`FIXERS` and selected like them; loaded once per process."""
    from manifesto.plugins import load_plugins

    own = (*CHECKS, *FIXERS, *OPT_IN)
    return load_plugins(frozenset(k.upper() for f in own for k in (f.INFO.code, f.INFO.name)))


def origin(code: str) -> str:
    """The package a rule comes from: ``manifesto``, or a plugin's distribution."""
    for plugin in plugins().loaded:
        if plugin.fixer.INFO.code == code:
            return plugin.origin
    return "manifesto"


def rules() -> tuple[RuleInfo, ...]:
    return tuple(f.INFO for f in (*CHECKS, *FIXERS, *OPT_IN, *(p.fixer for p in plugins().loaded)))


def rule(code_or_name: str) -> RuleInfo | None:
    wanted = code_or_name.strip().upper()
    for info in rules():
        if info.code.upper() == wanted or info.name.upper() == wanted:
            return info
    return None
