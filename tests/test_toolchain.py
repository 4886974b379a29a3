"""Toolchain versions: a stored figure records the versions it was computed with, and a build
host with other versions keeps and uses it, saying so once with both versions (a cluster
worker with another torch must not have its results discarded and recomputed on every build).

The fixture site (tests/sites/valid/cheap-figures/) needs no torch; its chart records the
vl-convert version that drew its SVG fallback, which every install has.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
from pathlib import Path

from conftest import SITES, thread_cli

VL_CONVERT = "vl-convert-python"


def manifests(site: Path) -> dict[str, Path]:
    """Builder name → manifest.json of its entry (one entry per builder in the fixture)."""
    found = {}
    for path in (site / "figures" / "store").glob("*/manifest.json"):
        found[json.loads(path.read_text())["builder"]] = path
    return found


def record_versions(path: Path, **versions: str) -> bytes:
    """Rewrite a manifest as if a host with ``versions`` had computed it; returns its bytes."""
    manifest = json.loads(path.read_text())
    manifest["versions"].update(versions)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path.read_bytes()


def test_results_record_their_toolchain_vl_convert_only_with_a_chart(tmp_path: Path) -> None:
    site = shutil.copytree(SITES / "valid" / "cheap-figures", tmp_path / "site")
    assert thread_cli("build", "--root", site).exit_code == 0
    found = {name: json.loads(path.read_text())["versions"]
             for name, path in manifests(site).items()}
    assert found["cheap-chart"][VL_CONVERT] == importlib.metadata.version(VL_CONVERT)
    assert VL_CONVERT not in found["cheap-image"]
    assert {"torch", "torchvision", "torch-lucent"} <= set(found["cheap-image"])


def test_a_stored_result_from_another_toolchain_is_kept_and_reported_once(
        tmp_path: Path) -> None:
    site = shutil.copytree(SITES / "valid" / "cheap-figures", tmp_path / "site")
    assert thread_cli("build", "--root", site).exit_code == 0
    installed = importlib.metadata.version(VL_CONVERT)
    written = {name: record_versions(path, **{VL_CONVERT: "0.0.1"})
               for name, path in manifests(site).items()}

    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    message = (f"figures/store: warning: 2 stored figures were computed with {VL_CONVERT} "
               f"0.0.1; this host has {VL_CONVERT} {installed}. They are kept and used")
    assert result.output.count("computed with") == 1, result.output
    assert message in result.output
    assert "computed figure" not in result.output
    assert {name: path.read_bytes() for name, path in manifests(site).items()} == written
    page = (site / "_site" / "demo" / "cheap" / "index.html").read_text()
    assert "not been computed" not in page and "0.0.1" in page

    check = thread_cli("check", "--root", site)
    assert check.exit_code == 0 and message in check.output
    assert thread_cli("build", "--root", site, "--frozen", "--no-cache").exit_code == 0
    assert {name: path.read_bytes() for name, path in manifests(site).items()} == written
