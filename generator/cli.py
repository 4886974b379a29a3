"""Commands only: parse flags, call the pipeline, print, exit codes (0 ok, 1 user error)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from generator.errors import BuildFailed, SiteError

console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)  # ":label:" is text
"""Progress and summaries; soft_wrap: a line is never broken at the terminal's width, so
``path:line:`` stays parseable by editors and CI annotations."""


def find_root(start: Path) -> Path:
    """The nearest folder, from ``start`` upwards, that holds site.toml.

    The nearest one counts even if it cannot be read (a folder, a broken link): loading it
    reports why, where skipping it would silently build some other site further up."""
    for folder in [start, *start.parents]:
        if os.path.lexists(folder / "site.toml"):
            return folder
    raise BuildFailed([SiteError("site.toml", None, f"no site.toml in {start} or above",
                                 "run thread inside a site, or pass --root")])


def report(failure: BuildFailed) -> None:
    """Errors first, then warnings (each in file and line order), then how many."""
    errors = [error for error in failure.errors if not error.warning]
    for error in errors + [error for error in failure.errors if error.warning]:
        click.echo(str(error), err=True)
    warnings = len(failure.errors) - len(errors)
    counted = _count(len(errors), "error") + (f", {_count(warnings, 'warning')}" if warnings
                                              else "")
    console.print(f"[red]{counted}[/red]; nothing was written.")


def report_warnings(warnings: list[SiteError]) -> None:
    """Warnings of a build that went through: one ``path:line: warning: message`` each."""
    for warning in warnings:
        click.echo(str(warning), err=True)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


root_option = click.option("--root", type=click.Path(file_okay=False, path_type=Path),
                           default=None, help="Site root (the folder with site.toml). "
                           "Default: the current folder or the nearest parent with site.toml.")


workers_option = click.option(
    "--workers", type=click.IntRange(min=0), default=None,
    help="Figure jobs at once (default: [figures] workers, else one per core; 0 runs them in "
    "this process; with Ray, the number of Ray workers).")
device_option = click.option(
    "--device", default=None, help="Torch device for figure jobs: auto, cpu, cuda, mps "
    "(default: [figures] device, auto).")
executor_option = click.option(
    "--executor", type=click.Choice(["local", "ray"]), default=None,
    help="Where figure jobs run: local processes, or a Ray cluster (the cluster extra; "
    "[figures] ray_address, default a local Ray instance). Default: [figures] executor.")


def site_root(root: Path | None) -> Path:
    return (root or find_root(Path.cwd())).resolve()


class Commands(click.Group):
    """The ``thread`` group: a user error from any command is printed and exits 1, never a
    traceback, whether it comes from the pipeline or from finding the site root."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BuildFailed as failure:
            report(failure)
            sys.exit(1)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="thread-generator")
def main() -> None:
    """Build Distill-style research threads from Markdown and figure builders.

    Run the commands inside a site (a folder with site.toml, content/ and theme/).
    """


@main.command()
@root_option
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: output_dir of site.toml, usually _site/).")
@click.option("--frozen", is_flag=True, help="Fail, naming them, if any figure is not in the "
              "figure store (deploy CI: needs no torch, computes nothing).")
@workers_option
@device_option
@click.option("--no-cache", is_flag=True, help="Ignore .thread-cache/ and rebuild every page "
              "(the cache is written again afterwards).")
@executor_option
def build(root: Path | None, out: Path | None, frozen: bool, workers: int | None,
          device: str | None, no_cache: bool, executor: str | None) -> None:
    """Build the site into _site/ (or --out), computing figures missing from the store.

    Nothing is written unless the whole build succeeded. The build cache (.thread-cache/)
    lets the next build re-render and re-write only the pages whose inputs changed.
    """
    started = time.perf_counter()
    root = site_root(root)
    quick = None
    if no_cache:
        from generator import cache

        cache.clear(root)
    else:
        quick = _quick_look(root, out)
        if quick is not None and quick[2]:
            console.print("Nothing changed since the last build "
                          f"({time.perf_counter() - started:.2f} s); nothing was written.")
            return
    from generator import build as pipeline
    from generator.plan import FigureRun, RichReporter

    figure_run = FigureRun(frozen, workers, device, RichReporter(console), executor)
    try:
        result = pipeline.run(root, out=out.resolve() if out else None,
                              figure_run=figure_run, use_cache=True,
                              seen=quick[:2] if quick else None)
    except BuildFailed as failure:
        report(failure)
        sys.exit(1)
    report_warnings(result.warnings)
    pages = sum(1 for path in result.outputs if path.endswith(".html"))
    console.print(f"Built {pages} pages ({len(result.outputs)} files, {len(result.written)} "
                  f"written) into {result.out_dir} in {time.perf_counter() - started:.2f} s")


def _quick_look(root: Path, out: Path | None) -> tuple[Path, str, bool] | None:
    """The fast path of a rebuild, before the generator's modules load (stdlib only): the
    output folder, the site's fingerprint (the build reuses it) and whether nothing changed.
    None when site.toml does not read (the build reports it) or a killed build left a journal
    or staging folder (the build recovers first)."""
    import tomllib

    from generator import cache

    try:
        settings = tomllib.loads((root / "site.toml").read_text(encoding="utf-8-sig"))
        out_dir = out or root / str(settings.get("output_dir", "_site"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if any(out_dir.parent.glob(f".{out_dir.name}.*-*")):
        return None
    try:
        fingerprint = cache.site_fingerprint(root, out_dir, live_reload=False)
    except OSError:
        return None
    return out_dir, fingerprint, cache.up_to_date(root, out_dir, fingerprint=fingerprint)


@main.command()
@root_option
@click.option("--strict", is_flag=True, help="Treat warnings (placeholders left by thread new, "
              "builder figures without :alt:) as errors: exit 1 if there is any.")
def check(root: Path | None, strict: bool) -> None:
    """Validate everything `thread build` does, against the figure store, without writing or
    computing anything (no torch needed).

    Prints one `path:line: message` per problem and exits 1 if there is any error (or, with
    --strict, any warning).
    """
    from generator import build as pipeline

    result = pipeline.run(site_root(root), stages=pipeline.CHECK_STAGES, keep_going=True)
    if strict and result.warnings:
        report(BuildFailed(result.warnings))
        console.print("--strict: warnings are errors.")
        sys.exit(1)
    report_warnings(result.warnings)
    if result.warnings:
        console.print(f"No errors; {_count(len(result.warnings), 'warning')}.")
    else:
        console.print("[green]No problems found.[/green]")


@main.command()
@root_option
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1.")
def serve(root: Path | None, port: int) -> None:
    """Preview the site on http://127.0.0.1:PORT/ and rebuild on every edit (live reload)."""
    from generator.serve import serve as run_server

    run_server(site_root(root), port, console)


@main.command()
@root_option
@click.argument("kind", type=click.Choice(["thread", "article", "comment"]))
@click.argument("name")
@click.option("--thread", "thread_slug", default=None,
              help="Thread for a new article or comment (default: the only thread, if one).")
def new(root: Path | None, kind: str, name: str, thread_slug: str | None) -> None:
    """Scaffold a new thread, article or comment with valid front matter.

    NAME is the folder name of a thread or the file name (without .md) of an article.
    """
    from generator.scaffold import scaffold

    path = scaffold(site_root(root), kind, name, thread_slug)
    console.print(f"Created {path}")


@main.command()
@root_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the XML to this file (default: standard output).")
@click.option("--timestamp", type=click.IntRange(min=0), default=None,
              help="Crossref's deposit timestamp, YYYYMMDDHHMMSS (default: now, in UTC); a "
              "later deposit of a DOI needs a larger one.")
@click.option("--batch-id", default=None, help="The deposit's doi_batch_id (default: "
              "thread-TIMESTAMP).")
def crossref(root: Path | None, out: Path | None, timestamp: int | None,
             batch_id: str | None) -> None:
    """Crossref deposit XML (schema 5.3.1) for every article with a DOI, with its references;
    depositor details come from [crossref] in site.toml."""
    from generator import build as pipeline
    from generator import crossref as deposit_xml
    from generator.write import write_file

    result = pipeline.run(site_root(root), stages=pipeline.RESOLVE_STAGES)
    report_warnings(result.warnings)
    stamp = timestamp if timestamp is not None else deposit_xml.timestamp()
    xml = deposit_xml.deposit(result.root, result.config, result.content, result.resolver,
                              stamp, batch_id)
    if out is None:
        click.echo(xml.decode("utf-8"), nl=False)
    else:
        write_file(out.resolve(), xml)
    count = len(deposit_xml.articles_with_doi(result.content))
    console.print(f"Crossref deposit of {_count(count, 'article')} with a DOI"
                  + (f" written to {out}" if out else "") + ".")


@main.group()
def figures() -> None:
    """Compute, inspect and tidy the figure store (figures/store/ by default)."""


def _figure_plan(root: Path | None):
    from generator import build as pipeline

    return pipeline.run(site_root(root), stages=pipeline.RESOLVE_STAGES).plan


@figures.command("list")
@root_option
def figures_list(root: Path | None) -> None:
    """List the figures the site uses and the store's entries: fresh, stale or unreferenced."""
    from generator.plan import store_rows

    rows = store_rows(_figure_plan(root))
    for row in rows:
        click.echo(f"{row.key}  {row.state:<12}  {row.builder:<20}  {row.where}")
    stale = sum(row.state == "stale" for row in rows)
    console.print(f"{len(rows)} figures, {stale} stale")


@figures.command("compute")
@root_option
@workers_option
@device_option
@executor_option
def figures_compute(root: Path | None, workers: int | None, device: str | None,
                    executor: str | None) -> None:
    """Compute the figures the store lacks, and nothing else: no page is built (a job for a
    cluster or a GPU machine). Then `thread build --frozen` publishes them."""
    from generator import build as pipeline
    from generator.plan import FigureRun, RichReporter

    started = time.perf_counter()
    figure_run = FigureRun(False, workers, device, RichReporter(console), executor)
    result = pipeline.run(site_root(root), stages=pipeline.COMPUTE_STAGES,
                          figure_run=figure_run)
    report_warnings(result.warnings)
    plan = result.plan
    console.print(f"Computed {_count(len(plan.computed), 'figure')} in "
                  f"{time.perf_counter() - started:.2f} s; every figure the site uses "
                  f"({len({u.job.key for u in plan.uses})}) is in {plan.config.figures.store}/. "
                  "Publish with thread build --frozen.")


@figures.command("gc")
@root_option
def figures_gc(root: Path | None) -> None:
    """Remove store entries that no article uses (and leftovers of interrupted builds)."""
    from generator.plan import collect_garbage

    removed = collect_garbage(_figure_plan(root))
    for name in removed:
        click.echo(f"removed {name}")
    console.print(f"Removed {len(removed)} store entries.")


@figures.command("verify")
@root_option
def figures_verify(root: Path | None) -> None:
    """Check every store entry: its manifest, each file against its recorded sha256, and that
    each image decodes. Exits 1, naming each damaged file, if any is."""
    from generator.config import load_config
    from generator.plan import verify_store

    root = site_root(root)
    try:
        checked, errors = verify_store(root, load_config(root))
    except BuildFailed as failure:
        report(failure)
        sys.exit(1)
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        console.print(f"[red]{len(errors)} of {checked} store entries and files are damaged.[/red]")
        sys.exit(1)
    console.print(f"{checked} store entries and files verified.")


def run() -> None:
    """The ``thread`` program: :func:`main`, then exit without tearing the build down.

    Freeing a large site's millions of objects one by one at interpreter exit takes about a
    second per 1,000 articles and serves nothing: every file is written and closed by then."""
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (exc.code is not None)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
