from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifesto.discover import (
    DEFAULT_EXCLUDE,
    Discovery,
    DiscoveryError,
    PatternSet,
    compile_pattern,
    discover,
    is_dockerfile_name,
    iter_dockerfiles,
)


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("FROM scratch\n")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def found(
    root: Path,
    paths: Sequence[Path] | None = None,
    *,
    respect_gitignore: bool = True,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    extend_exclude: Sequence[str] = (),
    force_exclude: bool = False,
) -> list[str]:
    """Discovered files as posix paths relative to ``root``; fails on errors."""
    result = discover(
        paths if paths is not None else [root],
        root=root,
        respect_gitignore=respect_gitignore,
        exclude=exclude,
        extend_exclude=extend_exclude,
        force_exclude=force_exclude,
    )
    assert result.errors == ()
    return [path.relative_to(root).as_posix() for path in result.files]


def git(*args: str) -> str:
    """Run git, blind to the user's and the system's configuration (no global excludesFile)."""
    environment = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        ["git", *args], capture_output=True, text=True, check=False, env=environment
    )
    assert done.returncode in (0, 1), done.stderr  # check-ignore exits 1 when nothing matches
    return done.stdout


@pytest.fixture
def chdir(tmp_path: Path) -> Iterator[Path]:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


# -- names ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile",
        "dockerfile",
        "Containerfile",
        "containerfile",
        "Dockerfile.alpine",
        "Dockerfile.ubi.openjdk8",
        "Dockerfile-base",
        "Dockerfile_tidyverse_4.0.0",
        "Containerfile.debug-ubi",
        "base.Dockerfile",
        "shiny_4.6.1.Dockerfile",
        "alpine.dockerfile",
        "web.Containerfile",
    ],
)
def test_dockerfile_names(name: str) -> None:
    assert is_dockerfile_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile.j2",
        "Dockerfile.jinja",
        "Dockerfile.jinja2",
        "Dockerfile.tmpl",
        "Dockerfile.template",
        "Dockerfile-linux.template",
        "Dockerfile.erb",
        "Dockerfile.in",
        "Dockerfile.gotmpl",
        "Dockerfile.tpl",
        "Dockerfile.hbs",
        "Dockerfile.mustache",
        "Dockerfile.njk",
        "Dockerfile.liquid",
        "Dockerfile.ncl",
        "template__Dockerfile.ncl",
        "Dockerfile.cue",
        "Dockerfile.jsonnet",
        "Dockerfile.libsonnet",
        "Dockerfile.dhall",
        "base.Dockerfile.j2",
        "Dockerfile.md",
        "Dockerfile.MD",
        "Dockerfile.orig",
        "Dockerfile.rej",
        "Dockerfile.bak",
        "Dockerfile.swp",
        "Dockerfile~",
        ".#Dockerfile",
        "#Dockerfile#",
        "Dockerfile.dockerignore",
        "Dockerfile.",
        "Dockerfiles",
        "README.md",
        "dockerfile.py",
        "docker-compose.yml",
    ],
)
def test_not_dockerfile_names(name: str) -> None:
    assert not is_dockerfile_name(name)


# -- walking --------------------------------------------------------------


def test_walk_is_sorted_depth_first_files_first(tmp_path: Path) -> None:
    touch(tmp_path, "b/Dockerfile", "a/z/Dockerfile", "a/Dockerfile", "Dockerfile", "x.Dockerfile")
    touch(tmp_path, "README.md", "a/Dockerfile.j2", "a/notes.txt")
    assert found(tmp_path) == [
        "Dockerfile",
        "x.Dockerfile",
        "a/Dockerfile",
        "a/z/Dockerfile",
        "b/Dockerfile",
    ]


def test_walk_skips_the_templates_of_dockerfile_generators(tmp_path: Path) -> None:
    # docker-haskell generates its Dockerfiles from a Nickel template (``let ... in``)
    # that is not a Dockerfile: 23 "unknown instruction" errors when it was walked
    touch(tmp_path, "template/Dockerfile.ncl", "template__Dockerfile.ncl", "gen/Dockerfile")
    touch(tmp_path, "cue/Dockerfile.cue", "jsonnet/api.Dockerfile.jsonnet", "Dockerfile.njk")
    assert found(tmp_path) == ["gen/Dockerfile"]


def test_paths_keep_the_form_they_were_given(chdir: Path) -> None:
    touch(chdir, "sub/Dockerfile")
    assert list(iter_dockerfiles([Path(".")])) == [Path("sub/Dockerfile")]
    assert list(iter_dockerfiles([Path("sub")])) == [Path("sub/Dockerfile")]
    assert list(iter_dockerfiles([chdir])) == [chdir / "sub/Dockerfile"]


def test_default_excludes(tmp_path: Path) -> None:
    for directory in DEFAULT_EXCLUDE:
        touch(tmp_path, f"{directory}/Dockerfile")
    touch(tmp_path, "src/node_modules/pkg/Dockerfile", "src/Dockerfile")
    assert found(tmp_path) == ["src/Dockerfile"]


def test_exclude_overrides_defaults_and_extend_exclude_adds(tmp_path: Path) -> None:
    touch(tmp_path, "node_modules/Dockerfile", "vendor/Dockerfile", "Dockerfile")
    assert found(tmp_path, exclude=[]) == [
        "Dockerfile",
        "node_modules/Dockerfile",
        "vendor/Dockerfile",
    ]
    assert found(tmp_path, extend_exclude=["vendor/"]) == ["Dockerfile"]


def test_exclude_patterns_are_relative_to_root(tmp_path: Path) -> None:
    touch(
        tmp_path, "build/Dockerfile", "src/build/Dockerfile", "a/x.Dockerfile", "a/b/x.Dockerfile"
    )
    assert found(tmp_path, extend_exclude=["/build"]) == [
        "a/x.Dockerfile",
        "a/b/x.Dockerfile",
        "src/build/Dockerfile",
    ]
    assert found(tmp_path, extend_exclude=["build"]) == ["a/x.Dockerfile", "a/b/x.Dockerfile"]
    assert found(tmp_path, extend_exclude=["a/*.Dockerfile"]) == [
        "a/b/x.Dockerfile",
        "build/Dockerfile",
        "src/build/Dockerfile",
    ]
    assert found(tmp_path, extend_exclude=["a/**/*.Dockerfile", "*build*"]) == []


def test_explicit_file_is_always_yielded(tmp_path: Path) -> None:
    touch(tmp_path, "node_modules/Dockerfile", "notes.md", "ignored/Dockerfile")
    write(tmp_path / ".gitignore", "ignored/\n")
    explicit = [
        tmp_path / "node_modules/Dockerfile",
        tmp_path / "notes.md",
        tmp_path / "ignored/Dockerfile",
    ]
    assert found(tmp_path, explicit) == [
        "node_modules/Dockerfile",
        "notes.md",
        "ignored/Dockerfile",
    ]


def test_explicit_directory_is_walked_even_if_excluded(tmp_path: Path) -> None:
    touch(tmp_path, "node_modules/pkg/Dockerfile")
    assert found(tmp_path, [tmp_path / "node_modules"]) == ["node_modules/pkg/Dockerfile"]


def test_force_exclude(tmp_path: Path) -> None:
    touch(tmp_path, "node_modules/pkg/Dockerfile", "vendor/Dockerfile", "Dockerfile")
    explicit = [
        tmp_path / "node_modules/pkg/Dockerfile",
        tmp_path / "vendor/Dockerfile",
        tmp_path / "node_modules",
        tmp_path / "Dockerfile",
    ]
    assert found(tmp_path, explicit, extend_exclude=["/vendor/Dockerfile"], force_exclude=True) == [
        "Dockerfile"
    ]
    assert found(tmp_path, explicit, extend_exclude=["/vendor/Dockerfile"]) == [
        "node_modules/pkg/Dockerfile",
        "vendor/Dockerfile",
        "Dockerfile",
    ]


def test_force_exclude_outside_root_uses_names_only(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    touch(elsewhere, "build/Dockerfile", "x.Dockerfile")
    root.mkdir()
    result = discover(
        [elsewhere / "build/Dockerfile", elsewhere / "x.Dockerfile"],
        root=root,
        extend_exclude=["/build", "x.Dockerfile"],
        force_exclude=True,
    )
    assert result == Discovery(files=(elsewhere / "build/Dockerfile",), errors=())


def test_deduplicated(chdir: Path) -> None:
    touch(chdir, "a/Dockerfile")
    paths = [Path("a/Dockerfile"), Path("a"), Path("./a/Dockerfile"), chdir, chdir / "a"]
    assert list(iter_dockerfiles(paths)) == [Path("a/Dockerfile")]


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    touch(tmp_path, "Dockerfile")
    result = discover([tmp_path / "nope", tmp_path], root=tmp_path)
    assert result.files == (tmp_path / "Dockerfile",)
    assert [str(error) for error in result.errors] == [
        f"{tmp_path / 'nope'}: No such file or directory"
    ]


# -- gitignore ------------------------------------------------------------


def test_gitignore_without_git(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "# comment\n\nbuild/\n*.generated.Dockerfile\n")
    touch(tmp_path, "build/Dockerfile", "a.generated.Dockerfile", "Dockerfile")
    assert found(tmp_path) == ["Dockerfile"]
    assert found(tmp_path, respect_gitignore=False) == [
        "Dockerfile",
        "a.generated.Dockerfile",
        "build/Dockerfile",
    ]


def test_gitignore_negation_last_match_wins(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "*.Dockerfile\n!keep.Dockerfile\nkeep2.Dockerfile\n")
    touch(tmp_path, "drop.Dockerfile", "keep.Dockerfile", "keep2.Dockerfile", "sub/keep.Dockerfile")
    assert found(tmp_path) == ["keep.Dockerfile", "sub/keep.Dockerfile"]


def test_gitignore_cannot_reinclude_inside_ignored_directory(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "out/\n!out/Dockerfile\n")
    touch(tmp_path, "out/Dockerfile")
    assert found(tmp_path) == []


def test_gitignore_directory_only(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "Dockerfile.dev/\n")
    touch(tmp_path, "Dockerfile.dev", "sub/Dockerfile.dev/Dockerfile")
    assert found(tmp_path) == ["Dockerfile.dev"]


def test_gitignore_anchoring(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "/top\nany\nsub/deep\n")
    touch(tmp_path, "top/Dockerfile", "x/top/Dockerfile", "any/Dockerfile", "x/any/Dockerfile")
    touch(tmp_path, "sub/deep/Dockerfile", "x/sub/deep/Dockerfile")
    assert found(tmp_path) == ["x/sub/deep/Dockerfile", "x/top/Dockerfile"]


def test_gitignore_double_star(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "**/gen\na/**/b\nlogs/**\n")
    touch(tmp_path, "gen/Dockerfile", "x/y/gen/Dockerfile", "a/b/Dockerfile", "a/x/y/b/Dockerfile")
    touch(tmp_path, "logs/Dockerfile", "logs/deep/Dockerfile", "ok/Dockerfile")
    assert found(tmp_path) == ["ok/Dockerfile"]


def test_gitignore_classes_and_escapes(tmp_path: Path) -> None:
    write(
        tmp_path / ".gitignore",
        "Dockerfile.[0-9]\nDockerfile.[!a-z]x\n\\#Dockerfile.hash\n\\!bang.Dockerfile\n"
        "Dockerfile.space\\ \nDockerfile.trail   \n",
    )
    touch(tmp_path, "Dockerfile.1", "Dockerfile.a", "Dockerfile.1x", "Dockerfile.ax")
    touch(tmp_path, "!bang.Dockerfile", "Dockerfile.space ", "Dockerfile.trail")
    # a name starting with "#" is an editor's autosave, never walked; check the pattern alone
    assert found(tmp_path) == ["Dockerfile.a", "Dockerfile.ax"]
    pattern = compile_pattern("\\#Dockerfile.hash")
    assert pattern is not None and pattern.matches("#Dockerfile.hash", is_dir=False)
    assert compile_pattern("#Dockerfile.hash") is None


def test_nested_gitignore_overrides_parent(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "*.Dockerfile\n")
    write(tmp_path / "sub/.gitignore", "!keep.Dockerfile\n/local\n")
    touch(tmp_path, "keep.Dockerfile", "sub/keep.Dockerfile", "sub/other.Dockerfile")
    touch(tmp_path, "sub/local/Dockerfile", "sub/x/local/Dockerfile", "local/Dockerfile")
    assert found(tmp_path) == [
        "local/Dockerfile",
        "sub/keep.Dockerfile",
        "sub/x/local/Dockerfile",
    ]


def test_gitignore_of_ancestors_applies_to_an_explicit_subdirectory(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "gen/\n")
    write(tmp_path / "a/.gitignore", "*.Dockerfile\n")
    touch(tmp_path, "a/b/gen/Dockerfile", "a/b/x.Dockerfile", "a/b/Dockerfile")
    assert found(tmp_path, [tmp_path / "a/b"]) == ["a/b/Dockerfile"]


def test_gitignore_above_the_repository_is_not_read(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "*\n")
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    touch(repository, "Dockerfile")
    assert found(repository) == ["Dockerfile"]
    assert found(repository, [repository / "Dockerfile"]) == ["Dockerfile"]


def test_nested_repository_starts_afresh(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "*.Dockerfile\n")
    (tmp_path / "module/.git").mkdir(parents=True)
    touch(tmp_path, "a.Dockerfile", "module/a.Dockerfile")
    assert found(tmp_path, exclude=[]) == ["module/a.Dockerfile"]


def test_git_info_exclude_has_lowest_precedence(tmp_path: Path) -> None:
    write(tmp_path / ".git/info/exclude", "*.Dockerfile\nlocal/\n")
    write(tmp_path / ".gitignore", "!keep.Dockerfile\n")
    touch(tmp_path, "a.Dockerfile", "keep.Dockerfile", "local/Dockerfile", "Dockerfile")
    assert found(tmp_path) == ["Dockerfile", "keep.Dockerfile"]


def test_git_file_pointing_to_worktree_git_dir(tmp_path: Path) -> None:
    main = tmp_path / "main"
    write(main / ".git/info/exclude", "*.Dockerfile\n")
    (main / ".git/worktrees/wt").mkdir(parents=True)
    write(main / ".git/worktrees/wt/commondir", "../..\n")
    worktree = tmp_path / "wt"
    write(worktree / ".git", f"gitdir: {main / '.git/worktrees/wt'}\n")
    touch(worktree, "a.Dockerfile", "Dockerfile")
    assert found(worktree) == ["Dockerfile"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_agrees_with_git_check_ignore(tmp_path: Path) -> None:
    git("init", "-q", str(tmp_path))
    write(
        tmp_path / ".gitignore",
        "*.Dockerfile\n!a*.Dockerfile\nab.Dockerfile\n/d?/\n**/deep/**/x\n[bc]/\n",
    )
    write(tmp_path / "n/.gitignore", "!*.Dockerfile\nDockerfile.[!0-9]\n")
    names = [
        "a.Dockerfile",
        "ab.Dockerfile",
        "z.Dockerfile",
        "d1/Dockerfile",
        "e/d1/Dockerfile",
        "deep/x/Dockerfile",
        "q/deep/r/s/x/Dockerfile",
        "b/Dockerfile",
        "c/Dockerfile",
        "n/z.Dockerfile",
        "n/Dockerfile.1",
        "n/Dockerfile.x",
        "Dockerfile",
    ]
    touch(tmp_path, *names)
    ignored_by_git = set(git("-C", str(tmp_path), "check-ignore", "--no-index", *names).split())
    assert set(found(tmp_path)) == set(names) - ignored_by_git


# -- symbolic links -------------------------------------------------------


def test_symlink_loop_terminates(tmp_path: Path) -> None:
    touch(tmp_path, "a/Dockerfile")
    (tmp_path / "a/loop").symlink_to(tmp_path)
    (tmp_path / "a/self").symlink_to(tmp_path / "a")
    assert found(tmp_path) == ["a/Dockerfile"]


def test_symlinked_directory_outside_is_followed(tmp_path: Path) -> None:
    project, shared = tmp_path / "project", tmp_path / "shared"
    touch(shared, "Dockerfile")
    (shared / "back").symlink_to(project)
    touch(project, "Dockerfile")
    (project / "link").symlink_to(shared)
    assert found(project) == ["Dockerfile", "link/Dockerfile"]


def test_symlinked_file_is_yielded_under_link_path_once(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    touch(outside, "base")
    project = tmp_path / "project"
    touch(project, "z/Dockerfile")
    (project / "Dockerfile").symlink_to(outside / "base")
    (project / "a.Dockerfile").symlink_to(project / "z/Dockerfile")
    (project / "alias").symlink_to(project / "z")
    (project / "broken.Dockerfile").symlink_to(tmp_path / "missing")
    assert found(project) == ["z/Dockerfile", "Dockerfile"]


# -- errors ---------------------------------------------------------------


def test_unreadable_directory_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chmod 000 does not stop root, so make scandir fail for one directory instead
    touch(tmp_path, "locked/Dockerfile", "open/Dockerfile")
    real_scandir = os.scandir
    locked = tmp_path / "locked"

    def scandir(path: Path) -> object:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = discover([tmp_path], root=tmp_path)
    assert result.files == (tmp_path / "open/Dockerfile",)
    assert result.errors == (DiscoveryError(locked, "Permission denied"),)
    assert str(result.errors[0]) == f"{locked}: Permission denied"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads directories whatever their mode")
def test_unreadable_directory_with_real_permissions(tmp_path: Path) -> None:
    touch(tmp_path, "locked/Dockerfile", "open/Dockerfile")
    locked = tmp_path / "locked"
    locked.chmod(0)
    try:
        result = discover([tmp_path], root=tmp_path)
    finally:
        locked.chmod(0o755)
    assert result.files == (tmp_path / "open/Dockerfile",)
    assert [str(error) for error in result.errors] == [f"{locked}: Permission denied"]


def test_errors_go_to_on_error_and_walk_goes_on(tmp_path: Path) -> None:
    touch(tmp_path, "Dockerfile")
    errors: list[DiscoveryError] = []
    files = list(iter_dockerfiles([tmp_path / "missing", tmp_path], on_error=errors.append))
    assert files == [tmp_path / "Dockerfile"]
    assert [error.path for error in errors] == [tmp_path / "missing"]


# -- the pattern engine ---------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "expected"),
    [
        ("*.txt", "a/b/c.txt", False, True),
        ("a/*.txt", "a/b/c.txt", False, False),
        ("a/**/*.txt", "a/c.txt", False, True),
        ("a/**/*.txt", "a/b/c/d.txt", False, True),
        ("**", "anything/at/all", False, True),
        ("a/**", "a", True, False),
        ("a/**", "a/b", False, True),
        ("foo**bar", "fooxbar", False, True),
        ("foo**bar", "foo/bar", False, False),
        ("?.txt", "a.txt", False, True),
        ("?.txt", "ab.txt", False, False),
        ("[[:digit:]]*", "9lives", False, True),
        ("[[:digit:]]*", "lives", False, False),
        ("[]]x", "]x", False, True),
        ("[^a]x", "bx", False, True),
        ("[z-a]", "q", False, False),
        ("[unclosed", "[unclosed", False, True),
        ("dir/", "dir", False, False),
        ("dir/", "dir", True, True),
        ("/a", "b/a", False, False),
        ("a", "b/a", False, True),
    ],
)
def test_pattern_matching(pattern: str, path: str, is_dir: bool, expected: bool) -> None:
    compiled = compile_pattern(pattern)
    assert compiled is not None
    assert compiled.matches(path, is_dir) is expected


def test_pattern_set_excludes_checks_parents(tmp_path: Path) -> None:
    patterns = PatternSet.from_lines(tmp_path, ["legacy/*"], floating=True)
    assert patterns.excludes(tmp_path / "legacy/a/b/Dockerfile", is_dir=False)
    assert not patterns.excludes(tmp_path / "legacy", is_dir=True)
    assert not patterns.excludes(tmp_path / "x/legacy/a/Dockerfile", is_dir=False)


# -- differential: the walk against git itself ------------------------------

_SEGMENTS = st.sampled_from(["a", "b", "ab", "*", "a*", "?", "**", "[ab]", "[!a]*", "*.Dockerfile"])


@st.composite
def _gitignore_lines(draw: st.DrawFn) -> str:
    segments = draw(st.lists(_SEGMENTS, min_size=1, max_size=3))
    line = "/".join(segments)
    if draw(st.booleans()):
        line = "/" + line
    if draw(st.booleans()):
        line += "/"
    return ("!" if draw(st.booleans()) else "") + line


_FILES = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["a", "b", "ab", "ba"]), max_size=3),
        st.sampled_from(["Dockerfile", "a.Dockerfile", "b.Dockerfile"]),
    ).map(lambda parts: "/".join([*parts[0], parts[1]])),
    min_size=1,
    max_size=8,
    unique=True,
)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@settings(max_examples=60, deadline=None)
@given(
    root_lines=st.lists(_gitignore_lines(), min_size=1, max_size=4),
    nested_lines=st.lists(_gitignore_lines(), max_size=2),
    files=_FILES,
)
def test_walk_agrees_with_git(
    root_lines: list[str], nested_lines: list[str], files: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        git("init", "-q", str(root))
        write(root / ".gitignore", "\n".join(root_lines) + "\n")
        write(root / "a/.gitignore", "\n".join(nested_lines) + "\n")
        touch(root, *files)
        listed = git("-C", str(root), "ls-files", "--others", "--exclude-standard", "-z")
        listed_files = listed.split("\0")
        expected = {name for name in listed_files if name.rpartition("/")[2] in _FILE_NAMES}
        assert set(found(root)) == expected


_FILE_NAMES = frozenset({"Dockerfile", "a.Dockerfile", "b.Dockerfile"})
