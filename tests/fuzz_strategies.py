"""Hypothesis strategies for plausible-but-broken site inputs (used by tests/test_fuzz.py).

Pure noise only ever reaches the first parser; these strategies start from the real shapes —
the front-matter keys of generator/content.py, the Markdown the directives understand, BibTeX
entries like the fixtures', the keys of generator/config.py's ``Config`` — and then break them:
wrong types, odd Unicode, huge or empty strings, impossible dates, unknown keys, unbalanced
brackets, truncation, bytes that are not UTF-8.
"""

from __future__ import annotations

import json
import math
import tomllib

import yaml
from hypothesis import strategies as st

# --- shared pieces ------------------------------------------------------------------------------

PLAIN_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=24)
"""Any Unicode but lone surrogates (which cannot be written as UTF-8 at all)."""

ODD_STRINGS = st.sampled_from([
    "", " ", "\t", "\n", "line\nbreak", "\r\n", "\u200b", "e\u0301", "\u202eevil", "😀",
    "\x00", "\x1b[31m", "\x7f", "\ufeff", "<script>alert(1)</script>", "</div>", "&amp;",
    "{{ title }}", "{% raw %}", "${x}", "'", '"', "\\", "%", "&", "*", "[", "{", "}", "@", "`",
    "|", ">", "#", ": ", " - ", "---", "...", "null", "~", "yes", "1e400", "0x10", "NaN",
    "a" * 10_000, "word " * 2_000, "ß" * 500, "../../../etc/passwd", "C:\\x", "mailto:a@b",
])
"""Strings that have broken parsers, templates or file systems somewhere before."""

TEXT = st.one_of(ODD_STRINGS, PLAIN_TEXT)

WRONG_TYPES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.just([]), st.just({}),
    st.lists(PLAIN_TEXT, min_size=1, max_size=3),
    st.dictionaries(PLAIN_TEXT, PLAIN_TEXT, max_size=2),
)
"""Values of the wrong type for any key."""

DATES = st.sampled_from([
    "2025-01-02", "0000-01-01", "0001-01-01", "9999-12-31", "10000-01-01", "-001-01-01",
    "2025-02-30", "2025-13-01", "2025-00-10", "2025-1-2", "20250102", "2025/01/02",
    "2025-01-02T10:00:00", "2025-01-02 10:00:00+99:00", "today", "", "2025-01-02x",
    "٢٠٢٥-٠١-٠٢", "2025‐01‐02",
])
"""Dates YAML leaves as text (the front-matter loader has no timestamp resolver)."""

UNKNOWN_KEYS = st.sampled_from(["titel", "tags", "layout", "Title", "date", "author", "draft",
                                "", " ", "ünïcode", "a.b", "published ", "<key>"])


def maybe_wrong(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Usually a valid value, sometimes odd text or a value of the wrong type."""
    return st.one_of(valid, valid, TEXT, WRONG_TYPES)


# --- raw mutations of any text ------------------------------------------------------------------

INSERTS = ["\n", ":", "-", "[", "]", "{", "}", "'", '"', "\t", "&", "*", "!", "%", "|", ">",
           "#", "?", "@", ",", "=", "\\", "`", "$", "```", "---", "\r", "\x00", "\ufeff", "é"]


@st.composite
def mutated_text(draw, text: str, snippets: list[str] = ()) -> str:
    """``text`` with a few edits: characters or whole snippets inserted, ranges cut, lines
    duplicated, swapped, indented or truncated."""
    for _ in range(draw(st.integers(0, 3))):
        lines = text.split("\n")
        where = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "snippet", "delete", "dup", "swap", "indent",
                                   "truncate", "crlf"]))
        if op == "insert":
            text = text[:where] + draw(st.sampled_from(INSERTS)) + text[where:]
        elif op == "snippet" and snippets:
            row = draw(st.integers(0, len(lines)))
            text = "\n".join(lines[:row] + [draw(st.sampled_from(list(snippets)))] + lines[row:])
        elif op == "delete":
            text = text[:where] + text[where + draw(st.integers(1, 12)):]
        elif op in ("dup", "swap", "indent") and lines:
            row = draw(st.integers(0, len(lines) - 1))
            if op == "dup":
                lines.insert(row, lines[row])
            elif op == "swap":
                other = draw(st.integers(0, len(lines) - 1))
                lines[row], lines[other] = lines[other], lines[row]
            else:
                lines[row] = draw(st.sampled_from([" ", "  ", "\t", "    "])) + lines[row]
            text = "\n".join(lines)
        elif op == "truncate":
            text = text[:where]
        elif op == "crlf":
            text = text.replace("\n", "\r\n")
    return text


@st.composite
def encoded(draw, text: str) -> bytes:
    """UTF-8 bytes, now and then with a byte-order mark, bytes that are not UTF-8, or UTF-16."""
    data = text.encode("utf-8")
    op = draw(st.sampled_from(["utf8"] * 12 + ["bom", "invalid", "utf16"]))
    if op == "bom":
        return b"\xef\xbb\xbf" + data
    if op == "invalid":
        where = draw(st.integers(0, len(data)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe9t\xe9"]))
        return data[:where] + bad + data[where:]
    if op == "utf16":
        return text.encode("utf-16")
    return data


# --- front matter ---------------------------------------------------------------------------

AFFILIATION_KEYS = st.sampled_from(["lab", "lab", "Lab", "labs", "", "ünï"])

AUTHOR = st.fixed_dictionaries(
    {"name": maybe_wrong(st.sampled_from(["Ada Lovelace", "Charles Babbage", "Plato", "  "]))},
    optional={"url": maybe_wrong(st.sampled_from(["https://example.org/ada", "javascript:x",
                                                  "not a url"])),
              "affiliations": maybe_wrong(st.lists(maybe_wrong(AFFILIATION_KEYS), max_size=3)),
              "orcid": TEXT},
)

BIBLIOGRAPHY = st.one_of(
    st.sampled_from(["refs.bib", "missing.bib", "", ".", "../../site.toml", "/nonexistent.bib",
                     "nul\x00.bib", "thread.md"]),
    st.lists(st.sampled_from(["refs.bib", "missing.bib", "", "../refs.bib"]), max_size=3),
    WRONG_TYPES,
)

FRONT_KEYS = {
    "title": maybe_wrong(st.sampled_from(["First Article", "Thread: Demo"])),
    "description": maybe_wrong(st.just("The first one.")),
    "authors": st.one_of(st.lists(maybe_wrong(AUTHOR), max_size=3), WRONG_TYPES, TEXT),
    "published": st.one_of(DATES, WRONG_TYPES),
    "updated": st.one_of(DATES, WRONG_TYPES),
    "date": st.one_of(DATES, WRONG_TYPES),
    "doi": maybe_wrong(st.sampled_from(["10.5555/x.1", "not-a-doi"])),
    "kind": maybe_wrong(st.sampled_from(["article", "comment", "Comment", "thread", ""])),
    "bibliography": BIBLIOGRAPHY,
    "participants": maybe_wrong(st.lists(TEXT, max_size=3)),
}
"""Every key the three front-matter models know; each file is also given the others' keys."""

YAML_SNIPPETS = [
    "title: !!python/object/apply:os.system ['true']", "a: &x [*x]", "? [a, b]\n: c",
    "<<: *undefined", "title: !!binary AAAA", "title: !!set {a, b}", "%YAML 1.1",
    "--- # second document", "title: 'unterminated", "a: b: c", "\t- tab", "key: |\n bad",
    "title: 2025-01-02", "published: !!timestamp 2025-01-02", "authors: *nope",
    "title: !custom x", "? ", "- item", "title: [", "title: {", "...", "title:\x00",
    "published: 2025-01-02 10:00:00", "doi: 1e400", "title: &a x\nother: *a",
]


@st.composite
def front_matter(draw, original: dict) -> dict:
    """Real front-matter keys with mutated values and a few unknown keys: either the original
    with one or two keys changed or dropped (most of it still valid, so builds get further),
    or every key drawn afresh."""
    if draw(st.integers(0, 3)):  # mostly
        return draw(changed(original, FRONT_KEYS, st.one_of(UNKNOWN_KEYS, st.integers())))
    data = draw(st.fixed_dictionaries({}, optional=FRONT_KEYS))
    extra = draw(st.dictionaries(st.one_of(UNKNOWN_KEYS, st.integers(), st.none(),
                                           st.booleans()), TEXT, max_size=2))
    return {**data, **extra}


@st.composite
def changed(draw, original: dict, keys: dict[str, st.SearchStrategy],
            unknown: st.SearchStrategy) -> dict:
    """``original`` with one or two keys given a drawn value, dropped, or added unknown."""
    data = dict(original)
    for _ in range(draw(st.integers(1, 2))):
        op = draw(st.sampled_from(["set", "set", "set", "drop", "unknown"]))
        if op == "set":
            key = draw(st.sampled_from(sorted(keys)))
            data[key] = draw(keys[key])
        elif op == "drop" and data:
            data.pop(draw(st.sampled_from(sorted(data, key=str))))
        elif op == "unknown":
            data[draw(unknown)] = draw(TEXT)
    return data


def dump_yaml(data: object, unicode: bool, flow: bool | None) -> str:
    return yaml.safe_dump(data, allow_unicode=unicode, sort_keys=False, default_flow_style=flow,
                          width=float("inf"))


@st.composite
def markdown_file(draw, original: str) -> bytes:
    """A Markdown file whose front matter is fuzzed: the original's body is kept."""
    head, body = split_front(original)
    style = draw(st.sampled_from(["mapping"] * 4 + ["raw", "original-raw", "not-a-mapping"]))
    if style == "not-a-mapping":
        yaml_text = dump_yaml(draw(WRONG_TYPES), True, None)
    elif style == "original-raw":
        yaml_text = head
    else:
        yaml_text = dump_yaml(draw(front_matter(yaml.safe_load(head))), draw(st.booleans()),
                              draw(st.sampled_from([None, False, True])))
    if style != "mapping":
        yaml_text = draw(mutated_text(yaml_text, YAML_SNIPPETS))
    text = f"---\n{yaml_text}---\n{body}"
    if draw(st.integers(0, 9)) == 0:  # the fences themselves
        text = draw(mutated_text(text, ["---", "...", "--- ", "+++", ""]))
    return draw(encoded(text))


def split_front(text: str) -> tuple[str, str]:
    """(front matter between the '---' lines, body) of a valid fixture file."""
    _, head, body = text.split("---\n", 2)
    return head, body


# --- Markdown bodies ------------------------------------------------------------------------

CITE_KEYS = ["olah2020zoom", "cammarata2020curve", "krizhevsky2012", "knuth1984", "missing",
             "", " ", "a b", "ünï", "olah2020zoom,", "@", "{x}"]
LABELS = ["fig-pic", "eq-sum", "sec-method", "fig-new", "eq-new", "sec-new", "", "x y",
          "fig-pic ", "ünï", "<b>", "sec-method"]
FIGURE_OPTIONS = [":alt: A test picture.", ":alt:", ":label: fig-new", ":label: fig-pic",
                  ":label:", ":credit: Someone.", ":layout: page", ":layout: nowhere",
                  ":unknown: x", ":alt A", "alt: x", ":: x", ":label: sec-method",
                  ":width: 10", ":alt: <script>x</script>", ":label: fig-new"]
FIGURE_ARGUMENTS = ["pic.png", "pic.png", "missing.png", "", "../pic.png", "../../site.toml",
                    "/etc/hostname", "pic.png extra", "refs.bib", "cited.md", "pic.png\x00",
                    "https://example.org/x.png", "pic.PNG", "."]


@st.composite
def figure_directive(draw) -> str:
    name = draw(st.sampled_from(["figure", "figure", "aside", "unknown", "Figure", "", "figure "]))
    argument = draw(st.sampled_from(FIGURE_ARGUMENTS)) if name.startswith("figure") else ""
    options = draw(st.lists(st.sampled_from(FIGURE_OPTIONS), max_size=4))
    caption = draw(st.sampled_from(["A *picture* caption.", "", "$x$", "[@olah2020zoom]",
                                    "```\nnested\n```", "[^one]", "{ref}`eq-sum`"]))
    fence = draw(st.sampled_from(["```", "```", "````", "~~~"]))
    closing = draw(st.sampled_from([fence, fence, "", "``"]))
    return "\n".join([f"{fence}{{{name}}} {argument}".rstrip(), *options, "", caption, closing])


@st.composite
def inline_fragment(draw) -> str:
    kind = draw(st.sampled_from(["cite", "cite-role", "ref", "footnote", "math", "role", "text"]))
    key, label = draw(st.sampled_from(CITE_KEYS)), draw(st.sampled_from(LABELS))
    return {
        "cite": f"[@{key}]",
        "cite-role": f"{{cite}}`{key},{draw(st.sampled_from(CITE_KEYS))}`",
        "ref": f"{{ref}}`{label}`",
        "footnote": draw(st.sampled_from(["[^one]", "[^a]", "[^]", "[^one"])),
        "math": draw(st.sampled_from(["$x^2$", "$\\frac{$", "$$", "$\\begin{align}$",
                                      "$\\unknowncmd{x}$", "$x_{{{$", "$<b>$", "$"])),
        "role": draw(st.sampled_from(["{unit}`tiny/relu1:3`", "{unit}`bad`", "{nope}`x`",
                                      "{cite}``", "{ref}``", "{cite}`", "{}`x`"])),
        "text": draw(PLAIN_TEXT),
    }[kind]


BLOCKS = [
    "# A heading", "## Method", "{#sec-new}\n## New Section", "{#sec-method}\n## Again",
    "{#}\n## Empty label", "{.appendix}\n## Appendix", "{#sec-x .appendix}\n### Both",
    "{#sec-dangling}", "[^one]: A footnote.", "[^a]: Another [@olah2020zoom].", "[^one]:",
    "$$\n\\sum_i w_i x_i\n$$ (eq-new)", "$$\n\\sum_i\n$$ (eq-sum)", "$$\nx\n$$ (eq-)",
    "$$\n\\frac{\n$$", "$$\nunclosed", "```python\nprint('hello')\n```", "```\nunclosed fence",
    "~~~\ntilde\n~~~", "```{=html}\n<b>\n```", "| a | b |\n|---|---|\n| 1 | 2 |",
    "| a |\n|---|---|\n| [@missing] | {ref}`nope` |", "<div>\n\n*raw*\n\n</div>", "</div>",
    "<script>alert(1)</script>", "<!-- comment", "> quote [@olah2020zoom]", "- a\n- b\n  - c",
    "1. one\n1. two", "***", "[link](javascript:alert(1))", "![img](missing.png)",
    "<https://example.org>", "\\", "&nbsp;&#0;", "  \n", "\t\tindented code",
    "[a link](missing/)", "[up](../../)", "[anchor](#nope)", "[ok](#sec-method)",
    "<a href=\"/nope/\">raw</a>", "[file](pic.png)", "[far](../../../x)",
    "```{figure} pic.png pic.png\n:alt: One. | Two.\n:subcaptions: a\n:columns: 0\n```",
    "```{figure} pic.png pic.png\n:alt: One. |\n:columns: 13\n:width: -5\n```",
    "```{figure} pic.png\n:alt: A.\n:width: wide\n```",
    ("````{aside}\nA note [@missing] and {ref}`nope`.\n\n"
     "```{figure} missing.png\n:alt: x\n```\n````"),
    "- item\n\n  ```{figure} missing.png\n  :alt: x\n  ```", "> ```{unknown}\n> ```",
    "1. $a\nb$ then [@missing]", "`code\nspan` then {ref}`nope`", "<span\nclass=x> [@missing]",
    "Text  \nhard break [@missing]", "> " * 50 + "deep", "- " * 50 + "deep", "[" * 2000,
    "*" * 3000, "{ref}`" * 200, "$" * 500, "[^one]: Defined again.", "[^loop]: [^loop]",
]


@st.composite
def markdown_body(draw, original: str) -> str:
    """Fragments of the Markdown the generator understands, mixed with random text, either
    added to the original body or replacing it."""
    parts = draw(st.lists(st.one_of(st.sampled_from(BLOCKS), figure_directive(),
                                    inline_fragment()), min_size=1, max_size=8))
    joiners = draw(st.lists(st.sampled_from(["\n\n", "\n", " ", ""]), min_size=len(parts),
                            max_size=len(parts)))
    new = "".join(part + joiner for part, joiner in zip(parts, joiners))
    where = draw(st.sampled_from(["append", "prepend", "replace", "inside"]))
    if where == "append":
        body = original + "\n" + new
    elif where == "prepend":
        body = new + "\n" + original
    elif where == "replace":
        body = new
    else:
        lines = original.split("\n")
        row = draw(st.integers(0, len(lines)))
        body = "\n".join(lines[:row] + [new] + lines[row:])
    if draw(st.integers(0, 4)) == 0:
        body = draw(mutated_text(body, BLOCKS))
    return body


ODD_BREAKS = ["\u2028", "\u2029", "\x85", "\r", "\r\n", "\x0b", "\x0c", "\x1c"]
"""Characters that some readers (Python's ``str.splitlines``, YAML) count as line breaks."""


@st.composite
def markdown_with_body(draw, original: str) -> bytes:
    head, body = split_front(original)
    if draw(st.integers(0, 4)) == 0:  # a break the line counters may disagree on, above the body
        head = head.replace("description: Cites many things.",
                            f'description: "Cites{draw(st.sampled_from(ODD_BREAKS))} many"')
    return draw(encoded(f"---\n{head}---\n{draw(markdown_body(body))}"))


# --- BibTeX ---------------------------------------------------------------------------------

BIB_KEYS = ["olah2020zoom", "cammarata2020curve", "krizhevsky2012", "knuth1984", "muller2019",
            "new2024", "", "a b", "ünï", "key,", "{key}", "x@y", "a" * 300]
BIB_TYPES = ["article", "book", "misc", "inproceedings", "ARTICLE", "foo", "", "comment",
             "string", "preamble", "phdthesis"]
BIB_FIELDS = {
    "author": ["Olah, Chris and Cammarata, Nick", "{World Health Organization}", "and",
               "Müller, J{\\\"o}rg", "others", "Doe, Jane and", ", ,", "{", "A and B and " * 50,
               "\\unknown{x}", "Last, Jr., First, Extra"],
    "editor": ["Knuth, Donald E.", ""],
    "title": ["Zoom In", "{\\TeX} and {\\\"O}", "$x^2$", "\\", "{{{", "}", "%comment",
              "\\url{https://x}", "<b>bold</b>", "a" * 5000, ""],
    "journal": ["Distill", "\\url{x}", ""],
    "booktitle": ["NeurIPS"],
    "year": ["2020", "abc", "-1", "99999999999999999999", ""],
    "doi": ["10.23915/distill.00024.001", "not a doi", "10.1/<x>", ""],
    "url": ["https://arxiv.org/abs/1409.4842", "javascript:alert(1)", "\\url{x}"],
    "eprint": ["2101.00001"], "archivePrefix": ["arXiv", "arxiv"],
    "howpublished": ["\\url{https://example.org/who-ai}", "Unpublished"],
    "month": ["jan", "13"],
}
BIB_SNIPPETS = ["@article{", "}", "{", "@string{x = {y}}", "@comment{", "@preamble{\"\\x\"}",
                "@", "= ,", "@article{dup, title={A}}\n@article{dup, title={B}}", "%%",
                "@article{olah2020zoom, title = {Duplicate}}", "month = jan # \" 1\","]


@st.composite
def bib_field(draw) -> str:
    name = draw(st.sampled_from(sorted(BIB_FIELDS) + ["unknownfield", "", "title title"]))
    value = draw(st.one_of(st.sampled_from(BIB_FIELDS.get(name, ["x"])), PLAIN_TEXT))
    quoting = draw(st.sampled_from(["braces", "braces", "quotes", "bare", "concat"]))
    shown = {"braces": f"{{{value}}}", "quotes": f'"{value}"', "bare": value,
             "concat": f'{{{value}}} # "{value}"'}[quoting]
    return f"  {name} = {shown}"


@st.composite
def bib_entry(draw) -> str:
    fields = draw(st.lists(bib_field(), max_size=6))
    separator = draw(st.sampled_from([",\n", ",\n", "\n", ",,\n"]))
    kind, key = draw(st.sampled_from(BIB_TYPES)), draw(st.sampled_from(BIB_KEYS))
    opening, closing = draw(st.sampled_from([("{", "}"), ("{", "}"), ("(", ")"), ("{", ""),
                                             ("{", "}}")]))
    return f"@{kind}{opening}{key},\n" + separator.join(fields) + f"\n{closing}"


@st.composite
def bibtex_file(draw, original: str) -> bytes:
    """The original entries, some new ones (duplicated keys included), then raw edits."""
    entries = draw(st.lists(bib_entry(), max_size=4))
    keep = draw(st.sampled_from(["all", "all", "none", "half"]))
    kept = {"all": original, "none": "", "half": original[: len(original) // 2]}[keep]
    text = kept + "\n" + "\n".join(entries) + "\n"
    if draw(st.booleans()):
        text = draw(mutated_text(text, BIB_SNIPPETS))
    return draw(encoded(text))


# --- site.toml ------------------------------------------------------------------------------

class Raw(str):
    """A TOML value written as is (a date, a bare word, broken syntax)."""


def toml_value(value: object) -> str:
    """A TOML literal for ``value`` (strings via JSON escapes, which TOML's basic strings share)."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()
                               if v is not None) + "}"
    return '""'


def toml_key(key: object) -> str:
    key = str(key)
    return key if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key) \
        else json.dumps(key, ensure_ascii=False).replace("\x7f", "\\u007f")


def dump_toml(data: dict, inline: bool) -> str:
    """Scalars first, then one ``[table]`` per mapping (``[a.b]`` for mappings of mappings)."""
    lines, tables = [], []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict) and not isinstance(value, Raw) and not inline:
            tables.append((key, value))
        else:
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
    for key, table in tables:
        nested = {k: v for k, v in table.items() if isinstance(v, dict)}
        flat = {k: v for k, v in table.items() if not isinstance(v, dict)}
        if flat or not nested:
            lines += ["", f"[{toml_key(key)}]", dump_toml(flat, inline=True)]
        for name, sub in nested.items():
            lines += ["", f"[{toml_key(key)}.{toml_key(name)}]", dump_toml(sub, inline=True)]
    return "\n".join(line for line in lines if line is not None) + "\n"


TOML_TEXT = st.one_of(ODD_STRINGS, PLAIN_TEXT)
TOML_WRONG = st.one_of(st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
                       st.floats(), st.just([]), st.just({}), st.lists(PLAIN_TEXT, max_size=2),
                       st.sampled_from([Raw("1979-05-27"), Raw("1979-05-27T07:32:00Z"),
                                        Raw("07:32:00")]))


def toml_maybe_wrong(valid: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(valid, valid, TOML_TEXT, TOML_WRONG)


SAFE_OUTPUT_DIRS = st.sampled_from(["_site", "_site", "out", "public/site", "_site/", "ünï",
                                    "build output", "_si\x00te"])
"""Output folders inside the site that hold nothing else. Folders that do ('.', '', 'content',
'..', absolute paths) would have the build replace them: those are the output-folder tests'."""

AFFILIATION = st.fixed_dictionaries(
    {"name": toml_maybe_wrong(st.just("The Lab"))},
    optional={"url": toml_maybe_wrong(st.just("https://example.org/lab")), "logo": TOML_TEXT})

CONFIG_KEYS = {
    "title": toml_maybe_wrong(st.just("Fixture Site")),
    "description": toml_maybe_wrong(st.just("A small site for tests.")),
    "base_url": toml_maybe_wrong(st.sampled_from([
        "https://example.org/fixture", "http://x", "example.org", "https://", "ftp://x",
        "https://ex ample.org/", "https://例え.jp/", "javascript:alert(1)", "https://e.org/a\"b",
        "https://e.org/<b>/"])),
    "journal": toml_maybe_wrong(st.just("Distill")),
    "repository": toml_maybe_wrong(st.sampled_from(["https://github.com/example/fixture",
                                                    "not a url", "https://x/\"><b>"])),
    "branch": toml_maybe_wrong(st.sampled_from(["main", "", "a/b", "../x"])),
    "language": toml_maybe_wrong(st.sampled_from(["en", "de-DE", "", "\"><b>"])),
    "output_dir": st.one_of(SAFE_OUTPUT_DIRS, SAFE_OUTPUT_DIRS, TOML_WRONG),
    "license": st.one_of(st.fixed_dictionaries({}, optional={
        "name": toml_maybe_wrong(st.just("MIT")), "url": toml_maybe_wrong(st.just("x")),
        "year": TOML_TEXT}), TOML_TEXT),
    "affiliations": st.one_of(
        st.dictionaries(st.sampled_from(["lab", "lab", "other", "", "a.b", "ünï", " "]),
                        st.one_of(AFFILIATION, AFFILIATION, TOML_TEXT), max_size=3),
        TOML_TEXT),
    "theme": st.one_of(st.fixed_dictionaries({}, optional={
        "accent": toml_maybe_wrong(st.sampled_from(["#ca0020", "#fff", "red", "#12345", "",
                                                    "#ca0020; x", "#CA0020"])),
        "dir": toml_maybe_wrong(st.sampled_from(["theme", "nonexistent", "content", "..",
                                                 "/nonexistent"])),
        "font": TOML_TEXT}), TOML_TEXT),
    "models": st.one_of(st.dictionaries(
        st.sampled_from(["tiny", "m", "", "a/b"]),
        st.fixed_dictionaries({"source": toml_maybe_wrong(st.sampled_from([
            "builtin:tiny", "builtin:nope", "lucent:", "nope", "file:missing.pt", "file:",
            "torchvision:"]))},
            optional={"weights": TOML_TEXT, "factory": TOML_TEXT, "other": TOML_TEXT}),
        max_size=2), TOML_TEXT),
    "figures": st.one_of(st.fixed_dictionaries({}, optional={
        "store": toml_maybe_wrong(st.sampled_from(["figures/store", "store", "figures/other"])),
        "workers": st.one_of(st.sampled_from([0, 1, -1, 1000]), TOML_WRONG),
        "device": toml_maybe_wrong(st.sampled_from(["auto", "cpu", "cuda", "tpu", ""])),
        "gpu": TOML_TEXT}), TOML_TEXT),
    "bibliography": st.one_of(
        st.lists(st.sampled_from(["shared.bib", "missing.bib", "content", "", "site.toml",
                                  "content/demo/refs.bib", "../shared.bib"]), max_size=3),
        TOML_TEXT, TOML_WRONG),
    "search": toml_maybe_wrong(st.booleans()),
}

TOML_SNIPPETS = ["title = \"again\"", "[theme]", "[affiliations.lab]", "[[figures]]", "x = ",
                 "= 1", "key = 'unterminated", 'key = """', "[", "a.b = 1\na = 2", "[models.]",
                 "title = \"\\q\"", "\x00", "1979-05-27 = 1", "search = True", "k = [1, \"a\"]",
                 "inline = {a = 1,}", "[affiliations]\nlab = 1"]


@st.composite
def config(draw, original: dict) -> dict:
    """Like :func:`front_matter`: the original with a key or two changed, or all drawn."""
    if draw(st.booleans()):
        return draw(changed(original, CONFIG_KEYS, st.sampled_from(["baseurl", "output", "ünï"])))
    data = draw(st.fixed_dictionaries({}, optional=CONFIG_KEYS))
    if draw(st.integers(0, 3)):  # usually keep what every valid site needs
        data = {"title": "Fixture Site", "base_url": "https://example.org/fixture", **data}
    extra = draw(st.dictionaries(st.sampled_from(["baseurl", "output", "titel", "Search",
                                                  "theme_dir", "ünï", ""]), TOML_TEXT,
                                 max_size=2))
    return {**data, **extra}


@st.composite
def site_toml(draw, original: str) -> bytes | None:
    """A fuzzed site.toml (None: the file is gone)."""
    style = draw(st.sampled_from(["generated"] * 6 + ["original-raw"] * 3 + ["missing"]))
    if style == "missing":
        return None
    text = original if style == "original-raw" else \
        dump_toml(draw(config(tomllib.loads(original))), draw(st.booleans()))
    if style == "original-raw" or draw(st.integers(0, 3)) == 0:
        text = draw(mutated_text(text, TOML_SNIPPETS))
    return draw(encoded(text))
