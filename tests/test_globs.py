"""The .gitignore-syntax matcher behind exclude, extend-exclude, per-file-ignores and
.gitignore files: git's semantics, and no pattern that makes it backtrack exponentially.

Semantics are checked against pathspec's GitIgnoreSpec (the reference mcp-lint used before)
on generated patterns and paths, and on the cases git's documentation spells out.
"""

from __future__ import annotations

import os
import warnings

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

from mcp_lint.source.globs import GlobError, GlobSpec, check_pattern  # noqa: E402

EXAMPLES = int(os.environ.get("MCP_LINT_FUZZ_EXAMPLES", "300"))


@pytest.mark.parametrize("patterns, path, expected", [
    (["build"], "build/", True),
    (["build"], "src/build/x.py", True),  # a bare name matches at any depth, and what it holds
    (["build/"], "build", False),  # a trailing slash: directories only
    (["build/"], "build/", True),
    (["build/"], "a/build/x.py", True),
    (["/build"], "a/build/", False),  # a leading slash anchors
    (["docs/_build"], "docs/_build/x.py", True),
    (["docs/_build"], "a/docs/_build/x.py", False),  # an inner slash anchors too
    (["*.py"], "a/b/c.py", True),
    (["*.py", "!keep.py"], "a/keep.py", False),
    (["a/**/b"], "a/b", True),
    (["a/**/b"], "a/x/y/b", True),
    (["**/tmp/**"], "x/tmp/y.py", True),
    (["**/tmp/**"], "tmp", False),
    (["*"], "anything/at/all.py", True),
    (["?.py"], "ab.py", False),
    (["[a-c].py"], "b.py", True),
    (["[!a-c].py"], "b.py", False),
    (["[[:digit:]]x"], "7x", True),
    (["\\#x", "\\!y"], "#x", True),
    (["\\*"], "a", False),
    (["\\*"], "*", True),
    (["a\\ "], "a ", True),
    (["a  "], "a", True),  # trailing spaces are dropped
    (["# comment"], "# comment", False),
    (["*" * 10 + "x"], "module_with_a_rather_long_name_1.py", False),
    (["*" * 10 + "y"], "module_with_a_rather_long_name_1.py", True),
])
def test_git_semantics(patterns, path, expected):
    assert GlobSpec.from_lines(patterns).match_file(path) is expected


@pytest.mark.parametrize("pattern", ["foo\\", "[unclosed", "!", "!/", "a[[:nosuch:]]"])
def test_invalid_patterns_are_reported_and_match_nothing(pattern):
    with pytest.raises(GlobError):
        check_pattern(pattern)
    spec = GlobSpec.from_lines([pattern])
    assert not spec and not spec.match_file("foo") and not spec.match_file("a/b")


def test_size_bound_many_stars_on_long_names():
    """Patterns whose backtracking translation needs more steps than atoms in the universe,
    on the longest names a file system allows; this finishes in milliseconds (bench/globs.py
    measures it)."""
    names = ["a" * 255, "/".join(["a"] * 2000), "module_with_a_rather_long_name_1.py", "e" * 254 + "/"]
    patterns = ["*" * 5000 + "x", "*a" * 2000 + "b", "**/a/" * 1000 + "b", "a*" * 2000 + "[b]",
                "*e" * 2000 + "q/", "**/" + "?*" * 500 + "b"]
    for pattern in patterns:
        spec = GlobSpec.from_lines([pattern])
        assert [spec.match_file(n) for n in names] == [False] * len(names)
    assert GlobSpec.from_lines(["*a" * 2000]).match_file("a" * 4000)


# -- agreement with pathspec on generated patterns -------------------------------------------------

_PIECES = ["a", "b", "ab", "*", "**", "?", "/", "[ab]", "[a-b]", "[]a]", "\\*", "x", "!", "#"]
_NAMES = ["a", "b", "ab", "ba", "aa", "x", "*", "a*", "bb", "abab", "!", "#"]


def _reference():
    pathspec = pytest.importorskip("pathspec")
    if int(pathspec.__version__.split(".")[0]) < 1:
        pytest.skip("the reference is pathspec 1.x's GitIgnoreSpec")
    return pathspec


def _comparable(pattern: str) -> bool:
    """pathspec and git differ on a negated lone slash (`!/`): git matches nothing."""
    return pattern != "!/"


patterns_st = st.lists(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=6).map("".join)
                       .filter(_comparable), min_size=1, max_size=4)
paths_st = st.tuples(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=5), st.booleans()).map(
    lambda t: "/".join(t[0]) + ("/" if t[1] else ""))


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(patterns=patterns_st, paths=st.lists(paths_st, min_size=1, max_size=8))
def test_agrees_with_pathspec(patterns, paths):
    pathspec = _reference()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reference = pathspec.GitIgnoreSpec.from_lines(patterns)
        except Exception:  # noqa: BLE001 - pathspec raises on patterns git ignores (`foo\`)
            return
    ours = GlobSpec.from_lines(patterns)
    for path in paths:
        assert ours.match_file(path) == reference.match_file(path), (patterns, path)
