"""A builder's SVG is part of the page (issue 19: its links and hovers work), not an <img>."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import SITES, build_site

pytestmark = pytest.mark.torch  # computing any figure needs the figures extra


def test_a_builders_svg_is_inlined_with_its_link_and_named_by_its_alt(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "valid" / "svg-figure", site)
    result = build_site(site)
    assert result.exit_code == 0, result.output
    html = (site / "_site" / "demo" / "diagram" / "index.html").read_text()
    figure = re.search(r'<figure class="l-body builder-figure">(.*?)</figure>', html,
                       re.DOTALL)[1]
    assert figure.startswith('<svg role="img" aria-label="A box naming relu1:3 that links to '
                             'the target section." xmlns="http://www.w3.org/2000/svg"')
    assert '<a href="#target"><rect class="node"' in figure and "<?xml" not in figure
    assert "<img" not in figure and 'id="target"' in html
