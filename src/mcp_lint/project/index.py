"""The project's modules joined: which module each import names, which servers other modules
create, and which functions of each module are handlers because another module registers them.

Built before linting from every file's `ModuleFacts` (project/scan.py), each cached by the file's
content. Each file is then linted with its own `ModuleContext` (the handlers and server
parameters others give it), and its cached results are keyed by the digest of that context, so
editing a module re-lints exactly the files whose context changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mcp_lint.analysis import sdk
from mcp_lint.project.reach import CalleeFacts, roles
from mcp_lint.project.scan import ModuleFacts, scan_checked
from mcp_lint.source.guard import Check
from mcp_lint.source.manifests import ManifestIndex, declared_requirements
from mcp_lint.source.read import content_digest, decode

MAX_SCAN_BYTES = 4 * 1024 * 1024
_MAX_HOPS = 8  # re-exports followed through __init__ modules


@dataclass(frozen=True)
class HandlerDecl:
    """A function registered as a handler by another module (or through a wrapper)."""

    kind: str  # tool / resource / prompt
    form: str  # imported (add_tool/tool()/Tool.from_function of an imported function), wrapper, dispatched
    flavour: str
    via: str  # where it is registered (a path as shown)
    checked: bool = False  # dispatched: the dispatcher examines the result and raises on an error payload


@dataclass
class ModuleContext:
    """What the rest of the project says about one module (plain data)."""

    handlers: dict[str, HandlerDecl] = field(default_factory=dict)  # function qualname -> declaration
    server_params: dict[str, str] = field(default_factory=dict)  # "function qualname:param" -> flavour
    # What the callees of the module's awaited calls do, by descriptor (project/functions.py):
    # "l" reaches a lock shared between calls, "p" paces itself, "i" never suspends ("" none).
    callees: dict[str, str] = field(default_factory=dict)
    # Imported project functions that return the result of an imported callable (a library
    # constructor: `boto3.client`): the dotted name the module calls them by -> that callable.
    returns: dict[str, str] = field(default_factory=dict)
    # Where the module sits: "" on the server path (or the project shows no server), "test" (a
    # test module), "script" (a script, docs or build helper), "off-path" (no server module reaches
    # it through imports, and it starts no server).
    role: str = ""
    # The project's exception classes this module names (as it names them: `LedgerError`,
    # `errors.LedgerError`) -> CLIENT, OWN or WRAPS (see `ProjectIndex._exception_kinds`)
    exceptions: dict[str, str] = field(default_factory=dict)
    # Functions and methods other modules import (their summaries and conditional sinks are
    # facts the project joins flows across modules with).
    exported: set[str] = field(default_factory=set)
    # Functions (and methods) of this module that the handlers of a server run over stdio reach,
    # through calls across modules: qualname -> the module that runs the server (as shown)
    stdio_entries: dict[str, str] = field(default_factory=dict)

    def digest(self) -> str:
        data = [sorted((k, v.kind, v.form, v.flavour, v.via, v.checked) for k, v in self.handlers.items()),
                sorted(self.server_params.items()), sorted(self.callees.items()), sorted(self.returns.items()),
                self.role, sorted(self.exported), sorted(self.stdio_entries.items()), sorted(self.exceptions.items())]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]

    def __bool__(self) -> bool:
        return bool(self.handlers or self.server_params or self.callees or self.returns or self.role or
                    self.exported or self.stdio_entries or self.exceptions)


# What a project exception class is, for the rules about what a tool's errors tell the client.
CLIENT = "client"  # derives from an SDK error meant for the client (ToolError, MCPError, ...)
OWN = "own"  # the project's own class, never built from a caught exception's text
WRAPS = "wraps"  # the project's own class, built somewhere (itself or a subclass) from a caught exception's text


def module_names(path: Path) -> list[str]:
    """Every dotted name the file may be imported as, longest first: `/p/src/pkg/a.py` ->
    ["src.pkg.a", "pkg.a", "a"] (which of them is right depends on how the project runs)."""
    parts = list(path.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    tail: list[str] = []
    for part in reversed(parts):
        if not part.isidentifier():
            break
        tail.insert(0, part)
    return [".".join(tail[i:]) for i in range(len(tail))]


def package_name(path: Path) -> str:
    """The module's package as the file's `__init__.py` chain defines it ("" for a top-level script)."""
    folder = path.parent
    parts: list[str] = []
    while (folder / "__init__.py").exists() and folder.name.isidentifier() and folder != folder.parent:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


class ProjectIndex:
    def __init__(self, facts: dict[Path, ModuleFacts], shown: Callable[[Path], str] = str) -> None:
        self.facts = facts
        self.shown = shown
        self.modules: dict[str, list[Path]] = {}
        for path in facts:
            for name in module_names(path):
                self.modules.setdefault(name, []).append(path)
        self.servers: dict[str, tuple[str, str]] = {}
        self.server_classes: dict[str, tuple[str, str]] = {}
        for path, f in facts.items():
            for name in module_names(path):
                for local, (flavour, ctor) in f.servers.items():
                    self.servers.setdefault(f"{name}.{local}", (flavour, ctor))
                for local, (flavour, base) in f.server_classes.items():
                    self.server_classes.setdefault(f"{name}.{local}", (flavour, base))
        # Method names of the project's classes: a call `x.name(...)` may reach one of them.
        self.method_names = frozenset(m for f in facts.values() for methods in f.classes.values() for m in methods)
        self.contexts: dict[Path, ModuleContext] = {}
        # The parser guard's verdicts on the sources scanned (content digest -> Check): the engine
        # takes them instead of pre-parsing the same bytes again.
        self.checks: dict[str, Check] = {}
        self._packages: dict[Path, str] = {}  # file -> its package (`package_name`), asked per relative import
        self._manifests: ManifestIndex | None = None
        self._join()
        self.callees = CalleeFacts(self)
        for path, f in facts.items():
            found = self.callees.module(path, f)
            if found:
                self._context(path).callees = found
            returned = self.callees.returns(path, f)
            if returned:
                self._context(path).returns = returned
        for path, role in roles(self).items():
            self._context(path).role = role

    # -- lookups the server model makes ---------------------------------------------------------
    @staticmethod
    def _lookup(table: dict[str, tuple[str, str]], qualname: str) -> tuple[str, str] | None:
        name = qualname.lstrip(".")
        parts = name.split(".")
        for i in range(len(parts) - 1):  # longest suffix first; at least module + name
            hit = table.get(".".join(parts[i:]))
            if hit is not None:
                return hit
        return None

    def server(self, qualname: str) -> tuple[str, str] | None:
        return self._lookup(self.servers, qualname)

    def server_class(self, qualname: str) -> tuple[str, str] | None:
        return self._lookup(self.server_classes, qualname)

    def context(self, path: str | Path) -> ModuleContext:
        return self.contexts.get(Path(os.path.abspath(path)), ModuleContext())

    def context_digest(self, path: str | Path) -> str:
        """A digest of everything other modules tell this file: the servers and server classes
        it imports, and its context."""
        path = Path(os.path.abspath(path))
        facts = self.facts.get(path)
        seen = []
        if facts is not None:
            for qual in sorted(set(facts.aliases.values())):
                name = self.absolute(qual, path)
                found = self.server(name) or self.server_class(name)
                if found is not None:
                    seen.append([qual, *found])
        context = self.contexts.get(path)
        data = [seen, context.digest() if context else "", self.requirements(path)]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]

    def requirements(self, path: Path) -> dict[str, tuple[str, ...]] | None:
        """What the manifests governing the file declare (rules read the versions a project
        runs with, so a changed manifest changes the file's results)."""
        if self._manifests is None:
            self._manifests = ManifestIndex()
        try:
            return declared_requirements(self._manifests, path)
        except (OSError, ValueError):
            return None

    def __bool__(self) -> bool:
        return bool(self.servers or self.server_classes or self.contexts)

    # -- what a call in one module reaches in another ------------------------------------------
    def callable_key(self, qualname: str, importer: str | Path) -> str | None:
        """`path::qualname` of the project function or method an imported name denotes (a
        module-level function, or `Class.method`), or None for anything else."""
        found = self.symbol(qualname, Path(os.path.abspath(importer)))
        if found is None:
            return None
        path, local = found
        facts = self.facts[path]
        head, _, rest = local.partition(".")
        if (not rest and head in facts.functions) or (rest and "." not in rest and rest in facts.classes.get(head, ())):
            return f"{path}::{local}"
        return None

    def class_name(self, qualname: str, importer: str | Path) -> str | None:
        """The qualified name of a project class an imported name denotes (None: not one)."""
        found = self.symbol(qualname, Path(os.path.abspath(importer)))
        if found is None:
            return None
        path, local = found
        return qualname if local in self.facts[path].classes else None

    # -- resolving names to modules -------------------------------------------------------------
    def absolute(self, qualname: str, importer: Path) -> str:
        """A relative import (`..tools.search.f`) made absolute from the importing file's package."""
        if not qualname.startswith("."):
            return qualname
        level = len(qualname) - len(qualname.lstrip("."))
        known = self._packages.get(importer)
        if known is None:
            known = self._packages[importer] = package_name(importer)
        package = known.split(".") if known else []
        base = package[: len(package) - (level - 1)] if level > 1 else package
        rest = qualname.lstrip(".")
        return ".".join([*base, rest]) if base else rest

    def symbol(self, qualname: str, importer: Path) -> tuple[Path, str] | None:
        """The (file, qualname within it) an imported name denotes, through re-exports."""
        name = self.absolute(qualname, importer)
        for _ in range(_MAX_HOPS):
            parts = name.split(".")
            found = None
            for i in range(len(parts) - 1, 0, -1):
                candidates = self.modules.get(".".join(parts[:i]))
                if candidates:
                    found = (_closest(candidates, importer), ".".join(parts[i:]))
                    break
            if found is None:
                return None
            path, local = found
            head = local.split(".")[0]
            alias = self.facts[path].aliases.get(head)
            if alias is None or head in _defined_names(self.facts[path]):
                return found
            rest = local[len(head):]
            name = self.absolute(alias + rest, path)  # re-exported: follow the import
            importer = path
        return None

    # -- the join ----------------------------------------------------------------------------
    def _context(self, path: Path) -> ModuleContext:
        return self.contexts.setdefault(path, ModuleContext())

    def _flavour(self, flavour: str, importer: Path) -> str:
        if flavour.startswith("?"):
            found = self.server(self.absolute(flavour[1:], importer)) if len(flavour) > 1 else None
            return found[0] if found else self.facts[importer].sdk_flavour or sdk.UNKNOWN
        return flavour or self.facts[importer].sdk_flavour or sdk.UNKNOWN

    def _declare(self, qualname: str, importer: Path, kind: str, form: str, flavour: str,
                 checked: bool = False) -> None:
        target = self.symbol(qualname, importer)
        if target is None:
            return
        path, local = target
        decl = HandlerDecl(kind, form, self._flavour(flavour, importer), self.shown(importer), checked)
        self._context(path).handlers.setdefault(local, decl)

    def _join(self) -> None:
        wrappers: dict[tuple[Path, str], tuple[str, str]] = {}
        for path, f in self.facts.items():
            for qualname, kind, flavour in f.wrappers:
                wrappers[(path, qualname)] = (kind, self._flavour(flavour, path))
        for path, f in self.facts.items():
            for qual, kind, flavour in f.registrations:
                self._declare(qual, path, kind, "imported", flavour)
            for qual in f.dispatched:
                self._declare(qual, path, "tool", "dispatched", sdk.LOWLEVEL, checked=qual in f.checked_results)
            for decorator, qualname in f.wrapped:
                target = self.symbol(decorator, path) if "." in decorator or decorator in f.aliases else \
                    (path, decorator)
                if target is not None and target in wrappers:
                    kind, flavour = wrappers[target]
                    self._context(path).handlers.setdefault(qualname, HandlerDecl(kind, "wrapper", flavour,
                                                                                   self.shown(target[0])))
            for qualname, param, _kind in f.server_params:
                # used as a server, but the flavour is assumed from the module's imports ("~")
                # until a call that hands it a known server decides it
                self._context(path).server_params.setdefault(f"{qualname}:{param}",
                                                             "~" + (f.sdk_flavour or sdk.UNKNOWN))
        for path, f in self.facts.items():  # a server handed to a function decides its flavour
            for callee, where, flavour in f.server_passes:
                receiver = self._receiver(callee, where, path, f)
                if receiver is None:
                    continue
                callee_path, local, param = receiver
                key = f"{local}:{param}"
                context = self._context(callee_path)
                if key in context.server_params:
                    context.server_params[key] = self._flavour(flavour, path)
        for path, f in self.facts.items():  # what other modules import of each module
            for local, qual in f.aliases.items():
                module = self.modules.get(self.absolute(qual, path))
                if module:  # `from app import shell`, `import app.db as db`: the whole module
                    target_path = _closest(module, path)
                    if target_path != path:
                        facts = self.facts[target_path]
                        exported = self._context(target_path).exported
                        exported.update(facts.functions)
                        exported.update(f"{c}.{m}" for c, methods in facts.classes.items() for m in methods)
                    continue
                target = self.symbol(qual, path)
                if target is None or target[0] == path:
                    continue
                target_path, name = target
                facts = self.facts[target_path]
                if name in facts.functions:
                    self._context(target_path).exported.add(name)
                elif name in facts.classes:
                    self._context(target_path).exported.update(f"{name}.{m}" for m in facts.classes[name])
        self._join_stdio()
        self._join_exceptions()
        self.contexts = {p: c for p, c in self.contexts.items() if c}

    # -- stdio: the code a stdio server's handlers reach, across modules -------------------------
    def _server_ids(self, ref: str, path: Path, passed: dict) -> set | None:
        """The servers (file, module-level name) a server reference denotes; None when unknown."""
        if not ref:
            return None
        if ref.startswith("param:"):
            _, unit, param = ref.split(":", 2)
            found = passed.get((path, unit, param))
            return set(found) if found else None
        if ref.startswith("="):
            target = self.symbol(ref[1:], path)
            if target is None:
                return None  # not a module of this project: whatever it is, it is unknown here
            return {target} if target[1] in self.facts[target[0]].servers else set()
        return {(path, ref)} if ref in self.facts[path].servers else None

    def _receiver(self, callee: str, where: int | str, path: Path, f: ModuleFacts) -> tuple[Path, str, str] | None:
        """Where a call in `path` hands a value: (module, function qualname, parameter), the
        argument given by position (a method's `self`/`cls` skipped) or keyword; None when the
        callee is not a function of the project."""
        target = self.symbol(callee, path) if callee.split(".")[0] in f.aliases or \
            callee.startswith(".") else (path, callee)
        if target is None:
            return None
        callee_path, local = target
        signature = self.facts[callee_path].signatures.get(local)
        if signature is None:
            return None
        if not isinstance(where, int):
            return callee_path, local, where
        offset = 1 if signature and signature[0] in ("self", "cls") else 0
        if where + offset >= len(signature):
            return None
        return callee_path, local, signature[where + offset]

    def _units_named(self, path: Path, local: str) -> list[str]:
        """The units of a module a name denotes: a function, or every method of a class."""
        table = self._unit_table.get(path)
        if table is None:
            table = self._unit_table[path] = {}
            for unit in self.facts[path].units:
                table.setdefault(unit, []).append(unit)
                if "." in unit:  # a class names its methods
                    table.setdefault(unit.rsplit(".", 1)[0], []).append(unit)
            for name, cls in self.facts[path].instances.items():  # and so does an object of it
                table.setdefault(name, []).extend(table.get(cls, ()))
        return table.get(local, [])

    def _join_stdio(self) -> None:
        self._unit_table: dict[Path, dict[str, list[str]]] = {}
        runs = [(path, ref) for path, f in self.facts.items() for ref in f.stdio_runs]
        if not runs:
            return
        passed: dict[tuple, set] = {}  # (file, unit, parameter) -> servers handed to it
        for path, f in self.facts.items():
            for callee, where, ref in f.server_pass_refs:
                receiver = self._receiver(callee, where, path, f)
                ids = self._server_ids(ref, path, {}) if receiver is not None else None
                if ids:
                    passed.setdefault(receiver, set()).update(ids)
        stdio: dict[tuple, str] = {}  # server -> the module that runs it over stdio
        unknown = ""  # a module that runs some server it does not name over stdio
        for path, ref in runs:
            ids = self._server_ids(ref, path, passed)
            if ids is None:
                unknown = unknown or self.shown(path)
            for server in ids or ():
                stdio.setdefault(server, self.shown(path))
        if not stdio and not unknown:
            return
        fallback = unknown or next(iter(stdio.values()), "")

        def served(ref: str, path: Path) -> str:
            """The module that runs the handler's server over stdio ("" if none does)."""
            ids = self._server_ids(ref, path, passed)
            if ids is None:
                return fallback  # a server this join cannot name: any stdio run may be it
            return next((stdio[s] for s in sorted(ids, key=str) if s in stdio), "")

        work: list[tuple[Path, str, str]] = []
        for path, f in self.facts.items():
            for unit, ref in f.handler_units:
                via = served(ref, path)
                if via:
                    work.extend((path, u, via) for u in self._units_named(path, unit))
            for qual, ref in f.handler_imports:
                via = served(ref, path)
                target = self.symbol(qual, path) if via else None
                if target is not None:
                    work.extend((target[0], u, via) for u in self._units_named(*target))
        seen: set[tuple[Path, str]] = set()
        while work:
            path, unit, via = work.pop()
            if (path, unit) in seen:
                continue
            seen.add((path, unit))
            self._context(path).stdio_entries.setdefault(unit, via)
            facts = self.facts[path]
            for ref in facts.unit_refs.get(unit, ()):
                if ref.startswith("="):
                    target = self.symbol(ref[1:], path)
                    if target is not None and target[0] in self.facts:
                        work.extend((target[0], u, via) for u in self._units_named(*target))
                else:
                    work.extend((path, u, via) for u in self._units_named(path, ref))


    def _class(self, name: str, path: Path) -> tuple[Path, str] | None:
        """The project exception class a name recorded by the scan of `path` denotes: a class of
        that module (as written), or one of another module (qualified through the imports)."""
        if name in self.facts[path].exception_classes:
            return path, name
        found = self.symbol(name, path)
        if found is not None and found[1] in self.facts[found[0]].exception_classes:
            return found
        return None

    def _module(self, qualname: str, importer: Path) -> Path | None:
        """The project module an imported name denotes, when it is a module (`from . import errors`)."""
        candidates = self.modules.get(self.absolute(qualname, importer))
        return _closest(candidates, importer) if candidates else None

    def _exception_kinds(self) -> dict[tuple[Path, str], str]:
        """Every exception class of the project: CLIENT when it derives from an SDK error class,
        else WRAPS when a construction of it or of a subclass anywhere in the project carries a
        caught exception's text, else OWN (its messages are the project's own)."""
        bases: dict[tuple[Path, str], list] = {}
        for path, f in self.facts.items():
            for name, written in f.exception_classes.items():
                bases[(path, name)] = [self._class(b, path) or b for b in written]
        kinds: dict[tuple[Path, str], str] = {}

        def client(key, seen=()) -> bool:
            for b in bases.get(key, ()):
                if isinstance(b, str):
                    if b.rsplit(".", 1)[-1] in sdk.CODED_ERRORS:
                        return True
                elif b not in seen and client(b, (*seen, key)):
                    return True
            return False

        # A construction wraps when the exception it carries the text of may be a library's or
        # Python's: not a value error (whose text describes a value) nor the project's own class
        # that wraps nothing itself. Subclasses count for their bases (`except Base` catches
        # them), so a class is wrapped when it or any subclass is; repeat until nothing changes.
        sites = [(found, [(c, path) for c in caught]) for path, f in self.facts.items()
                 for callee, caught in f.wraps_caught if (found := self._class(callee, path)) is not None]
        wrapped: set[tuple[Path, str]] = set()
        changed = True
        while changed:
            changed = False
            for target, caught in sites:
                if target in wrapped or not any(self._foreign_text(c, path, wrapped, client) for c, path in caught):
                    continue
                pending = [target]
                while pending:
                    key = pending.pop()
                    if key in wrapped:
                        continue
                    wrapped.add(key)
                    changed = True
                    pending += [b for b in bases.get(key, ()) if not isinstance(b, str)]
        for key in bases:
            kinds[key] = CLIENT if client(key) else WRAPS if key in wrapped else OWN
        return kinds

    def _foreign_text(self, caught: str, path: Path, wrapped: set, client: Callable) -> bool:
        """May an exception caught as `caught` (a name recorded in `path`) carry text the
        project did not write?"""
        if caught.rsplit(".", 1)[-1] in _VALUE_ERRORS:
            return False
        found = self._class(caught, path)
        return found is None or (found in wrapped and not client(found))

    def _join_exceptions(self) -> None:
        kinds = self._exception_kinds()
        if not kinds:
            return
        by_module: dict[Path, list[str]] = {}
        for path, name in kinds:
            by_module.setdefault(path, []).append(name)
        for path, f in self.facts.items():
            seen: dict[str, str] = {}
            for name in f.exception_classes:
                seen[name] = kinds[(path, name)]
            for alias, qual in f.aliases.items():
                if alias in f.exception_classes:
                    continue
                module = self._module(qual, path)
                if module is not None:  # `from . import errors`: errors.LedgerError
                    for name in by_module.get(module, ()):
                        seen[f"{alias}.{name}"] = kinds[(module, name)]
                    continue
                found = self.symbol(qual, path)
                if found is not None and found in kinds:
                    seen[alias] = kinds[found]
            if seen:
                self._context(path).exceptions.update(seen)


# Exceptions about a bad value: their text describes the value (as MCP303 reads them).
_VALUE_ERRORS = frozenset({"ValueError", "TypeError", "KeyError", "IndexError", "LookupError", "JSONDecodeError",
                           "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError", "ArithmeticError",
                           "ZeroDivisionError", "OverflowError", "ValidationError"})


def _defined_names(facts: ModuleFacts) -> set[str]:
    return set(facts.defined)


def _closest(candidates: list[Path], importer: Path) -> Path:
    """Of files that share a module name, the one nearest the importing file."""
    if len(candidates) == 1:
        return candidates[0]
    return max(candidates, key=lambda p: len(os.path.commonpath([str(p), str(importer)])))


# -- building it, with the scan cached by content -------------------------------------------------

def read_facts(path: Path, cache: dict | None = None, checks: dict[str, Check] | None = None) -> ModuleFacts | None:
    """The facts of one file: from `cache` (content digest -> plain facts) when it has them. A file
    scanned here leaves the parser guard's verdict in `checks` (content digest -> Check)."""
    read = _read(path)
    if read is None:
        return None
    digest, data = read
    if cache is not None and digest in cache:
        try:
            return ModuleFacts.from_plain(cache[digest])
        except (KeyError, TypeError, ValueError):
            pass
    scanned = _scan(data)
    if scanned is None:
        return None
    facts, check = scanned
    if checks is not None:
        checks[digest] = check
    if cache is not None:
        cache[digest] = facts.to_plain()
    return facts


def _read(path: Path) -> tuple[str, bytes] | None:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # a FIFO or device named *.py would block the read
        with open(path, "rb") as fh:
            data = fh.read(MAX_SCAN_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_SCAN_BYTES:
        return None
    return content_digest(data), data


def _scan(data: bytes) -> tuple[ModuleFacts, Check] | None:
    text, _, _ = decode(data)
    return scan_checked(text) if text is not None else None


# Fewer files than this are scanned in this process: starting workers would cost more.
PARALLEL_SCAN_FILES = 64


def build(files: Iterable[Path], cache: dict | None = None, shown: Callable[[Path], str] = str,
          jobs: int = 1) -> ProjectIndex:
    """The project index of `files`; with `jobs` > 1, the files the cache does not know are scanned
    by that many worker processes (the facts are plain data; the join is this process's)."""
    paths = [Path(os.path.abspath(path)) for path in files]
    scanned = _scan_in_workers(paths, cache, jobs) if jobs > 1 and len(paths) >= PARALLEL_SCAN_FILES else {}
    facts = {}
    checks: dict[str, Check] = {}
    for path in paths:
        done = scanned.get(path)
        if done is not None:
            digest, found, check = done
            checks[digest] = check
            if cache is not None:
                cache[digest] = found.to_plain()
        else:
            found = read_facts(path, cache, checks)
        if found is not None:
            facts[path] = found
    index = ProjectIndex(facts, shown)
    index.checks = checks
    return index


def _scan_in_workers(paths: list[Path], cache: dict | None, jobs: int) -> dict[Path, tuple[str, ModuleFacts, Check]]:
    """path -> (digest, facts, verdict) for the files the cache does not know, scanned in `jobs`
    forked processes; {} where processes cannot be forked or fail (this process scans them)."""
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return {}  # forking a process that runs threads (an editor's, a watch loop's) may deadlock
    known = frozenset(cache) if cache else frozenset()
    chunks = [paths[i::jobs * 4] for i in range(jobs * 4)]
    out: dict[Path, tuple[str, ModuleFacts, Check]] = {}
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_know, initargs=(known,)) as pool:
            for part in pool.map(_scan_chunk, chunks):
                out.update(part)
    except (BrokenProcessPool, OSError, RuntimeError, MemoryError):
        return {}
    return out


_KNOWN: frozenset[str] = frozenset()  # in a scan worker: the digests the facts cache holds


def _know(known: frozenset[str]) -> None:
    global _KNOWN
    _KNOWN = known


def _scan_chunk(paths: list[Path]) -> dict[Path, tuple[str, ModuleFacts, Check]]:
    out = {}
    for path in paths:
        read = _read(path)
        if read is None or read[0] in _KNOWN:
            continue
        scanned = _scan(read[1])
        if scanned is not None:
            out[path] = (read[0], *scanned)
    return out
