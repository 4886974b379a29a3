"""The pipeline's stages are data picked by name (generator/stages.py)."""

from __future__ import annotations

import pytest

from generator import build as pipeline
from generator.stages import Stages


def test_commands_select_stages_by_name() -> None:
    assert pipeline.STAGES.names() == ["load", "documents", "resolve", "figures", "render",
                                       "search", "write"]
    assert pipeline.CHECK_STAGES.names() == ["load", "documents", "resolve", "figures",
                                             "render", "search", "links"]
    assert dict(pipeline.CHECK_STAGES)["figures"] is pipeline.stored_figures
    assert pipeline.RESOLVE_STAGES.names() == ["load", "documents", "resolve"]
    assert dict(pipeline.STAGES)["figures"] is pipeline.compute_figures  # variants copy


def test_before_after_enable_disable_and_duplicates() -> None:
    def noop(build) -> None:
        return None

    stages = Stages([("a", noop), ("b", noop)]).before("b", "x", noop).after("b", "y", noop)
    assert stages.names() == ["a", "x", "b", "y"]
    assert stages.disable("x").names() == ["a", "b", "y"]
    assert stages.disable("x").enable("x").names() == ["a", "x", "b", "y"]
    with pytest.raises(KeyError):
        stages.disable("nope")
    with pytest.raises(ValueError):
        stages.push("a", noop)
