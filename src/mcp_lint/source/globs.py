"""Patterns in .gitignore syntax (`exclude`, `extend-exclude`, `per-file-ignores`, .gitignore
files), matched in time linear in the pattern and polynomial of low degree in the path, never
exponential.

Translating a glob into a backtracking regular expression, as pathspec and fnmatch do, makes
`*****x`, `*a*a*a*a*b` or `**/a/**/a/**/b` cost time exponential in the number of stars on a
name that almost matches: a `.gitignore` line in a repository being linted could stall a run
for hours. Here a pattern is split into path segments: `**` segments match any run of
segments, the others match one segment each, with a wildcard matcher that keeps a single
backtracking point per segment (O(pattern x name) for any number of `*`), and the segments are
joined by a set-of-positions walk (O(pattern x depth)). No regular expression sees a star.

Semantics are git's, as pathspec's `GitIgnoreSpec` implements them (a property test checks
the two agree on generated patterns and paths):
- blank lines and `#` comments match nothing; `\\#`, `\\!`, `\\ ` and `\\*` escape; trailing
  spaces are dropped unless escaped; `!` negates;
- a pattern with a `/` at the start or in the middle is anchored at the directory of the file
  that holds it; otherwise it matches at any depth; a trailing `/` matches directories only
  (a queried directory carries a trailing `/`);
- `*` is any run of characters but `/`, `?` one character but `/`, `[...]` a bracket
  expression (`!`/`^` negation, ranges, POSIX classes such as `[:digit:]`); a segment that is
  only `*` needs at least one character; `**` as a whole segment is any run of segments;
- a pattern that matches a directory matches everything beneath it; the last pattern that
  matches the path itself wins, else the last that matches one of its directories (so a
  negation can re-include a file of an excluded directory, as git does for files it is told
  about).
An invalid pattern (a trailing backslash, an unclosed `[`, a lone `!`) matches nothing, as
in git; `check_pattern` reports it for patterns in the configuration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

class _Token:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_STAR = _Token("*")  # sentinels: a literal `*` or `?` (escaped) is the one-character string
_ANY = _Token("?")
_POSIX = {
    "alnum": str.isalnum, "alpha": str.isalpha, "blank": lambda c: c in " \t", "cntrl": lambda c: ord(c) < 32 or ord(c) == 127,
    "digit": lambda c: "0" <= c <= "9", "graph": lambda c: c.isprintable() and not c.isspace(), "lower": str.islower,
    "print": str.isprintable, "punct": lambda c: c.isprintable() and not c.isalnum() and not c.isspace(),
    "space": str.isspace, "upper": str.isupper, "xdigit": lambda c: c in "0123456789abcdefABCDEF",
}


class GlobError(ValueError):
    """A pattern that can never match (git ignores such a line)."""


@dataclass(frozen=True)
class _Class:
    negated: bool
    ranges: tuple[tuple[str, str], ...]
    classes: tuple[str, ...]

    def matches(self, char: str) -> bool:
        hit = any(lo <= char <= hi for lo, hi in self.ranges) or any(_POSIX[c](char) for c in self.classes)
        return hit != self.negated


class _Segment:
    """One path segment's glob."""

    __slots__ = ("tokens", "nonempty", "literal", "regex", "cache")

    def __init__(self, tokens: tuple, nonempty: bool) -> None:
        self.tokens = tokens  # single characters, _ANY, _STAR or _Class
        self.nonempty = nonempty  # the segment `*`: at least one character
        self.cache: dict[str, bool] = {}
        # No wildcard: a plain comparison (the common case: `.venv`, `node_modules`).
        self.literal = "".join(tokens) if all(isinstance(t, str) for t in tokens) else None
        # With at most one star a regular expression cannot backtrack more than once per
        # character: use it (it is fast); with more, the two-pointer matcher below.
        simple = sum(1 for t in tokens if t is _STAR) <= 1 and not any(isinstance(t, _Class) for t in tokens)
        self.regex = _regex(tokens) if simple else None

    def matches(self, name: str) -> bool:
        if self.literal is not None:
            return name == self.literal
        hit = self.cache.get(name)
        if hit is None:
            if self.nonempty and not name:
                hit = False
            elif self.regex is not None:
                hit = self.regex.fullmatch(name) is not None
            else:
                hit = _wildcard(self.tokens, name)
            if len(self.cache) < 4096:
                self.cache[name] = hit
        return hit


def _regex(tokens: tuple) -> re.Pattern[str]:
    """Characters, `?` and at most one `*` (names hold no `/`)."""
    parts = ["[^/]*" if t is _STAR else "[^/]" if t is _ANY else re.escape(t) for t in tokens]
    return re.compile("".join(parts), re.DOTALL)


def _one(token: object, char: str) -> bool:
    if token is _ANY:
        return True
    if isinstance(token, _Class):
        return token.matches(char)
    return token == char


def _wildcard(tokens: tuple, name: str) -> bool:
    """Whether `tokens` match all of `name`: the classic matcher that, on a mismatch, resumes
    after the last `*` seen, one character further on. Earlier stars never need revisiting
    (whatever they matched, the last star can absorb), so it runs in O(len(tokens) x len(name))."""
    t = n = 0
    star_t, star_n = -1, 0
    while n < len(name):
        if t < len(tokens) and tokens[t] is _STAR:
            star_t, star_n = t, n
            t += 1
        elif t < len(tokens) and _one(tokens[t], name[n]):
            t += 1
            n += 1
        elif star_t >= 0:
            star_n += 1
            t, n = star_t + 1, star_n
        else:
            return False
    while t < len(tokens) and tokens[t] is _STAR:
        t += 1
    return t == len(tokens)


def _segment(glob: str) -> _Segment:
    if glob == "*":
        return _Segment((_STAR,), nonempty=True)
    tokens: list = []
    i = 0
    while i < len(glob):
        c = glob[i]
        i += 1
        if c == "\\":
            if i >= len(glob):
                raise GlobError("it ends with a backslash that escapes nothing")
            tokens.append(glob[i])
            i += 1
        elif c == "*":
            if not tokens or tokens[-1] is not _STAR:  # a run of stars is one star
                tokens.append(_STAR)
        elif c == "?":
            tokens.append(_ANY)
        elif c == "[":
            cls, i = _bracket(glob, i)
            tokens.append(cls)
        else:
            tokens.append(c)
    return _Segment(tuple(tokens), nonempty=False)


def _bracket(glob: str, i: int) -> tuple[_Class, int]:
    """The bracket expression whose body starts at `i` (just past `[`), and where it ends."""
    negated = i < len(glob) and glob[i] in "!^"
    if negated:
        i += 1
    ranges: list[tuple[str, str]] = []
    classes: list[str] = []
    first = True
    while i < len(glob):
        c = glob[i]
        if c == "]" and not first:
            return _Class(negated, tuple(ranges), tuple(classes)), i + 1
        first = False
        if glob.startswith("[:", i):
            end = glob.find(":]", i + 2)
            if end >= 0:
                name = glob[i + 2:end]
                if name not in _POSIX:
                    raise GlobError(f"unknown character class [:{name}:]")
                classes.append(name)
                i = end + 2
                continue
        if c == "\\":
            i += 1
            if i >= len(glob):
                break
            c = glob[i]
        i += 1
        if i + 1 < len(glob) and glob[i] == "-" and glob[i + 1] != "]":
            hi = glob[i + 1]
            i += 2
            if hi == "\\" and i < len(glob):
                hi = glob[i]
                i += 1
            ranges.append((c, hi))  # a reversed range matches nothing, as in git
        else:
            ranges.append((c, c))
    raise GlobError("a `[` is never closed")


_GLOBSTAR = None  # an item of a pattern that matches any run of segments


@dataclass(frozen=True)
class _Pattern:
    include: bool  # False for a negation (`!`)
    items: tuple  # _Segment or _GLOBSTAR, or () with `anything` set
    directory: bool  # written with a trailing `/`
    anything: str = ""  # "nonempty": every path; "nested": every path with a `/`

    def required(self) -> frozenset[str]:
        return frozenset(i.literal for i in self.items if i is not _GLOBSTAR and i.literal is not None)

    def match(self, segments: list[str], path: str) -> int:
        """0: no match; 1: matches a directory holding the path; 2: matches the path itself."""
        items = self.items
        if len(items) == 2 and items[0] is _GLOBSTAR and items[1] is not _GLOBSTAR and segments[0]:
            # A name without a slash (`.venv`, `*.egg-info`), the most common pattern: the
            # path's own name, else one of its directories.
            segment = items[1]
            if segment.matches(segments[-1]):
                return 2
            return 1 if any(segment.matches(name) for name in segments[:-1]) else 0
        if self.anything == "nonempty":
            return 2 if path else 0
        if self.anything == "nested":
            return (1 if self.directory else 2) if "/" in path else 0
        n = len(segments)
        last = len(self.items) - 1
        reach: list[int] = [0]  # the indices of the next segment to match, ascending
        for index, item in enumerate(self.items):
            if item is _GLOBSTAR:
                if index == last:  # `dir/**`: something must lie beneath
                    return (1 if self.directory else 2) if reach[0] < n else 0
                if index == 0:
                    reach = [k for k in range(n) if k != 1 or segments[0]]
                else:
                    reach = list(range(reach[0], n))
            else:
                reach = [j + 1 for j in reach if j < n and item.matches(segments[j])]
            if not reach:
                return 0
        return 2 if reach[-1] == n else 1


def _parse(line: str) -> _Pattern | None:
    """A pattern line -> a pattern; None for a blank line or a comment; GlobError if invalid."""
    text = _strip_trailing_spaces(line)
    if not text or text.startswith("#") or text == "/":
        return None
    include = True
    if text.startswith("!"):
        include = False
        text = text[1:]
        if not text or text == "/":
            raise GlobError("there is nothing to match after `!`")
    segments = text.split("/")
    directory = not segments[-1]
    if not segments[0]:
        del segments[0]  # `/x`: anchored
    elif len(segments) == 1 or (len(segments) == 2 and not segments[1]):
        if segments[0] != "**":
            segments.insert(0, "**")  # no inner slash: at any depth
    if not segments:
        raise GlobError("there is nothing to match")
    if not segments[-1]:
        segments[-1] = "**"  # `dir/`: everything beneath it
    collapsed = [s for i, s in enumerate(segments) if not (s == "**" and i and segments[i - 1] == "**")]
    if collapsed == ["**"]:
        return _Pattern(include, (), directory, "nested" if directory else "nonempty")
    if collapsed == ["**", "*"]:
        return _Pattern(include, (), directory, "nonempty")
    if collapsed == ["**", "*", "**"]:
        return _Pattern(include, (), directory, "nested")
    items = tuple(_GLOBSTAR if s == "**" else _segment(s) for s in collapsed)
    return _Pattern(include, items, directory)


def _strip_trailing_spaces(line: str) -> str:
    """git drops trailing spaces unless the last is escaped (`\\ `)."""
    end = len(line)
    while end and line[end - 1] == " ":
        if end >= 2 and line[end - 2] == "\\":
            break
        end -= 1
    return line[:end]


def check_pattern(pattern: str) -> None:
    """Raise GlobError if `pattern` is not a pattern that can match."""
    _parse(pattern)


class GlobSpec:
    """A list of patterns in .gitignore syntax; `match_file` says whether a path is matched
    (ignored, excluded). Directories are asked about with a trailing `/`."""

    def __init__(self, patterns: Iterable[_Pattern]) -> None:
        self.patterns = tuple(patterns)
        # Last first, each with the names a path must hold for it to match (its segments
        # without a wildcard: `.venv`, `build/`, `docs/_build`), checked with one set test.
        self._checks = tuple((p, p.required()) for p in reversed(self.patterns))

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> GlobSpec:
        """Invalid lines match nothing (as in git); check them first with `check_pattern`
        where they deserve an error."""
        patterns = []
        for line in lines:
            try:
                pattern = _parse(line)
            except GlobError:
                continue
            if pattern is not None:
                patterns.append(pattern)
        return cls(patterns)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def match_file(self, path: str) -> bool:
        if path.startswith("/"):
            path = path[1:]
        elif path.startswith("./"):
            path = path[2:]
        segments = path.split("/")
        names = set(segments)
        result = False
        found_directory = False
        for pattern, required in self._checks:
            if required and not required <= names:
                continue
            how = pattern.match(segments, path)
            if how == 2:
                return pattern.include
            if how == 1 and not found_directory:
                found_directory = True
                result = pattern.include
        return result
