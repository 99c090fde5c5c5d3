"""Run one process per container.

## What it does

Reports a `CMD` or `ENTRYPOINT` that starts several long-running processes
in one container, in shell form or through `sh -c` in exec form:

- a process manager: `supervisord`, `runsvdir`, `s6-svscan`,
  `circusd`, `honcho`/`foreman`/`forego`/`overmind`;
- a service started in the background and something after it:
  `service cron start && nginx -g 'daemon off;'`, `/etc/init.d/ssh start;
  exec app`, `rc-service x start`;
- a server that detaches by default, followed by another command:
  `nginx && node server.js`, `php-fpm && nginx ...`, `cron && ...`;
- a command sent to the background with `&` and another after it:
  `redis-server & node app.js`, `a & b & wait`.

A script run as the command (`/entrypoint.sh`) is not read.

## Why

A container is managed through its PID 1: `docker stop` signals it, its exit
ends the container, its output is the container's log, and a restart policy
or an orchestrator watches it. With several processes, only one of them is
watched: when a background one dies the container keeps running without it,
signals do not reach it (no clean shutdown), its zombies are not reaped, and
its logs go nowhere. One service per container, connected over the network
(Compose, a Kubernetes pod with several containers), scales and restarts each
part on its own.

## Example

Before:

    CMD service cron start && nginx -g 'daemon off;'

After (by hand): two services, each its own container.

    # web
    CMD ["nginx", "-g", "daemon off;"]
    # cron: a second image or the same image with another command
    CMD ["cron", "-f"]

## Fix safety

No fix: splitting a container in two changes how it is deployed. When the
processes must share a container, a supervisor made for containers (s6-overlay,
or `tini` as PID 1 in front of a supervisor) forwards signals and reaps
children; `supervisord` itself is reported, as the reader should know it is
several services.

## Caveats

- Servers known to detach by default: `nginx` (unless `daemon off`),
  `cron`/`crond` (unless `-f`/`-n`), `sshd` (unless `-D`),
  `php-fpm` (unless `-F`), `httpd`/`apachectl`/`apache2ctl start`,
  `postfix start`, `rsyslogd` (unless `-n`), `mysqld_safe`, `dockerd`
  and, with the option that sends them away, `redis-server --daemonize yes`,
  `nmbd -D`, `smbd -D`, `memcached -d`.
- Windows stages and commands under a PowerShell or cmd `SHELL` are not
  read.

## Related

Docker's "Decouple applications" best practice; hadolint has no rule for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from manifesto.context import POSIX_SHELLS, FixContext
from manifesto.cst import Dockerfile, Instruction
from manifesto.cst.stages import is_windows_shell
from manifesto.cst.values import exec_args, is_json
from manifesto.diagnostics import RuleInfo
from manifesto.edits import Violation
from manifesto.reasons import no_fix
from manifesto.shell import Command, ShellCache, ShellScript, ShellSource

INFO = RuleInfo(
    code="MF605",
    name="several_processes",
    title="Run one process per container",
    applicability=None,
    related=(),
    doc=__doc__ or "",
)

PROCESS_MANAGERS = frozenset(
    {"supervisord", "runsvdir", "s6-svscan", "circusd", "honcho", "foreman", "forego", "overmind"}
)
SERVICE_STARTERS = frozenset({"service", "rc-service", "systemctl"})
_INIT_SCRIPT = re.compile(r"/etc/(?:rc\.d/)?init\.d/[^/]+")
_STARTING = frozenset({"start", "restart", "reload", "force-reload"})

# Servers that put themselves in the background unless told not to, and the
# options (or option values) that keep them in the foreground.
_DETACHING: dict[str, re.Pattern[str] | None] = {
    "nginx": re.compile(r"daemon\s+off"),
    "cron": re.compile(r"-[a-zA-Z]*[fn]"),
    "crond": re.compile(r"-[a-zA-Z]*[fn]"),
    "sshd": re.compile(r"-[a-zA-Z]*D"),
    "httpd": re.compile(r"-DFOREGROUND|-X"),
    "rsyslogd": re.compile(r"-[a-zA-Z]*n"),
    "mysqld_safe": None,
    "dockerd": None,
}
# Servers that stay in the foreground unless an option sends them away.
_DETACHING_WITH = {
    "nmbd": re.compile(r"-[a-zA-Z]*D|--daemon"),
    "smbd": re.compile(r"-[a-zA-Z]*D|--daemon"),
    "memcached": re.compile(r"-[a-zA-Z]*d|--daemon"),
}
_PHP_FPM = re.compile(r"php-?fpm[\d.]*")
_PHP_FPM_FOREGROUND = re.compile(r"-[a-zA-Z]*F|--nodaemonize")
_CTL_START = {"apachectl": "start", "apache2ctl": "start", "postfix": "start"}

REASON = "several processes: splitting them changes how the container is deployed"


def fix(tree: Dockerfile, ctx: FixContext) -> Iterator[Violation]:
    cache = ShellCache()
    for ins in tree.instructions:
        if ins.keyword not in ("CMD", "ENTRYPOINT") or not ins.args_text or ctx.windows_at(ins):
            continue
        started = _started(ctx, ins, cache)
        if started:
            listed = ", ".join(f"`{name}`" for name in started)
            yield Violation(
                INFO.code,
                f"{ins.keyword} starts several long-running processes ({listed}): only PID 1 is "
                "watched, signalled and logged; run one service per container",
                ins.keyword_span.start,
                ins.args.end,
                reason=no_fix(REASON),
            )


def _started(ctx: FixContext, ins: Instruction, cache: ShellCache) -> list[str]:
    """What the instruction leaves running side by side: read from its shell form, or
    from the ``-c`` string of an exec form that runs a POSIX shell."""
    if is_json(ins):
        argv = exec_args(ins) or ()
        program = argv[0].rsplit("/", 1)[-1] if argv else ""
        if program in PROCESS_MANAGERS:
            return [program]
        if len(argv) < 3 or program not in POSIX_SHELLS or not re.fullmatch(r"-[a-z]*c", argv[1]):
            return []
        script = cache.script(ShellSource(argv[2], 0))
    elif is_windows_shell(ctx.shell_argv(ins)):
        return []
    else:
        text = ctx.text[ins.args.start : ins.content_end]
        script = cache.script(ShellSource(text, ins.args.start, ins.escape))
    return [] if script.has_errors else _long_running(script)


def _long_running(script: ShellScript) -> list[str]:
    """The processes the script leaves running side by side (empty: one, or unknown)."""
    managers = [c.program for c in script.commands if c.program in PROCESS_MANAGERS]
    if managers:
        return [name for name in managers if name is not None]
    detached: list[str] = []
    for command in script.commands:
        name = _detached(command, script)
        if name is not None and _something_after(command, script):
            detached.append(name)
    if not detached:
        return []
    last = _foreground(script)
    return [*detached, *([last] if last is not None and last not in detached else [])]


def _detached(command: Command, script: ShellScript) -> str | None:
    """The name of what ``command`` leaves running in the background, if anything."""
    program = command.program
    if program is None or command.context:
        return None
    words = [w.value or "" for w in command.effective_args]
    if program in SERVICE_STARTERS:
        if program == "systemctl":
            return None  # no systemd in a container: it fails rather than starts
        if _STARTING & set(words):
            return next((w for w in words if w not in _STARTING and not w.startswith("-")), program)
        return None
    if command.effective_name is not None and _INIT_SCRIPT.fullmatch(
        command.effective_name.value or ""
    ):
        return program if _STARTING & set(words) else None
    statement = script.statement_of(command)
    if statement is not None and statement.terminator == "&" and statement.commands[-1] is command:
        return program
    if program in _CTL_START:
        return program if _CTL_START[program] in words else None
    if _PHP_FPM.fullmatch(program):
        return None if any(_PHP_FPM_FOREGROUND.fullmatch(w) for w in words) else program
    if program in _DETACHING_WITH:
        return program if any(_DETACHING_WITH[program].fullmatch(w) for w in words) else None
    if program == "redis-server":
        return program if "--daemonize" in words and "yes" in words else None
    if program in _DETACHING:
        foreground = _DETACHING[program]
        joined = " ".join(words)
        return program if foreground is None or not foreground.search(joined) else None
    return None


def _something_after(command: Command, script: ShellScript) -> bool:
    return any(later.index > command.index for later in script.commands)


def _foreground(script: ShellScript) -> str | None:
    """The program the script ends by running in the foreground."""
    for command in reversed(script.commands):
        if command.program not in (None, "wait", "exec", "true", ":"):
            return command.program
    return None
