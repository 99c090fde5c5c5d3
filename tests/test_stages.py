"""The one view of stages: resolved bases, OS families, Windows per stage, shipping."""

from __future__ import annotations

import pytest

from manifesto.context import FixContext
from manifesto.cst import parse
from manifesto.cst.stages import BaseImage, StageGraph, global_arg_values, stage_graph


def _graph(text: str, target: str | None = None) -> StageGraph:
    return stage_graph(parse(text), target)


def _last_base(text: str) -> BaseImage:
    return _graph(text).bases[-1]


@pytest.mark.parametrize(
    ("text", "resolved"),
    [
        pytest.param("ARG B=debian:12\nFROM $B\n", "debian:12", id="dollar"),
        pytest.param("ARG B=debian:12\nFROM ${B}\n", "debian:12", id="braces"),
        pytest.param("ARG B\nFROM ${B:-alpine:3.20}\n", "alpine:3.20", id="default-unset"),
        pytest.param("ARG B=\nFROM ${B:-alpine}\n", "alpine", id="default-empty"),
        pytest.param("ARG B=\nFROM ${B-alpine}:3\n", ":3", id="dash-only-when-unset"),
        pytest.param("ARG S=1\nFROM debian${S:+:12}\n", "debian:12", id="plus-set"),
        pytest.param("FROM ${NOPE:-ubuntu}\n", "ubuntu", id="undeclared-default"),
        pytest.param(
            "ARG R=docker.io\nARG I=${R}/library/node:20\nFROM $I\n",
            "docker.io/library/node:20",
            id="default-expanded",
        ),
        pytest.param('ARG B="debian:12"\nFROM $B\n', "debian:12", id="quoted-default"),
        pytest.param("ARG B\nFROM $B\n", None, id="no-default"),
        pytest.param("FROM --platform=$BUILDPLATFORM golang:$TARGETARCH\n", None, id="platform"),
        pytest.param("ARG B\nFROM debian${B:+:12}\n", None, id="plus-unknown"),
    ],
)
def test_from_resolves_through_global_args(text: str, resolved: str | None) -> None:
    graph = _graph(text)
    assert graph.resolved[-1] == resolved
    assert graph.bases[-1].unknown is (resolved is None)


def test_arg_default_is_expanded_against_earlier_args() -> None:
    tree = parse("ARG V=3.20\nARG IMG=alpine:${V}\nARG LATER\nFROM $IMG\n")
    assert global_arg_values(tree) == {"V": "3.20", "IMG": "alpine:3.20"}


def test_arg_after_first_from_does_not_resolve_a_from() -> None:
    graph = _graph("FROM debian AS a\nARG B=alpine\nFROM $B\n")
    assert graph.resolved[-1] is None
    assert graph.bases[-1].unknown


def test_stage_names_resolve_recursively_to_the_root_image() -> None:
    text = (
        "ARG BASE=rockylinux:9\nFROM ${BASE} AS base\nFROM base AS builder\nARG X\nFROM Builder\n"
    )
    graph = _graph(text)
    assert graph.parents == (None, 0, 1)
    assert [b.reference for b in graph.bases] == ["rockylinux:9"] * 3
    assert {(b.family, b.version) for b in graph.bases} == {("rhel-like", "9")}
    assert [s.index for s in graph.ancestors(graph.stages[2])] == [0, 1, 2]


def test_arg_selects_a_stage() -> None:
    text = (
        "ARG PLATFORM=xpu\n"
        "FROM ubuntu:22.04 AS cpu\nRUN true\n"
        "FROM intel/oneapi:2024 AS xpu\nRUN pip install torch\n"
        "FROM ${PLATFORM} AS final\nCMD x\n"
    )
    graph = _graph(text)
    assert graph.parents[2] == 1
    assert graph.shipped == frozenset({1, 2})


def test_a_stage_cannot_be_built_from_a_later_one() -> None:
    graph = _graph("FROM later AS first\nFROM alpine AS later\n")
    assert graph.parents == (None, None)
    assert graph.bases[0].reference == "later"


@pytest.mark.parametrize(
    ("reference", "family", "version"),
    [
        ("rockylinux:8", "rhel-like", "8"),
        ("rockylinux/rockylinux:9.3", "rhel-like", "9"),
        ("centos:7", "rhel-like", "7"),
        ("centos:centos7.9.2009", "rhel-like", "7"),
        ("quay.io/centos/centos:stream9", "rhel-like", "9"),
        ("almalinux:8-minimal", "rhel-like", "8"),
        ("oraclelinux:7-slim", "rhel-like", "7"),
        ("registry.access.redhat.com/ubi8/ubi-minimal:8.9", "rhel-like", "8"),
        ("redhat/ubi9", "rhel-like", "9"),
        ("fedora:39", "fedora", "39"),
        ("amazonlinux:2023", "amazonlinux", "2023"),
        ("amazonlinux:2", "amazonlinux", "2"),
        ("ubuntu:22.04", "ubuntu", "22.04"),
        ("ubuntu:jammy", "ubuntu", "jammy"),
        ("debian:bookworm-slim", "debian", "bookworm"),
        ("debian:12", "debian", "12"),
        ("debian", "debian", None),
        ("alpine:3.20", "alpine", "3.20"),
        ("opensuse/leap:15.5", "suse", "15.5"),
        ("python:3.12-slim-bookworm", "debian", "bookworm"),
        ("python:3.12-slim", "debian", None),
        ("python:3.12", "debian", None),
        ("node:20-alpine", "alpine", None),
        ("node:20-alpine3.19", "alpine", "3.19"),
        ("eclipse-temurin:21-jdk-jammy", "ubuntu", "jammy"),
        ("golang:1.22-bullseye", "debian", "bullseye"),
        ("amazoncorretto:21-al2023", "amazonlinux", "2023"),
        ("icr.io/appcafe/ibm-semeru-runtimes:open-17-jdk-ubi", "rhel-like", None),
        ("ibmjava:8-ubi", "rhel-like", None),
        ("mcr.microsoft.com/windows/servercore:ltsc2022", "windows", "ltsc2022"),
        ("myorg/app:1.0", None, None),
        ("openjdk:17", None, None),
    ],
)
def test_family_and_version_from_the_reference(
    reference: str, family: str | None, version: str | None
) -> None:
    base = _last_base(f"FROM {reference}\n")
    assert (base.reference, base.family, base.version) == (reference, family, version)
    assert not base.unknown


def test_unresolved_reference_still_tells_a_literal_distribution() -> None:
    base = _last_base("ARG V\nFROM alpine:${V}\n")
    assert (base.reference, base.family, base.unknown) == (None, "alpine", True)
    base = _last_base("ARG V\nFROM python:${V}-alpine\n")
    assert base.family == "alpine"
    # the tag may name any variant: nothing is known
    assert _last_base("ARG V\nFROM python:${V}\n").family is None


@pytest.mark.parametrize(
    ("text", "windows"),
    [
        pytest.param("# escape=`\nFROM a\nFROM b\n", [True, True], id="backtick-whole-file"),
        pytest.param(
            "ARG node=node:10.19.0-windowsservercore\nFROM $node\n", [True], id="arg-built"
        ),
        pytest.param(
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS win\nFROM debian\n",
            [True, False],
            id="per-stage",
        ),
        pytest.param(
            'FROM a AS tools\nSHELL ["powershell", "-Command"]\nFROM tools\nFROM debian\n',
            [True, True, False],
            id="shell-inherited",
        ),
        pytest.param('FROM a\nSHELL ["cmd", "/S", "/C"]\n', [True], id="cmd"),
        pytest.param('FROM a\nSHELL ["/bin/bash", "-c"]\n', [False], id="bash"),
        pytest.param("ARG V\nFROM mcr.microsoft.com/windows/nanoserver:$V\n", [True], id="hint"),
        pytest.param(
            "FROM mcr.microsoft.com/dotnet/framework/sdk:4.8 AS build\n"
            "FROM mcr.microsoft.com/dotnet/runtime:8.0\n",
            [True, False],
            id="dotnet-framework",
        ),
    ],
)
def test_windows_is_per_stage(text: str, windows: list[bool]) -> None:
    assert [b.windows for b in _graph(text).bases] == windows


def test_shipped_follows_the_target() -> None:
    text = (
        "FROM golang:1.22 AS build\nRUN go build\n"
        "FROM build AS test\nRUN go test\n"
        "FROM alpine AS final\nCOPY --from=build /app /app\n"
    )
    assert _graph(text).shipped == frozenset({2})
    assert _graph(text, "test").shipped == frozenset({0, 1})
    assert _graph(text, "TEST").shipped == frozenset({0, 1})
    # a target the file does not have leaves the last stage the image
    assert _graph(text, "nope").shipped == frozenset({2})


def test_unknown_base_may_be_built_on_any_earlier_stage() -> None:
    text = "ARG BASE\nFROM debian AS a\nRUN x\nFROM debian AS b\nFROM ${BASE}\nRUN y\n"
    graph = _graph(text)
    assert graph.shipped == frozenset({0, 1, 2})
    run_x = graph.stages[0].instructions[0]
    assert [i.render() for i in graph.later_in_image(run_x)] == ["RUN y\n"]
    run_y = graph.stages[2].instructions[0]
    assert graph.earlier_in_image(run_y) == ()


def test_a_from_with_literal_parts_may_name_the_stages_it_fits() -> None:
    text = (
        "FROM amazonlinux:2 AS base\nRUN yum install -y gcc\n"
        "FROM base AS base-amd64\nARG SUFFIX=\n"
        "FROM base AS base-arm64\nARG SUFFIX=-aarch64\n"
        "FROM node:20 AS tests\nRUN npm ci\n"
        "FROM base-$TARGETARCH AS final\nRUN yum install -y swift\n"
    )
    graph = _graph(text)
    assert graph.candidates[-1] == (1, 2)
    assert graph.shipped == frozenset({0, 1, 2, 4})
    base = graph.bases[-1]
    assert (base.reference, base.family, base.version, base.unknown) == (
        "amazonlinux:2",
        "amazonlinux",
        "2",
        False,
    )
    run_gcc, run_npm = graph.stages[0].instructions[0], graph.stages[3].instructions[0]
    assert graph.later_in_image(run_gcc)[-1].render() == "RUN yum install -y swift\n"
    assert graph.later_in_image(run_npm) == ()


def test_candidate_stages_that_disagree_leave_what_they_share() -> None:
    text = (
        "FROM alpine:3.20 AS app-linux\n"
        "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022 AS app-windows\n"
        "FROM app-$TARGETOS${DEBUG:+-debug}\n"
    )
    base = _graph(text).bases[-1]
    assert (base.reference, base.family, base.windows, base.unknown) == (None, None, True, False)


def test_earlier_and_later_in_image_follow_the_chain() -> None:
    text = "FROM debian AS a\nENV A=1\nRUN x\nFROM a AS b\nRUN y\nFROM debian\nRUN z\n"
    graph = _graph(text)
    run_x, run_y = graph.stages[0].instructions[1], graph.stages[1].instructions[0]
    assert [i.render() for i in graph.later_in_image(run_x)] == ["RUN y\n"]
    assert [i.render() for i in graph.earlier_in_image(run_y)] == ["ENV A=1\n", "RUN x\n"]


@pytest.mark.parametrize(
    ("text", "posix"),
    [
        pytest.param("ARG B\nFROM $B\nRUN npm ci\n", False, id="nothing-shown"),
        pytest.param("ARG B\nFROM $B\nRUN apt-get update\nRUN npm ci\n", True, id="apt"),
        pytest.param("ARG B\nFROM $B\nRUN set -eux; npm ci\n", True, id="set-e"),
        pytest.param('ARG B\nFROM $B\nSHELL ["/bin/bash", "-c"]\nRUN npm ci\n', True, id="shell"),
        pytest.param("ARG B\nFROM $B AS a\nRUN apk add x\nFROM a\nRUN npm ci\n", True, id="parent"),
        pytest.param("ARG B\nFROM alpine:$B\nRUN npm ci\n", True, id="family-known"),
        pytest.param("FROM node:20\nRUN npm ci\n", True, id="known"),
        pytest.param("FROM node:20-windowsservercore\nRUN npm ci\n", False, id="windows"),
    ],
)
def test_posix_shell_at(text: str, posix: bool) -> None:
    tree = parse(text)
    ctx = FixContext(text, tree)
    assert ctx.posix_shell_at(tree.instructions[-1]) is posix


def test_context_exposes_the_view() -> None:
    text = "ARG B=rockylinux:9\nFROM $B AS build\nRUN yum install -y x\nFROM build\nRUN y\n"
    tree = parse(text)
    ctx = FixContext(text, tree, target="build")
    run = tree.instructions[2]
    assert ctx.base_of(run) == BaseImage(
        "rockylinux:9", "rhel-like", "9", windows=False, unknown=False
    )
    assert not ctx.windows_at(run)
    assert ctx.is_shipped(run)
    assert not ctx.is_shipped(tree.instructions[-1])
    assert ctx.instruction_at(run.start + 4) is run
    assert ctx.instruction_at(len(text) + 10) is None
