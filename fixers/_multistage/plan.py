"""The contract between the MF501 core and the ecosystem recognisers.

The core builds one :class:`BuildView` of a single-stage Dockerfile and asks each
ecosystem's ``recognise``; a recogniser answers :class:`Conversion` (how to split
the stage), :class:`NoConversion` (it is this ecosystem, but the split cannot be
made with certainty: the reason becomes the finding's) or None (not this ecosystem).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from manifesto.context import FixContext
from manifesto.cst import Instruction
from manifesto.cst.stages import BaseImage, Stage, global_args
from manifesto.cst.values import arg_defaults, buildkit_value, key_values
from manifesto.images import parse_image
from manifesto.shell import ShellScript

BASE_WORKDIRS: Mapping[str, str] = {"golang": "/go"}
"""Official images that set a WORKDIR (the golang images end with ``WORKDIR $GOPATH``):
a path the file writes relative to it lands there, and a runtime stage must start
there too (a build lab case broke when ``src/app`` was taken for ``/src/app``)."""

ROOT_WORKDIR_REPOSITORIES = ("mcr.microsoft.com/dotnet/",)
"""Images of other publishers known to leave the WORKDIR at "/"."""


@dataclass(frozen=True, slots=True)
class BuildView:
    """What an ecosystem recogniser sees of the single stage."""

    ctx: FixContext
    stage: Stage
    base: BaseImage
    runs: tuple[tuple[Instruction, ShellScript], ...]
    """The shell-form RUNs, in order; scripts with errors included (recognisers refuse
    a ``has_errors`` script rather than guess what it does)."""

    @property
    def base_workdir(self) -> str | None:
        """The WORKDIR the base image sets: where the file's relative paths land until
        it sets its own ("/" for an official image not in :data:`BASE_WORKDIRS`); None
        when it cannot be known (another publisher's image may set one)."""
        ref = parse_image(self.base.reference or "")
        if ref is None:
            return None
        if ref.is_docker_hub and ref.namespace in (None, "library"):
            return BASE_WORKDIRS.get(ref.name, "/")
        return "/" if ref.repository.startswith(ROOT_WORKDIR_REPOSITORIES) else None

    def workdir_at(self, ins: Instruction) -> str:
        """The absolute WORKDIR in force at ``ins`` (the base image's by default, "/"
        when that is unknown: :func:`~.core.rewrite` then wants an absolute WORKDIR).

        Variables are expanded from the literal ENV/ARG values in force; one that has
        no literal value stays as written (``$APP``), which no artifact path matches.
        """
        workdir = self.base_workdir or "/"
        for earlier in self._before(ins):
            if earlier.keyword != "WORKDIR":
                continue
            vals, _ = buildkit_value(earlier)
            if not vals:
                continue
            written = _expand(vals[0], self.env_at(earlier))
            workdir = posixpath.normpath(posixpath.join(workdir, written))
        return workdir

    def env_at(self, ins: Instruction) -> Mapping[str, str]:
        """The ENV and ARG values in force at ``ins`` that are literal text.

        A value that uses a variable, or an ARG without a default (set by
        ``--build-arg`` alone), is left out: the recogniser cannot know it. An ARG's
        default may still be overridden by ``--build-arg``; an ENV of the same name
        wins over it, as in BuildKit.
        """
        globals_ = global_args(self.ctx.tree)
        values: dict[str, str] = {}
        from_env: set[str] = set()
        for earlier in self._before(ins):
            if earlier.keyword == "ARG":
                for name, default in arg_defaults(earlier).items():
                    if name in from_env:
                        continue
                    value = default if default is not None else globals_.get(name)
                    _set_literal(values, name, value)
            elif earlier.keyword == "ENV":
                for pair in key_values(earlier):
                    from_env.add(pair.key)
                    _set_literal(values, pair.key, _expand_or_none(pair.value, values))
        return values

    def context_file(self, path: str) -> str | None:
        """A small build-context file's text (``Cargo.toml``), or None when it cannot
        be read (no reader in this run, missing, too big, outside the tree)."""
        reader = self.ctx.read_context_file
        return reader(path) if reader is not None else None

    def _before(self, ins: Instruction) -> tuple[Instruction, ...]:
        body = self.stage.instructions
        for i, item in enumerate(body):
            if item is ins:
                return body[:i]
        return body


def _set_literal(values: dict[str, str], name: str, value: str | None) -> None:
    if value is None or "$" in value:
        values.pop(name, None)
    else:
        values[name] = value


def _expand_or_none(value: str, env: Mapping[str, str]) -> str | None:
    expanded = _expand(value, env)
    return None if "$" in expanded else expanded


def _expand(text: str, env: Mapping[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` replaced when ``env`` knows NAME; the rest as written."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "$":
            out.append(text[i])
            i += 1
            continue
        if text.startswith("${", i):
            close = text.find("}", i)
            name = text[i + 2 : close] if close > 0 else ""
            if name.isidentifier() and name in env:
                out.append(env[name])
                i = close + 1
                continue
        else:
            j = i + 1
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            if text[i + 1 : j] in env:
                out.append(env[text[i + 1 : j]])
                i = j
                continue
        out.append("$")
        i += 1
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Artifact:
    """One ``COPY --from=build <source> <dest>`` of the runtime stage."""

    source: str
    """Absolute path in the builder."""
    dest: str
    """Absolute path in the runtime stage."""


@dataclass(frozen=True, slots=True)
class Conversion:
    """How to split the stage: the builder ends at ``build``, the runtime stage starts
    from ``runtime_image`` and receives ``artifacts``."""

    ecosystem: str
    """``go``, ``rust``, ``c``, ``java``, ``dotnet``, ``node``, ``python``."""
    build: Instruction
    """The last instruction that belongs in the builder."""
    runtime_image: str
    """``debian:bookworm-slim``: keeps the version the user chose."""
    artifacts: tuple[Artifact, ...]
    """The COPY --from=build lines, in order."""
    runtime_setup: tuple[str, ...] = ()
    """Extra runtime instructions, full text, before the user's kept runtime ones."""
    entry_paths: Mapping[str, str] = field(default_factory=dict)
    """Old path -> new path, applied to CMD/ENTRYPOINT."""


@dataclass(frozen=True, slots=True)
class NoConversion:
    """This ecosystem, but no certain split: a finding without a fix."""

    reason: str
    """True words; becomes the finding's reason."""
    suggestion: str | None = None
    """Display-only Dockerfile text shown to the user, never applied."""


Recognise = Callable[[BuildView], "Conversion | NoConversion | None"]
"""An ecosystem's recogniser; None: not this ecosystem."""

__all__ = ["Artifact", "BuildView", "Conversion", "NoConversion", "Recognise"]
