"""The directives, roles and figure builders of one site, on an object made per build
(markdown-it-py's ``md.use()``, Sphinx's ``add_directive(override=False)``).

Decorators (``@directive``, ``@role``, ``@builder``) only mark a function; a :class:`Registry`
collects the marks of the modules it is given: the built-in directive modules
(:func:`register_builtin`), then the builder modules of the site (generator/figures.py's
``discover``). A name registered twice is an error naming both places, never a silent
overwrite; a site's builder module of the same name as a built-in one replaces it on purpose
(``discover`` imports the site's module instead of the built-in one). Two sites built in one
process each get their own registry, so neither sees the other's builders.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from generator.directives import Directive, Role, builder_figure
from generator.errors import SiteError
from generator.figures import Builder, discover

BUILTIN_MODULES = ("generator.directives.admonition", "generator.directives.aside",
                   "generator.directives.cite", "generator.directives.component",
                   "generator.directives.figure",
                   "generator.directives.hover_box", "generator.directives.text_roles",
                   "generator.directives.unit")
"""The modules of the built-in directives and roles (each marks its functions)."""


@dataclass
class Registry:
    directives: dict[str, Directive] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    builders: dict[str, Builder] = field(default_factory=dict)
    origins: dict[tuple[str, str], str] = field(default_factory=dict)
    """(kind, name) → the module that registered it, for the error about a second one."""

    def add_directive(self, spec: Directive, origin: str) -> None:
        self._add("directive", self.directives, spec.name, spec, origin)

    def add_role(self, spec: Role, origin: str) -> None:
        self._add("role", self.roles, spec.name, spec, origin)

    def add_builder(self, spec: Builder) -> None:
        self._add("builder", self.builders, spec.name, spec, spec.module)

    def _add(self, kind: str, table: dict, name: str, spec, origin: str) -> None:
        if name in table:
            first = self.origins[(kind, name)]
            raise SiteError(module_file(origin), None, f"{kind} '{name}' is registered twice: "
                            f"by {first} and by {origin}", f"rename one of the {kind}s")
        table[name] = spec
        self.origins[(kind, name)] = origin

    def collect(self, module: ModuleType) -> None:
        """Register every directive, role and builder that ``module`` marks (a function it
        imports from elsewhere is the same object, registered once)."""
        for value in list(vars(module).values()):
            if not inspect.isfunction(value):
                continue
            for attribute, add in (("__directive__", self.add_directive),
                                   ("__role__", self.add_role)):
                spec = getattr(value, attribute, None)
                if spec is not None and self._new(spec, attribute):
                    add(spec, value.__module__)
            spec = getattr(value, "__builder__", None)
            if spec is not None and self.builders.get(spec.name) is not spec:
                self.add_builder(spec)

    def _new(self, spec, attribute: str) -> bool:
        table = self.directives if attribute == "__directive__" else self.roles
        return table.get(spec.name) is not spec


def module_file(module: str) -> str:
    """The file of an imported module (else its name), for an error's path."""
    return getattr(sys.modules.get(module), "__file__", None) or module


def register_builtin(registry: Registry) -> Registry:
    """Add the built-in directives and roles (figure, aside, cite, ref, unit) to ``registry``."""
    for name in BUILTIN_MODULES:
        registry.collect(importlib.import_module(name))
    return registry


def builtin_registry() -> Registry:
    """A registry of the built-in directives and roles alone (no site's builders)."""
    return register_builtin(Registry())


def builder_registry(root: Path) -> Registry:
    """The builders of the site at ``root`` (its ``figures/`` package and the built-in one)."""
    registry = Registry()
    for module in discover(root):
        registry.collect(module)
    return registry


def site_registry(root: Path) -> Registry:
    """Everything the site at ``root`` may use in Markdown: the built-in directives and roles,
    its builders, and one directive per builder (generator/directives/builder_figure.py)."""
    registry = register_builtin(builder_registry(root))
    builder_figure.register_all(registry)
    return registry
