"""Datasets of ``[datasets.NAME]``: their fingerprints, their checks, and the sharded scans
that ``dataset-examples`` figures are computed from.

A builder parameter called ``dataset`` (or ``*_dataset``) names a dataset: its fingerprint
joins the figure's key (as ``dataset:NAME``) and the job carries the dataset's settings. A
folder is fingerprinted by its sorted relative paths, sizes and content hashes (every build,
so it must be present), or by its ``version`` (then a build whose figures are stored needs
neither the folder nor torch); ``builtin:procedural`` by its settings and generator code.

The scan is map/reduce over figure jobs. Before the figures stage computes stale
``dataset-examples`` figures, :func:`compute_scans` schedules, per (model, dataset), one
``dataset-scan`` job per shard of the dataset for all the layers those figures ask for (one
forward pass serves every unit of them), runs them on the build's executor (local pool or
Ray); then it merges the shards' per-unit candidates (reduce, here, in plain Python), hands
each figure job exactly the top-k of its units (``Job.inputs``) and drops the shards: the
figures are what the store keeps.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from pathlib import Path

from generator.config import CONFIG_NAME, config_line
from generator.errors import SiteError, did_you_mean

PROCEDURAL_MODULE = "figures.procedural"
EXAMPLES, SCAN = "dataset-examples", "dataset-scan"
"""The figure builder that shows examples, and the builder of its scan's shards."""


# --- fingerprints and checks -----------------------------------------------------------------

def dataset_params(spec, params: dict) -> list[str]:
    """Datasets a builder's parameters name (parameters called ``dataset`` or ``*_dataset``)."""
    return [params[p] for p in spec.params.model_fields
            if (p == "dataset" or p.endswith("_dataset")) and isinstance(params.get(p), str)]


def job_datasets(plan, spec, params: dict, call) -> tuple[dict[str, str], dict[str, dict]]:
    """(fingerprints as ``dataset:NAME`` → hash, settings by name) of the datasets a figure
    reads; raises SiteError for an unknown or broken one."""
    fingerprints, settings = {}, {}
    for name in dataset_params(spec, params):
        if name not in plan.config.datasets:
            known = sorted(plan.config.datasets)
            raise SiteError(call.path, call.line, f"unknown dataset '{name}'",
                            did_you_mean(name, known) or f"add [datasets.{name}] to site.toml; "
                            f"known: {', '.join(known) or 'none'}")
        fingerprints[f"dataset:{name}"] = fingerprint(plan, name)
        settings[name] = plan.config.datasets[name].model_dump() | {"side":
                                                                   plan.config.datasets[name].side}
    return fingerprints, settings


def fingerprint(plan, name: str) -> str:
    """The dataset's identity, computed once per build."""
    from generator.store import digest, source_digest

    cache = plan.dataset_fingerprints
    if name not in cache:
        dataset = plan.config.datasets[name]
        parts = [dataset.source, str(dataset.side)]
        if dataset.source.startswith("builtin:"):
            parts += [str(dataset.size), str(dataset.seed),
                      source_digest(PROCEDURAL_MODULE, plan.search)]
        else:
            parts.append(dataset.version if dataset.version is not None
                         else folder_digest(plan.root, name, dataset))
        cache[name] = digest(*parts)[:16]
    return cache[name]


def folder_digest(root: Path, name: str, dataset) -> str:
    """Hash of a folder's sorted relative paths, sizes and contents; every image is checked
    to decode while it is read."""
    from generator.store import digest

    rows = []
    for relative, path in image_files(root, name, dataset):
        data = path.read_bytes()
        check_image(root, name, relative, data)
        rows.append(f"{relative}\t{len(data)}\t{hashlib.sha256(data).hexdigest()}")
    return digest(*rows)


def image_files(root: Path, name: str, dataset) -> list[tuple[str, Path]]:
    """(relative path, path) of the folder's images, in scan order; SiteError if there are
    none or no folder."""
    from figures.datasets import image_paths

    folder = root / dataset.source.partition(":")[2]
    if not folder.is_dir():
        raise dataset_error(root, name, f"dataset '{name}': folder "
                            f"'{dataset.source.partition(':')[2]}' not found",
                            "create it, or correct source = \"folder:PATH\" (relative to the "
                            "site root)")
    found = image_paths(folder)
    if not found:
        raise dataset_error(root, name, f"dataset '{name}' is empty: no .jpg, .png or .webp "
                            f"files in '{dataset.source.partition(':')[2]}'")
    return found


def check_image(root: Path, name: str, relative: str, data: bytes) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise dataset_error(root, name, f"dataset '{name}': cannot read image '{relative}' "
                            f"({exc})", "remove or replace the file") from None


def check_folder(root: Path, name: str, dataset) -> None:
    """Before a scan of a versioned folder: it exists, holds images and each one decodes."""
    for relative, path in image_files(root, name, dataset):
        check_image(root, name, relative, path.read_bytes())


def dataset_error(root: Path, name: str, message: str, hint: str | None = None) -> SiteError:
    """A problem with ``[datasets.NAME]``, at its ``source`` line of site.toml."""
    return SiteError(CONFIG_NAME, config_line(root, ("datasets", name, "source")), message, hint)


def dataset_folders(config) -> list[Path]:
    """Site-relative folders of folder datasets (a remote executor ships them to workers)."""
    return [Path(d.source.partition(":")[2]) for d in config.datasets.values()
            if d.source.startswith("folder:")]


# --- the scan: shards (map), then top-k per unit (reduce) -------------------------------------

def is_examples(use) -> bool:
    return use.job.builder == EXAMPLES


def compute_scans(plan, resolver, run, compute) -> list[SiteError]:
    """Scan what stale ``dataset-examples`` figures need and give their jobs their top-k.

    ``compute`` is :func:`generator.plan.compute` (passed in: plan imports nothing from here
    but this module's hooks). Under ``--frozen`` nothing is scanned: the figures stage then
    reports those figures as stale."""
    stale = [u for u in plan.attach(is_examples)]
    if run.frozen or not stale or SCAN not in plan.builders:
        return []
    groups: dict[tuple[str, str], list] = {}
    for use in stale:
        groups.setdefault((use.job.params["model"], use.job.params["dataset"]), []).append(use)
    errors, shards = [], {}
    for (model, name), uses in sorted(groups.items()):
        try:
            shards[(model, name)] = schedule_shards(plan, model, name, uses)
        except SiteError as exc:
            errors.append(exc)
    if errors:
        return errors
    wanted = {id(s) for group in shards.values() for s in group}
    errors = compute(plan, resolver, run, select=lambda use: id(use) in wanted, register=False)
    if errors:
        return errors
    for key, uses in groups.items():
        merged = merge([_data(s) for s in shards[key]])
        for use in uses:
            use.job = replace(use.job, inputs=examples_input(merged, use.job.params))
    _drop(plan, [s for group in shards.values() for s in group])
    return []


def _drop(plan, scans: list) -> None:
    """Scan shards are a build's intermediates: their keys depend on which figures were stale,
    and the figures keep what they need, so once merged they leave the plan and the store."""
    keys = {use.job.key for use in scans}
    plan.uses[:] = [use for use in plan.uses if use.job.key not in keys]
    for key in sorted(keys):
        plan.store.remove(key)


def schedule_shards(plan, model: str, name: str, uses: list) -> list:
    """One ``dataset-scan`` use per shard, for all layers and the largest k the uses ask for."""
    from generator.directives import Call
    from generator.figures import split_unit, validate_params

    dataset = plan.config.datasets[name]
    if dataset.source.startswith("folder:") and dataset.version is not None:
        check_folder(plan.root, name, dataset)
    count = dataset.size if dataset.size is not None else \
        len(image_files(plan.root, name, dataset))
    layers = sorted({split_unit(u.job.params["layer"])[1] for u in uses})
    k = max(int(u.job.params["k"]) for u in uses)
    step = -(-dataset.shard // dataset.batch) * dataset.batch  # whole batches per shard
    first = uses[0].call
    shards = []
    for start in range(0, count, step):
        values = {"model": model, "dataset": name, "layers": layers, "k": k,
                  "start": start, "stop": min(start + step, count)}
        params, error = validate_params(plan.builders[SCAN], values)
        if error is not None:
            raise SiteError(first.path, first.line, f"cannot schedule {SCAN}: {error}")
        call = Call(SCAN, first.path, first.line, argument="", kind="directive")
        shards.append(plan.schedule(call, params))
    return shards


def _data(use) -> dict:
    return json.loads(use.entry.path("data.json").read_text(encoding="utf-8"))


def merge(shards: list[dict]) -> dict:
    """Reduce: the shards' candidates merged into each unit's top-k (and bottom-k), ranked by
    activation, ties by image id: the same lists a single scan of the whole dataset keeps."""
    first = shards[0]
    merged: dict = {"count": sum(s["count"] for s in shards), "k": first["k"], "layers": {}}
    for layer in first["layers"]:
        merged["layers"][layer] = {}
        for sign, order in (("positive", -1), ("negative", 1)):
            columns = zip(*(s["layers"][layer][sign] for s in shards), strict=True)
            merged["layers"][layer][sign] = [
                sorted((c for part in column for c in part),
                       key=lambda c, o=order: (o * c[0], c[1]))[: first["k"]]
                for column in columns]
    return merged


def examples_input(merged: dict, params: dict) -> dict:
    """What one figure job receives: its units' candidates only."""
    from generator.figures import parse_units

    layer, units = parse_units(params["layer"], params.get("units"))
    lists = merged["layers"][layer][params["sign"]]
    return {"count": merged["count"], "examples": {str(u): lists[u][: params["k"]] for u in units
                                                   if u < len(lists)}}
