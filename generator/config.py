"""``site.toml`` → a validated :class:`Config`. Unknown keys are errors; all problems are reported."""

from __future__ import annotations

import html
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from generator.errors import BuildFailed, SiteError, decode_error, did_you_mean, from_validation
from generator.paths import OUTSIDE_HINT, inside_root, outside_message

CONFIG_NAME = "site.toml"
LINK_SCHEMES = ("http", "https", "mailto")
"""Schemes a link written by an author may use; ``javascript:`` and the like run code."""
URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
INVISIBLE = re.compile(r"[\x00-\x20\x7f]")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
"""A language tag's shape (RFC 3066, which HTML's ``lang`` follows): ``en``, ``de-DE``."""
MAX_LANGUAGE = 24
"""Pagefind 1.x names index files ``{tag}_{hash}`` keeping tag length + 8 hex digits of a hash
that drops leading zeros (37-40 digits): a tag over ~30 characters makes it panic, and its Python
wrapper then waits for ever. 24 leaves room for all but one hash in 16⁹."""


def link_url(value: str | None) -> str | None:
    """Accept only http(s), mailto and relative links, read as a browser reads them (entities
    decoded, control characters and spaces dropped), so ``java&#09;script:`` is caught too."""
    if value is None:
        return value
    scheme = URL_SCHEME.match(INVISIBLE.sub("", html.unescape(value)))
    if scheme and scheme.group(1).lower() not in LINK_SCHEMES:
        raise ValueError(f"{value!r} is not an http(s), mailto: or relative URL")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class Affiliation(Strict):
    name: str
    """Display name, e.g. "OpenAI"."""
    url: str | None = None
    """Link for the affiliation in bylines: http(s), mailto or relative."""

    _url = field_validator("url")(link_url)


class License(Strict):
    name: str = "CC-BY-4.0"
    """Short licence name shown in the Reuse appendix."""
    url: str = "https://creativecommons.org/licenses/by/4.0/"
    """Where the licence text lives: http(s), mailto or relative."""

    _url = field_validator("url")(link_url)


def folder_inside_site(value: str | None, info: ValidationInfo) -> str | None:
    """A folder named in site.toml (theme, store) must lie in the site root: the build reads
    and publishes from it."""
    root = (info.context or {}).get("root")
    if value is not None and root is not None and inside_root(root, value) is None:
        raise ValueError(f"{outside_message('folder', value)} ({OUTSIDE_HINT})")
    return value


class Crossref(Strict):
    depositor_name: str = Field(min_length=1, max_length=130)
    """Who sends the deposit (``thread crossref``), as Crossref knows the account."""
    email: str = Field(min_length=6, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    """Where Crossref sends the deposit's report."""
    registrant: str | None = Field(default=None, min_length=1, max_length=255)
    """The organisation that owns the DOIs; defaults to the journal's name."""
    issn: str | None = Field(default=None, pattern=r"^\d{4}-?\d{3}[\dX]$")
    """The journal's electronic ISSN, if it has one."""


class Theme(Strict):
    accent: str = "#ca0020"
    """Accent colour used for links in the byline and thread navigation."""
    dir: str | None = None
    """A theme folder relative to the site root; defaults to ``theme/`` there, else the built-in theme."""

    _inside = field_validator("dir")(folder_inside_site)

    @field_validator("accent")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", value):
            raise ValueError(f"'{value}' is not a hex colour like #ca0020")
        return value


class Model(Strict):
    source: str
    """Where the model comes from: ``lucent:inceptionv1``, ``torchvision:NAME``, ``file:PATH``
    (relative to the site root) or ``builtin:NAME`` (models shipped in ``figures/models.py``)."""
    weights: str | None = None
    """torchvision weights enum member, e.g. ``IMAGENET1K_V1`` (``torchvision:`` models only)."""
    factory: str | None = None
    """For a ``file:`` state dict, the function that builds the empty model,
    ``python:module:function``; without it the file is loaded as TorchScript."""

    @field_validator("source")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        kind, _, rest = value.partition(":")
        if kind not in ("lucent", "torchvision", "file", "builtin") or not rest:
            raise ValueError(f"'{value}' is not lucent:NAME, torchvision:NAME, file:PATH or "
                             "builtin:NAME")
        return value

    @field_validator("source")
    @classmethod
    def _file_inside_site(cls, value: str, info: ValidationInfo) -> str:
        """The build hashes (and jobs load) a ``file:`` model: it must lie in the site root."""
        kind, _, path = value.partition(":")
        root = (info.context or {}).get("root")
        if kind == "file" and root is not None and inside_root(root, path) is None:
            raise ValueError(f"{outside_message('model file', path)} ({OUTSIDE_HINT})")
        return value


DATASET_KINDS = ("folder", "builtin")
BUILTIN_DATASETS = ("procedural",)


class Dataset(Strict):
    source: str
    """Where the images come from: ``folder:PATH`` (jpg, png and webp files at any depth,
    relative to the site root) or ``builtin:procedural`` (the built-in trained CNN's kind of
    training images: curves, lines, edges and frequency boundaries at known orientations)."""
    size: int | None = Field(default=None, ge=1)
    """``builtin:procedural`` only: how many images (required there)."""
    seed: int = 0
    """``builtin:procedural`` only: the images are a deterministic function of seed and index."""
    resolution: int | None = Field(default=None, ge=8)
    """Side of the square image the model sees (a folder's images are resized, shorter side
    first, then centre-cropped); default 32 for ``builtin:procedural``, 224 for a folder."""
    version: str | None = None
    """A folder's identity for the figure store; without it every file is hashed on every
    build, so set it for huge folders (and change it when their images change)."""
    batch: int = Field(default=64, ge=1)
    """Images per forward pass of a scan: a scan's memory is bounded by this, not by the size."""
    shard: int = Field(default=1024, ge=1)
    """Images per scan job (rounded up to whole batches): the local pool or a Ray cluster runs
    the shards of one scan in parallel."""

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str, info: ValidationInfo) -> str:
        kind, _, rest = value.partition(":")
        if kind not in DATASET_KINDS or not rest or (kind == "builtin"
                                                     and rest not in BUILTIN_DATASETS):
            raise ValueError(f"'{value}' is not folder:PATH or builtin:procedural")
        root = (info.context or {}).get("root")
        if kind == "folder" and root is not None and inside_root(root, rest) is None:
            raise ValueError(f"{outside_message('dataset folder', rest)} ({OUTSIDE_HINT})")
        return value

    @model_validator(mode="after")
    def _options_fit_source(self) -> Dataset:
        procedural = self.source.startswith("builtin:")
        if procedural and self.size is None:
            raise ValueError("builtin:procedural needs size = N (how many images)")
        if not procedural and (self.size is not None or self.seed):
            raise ValueError("size and seed are for builtin:procedural; a folder dataset is "
                             "the images in it")
        if procedural and self.version is not None:
            raise ValueError("version is for folder datasets (builtin:procedural is "
                             "identified by size, seed and resolution)")
        return self

    @property
    def side(self) -> int:
        """The resolution images are scanned at."""
        return self.resolution or (32 if self.source.startswith("builtin:") else 224)


class Figures(Strict):
    store: str = "figures/store"
    """The figure store (commit it), relative to the site root."""
    workers: int | None = Field(default=None, ge=0)
    """Figure jobs run at once; default: one per CPU core; 0 runs them inside the build."""
    device: str = "auto"
    """Torch device for figure jobs: ``auto`` (cuda, then mps, then cpu), ``cpu``, ``cuda``..."""
    executor: Literal["local", "ray"] = "local"
    """Where figure jobs run: ``local`` (processes on this machine) or ``ray`` (a Ray cluster,
    with the ``cluster`` extra; ``workers`` then counts Ray workers, default one per CPU)."""
    ray_address: str | None = None
    """The cluster of ``executor = "ray"``: ``auto`` joins the running one, ``HOST:PORT`` a given
    one; default: start a local Ray instance for the build."""

    _inside = field_validator("store")(folder_inside_site)


ATLAS_ENTRY = re.compile(r"([^/\s:]+)/([^/\s:]+)")
"""``model/layer`` or ``model/*`` (every layer with units, one name per unit)."""


class Units(Strict):
    atlas: list[str] = Field(default_factory=list)
    """Layers whose every unit gets a page and a place on its model's index, referenced or
    not: ``["planted/relu1", "trained/*"]`` (``model/*``: every layer of the model)."""

    @field_validator("atlas")
    @classmethod
    def _model_layer(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            if not ATLAS_ENTRY.fullmatch(entry):
                raise ValueError(f"'{entry}' is not model/layer or model/* (e.g. planted/relu1)")
        return entries

    shard: int = Field(default=64, ge=1)
    """Units per figure job of a layer: shard ``s`` holds units ``s·shard`` to
    ``(s+1)·shard - 1``, whichever of them are referenced, so its store keys never change."""
    dataset: str | None = None
    """A ``[datasets.NAME]`` whose top-activating examples every full unit page (referenced
    units, atlas layers) shows beside its feature visualisation; none by default."""


class Config(Strict):
    title: str
    """The site's name, shown in the header and feeds."""
    description: str = ""
    """One sentence about the site, used on the home page and in feeds."""
    base_url: str
    """Absolute URL the site is published under, e.g. https://example.org/threads/."""
    journal: str | None = None
    """Name used as the journal in article citations; defaults to the site title."""
    repository: str | None = None
    """Source repository URL (http(s), mailto or relative): article history and new issues."""
    branch: str = "main"
    """The repository's default branch, for history links."""
    language: str = "en"
    """Language code for ``<html lang>``."""
    output_dir: str = "_site"
    """Where ``thread build`` writes the site, relative to the site root."""
    license: License = Field(default_factory=License)
    """Licence of text and diagrams."""
    affiliations: dict[str, Affiliation] = Field(default_factory=dict)
    """Affiliations referenced by key from article authors."""
    theme: Theme = Field(default_factory=Theme)
    """Theme options."""
    models: dict[str, Model] = Field(default_factory=dict)
    """Models figure builders may load, by name (``[models.NAME]``)."""
    figures: Figures = Field(default_factory=Figures)
    """Where figures are stored and how their jobs run."""
    units: Units = Field(default_factory=Units)
    """Unit pages beyond the units articles reference (an atlas of whole layers)."""
    datasets: dict[str, Dataset] = Field(default_factory=dict)
    """Image datasets figure builders may scan, by name (``[datasets.NAME]``)."""
    bibliography: list[str] = Field(default_factory=list)
    """Site-wide BibTeX files, relative to the site root; every article may cite them."""
    search: bool = True
    """Build a full-text search index (Pagefind, self-hosted) and show a search box."""
    raw_html: bool = True
    """Allow raw HTML in Markdown; ``false`` makes each HTML block or inline tag an error."""
    crossref: Crossref | None = None
    """Depositor details for ``thread crossref`` (Crossref deposit XML of the articles with a
    DOI); without them that command says what to add."""
    allowed_hosts: list[str] = Field(default_factory=list)
    """Hosts that images and raw HTML may load from, e.g. ``["www.youtube-nocookie.com"]``;
    any other host is an error, so the site stays self-hosted (its own host is always fine)."""

    _links = field_validator("repository")(link_url)

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, hosts: list[str]) -> list[str]:
        for host in hosts:
            if not re.fullmatch(r"[A-Za-z0-9.\-]+", host):
                raise ValueError(f"'{host}' is not a host name like 'www.youtube-nocookie.com' "
                                 "(no scheme, no path)")
        return hosts

    @field_validator("language")
    @classmethod
    def _language_tag(cls, value: str) -> str:
        if len(value) > MAX_LANGUAGE or not LANGUAGE_TAG.fullmatch(value):
            raise ValueError(f"'{value}' is not a language tag like en or de-DE (at most "
                             f"{MAX_LANGUAGE} characters)")
        return value

    @field_validator("base_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not re.match(r"https?://[^/]+", value):
            raise ValueError(f"'{value}' must be an absolute http(s) URL")
        return value if value.endswith("/") else value + "/"

    @property
    def journal_name(self) -> str:
        return self.journal or self.title


def load_config(root: Path) -> Config:
    """Read and validate ``root/site.toml``; raises :class:`BuildFailed` on any problem."""
    rel = Path(CONFIG_NAME)
    text = read_config_text(root)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BuildFailed([toml_error(exc, text)]) from None
    try:
        config = Config.model_validate(data, context={"root": root})
    except ValidationError as exc:
        raise BuildFailed(from_validation(exc, rel, lambda loc: toml_line(text, loc))) from None
    unknown = [SiteError(rel, toml_line(text, ("units", "atlas", i)), f"units.atlas: unknown "
                         f"model '{model}' in '{entry}'",
                         did_you_mean(model, set(config.models)) or
                         f"add [models.{model}] to site.toml")
               for i, entry in enumerate(config.units.atlas)
               for model in [entry.partition("/")[0]] if model not in config.models]
    if config.units.dataset is not None and config.units.dataset not in config.datasets:
        known = sorted(config.datasets)
        unknown.append(SiteError(rel, toml_line(text, ("units", "dataset")), "units.dataset: "
                                 f"unknown dataset '{config.units.dataset}'",
                                 did_you_mean(config.units.dataset, set(known)) or
                                 f"add [datasets.{config.units.dataset}] to site.toml; known: "
                                 f"{', '.join(known) or 'none'}"))
    if unknown:
        raise BuildFailed(unknown)
    return config


def read_config_text(root: Path) -> str:
    """The text of ``root/site.toml`` (a UTF-8 byte order mark is allowed and dropped)."""
    rel = Path(CONFIG_NAME)
    try:
        data = (root / CONFIG_NAME).read_bytes()
    except FileNotFoundError:
        raise BuildFailed([SiteError(rel, None, "no site.toml here",
                                     "run thread in the site's root")]) from None
    except IsADirectoryError:
        raise BuildFailed([SiteError(rel, None, "is a folder, not a file")]) from None
    except OSError as exc:
        raise BuildFailed([SiteError(rel, None, f"cannot read site.toml: {exc.strerror}")]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BuildFailed([decode_error(rel, exc)]) from None


def toml_error(exc: tomllib.TOMLDecodeError, text: str) -> SiteError:
    """A TOML syntax error at its line; "at end of document" is the last line."""
    rel, message = Path(CONFIG_NAME), str(exc)
    found = re.search(r" \(at line (\d+), column \d+\)$", message)
    if found:
        return SiteError(rel, int(found.group(1)), message[: found.start()])
    if message.endswith(" (at end of document)"):  # tomllib counts lines by "\n" alone
        return SiteError(rel, text.rstrip("\n").count("\n") + 1,
                         message.removesuffix(" (at end of document)"))
    return SiteError(rel, None, message)


def config_line(root: Path, loc: tuple) -> int | None:
    """Line of a key path in ``root/site.toml``, for problems found after loading it."""
    try:
        return toml_line(read_config_text(root), loc)
    except BuildFailed:
        return None


def toml_line(text: str, loc: tuple) -> int:
    """Line of a key path in valid TOML text: the statement or table header that holds most of
    it (a missing key: its table's header), else line 1."""
    best, line = 0, 1
    for header, data, number in _statements(text):
        depth = _common(loc, header)
        if data is not None:  # a statement counts for what it holds, not for its table
            steps = _steps(data, loc[depth:]) if depth == len(header) else 0
            depth = depth + steps if steps else 0
        if depth > best:
            best, line = depth, number
    return line


def _common(loc: tuple, path: tuple) -> int:
    """How many leading parts ``loc`` and ``path`` share."""
    count = 0
    for ours, theirs in zip(loc, path):
        if ours != theirs:
            break
        count += 1
    return count


def _steps(data: object, loc: tuple) -> int:
    """How far ``loc`` reaches into ``data`` (dicts by key, lists by index)."""
    count = 0
    for part in loc:
        listed = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (listed or isinstance(data, dict) and part in data):
            break
        data, count = data[part], count + 1
    return count


@lru_cache(maxsize=4)
def _statements(text: str) -> tuple[tuple[tuple, dict | None, int], ...]:
    """Each table header and key/value statement: (its table's key path, the statement as
    tomllib reads it alone or None for a header, its first line). tomllib keeps no positions,
    so each statement is handed to it on its own: the first run of lines it accepts is one
    statement (a multi-line string or array is unfinished until its last line). Quoting,
    escapes, dotted and Unicode keys are thus read by tomllib itself."""
    lines = text.replace("\r\n", "\n").split("\n")  # as tomllib counts lines
    found: list[tuple[tuple, dict | None, int]] = []
    header: tuple = ()
    arrays: dict[tuple, int] = {}  # array-of-tables path → elements so far
    index = 0
    while index < len(lines):
        start, chunk = index, lines[index]
        while (data := _loads(chunk)) is None:
            index += 1
            if index == len(lines):
                return tuple(found)
            chunk += "\n" + lines[index]
        index += 1
        if not data:  # blank or comment
            continue
        if lines[start].lstrip().startswith("["):
            header = _table_path(data, arrays)
            found.append((header, None, start + 1))
        else:
            found.append((header, data, start + 1))
    return tuple(found)


def _loads(chunk: str) -> dict | None:
    try:
        return tomllib.loads(chunk)
    except tomllib.TOMLDecodeError:
        return None


def _table_path(data: dict, arrays: dict[tuple, int]) -> tuple:
    """The key path a header read alone names (``[a.b]`` → ``{"a": {"b": {}}}``), with the index
    of the current element of each array of tables on the way (``[[a]]`` adds one)."""
    path: tuple = ()
    node: object = data
    while isinstance(node, dict) and len(node) == 1:
        key, node = next(iter(node.items()))
        path += (key,)
        if isinstance(node, list):  # [[...]]: a new element
            arrays[path] = arrays.get(path, 0) + 1
            return path + (arrays[path] - 1,)
        if path in arrays:
            path += (arrays[path] - 1,)
    return path
