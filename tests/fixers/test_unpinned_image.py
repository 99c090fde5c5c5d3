"""Inline cases for MF301 unpinned_image (the golden fixtures cover the layouts)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from manifesto.fixers import unpinned_image

from manifesto.cst import ParseError, parse
from manifesto.edits import Applicability
from manifesto.engine import EngineSettings, check_text, fix_text
from manifesto.image_refs import image_uses
from manifesto.images import parse_image
from manifesto.pinning import references
from manifesto.pins import ImagePins, Pin, pin_key

ROOT = Path(__file__).resolve().parents[2]
PY = "sha256:" + "4e1c0b7f" * 8
PY_OLD = "sha256:" + "0bad0bad" * 8
PY312 = "sha256:" + "312a312a" * 8
ALPINE = "sha256:" + "21dc6063" * 8


def _key(reference: str) -> str:
    ref = parse_image(reference)
    assert ref is not None
    return pin_key(ref)


def _pins(*, digest: bool = False, refresh: bool = False) -> ImagePins:
    entries = {
        "python": Pin("3.13.1-bookworm", PY),
        "python:3.12": Pin(None, PY312),
        "alpine:latest": Pin("3.21.0", ALPINE),
        "nginx": Pin(None, "sha256:" + "0a399eb1" * 8),  # a digest, but no version tag known
    }
    return ImagePins({_key(k): p for k, p in entries.items()}, write_digest=digest, refresh=refresh)


def fix(src: str, pins: ImagePins | None, *, unsafe: bool = True) -> str:
    result = fix_text(src, [unpinned_image], EngineSettings(unsafe_fixes=unsafe, image_pins=pins))
    assert result.errors == ()
    return result.output


def findings(src: str, pins: ImagePins | None) -> list[tuple[str, Applicability | None]]:
    settings = EngineSettings(unsafe_fixes=True, image_pins=pins)
    return [
        (f.violation.message, f.violation.fix.applicability if f.violation.fix else None)
        for f in check_text(src, [unpinned_image], settings)
    ]


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        pytest.param("FROM python\n", "FROM python:3.13.1-bookworm\n", id="untagged"),
        pytest.param(
            "FROM python:latest AS b\n", "FROM python:3.13.1-bookworm AS b\n", id="latest"
        ),
        pytest.param("FROM python:3.12\n", "FROM python:3.12\n", id="tagged-left-alone"),
        pytest.param(
            "ARG BASE=alpine\nFROM ${BASE} AS one\nFROM $BASE AS two\n",
            "ARG BASE=alpine:3.21.0\nFROM ${BASE} AS one\nFROM $BASE AS two\n",
            id="one-arg-two-froms",
        ),
        pytest.param(
            "FROM alpine AS x\\\n  \nFROM x\n",
            "FROM alpine:3.21.0 AS x\\\n  \nFROM x\n",
            id="continuation-after-name",
        ),
    ],
)
def test_pins_version_tags(src: str, expected: str) -> None:
    assert fix(src, _pins()) == expected


def test_digest_mode_writes_tag_and_index_digest() -> None:
    src = "FROM python\nFROM python:3.12\nCOPY --from=alpine:latest / /\n"
    assert fix(src, _pins(digest=True)) == (
        f"FROM python:3.13.1-bookworm@{PY}\nFROM python:3.12@{PY312}\n"
        f"COPY --from=alpine:3.21.0@{ALPINE} / /\n"
    )


def test_without_a_source_of_truth_it_reports_and_never_guesses() -> None:
    src = "FROM python\nFROM ghcr.io/acme/app:latest\n"
    for pins in (None, ImagePins({})):
        found = findings(src, pins)
        assert [fixable for _, fixable in found] == [None, None]
        assert all("manifesto pin --update" in message for message, _ in found)
        assert fix(src, pins) == src


def test_unsafe_only_with_unsafe_fixes() -> None:
    assert fix("FROM python\n", _pins(), unsafe=False) == "FROM python\n"
    assert findings("FROM python\n", _pins())[0][1] is Applicability.UNSAFE


def test_latest_without_a_known_version_tag_is_not_rewritten_to_latest() -> None:
    found = findings("FROM nginx\n", _pins(digest=True))
    assert found and found[0][1] is None


def _slugs(src: str, pins: ImagePins | None) -> list[str | None]:
    settings = EngineSettings(unsafe_fixes=True, image_pins=pins)
    found = check_text(src, [unpinned_image], settings)
    return [f.violation.reason.slug if f.violation.reason else None for f in found]


def test_a_pin_without_a_version_tag_is_not_said_to_be_missing() -> None:
    # the lock has an entry for nginx (a digest): "no lock entry" would be false
    assert _slugs("FROM nginx\n", _pins()) == ["no-version-tag"]
    assert _slugs("FROM debian\n", _pins()) == ["no-pin-known"]
    assert _slugs("FROM debian\n", None) == ["no-pin-known"]


def test_a_digest_only_reference_not_in_one_piece_says_so() -> None:
    # the tag is known; the reference mixes text and a variable, so it is not edited
    src = f"ARG REPO=python\nFROM ${{REPO}}x@{PY}\n"
    pins = ImagePins({_key("pythonx"): Pin("3.13.1-bookworm", PY)})
    assert _slugs(src, pins) == ["reference-not-literal"]


def test_digest_mode_without_a_known_digest_reports() -> None:
    found = findings("FROM debian:12\n", _pins(digest=True))
    assert len(found) == 1 and found[0][1] is None
    assert findings("FROM debian:12\n", _pins()) == []


def test_refresh_replaces_a_moved_digest_only_when_asked() -> None:
    src = f"FROM python:3.12@{PY_OLD}\n"
    assert fix(src, _pins()) == src
    assert fix(src, _pins(refresh=True)) == f"FROM python:3.12@{PY312}\n"
    assert fix(f"FROM python:3.12@{PY312}\n", _pins(refresh=True)) == f"FROM python:3.12@{PY312}\n"


def test_digest_only_reference_gets_a_display_only_tag_suggestion() -> None:
    src = f"FROM python@{PY}\n"
    found = findings(src, _pins())
    assert [fixable for _, fixable in found] == [Applicability.DISPLAY_ONLY]
    assert fix(src, _pins()) == src
    unknown = findings(f"FROM python@{ALPINE}\n", _pins())
    assert [fixable for _, fixable in unknown] == [None]


def test_not_one_piece_is_reported_with_the_target_but_not_edited() -> None:
    src = (ROOT / "fixtures/fixers/unpinned_image/not-one-piece.in.Dockerfile").read_text()
    pins = ImagePins(
        {
            _key("ghcr.io/acme/app"): Pin("1.0.0", None),
            **_pins().entries,
        }
    )
    found = findings(src, pins)
    assert len(found) == 3
    assert all(fixable is None for _, fixable in found)
    assert "write it as `ghcr.io/acme/app:1.0.0`" in found[0][0]


def test_stage_names_scratch_and_variables_are_not_images() -> None:
    src = (
        "ARG NOPE\nFROM scratch AS empty\nFROM alpine:3.20 AS base\nFROM base\n"
        "COPY --from=empty / /\nCOPY --from=0 / /\nCOPY --from=$NOPE / /\n"
        "RUN --mount=from=base,target=/b true\nFROM ${NOPE}\n"
    )
    assert findings(src, _pins()) == []


# --- the corpus ---------------------------------------------------------------------


def _fake_pins(texts: list[str], *, digest: bool) -> ImagePins:
    """A pin for every image of the corpus, digests made up (no network in tests)."""
    entries = {}
    for key, ref in references(texts).items():
        floating = ref.tag is None or ref.tag == "latest"
        made_up = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        entries[key] = Pin("1.0.0" if floating else None, made_up)
    return ImagePins(entries, write_digest=digest)


def _corpus_texts(corpus: list[Path]) -> dict[Path, str]:
    out = {}
    for path in corpus:
        try:
            text = path.read_bytes().decode("utf-8")
            parse(text)
        except (UnicodeDecodeError, ParseError):
            continue
        out[path] = text
    return out


@pytest.mark.corpus
@pytest.mark.slow
def test_pinning_the_corpus_reparses_and_settles(corpus: list[Path]) -> None:
    dockerfile = pytest.importorskip("dockerfile")
    texts = _corpus_texts(corpus)
    settings = EngineSettings(
        unsafe_fixes=True, image_pins=_fake_pins(list(texts.values()), digest=True)
    )
    changed = 0
    # Every third file: the engine re-parses every RUN's shell to verify a pass, and
    # in digest mode nearly every file changes; a third is plenty and keeps it fast.
    for path, text in list(texts.items())[::3]:
        result = fix_text(text, [unpinned_image], settings)
        assert result.errors == (), path
        if not result.changed:
            continue
        changed += 1
        dockerfile.parse_string(result.output)
        again = fix_text(result.output, [unpinned_image], settings)
        assert again.output == result.output and again.applied == (), path
    assert changed > 300


def _hadolint_pin_findings(paths: list[Path], hadolint: str) -> list[tuple[str, str, int]]:
    """(file, code, line) of every DL3006/DL3007 hadolint reports in ``paths``."""

    def run(chunk: list[Path]) -> list[dict[str, object]]:
        done = subprocess.run(
            [hadolint, "--no-fail", "-f", "json", *map(str, chunk)],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        items: list[dict[str, object]] = json.loads(done.stdout or "[]")
        return items

    chunks = [paths[i : i + 50] for i in range(0, len(paths), 50)]
    found: list[tuple[str, str, int]] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for items in pool.map(run, chunks):
            found += [
                (str(i["file"]), str(i["code"]), int(str(i["line"])))
                for i in items
                if i["code"] in ("DL3006", "DL3007")
            ]
    return found


@pytest.mark.corpus
@pytest.mark.slow
def test_hadolint_dl3006_dl3007_vanish_for_pinned_references(
    corpus: list[Path], tmp_path: Path
) -> None:
    """With every corpus image pinned, hadolint's DL3006/DL3007 are left only on FROM
    lines that name no image (stages named with variables, placeholders)."""
    hadolint = shutil.which("hadolint") or str(ROOT / ".venv" / "bin" / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint not installed")
    texts = _corpus_texts(corpus)
    settings = EngineSettings(
        unsafe_fixes=True, image_pins=_fake_pins(list(texts.values()), digest=False)
    )
    originals: list[Path] = []
    outputs: dict[str, str] = {}
    for index, (path, text) in enumerate(texts.items()):
        if not any(f.violation.fix for f in check_text(text, [unpinned_image], settings)):
            continue  # cheap: the fix loop verifies every RUN's shell
        result = fix_text(text, [unpinned_image], settings)
        if result.changed:
            originals.append(path)
            fixed = tmp_path / f"{index}.Dockerfile"
            fixed.write_text(result.output, "utf-8")
            outputs[str(fixed)] = result.output
    assert len(originals) > 250
    # The originals had them: a sample is enough to show this test reads something.
    assert len(_hadolint_pin_findings(originals[:40], hadolint)) >= 30
    for name, code, line in _hadolint_pin_findings([Path(p) for p in outputs], hadolint):
        output = outputs[name]
        uses = image_uses(output, parse(output))
        assert not any(u.instruction.start_line == line for u in uses), (code, line, output)
