"""Time this generator against Hugo and MkDocs on the same generated corpus; print a Markdown table.

    .venv/bin/python bench/run.py --articles 1000          # ~3 minutes on 2 cores
    .venv/bin/python bench/run.py --articles 1000 --scale  # adds a 10,000-article build

Every build is a fresh process. Wall time is the median of ``--runs`` runs; peak memory is the
largest of the child's own peak RSS (``wait4``) and the summed RSS of its process tree, sampled
every 20 ms, so worker processes count. Hugo comes from Debian (``apt-get install -y hugo``);
MkDocs is installed on first use into ``bench/.venv`` (ignored by git), away from the project's
environment. Corpora live under ``--work`` (default /tmp/thread-bench), never in the repository.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # bench/ is a folder of scripts, not a package

BENCH = Path(__file__).resolve().parent
MKDOCS_VENV = BENCH / ".venv"
MKDOCS_VERSION = "1.6.1"
NO_SEARCH = "thread (ours), search off"
HUGO_PAGEFIND = "Hugo + Pagefind"
"""Hugo, then the Pagefind CLI on its output: how a Hugo site gets search (our anchor with it)."""
NOT_A_TARGET = float("nan")
"""A target cell that does not apply to its column."""
CACHE_DIRS = (".thread-cache",)
"""Folders in the site root that a cold build must not find (the persistent build cache)."""

MARKDOWN_IT_ALONE = """
import sys, pathlib
from markdown_it import MarkdownIt
md = MarkdownIt("commonmark").enable("table")
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.md")):
    md.render(path.read_text(encoding="utf-8").split("---", 2)[2])
"""
"""The parser floor the issue quotes: markdown-it-py, one process, no plugins, no templates."""


@dataclass
class Sample:
    seconds: float
    peak_mb: float


@dataclass
class Result:
    tool: str
    scenario: str
    articles: int
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def peak_mb(self) -> float:
        return max(s.peak_mb for s in self.samples)


# --- measuring one process -------------------------------------------------------------------

def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (0 once it is gone)."""
    total, stack, page = 0, [pid], os.sysconf("SC_PAGE_SIZE")
    while stack:
        current = stack.pop()
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * page
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, IndexError, ValueError):
            continue
        stack.extend(int(child) for child in children)
    return total


def measure(command: list[str], cwd: Path | None = None) -> Sample:
    """Run ``command`` once; wall seconds and peak memory. Raises if it fails."""
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                peak[0] = max(peak[0], tree_rss(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            stderr.seek(0)
            tail = stderr.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{tail}")
    return Sample(elapsed, max(usage.ru_maxrss * 1024, peak[0]) / 2**20)


# --- the tools ---------------------------------------------------------------------------------

def ours(site: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "generator", "build", "--root", str(site), "--out", str(out)]


def clean(*paths: Path) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def without_search(site: Path) -> Path:
    """A copy of our corpus site with ``search = false``: the same work Hugo does (no index)."""
    copy = site.with_name(site.name + "-no-search")
    clean(copy)
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(*CACHE_DIRS))
    config = copy / "site.toml"
    config.write_text("search = false\n" + config.read_text())
    return copy


def bench_ours(site: Path, out: Path, runs: int, articles: int,
               tool: str = "thread (ours)") -> list[Result]:
    """Cold (empty output, no cache), no-change rebuild, and rebuild after editing one article."""
    caches = [site / name for name in CACHE_DIRS]
    cold = Result(tool, "cold build", articles)
    for _ in range(runs):
        clean(out, *caches)
        cold.samples.append(measure(ours(site, out)))
    unchanged = Result(tool, "no-change rebuild", articles)
    for _ in range(runs):
        unchanged.samples.append(measure(ours(site, out)))
    edited = Result(tool, "one article edited", articles)
    target = min((site / "content").rglob("*.md"))
    original = target.read_bytes()
    try:
        for run in range(runs):
            target.write_bytes(original + f"\nAn edit made by run {run} of the benchmark.\n".encode())
            edited.samples.append(measure(ours(site, out)))
    finally:
        target.write_bytes(original)
    return [cold, unchanged, edited]


def bench_hugo(site: Path, out: Path, runs: int, articles: int) -> list[Result]:
    """Hugo's cold build; and, when the Pagefind CLI is at hand, Hugo then Pagefind on its
    output (``hugo && pagefind --site public``), the way a Hugo site gets search: one command
    timed as a whole, the anchor of our builds with search."""
    name = f"Hugo {tool_version(['hugo', 'version'], 1)}"
    hugo = ["hugo", "--quiet", "--source", str(site), "--destination", str(out)]
    result, paired = Result(name, "cold build", articles), Result(HUGO_PAGEFIND, "cold build",
                                                                   articles)
    pagefind = pagefind_cli()
    for _ in range(runs):
        clean(out, site / "resources")
        result.samples.append(measure(hugo))
        if pagefind:
            clean(out, site / "resources")
            both = f"{shlex.join(hugo)} && {shlex.join([pagefind, '--site', str(out), '--silent'])}"
            paired.samples.append(measure(["sh", "-c", both]))
    return [result, paired] if paired.samples else [result]


def pagefind_cli() -> str | None:
    """The Pagefind binary of the ``pagefind[bin]`` wheel our builds use (same version)."""
    try:
        from pagefind_bin import get_executable
    except ImportError:
        return shutil.which("pagefind")
    return str(get_executable())


def bench_mkdocs(site: Path, out: Path, runs: int, articles: int) -> list[Result]:
    mkdocs = ensure_mkdocs()
    result = Result(f"MkDocs {MKDOCS_VERSION}", "cold build", articles)
    for _ in range(runs):
        clean(out)
        result.samples.append(measure([str(mkdocs), "build", "--quiet", "--config-file",
                                       str(site / "mkdocs.yml"), "--site-dir", str(out)]))
    return [result]


def bench_markdown_it(site: Path, runs: int, articles: int) -> list[Result]:
    result = Result("markdown-it-py alone", "parse + render, 1 process", articles)
    for _ in range(runs):
        result.samples.append(measure([sys.executable, "-c", MARKDOWN_IT_ALONE,
                                       str(site / "content")]))
    return [result]


def ensure_mkdocs() -> Path:
    """MkDocs in its own venv under bench/, installed with pip on first use."""
    mkdocs = MKDOCS_VENV / "bin" / "mkdocs"
    if not mkdocs.exists():
        print(f"installing mkdocs=={MKDOCS_VERSION} into {MKDOCS_VENV} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(MKDOCS_VENV)], check=True)
        subprocess.run([str(MKDOCS_VENV / "bin" / "python"), "-m", "pip", "install", "-q",
                        f"mkdocs=={MKDOCS_VERSION}"], check=True)
    return mkdocs


def tool_version(command: list[str], word: int) -> str:
    try:
        text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        return text.split()[word].lstrip("v").split("+")[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "?"


# --- the report --------------------------------------------------------------------------------

SERVE_SCENARIO = "serve: edit → reload event"
SERVE_SETTLE = 4.0
"""Seconds between the edits of the serve bench: the search index catches up after each
reload, and the next edit must not wait behind it."""


def bench_serve(site: Path, runs: int, articles: int) -> list[Result]:
    """``thread serve``: seconds from saving an edited article to the reload event on
    ``/__livereload`` (the page is written before it; Pagefind re-indexes after)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--root", str(site),
                               "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    result = Result("thread (ours)", SERVE_SCENARIO, articles)
    target = min((site / "content").rglob("*.md"))
    original = target.read_bytes()
    try:
        _wait_until_served(base, server, time.monotonic() + 600)
        events = urllib.request.urlopen(base + "__livereload", timeout=120)
        time.sleep(SERVE_SETTLE)  # the watcher runs once the first build is served
        for run in range(runs):
            started = time.perf_counter()
            target.write_bytes(original + f"\nA serve edit, run {run}.\n".encode())
            while b"reload" not in events.readline():
                pass
            result.samples.append(Sample(time.perf_counter() - started, tree_rss(server.pid) / 2**20))
            time.sleep(SERVE_SETTLE)
    finally:
        target.write_bytes(original)
        server.terminate()
        server.wait(timeout=30)
    return [result]


def _wait_until_served(base: str, server: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"thread serve exited {server.returncode} before serving")
        try:
            urllib.request.urlopen(base, timeout=5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("thread serve did not serve its first build in time")


def find(results: list[Result], tool: str, scenario: str = "cold build", articles: int = 0):
    """The first result of ``tool`` (a name's start; "Hugo" is Hugo alone, not Hugo + Pagefind)."""
    return next((r for r in results if r.tool.startswith(tool) and r.scenario == scenario
                 and (not articles or r.articles == articles)
                 and (r.tool != HUGO_PAGEFIND or tool == HUGO_PAGEFIND)), None)


def table(results: list[Result], articles: int) -> str:
    hugo, mkdocs = find(results, "Hugo"), find(results, "MkDocs")
    header = ("| tool | scenario | articles | median s | runs (s) | peak MB | ÷ Hugo cold "
              "| MkDocs ÷ this |")
    rows = [header, "|---|---|--:|--:|---|--:|--:|--:|"]
    for r in results:
        runs = ", ".join(f"{s.seconds:.2f}" for s in r.samples)
        build = r.articles == articles and r.scenario != SERVE_SCENARIO  # a build's seconds
        vs_hugo = f"{r.median / hugo.median:.2f}×" if hugo and build else "–"
        vs_mkdocs = f"{mkdocs.median / r.median:.1f}×" if mkdocs and build else "–"
        rows.append(f"| {r.tool} | {r.scenario} | {r.articles:,} | {r.median:.2f} | {runs} "
                    f"| {r.peak_mb:,.0f} | {vs_hugo} | {vs_mkdocs} |")
    return "\n".join(rows)


def targets(results: list[Result], articles: int, scale: int) -> str:
    """The issue's targets, each with the measured ratio and whether it is met: for our build
    with its search index, and without it (Hugo builds none; MkDocs builds a lunr index)."""
    hugo, mkdocs = find(results, "Hugo"), find(results, "MkDocs")
    tools = [("thread (ours)", "with search"), (NO_SEARCH, "search off")]
    rows = ["| target | " + " | ".join(label for _, label in tools) + " |",
            "|---|" + "---|" * len(tools)]
    ratio = (lambda r, base: r.median / base.median if r and base else None)

    def row(name: str, values: list[float | None], limit: float, unit: str,
            smaller: bool = True) -> None:
        cells = []
        for value in values:
            if value is NOT_A_TARGET:
                cells.append("–")
            elif value is None:
                cells.append("not measured")
            else:
                ok = value <= limit if smaller else value >= limit
                cells.append(f"{value:.2f}{unit} ({'met' if ok else 'not met'})")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")

    def each(scenario: str, base: Result | None, invert: bool = False) -> list[float | None]:
        found = [next((r for r in results if r.tool == tool and r.scenario == scenario
                       and r.articles == articles), None) for tool, _ in tools]
        return [ratio(base, r) if invert else ratio(r, base) for r in found]

    paired = find(results, HUGO_PAGEFIND)
    row("cold ≤ 1.0× Hugo + Pagefind (search on)", [each("cold build", paired)[0], NOT_A_TARGET],
        1.0, "×")
    row("cold ≤ 1.5× Hugo", each("cold build", hugo), 1.5, "×")
    row("cold ≥ 5× faster than MkDocs", each("cold build", mkdocs, invert=True), 5, "× faster",
        smaller=False)
    row("no-change ≤ 0.15× Hugo cold", each("no-change rebuild", hugo), 0.15, "×")
    row("one edit ≤ 0.2× Hugo cold", each("one article edited", hugo), 0.2, "×")
    serve = find(results, "thread (ours)", SERVE_SCENARIO, articles)
    row("serve: edit → reload event ≤ 0.3 s", [serve.median if serve else None, NOT_A_TARGET],
        0.3, " s")
    cold = [next((r for r in results if r.tool == tool and r.scenario == "cold build"
                  and r.articles == articles), None) for tool, _ in tools]
    big = [next((r for r in results if r.tool == tool and r.articles == scale), None)
           for tool, _ in tools]
    row(f"{scale:,} articles ≤ 10× the {articles:,} time",
        [ratio(b, c) for b, c in zip(big, cold)], 10, "×")
    row(f"{scale:,} articles in ≤ 2 GB", [b.peak_mb / 1024 if b else None for b in big], 2, " GB")
    return "\n".join(rows)


def machine() -> str:
    return (f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}, {time.strftime('%Y-%m-%d')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="corpus size (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "thread-bench",
                        help="folder for corpora and outputs (default /tmp/thread-bench)")
    parser.add_argument("--scale", action="store_true",
                        help="also build --scale-articles articles with this generator")
    parser.add_argument("--scale-articles", type=int, default=10_000)
    parser.add_argument("--scale-runs", type=int, default=1, help="runs of the scaling build")
    parser.add_argument("--no-hugo", action="store_true")
    parser.add_argument("--no-mkdocs", action="store_true")
    parser.add_argument("--no-serve", action="store_true", help="skip the serve edit → reload bench")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be ≥ 1")

    sites = corpus.generate(args.work / "corpus", args.articles)
    out = args.work / "out"
    results = bench_ours(sites["thread"], out / "thread", args.runs, args.articles)
    if not args.no_serve:
        results += bench_serve(sites["thread"], args.runs, args.articles)
    results += bench_ours(without_search(sites["thread"]), out / "thread-no-search", args.runs,
                          args.articles, NO_SEARCH)
    if args.no_hugo:
        pass
    elif shutil.which("hugo"):
        results += bench_hugo(sites["hugo"], out / "hugo", args.runs, args.articles)
    else:
        print("hugo not found (apt-get install -y hugo); skipping it", file=sys.stderr)
    if not args.no_mkdocs:
        results += bench_mkdocs(sites["mkdocs"], out / "mkdocs", args.runs, args.articles)
    results += bench_markdown_it(sites["thread"], args.runs, args.articles)
    if args.scale:
        big = corpus.generate(args.work / "scale", args.scale_articles, layouts=("thread",))
        for tool, site in (("thread (ours)", big["thread"]),
                           (NO_SEARCH, without_search(big["thread"]))):
            result = Result(tool, "cold build", args.scale_articles)
            for _ in range(args.scale_runs):
                clean(out / "scale", *[site / name for name in CACHE_DIRS])
                result.samples.append(measure(ours(site, out / "scale")))
            results.append(result)
    print(f"{machine()}; `bench/run.py --articles {args.articles} --runs {args.runs}"
          f"{' --scale' if args.scale else ''}`\n")
    print(table(results, args.articles) + "\n")
    print(targets(results, args.articles, args.scale_articles))


if __name__ == "__main__":
    main()
