"""A harmless stand-in for the programs the MF203 fixtures run (apt-get, curl, tar...).

Installed under each program's name in a temporary ``bin`` directory put first on
``PATH`` by ``test_chained_run_equivalence.py``. Every call is logged with its
working directory; the first call whose words (the sandbox written ``$SANDBOX``)
are ``$STUB_FAIL_ON`` fails (exit 7) without doing anything, so a test can make any
command of a chain fail (named by its words, not its rank: the parts of a
pipeline start in any order). What a call does stays inside ``$SANDBOX``: packages are
files under ``$SANDBOX/usr/share/stub-packages``, downloads are small text files,
an extracted archive is a directory with one file.
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

FAIL_CODE = 7


def main(argv: list[str]) -> int:
    program = Path(argv[0]).name
    args = argv[1:]
    sandbox = Path(os.environ["SANDBOX"])
    cwd = os.getcwd()
    where = os.path.relpath(cwd, sandbox) if cwd.startswith(str(sandbox)) else cwd
    said = " ".join([program, *args]).replace(str(sandbox), "$SANDBOX")
    with Path(os.environ["STUB_LOG"]).open("a") as log:
        fcntl.flock(log, fcntl.LOCK_EX)  # the parts of a pipeline run at once
        log.write(f"{where} {said}\n")
        failed = Path(os.environ["STUB_LOG"] + ".failed")
        if os.environ.get("STUB_FAIL_ON") == said and not failed.exists():
            failed.write_text(said)
            return FAIL_CODE
    handler = HANDLERS.get(program, _touch_in_cwd)
    return handler(program, args, sandbox)


def _packages(sandbox: Path) -> Path:
    return sandbox / "usr" / "share" / "stub-packages"


def _package_manager(program: str, args: list[str], sandbox: Path) -> int:
    words = [a for a in args if not a.startswith("-")]
    if not words:
        return 0
    sub, names = words[0], words[1:]
    lists = sandbox / "var" / "lib" / "apt" / "lists"
    if program in ("apt-get", "apt") and sub == "update":
        lists.mkdir(parents=True, exist_ok=True)
        (lists / "Packages").write_text("index\n")
        return 0
    if sub in ("install", "add"):
        if program in ("apt-get", "apt") and not (lists / "Packages").exists():
            return 100  # apt-get install without lists: "Unable to locate package"
        _packages(sandbox).mkdir(parents=True, exist_ok=True)
        for name in names:
            (_packages(sandbox) / name.replace("/", "_")).write_text(f"{program}\n")
        return 0
    if sub in ("purge", "remove", "del"):
        for name in names:
            (_packages(sandbox) / name).unlink(missing_ok=True)
    return 0


def _option(args: list[str], *names: str) -> str | None:
    for i, arg in enumerate(args):
        if arg in names and i + 1 < len(args):
            return args[i + 1]
        for name in names:
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def _urls(args: list[str]) -> list[str]:
    return [a for a in args if "://" in a]


def _download(program: str, args: list[str], sandbox: Path) -> int:
    urls = _urls(args)
    body = "".join(f"content of {u}\n" for u in urls)
    if program == "curl":
        output = _option(args, "-o", "--output")
        remote = "-O" in args or "--remote-name" in args
    else:
        output = _option(args, "-O", "--output-document")
        folder = _option(args, "-P", "--directory-prefix")
        remote = output is None
        if folder is not None and remote:
            os.chdir(folder)
    if output == "-" or (output is None and not remote):
        sys.stdout.write(body)
        return 0
    if output is not None:
        Path(output).write_text(body)
    else:
        for url in urls:
            Path(url.rstrip("/").rsplit("/", 1)[-1]).write_text(body)
    return 0


def _tar(program: str, args: list[str], sandbox: Path) -> int:
    joined = " ".join(args)
    if "x" not in (args[0] if args else "") and "--extract" not in joined:
        return 2
    archive = _option(args, "-f", "--file")
    if archive is None:
        for arg in args:
            if arg.startswith("-") and not arg.startswith("--") and arg.endswith("f"):
                index = args.index(arg)
                archive = args[index + 1] if index + 1 < len(args) else None
    folder = Path(_option(args, "-C", "--directory") or ".")
    if archive is None or archive == "-":
        data = sys.stdin.read()
        name = "from-stdin"
    else:
        data = Path(archive).read_text()
        name = Path(archive).name.split(".")[0]
    if not folder.is_dir():
        return 2
    target = folder if "--strip-components" in joined else folder / name
    target.mkdir(parents=True, exist_ok=True)
    (target / "EXTRACTED").write_text(data)
    return 0


def _git(program: str, args: list[str], sandbox: Path) -> int:
    words = [a for a in args if not a.startswith("-") and not a.isdigit()]
    if not words or words[0] != "clone":
        return 0
    url = words[1]
    folder = Path(words[2]) if len(words) > 2 else Path(url.rstrip("/").rsplit("/", 1)[-1])
    folder = folder.with_name(folder.name.removesuffix(".git"))
    scripts = folder / "scripts"
    scripts.mkdir(parents=True)
    script = scripts / "post-install.sh"
    script.write_text('#!/bin/sh\necho done > "$PWD/POST-INSTALLED"\n')
    script.chmod(0o755)
    return 0


def _compiler(program: str, args: list[str], sandbox: Path) -> int:
    output = _option(args, "-o")
    if output is not None:
        Path(output).write_text(f"built by {program}\n")
    return 0


def _touch_in_cwd(program: str, args: list[str], sandbox: Path) -> int:
    Path(f"RAN-{program}-{'-'.join(a.strip('-/') for a in args)[:40]}").write_text("ran\n")
    return 0


def _quiet(program: str, args: list[str], sandbox: Path) -> int:
    return 0


HANDLERS = {
    "apt-get": _package_manager,
    "apk": _package_manager,
    "curl": _download,
    "wget": _download,
    "tar": _tar,
    "git": _git,
    "go": _compiler,
    "gcc": _compiler,
    "http": _quiet,
}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
