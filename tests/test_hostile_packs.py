"""Rule packs are files users copy from strangers: every value is validated (with file:line, all
problems at once), nothing in a pack is ever run or written outside a fresh temporary directory,
and nothing in a pack can make mcp-lint read for ever, allocate without bound or backtrack for
ever. Each test runs the real CLI."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli, run_process, write

# A call-check rule: reports `sink(x)` where the argument's name matches PATTERN.
PACK = '''\
pack: strangers
description: Rules from someone else.
rules:
  - id: OUR001
    name: secret-to-sink
    message: "MESSAGE"
    severity: warning
    confidence: high
    tags: [test]
    docs:
      what: Reports secrets passed to probe.sink.
      why: A shared rule.
    check:
      primitive: call-check
      calls:
        - call: probe.sink
          mentions: {position: 0, pattern: "PATTERN"}
          reason: "gets a secret"
    examples:
      invalid:
        - code: |
            from probe import sink

            sink(secret)
          lines: [3]
      valid:
        - code: |
            from probe import sink

            sink(public)
'''


def pack(pattern: str = "secret", message: str = "{call} {reason}") -> str:
    return PACK.replace("PATTERN", pattern).replace("MESSAGE", message)


def line_of(text: str, fragment: str, nth: int = 1) -> int:
    seen = 0
    for i, line in enumerate(text.splitlines(), 1):
        if fragment in line:
            seen += 1
            if seen == nth:
                return i
    raise AssertionError(fragment)


def no_traceback(*streams: str) -> None:
    for s in streams:
        assert "Traceback" not in s, s


def tree_digest(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every file under `root` (but `skip`) and the hash of its bytes; folders too."""
    out = {}
    for path in sorted(root.rglob("*")):
        if any(path == s or s in path.parents for s in skip):
            continue
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# -- 1. only regular files, under a size limit checked before reading -----------------------------------

def test_a_device_as_rule_pack_in_the_configuration_is_refused_unread(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nrule-packs = ["/dev/zero"]\n')
    write(tmp_path, "server.py", "x = 1\n")
    out = run_process("server.py", cwd=tmp_path, timeout=60)
    no_traceback(out.stderr)
    assert out.returncode == 2
    assert "/dev/zero" in out.stderr and "not a regular file" in out.stderr, out.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
@pytest.mark.parametrize("command", [["validate-pack", "pack.yaml"], ["--rule-pack", "pack.yaml", "server.py"],
                                     ["test-rules", "pack.yaml"]])
def test_a_fifo_as_rule_pack_is_refused_without_blocking(tmp_path, command):
    os.mkfifo(tmp_path / "pack.yaml")
    write(tmp_path, "server.py", "x = 1\n")
    out = run_process(*command, cwd=tmp_path, timeout=60)  # before: blocked in open() for ever
    no_traceback(out.stderr)
    assert out.returncode == 2
    assert "pack.yaml" in out.stderr and "FIFO" in out.stderr, out.stderr


def test_a_directory_as_rule_pack_is_refused(tmp_path):
    (tmp_path / "pack.yaml").mkdir()
    result = run_cli("validate-pack", "pack.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert "pack.yaml" in result.stderr and "directory" in result.stderr


_MAXRSS = """
import resource, subprocess, sys
out = subprocess.run([sys.executable, "-m", "mcp_lint", *sys.argv[1:]], capture_output=True, text=True, timeout=120)
sys.stderr.write(out.stderr)
print(out.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def test_a_huge_pack_is_refused_before_it_is_read(tmp_path):
    from mcp_lint.packs.loader import MAX_PACK_BYTES

    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:  # 100 MB of a plausible pack, nearly all of it never read
        fh.write(pack().encode())
        fh.truncate(100 * 1024 * 1024)
    out = subprocess.run([sys.executable, "-c", _MAXRSS, "validate-pack", "big.yaml"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=180)
    code, maxrss_kib = map(int, out.stdout.split())
    no_traceback(out.stderr)
    assert code == 2
    assert "big.yaml" in out.stderr and "too large" in out.stderr and f"{MAX_PACK_BYTES:,}" in out.stderr, out.stderr
    assert maxrss_kib < 200 * 1024, maxrss_kib  # before: 780 MB; the interpreter and libcst are far less


def test_a_large_plain_pack_is_accepted(tmp_path):
    """5,000 rules, no aliases: far more values than the alias guard allows to be expanded."""
    one = PACK.split("rules:\n", 1)[1].replace("MESSAGE", "{call} {reason}").replace("PATTERN", "secret")
    rules = "".join(one.replace("OUR001", f"OUR{i:03d}" if i < 1000 else f"OURB{i:04d}")
                    .replace("secret-to-sink", f"secret-to-sink-{i}") for i in range(5000))
    text = "pack: large\ndescription: Many rules.\nrules:\n" + rules
    write(tmp_path, "large.yaml", text)
    from mcp_lint.packs.loader import MAX_PACK_BYTES
    assert len(text.encode()) <= MAX_PACK_BYTES
    result = run_cli("validate-pack", "large.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr[-2000:]
    assert "large.yaml: ok (5000 rules)" in result.stdout


def test_aliases_still_cannot_expand_without_bound(tmp_path):
    laughs = "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}" if i else "x"] * 10) + "]\n" for i in range(8))
    write(tmp_path, "laughs.yaml", pack().replace("description: Rules from someone else.",
                                                  "description: Rules from someone else.\n" + laughs))
    result = run_cli("validate-pack", "laughs.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert "laughs.yaml:" in result.stderr and "alias" in result.stderr


@pytest.mark.parametrize("value", ["9" * 5000, "1" + ":59" * 200_000, "1" + ":59" * 2000 + ".5"],
                         ids=["long-int", "base-60-int", "base-60-float"])
def test_absurd_numbers_are_refused_quickly(tmp_path, value):
    text = pack().replace("confidence: high", f"confidence: high\n    security-severity: {value}")
    write(tmp_path, "numbers.yaml", text)
    result = run_cli("validate-pack", "numbers.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert f"numbers.yaml:{line_of(text, 'security-severity')}:" in result.stderr, result.stderr


def test_a_tag_on_a_mapping_is_refused(tmp_path):
    text = pack().replace("    docs:\n", "    docs: !!python/object:os.system\n")
    write(tmp_path, "tagged.yaml", text)
    result = run_cli("validate-pack", "tagged.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert f"tagged.yaml:{line_of(text, 'docs:')}:" in result.stderr and "tag" in result.stderr


# -- 2. example files stay inside a fresh temporary directory ----------------------------------------

TRAVERSAL = '''\
pack: traversal
description: An example that writes where it should not.
rules:
  - id: OUR002
    name: probe-sink
    message: "{source} reaches `{sink}`"
    severity: warning
    confidence: high
    tags: [test]
    docs:
      what: w
      why: y
    check:
      primitive: tainted-call
      sinks:
        - call: probe.sink
    examples:
      invalid:
        - code: |
            import os
            os.system("echo pwned")
          filename: FILENAME
          lines: [2]
          FILES
      valid:
        - code: |
            x = 1
'''


def _traversal(filename: str = "example.py", files: str = "files: {pyproject.toml: ''}") -> str:
    return TRAVERSAL.replace("FILENAME", filename).replace("FILES", files)


@pytest.fixture
def sentinel(tmp_path, monkeypatch):
    """A tree beside the directory test-rules makes its temporary directories in (TMPDIR), with
    a digest of everything under tmp_path but that directory."""
    import tempfile

    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))  # for a subprocess
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # in-process
    write(tmp_path, "sentinel/victim.py", "print('the original')\n")
    write(tmp_path, "sentinel/pkg/__init__.py", "")
    return lambda: tree_digest(tmp_path, skip=(tmp_path / "tmp",))


@pytest.mark.parametrize("filename, files, fragment", [
    ("../../sentinel/victim.py", "files: {pyproject.toml: ''}", "filename:"),
    ("{tmp}/sentinel/usercustomize.py", "files: {pyproject.toml: ''}", "filename:"),
    ("example.py", "files: {../../sentinel/victim.py: 'x = 2'}", "../../sentinel"),
    ("example.py", "files: {'{tmp}/sentinel/new.py': 'x = 2'}", "/sentinel/new.py"),
    ("a/../../../sentinel/victim.py", "files: {pyproject.toml: ''}", "filename:"),
    ("example.py", "files: {'sub//x.py': ''}", "sub//x.py"),
    ("example.py", "files: {'..\\\\sentinel\\\\x.py': ''}", "sentinel"),
    ("example.py", "files: {pyproject.toml: ''}\n          lines-in: ../../sentinel/victim.py", "lines-in:"),
], ids=["dotdot-filename", "absolute-filename", "dotdot-file", "absolute-file", "dotdot-inside", "empty-part",
        "backslashes", "lines-in"])
def test_example_file_names_outside_the_example_directory_are_refused(tmp_path, sentinel, filename, files,
                                                                      fragment):
    text = _traversal(filename.replace("{tmp}", str(tmp_path)), files.replace("{tmp}", str(tmp_path)))
    write(tmp_path, "pack.yaml", text)
    before = sentinel()
    validated = run_cli("validate-pack", "pack.yaml", cwd=tmp_path)
    assert validated.exit_code == 2, validated.stdout  # before: "ok"
    assert f"pack.yaml:{line_of(text, fragment.replace('{tmp}', str(tmp_path)))}:" in validated.stderr, \
        validated.stderr
    tested = run_process("test-rules", "pack.yaml", cwd=tmp_path)
    no_traceback(tested.stderr)
    assert tested.returncode == 2
    assert sentinel() == before  # before: victim.py overwritten, usercustomize.py created


def test_example_files_that_are_also_folders_are_refused(tmp_path):
    text = _traversal("example.py", "files: {a: 'x', a/b.py: 'y'}")
    write(tmp_path, "pack.yaml", text)
    result = run_cli("validate-pack", "pack.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert "both a file and a folder" in result.stderr


def test_examples_with_files_still_run_inside_their_directory(tmp_path, sentinel):
    text = _traversal("src/tool.py", "files: {pyproject.toml: '', src/__init__.py: ''}")
    write(tmp_path, "pack.yaml", text)
    before = sentinel()
    result = run_cli("test-rules", "pack.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert "FAIL OUR002-invalid-0" in result.stdout  # ran (os.system is not probe.sink: it fails, as it should)
    assert sentinel() == before
    assert list((tmp_path / "tmp").iterdir()) == []  # the temporary directory is gone


def test_the_example_runner_checks_names_again_before_writing(tmp_path):
    from mcp_lint.run.examples import ExampleFileError, write_confined

    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    for name in ("../x.py", "/etc/x.py", "link/x.py", "a//b.py"):
        with pytest.raises(ExampleFileError):
            write_confined(root, name, "x")
    write_confined(root, "ok/x.py", "x = 1")
    with pytest.raises(ExampleFileError):  # never over an existing file
        write_confined(root, "ok/x.py", "x = 2")
    assert (root / "ok" / "x.py").read_text() == "x = 1"
    assert not (tmp_path / "x.py").exists()


# -- 3 and 7. regular expressions: compiled at validation, refused when they backtrack for ever --------

@pytest.mark.parametrize("pattern, words", [
    ("(", ["regular expression"]),
    ("[a-", ["regular expression"]),
    ("^(a|aa)+$", ["alternation inside a repeated group"]),
    ("(a+)+b", ["nested quantifier"]),
    ("(\\\\w+\\\\s?)*$", ["nested quantifier"]),
    ("(x)\\\\1", ["backreference"]),
    ("\\\\w*\\\\w*\\\\w*!", ["backtrack too much"]),
    ("a?" * 20 + "b", ["backtrack too much"]),
    ("x" * 1001, ["longer than"]),
], ids=["unbalanced", "bad-class", "alternation", "nested", "nested-words", "backreference", "polynomial",
        "optional-bomb", "too-long"])
def test_bad_or_catastrophic_regular_expressions_are_refused_at_validation(tmp_path, pattern, words):
    text = pack(pattern=pattern)
    write(tmp_path, "pack.yaml", text)
    write(tmp_path, "server.py", "from probe import sink\n\nsink('a' * 50)\n")
    for args in (["validate-pack", "pack.yaml"], ["--rule-pack", "pack.yaml", "server.py"]):
        result = run_cli(*args, cwd=tmp_path)
        assert result.exit_code == 2, (args, result.stdout)  # before: ok, then a traceback or a hang
        assert f"pack.yaml:{line_of(text, 'mentions:')}:" in result.stderr, result.stderr
        for word in words:
            assert word in result.stderr, result.stderr


@pytest.mark.parametrize("pattern", [
    "(?i)(password|passwd|(^|_)pwd($|_))(?!_?(reset|token))", "\\\\bsk-[A-Za-z0-9]{48}\\\\b", "^[a-z_]+$",
    "(?:foo|bar)?baz", "-----BEGIN (?:[A-Z0-9]{1,20} )?PRIVATE KEY", "[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}",
])
def test_ordinary_regular_expressions_are_accepted(tmp_path, pattern):
    write(tmp_path, "pack.yaml", pack(pattern=pattern))
    result = run_cli("validate-pack", "pack.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr


SECRET_PACK = '''\
pack: formats
description: A secret format.
rules:
  - id: OUR003
    name: our-key
    message: "{what}"
    severity: warning
    confidence: high
    tags: [test]
    docs:
      what: w
      why: y
    check:
      primitive: hardcoded-secret
      formats:
        - name: our key
          pattern: "OURKEY_[A-Za-z0-9]{24}"
    examples:
      invalid:
        - code: |
            X = "OURKEY_abcdefghijklmnopqrstuvwx"
          lines: [1]
      valid:
        - code: |
            X = "hello"
'''


def test_a_pack_pattern_reads_only_the_first_characters_of_a_subject(tmp_path):
    """The documented cap: a pattern is matched on the first N characters of its subject, N
    4,096 for a pattern that cannot backtrack much, less for one that can."""
    from mcp_lint.model.regex import SUBJECT_CAP, check_regex

    assert check_regex("OURKEY_[A-Za-z0-9]{24}").cap == SUBJECT_CAP == 4096
    assert 64 <= check_regex("\\w*\\w*!").cap < check_regex("\\w*!").cap <= SUBJECT_CAP
    key = "OURKEY_q7Zp2LmX9vRt4WbN8kYc3HdJ"  # not a run of consecutive characters (those are documented fakes)
    write(tmp_path, "formats.yaml", SECRET_PACK)
    write(tmp_path, "early.py", f'X = "{key}{" " * SUBJECT_CAP}"\n')
    write(tmp_path, "late.py", f'X = "{" " * SUBJECT_CAP}{key}"\n')
    result = run_cli("--rule-pack", "formats.yaml", "--select", "OUR003", "--output-format", "json", "early.py",
                     "late.py", cwd=tmp_path)
    assert [f["path"] for f in result.json()["findings"]] == ["early.py"]


# The one adapter over Python's private regex parser: if its shape changes, this fails loudly.
@pytest.mark.parametrize("pattern, expected", [
    ("ab", "seq(atom atom)"),
    ("a*", "seq(repeat[0,*](seq(atom)))"),
    ("(a|bc)+", "seq(repeat[1,*](seq(group(seq(branch(seq(atom) seq(atom atom)))))))"),
    ("(?:x|y)", "seq(atom)"),  # a one-character alternation is a character set
    ("(?=a)\\b$", "seq(look(seq(atom)) at at)"),
    ("(a)\\1", "seq(group(seq(atom)) backref)"),
    ("a{2,5}?", "seq(repeat[2,5](seq(atom)))"),
    ("[^a-z\\d]", "seq(atom)"),
    ("(?P<n>a)(?(n)b|c)", "seq(group(seq(atom)) branch(seq(atom) seq(atom)))"),
])
def test_the_regex_parser_adapter_keeps_its_shape(pattern, expected):
    from mcp_lint.model.regex import Node, _parse

    def show(node: Node) -> str:
        if node.kind == "atom":
            return "atom" if node.width else "at"
        if node.kind == "backref":
            return "backref"
        inner = " ".join(show(c) for c in node.children)
        if node.kind == "repeat":
            return f"repeat[{node.min},{'*' if node.max is None else node.max}]({inner})"
        return f"{'look' if node.look else node.kind}({inner})"

    assert show(_parse(pattern)) == expected


def test_the_regex_parser_adapter_handles_every_item_python_produces():
    """A corpus of every construct of `re`: no `RegexShapeError` (an unknown item)."""
    from mcp_lint.model.regex import _parse

    corpus = [r"a.b", r"[abc]", r"[^abc]", r"\d\w\s\D\W\S", r"^a$", r"\Aa\Z", r"\bx\B", r"a*?b+?c??",
              r"a{3}", r"a{2,}", r"(?i)a", r"(?i:a)", r"(?#comment)a", r"(?=a)(?!b)(?<=c)(?<!d)", r"(?P<x>a)(?P=x)",
              r"(a)(?(1)b)", r"a|b|cd", r"\x41\u0041\N{LATIN SMALL LETTER A}"]
    if sys.version_info >= (3, 11):
        corpus += [r"(?>ab)", r"a*+", r"a++", r"a?+", r"a{1,3}+"]
    for pattern in corpus:
        _parse(pattern)


# -- 4 and 5. messages are templates of named fields ----------------------------------------------------

@pytest.mark.parametrize("message", [
    "{call:>999999999}", "{call:d}", "{call[999]}", "{call.__class__.__mro__}", "{0}", "{}", "{call!r}",
    "{call:{reason}}", "{call", "}",
], ids=["huge-width", "int-spec", "index", "attribute", "position", "positional", "conversion", "nested-spec",
        "unclosed", "lone-brace"])
def test_messages_with_anything_but_named_fields_are_refused(tmp_path, message):
    text = pack(message=message.replace('"', '\\"'))
    write(tmp_path, "pack.yaml", text)
    write(tmp_path, "server.py", "from probe import sink\n\nsink(secret)\n")
    for args in (["validate-pack", "pack.yaml"], ["--rule-pack", "pack.yaml", "server.py"]):
        result = run_cli(*args, cwd=tmp_path)
        no_traceback(result.stderr)
        assert result.exit_code == 2, (args, result.stdout)
        assert f"pack.yaml:{line_of(text, 'message:')}:" in result.stderr, result.stderr


def test_literal_braces_in_messages_still_work(tmp_path):
    write(tmp_path, "pack.yaml", pack(message="{call} {{literally}} {reason}"))
    write(tmp_path, "server.py", "from probe import sink\n\nsink(secret)\n")
    result = run_cli("--rule-pack", "pack.yaml", "--select", "OUR001", "--output-format", "json", "server.py",
                     cwd=tmp_path)
    assert [f["message"] for f in result.json()["findings"]] == ["probe.sink() {literally} gets a secret"]


def test_a_tampered_compiled_pack_is_not_used(tmp_path, monkeypatch):
    """The compiled-pack cache is a file: a message or an example name it holds is checked
    again, and a cache entry that would not validate is compiled again from the pack."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    write(tmp_path, "pack.yaml", pack())
    write(tmp_path, "server.py", "from probe import sink\n\nsink(secret)\n")
    args = ("--rule-pack", "pack.yaml", "--select", "OUR001", "--no-cache", "--output-format", "json", "server.py")
    assert run_process(*args, cwd=tmp_path).returncode == 1  # compiles the pack into the cache
    (cached,) = [p for p in (tmp_path / "user-cache" / "mcp-lint" / "packs").iterdir()
                 if "{call} {reason}" in p.read_text()]
    cached.write_text(cached.read_text().replace("{call} {reason}", "{call:>999999999}"))
    out = run_process(*args, cwd=tmp_path, timeout=60)
    assert [f["message"] for f in json.loads(out.stdout)["findings"]] == ["probe.sink() gets a secret"]


# -- 8. unknown values, and every problem in one run --------------------------------------------------

def test_an_unknown_sanitizer_is_refused_with_the_known_ones(tmp_path):
    from mcp_lint.check.primitives.common import SANITIZER_KINDS

    text = _traversal().replace("        - call: probe.sink\n", "        - call: probe.sink\n      sanitizers: [not-a-sanitizer]\n")
    write(tmp_path, "pack.yaml", text)
    result = run_cli("validate-pack", "pack.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert f"pack.yaml:{line_of(text, 'sanitizers:')}:" in result.stderr
    assert "not-a-sanitizer" in result.stderr
    for kind in SANITIZER_KINDS:
        assert kind in result.stderr


def test_sanitizer_kinds_are_those_the_analysis_records():
    """Every kind the flow analysis (or the built-in knowledge) attaches to a value is one a rule
    may name, and every kind a rule may name is one the analysis or the knowledge attaches
    somewhere."""
    import ast

    from mcp_lint.check.primitives.common import SANITIZER_KINDS
    from mcp_lint.packs.registry import builtin_knowledge

    src = ROOT / "src" / "mcp_lint" / "analysis"
    produced: set[str] = set()
    taint = ast.parse((src / "taint.py").read_text(encoding="utf-8"))
    for node in ast.walk(taint):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            args = node.args
            if node.func.attr == "_narrow" and len(args) > 1 and isinstance(args[1], ast.Constant):
                produced.add(args[1].value)
            if node.func.attr == "sanitized" and args and isinstance(args[0], ast.Constant):
                produced.add(args[0].value)
            if node.func.attr == "append" and args and isinstance(args[0], ast.Tuple) and len(args[0].elts) == 3:
                kind = args[0].elts[1]
                if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                    produced.add(kind.value)
    model = ast.parse((src / "mcp_model.py").read_text(encoding="utf-8"))
    for node in ast.walk(model):
        if isinstance(node, ast.Return) and isinstance(node.value, (ast.Call, ast.Tuple)):
            for call in ast.walk(node.value):
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "frozenset" and call.args \
                        and isinstance(call.args[0], ast.Set):
                    produced |= {e.value for e in call.args[0].elts if isinstance(e, ast.Constant)}
    known = builtin_knowledge()
    from_knowledge = set().union(*known.sanitizers.values(), *known.sanitizer_methods.values(),
                                 *known.composers.values())
    produced.discard("all")
    assert produced, "the scan found no sanitizer kind: the analysis changed shape"
    assert produced | from_knowledge <= set(SANITIZER_KINDS), produced - set(SANITIZER_KINDS)
    # a restriction of a value's characters (a regular expression, `str.is*`) earns these kinds
    from mcp_lint.model.knowledge import DANGEROUS_CHARACTERS, DANGEROUS_FIRST
    restricted = set(DANGEROUS_CHARACTERS) | set(DANGEROUS_FIRST)
    everywhere = (src / "taint.py").read_text(encoding="utf-8") + (src / "mcp_model.py").read_text(encoding="utf-8")
    assert all(f'"{kind}"' in everywhere or kind in from_knowledge or kind in restricted for kind in SANITIZER_KINDS)


def test_every_problem_of_a_pack_is_reported_in_one_run(tmp_path):
    text = (pack(pattern="(")
            .replace("    severity: warning", "    severity: critical")
            .replace("          reason: \"gets a secret\"", "          reason: \"gets a secret\"\n          colour: red")
            .replace("message: \"{call} {reason}\"", "message: \"{call:>9}\""))
    write(tmp_path, "pack.yaml", text)
    result = run_cli("validate-pack", "pack.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    lines = [int(m) for m in re.findall(r"pack\.yaml:(\d+):", result.stderr)]
    assert lines == sorted(lines)
    assert set(lines) == {line_of(text, f) for f in ("message:", "severity:", "mentions:", "colour:")}, result.stderr
    # a run that uses the pack says the first problem, and that there are more
    write(tmp_path, "server.py", "x = 1\n")
    check = run_cli("--rule-pack", "pack.yaml", "server.py", cwd=tmp_path)
    assert check.exit_code == 2
    assert len(check.stderr.strip().splitlines()) == 1
    assert f"pack.yaml:{line_of(text, 'message:')}:" in check.stderr and "3 more problems" in check.stderr


def test_problems_in_several_rules_are_all_reported(tmp_path):
    second = PACK.split("rules:\n", 1)[1].replace("OUR001", "OUR002").replace("secret-to-sink", "other-rule")
    text = pack(pattern="(") + second.replace("MESSAGE", "{nope}").replace("PATTERN", "ok")
    write(tmp_path, "pack.yaml", text)
    result = run_cli("validate-pack", "pack.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert f"pack.yaml:{line_of(text, 'mentions:')}:" in result.stderr
    assert f"pack.yaml:{line_of(text, 'message:', 2)}:" in result.stderr and "nope" in result.stderr


# -- 9. an example that does not parse says so ---------------------------------------------------------

def test_an_example_that_does_not_parse_is_reported_as_such(tmp_path):
    text = pack().replace("            sink(secret)\n", "            sink(secret\n", 1)
    write(tmp_path, "pack.yaml", text)
    result = run_cli("test-rules", "pack.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert "FAIL OUR001-invalid-0" in result.stdout
    assert "example does not parse: line 3" in result.stdout, result.stdout
    assert "expected findings on lines" not in result.stdout


# -- rule and rules read the configuration check reads -------------------------------------------------

def test_rule_and_rules_read_the_configuration(tmp_path):
    write(tmp_path, "lint/ours.yaml", pack())
    write(tmp_path, "pyproject.toml", '[tool.mcp-lint]\nrule-packs = ["lint/ours.yaml"]\n\n'
                                      '[tool.mcp-lint.severity]\nMCP201 = "error"\nOUR001 = "info"\n')
    explained = run_cli("rule", "OUR001", cwd=tmp_path)
    assert explained.exit_code == 0, explained.stderr  # before: unknown rule
    assert "Reports secrets passed to probe.sink" in explained.stdout
    assert "severity **info**" in explained.stdout
    listed = {r["id"]: r for r in run_cli("rules", "--output-format", "json", cwd=tmp_path).json()}
    assert listed["MCP201"]["severity"] == "error"  # before: warning
    assert listed["OUR001"]["severity"] == "info"
