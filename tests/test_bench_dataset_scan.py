"""bench/dataset_scan.py cannot rot: a tiny run of every part (both models, the check that the
scan and the plain loop agree, the memory children) finishes and reports. Nothing is timed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO, child_env


@pytest.mark.torch
def test_the_scan_bench_runs_small() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "dataset_scan.py"), "--images", "32",
         "--loop-images", "8", "--inception-images", "2", "--inception-loop-images", "1",
         "--batch", "16", "--repeats", "1", "--memory-sizes", "20", "40", "--threads", "1"],
        env=child_env(), capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    memory = [row["memory"] for row in rows if "memory" in row]
    assert [row["images"] for row in memory] == [20, 40]
    assert all(row["peak_rss_mb"] > 0 for row in memory)
    speeds = {row["model"]: row for row in rows if "model" in row}
    assert set(speeds) == {"trained-cnn", "inceptionv1"}
    assert all(row["scan_images_per_s"] > 0 and row["ratio"] > 0 for row in speeds.values())
    assert speeds["inceptionv1"]["layers"] == ["mixed3b"]
