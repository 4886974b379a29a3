"""Unit references (``{unit}``), unit pages, model indexes and their errors (issue 6)."""

from __future__ import annotations

import posixpath
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, SITES, thread_cli

from generator.links import check_links

ARTICLE = """---
title: {title}
authors:
  - name: Ada Lovelace
published: {date}
---

Unit {{unit}}`tiny/conv1:0` and {{unit}}`tiny/conv1:3`, then {{unit}}`tiny/conv2:1`.
"""


@pytest.fixture(scope="module")
def unit_site(tmp_path_factory) -> Path:
    """The figures fixture site with two articles that reference units of the tiny model."""
    site = tmp_path_factory.mktemp("units") / "site"
    shutil.copytree(SITES / "valid/figures", site)
    folder = next(p.parent for p in (site / "content").rglob("thread.md"))
    (folder / "units-a.md").write_text(ARTICLE.format(title="Units A", date="2025-05-01"))
    (folder / "units-b.md").write_text(ARTICLE.format(title="Units B", date="2025-05-02")
                                       .replace(", then {unit}`tiny/conv2:1`", ""))
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    return site


def unit_pages(site: Path) -> list[str]:
    """``model/layer/index`` of every unit page built into ``site``, sorted."""
    units = site / "units"
    return sorted(p.parent.relative_to(units).as_posix() for p in units.glob("*/*/*/index.html"))


@pytest.mark.torch
def test_every_referenced_unit_has_a_page_with_its_icon(unit_site: Path) -> None:
    # tiny has 4 units a layer and pages show 4 inputs and 4 outputs: every unit is shown
    assert unit_pages(unit_site / "_site") == [f"tiny/conv{n}/{i}" for n in (1, 2)
                                               for i in range(4)]
    html = (unit_site / "_site/units/tiny/conv1/3/index.html").read_text()
    icon = re.search(r'<img src="([^"]+\.png)"[^>]* alt="Feature visualisation of unit 3', html)
    assert icon and (unit_site / "_site/units/tiny/conv1/3" / icon.group(1)).resolve().is_file()
    index = (unit_site / "_site/units/tiny/index.html").read_text()
    referenced = index[index.index('id="layer-units"'):index.index('id="connected-units"')]
    assert re.findall(r'<li><a href="([^"]+)">', referenced) == ["conv1/0/", "conv1/3/",
                                                                 "conv2/1/"]
    assert index.count('<li><a href="conv1/') == 4 and 'href="conv2/2/"' in index


def images(site: Path, page: str, alt: str) -> list[bytes]:
    """The PNG bytes of the images on a unit page whose alt text starts with ``alt``."""
    folder = site / "_site/units" / page
    html = (folder / "index.html").read_text()
    return [(folder / src).resolve().read_bytes()
            for src in re.findall(rf'<img src="([^"]+)"[^>]* alt="{re.escape(alt)}', html)]


@pytest.mark.torch
@pytest.mark.parametrize("unit", ["conv1/0", "conv1/3", "conv2/1"])
def test_unit_page_shows_negative_and_diversity_variants(unit_site: Path, unit: str) -> None:
    name = unit.replace("/", ":")
    icon = images(unit_site, f"tiny/{unit}", "Feature visualisation of unit")
    negative = images(unit_site, f"tiny/{unit}", f"Negative feature visualisation of {name}")
    diverse = images(unit_site, f"tiny/{unit}", "Diverse feature visualisation")
    assert len(icon) == 1 and len(negative) == 1 and len(diverse) == 4
    assert negative[0] != icon[0] and len(set(diverse)) == 4  # other objectives, other images


def tiny_net(site: Path):
    from figures.models import load_model

    return load_model({"source": "builtin:tiny-cnn"}, site, "cpu")


def thumbnails(built: Path, page: str, section: str) -> list[tuple[str, str, str]]:
    """(link or '', label, strongest weight) of each weight thumbnail in a section of the unit
    page ``page`` (``model/layer/index``) of the site built into ``built``."""
    html = (built / "units" / page / "index.html").read_text()
    if f'id="{section}"' not in html:
        return []
    part = re.split(r"<h[23] ", html.split(f'id="{section}"', 1)[1], maxsplit=1)[0]
    return re.findall(r'<li class="weight-thumb">(?:<a href="([^"]+)">|<span[^>]*>).*?'
                      r'<span class="thumb-label">([^<]+) <span class="thumb-peak">([^<]+)<',
                      part)


def strongest(kernel, receiving) -> str:
    """A kernel's largest-magnitude weight over the receiving unit's, as the page prints it."""
    return f"{float(kernel.flatten()[kernel.abs().argmax()] / receiving.abs().max()):+.2f}"


@pytest.mark.torch
def test_strongest_weights_are_ranked_and_normalised_per_receiving_unit(unit_site: Path) -> None:
    import torch

    net = tiny_net(unit_site)
    built, conv1, conv2 = unit_site / "_site", net.conv1.weight.detach(), net.conv2.weight.detach()

    def ranked(kernels) -> list[int]:
        return torch.argsort(kernels.flatten(1).norm(dim=1), descending=True, stable=True).tolist()

    assert thumbnails(built, "tiny/conv2/1", "inputs") == [  # conv2:1 reads the conv1 units
        (f"../../conv1/{i}/", f"conv1:{i}", strongest(conv2[1, i], conv2[1]))
        for i in ranked(conv2[1])]
    assert thumbnails(built, "tiny/conv1/3", "outputs") == [  # conv1:3 feeds the conv2 units
        (f"../../conv2/{o}/", f"conv2:{o}", strongest(conv2[o, 3], conv2[o]))
        for o in ranked(conv2[:, 3])]
    colours = ("red", "green", "blue")  # conv1 reads the image, whose channels have no pages
    assert thumbnails(built, "tiny/conv1/3", "inputs") == [
        ("", f"input {colours[c]}", strongest(conv1[3, c], conv1[3])) for c in ranked(conv1[3])]
    assert thumbnails(built, "tiny/conv2/1", "outputs") == []
    assert "No convolution reads this unit" in (built / "units/tiny/conv2/1/index.html").read_text()


@pytest.mark.torch
def test_weight_thumbnails_are_pixelated_and_link_to_unit_pages(unit_site: Path) -> None:
    site = unit_site / "_site"
    for page in unit_pages(site):
        html = (site / "units" / page / "index.html").read_text()
        for link, _, _ in thumbnails(site, page, "inputs") + thumbnails(site, page, "outputs"):
            assert not link or (site / "units" / page / link / "index.html").resolve().is_file()
        weights = re.findall(r'<img [^>]*alt="\d+×\d+ weights from [^>]*>', html)
        assert weights and all('class="pixelated"' in tag for tag in weights)
        assert all(re.search(r'alt="[^"]+"', tag) for tag in re.findall(r"<img [^>]*>", html))
    assert "img.pixelated { image-rendering: pixelated; }" in (site / "static/style.css").read_text()


@pytest.mark.torch
def test_units_shown_beside_referenced_ones_get_simpler_pages(unit_site: Path) -> None:
    html = (unit_site / "_site/units/tiny/conv2/2/index.html").read_text()
    assert "no article references" in html and "data-pagefind-body" not in html
    assert 'id="referenced-by"' not in html and 'id="variants"' not in html
    assert len(images(unit_site, "tiny/conv2/2", "Feature visualisation of unit 2")) == 1
    assert [link for link, _, _ in thumbnails(unit_site / "_site", "tiny/conv2/2", "inputs")] == [
        "../../conv1/0/", "../../conv1/3/"]  # the referenced units feeding it, nothing else
    assert thumbnails(unit_site / "_site", "tiny/conv2/2", "outputs") == []


@pytest.mark.torch
def test_backlinks_list_exactly_the_referencing_articles(unit_site: Path) -> None:
    def backlinks(unit: str) -> list[str]:
        html = (unit_site / f"_site/units/tiny/{unit}/index.html").read_text()
        listing = html[html.index('class="backlinks"'):html.index("</ul>", html.index('class="backlinks"'))]
        return re.findall(r'<a href="[^"]+">([^<]+)</a>', listing)

    assert backlinks("conv1/0") == ["Units A", "Units B"]
    assert backlinks("conv2/1") == ["Units A"]


@pytest.mark.torch
def test_reference_renders_a_link_with_an_icon_card(unit_site: Path) -> None:
    folder = next((unit_site / "_site").glob("*/units-a"))
    html = (folder / "index.html").read_text()
    card = re.search(r'<a class="unit-link" href="(\.\./\.\./units/tiny/conv1/0/)"[^>]*>conv1:0</a>'
                     r'<span class="hover-card unit-card"[^>]*><img src="([^"]+)"', html)
    assert card and (folder / card.group(2)).resolve().is_file()


@pytest.mark.torch
@pytest.mark.parametrize(("reference", "message"), [
    ("tiny/conv1:9", "unit 9 does not exist: tiny/conv1 has units 0-3"),
    ("tiny/conv3:0", "model 'tiny' has no layer 'conv3' (did you mean 'conv2'?)"),
    ("tinny/conv1:0", "unknown model 'tinny' in unit reference (did you mean 'tiny'?)"),
    ("tiny-conv1-0", "unit reference 'tiny-conv1-0' must look like model/layer:index"),
])
def test_bad_reference_is_a_path_line_error(unit_site: Path, tmp_path: Path, reference: str,
                                            message: str) -> None:
    site = tmp_path / "site"
    shutil.copytree(unit_site, site, ignore=shutil.ignore_patterns("_site"))
    article = next(site.rglob("units-b.md"))
    article.write_text(article.read_text() + f"\nAnd a bad one: {{unit}}`{reference}`.\n")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1
    where = article.relative_to(site).as_posix()
    assert result.stderr.splitlines()[0].startswith(f"{where}:10: {message}")


def test_demo_units_have_pages(tmp_path: Path) -> None:
    result = thread_cli("build", "--root", REPO, "--out", tmp_path / "out", "--frozen")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out/units/planted/relu1/4/index.html").is_file()
    html = (tmp_path / "out/units/planted/relu1/4/index.html").read_text()
    assert "Planting Features" in html and "Curve Detectors From Edges" in html
    referenced = ["planted/conv2/0", "planted/conv2/4", "planted/relu1/0", "planted/relu1/4"]
    full = set(referenced) | {f"planted/relu1/{i}" for i in range(8)}  # site.toml's atlas
    out = tmp_path / "out"
    shown = {posixpath.normpath(f"{page}/{link}") for page in full
             for section in ("inputs", "outputs")
             for link, _, _ in thumbnails(out, page, section) if link}
    assert len(shown) > 8 and unit_pages(out) == sorted(full | shown)
    outputs = {p.relative_to(out).as_posix(): p for p in out.rglob("*") if p.is_file()}
    assert check_links(outputs, "https://example.github.io/circuits-workshop/") == []
    index = (out / "units/planted/index.html").read_text()
    assert index.index('id="layer-relu1"') < index.index('id="layer-conv2"')  # network order
