"""The store's ``models/`` folder (the trained CNN's cached weights, figures/trained.py) is not an
entry: ``thread figures gc`` keeps it, ``list`` and ``verify`` do not report it."""

from __future__ import annotations

from pathlib import Path

from conftest import copy_demo, thread_cli


def test_gc_list_and_verify_leave_the_trained_weights_cache_alone(tmp_path: Path) -> None:
    site = copy_demo(tmp_path / "site")
    weights = site / "figures" / "store" / "models" / "trained-cnn-0123456789abcdef.pt"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"cached weights")
    stray = site / "figures" / "store" / "0123456789abcdef01234567"  # an unused entry folder
    stray.mkdir()
    result = thread_cli("figures", "gc", "--root", site)
    assert result.exit_code == 0, result.output
    assert "removed 0123456789abcdef01234567" in result.output and not stray.exists()
    assert "models" not in result.output and weights.read_bytes() == b"cached weights"
    listed = thread_cli("figures", "list", "--root", site)
    assert listed.exit_code == 0 and "models" not in listed.output
    verified = thread_cli("figures", "verify", "--root", site)
    assert verified.exit_code == 0, verified.output
