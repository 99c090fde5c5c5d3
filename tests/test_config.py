from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from manifesto.config import (
    ConfigError,
    Settings,
    find_config,
    load_config,
    merge_cli,
    resolve_settings,
    rule_selected,
)
from manifesto.discover import DEFAULT_EXCLUDE


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


@pytest.fixture
def chdir(tmp_path: Path) -> Iterator[Path]:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


# -- finding --------------------------------------------------------------


def test_find_config_nearest_directory_wins(tmp_path: Path) -> None:
    outer = write(tmp_path / "manifesto.toml", "")
    inner = write(tmp_path / "a/b/.manifesto.toml", "")
    (tmp_path / "a/b/c").mkdir()
    assert find_config(tmp_path / "a/b/c") == inner
    assert find_config(tmp_path / "a") == outer
    assert find_config(tmp_path) == outer


def test_find_config_from_a_file_uses_its_directory(tmp_path: Path) -> None:
    config = write(tmp_path / "svc/manifesto.toml", "")
    dockerfile = write(tmp_path / "svc/Dockerfile", "FROM scratch\n")
    assert find_config(dockerfile) == config


def test_find_config_order_within_a_directory(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.manifesto]\n")
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"
    write(tmp_path / "manifesto.toml", "")
    assert find_config(tmp_path) == tmp_path / "manifesto.toml"
    write(tmp_path / ".manifesto.toml", "")
    assert find_config(tmp_path) == tmp_path / ".manifesto.toml"


def test_pyproject_without_the_table_is_skipped(tmp_path: Path) -> None:
    outer = write(tmp_path / "pyproject.toml", "[tool.manifesto]\nselect = ['MF1']\n")
    write(tmp_path / "pkg/pyproject.toml", "[tool.ruff]\nselect = ['E']\n# manifesto someday\n")
    write(tmp_path / "pkg/sub/pyproject.toml", "[project\nbroken = ")
    assert find_config(tmp_path / "pkg/sub") == outer


def test_pyproject_mentioning_manifesto_must_parse(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.manifesto]\nselect = [\n")
    with pytest.raises(ConfigError):
        find_config(tmp_path)


def test_find_config_none(tmp_path: Path) -> None:
    # tmp_path's ancestors are not ours: only assert on what we control
    found = find_config(tmp_path)
    assert found is None or not found.is_relative_to(tmp_path)


# -- loading --------------------------------------------------------------


def test_load_all_keys(tmp_path: Path) -> None:
    config = write(
        tmp_path / "manifesto.toml",
        """
select = ["MF1", "MF3"]
ignore = ["MF101"]
extend-select = ["MF401"]
unsafe-fixes = true
output-format = "json-lines"
exclude = ["vendor"]
extend-exclude = ["gen/"]
respect-gitignore = false
force-exclude = true

[per-file-ignores]
"legacy/*" = ["MF2"]
"!ci/*" = ["MF6", "MF101"]
""",
    )
    assert load_config(config) == Settings(
        select=("MF1", "MF3"),
        ignore=("MF101",),
        extend_select=("MF401",),
        unsafe_fixes=True,
        output_format="json-lines",
        exclude=("vendor",),
        extend_exclude=("gen/",),
        per_file_ignores=(("legacy/*", ("MF2",)), ("!ci/*", ("MF6", "MF101"))),
        respect_gitignore=False,
        force_exclude=True,
        root=tmp_path,
        config_path=config,
    )


def test_defaults(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path / ".manifesto.toml", ""))
    assert settings.select == ("ALL",)
    assert settings.exclude == DEFAULT_EXCLUDE
    assert settings.output_format == "full"
    assert settings.respect_gitignore and not settings.force_exclude and not settings.unsafe_fixes
    assert settings.root == tmp_path
    assert settings.config_path == tmp_path / ".manifesto.toml"


def test_pyproject_table(tmp_path: Path) -> None:
    config = write(
        tmp_path / "pyproject.toml",
        "[tool.ruff]\nselect = ['E']\n\n[tool.manifesto]\nselect = ['MF2']\n"
        "[tool.manifesto.per-file-ignores]\n'a/*' = ['MF201']\n",
    )
    settings = load_config(config)
    assert settings.select == ("MF2",)
    assert settings.per_file_ignores == (("a/*", ("MF201",)),)


def test_pyproject_without_table_is_an_error(tmp_path: Path) -> None:
    config = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    assert error_of(config) == f"{config}:1:1: no [tool.manifesto] table"


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.select = ("MF1",)  # type: ignore[misc]
    assert not hasattr(settings, "__dict__")


# -- errors ---------------------------------------------------------------


def test_invalid_toml_reports_line_and_column(tmp_path: Path) -> None:
    config = write(tmp_path / "manifesto.toml", 'select = ["MF1"]\nignore = [MF2]\n')
    assert error_of(config) == f"{config}:2:11: invalid TOML: Invalid value"


def test_invalid_toml_at_end_of_document(tmp_path: Path) -> None:
    config = write(tmp_path / "manifesto.toml", 'select = ["MF1"]\nignore = ')
    message = error_of(config)
    assert message.startswith(f"{config}:2:10: invalid TOML: ")


def test_invalid_toml_in_pyproject(tmp_path: Path) -> None:
    config = write(tmp_path / "pyproject.toml", "[tool.manifesto]\nselect = ['MF1' 'MF2']\n")
    assert error_of(config) == f"{config}:2:17: invalid TOML: Unclosed array"


def test_unknown_key_points_at_the_key(tmp_path: Path) -> None:
    config = write(tmp_path / "manifesto.toml", 'select = ["MF1"]\n\n  selekt = ["MF2"]\n')
    assert error_of(config) == f"{config}:3:3: unknown key 'selekt'; did you mean 'select'?"


def test_snake_case_key_suggests_kebab_case(tmp_path: Path) -> None:
    config = write(tmp_path / "manifesto.toml", "extend_select = []\n")
    assert error_of(config) == (
        f"{config}:1:1: unknown key 'extend_select'; did you mean 'extend-select'? "
        "(keys are kebab-case)"
    )


def test_unknown_key_in_pyproject_is_located_in_the_manifesto_table(tmp_path: Path) -> None:
    config = write(
        tmp_path / "pyproject.toml",
        "[tool.ruff]\nline-length = 1\nfoo = 2\n\n[tool.manifesto]\nfoo = 1\n",
    )
    assert error_of(config) == f"{config}:6:1: unknown key 'foo'"


def test_wrong_types(tmp_path: Path) -> None:
    config = write(tmp_path / "manifesto.toml", 'select = ["MF1"]\nunsafe-fixes = "yes"\n')
    assert error_of(config) == (f"{config}:2:1: unsafe-fixes: expected a boolean, got 'yes'")
    config = write(tmp_path / "manifesto.toml", 'exclude = "vendor"\n')
    assert error_of(config) == f"{config}:1:1: exclude: expected a list of strings, got 'vendor'"
    config = write(tmp_path / "manifesto.toml", "select = [1]\n")
    assert error_of(config) == (
        f"{config}:1:1: select: expected a list of strings, got an integer in the list"
    )


def test_bad_selector_and_output_format(tmp_path: Path) -> None:
    config = write(tmp_path / "manifesto.toml", 'ignore = ["MF191"]\n')
    message = error_of(config)
    assert "ignore: unknown rule code or name 'MF191'; did you mean " in message
    assert "MF101" in message.split("did you mean", 1)[1]
    config = write(tmp_path / "manifesto.toml", 'select = ["apt_list_kept"]\n')
    assert "did you mean apt_lists_kept" in error_of(config)
    config = write(tmp_path / "manifesto.toml", '\noutput-format = "xml"\n')
    assert error_of(config).startswith(f"{config}:2:1: output-format: expected one of full, ")


def test_bad_per_file_ignore_points_at_its_glob(tmp_path: Path) -> None:
    config = write(
        tmp_path / "pyproject.toml",
        "[tool.manifesto]\nselect = ['ALL']\n\n[tool.manifesto.per-file-ignores]\n"
        "'ok/*' = ['MF1']\n  'bad/*' = 'MF2'\n",
    )
    assert error_of(config) == (
        f"{config}:6:3: per-file-ignores: 'bad/*': expected a list of strings, got 'MF2'"
    )


def test_unreadable_or_missing_config(tmp_path: Path) -> None:
    missing = tmp_path / "manifesto.toml"
    assert error_of(missing) == f"{missing}:1:1: No such file or directory"
    latin1 = tmp_path / ".manifesto.toml"
    latin1.write_bytes(b"# caf\xe9\n")
    assert error_of(latin1).startswith(f"{latin1}:1:1: not UTF-8")


def test_config_error_attributes(tmp_path: Path) -> None:
    error = ConfigError(tmp_path / "x.toml", 3, 7, "boom")
    assert (error.path, error.line, error.col, error.message) == (tmp_path / "x.toml", 3, 7, "boom")
    assert str(error) == f"{tmp_path / 'x.toml'}:3:7: boom"


# -- resolving and merging ------------------------------------------------


def test_resolve_settings(chdir: Path) -> None:
    if find_config(chdir) is None:  # an ancestor of tmp_path may hold a config; not ours
        assert resolve_settings() == Settings(root=chdir)
    config = write(chdir / "proj/manifesto.toml", "select = ['MF3']\n")
    (chdir / "proj/sub").mkdir()
    assert resolve_settings(chdir / "proj/sub").select == ("MF3",)
    assert resolve_settings(config=config).root == chdir / "proj"


def test_merge_cli_none_means_not_given(tmp_path: Path) -> None:
    settings = Settings(select=("MF1",), unsafe_fixes=True, root=tmp_path)
    assert merge_cli(settings) == settings
    assert merge_cli(settings, unsafe_fixes=None, output_format=None) == settings


def test_merge_cli_overrides(tmp_path: Path) -> None:
    settings = Settings(extend_exclude=("a",), root=tmp_path)
    merged = merge_cli(
        settings,
        unsafe_fixes=True,
        output_format="sarif",
        exclude=["x"],
        extend_exclude=["b"],
        per_file_ignores={"legacy/*": ["MF2"]},
        respect_gitignore=False,
        force_exclude=True,
    )
    assert merged == dataclasses.replace(
        settings,
        unsafe_fixes=True,
        output_format="sarif",
        exclude=("x",),
        extend_exclude=("a", "b"),
        per_file_ignores=(("legacy/*", ("MF2",)),),
        respect_gitignore=False,
        force_exclude=True,
    )


def test_merge_cli_validates(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="expected one of"):
        merge_cli(Settings(root=tmp_path), output_format="xml")
    with pytest.raises(ValueError, match="unknown rule code or name 'MF999'"):
        merge_cli(Settings(root=tmp_path), select=["MF999"])
    with pytest.raises(ValueError, match="unknown rule code or name 'FOO'"):
        merge_cli(Settings(root=tmp_path), ignore=["FOO"])


def test_selectors_take_any_case_and_rule_names(tmp_path: Path) -> None:
    merged = merge_cli(
        Settings(root=tmp_path), select=["mf1", "apt_lists_kept"], ignore=["Apt_Update_Alone"]
    )
    assert merged.select == ("MF1", "MF101")
    assert merged.ignore == ("MF102",)
    assert merge_cli(Settings(root=tmp_path), select=["all"]).select == ("ALL",)


def test_cli_select_starts_afresh(tmp_path: Path) -> None:
    config = Settings(select=("MF1",), ignore=("MF2",), extend_select=("MF3",), root=tmp_path)
    merged = merge_cli(config, select=["MF2"])
    assert (merged.select, merged.ignore, merged.extend_select) == (("MF2",), (), ())
    assert rule_selected("MF201", merged, None)
    assert not rule_selected("MF101", merged, None)


def test_cli_ignore_beats_more_specific_config_select(tmp_path: Path) -> None:
    config = Settings(select=("MF101", "MF2"), root=tmp_path)
    merged = merge_cli(config, ignore=["MF1"])
    assert not rule_selected("MF101", merged, None)
    assert rule_selected("MF201", merged, None)


def test_cli_extend_select_beats_more_specific_config_ignore(tmp_path: Path) -> None:
    config = Settings(select=("MF2",), ignore=("MF101",), root=tmp_path)
    merged = merge_cli(config, extend_select=["MF1"])
    assert rule_selected("MF101", merged, None)
    assert rule_selected("MF102", merged, None)
    merged = merge_cli(config, extend_select=["MF1"], ignore=["MF102"])
    assert rule_selected("MF101", merged, None)
    assert not rule_selected("MF102", merged, None)


# -- selecting rules ------------------------------------------------------


@pytest.mark.parametrize(
    ("select", "extend_select", "ignore", "code", "expected"),
    [
        (("ALL",), (), (), "MF101", True),
        ((), (), (), "MF101", False),
        (("MF1",), (), (), "MF101", True),
        (("MF1",), (), (), "MF201", False),
        (("MF1",), (), ("MF101",), "MF101", False),
        (("MF1",), (), ("MF101",), "MF102", True),
        (("MF101",), (), ("MF1",), "MF101", True),
        (("MF101",), (), ("MF1",), "MF102", False),
        (("MF1",), (), ("MF1",), "MF101", False),
        (("ALL",), (), ("ALL",), "MF101", False),
        (("MF",), (), ("ALL",), "MF101", True),
        (("MF2",), ("MF101",), (), "MF101", True),
        (("MF2",), ("MF1",), ("MF10",), "MF101", False),
        (("MF2",), ("MF1",), ("MF10",), "MF111", True),
        (("MF10",), (), (), "MF1", False),
    ],
)
def test_rule_selected_specificity(
    tmp_path: Path,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    code: str,
    expected: bool,
) -> None:
    settings = Settings(select=select, extend_select=extend_select, ignore=ignore, root=tmp_path)
    assert rule_selected(code, settings, None) is expected


def test_per_file_ignores(tmp_path: Path) -> None:
    settings = Settings(
        per_file_ignores=(
            ("legacy/*", ("MF2",)),
            ("*.dev.Dockerfile", ("MF101",)),
            ("!ci/*", ("MF6",)),
        ),
        root=tmp_path,
    )
    legacy = tmp_path / "legacy/app/Dockerfile"
    assert not rule_selected("MF201", settings, legacy)
    assert rule_selected("MF201", settings, tmp_path / "x/legacy/Dockerfile")
    assert rule_selected("MF101", settings, legacy)
    assert not rule_selected("MF101", settings, tmp_path / "deep/er/web.dev.Dockerfile")
    assert not rule_selected("MF601", settings, tmp_path / "Dockerfile")
    assert rule_selected("MF601", settings, tmp_path / "ci/Dockerfile")
    assert rule_selected("MF201", settings, None)


def test_per_file_ignores_with_relative_paths(chdir: Path) -> None:
    settings = Settings(per_file_ignores=(("/svc/Dockerfile", ("ALL",)),), root=chdir)
    assert not rule_selected("MF101", settings, Path("svc/Dockerfile"))
    assert rule_selected("MF101", settings, Path("other/svc/Dockerfile"))
