"""A message about a stage that does not ship names it as the file writes it
(``AS getRuntime``), while stages are still compared lower-cased as BuildKit does."""

from __future__ import annotations

from manifesto.fixers import pip_cache_kept, yum_cache_kept

from manifesto.cst import parse, stage_named
from manifesto.cst.stages import stages
from manifesto.engine import EngineSettings, check_text

BUILDER = "FROM python:3.12 AS getRuntime\nRUN pip install --target /deps flask\n"
FINAL = "FROM python:3.12-slim\nCOPY --from=GETRUNTIME /deps /deps\n"


def test_the_message_names_the_stage_as_written() -> None:
    (finding,) = check_text(BUILDER + FINAL, [pip_cache_kept], EngineSettings())  # type: ignore[list-item]
    assert "stage `getRuntime` does not ship" in finding.violation.message


def test_a_stage_without_a_name_is_named_by_its_index() -> None:
    text = "FROM centos:7\nRUN yum install -y gcc\nFROM centos:7\nCOPY --from=0 /usr /usr\n"
    (finding,) = check_text(text, [yum_cache_kept], EngineSettings())  # type: ignore[list-item]
    assert "stage 0 does not ship" in finding.violation.message


def test_the_name_is_compared_lower_cased_and_kept_as_written() -> None:
    tree = parse(BUILDER + FINAL)
    first = stages(tree)[0]
    assert (first.name, first.name_as_written) == ("getruntime", "getRuntime")
    assert stage_named(tree, "GetRuntime") == first
