"""Two joins over the project's per-module facts, for the rules that weigh where code runs:

- `CalleeFacts`: what the callee of an awaited call does (project/functions.py), resolved across
  modules: `self.m()` through the class and its project bases, `mod.f()`/`f()` through imports,
  `obj.m()` (an unknown receiver) through every async method of that name in the project; `self.m()`
  also reaches the overrides of `m` in the project's subclasses (self may be one of them).
  Flags of a descriptor: `l` a callee holds, or reaches through the calls it awaits (three levels,
  leaving out set-up and tear-down calls: `initialize`, `_ensure_*`, `connect`, `close`...), a lock
  shared between calls; `p` a callee paces itself, or reaches a call that does; `i` every
  callee is an `async def` that never suspends and works on nothing outside itself (no `with`,
  no call on an attribute of `self` but its logger): pure computation; `f` every callee's own
  suspensions are local file I/O, and so are those of the project functions it awaits; `q` every
  callee only hands work to a queue.
- `roles`: where each module sits. The server path starts at the modules that serve (create a
  server, register or define handlers, start a server of another module) and the modules whose
  functions other modules register as handlers, and follows imports. Modules that do not serve
  themselves can be test modules (`tests/`, `test_*.py`, `conftest.py`) and scripts (`scripts/`, `docs/`, `setup.py`, `noxfile.py`,
  `run_tests.py`) are named by their path below the project's root (the nearest directory with
  `pyproject.toml`, `setup.py`, `setup.cfg` or `.git`); a module the server path does not reach is
  "off-path". A project with no serving module has no server path: nothing is off it.
"""

from __future__ import annotations

import os
from pathlib import Path

from mcp_lint.project.functions import SETUP_NAME

_DEPTH = 3  # call levels followed from the awaited callee
_LIFECYCLE = SETUP_NAME
_TEST_DIRS = frozenset({"tests", "test", "testing"})
_SCRIPT_DIRS = frozenset({"scripts", "docs", "doc"})
_SCRIPT_FILES = frozenset({"setup.py", "noxfile.py", "run_tests.py", "conftest.py", "fabfile.py"})


class CalleeFacts:
    def __init__(self, index) -> None:
        self.index = index
        self.facts = index.facts
        self.by_name: dict[str, list[tuple[Path, str]]] = {}
        for path, f in self.facts.items():
            for qual, (flags, _calls, _returns) in f.function_facts.items():
                if "." in qual and "a" in flags:
                    self.by_name.setdefault(qual.rsplit(".", 1)[1], []).append((path, qual))
        self.memo: dict[tuple, object] = {}
        # (module, class) -> the project classes that name it as a base
        self.subclasses: dict[tuple[Path, str], list[tuple[Path, str]]] = {}
        for path, f in self.facts.items():
            for cls, bases in f.class_bases.items():
                for base in bases:
                    found = self.base_class(path, base)
                    if found is not None:
                        self.subclasses.setdefault(found, []).append((path, cls))

    # -- resolution ---------------------------------------------------------------------------
    def targets(self, desc: str, path: Path) -> list[tuple[Path, str]]:
        key = ("t", desc, path)
        if key not in self.memo:
            self.memo[key] = self._targets(desc, path)
        return self.memo[key]  # type: ignore[return-value]

    def _targets(self, desc: str, path: Path) -> list[tuple[Path, str]]:
        kind, _, rest = desc.partition(":")
        if kind == "s":
            cls, _, name = rest.partition(":")
            found = self.method(path, cls, name, 0)
            if found is None:
                return self.by_name.get(name, [])  # a mixin's call to a method another base defines
            return [found, *self.overrides(path, cls, name)]
        if kind == "m":
            return self.by_name.get(rest, [])
        if kind != "d":
            return []
        return self.local(path, rest, 0)

    def local(self, path: Path, rest: str, depth: int) -> list[tuple[Path, str]]:
        """What `rest` (`f`, `Class.m`, `instance.m`, `alias.f`) denotes in the module at `path`."""
        f = self.facts[path]
        head, _, tail = rest.partition(".")
        if head in f.function_facts and not tail:
            return [(path, head)]
        if tail and "." not in tail:
            cls = (path, head) if head in f.class_bases else self.instance_class(path, head)
            if cls is not None:
                where, name = cls
                found = self.method(where, name, tail, 0)
                return [found] if found is not None else []
        alias = f.aliases.get(head)
        if alias is None or depth > 4:
            return []
        target = self.index.symbol(alias + (f".{tail}" if tail else ""), path)
        if target is None:
            return []
        where, local = target
        if where == path and local == rest:
            return []
        return self.local(where, local, depth + 1)

    def instance_class(self, path: Path, name: str) -> tuple[Path, str] | None:
        """`scorer = Scorer()` at module level: the class `scorer` is an instance of."""
        f = self.facts[path]
        ctor = f.instances.get(name)
        if ctor is None:
            return None
        if ctor in f.class_bases:
            return path, ctor
        head = ctor.split(".")[0]
        if head in f.aliases:
            target = self.index.symbol(f.aliases[head] + ctor[len(head):], path)
            if target is not None and target[1] in self.facts[target[0]].class_bases:
                return target
        return None

    def overrides(self, path: Path, cls: str, name: str) -> list[tuple[Path, str]]:
        """`self.name()` in a class runs the override of a subclass when self is one."""
        out: list[tuple[Path, str]] = []
        seen: set[tuple[Path, str]] = set()
        stack = list(self.subclasses.get((path, cls), ()))
        while stack and len(seen) < 64:
            where, sub = stack.pop()
            if (where, sub) in seen:
                continue
            seen.add((where, sub))
            if f"{sub}.{name}" in self.facts[where].function_facts:
                out.append((where, f"{sub}.{name}"))
            stack.extend(self.subclasses.get((where, sub), ()))
        return out

    def base_class(self, path: Path, base: str) -> tuple[Path, str] | None:
        """The project class a base name (as written in `path`) denotes."""
        f = self.facts[path]
        if base in f.class_bases:
            return path, base
        head = base.split(".")[0]
        if head in f.aliases:
            target = self.index.symbol(f.aliases[head] + base[len(head):], path)
            if target is not None and target[1] in self.facts[target[0]].class_bases:
                return target
        return None

    def method(self, path: Path, cls: str, name: str, depth: int) -> tuple[Path, str] | None:
        """`cls.name` in `path`, else in its bases (resolved through imports), depth-first."""
        f = self.facts.get(path)
        if f is None or depth > 6:
            return None
        if f"{cls}.{name}" in f.function_facts:
            return path, f"{cls}.{name}"
        for base in f.class_bases.get(cls, ()):
            target = self.base_class(path, base)
            found = self.method(target[0], target[1], name, depth + 1) if target is not None else None
            if found is not None:
                return found
        return None

    # -- flags --------------------------------------------------------------------------------
    def function_flags(self, path: Path, qual: str, depth: int = 0) -> str:
        key = ("f", path, qual, depth)
        if key in self.memo:
            return self.memo[key]  # type: ignore[return-value]
        self.memo[key] = ""  # a recursive call adds nothing
        own, calls, _returns = self.facts[path].function_facts[qual]
        locks, paces = "l" in own, "p" in own
        files = "s" in own and "F" in own
        for desc in calls:
            setup = _LIFECYCLE.match(desc.rsplit(":", 1)[-1].rsplit(".", 1)[-1])
            found = self.targets(desc, path) if depth < _DEPTH else []
            if not found:
                files = False
            for where, callee in found:
                flags = self.function_flags(where, callee, depth + 1)
                if not setup:  # set-up and tear-down run once: their locks do not serialise the work
                    locks = locks or "l" in flags
                    paces = paces or "p" in flags
                files = files and ("f" in flags or "n" in flags)  # a callee that never suspends adds nothing
        idle = "a" in own and "s" not in own and "w" not in own
        out = ("l" if locks else "") + ("p" if paces else "") + ("i" if idle else "") + \
            ("f" if files else "") + ("q" if "q" in own else "") + ("n" if "s" not in own else "")
        self.memo[key] = out
        return out

    def flags(self, desc: str, path: Path) -> str:
        found = self.targets(desc, path)
        if not found:
            return ""
        each = [self.function_flags(where, qual) for where, qual in found]
        out = ""
        if any("l" in f for f in each):
            out += "l"
        if any("p" in f for f in each):
            out += "p"
        for flag in "ifq":
            if all(flag in f for f in each):
                out += flag
        return out

    def module(self, path: Path, facts) -> dict[str, str]:
        """Every descriptor the module awaits -> its flags ("" when the callee does none of it, so
        a rule knows which form the project resolved)."""
        out: dict[str, str] = {}
        for _flags, calls, _returns in facts.function_facts.values():
            for desc in calls:
                if desc not in out:
                    out[desc] = self.flags(desc, path)
        return out

    def returns(self, path: Path, facts) -> dict[str, str]:
        """Imported project functions that return what an imported callable made, by the dotted
        name the module calls them with (`get_client`, `aws.get_client`) -> that callable."""
        out: dict[str, str] = {}
        for local, qual in facts.aliases.items():
            target = self.index.symbol(qual, path)
            if target is None:
                continue
            where, name = target
            functions = self.facts[where].function_facts
            if name in functions and functions[name][2]:
                out[local] = functions[name][2]
        for local, qual in facts.aliases.items():  # `from . import aws` then `aws.get_client()`
            module = self.index.modules.get(self.index.absolute(qual, path))
            if module and len(module) == 1 and module[0] in self.facts:
                for name, (_f, _c, rtype) in self.facts[module[0]].function_facts.items():
                    if rtype and "." not in name:
                        out[f"{local}.{name}"] = rtype
        return out


def roles(index) -> dict[Path, str]:
    facts = index.facts
    if not facts:
        return {}
    root = project_root(Path(os.path.commonpath([str(p.parent) for p in facts])))
    out: dict[Path, str] = {}
    for path, f in facts.items():
        if f.serves:
            continue  # server code wherever it sits (an example, a fixture)
        parts = path.relative_to(root).parts
        dirs, name = {p.lower() for p in parts[:-1]}, parts[-1].lower()
        if dirs & _TEST_DIRS or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
            out[path] = "test"
        elif dirs & _SCRIPT_DIRS or name in _SCRIPT_FILES:
            out[path] = "script"
    starts = [p for p, f in facts.items() if p not in out and (f.serves or _starts_server(index, p, f))]
    starts += [p for p, c in index.contexts.items() if c.handlers and p not in out]
    if not starts:
        return out
    reached = set(starts)
    queue = list(starts)
    while queue:
        path = queue.pop()
        for name in facts[path].imports:
            absolute = index.absolute(name, path)
            parts = absolute.split(".")
            for i in range(len(parts), 0, -1):  # `import a.b.c` runs a/__init__ and a/b/__init__ too
                target = _module_file(index, ".".join(parts[:i]), path)
                if target is not None and target not in reached:
                    reached.add(target)
                    queue.append(target)
    for path in facts:
        if path not in reached and path not in out:
            out[path] = "off-path"
    return out


_ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def project_root(common: Path) -> Path:
    """Where the project's paths start: the nearest directory (the files' common one, or up to
    four above it) with a project file or a `.git`; else the common directory. A file linted
    alone (`scripts/release.py`) is then still seen as a script of its project."""
    for directory in (common, *list(common.parents)[:4]):
        try:
            if any((directory / marker).exists() for marker in _ROOT_MARKERS):
                return directory
        except OSError:
            break
    return common


def _starts_server(index, path: Path, facts) -> bool:
    return any(index.server(index.absolute(q, path)) is not None for q in facts.runs)


def _module_file(index, name: str, importer: Path) -> Path | None:
    """The project file an imported module name denotes (its package's `__init__` counts too)."""
    candidates = index.modules.get(name)
    if candidates:
        return candidates[0] if len(candidates) == 1 else min(
            candidates, key=lambda p: -len(os.path.commonpath([str(p), str(importer)])))
    return None
