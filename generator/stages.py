"""An ordered list of named pipeline stages (markdown-it-py's ``Ruler``): commands pick and
change stages by name — ``thread check`` swaps the figures stage and drops writing, ``figures
list`` stops after resolve — instead of slicing a list by position."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

Stage = Callable[[Any], None]


@dataclass(frozen=True)
class Rule:
    name: str
    fn: Stage
    enabled: bool = True


class Stages:
    """Named stages in order; iterating gives the enabled ``(name, fn)`` pairs. Every method
    returns a new list, so a command's variant never changes the build's own."""

    def __init__(self, rules: list[tuple[str, Stage]] | list[Rule]):
        self.rules = [r if isinstance(r, Rule) else Rule(*r) for r in rules]
        names = [r.name for r in self.rules]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate stage names: {names}")

    def __iter__(self) -> Iterator[tuple[str, Stage]]:
        return iter([(r.name, r.fn) for r in self.rules if r.enabled])

    def names(self) -> list[str]:
        return [name for name, _ in self]

    def _index(self, name: str) -> int:
        for index, rule in enumerate(self.rules):
            if rule.name == name:
                return index
        raise KeyError(f"no stage named '{name}'")

    def _with(self, rules: list[Rule]) -> Stages:
        return Stages(rules)

    def at(self, name: str, fn: Stage) -> Stages:
        """The same stages with ``name`` run by ``fn``."""
        rules = list(self.rules)
        rules[self._index(name)] = replace(rules[self._index(name)], fn=fn)
        return self._with(rules)

    def before(self, name: str, new: str, fn: Stage) -> Stages:
        rules = list(self.rules)
        rules.insert(self._index(name), Rule(new, fn))
        return self._with(rules)

    def after(self, name: str, new: str, fn: Stage) -> Stages:
        rules = list(self.rules)
        rules.insert(self._index(name) + 1, Rule(new, fn))
        return self._with(rules)

    def push(self, new: str, fn: Stage) -> Stages:
        return self._with([*self.rules, Rule(new, fn)])

    def disable(self, *names: str) -> Stages:
        for name in names:
            self._index(name)
        return self._with([replace(r, enabled=False) if r.name in names else r
                           for r in self.rules])

    def enable(self, *names: str) -> Stages:
        for name in names:
            self._index(name)
        return self._with([replace(r, enabled=True) if r.name in names else r
                           for r in self.rules])

    def only(self, *names: str) -> Stages:
        """These stages alone (in the build's order), the others disabled."""
        return self.disable(*(r.name for r in self.rules if r.name not in names)) \
            .enable(*names)
