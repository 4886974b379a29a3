"""Compiled templates are kept for the process (``thread serve`` builds after every edit), and an
edited template is compiled afresh: Jinja compares each template's source checksum."""

from __future__ import annotations

from pathlib import Path

from generator.render import COMPILED, create_environment


def test_an_edited_template_renders_its_new_text(tmp_path: Path) -> None:
    template = tmp_path / "page.html"
    template.write_text("first {{ value }}")
    assert create_environment(tmp_path).get_template("page.html").render(value=1) == "first 1"
    stored = len(COMPILED.stored)
    assert create_environment(tmp_path).get_template("page.html").render(value=2) == "first 2"
    assert len(COMPILED.stored) == stored  # the second environment loaded the compiled code
    template.write_text("second {{ value }}")
    assert create_environment(tmp_path).get_template("page.html").render(value=3) == "second 3"
