"""Whether an image is meant to be built upon (:mod:`manifesto.image_role`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from manifesto.context import FixContext
from manifesto.context_files import context_lister
from manifesto.cst import parse
from manifesto.image_role import base_image_signs


def signs(text: str, target: str | None = None, dockerfile: Path | None = None) -> str | None:
    """The signs of the shipped image, joined as in a message; None for an application."""
    lister = context_lister(dockerfile) if dockerfile is not None else None
    ctx = FixContext(text, parse(text), target=target, list_context=lister)
    found = base_image_signs(ctx)
    return str(found) if found is not None else None


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        pytest.param('CMD ["bash"]', "bash", id="bash"),
        pytest.param('CMD ["/bin/sh"]', "/bin/sh", id="sh-path"),
        pytest.param("CMD bash -l", "bash -l", id="shell-form-login-shell"),
        pytest.param('CMD ["python3"]', "python3", id="python3"),
        pytest.param('CMD ["python3.12"]', "python3.12", id="python-versioned"),
        pytest.param('CMD ["pypy3"]', "pypy3", id="pypy3"),
        pytest.param('CMD ["node"]', "node", id="node"),
        pytest.param('CMD ["irb"]', "irb", id="irb"),
        pytest.param('CMD ["php", "-a"]', "php -a", id="php-a"),
        pytest.param('CMD ["perl5.40.3", "-de0"]', "perl5.40.3 -de0", id="perl-debugger"),
        pytest.param('CMD ["jshell"]', "jshell", id="jshell"),
        pytest.param('CMD ["ghci"]', "ghci", id="ghci"),
        pytest.param('CMD ["erl"]', "erl", id="erl"),
        pytest.param('CMD ["rebar3", "shell"]', "rebar3 shell", id="rebar3-shell"),
        pytest.param('CMD ["R"]', "R", id="r"),
        pytest.param('CMD ["julia"]', "julia", id="julia"),
        pytest.param('CMD ["lein", "repl"]', "lein repl", id="lein-repl"),
        pytest.param('CMD ["mvn"]', "mvn", id="maven"),
        pytest.param('CMD ["gradle"]', "gradle", id="gradle"),
        pytest.param(
            'ENTRYPOINT ["docker-entrypoint.sh"]\nCMD ["node"]',
            "docker-entrypoint.sh node",
            id="wrapper-then-node",
        ),
        pytest.param(
            'ENTRYPOINT ["/usr/bin/tini", "--"]\nCMD ["bash"]',
            "/usr/bin/tini -- bash",
            id="tini",
        ),
        pytest.param(
            'ENTRYPOINT ["entrypoint"]\nCMD ["-M", "--repl"]',
            "entrypoint -M --repl",
            id="clojure-wrapper-arguments",
        ),
        # the build and deployment tools of Google Cloud Build's cloud-builders images
        pytest.param('ENTRYPOINT ["dotnet"]', "dotnet", id="dotnet"),
        pytest.param('ENTRYPOINT ["javac"]', "javac", id="javac"),
        pytest.param('ENTRYPOINT ["bazel"]', "bazel", id="bazel"),
        pytest.param('ENTRYPOINT ["go"]', "go", id="go"),
        pytest.param('ENTRYPOINT ["npm"]', "npm", id="npm"),
        pytest.param('ENTRYPOINT ["yarn"]', "yarn", id="yarn"),
        pytest.param('ENTRYPOINT ["pip"]', "pip", id="pip"),
        pytest.param('ENTRYPOINT ["twine"]', "twine", id="twine"),
        pytest.param(
            'ENTRYPOINT ["python3", "-m", "twine"]', "python3 -m twine", id="twine-module"
        ),
        pytest.param('ENTRYPOINT ["gcloud"]', "gcloud", id="gcloud"),
        pytest.param('ENTRYPOINT ["gsutil"]', "gsutil", id="gsutil"),
        pytest.param('ENTRYPOINT ["/usr/bin/docker"]', "/usr/bin/docker", id="docker"),
        pytest.param('ENTRYPOINT ["kubectl"]', "kubectl", id="kubectl"),
        pytest.param('ENTRYPOINT ["helm"]', "helm", id="helm"),
        pytest.param('ENTRYPOINT ["terraform"]', "terraform", id="terraform"),
    ],
)
def test_a_generic_command_is_a_sign(command: str, shown: str) -> None:
    text = f"FROM debian:12\nRUN apt-get update\n{command}\n"
    assert signs(text) == f"only a generic command, `{shown}`"


@pytest.mark.parametrize(
    "command",
    [
        pytest.param('CMD ["python", "app.py"]', id="python-script"),
        pytest.param('CMD ["python", "-m", "service"]', id="python-module"),
        pytest.param('CMD ["bash", "-c", "exec srv"]', id="bash-c"),
        pytest.param('CMD ["php-fpm"]', id="daemon"),
        pytest.param('CMD ["node", "server.js"]', id="node-script"),
        pytest.param('CMD ["mvn", "spring-boot:run"]', id="maven-goal"),
        pytest.param('ENTRYPOINT ["/entrypoint.sh"]', id="lone-script-is-the-command"),
        pytest.param('ENTRYPOINT ["docker-entrypoint.sh"]\nCMD ["redis-server"]', id="wrapped"),
        pytest.param('ENTRYPOINT srv --serve\nCMD ["bash"]', id="shell-form-entrypoint"),
        pytest.param('ENTRYPOINT ["python"]\nCMD ["app.py"]', id="entrypoint-and-script"),
        pytest.param('CMD ["npm", "start"]', id="npm-start"),
        pytest.param('ENTRYPOINT ["dotnet", "TestApp.dll"]', id="dotnet-application"),
        pytest.param('CMD ["go", "run", "."]', id="go-run"),
        pytest.param('CMD ["python3", "-m", "http.server"]', id="python-module-server"),
    ],
)
def test_an_applications_command_is_no_sign(command: str) -> None:
    assert signs(f"FROM debian:12\nRUN apt-get update\n{command}\n") is None


def test_idle_commands() -> None:
    for command, shown in (
        ('CMD ["sleep", "infinity"]', "sleep infinity"),
        ('ENTRYPOINT ["tail"]\nCMD ["-f", "/dev/null"]', "tail -f /dev/null"),
    ):
        assert signs(f"FROM ubuntu:24.04\n{command}\n") == (
            f"a command that only keeps the container idle, `{shown}`"
        )


def test_no_command_of_its_own_and_onbuild() -> None:
    assert signs("FROM debian:12\nRUN apt-get update\n") == "no CMD or ENTRYPOINT of its own"
    onbuild = 'FROM node:20\nWORKDIR /app\nONBUILD COPY . .\nCMD ["node", "index.js"]\n'
    assert signs(onbuild) == "ONBUILD instructions"


@pytest.mark.parametrize(
    "copy",
    [
        pytest.param("COPY . /srv/app", id="whole-context"),
        pytest.param("COPY ./ /opt/tool/", id="whole-context-slash"),
        pytest.param("WORKDIR /srv\nCOPY bin/ ./bin/", id="relative-into-the-workdir"),
        pytest.param("COPY app/ /opt/app/\nWORKDIR /opt/app", id="workdir-set-after"),
        pytest.param("WORKDIR /srv\nCOPY --from=build /out/srv /srv/srv", id="built-artifact"),
    ],
)
def test_an_application_copy_outweighs_a_generic_command(copy: str) -> None:
    assert signs(f'FROM debian:12\n{copy}\nCMD ["bash"]\n') is None
    # ONBUILD says "built upon" whatever the image copies
    onbuild = f'FROM debian:12\n{copy}\nONBUILD RUN make\nCMD ["bash"]\n'
    assert signs(onbuild) == "ONBUILD instructions; only a generic command, `bash`"


@pytest.mark.parametrize(
    "copy",
    [
        pytest.param("COPY docker-entrypoint.sh /usr/local/bin/", id="script-to-usr-local-bin"),
        pytest.param("COPY library-scripts/ /tmp/library-scripts/", id="to-tmp"),
        pytest.param("COPY *.patch /usr/src/perl/\nWORKDIR /usr/src/app", id="outside-workdir"),
        pytest.param("COPY setup.sh setup.sh", id="relative-without-a-workdir"),
        pytest.param("WORKDIR /usr/local/bin\nCOPY tool .", id="workdir-of-the-system"),
        pytest.param("COPY --from=composer:2 /usr/bin/composer /usr/local/bin/", id="tool"),
    ],
)
def test_tooling_copies_are_no_application(copy: str) -> None:
    assert signs(f'FROM debian:12\n{copy}\nCMD ["bash"]\n') == "only a generic command, `bash`"


@pytest.mark.parametrize(
    ("header", "generator"),
    [
        pytest.param(
            '#\n# NOTE: THIS DOCKERFILE IS GENERATED VIA "apply-templates.sh"\n#\n'
            "# PLEASE DO NOT EDIT IT DIRECTLY.\n#\n\n",
            "apply-templates.sh",
            id="docker-library",
        ),
        pytest.param(
            '# ----\n#             NOTE: THIS FILE IS GENERATED VIA "generate_dockerfiles.py"\r\n'
            "#\r\n#                       PLEASE DO NOT EDIT IT DIRECTLY.\r\n",
            "generate_dockerfiles.py",
            id="temurin-crlf",
        ),
        pytest.param(
            "# DO NOT EDIT: created by update.sh from Dockerfile-debian.template\n",
            "update.sh",
            id="nextcloud",
        ),
    ],
)
def test_the_header_of_an_official_images_source(header: str, generator: str) -> None:
    text = f'{header}FROM debian:12\nRUN make install\nCMD ["catalina.sh", "run"]\n'
    assert signs(text) == f"generated by {generator} like an official image's source"


def test_a_header_after_the_first_instruction_or_half_written_says_nothing() -> None:
    late = 'FROM debian:12\n# NOTE: THIS DOCKERFILE IS GENERATED VIA "x.sh"\n'
    late += '# PLEASE DO NOT EDIT IT DIRECTLY.\nCMD ["srv"]\n'
    assert signs(late) is None
    half = '# NOTE: THIS DOCKERFILE IS GENERATED VIA "x.sh"\nFROM debian:12\nCMD ["srv"]\n'
    assert signs(half) is None


@pytest.mark.parametrize(
    ("name", "based"),
    [
        pytest.param("Dockerfile-base", True, id="dash"),
        pytest.param("Dockerfile.base", True, id="dot"),
        pytest.param("base.Dockerfile", True, id="prefix"),
        pytest.param("Dockerfile", False, id="plain"),
        pytest.param("database.Dockerfile", False, id="word-inside"),
        pytest.param("Dockerfile.baseline", False, id="longer-word"),
    ],
)
def test_a_file_named_as_a_base(tmp_path: Path, name: str, based: bool) -> None:
    path = tmp_path / name
    text = 'FROM debian:12\nCOPY srv /usr/local/bin/srv\nCMD ["srv"]\n'
    path.write_text(text, "utf-8")
    assert signs(text, dockerfile=path) == (f"a name that says base, {name}" if based else None)
    assert signs(text) is None  # no listing (stdin): the name is unknown


def test_the_image_is_the_shipped_stage_with_the_stages_it_is_built_from() -> None:
    text = (
        'FROM python:3.12 AS runtime\nCMD ["python3"]\n'
        "FROM runtime AS app\nWORKDIR /app\nCOPY . .\n"
        "FROM runtime AS tools\nRUN pip install ruff\n"
    )
    assert signs(text) == "only a generic command, `python3`"
    assert signs(text, target="app") is None
    assert signs(text, target="runtime") == "only a generic command, `python3`"


def test_a_tool_image_that_copies_its_application_is_an_application() -> None:
    """``ENTRYPOINT ["dotnet"]`` over a published app in its WORKDIR is the app's image."""
    tool = "FROM mcr.microsoft.com/dotnet/sdk:8.0\nRUN dotnet --info\n"
    assert signs(tool + 'ENTRYPOINT ["dotnet"]\n') == "only a generic command, `dotnet`"
    app = 'WORKDIR /srv\nCOPY out/ .\nENTRYPOINT ["dotnet"]\nCMD ["Api.dll"]\n'
    assert signs(tool + app) is None
    bare = 'WORKDIR /srv\nCOPY out/ .\nENTRYPOINT ["npm"]\n'
    assert signs("FROM node:22\n" + bare) is None
