"""Compiled templates are kept for the process (``thread serve`` builds after every edit), keyed
by name and source: another copy of the same theme reuses them, and an edited template is
compiled afresh."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import TemplateError

from generator.render import COMPILED, create_environment, template_error


def test_an_edited_template_renders_its_new_text(tmp_path: Path) -> None:
    template = tmp_path / "page.html"
    template.write_text("first {{ value }}")
    assert create_environment(tmp_path).get_template("page.html").render(value=1) == "first 1"
    stored = len(COMPILED.stored)
    assert create_environment(tmp_path).get_template("page.html").render(value=2) == "first 2"
    assert len(COMPILED.stored) == stored  # the second environment loaded the compiled code
    template.write_text("second {{ value }}")
    assert create_environment(tmp_path).get_template("page.html").render(value=3) == "second 3"


def test_a_copy_of_a_theme_reuses_the_compiled_code_and_errors_name_the_copy(tmp_path: Path
                                                                             ) -> None:
    source = "{% block body %}line one\n{{ page.missing.attr }}{% endblock %}"
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        (folder / "page.html").write_text(source)
    errors, stored = [], []
    for folder in (first, second):
        template = create_environment(folder).get_template("page.html")
        stored.append(len(COMPILED.stored))
        with pytest.raises(TemplateError) as raised:
            template.render(page={})
        errors.append(template_error(raised.value, folder).errors[0])
    assert stored[1] == stored[0]  # the second copy compiled nothing
    assert template.filename == str(second / "page.html")
    assert [(Path(e.path).parent, e.line) for e in errors] == [(first, 2), (second, 2)], errors
