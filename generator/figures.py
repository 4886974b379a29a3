"""Figure builders: the @builder mark, discovery of builder modules, and the context and outputs
a builder sees.

A builder is a plain function in the site's ``figures/`` package, registered with
``@builder("name")``. Its typed parameters (pydantic-validated) become the options of a directive
``name`` usable in Markdown. It receives an explicit :class:`FigureContext` — no globals — and
returns a :class:`FigureOutput`. This module never imports torch: builders and models import it
inside their own functions, so a site whose figure store is fresh builds without it.

Running builders is :mod:`generator.jobs`; planning a build's figures is :mod:`generator.plan`.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import re
import sys
import traceback
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, create_model

from generator.errors import SiteError
from generator.paths import inside_root, outside_message

PACKAGE = "figures"
INSTALLED_FIGURES = Path(__file__).resolve().parent.parent / PACKAGE
"""The ``figures`` package shipped beside ``generator`` (built-in models, shared helpers)."""
RESERVED = {"alt", "layout", "label", "credit"}
"""Directive options every builder figure shares with the static ``figure`` directive."""
TOOLCHAIN = ("torch", "torchvision", "torch-lucent", "vl-convert-python")
"""Distributions whose versions a stored figure records (vl-convert only with a chart: it draws
the static SVG). A build host with other versions uses the figure and says so, once."""


# --- unit names ---------------------------------------------------------------------------

UNIT_NAME = re.compile(r"^(?:([A-Za-z0-9_-]+)/)?([A-Za-z0-9_.]+)(?::(\d+))?$")
"""``[model/]layer[:index]``: lucent's layer names (``mixed3b``) with an optional unit index."""


def split_unit(text: str) -> tuple[str | None, str, int | None]:
    """``'planted/relu1:3'`` → ``('planted', 'relu1', 3)``; ``'mixed3b'`` → ``(None, 'mixed3b',
    None)``. The one parser of unit names (directives, roles and builders all use it)."""
    match = UNIT_NAME.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a unit name (model/layer:index, e.g. planted/relu1:3)")
    model, layer, index = match.groups()
    return model, layer, None if index is None else int(index)


def parse_units(layer: str, units: list[str] | None = None) -> tuple[str, list[int]]:
    """A builder's ``layer`` and ``units`` options → (layer, unit indices): ``mixed3b:379``,
    ``0, 3, 5``, ``0-7``."""
    _, layer, index = split_unit(layer)
    picked = [] if index is None else [index]
    for item in units or []:
        first, dash, last = str(item).partition("-")
        picked += list(range(int(first), int(last) + 1)) if dash else [int(first)]
    if not picked:
        raise ValueError(f"no units given for layer '{layer}' (e.g. units: 0-7, or {layer}:3)")
    return layer, picked


# --- what a builder sees and returns ---------------------------------------------------------

@dataclass
class FigureImage:
    """A raster image: a PIL image or an array (H×W, H×W×3/4; uint8, or floats in [0, 1])."""

    data: Any
    width: int | None = None
    """Display width in CSS pixels; default: the image's own width (×4 if pixelated and small)."""
    pixelated: bool = False
    """Upscale with nearest neighbour, for pixel-exact images such as weights."""


@dataclass
class FigureOutput:
    """Everything a builder produces; the store keeps it, the page embeds it."""

    alt: str
    """Alt text describing what the figure shows (a directive's ``:alt:`` overrides it)."""
    caption: str = ""
    """Default caption in Markdown (a directive's body overrides it)."""
    images: list[FigureImage] = field(default_factory=list)
    """The first image is the figure; later ones (one per unit, say) are stored for reuse."""
    svg: str | None = None
    vega_lite: Any = None
    """A Vega-Lite spec: a dict, or an Altair chart (anything with ``to_dict()``)."""
    data: Any = None
    """JSON-serialisable data published beside the figure."""


class Progress(Protocol):
    def __call__(self, done: float, total: float = 1.0) -> None: ...


@dataclass
class FigureContext:
    """What a running builder may use; passed explicitly so builders stay pure functions."""

    out: Path
    """A private, empty folder; files the builder writes here are stored with the figure."""
    models: ModelRegistry
    device: str
    """'cpu', 'cuda' or 'mps', already resolved."""
    seed: int
    """Seed of python, numpy and torch RNGs (the builder's ``seed`` parameter, else 0)."""
    progress: Progress
    datasets: DatasetRegistry = field(default_factory=lambda: DatasetRegistry({}, Path(".")))
    """Datasets from ``[datasets.NAME]`` that the builder's ``dataset`` parameters name."""
    inputs: dict = field(default_factory=dict)
    """Results of earlier jobs this one builds on (a scan's merged shards); they follow from
    the figure's parameters, so they are not part of its key. Empty when run on its own."""


class ModelRegistry:
    """Models from ``[models.NAME]`` in site.toml, loaded on first use onto the job's device.

    ``shared`` lets the jobs of one long-lived worker (a Ray actor) load each model once: it
    holds models by (name, fingerprint, device), so another file or recipe loads afresh."""

    def __init__(self, specs: dict[str, dict], root: Path, device: str,
                 fingerprints: dict[str, str] | None = None, shared: dict | None = None):
        self.specs, self.root, self.device = specs, root, device
        self.fingerprints = fingerprints or {}
        self._loaded: dict[tuple[str, str, str], Any] = {} if shared is None else shared

    def __getitem__(self, name: str):
        key = (name, self.fingerprints.get(name, ""), self.device)
        if key not in self._loaded:
            from figures.models import load_model

            kind, _, path = self.specs[name]["source"].partition(":")
            if kind == "file" and inside_root(self.root, path) is None:  # site.toml checks it;
                raise ValueError(outside_message("model file", path))  # it may have moved since
            with rngs_kept():
                self._loaded[key] = load_model(self.specs[name], self.root, self.device)
        return self._loaded[key]


class DatasetRegistry:
    """Datasets from ``[datasets.NAME]`` (settings as dicts, with the resolved ``side``),
    opened on use by :func:`figures.datasets.open_dataset`."""

    def __init__(self, specs: dict[str, dict], root: Path):
        self.specs, self.root = specs, root

    def __getitem__(self, name: str):
        from figures.datasets import open_dataset

        return open_dataset(self.specs[name], self.root)


@contextmanager
def rngs_kept() -> Iterator[None]:
    """Leave python's, numpy's and torch's (CPU) RNG as they were: a factory initialises
    weights from them, and a figure must not depend on whether its worker had already loaded
    the model for an earlier job."""
    import random

    import torch

    numpy = sys.modules.get("numpy")
    state = random.getstate(), numpy.random.get_state() if numpy else None
    try:
        with torch.random.fork_rng(devices=[]):
            yield
    finally:
        random.setstate(state[0])
        if numpy:
            numpy.random.set_state(state[1])


# --- builders ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Builder:
    name: str
    fn: Callable[..., FigureOutput]
    module: str
    params: type[BaseModel]
    """Validates and canonicalises the builder's parameters."""
    fields: dict = field(default_factory=dict, compare=False)
    """The parameters as pydantic field definitions, for the directive's options model."""

    @property
    def model_params(self) -> list[str]:
        """Parameters that name a model of the registry (called ``model`` or ``*_model``)."""
        return [p for p in self.params.model_fields if p == "model" or p.endswith("_model")]


def builder(name: str):
    """Mark ``fn(ctx, **params) -> FigureOutput`` as the builder (and directive) ``name``; the
    site's registry collects it when :func:`discover` imports its module."""
    def mark(fn):
        fields = param_fields(name, fn)
        config = ConfigDict(extra="forbid", frozen=True)
        params = create_model(f"{name}-params", __config__=config, **fields)
        fn.__builder__ = Builder(name, fn, fn.__module__, params, fields)
        return fn
    return mark


def param_fields(name: str, fn: Callable) -> dict[str, tuple]:
    """Pydantic fields of ``fn``'s parameters after the context; lists accept ``1, 2, 3``."""
    hints = typing.get_type_hints(fn, include_extras=True)
    fields = {}
    for param in list(inspect.signature(fn).parameters.values())[1:]:
        if param.name in RESERVED:
            raise TypeError(f"builder '{name}': parameter '{param.name}' is a reserved option")
        annotation = hints.get(param.name, Any)
        if typing.get_origin(annotation) in (list, tuple, set):
            annotation = typing.Annotated[annotation, BeforeValidator(_split_list)]
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (annotation, default)
    return fields


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(",", " ").split() if part.strip()]
    return value


def discover(root: Path) -> list[ModuleType]:
    """Import the modules of ``root/figures`` and of the built-in ``figures`` package that
    define builders (generator/registry.py collects their builders); a site module shadows a
    built-in one of the same name.

    Only modules whose source uses ``@builder`` are imported, and builders import torch inside
    their functions: discovery stays cheap and torch-free. Earlier sites' modules are forgotten.
    """
    modules = []
    package = use_package(root) or _load_package([INSTALLED_FIGURES])
    folders = [Path(p) for p in package.__path__]  # the site's first, then the built-in ones
    for name in sorted({info.name for info in pkgutil.iter_modules([str(f) for f in folders])}):
        path = next(p for f in folders if (p := _module_path(f, name)).is_file())
        if _defines_builder(path):
            modules.append(_import(f"{PACKAGE}.{name}", path))  # the site's wins over a built-in
    return modules


def _module_path(folder: Path, name: str) -> Path:
    package = folder / name / "__init__.py"
    return package if package.is_file() else folder / f"{name}.py"


def use_package(root: Path):
    """Make ``root/figures`` the ``figures`` package (extended with the built-in one); None if
    the site has none.

    The package is loaded from its folder, and the site root is never put on ``sys.path``: a
    file there named like an installed module (a ``PIL.py``) must not run instead of it."""
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    site = root / PACKAGE
    if not (site / "__init__.py").is_file():
        return None
    builtin = INSTALLED_FIGURES.is_dir() and INSTALLED_FIGURES != site.resolve()
    return _load_package([site, *([INSTALLED_FIGURES] if builtin else [])])


def _load_package(folders: list[Path]):
    """Import ``folders[0]/__init__.py`` as ``figures``, its submodules found in ``folders``."""
    init = folders[0] / "__init__.py"
    return _reporting(init, lambda: _exec_package(init, folders))


def _exec_package(init: Path, folders: list[Path]):
    spec = importlib.util.spec_from_file_location(
        PACKAGE, init, submodule_search_locations=[str(folder) for folder in folders])
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    try:
        spec.loader.exec_module(package)
    except BaseException:
        del sys.modules[PACKAGE]
        raise
    return package


def _defines_builder(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    if "builder" not in text:  # most modules are research code: no parse needed
        return False
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return True  # import it, so the user sees the syntax error with its line
    return any(isinstance(d, ast.Call) and getattr(d.func, "id", getattr(d.func, "attr", "")) == "builder"
               for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
               for d in node.decorator_list)


def _import(module: str, path: Path):
    return _reporting(path, lambda: importlib.import_module(module))


def _reporting(path: Path, load: Callable[[], Any]):
    """Run an import; an error in research code is the user's to fix, reported at its line."""
    try:
        return load()
    except Exception as exc:  # noqa: BLE001 (any error in research code is the user's to fix)
        frame = next((f for f in reversed(traceback.extract_tb(exc.__traceback__))
                      if Path(f.filename).resolve() == path.resolve()), None)
        line = getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None
        raise SiteError(path, line or (frame.lineno if frame else None),
                        f"cannot import figure builders: {type(exc).__name__}: {exc}") from None


def validate_params(spec: Builder, values: dict) -> tuple[dict, ValidationError | None]:
    try:
        return spec.params.model_validate(values).model_dump(mode="json"), None
    except ValidationError as exc:
        return {}, exc


