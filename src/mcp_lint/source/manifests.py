"""Dependency manifests: which `pyproject.toml` / `requirements*.txt` governs a source file,
and what it requires, each requirement with its own location.

Project rules report in these files, so a requirement keeps the exact span of its text
(1-based lines, code-point columns, character offsets like every other `Span`) and the
manifest keeps its text and comments: suppressions, fingerprints and every reporter then
work on a manifest as they do on a Python file.

- **Governing manifest.** From a file's directory upwards, the first directory that holds
  a project declaration governs it: a `pyproject.toml` with a `[project]` or
  `[tool.poetry]` table, any `requirements*.txt`, or a `setup.py` / `setup.cfg` (a project
  root whose dependencies are not read here, which stops the search so an unrelated parent
  project is never blamed). A `pyproject.toml` holding only tool settings does not stop the
  search. Neither does anything above a repository root (`.git`).
- **Requirements.** PEP 621 `[project] dependencies` and `optional-dependencies`, Poetry's
  `[tool.poetry.dependencies]` (`^`, `~`, `*`, `||` constraints), and requirements files
  (comments, line continuations, pip options and `--hash` skipped). PEP 508 strings are
  parsed with `packaging`, the reference implementation of the specifier grammar; TOML
  values come from `tomllib`, and a small scanner finds where each value is written.
- **Bounds.** `admits_from(dep, major)` says whether a requirement lets the resolver pick
  version `major.0` or later, from the upper bounds of its specifiers (`<`, `<=`, `==`,
  `==X.*`, `~=`, `===`); pre-releases are not considered (`<2` excludes `2.0rc1` too).
  `admits_before(dep, major)` says whether it allows an earlier version, from its lower bounds.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from mcp_lint.model.findings import Span
from mcp_lint.source import toml
from mcp_lint.source.lines import LineTable

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

PYPROJECT = "pyproject.toml"
MAX_MANIFEST_BYTES = 1024 * 1024
_REQUIREMENTS = re.compile(r"requirements.*\.txt\Z")
_OTHER_ROOTS = ("setup.py", "setup.cfg")
_REPOSITORY_MARKERS = (".git", ".hg")


@dataclass(frozen=True)
class Dependency:
    """One requirement as written in a manifest."""

    name: str  # canonical distribution name (`mcp`, `fastmcp`)
    text: str  # the requirement as written, e.g. `mcp[cli]>=1.1`
    alternatives: tuple[SpecifierSet, ...]  # any one may be chosen (Poetry `||`); one for PEP 508
    span: Span  # where it is written (the string literal, the Poetry entry, the requirements line)
    section: str  # `project.dependencies`, `tool.poetry.dependencies`, `requirements`, ...
    requirement: Requirement | None = None  # the PEP 508 parse, when the text is PEP 508


@dataclass(frozen=True)
class Comment:
    line: int
    col: int  # 1-based column of the `#`
    text: str
    own_line: bool


@dataclass(frozen=True)
class Manifest:
    path: Path
    kind: str  # "pyproject" | "requirements"
    text: str
    dependencies: tuple[Dependency, ...]
    comments: tuple[Comment, ...]

    def requiring(self, name: str) -> list[Dependency]:
        return [d for d in self.dependencies if d.name == name]


# -- finding the governing manifests ------------------------------------------------------------

class ManifestIndex:
    """Governing manifests per directory, each manifest read and parsed once per run.

    A governing manifest that cannot be read as what it is (invalid TOML, arrays nested
    thousands deep, larger than MAX_MANIFEST_BYTES) governs nothing and is listed in
    `problems` (path -> (line or None, what is wrong)), for the run to report."""

    def __init__(self) -> None:
        self._dirs: dict[Path, tuple[Path, ...]] = {}
        self._folders: dict[Path, Path] = {}  # a source's folder -> its resolved path
        self._parsed: dict[Path, Manifest | None] = {}
        self.problems: dict[Path, tuple[int | None, str]] = {}

    def governing_paths(self, source: Path) -> tuple[Path, ...]:
        """The manifest files that govern a source file, found but not read."""
        if os.path.islink(source):  # governed from where the link points
            return self._governing_paths(source.resolve().parent)
        folder = self._folders.get(source.parent)
        if folder is None:  # resolved once per folder: a project's files share a few
            folder = self._folders[source.parent] = source.parent.resolve()
        return self._governing_paths(folder)

    def governing(self, source: Path) -> tuple[Manifest, ...]:
        paths = self.governing_paths(source)
        out = []
        for path in paths:
            if path not in self._parsed:
                self._parsed[path], problem = load_manifest(path)
                if problem is not None:
                    self.problems[path] = problem
            manifest = self._parsed[path]
            if manifest is not None:
                out.append(manifest)
        return tuple(out)

    def _governing_paths(self, directory: Path) -> tuple[Path, ...]:
        seen: list[Path] = []
        found: tuple[Path, ...] = ()
        for d in (directory, *directory.parents):
            if d in self._dirs:
                found = self._dirs[d]
                break
            seen.append(d)
            here = _declarations(d)
            if here is not None:
                found = here
                break
            if any((d / m).exists() for m in _REPOSITORY_MARKERS):
                break
        for d in seen:
            self._dirs[d] = found
        return found


def _declarations(directory: Path) -> tuple[Path, ...] | None:
    """The manifests that make `directory` a project root (None: it is not one)."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return None
    manifests = []
    root = False
    for name in names:
        path = directory / name
        if name == PYPROJECT and _declares_project(path):
            manifests.append(path)
        elif _REQUIREMENTS.match(name) and _is_file(path):
            manifests.append(path)
        elif name in _OTHER_ROOTS and _is_file(path):
            root = True
    return tuple(manifests) if manifests or root else None


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _read(path: Path) -> str | None:
    text, _ = _read_text(path)
    return text


def _read_text(path: Path) -> tuple[str | None, str | None]:
    """(text, None), or (None, why not: None for what is not a regular file)."""
    if not _is_file(path):
        return None, None  # a FIFO named like a manifest would block the read
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"
    if len(data) > MAX_MANIFEST_BYTES:
        return None, f"larger than {MAX_MANIFEST_BYTES // 1024 // 1024} MiB"
    text = data.decode("utf-8", "replace")
    return (text[1:] if text.startswith("\ufeff") else text), None


def _declares_project(path: Path) -> bool:
    text = _read(path)
    return text is not None and re.search(r"^\s*\[\s*(project|tool\.poetry)\s*[\].]", text, re.MULTILINE) is not None


def read_manifest(path: Path) -> Manifest | None:
    """Parse one manifest; None when it cannot be read or (TOML) is not valid."""
    return load_manifest(path)[0]


def load_manifest(path: Path) -> tuple[Manifest | None, tuple[int | None, str] | None]:
    """(manifest, None), or (None, (line or None, why it cannot be read)); (None, None) for
    what is not a regular file."""
    text, problem = _read_text(path)
    if text is None:
        return None, (None, problem) if problem else None
    if path.name == PYPROJECT:
        try:
            return _parse_pyproject(path, text), None
        except toml.TomlError as exc:
            return None, (exc.line, exc.message)
    return parse_requirements(path, text), None


# -- pyproject.toml -----------------------------------------------------------------------------

def parse_pyproject(path: Path, text: str) -> Manifest | None:
    """None when the text is not valid TOML (or nests beyond `toml.MAX_DEPTH`)."""
    try:
        return _parse_pyproject(path, text)
    except toml.TomlError:
        return None


def _parse_pyproject(path: Path, text: str) -> Manifest:
    doc = toml.loads(text)
    scan = _TomlScanner(text)
    scan.run()
    lines = LineTable(text)
    deps: list[Dependency] = []
    project = doc.get("project") if isinstance(doc.get("project"), dict) else {}
    sections: list[tuple[tuple[str, ...], object]] = [(("project", "dependencies"), project.get("dependencies"))]
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        sections += [(("project", "optional-dependencies", extra), values) for extra, values in optional.items()]
    for key, values in sections:
        if not isinstance(values, list):
            continue
        used: set[int] = set()
        for value in values:
            if not isinstance(value, str):
                continue
            where = scan.string(key, value, used)
            if where is None:
                continue
            dep = _pep508(value, lines.span(*where), ".".join(key[:2]))
            if dep is not None:
                deps.append(dep)
    poetry = doc.get("tool", {}).get("poetry", {}) if isinstance(doc.get("tool"), dict) else {}
    poetry_deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
    if isinstance(poetry_deps, dict):
        for name, value in poetry_deps.items():
            where = scan.entry(("tool", "poetry", "dependencies", name))
            dep = _poetry(name, value, lines.span(*where)) if where is not None else None
            if dep is not None:
                deps.append(replace(dep, text=text[where[0]:where[1]]))
    return Manifest(path, "pyproject", text, tuple(deps), tuple(scan.comments))


class _TomlScanner:
    """Where each string value and each key/value entry of a TOML document is written.

    Not a TOML parser: `tomllib` has already said the document is valid and what it holds.
    This walks the text once, tracking the current table, the key of the current entry,
    strings (all four kinds) and comments, and records (offset range, key path, decoded
    value) for each string and the range of each entry's first line.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.strings: list[tuple[tuple[str, ...], str, int, int]] = []  # (key path, value, start, end)
        self.entries: dict[tuple[str, ...], tuple[int, int]] = {}
        self.comments: list[Comment] = []
        self._lines = LineTable(text)

    def string(self, key: tuple[str, ...], value: str, used: set[int]) -> tuple[int, int] | None:
        for i, (path, v, start, end) in enumerate(self.strings):
            if path == key and v == value and i not in used:
                used.add(i)
                return start, end
        return None

    def entry(self, key: tuple[str, ...]) -> tuple[int, int] | None:
        return self.entries.get(tuple(canonicalize_name(k) if i == len(key) - 1 else k for i, k in enumerate(key)))

    def run(self) -> None:
        text = self.text
        n = len(text)
        i = 0
        table: tuple[str, ...] = ()
        key: tuple[str, ...] | None = None  # the key path of the entry being read
        depth = 0  # brackets/braces open in the current value
        expect_key = True
        while i < n:
            c = text[i]
            if c == "#":
                end = text.find("\n", i)
                end = n if end < 0 else end
                line, col = self._lines.line_col(i)
                own = not self._lines.line_text(line)[: col - 1].strip()
                self.comments.append(Comment(line, col, text[i:end].rstrip("\r"), own))
                i = end
                continue
            if c in " \t\r":
                i += 1
                continue
            if c == "\n":
                if depth == 0:
                    expect_key = True
                i += 1
                continue
            if expect_key and depth == 0:
                if c == "[":  # [table] or [[array of tables]]
                    close = text.find("]", i)
                    close = n if close < 0 else close
                    inner = text[i:close].lstrip("[")
                    table = _key_path(inner)
                    i = close + (2 if text.startswith("]]", close) else 1)
                    continue
                start = i
                eq = self._key_end(i)
                key = table + _key_path(text[start:eq])
                i = eq + 1
                expect_key = False
                line_end = text.find("\n", i)
                entry_end = self._value_end_on_line(i, n if line_end < 0 else line_end)
                last = key[:-1] + (canonicalize_name(key[-1]),)
                self.entries.setdefault(last, (start, entry_end))
                continue
            if c in "\"'":
                end = _string_end(text, i)
                literal = text[i:end]
                try:
                    value = tomllib.loads("v = " + literal)["v"]
                except (tomllib.TOMLDecodeError, KeyError):
                    value = None
                if isinstance(value, str) and key is not None:
                    self.strings.append((key, value, i, end))
                i = end
                continue
            if c in "[{":
                depth += 1
            elif c in "]}":
                depth = max(0, depth - 1)
            i += 1

    def _key_end(self, i: int) -> int:
        """The offset of the `=` that ends the key starting at `i` (quoted keys may hold `=`)."""
        text = self.text
        while i < len(text) and text[i] not in "=\n":
            if text[i] in "\"'":
                i = _string_end(text, i)
                continue
            i += 1
        return i

    def _value_end_on_line(self, i: int, line_end: int) -> int:
        """End of an entry's text on its first line: before a comment, without trailing space."""
        text = self.text
        j = i
        while j < line_end:
            if text[j] in "\"'":
                j = min(_string_end(text, j), line_end)
                continue
            if text[j] == "#":
                break
            j += 1
        while j > i and text[j - 1] in " \t\r":
            j -= 1
        return j


def _string_end(text: str, i: int) -> int:
    """The offset just past the TOML string starting at `i`."""
    quote = text[i]
    if text.startswith(quote * 3, i):
        end = text.find(quote * 3, i + 3)
        if end < 0:
            return len(text)
        end += 3
        while end < len(text) and text[end] == quote:  # up to two quotes may end the content
            end += 1
        return end
    j = i + 1
    while j < len(text) and text[j] != "\n":
        if quote == '"' and text[j] == "\\":
            j += 2
            continue
        if text[j] == quote:
            return j + 1
        j += 1
    return j


def _key_path(raw: str) -> tuple[str, ...]:
    """`a."b.c" . d` -> ("a", "b.c", "d")."""
    parts: list[str] = []
    current = ""
    i = 0
    raw = raw.strip()
    while i < len(raw):
        c = raw[i]
        if c in "\"'":
            end = _string_end(raw, i)
            try:
                current += tomllib.loads("v = " + raw[i:end])["v"]
            except (tomllib.TOMLDecodeError, KeyError):
                current += raw[i + 1:end - 1]
            i = end
            continue
        if c == ".":
            parts.append(current.strip())
            current = ""
        elif c not in " \t]":
            current += c
        i += 1
    parts.append(current.strip())
    return tuple(parts)


# -- requirements*.txt --------------------------------------------------------------------------

def parse_requirements(path: Path, text: str) -> Manifest:
    """pip's format: one requirement per logical line; `#` after whitespace starts a comment;
    a trailing backslash continues the line; lines starting with `-` are options."""
    lines = LineTable(text)
    deps: list[Dependency] = []
    comments: list[Comment] = []
    physical = text.splitlines()
    n = 0
    while n < len(physical):
        start_line = n + 1
        raw = physical[n]
        code, comment_col = _split_comment(raw)
        if comment_col is not None:
            comments.append(Comment(start_line, comment_col, raw[comment_col - 1:], not raw[: comment_col - 1].strip()))
        logical = code
        end_line = start_line
        while logical.rstrip().endswith("\\") and n + 1 < len(physical):
            n += 1
            end_line = n + 1
            nxt, col = _split_comment(physical[n])
            if col is not None:
                comments.append(Comment(end_line, col, physical[n][col - 1:], not physical[n][: col - 1].strip()))
            logical = logical.rstrip()[:-1] + " " + nxt
        n += 1
        stripped = logical.strip()
        if not stripped or stripped.startswith("-"):
            continue  # options: -r, -c, -e, --index-url, ...
        req_text = re.split(r"\s--?[a-z]", " " + stripped)[0].strip()  # drop `--hash=...` and other per-line options
        # The span is the requirement's first physical line (without a continuation `\`).
        first = len(raw) - len(raw.lstrip()) + 1
        end_col = first + len(code.strip().rstrip("\\").rstrip())
        span = lines.span(lines.offset(start_line, first), lines.offset(start_line, end_col))
        dep = _pep508(req_text, span, "requirements")
        if dep is not None:
            deps.append(dep)
    return Manifest(path, "requirements", text, tuple(deps), tuple(comments))


def _split_comment(line: str) -> tuple[str, int | None]:
    """(code, 1-based column of the comment's `#` or None): pip takes `#` at the start of a
    line or after whitespace as a comment (a URL fragment `#egg=` is not one)."""
    m = re.search(r"(^|\s)#", line)
    if m is None:
        return line, None
    col = m.end()  # the `#` is the last matched character
    return line[: col - 1], col


# -- requirements and their bounds --------------------------------------------------------------

def _pep508(text: str, span: Span, section: str) -> Dependency | None:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    return Dependency(canonicalize_name(req.name), text, (req.specifier,), span, section, req)


def _poetry(name: str, value: object, span: Span) -> Dependency | None:
    """A Poetry dependency: `"^1.2"`, `{version = "^1.2", extras = [...]}`; None for path/git
    dependencies and the `python` entry."""
    if name.lower() == "python":
        return None
    if isinstance(value, dict):
        if "version" not in value:
            return None  # git / path / url: no version range to judge
        value = value["version"]
    if not isinstance(value, str):
        return None
    alternatives = []
    for part in value.split("||"):
        spec = poetry_specifier(part)
        if spec is None:
            return None
        alternatives.append(spec)
    return Dependency(canonicalize_name(name), value, tuple(alternatives), span, "tool.poetry.dependencies")


def poetry_constraint(entry: str) -> str:
    """The version constraint of a Poetry entry as written (`mcp = {version = "^1.2"}` -> `^1.2`)."""
    m = re.search(r"""version\s*=\s*["']([^"']*)["']""", entry) or re.search(r"""=\s*["']([^"']*)["']""", entry)
    return m.group(1).strip() if m else ""


def poetry_specifier(constraint: str) -> SpecifierSet | None:
    """Poetry's constraint syntax -> a PEP 440 specifier set (`^1.2` -> `>=1.2,<2.0.0`)."""
    out = []
    constraint = re.sub(r"([<>=!~^]=?)\s+", r"\1", constraint.strip())
    for part in re.split(r"[,\s]+(?=[<>=!~^*\d])", constraint):
        part = part.strip().rstrip(",")
        if not part or part == "*":
            continue
        if part[0] in "^~" and not part.startswith("~="):
            version = part[1:].strip()
            try:
                release = Version(version).release
            except InvalidVersion:
                return None
            if part[0] == "^":
                index = next((i for i, v in enumerate(release) if v != 0), len(release) - 1)
            else:
                index = 0 if len(release) == 1 else 1
            index = min(index, len(release) - 1)
            upper = list(release[: index + 1])
            upper[-1] += 1
            out += [f">={version}", "<" + ".".join(map(str, upper))]
        elif part[0].isdigit():
            out.append(f"=={part}")
        else:
            out.append(part)
    try:
        return SpecifierSet(",".join(out))
    except InvalidSpecifier:
        return None


def upper_bound(spec: SpecifierSet) -> tuple[Version, bool] | None:
    """The lowest upper bound of a specifier set: (version, inclusive), or None (unbounded)."""
    best: tuple[Version, bool] | None = None
    for s in spec:
        op, raw = s.operator, s.version
        bound: tuple[Version, bool] | None = None
        try:
            if op == "<":
                bound = (Version(raw), False)
            elif op in ("<=", "===") or (op == "==" and not raw.endswith(".*")):
                bound = (Version(raw), True)
            elif op == "==":  # ==1.9.* -> <1.10
                bound = (_bump(Version(raw[:-2]).release, -1), False)
            elif op == "~=":  # ~=1.9 -> <2, ~=1.9.2 -> <1.10
                bound = (_bump(Version(raw).release, -2), False)
        except InvalidVersion:
            if op == "===":
                return (Version("0"), True)  # an arbitrary-string pin: nothing later
            continue
        if bound is not None and (best is None or bound[0] < best[0] or (bound[0] == best[0] and not bound[1])):
            best = bound
    return best


def _bump(release: tuple[int, ...], index: int) -> Version:
    if len(release) < -index:
        index = -len(release)
    head = list(release[: len(release) + index + 1])
    head[-1] += 1
    return Version(".".join(map(str, head)))


def admits_from(dep: Dependency, major: int) -> bool:
    """Can the resolver install `major.0` or any later version for this requirement?"""
    floor = Version(f"{major}")
    for spec in dep.alternatives:
        bound = upper_bound(spec)
        if bound is None or bound[0] > floor or (bound[1] and bound[0] == floor):
            return True
    return False


def admits_before(dep: Dependency, major: int) -> bool:
    """Can the resolver install a version before `major.0` for this requirement?"""
    floor = Version(f"{major}")
    for spec in dep.alternatives:
        lowest = lower_bound(spec)
        if lowest is None or lowest < floor:
            return True
    return False


def lower_bound(spec: SpecifierSet) -> Version | None:
    """The highest of the set's lower bounds (None: it has none)."""
    lowest = None
    for s in spec:
        if s.operator in (">=", ">", "==", "~=", "==="):
            try:
                found = Version(s.version[:-2] if s.version.endswith(".*") else s.version)
            except InvalidVersion:
                continue
            lowest = found if lowest is None or found > lowest else lowest
    return lowest


def bounded(dep: Dependency, major: int) -> str:
    """The requirement rewritten to stop below `major`, as the fix to suggest."""
    req = dep.requirement
    if req is None:  # Poetry: `name = "<constraint>,<major>"`
        name = dep.text.split("=", 1)[0].strip()
        constraint = poetry_constraint(dep.text)
        return f'{name} = "{constraint + "," if constraint not in ("", "*") else ""}<{major}"'
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    kept = [str(s) for s in req.specifier if s.operator not in ("<", "<=")]
    spec = ",".join(sorted(kept) + [f"<{major}"])
    marker = f"; {req.marker}" if req.marker else ""
    return f"{req.name}{extras}{spec}{marker}"


# -- what a source file's project declares ------------------------------------------------------

def declared_requirements(index: ManifestIndex, source: Path) -> dict[str, tuple[str, ...]] | None:
    """The requirements the manifests governing `source` declare: distribution name -> the
    specifier sets written for it (each alternative of each line, as text). None: no manifest
    governs the file, so nothing is known of the versions it runs with."""
    manifests = index.governing(source)
    if not manifests:
        return None
    out: dict[str, tuple[str, ...]] = {}
    for manifest in manifests:
        for dep in manifest.dependencies:
            out[dep.name] = out.get(dep.name, ()) + tuple(str(spec) for spec in dep.alternatives)
    return out


def only_below(specifiers: tuple[str, ...], version: str) -> bool:
    """Does a requirement written as these specifier sets keep the package below `version`
    whichever is chosen (every one bounded under it: `redis<8`, `redis==7.4.0`)?"""
    if not specifiers:
        return False
    floor = Version(version)
    for text in specifiers:
        try:
            bound = upper_bound(SpecifierSet(text))
        except InvalidSpecifier:
            return False
        if bound is None or bound[0] > floor or (bound[0] == floor and bound[1]):
            return False
    return True


def admits_below(specifiers: tuple[str, ...], version: str) -> bool:
    """Can a requirement written as these specifier sets (any one may be chosen) install a
    version older than `version`? An empty set, or one without a lower bound, can."""
    floor = Version(version)
    for text in specifiers or ("",):
        try:
            lowest = lower_bound(SpecifierSet(text))
        except InvalidSpecifier:
            return True
        if lowest is None or lowest < floor:
            return True
    return False
