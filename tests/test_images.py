"""Tests for manifesto.images: image references, stage references and FROM variables."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from manifesto.images import (
    ImageRef,
    expand,
    has_variables,
    is_scratch,
    is_stage_reference,
    parse_image,
    referenced_variables,
)

SHA256 = "sha256:" + "0123456789abcdef" * 4
SHA512 = "sha512:" + "fedcba9876543210" * 8

# --- parsing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "registry", "path", "tag", "digest"),
    [
        pytest.param("python", None, "python", None, None, id="official"),
        pytest.param("python:3.12-slim", None, "python", "3.12-slim", None, id="official-tag"),
        pytest.param("bitnami/redis:7.2", None, "bitnami/redis", "7.2", None, id="hub-namespace"),
        pytest.param("localhost:5000/foo:1", "localhost:5000", "foo", "1", None, id="port"),
        pytest.param("localhost/foo", "localhost", "foo", None, None, id="localhost"),
        pytest.param("localhost", None, "localhost", None, None, id="localhost-alone"),
        pytest.param("localhost:5000", None, "localhost", "5000", None, id="localhost-tag"),
        pytest.param(
            "gcr.io/distroless/static-debian12:nonroot",
            "gcr.io",
            "distroless/static-debian12",
            "nonroot",
            None,
            id="distroless",
        ),
        pytest.param(
            "registry.example.com:443/team/sub/app:1.0-rc.1",
            "registry.example.com:443",
            "team/sub/app",
            "1.0-rc.1",
            None,
            id="nested-namespace",
        ),
        pytest.param(
            "mcr.microsoft.com/windows/servercore:ltsc2022",
            "mcr.microsoft.com",
            "windows/servercore",
            "ltsc2022",
            None,
            id="mcr",
        ),
        pytest.param(
            "docker.io/library/python", "docker.io", "library/python", None, None, id="docker-io"
        ),
        pytest.param(
            "index.docker.io/library/python:3",
            "index.docker.io",
            "library/python",
            "3",
            None,
            id="legacy-index",
        ),
        pytest.param(f"alpine@{SHA256}", None, "alpine", None, SHA256, id="digest"),
        pytest.param(f"alpine:3.19@{SHA256}", None, "alpine", "3.19", SHA256, id="tag-digest"),
        pytest.param(f"quay.io/org/app@{SHA512}", "quay.io", "org/app", None, SHA512, id="sha512"),
        pytest.param("Foo/bar", "Foo", "bar", None, None, id="uppercase-first-is-registry"),
        pytest.param("[::1]:5000/foo/bar:v1", "[::1]:5000", "foo/bar", "v1", None, id="ipv6"),
        pytest.param("a__b/c---d.e_f", None, "a__b/c---d.e_f", None, None, id="separators"),
        pytest.param("foo:Latest_1", None, "foo", "Latest_1", None, id="uppercase-tag"),
        pytest.param("ubuntu:" + "a" * 128, None, "ubuntu", "a" * 128, None, id="tag-128"),
        pytest.param("scratch", None, "scratch", None, None, id="scratch"),
        pytest.param(
            "sha256:" + "a" * 64, None, "sha256", "a" * 64, None, id="sha256-is-a-name-here"
        ),
    ],
)
def test_parse_valid(
    text: str, registry: str | None, path: str, tag: str | None, digest: str | None
) -> None:
    ref = parse_image(text)
    assert ref == ImageRef(registry, path, tag, digest)
    assert str(ref) == text


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("FOO", id="uppercase-name"),
        pytest.param("Python:3", id="uppercase-official"),
        pytest.param("library/Python", id="uppercase-path"),
        pytest.param("localhost/Foo", id="uppercase-after-registry"),
        pytest.param("gcr.io/Distroless/static", id="uppercase-namespace"),
        pytest.param("foo:", id="empty-tag"),
        pytest.param("foo@", id="empty-digest"),
        pytest.param(":tag", id="no-name"),
        pytest.param(f"@{SHA256}", id="digest-only"),
        pytest.param("foo:bar:baz", id="two-tags"),
        pytest.param("foo:-tag", id="tag-leading-dash"),
        pytest.param("foo:.tag", id="tag-leading-dot"),
        pytest.param("foo:" + "a" * 129, id="tag-129"),
        pytest.param("alpine@sha256:abc", id="short-digest"),
        pytest.param("alpine@sha256:" + "A" * 64, id="uppercase-digest-hex"),
        pytest.param("alpine@md5:" + "a" * 32, id="unsupported-algorithm"),
        pytest.param("alpine@latest", id="tag-as-digest"),
        pytest.param(f"alpine@{SHA256}@{SHA256}", id="two-digests"),
        pytest.param("foo//bar", id="empty-component"),
        pytest.param("foo/", id="trailing-slash"),
        pytest.param("/foo", id="leading-slash"),
        pytest.param("foo-/bar", id="component-trailing-dash"),
        pytest.param("-foo", id="component-leading-dash"),
        pytest.param("foo..bar", id="double-dot"),
        pytest.param("foo___bar", id="triple-underscore"),
        pytest.param("foo_bar.com/x", id="underscore-in-registry"),
        pytest.param("localhost:port/foo", id="non-numeric-port"),
        pytest.param("-registry.io/foo", id="registry-leading-dash"),
        pytest.param("a" * 64, id="image-id"),
        pytest.param(" alpine", id="leading-space"),
        pytest.param("alpine ", id="trailing-space"),
        pytest.param("alpine\n", id="trailing-newline"),
        pytest.param("foo bar", id="space"),
        pytest.param("$FOO", id="unexpanded-variable"),
        pytest.param("${REGISTRY}/app:1", id="unexpanded-braced-variable"),
        pytest.param("a" * 256, id="too-long"),
        pytest.param("registry.example.com/" + "a" * 240, id="too-long-with-registry"),
        pytest.param('"alpine"', id="quoted"),
    ],
)
def test_parse_invalid(text: str) -> None:
    assert parse_image(text) is None


def test_name_length_counts_the_normalized_name() -> None:
    # docker.io/library/ + name <= 255
    longest = "a" * (255 - len("docker.io/library/"))
    assert parse_image(longest) is not None
    assert parse_image(longest + "a") is None


# --- properties of ImageRef -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "namespace", "domain", "repository"),
    [
        pytest.param("python", "python", None, "docker.io", "docker.io/library/python", id="hub"),
        pytest.param(
            "bitnami/redis:7",
            "redis",
            "bitnami",
            "docker.io",
            "docker.io/bitnami/redis",
            id="hub-ns",
        ),
        pytest.param(
            "gcr.io/distroless/static-debian12:nonroot",
            "static-debian12",
            "distroless",
            "gcr.io",
            "gcr.io/distroless/static-debian12",
            id="gcr",
        ),
        pytest.param(
            "localhost:5000/a/b/c:1",
            "c",
            "a/b",
            "localhost:5000",
            "localhost:5000/a/b/c",
            id="deep",
        ),
        pytest.param(
            "index.docker.io/foo:1", "foo", None, "docker.io", "docker.io/library/foo", id="legacy"
        ),
    ],
)
def test_components(
    text: str, name: str, namespace: str | None, domain: str, repository: str
) -> None:
    ref = parse_image(text)
    assert ref is not None
    assert ref.name == name
    assert ref.namespace == namespace
    assert ref.domain == domain
    assert ref.repository == repository


@pytest.mark.parametrize(
    ("text", "normalized", "familiar"),
    [
        pytest.param("python", "docker.io/library/python", "python", id="official"),
        pytest.param("python:3", "docker.io/library/python:3", "python:3", id="official-tag"),
        pytest.param(
            "docker.io/library/python", "docker.io/library/python", "python", id="docker-io"
        ),
        pytest.param("docker.io/python:3", "docker.io/library/python:3", "python:3", id="no-lib"),
        pytest.param(
            "index.docker.io/library/python:3",
            "docker.io/library/python:3",
            "python:3",
            id="legacy",
        ),
        pytest.param("bitnami/redis", "docker.io/bitnami/redis", "bitnami/redis", id="hub-ns"),
        pytest.param(
            "docker.io/library/foo/bar",
            "docker.io/library/foo/bar",
            "library/foo/bar",
            id="library-nested",
        ),
        pytest.param(
            "docker.io/foo.bar/baz",
            "docker.io/foo.bar/baz",
            "docker.io/foo.bar/baz",
            id="dotted-namespace-keeps-registry",
        ),
        pytest.param(
            f"alpine:3@{SHA256}",
            f"docker.io/library/alpine:3@{SHA256}",
            f"alpine:3@{SHA256}",
            id="tag-digest",
        ),
        pytest.param(
            "ghcr.io/org/app:1", "ghcr.io/org/app:1", "ghcr.io/org/app:1", id="other-registry"
        ),
    ],
)
def test_normalized_and_familiar(text: str, normalized: str, familiar: str) -> None:
    ref = parse_image(text)
    assert ref is not None
    assert str(ref.normalized) == normalized
    assert str(ref.familiar) == familiar


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("alpine", True, id="untagged"),
        pytest.param("alpine:latest", True, id="latest"),
        pytest.param("docker.io/library/alpine:latest", True, id="latest-qualified"),
        pytest.param("alpine:3.19", False, id="tagged"),
        pytest.param("alpine:Latest", False, id="latest-is-case-sensitive"),
        pytest.param(f"alpine@{SHA256}", False, id="digest"),
        pytest.param(f"alpine:latest@{SHA256}", False, id="latest-with-digest"),
        pytest.param("scratch", False, id="scratch"),
    ],
)
def test_is_latest_or_untagged(text: str, expected: bool) -> None:
    ref = parse_image(text)
    assert ref is not None
    assert ref.is_latest_or_untagged is expected


def test_with_tag_and_digest_keep_spelling() -> None:
    ref = parse_image("index.docker.io/library/python:3.12")
    assert ref is not None
    assert str(ref.with_tag("3.13")) == "index.docker.io/library/python:3.13"
    assert str(ref.with_tag(None)) == "index.docker.io/library/python"
    assert str(ref.with_digest(SHA256)) == f"index.docker.io/library/python:3.12@{SHA256}"
    pinned = ref.with_digest(SHA256)
    assert pinned.with_digest(None) == ref
    assert parse_image(str(pinned)) == pinned


@pytest.mark.parametrize("tag", ["", "-x", "a/b", "a" * 129, "ü"])
def test_with_tag_rejects_invalid(tag: str) -> None:
    ref = ImageRef(None, "alpine")
    with pytest.raises(ValueError):
        ref.with_tag(tag)


@pytest.mark.parametrize("digest", ["", "sha256:abc", "sha256:" + "A" * 64, "md5:" + "a" * 32])
def test_with_digest_rejects_invalid(digest: str) -> None:
    with pytest.raises(ValueError):
        ImageRef(None, "alpine").with_digest(digest)


@pytest.mark.parametrize(
    ("registry", "path"),
    [
        pytest.param(None, "localhost/foo", id="registry-hidden-in-path"),
        pytest.param(None, "foo.io/bar", id="dotted-first-component"),
        pytest.param("foo", "bar", id="registry-that-reads-as-namespace"),
        pytest.param(None, "Foo", id="uppercase"),
        pytest.param("bad_registry.io", "foo", id="bad-registry"),
    ],
)
def test_constructor_rejects_ambiguous_or_invalid(registry: str | None, path: str) -> None:
    with pytest.raises(ValueError):
        ImageRef(registry, path)


def test_image_ref_is_frozen() -> None:
    ref = ImageRef(None, "alpine", "3")
    with pytest.raises(AttributeError):
        ref.tag = "4"  # type: ignore[misc]


# --- scratch and stages -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("scratch", True, id="scratch"),
        pytest.param("SCRATCH", False, id="upper"),
        pytest.param("docker.io/library/scratch", False, id="qualified"),
        pytest.param("scratch:latest", False, id="tagged"),
    ],
)
def test_is_scratch(text: str, expected: bool) -> None:
    assert is_scratch(text) is expected
    ref = parse_image(text)
    assert (ref is not None and ref.is_scratch) is expected


@pytest.mark.parametrize(
    ("text", "names", "stage_count", "expected"),
    [
        pytest.param("builder", ["builder"], None, True, id="same"),
        pytest.param("Builder", ["builder"], None, True, id="use-upper"),
        pytest.param("builder", ["BUILDER"], None, True, id="decl-upper"),
        pytest.param("alpine", ["builder"], None, False, id="image"),
        pytest.param("builder", [], None, False, id="no-stages"),
        pytest.param("0", [], None, False, id="from-has-no-index"),
        pytest.param("0", [], 2, True, id="index"),
        pytest.param("1", ["a", "b"], 2, True, id="last-index"),
        pytest.param("2", ["a", "b"], 2, False, id="index-out-of-range"),
        pytest.param("-1", ["a"], 1, False, id="negative-index"),
        pytest.param("b", ["a", "b"], 2, True, id="name-with-count"),
    ],
)
def test_is_stage_reference(
    text: str, names: list[str], stage_count: int | None, expected: bool
) -> None:
    assert is_stage_reference(text, names, stage_count=stage_count) is expected


# --- variables -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("$VAR", True, id="dollar"),
        pytest.param("${VAR}", True, id="braces"),
        pytest.param("${VAR:-default}", True, id="colon-dash"),
        pytest.param("${VAR-default}", True, id="dash"),
        pytest.param("${VAR:+alt}", True, id="colon-plus"),
        pytest.param("${VAR+alt}", True, id="plus"),
        pytest.param("alpine:${TAG}", True, id="tag"),
        pytest.param("${REGISTRY}/app", True, id="registry"),
        pytest.param('"$VAR"', True, id="double-quoted"),
        pytest.param("${", True, id="unterminated"),
        pytest.param("alpine:3", False, id="none"),
        pytest.param("\\$VAR", False, id="escaped"),
        pytest.param("'$VAR'", False, id="single-quoted"),
        pytest.param("$", False, id="lone-dollar"),
        pytest.param("a$/b", False, id="dollar-slash"),
    ],
)
def test_has_variables(text: str, expected: bool) -> None:
    assert has_variables(text) is expected


def test_has_variables_respects_escape_directive() -> None:
    assert has_variables("`$VAR", escape="`") is False
    assert has_variables("\\$VAR", escape="`") is True


def test_referenced_variables_in_order() -> None:
    assert referenced_variables("${A:-$B}/$C:${A}") == ("A", "B", "C")
    assert referenced_variables("'$X'") == ()


@pytest.mark.parametrize(
    ("text", "args", "expected"),
    [
        pytest.param("alpine:3", {}, "alpine:3", id="no-variables"),
        pytest.param("alpine:$TAG", {"TAG": "3.19"}, "alpine:3.19", id="dollar"),
        pytest.param("alpine:${TAG}", {"TAG": "3.19"}, "alpine:3.19", id="braces"),
        pytest.param("${REG}/app", {"REG": "ghcr.io/org"}, "ghcr.io/org/app", id="registry"),
        pytest.param("alpine$SUFFIX", {"SUFFIX": None}, "alpine", id="declared-unset-empty"),
        pytest.param("alpine:$TAG", {}, None, id="undeclared-unknown"),
        pytest.param("alpine:${TAG}", {"OTHER": "x"}, None, id="undeclared-braces-unknown"),
        # ${VAR:-default}
        pytest.param("alpine:${TAG:-3}", {}, "alpine:3", id="colon-dash-undeclared"),
        pytest.param("alpine:${TAG:-3}", {"TAG": None}, "alpine:3", id="colon-dash-unset"),
        pytest.param("alpine:${TAG:-3}", {"TAG": ""}, "alpine:3", id="colon-dash-empty"),
        pytest.param("alpine:${TAG:-3}", {"TAG": "4"}, "alpine:4", id="colon-dash-set"),
        # ${VAR-default}
        pytest.param("alpine:${TAG-3}", {}, "alpine:3", id="dash-undeclared"),
        pytest.param("alpine:${TAG-3}", {"TAG": None}, "alpine:3", id="dash-unset"),
        pytest.param("alpine:${TAG-3}", {"TAG": ""}, "alpine:", id="dash-empty"),
        pytest.param("alpine:${TAG-3}", {"TAG": "4"}, "alpine:4", id="dash-set"),
        # ${VAR:+alt}
        pytest.param("app${DEV:+-dev}", {"DEV": "1"}, "app-dev", id="colon-plus-set"),
        pytest.param("app${DEV:+-dev}", {"DEV": ""}, "app", id="colon-plus-empty"),
        pytest.param("app${DEV:+-dev}", {"DEV": None}, "app", id="colon-plus-unset"),
        pytest.param("app${DEV:+-dev}", {}, None, id="colon-plus-undeclared"),
        # ${VAR+alt}
        pytest.param("app${DEV+-dev}", {"DEV": "1"}, "app-dev", id="plus-set"),
        pytest.param("app${DEV+-dev}", {"DEV": ""}, "app-dev", id="plus-empty"),
        pytest.param("app${DEV+-dev}", {"DEV": None}, "app", id="plus-unset"),
        # nesting and defaults that are never used
        pytest.param("${A:-${B:-x}}", {}, "x", id="nested-defaults"),
        pytest.param("${A:-$B}", {"B": "y"}, "y", id="variable-default"),
        pytest.param("${A:-$B}", {"A": "a"}, "a", id="unknown-in-unused-default"),
        pytest.param("${A:-$B}", {}, None, id="unknown-in-used-default"),
        pytest.param("${A:-}", {}, "", id="empty-default"),
        # escapes and quotes
        pytest.param("\\$TAG", {"TAG": "x"}, "$TAG", id="escaped-dollar"),
        pytest.param("alpine\\:3", {}, "alpine:3", id="escaped-char"),
        pytest.param("alpine\\", {}, "alpine", id="trailing-escape"),
        pytest.param('"alpine:$TAG"', {"TAG": "3"}, "alpine:3", id="double-quotes"),
        pytest.param("'alpine:$TAG'", {"TAG": "3"}, "alpine:$TAG", id="single-quotes"),
        pytest.param('"a\\$b"', {}, "a$b", id="escape-in-double-quotes"),
        pytest.param('"a\\b"', {}, "a\\b", id="backslash-kept-in-double-quotes"),
        pytest.param("${A:-'x y'}", {}, "x y", id="quoted-default"),
        pytest.param("${A:-\\}}", {}, "}", id="escaped-brace-in-default"),
        pytest.param("a$", {}, "a$", id="lone-dollar"),
        pytest.param("a$/b", {}, "a$/b", id="dollar-slash"),
        # automatic platform ARGs
        pytest.param("base-$TARGETARCH", {}, None, id="platform-arg"),
        pytest.param("base-$TARGETARCH", {"TARGETARCH": None}, None, id="platform-arg-declared"),
        pytest.param("base-${TARGETOS:-linux}", {}, None, id="platform-arg-default-unused"),
        pytest.param("base-$TARGETARCH", {"TARGETARCH": "arm64"}, "base-arm64", id="platform-set"),
        # ${VAR?msg}
        pytest.param("${TAG:?need a tag}", {"TAG": "1"}, "1", id="question-set"),
        pytest.param("${TAG?}", {"TAG": None}, None, id="question-unset-fails"),
        pytest.param("${TAG:?}", {"TAG": ""}, None, id="colon-question-empty-fails"),
        # not modelled
        pytest.param("${TAG#v}", {"TAG": "v1"}, None, id="prefix-pattern"),
        pytest.param("${TAG%-*}", {"TAG": "1-x"}, None, id="suffix-pattern"),
        pytest.param("${TAG/a/b}", {"TAG": "a"}, None, id="replace-pattern"),
        pytest.param("${A:-x}${TAG#v}", {"TAG": "v1"}, None, id="pattern-after-known"),
        # lexer errors
        pytest.param("${TAG", {"TAG": "1"}, None, id="missing-brace"),
        pytest.param("${}", {}, None, id="empty-braces"),
        pytest.param("${:-x}", {}, None, id="no-name"),
        pytest.param("${{A}}", {}, None, id="double-brace"),
        pytest.param("${TAG:x}", {"TAG": "1"}, None, id="bad-modifier"),
        pytest.param("${TAG!}", {"TAG": "1"}, None, id="bad-modifier-bang"),
        pytest.param('"alpine', {}, None, id="unterminated-double-quote"),
        pytest.param("'alpine", {}, None, id="unterminated-single-quote"),
        pytest.param("${A:-x", {}, None, id="unterminated-default"),
    ],
)
def test_expand(text: str, args: dict[str, str | None], expected: str | None) -> None:
    assert expand(text, args) == expected


def test_expand_with_backtick_escape() -> None:
    assert expand("`$TAG", {"TAG": "x"}, escape="`") == "$TAG"
    assert expand("a\\b", {}, escape="`") == "a\\b"
    assert expand("c:\\$TAG", {"TAG": "x"}, escape="`") == "c:\\x"


def test_expand_then_parse() -> None:
    args: dict[str, str | None] = {"REGISTRY": "mcr.microsoft.com", "VARIANT": "3.12-bookworm"}
    text = expand("${REGISTRY}/devcontainers/python:1-${VARIANT}", args)
    assert text == "mcr.microsoft.com/devcontainers/python:1-3.12-bookworm"
    ref = parse_image(text)
    assert ref is not None
    assert ref.name == "python"


# --- properties --------------------------------------------------------------------

_PATH_COMPONENTS = st.from_regex(
    r"[a-z0-9]{1,6}(?:(?:[._]|__|-{1,3})[a-z0-9]{1,6}){0,3}", fullmatch=True
)
_DOMAIN_LABELS = st.from_regex(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?", fullmatch=True)
_PORTS = st.integers(min_value=0, max_value=65535).map(lambda port: f":{port}")
_REGISTRIES = st.one_of(
    st.none(),
    st.builds(lambda port: "localhost" + port, st.one_of(st.just(""), _PORTS)),
    st.builds(
        lambda labels, port: ".".join(labels) + port,
        st.lists(_DOMAIN_LABELS, min_size=2, max_size=4),
        st.one_of(st.just(""), _PORTS),
    ),
    st.builds(lambda label, port: label + port, _DOMAIN_LABELS, _PORTS),
    st.from_regex(r"\[[a-fA-F0-9:]{2,12}\](?::[0-9]{1,5})?", fullmatch=True),
    st.from_regex(r"[A-Z][a-zA-Z0-9]{0,8}", fullmatch=True),
)
_TAGS = st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True))
_DIGESTS = st.one_of(
    st.none(),
    st.sampled_from([("sha256", 64), ("sha384", 96), ("sha512", 128)]).flatmap(
        lambda spec: st.text("0123456789abcdef", min_size=spec[1], max_size=spec[1]).map(
            lambda hex_part: f"{spec[0]}:{hex_part}"
        )
    ),
)


@st.composite
def image_refs(draw: st.DrawFn) -> ImageRef:
    registry = draw(_REGISTRIES)
    path = "/".join(draw(st.lists(_PATH_COMPONENTS, min_size=1, max_size=4)))
    tag = draw(_TAGS)
    digest = draw(_DIGESTS)
    try:
        return ImageRef(registry, path, tag, digest)
    except ValueError:
        assume(False)
        raise  # unreachable: assume(False) raises


@given(image_refs())
def test_round_trip(ref: ImageRef) -> None:
    text = str(ref)
    parsed = parse_image(text)
    assert parsed == ref
    assert str(parsed) == text


@given(image_refs())
def test_normalized_and_familiar_agree(ref: ImageRef) -> None:
    assert ref.normalized.normalized == ref.normalized
    assert ref.familiar.normalized == ref.normalized
    assert ref.normalized.familiar == ref.familiar
    assert parse_image(str(ref.normalized)) == ref.normalized
    assert parse_image(str(ref.familiar)) == ref.familiar
    assert ref.normalized.repository == ref.repository


_NOISY = st.text(alphabet="aZ09_.-:/@$'\"\\{}+?#%`! \t", max_size=30)


@given(st.one_of(st.text(max_size=40), _NOISY))
def test_never_raises(text: str) -> None:
    parse_image(text)
    has_variables(text)
    referenced_variables(text)
    result = expand(text, {"a": "x", "Z": None, "_": ""})
    assert result is None or isinstance(result, str)


@given(st.text(alphabet=st.characters(exclude_characters="$'\"\\"), max_size=40))
def test_plain_text_expands_to_itself(text: str) -> None:
    assert not has_variables(text)
    assert expand(text, {}) == text


# --- corpus ------------------------------------------------------------------------

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
_FROM = re.compile(r"^\s*FROM\s+(--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.I | re.M)
_ARG = re.compile(r"^\s*ARG\s+(.+)$", re.I | re.M)

# Real FROM lines that are not image references, and why.
_KNOWN_INVALID = {
    "REPLACE-ME": "devcontainers build-asset placeholder, replaced by a script",
    "TO_BE_REPLACED": "docker-maven test placeholder",
    "%{from_ref}": "Nickel template, not a Dockerfile",
    "`": "BuildKit escape-directive test: the image is on the continuation line",
}


def _dockerfiles() -> list[Path]:
    skip = {"MANIFEST.tsv", "README.md", "result"}
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in skip)


def _global_args(text: str, first_from: int) -> dict[str, str | None]:
    args: dict[str, str | None] = {}
    for match in _ARG.finditer(text[:first_from]):
        for token in match.group(1).split():
            key, eq, value = token.partition("=")
            args[key] = expand(value, args) if eq else None
    return args


@pytest.mark.corpus
def test_corpus_from_lines() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    counts: Counter[str] = Counter()
    unexplained: list[tuple[str, str]] = []
    for path in _dockerfiles():
        text = path.read_text(encoding="utf-8", errors="replace")
        first = _FROM.search(text)
        if first is None:
            continue
        args = _global_args(text, first.start())
        stages: list[str] = []
        for match in _FROM.finditer(text):
            image, alias = match.group(2), match.group(3)
            counts["from"] += 1
            if is_stage_reference(image, stages):
                counts["stage"] += 1
            elif has_variables(image):
                counts["variable"] += 1
                expanded = expand(image, args)
                if expanded is None:
                    counts["variable/unknown"] += 1
                elif is_stage_reference(expanded, stages):
                    counts["variable/stage"] += 1
                elif parse_image(expanded) is not None:
                    counts["variable/parses"] += 1
                else:
                    counts["variable/invalid-with-defaults"] += 1
            else:
                ref = parse_image(image)
                if ref is not None:
                    counts["parses"] += 1
                    counts["parses/scratch"] += ref.is_scratch
                    counts["parses/digest"] += ref.digest is not None
                    counts["parses/floating"] += ref.is_latest_or_untagged
                    assert str(ref) == image
                elif image in _KNOWN_INVALID:
                    counts["known-invalid"] += 1
                else:
                    unexplained.append((str(path.relative_to(CORPUS)), image))
            if alias is not None:
                stages.append(alias)
    print(dict(sorted(counts.items())))
    assert counts["parses"] > 0
    assert unexplained == []
