"""All known rules (built-in packs plus the user's) and rule selection.

Selectors work as in ruff: `ALL`, an id (`MCP101`), an id prefix (`MCP1`), a rule name
(`sql-string-formatting`) or a pack name (`security`). For each rule the most specific
matching selector decides; at equal specificity `ignore` wins. MCP001 (parse errors) stays
on unless it is ignored by its exact id or name: a file that cannot be read must not pass
silently.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from mcp_lint.model.rules import Pack, Rule
from mcp_lint.model.errors import PackError
from mcp_lint.packs.loader import load_pack
from mcp_lint.model.selection import Layer


class SelectorError(ValueError):
    pass


def builtin_pack_dir() -> Path:
    """The packs shipped in the wheel (`mcp_lint/rules`), else those of a source checkout."""
    beside = Path(__file__).resolve().parents[1] / "rules"
    if beside.is_dir():  # an ordinary installation: no need for importlib.resources
        return beside
    try:
        packaged = Path(str(resources.files("mcp_lint") / "rules"))
        if packaged.is_dir():
            return packaged
    except (ModuleNotFoundError, TypeError):  # pragma: no cover
        pass
    return Path(__file__).resolve().parents[3] / "rules"


def builtin_pack_paths() -> list[Path]:
    return sorted(builtin_pack_dir().glob("*.yaml"))


@dataclass(frozen=True)
class Registry:
    packs: tuple[Pack, ...]

    @functools.cached_property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(sorted((r for p in self.packs for r in p.rules), key=lambda r: r.id))

    @functools.cached_property
    def by_key(self) -> dict[str, Rule]:
        out = {}
        for rule in self.rules:
            out[rule.id] = rule
            out[rule.name] = rule
        return out

    def get(self, code_or_name: str) -> Rule | None:
        return self.by_key.get(code_or_name) or self.by_key.get(code_or_name.upper())

    def all_codes(self) -> frozenset[str]:
        """Every rule id and rule name, enabled or not (suppression comments name either)."""
        return frozenset(r.id for r in self.rules) | frozenset(r.name for r in self.rules)

    # -- selection ------------------------------------------------------------------------------
    def specificity(self, selector: str, rule: Rule) -> int | None:
        """How specifically `selector` names `rule` (None: not at all)."""
        if selector == "ALL":
            return 0
        if selector in (rule.id, rule.name):
            return 100
        if selector == rule.pack:
            return 1
        upper = selector.upper()
        if upper != rule.id and rule.id.startswith(upper) and upper[:1].isalpha():
            return len(upper)
        return None

    def check_selectors(self, selectors: Iterable[str], option: str) -> None:
        for sel in selectors:
            if not any(self.specificity(sel, r) is not None for r in self.rules):
                raise SelectorError(f"{option}: unknown rule selector '{sel}'")

    def select(self, select: Sequence[str] | None = None, ignore: Sequence[str] = (),
               extend_select: Sequence[str] = ()) -> list[Rule]:
        return self.select_layers([Layer(select, tuple(ignore), tuple(extend_select))])

    def select_layers(self, layers: Sequence[Layer]) -> list[Rule]:
        """Apply selection layers in order (configuration, then command line), as ruff does: a
        layer's `select` replaces what came before, `extend-select` adds, `ignore` removes;
        within a layer the most specific selector decides and ignore wins ties."""
        for layer in layers:
            self.check_selectors(layer.select or (), "select")
            self.check_selectors(layer.ignore, "ignore")
            self.check_selectors(layer.extend_select, "extend-select")
        enabled = {r.id for r in self.rules if r.enabled}
        exact_ignore: set[str] = set()
        for layer in layers:
            selectors = list(layer.select or ()) + list(layer.extend_select)
            base = set() if layer.select is not None else enabled
            now = set()
            for rule in self.rules:
                sel = max((spec for s in selectors if (spec := self.specificity(s, rule)) is not None), default=-1)
                ign = max((spec for s in layer.ignore if (spec := self.specificity(s, rule)) is not None),
                          default=-1)
                if ign == 100:
                    exact_ignore.add(rule.id)
                elif sel == 100:
                    exact_ignore.discard(rule.id)
                if sel > ign:
                    now.add(rule.id)
                elif ign < 0 and rule.id in base:
                    now.add(rule.id)
            enabled = now
        return [r for r in self.rules if r.id in enabled or (
            r.primitive == "parse-error" and r.id not in exact_ignore)]


def load_registry(extra_packs: Iterable[str | Path] = ()) -> Registry:
    builtin = builtin_pack_paths()
    packs = [_cached_builtin(str(p)) for p in builtin]
    builtin_names = {p.name for p in packs}
    resolved = {p.resolve() for p in builtin}
    for path in extra_packs:
        if Path(path).resolve() in resolved:
            continue
        pack = _load(path)
        if pack.name in builtin_names:
            # A pack named like a built-in one replaces it: that is how a built-in pack is
            # developed, or a modified copy of it pinned.
            builtin_names.discard(pack.name)
            packs = [p for p in packs if p.name != pack.name]
        packs.append(pack)
    seen: dict[str, str] = {}
    for pack in packs:
        for rule in pack.rules:
            for key in (rule.id, rule.name):
                if key in seen and seen[key] != pack.path:
                    raise PackError(pack.path, rule.source_line,
                                    f"'{key}' is already defined in {seen[key]}")
                seen[key] = pack.path
    return Registry(tuple(packs))


@functools.lru_cache(maxsize=None)
def _cached_builtin(path: str) -> Pack:
    return _load(path)


def _load(path: str | Path) -> Pack:
    from mcp_lint.packs.cache import load_pack_cached
    return load_pack_cached(path, load_pack)


@functools.lru_cache(maxsize=1)
def default_registry() -> Registry:
    return load_registry()
