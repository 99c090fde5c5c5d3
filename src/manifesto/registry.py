"""The explicit, ordered tuple of fixers: chain order is this order.

Rules are named by their module in ``manifesto.fixers`` and imported only when a
file can need them (:mod:`manifesto.lazy_fixers`): a new rule adds its module's
name here, in chain order, and regenerates the index of rule metadata with
``python -m manifesto.lazy_fixers`` (tests/test_lazy_fixers.py says when it is
stale). A gate in :data:`manifesto.lazy_fixers.GATES` is optional: without one the
rule's module is imported whenever the rule runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manifesto.diagnostics import RuleInfo
from manifesto.fixer import Fixer
from manifesto.lazy_fixers import lazy_fixers

if TYPE_CHECKING:
    from manifesto.plugins import Plugins

CHECKS: tuple[Fixer, ...] = lazy_fixers("instruction_invalid")
"""Rules that say the file cannot build (MF0xx): ``check`` reports them, ``fix`` refuses
the file before any fixer runs; never part of the fix loop."""

FIXERS: tuple[Fixer, ...] = lazy_fixers(
    "apt_lists_kept",
    "apt_update_alone",
    "apt_prompt_unanswered",
    "apt_recommends_installed",
    "apk_cache_kept",
    "yum_cache_kept",
    "dnf_cache_kept",
    "zypper_cache_kept",
    "rpm_prompt_unanswered",
    "pip_cache_kept",
    "yarn_cache_kept",
    "npm_cache_kept",
    # Move a clean-up into the RUN that made the mess and give an install its own
    # update: edits inside RUN scripts (and whole clean-up RUNs), after the package
    # rules, so an append of theirs at the same place wins and these settle on the
    # next pass.
    "cleanup_in_later_layer",
    "lists_read_stale",
    # Moves a whole-context COPY after the install RUN that follows it: its edits
    # are whole lines around RUNs, never a RUN's script.
    "context_copied_before_install",
    # It edits image references (FROM, ARG defaults, --from flags) and never
    # a RUN's script, so its edits cannot overlap the package-cache fixers'; here
    # it keeps the rule table in code order (MF1xx, then MF3xx).
    "unpinned_image",
    # Splits a single stage into builder and runtime (inserts after the build, edits
    # the FROM and moved CMD/ENTRYPOINT paths). Before root_user, out of code order
    # on purpose: both insert after the last build step, the first in chain order
    # wins the pass, and root_user's RUN useradd after the build would stop the
    # split for good; in this order root_user's next pass switches the runtime
    # stage (`USER 65532:65532` on scratch, `nonroot` on distroless).
    "single_stage",
    # Only inserts lines after an instruction of the shipped stage: no edit of
    # another fixer's span.
    "root_user",
    "secret_in_env",
    "shell_form_command",
    # Creates a file beside the Dockerfile and edits none of it.
    "dockerignore_missing",
    "cd_in_run",
    "add_local_files",
    "several_processes",
    "maintainer_deprecated",
    "env_legacy_format",
    "apt_cli_in_script",
    "wget_progress_shown",
    "pipe_fails_silently",
)

OPT_IN: tuple[Fixer, ...] = lazy_fixers("chained_run")
"""Rules that ``ALL`` does not select: they run, after :data:`FIXERS`, only when a
selector names them (``--select MF203``, ``--extend-select MF2``), for findings on
nearly every Dockerfile whose fix a run should ask for."""


def built_in() -> tuple[Fixer, ...]:
    """Every built-in rule: :data:`CHECKS`, :data:`FIXERS`, :data:`OPT_IN`."""
    return (*CHECKS, *FIXERS, *OPT_IN)


def plugins() -> Plugins:
    """The third-party fixers installed (entry-point group ``manifesto.fixers``), run
    after :data:`FIXERS` and selected like them; loaded once per process."""
    from manifesto.plugin_scan import no_plugin_declared
    from manifesto.plugins import GROUP, Plugins, load_plugins

    if no_plugin_declared(GROUP):
        return Plugins((), ())
    own = built_in()
    return load_plugins(frozenset(k.upper() for f in own for k in (f.INFO.code, f.INFO.name)))


def origin(code: str) -> str:
    """The package a rule comes from: ``manifesto``, or a plugin's distribution."""
    for plugin in plugins().loaded:
        if plugin.fixer.INFO.code == code:
            return plugin.origin
    return "manifesto"


def rules() -> tuple[RuleInfo, ...]:
    return tuple(f.INFO for f in (*built_in(), *(p.fixer for p in plugins().loaded)))


def documented(info: RuleInfo) -> RuleInfo:
    """``info`` with its ``doc``: a built-in rule's index entry leaves it out (the
    module docstring), so its module is imported for it; a plugin's is whole."""
    from manifesto.lazy_fixers import LazyFixer

    if info.doc:
        return info
    for fixer in built_in():
        if fixer.INFO.code == info.code and isinstance(fixer, LazyFixer):
            return fixer.documented()
    return info


def rule(code_or_name: str) -> RuleInfo | None:
    wanted = code_or_name.strip().upper()
    for info in rules():
        if info.code.upper() == wanted or info.name.upper() == wanted:
            return info
    return None
