"""Generate N deterministic plain articles, laid out for this generator, Hugo and MkDocs.

Every article is ~1,450 words of Markdown with headings, lists, fenced code and tables, and
front matter with only ``title`` and ``date`` — the generator builds such files outside thread
folders into standalone pages, Hugo and MkDocs accept the same front matter, so all three tools
get byte-identical article files::

    python bench/corpus.py --articles 1000 --out /tmp/thread-bench

writes ``/tmp/thread-bench/{thread,hugo,mkdocs}/``. The same N always gives the same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from pathlib import Path

WORDS_PER_ARTICLE = 1450
"""Target length of one article in whitespace-separated words (the issue's corpus size)."""

VOCABULARY = (
    "activation", "attribution", "basis", "bias", "boundary", "branch", "channel", "circuit",
    "classifier", "coefficient", "convolution", "curve", "dataset", "decoder", "detector",
    "dimension", "direction", "edge", "embedding", "encoder", "feature", "filter", "frequency",
    "gradient", "head", "hypothesis", "image", "inhibition", "input", "kernel", "layer",
    "linear", "logit", "loss", "mechanism", "model", "neuron", "norm", "objective",
    "orientation", "output", "parameter", "pattern", "polysemantic", "probe", "projection",
    "residual", "response", "saliency", "sample", "scale", "signal", "sparse", "stimulus",
    "subspace", "superposition", "texture", "token", "training", "unit", "variance", "vector",
    "visualization", "weight", "attention", "baseline", "checkpoint",
)

FILLER = (
    "the", "a", "of", "in", "to", "and", "with", "for", "that", "this", "we", "it", "is",
    "are", "was", "on", "by", "from", "as", "which", "each", "our", "their", "these", "when",
    "not", "but", "can", "more", "most", "also", "only", "between", "across", "within",
    "after", "before", "while",
)

LANGUAGES = ("python", "bash", "json")


def sentence(rng: random.Random, words: int) -> str:
    """A capitalised sentence with occasional emphasis, inline code and links."""
    parts = [rng.choice(VOCABULARY if rng.random() < 0.45 else FILLER) for _ in range(words)]
    index = rng.randrange(len(parts))
    style = rng.random()
    if style < 0.15:
        parts[index] = f"**{parts[index]}**"
    elif style < 0.3:
        parts[index] = f"*{parts[index]}*"
    elif style < 0.4:
        parts[index] = f"`{parts[index]}_{rng.randrange(100)}`"
    elif style < 0.47:
        parts[index] = f"[{parts[index]}](https://example.org/{parts[index]})"
    text = " ".join(parts)
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng, rng.randint(9, 18)) for _ in range(rng.randint(3, 6)))


def bullet_list(rng: random.Random, ordered: bool) -> str:
    items = [sentence(rng, rng.randint(6, 14)) for _ in range(rng.randint(4, 7))]
    return "\n".join(f"{i + 1}. {item}" if ordered else f"- {item}" for i, item in enumerate(items))


def code_block(rng: random.Random) -> str:
    lang = rng.choice(LANGUAGES)
    names = rng.sample(VOCABULARY, 4)
    if lang == "python":
        lines = [f"def {names[0]}_{names[1]}(x, {names[2]}=0.5):",
                 f'    """Return the {names[3]} response."""',
                 f"    total = sum(v * {names[2]} for v in x)",
                 f"    for i in range({rng.randint(2, 64)}):",
                 "        total += i ** 2 / (1 + len(x))",
                 f"    return {{'{names[3]}': total, 'n': len(x)}}"]
    elif lang == "bash":
        lines = [f"export {names[0].upper()}_DIR=/data/{names[1]}",
                 f"for f in ${names[0].upper()}_DIR/*.npz; do",
                 f'  python train.py --{names[2]} "$f" --seed {rng.randint(0, 99)}',
                 "done"]
    else:
        lines = ["{", f'  "{names[0]}": {rng.randint(1, 512)},',
                 f'  "{names[1]}": [{rng.random():.3f}, {rng.random():.3f}],',
                 f'  "{names[2]}": "{names[3]}"', "}"]
    return f"```{lang}\n" + "\n".join(lines) + "\n```"


def table(rng: random.Random) -> str:
    header = rng.sample(VOCABULARY, 4)
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * 4]
    for _ in range(rng.randint(4, 7)):
        cells = [rng.choice(VOCABULARY), f"{rng.random():.3f}", str(rng.randint(1, 4096)),
                 rng.choice(FILLER)]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


BLOCKS = (lambda r: bullet_list(r, False), code_block, table, lambda r: bullet_list(r, True))


def article(index: int, seed: int = 0) -> str:
    """The Markdown text of article ``index``: front matter, then ~1,450 words."""
    rng = random.Random(f"{seed}:{index}")
    date = dt.date(2020, 1, 1) + dt.timedelta(days=index % 2000)
    title = " ".join(w.capitalize() for w in rng.sample(VOCABULARY, 3)) + f" {index}"
    blocks = [paragraph(rng), paragraph(rng)]
    section = 0
    while sum(len(block.split()) for block in blocks) < WORDS_PER_ARTICLE - 90:  # ends mid-section
        section += 1
        blocks.append(f"## {rng.choice(VOCABULARY).capitalize()} {section}")
        blocks += [paragraph(rng), BLOCKS[section % len(BLOCKS)](rng), paragraph(rng)]
    return f"---\ntitle: {title}\ndate: {date.isoformat()}\n---\n\n" + "\n\n".join(blocks) + "\n"


def article_name(index: int) -> str:
    return f"article-{index:05d}.md"


THREAD_SITE_TOML = 'title = "Benchmark"\nbase_url = "https://example.org/bench/"\n'

HUGO_CONFIG = """baseURL = "https://example.org/bench/"
title = "Benchmark"
disableKinds = ["taxonomy", "term"]
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} — {{ site.Title }}</title></head>
<body><main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "January 2, 2006" }}</time></p>
{{ .Content }}</article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}
</ul>{{ end }}
""",
    "index.html": """{{ define "main" }}<h1>{{ site.Title }}</h1><ul>
{{ range site.RegularPages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}
</ul>{{ end }}
""",
}

MKDOCS_CONFIG = """site_name: Benchmark
site_url: https://example.org/bench/
markdown_extensions:
  - toc:
      permalink: false
  - tables
  - fenced_code
  - codehilite
"""
"""MkDocs' defaults plus codehilite, so that all three tools highlight code at build time."""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_articles(folder: Path, articles: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for index, text in enumerate(articles):
        (folder / article_name(index)).write_text(text, encoding="utf-8")


def thread_site(root: Path, articles: list[str]) -> Path:
    """Our layout: site.toml and content/posts/*.md (standalone pages, built-in theme)."""
    write(root / "site.toml", THREAD_SITE_TOML)
    write_articles(root / "content" / "posts", articles)
    return root


def hugo_site(root: Path, articles: list[str]) -> Path:
    """Hugo's layout: config.toml, content/posts/*.md and a minimal layouts/ (no theme)."""
    write(root / "config.toml", HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        write(root / "layouts" / name, text)
    write_articles(root / "content" / "posts", articles)
    return root


def mkdocs_site(root: Path, articles: list[str]) -> Path:
    """MkDocs' layout: mkdocs.yml, docs/index.md and docs/posts/*.md (default theme and nav)."""
    write(root / "mkdocs.yml", MKDOCS_CONFIG)
    write(root / "docs" / "index.md", "# Benchmark\n\nGenerated articles.\n")
    write_articles(root / "docs" / "posts", articles)
    return root


LAYOUTS = {"thread": thread_site, "hugo": hugo_site, "mkdocs": mkdocs_site}


def generate(out: Path, count: int, seed: int = 0, layouts=tuple(LAYOUTS)) -> dict[str, Path]:
    """Write a fresh corpus of ``count`` articles under ``out/<layout>/``; returns the roots."""
    articles = [article(i, seed) for i in range(count)]
    roots = {}
    for name in layouts:
        shutil.rmtree(out / name, ignore_errors=True)
        roots[name] = LAYOUTS[name](out / name, articles)
    return roots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="number of articles")
    parser.add_argument("--out", type=Path, default=Path("/tmp/thread-bench"),
                        help="folder for the thread/, hugo/ and mkdocs/ sites")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for name, root in generate(args.out, args.articles, args.seed).items():
        print(f"{name}: {root}")


if __name__ == "__main__":
    main()
