"""MF501's .NET recogniser: ``dotnet publish -o`` whose output the container runs."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from manifesto.fixers._multistage.core import build_view
from manifesto.fixers._multistage.dotnet import _runtime_repository, recognise
from manifesto.fixers._multistage.plan import Artifact, BuildView, Conversion, NoConversion

from manifesto.context import FixContext
from manifesto.cst import parse
from manifesto.images import parse_image

CONSOLE_PROJECT = """<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net8.0</TargetFramework></PropertyGroup>
</Project>
"""
WEB_PROJECT = '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n'
CONSOLE_WITH_REFERENCE = """<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup><ProjectReference Include="../Api/Api.csproj" /></ItemGroup>
</Project>
"""

WORKER = """\
FROM mcr.microsoft.com/dotnet/sdk:8.0
WORKDIR /src
COPY . .
RUN dotnet publish Worker.csproj -c Release -o /app
WORKDIR /app
ENTRYPOINT ["dotnet", "Worker.dll"]
"""


def _view(text: str, files: Mapping[str, str] | None = None) -> BuildView:
    tree = parse(text)
    ctx = FixContext(text, tree, read_context_file=dict(files or {}).get)
    view = build_view(ctx)
    assert view is not None
    return view


def _converted(text: str, files: Mapping[str, str] | None = None) -> Conversion:
    answer = recognise(_view(text, files))
    assert isinstance(answer, Conversion), answer
    return answer


def _refused(text: str) -> NoConversion:
    answer = recognise(_view(text))
    assert isinstance(answer, NoConversion), answer
    return answer


def test_the_publish_output_lands_where_the_entrypoint_runs_it() -> None:
    answer = _converted(WORKER)
    assert answer.ecosystem == "dotnet"
    assert answer.artifacts == (Artifact("/app", "/app"),)
    assert answer.build.args_text == "dotnet publish Worker.csproj -c Release -o /app"


@pytest.mark.parametrize(
    ("project", "image"),
    [
        pytest.param(None, "mcr.microsoft.com/dotnet/aspnet:8.0", id="unreadable"),
        pytest.param(CONSOLE_PROJECT, "mcr.microsoft.com/dotnet/runtime:8.0", id="console"),
        pytest.param(WEB_PROJECT, "mcr.microsoft.com/dotnet/aspnet:8.0", id="web"),
        pytest.param(CONSOLE_WITH_REFERENCE, "mcr.microsoft.com/dotnet/aspnet:8.0", id="reference"),
    ],
)
def test_the_runtime_image_is_aspnet_unless_the_project_is_certainly_console(
    project: str | None, image: str
) -> None:
    files = {"Worker.csproj": project} if project is not None else {}
    assert _converted(WORKER, files).runtime_image == image


def test_aspnetcore_settings_keep_the_aspnet_image() -> None:
    text = WORKER.replace("WORKDIR /src", "ENV ASPNETCORE_URLS=http://+:8080\nWORKDIR /src")
    image = _converted(text, {"Worker.csproj": CONSOLE_PROJECT}).runtime_image
    assert image == "mcr.microsoft.com/dotnet/aspnet:8.0"


@pytest.mark.parametrize(
    ("sdk", "runtime"),
    [
        ("mcr.microsoft.com/dotnet/sdk:8.0", "mcr.microsoft.com/dotnet/{}:8.0"),
        ("mcr.microsoft.com/dotnet/sdk:8.0.204", "mcr.microsoft.com/dotnet/{}:8.0"),
        ("mcr.microsoft.com/dotnet/sdk:8.0-alpine", "mcr.microsoft.com/dotnet/{}:8.0-alpine"),
        (
            "mcr.microsoft.com/dotnet/sdk:8.0.100-alpine3.19",
            "mcr.microsoft.com/dotnet/{}:8.0-alpine3.19",
        ),
        ("mcr.microsoft.com/dotnet/sdk:6.0-jammy", "mcr.microsoft.com/dotnet/{}:6.0-jammy"),
        (
            "mcr.microsoft.com/dotnet/sdk:7.0-bookworm-slim-arm64v8",
            "mcr.microsoft.com/dotnet/{}:7.0-bookworm-slim-arm64v8",
        ),
        ("mcr.microsoft.com/dotnet/core/sdk:3.1", "mcr.microsoft.com/dotnet/core/{}:3.1"),
        ("mcr.microsoft.com/dotnet/sdk:9.0-noble-aot", None),
        ("mcr.microsoft.com/dotnet/sdk:latest", None),
        ("microsoft/dotnet:2.2-sdk", None),
        ("mcr.microsoft.com/dotnet/aspnet:8.0", None),
    ],
)
def test_the_runtime_keeps_the_version_and_the_distribution(sdk: str, runtime: str | None) -> None:
    ref = parse_image(sdk)
    assert ref is not None
    assert _runtime_repository(ref) == runtime


def test_an_unknown_sdk_version_is_not_guessed() -> None:
    text = WORKER.replace("sdk:8.0", "sdk:latest")
    answer = _refused(text)
    assert answer.reason.startswith("no runtime image is known")
    assert answer.suggestion is not None and "COPY --from=build /app /app" in answer.suggestion


def test_a_relative_output_follows_the_workdir_of_the_publish() -> None:
    text = """\
FROM mcr.microsoft.com/dotnet/sdk:8.0
WORKDIR /app
COPY . ./
RUN cd src && dotnet publish -c Release -o ../out
ENTRYPOINT ["dotnet", "out/Api.dll"]
"""
    assert _converted(text).artifacts == (Artifact("/app/out", "/app/out"),)


@pytest.mark.parametrize(
    ("publish", "entrypoint", "words"),
    [
        pytest.param(
            "dotnet publish -c Release", '["dotnet", "/app/Api.dll"]', "no -o", id="no-output"
        ),
        pytest.param(
            "dotnet publish -c Release -r linux-x64 --self-contained -o /app",
            '["/app/Api"]',
            "self-contained",
            id="self-contained",
        ),
        pytest.param(
            "dotnet publish -c Release -o /app -p:PublishAot=true",
            '["/app/Api"]',
            "self-contained or native",
            id="aot",
        ),
        pytest.param(
            "dotnet publish -c Release -o /app",
            '["dotnet", "/other/Api.dll"]',
            "no program of the publish output",
            id="elsewhere",
        ),
        pytest.param(
            "dotnet publish -c Release -o $OUT",
            '["dotnet", "/app/Api.dll"]',
            "variable",
            id="variable",
        ),
    ],
)
def test_an_output_that_cannot_be_placed_is_refused(
    publish: str, entrypoint: str, words: str
) -> None:
    text = f"""\
FROM mcr.microsoft.com/dotnet/sdk:8.0
WORKDIR /src
COPY . .
RUN {publish}
ENTRYPOINT {entrypoint}
"""
    assert words in _refused(text).reason


@pytest.mark.parametrize(
    ("step", "words"),
    [
        pytest.param("RUN dotnet tool install --global dotnet-ef", "`dotnet tool`", id="tool"),
        pytest.param("RUN apt-get update && apt-get install -y libgdiplus", "`apt-get`", id="apt"),
        pytest.param("RUN mkdir -p /var/log/api", "/var/log/api", id="outside"),
    ],
)
def test_a_step_that_may_prepare_the_runtime_is_refused(step: str, words: str) -> None:
    text = WORKER.replace("COPY . .", f"{step}\nCOPY . .")
    answer = _refused(text)
    assert words in answer.reason
    assert answer.reason.startswith("a RUN does more than build")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "FROM mcr.microsoft.com/dotnet/sdk:8.0\nCOPY . .\nRUN dotnet build\n"
            'ENTRYPOINT ["dotnet", "run"]\n',
            id="no-publish",
        ),
        pytest.param(
            "FROM mcr.microsoft.com/dotnet/sdk:8.0\nCOPY . .\nRUN dotnet publish -o /app\n"
            'ENTRYPOINT ["dotnet", "watch", "run"]\n',
            id="dotnet-watch",
        ),
        pytest.param(
            "FROM mcr.microsoft.com/dotnet/sdk:8.0\nCOPY . .\nRUN dotnet publish -o /app\n",
            id="no-entrypoint",
        ),
    ],
)
def test_not_a_dotnet_build_to_split(text: str) -> None:
    assert recognise(_view(text)) is None
