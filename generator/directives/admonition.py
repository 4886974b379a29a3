"""Admonitions (MyST / docutils): a boxed note, warning, tip... with a title.

```{note}
The body, in Markdown.
```

:::{warning} An optional title replacing "Warning"
:class: my-class
:::

```{admonition} The title (required)
:class: tip
Body.
```

``{container} class-a class-b`` wraps Markdown in a ``<div>`` with those classes (a colon fence
without braces, ``:::class-a``, is one). ``{versionadded} 1.2``, ``{versionchanged} 2.0`` and ``{deprecated} 3.0`` (a version is
required; the body, optional, says what changed). Each renders as ``<aside role="note">`` whose
title names it, so assistive technology announces "note, Warning"; a ``(label)=`` line or
``:label:`` gives it an id.
"""

from __future__ import annotations

import re

from markupsafe import escape
from pydantic import AliasChoices, Field, field_validator

from generator.directives import Options, directive
from generator.errors import SiteError
from generator.myst import plain_text

KINDS = ("note", "warning", "tip", "important", "caution", "seealso", "attention", "danger",
         "error", "hint")
"""The docutils admonitions; each is its own directive, titled by its name."""
TITLES = {"seealso": "See also"}
VERSIONS = {"versionadded": "New in version {}", "versionchanged": "Changed in version {}",
            "deprecated": "Deprecated since version {}"}
CLASS_NAME = re.compile(r"^-?[A-Za-z_][\w-]*$")


class AdmonitionOptions(Options):
    class_: str | None = Field(default=None, alias="class")
    """Extra CSS classes, separated by spaces or commas (``:class: tip``)."""
    label: str | None = Field(default=None, validation_alias=AliasChoices("label", "name"))
    """An id to link to with ``{ref}`text <label>` `` (MyST calls it ``:name:``)."""

    model_config = Options.model_config | {"populate_by_name": True}

    @field_validator("class_")
    @classmethod
    def _classes(cls, value: str | None) -> str | None:
        for name in class_names(value):
            if not CLASS_NAME.match(name):
                raise ValueError(f"'{name}' is not a CSS class name")
        return value


def class_names(value: str | None) -> list[str]:
    return [name for name in re.split(r"[\s,]+", value or "") if name]



def _classes(kind: str, options: AdmonitionOptions) -> str:
    return " ".join(["admonition", *kind.split(), *class_names(options.class_)])


def _aside(call, ctx, kind: str, default_title: str) -> str:
    options: AdmonitionOptions = call.options
    count = call.data.get("title_tokens", 0)
    title = ctx.markdown(call.tokens[:count], inline=True) if count else escape(default_title)
    body = ctx.markdown(call.tokens[count:])
    anchor = f' id="{escape(options.label)}"' if options.label else ""
    title_id = f"admonition-{call.line}"
    return (f'<aside class="{escape(_classes(kind, options))}"{anchor} role="note" '
            f'aria-labelledby="{title_id}"><p class="admonition-title" id="{title_id}">{title}</p>'
            f"{body}</aside>\n")


def _title(call) -> str:
    count = call.data.get("title_tokens", 0)
    return plain_text(call.tokens[:count]) if count else TITLES.get(call.name,
                                                                   call.name.capitalize())


def check_label(call, resolver) -> None:
    """A labelled admonition is a target for ``{ref}``, shown by its title."""
    if call.options.label:
        title = _title(call)
        resolver.add_label(call.document, "admonition", call.options.label, 0,
                           {"title": title}, title)


def _kind(name: str):
    def render(call, ctx) -> str:
        return _aside(call, ctx, name, _title(call))
    render.__name__ = name
    render.markdown_title = True  # generator/myst.py parses the argument as the title
    return directive(name, options=AdmonitionOptions, check=check_label)(render)


for _name in KINDS:
    globals()[_name] = _kind(_name)


def check_admonition(call, resolver) -> None:
    if not call.argument.strip():
        raise SiteError(call.path, call.line, "admonition needs a title",
                        "```{admonition} The title")
    check_label(call, resolver)


@directive("admonition", options=AdmonitionOptions, check=check_admonition)
def admonition(call, ctx) -> str:
    return _aside(call, ctx, "", "")


admonition.markdown_title = True


def check_version(call, resolver) -> None:
    if not call.argument.strip():
        raise SiteError(call.path, call.line, f"{call.name} needs a version",
                        f"```{{{call.name}}} 1.2")
    if call.options.label:
        version = call.argument.split()[0]
        resolver.add_label(call.document, "admonition", call.options.label, 0,
                           title=VERSIONS[call.name].format(version))


def _version(name: str):
    def render(call, ctx) -> str:
        version, _, note = call.argument.strip().partition(" ")
        text = VERSIONS[name].format(escape(version))
        lead = f'<span class="version-modified">{text}{":" if note or call.tokens else "."}</span>'
        note = f" {escape(note.strip())}" if note.strip() else ""
        body = ctx.markdown(call.tokens)
        one_paragraph = len(call.tokens) == 3 and call.tokens[0].type == "paragraph_open"
        inside = (f"<p>{lead}{note} {ctx.markdown(call.tokens, inline=True)}</p>" if one_paragraph
                  else f"<p>{lead}{note}</p>{body}")
        anchor = f' id="{escape(call.options.label)}"' if call.options.label else ""
        return (f'<aside class="{escape(_classes(f"version {name}", call.options))}"{anchor} '
                f'role="note" aria-label="{text}">{inside}</aside>\n')
    render.__name__ = name
    return directive(name, options=AdmonitionOptions, check=check_version)(render)


for _name in VERSIONS:
    globals()[_name] = _version(_name)


class ContainerOptions(Options):
    label: str | None = Field(default=None, validation_alias=AliasChoices("label", "name"))


def check_container(call, resolver) -> None:
    bad = [name for name in class_names(call.argument) if not CLASS_NAME.match(name)]
    if bad:
        raise SiteError(call.path, call.line, f"'{bad[0]}' is not a CSS class name",
                        "```{container} class-a class-b")


@directive("container", options=ContainerOptions, check=check_container)
def container(call, ctx) -> str:
    """docutils' ``container``: a ``<div>`` with the argument's classes around Markdown (MyST's
    ``:::class-name`` colon fence without braces is one)."""
    classes = " ".join(class_names(call.argument))
    anchor = f' id="{escape(call.options.label)}"' if call.options.label else ""
    attribute = f' class="{escape(classes)}"' if classes else ""
    return f"<div{attribute}{anchor}>{ctx.markdown(call.tokens)}</div>\n"
