"""Property: for any rule pack built from the real pack schema (packs/loader.py and the PARAMS of
every primitive) with hostile values mixed in (huge and odd numbers, deep nesting, aliases, NUL
bytes, tabs, bad and catastrophic regular expressions, format specs, example file names that
climb out of their directory...), `validate-pack`, `check --rule-pack` and `test-rules` exit
0, 1 or 2 without a traceback or an internal rule error, within a watchdog's time, and nothing
outside their temporary directories changes.

The default example count keeps CI fast. A long campaign:

    MCP_LINT_FUZZ_PACK_EXAMPLES=500 python -m pytest tests/test_fuzz_packs.py -p no:cacheprovider

(`MCP_LINT_FUZZ_SEED=<n>` replays a campaign; a failure prints the pack that caused it.)
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")

import yaml  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings, strategies as st  # noqa: E402

from conftest import PROBE_SOURCE, SERVER, run_cli  # noqa: E402
from test_hostile_packs import tree_digest  # noqa: E402

from mcp_lint.check.primitives import PRIMITIVES  # noqa: E402
from mcp_lint.model import schema  # noqa: E402
from mcp_lint.packs import loader  # noqa: E402

EXAMPLES = int(os.environ.get("MCP_LINT_FUZZ_PACK_EXAMPLES", "20"))
SEED = os.environ.get("MCP_LINT_FUZZ_SEED")
WATCHDOG_SECONDS = 120  # a hang detector, not a timing bound

_SETTINGS = settings(
    # no explain phase: it traces every line mcp-lint runs while shrinking, so a failure would look like a hang
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=SEED is None and EXAMPLES <= 100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture],
)

TMP = "@TMP@"  # replaced by the example's directory: absolute names aimed at the sentinel tree

HUGE = [10 ** 30, -(10 ** 30), 2 ** 63, -1, 0, 10 ** 99]
HOSTILE_STRINGS = [
    "", " ", "\x00", "a\x00b", "\t", "tab\there", "x" * 10_000, "{source:>999999999}", "{0}", "{}",
    "{source.__class__.__mro__}", "{source[999]}", "{source!r}", "}{", "../../sentinel/x.py",
    f"{TMP}/sentinel/abs.py", "(a|aa)+$", "(", "\\", "\u202e", "\ud7ff", "ｆｕｌｌ", "--", "*", "a" * 300 + ".py",
]
REGEXES = ["secret", "(?i)pass(word)?", "^[a-z_]+$", "(", "[a-", "^(a|aa)+$", "(a+)+b", "(x)\\1",
           "\\w*\\w*\\w*!", "a?" * 20, "x" * 1001, "(?P<n>a)(?(n)b|c)", "\\bsk-[A-Za-z0-9]{48}\\b"]
NAMES = ["example.py", "src/tool.py", "pkg/__init__.py", "pyproject.toml", "requirements.txt", "a/b/c/d.py",
         "../../sentinel/victim.py", "../x.py", f"{TMP}/sentinel/abs.py", "a//b.py", "./x.py", "a/../../x.py",
         "..\\x.py", "C:/x.py", "a" * 250 + ".py", "ok.py\x00", ".hidden.py", "a/b.py/c.py"]
MESSAGES = ["{source} reaches `{sink}`", "{call} {reason}", "{problem}", "{what}", "plain text", "{{literal}}",
            "{source:>999999999}", "{source:d}", "{source[999]}", "{source.__class__.__mro__}", "{0}", "{}",
            "{source!r}", "{source", "}", "{source:{sink}}", "{nope}"]
CODES = [
    SERVER, PROBE_SOURCE, "x = 1\n", "", "def f(:\n", "import os\nos.system(input())\n", "\x00",
    "from probe import sink\n\nsink(secret)\n", "[" * 2000 + "]" * 2000 + "\n",
]


def _hostile() -> st.SearchStrategy:
    leaf = st.one_of(st.sampled_from(HUGE), st.sampled_from(HOSTILE_STRINGS),
                     st.sampled_from([float("inf"), float("nan"), -0.0, 1e308, None, True, False]))
    deep = st.integers(60, 80).map(lambda n: _nest(n))
    return st.one_of(leaf, deep, st.just({}), st.just([]), st.just({"unknown-key": 1}))


def _nest(n: int):
    value: object = "bottom"
    for _ in range(n):
        value = [value]
    return value


def _maybe_hostile(base: st.SearchStrategy, clean: bool) -> st.SearchStrategy:
    """Mostly the schema's value, sometimes a hostile one in its place."""
    return base if clean else st.integers(0, 11).flatmap(lambda i: _hostile() if i == 0 else base)


GOOD_NAMES = [n for n in NAMES if loader.example_path_problem(n) is None and TMP not in n]
GOOD_REGEXES = ["secret", "(?i)pass(word)?", "^[a-z_]+$", "(?P<n>a)(?(n)b|c)", "\\bsk-[A-Za-z0-9]{48}\\b"]
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_.", min_size=1, max_size=12)


def from_field(field, key: str = "", clean: bool = False) -> st.SearchStrategy:
    """Values the schema describes (and, unless `clean`, some it refuses), built from the schema
    objects themselves."""
    if key == "code":
        return st.sampled_from(CODES)
    if isinstance(field, loader._ExampleFiles):
        return st.dictionaries(st.sampled_from(GOOD_NAMES if clean else NAMES), st.sampled_from(CODES), max_size=3)
    if isinstance(field, loader._ExampleName):
        return st.sampled_from(GOOD_NAMES if clean else NAMES)
    if isinstance(field, schema.Regex):
        return st.sampled_from(GOOD_REGEXES if clean else REGEXES)
    if isinstance(field, schema.Map):
        def sub(k, spec):
            return _maybe_hostile(from_field(spec.field, k, clean), clean)
        required = {k: sub(k, spec) for k, spec in field.keys.items() if spec.required}
        optional = {k: sub(k, spec) for k, spec in field.keys.items() if not spec.required}
        base = st.fixed_dictionaries(required, optional=optional)
        if field.extra is not None:
            extra = st.dictionaries(st.sampled_from(GOOD_NAMES if clean else NAMES), from_field(field.extra, "", clean),
                                    max_size=2)
            base = st.tuples(base, extra).map(lambda pair: {**pair[1], **pair[0]})
        return base
    if isinstance(field, schema.List):
        item = from_field(field.item, "", clean)
        return st.lists(item, min_size=field.min_items, max_size=field.min_items + 2)
    if isinstance(field, schema.OneOf):
        return st.one_of(*(from_field(a, "", clean) for a in field.alternatives))
    if isinstance(field, schema.Str):
        if field.choices:
            return st.sampled_from(field.choices)
        if field.pattern is not None:
            return st.from_regex(field.pattern, fullmatch=True).filter(lambda s: 0 < len(s) < 60)
        return WORDS if clean else st.text(max_size=20) | st.sampled_from(HOSTILE_STRINGS)
    if isinstance(field, schema.Bool):
        return st.booleans()
    if isinstance(field, schema.Int):
        low = field.minimum if field.minimum is not None else 0
        return st.integers(low, low + 12) if clean else st.integers(-2, 40) | st.sampled_from(HUGE)
    if isinstance(field, schema.Number):
        if clean:
            return st.floats(min_value=field.low, max_value=field.high, exclude_min=True)
        return st.floats(allow_nan=True, allow_infinity=True) | st.integers(-5, 15)
    if isinstance(field, schema.Any_):
        return st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=10)
    return st.none()


@st.composite
def rules(draw, clean: bool) -> dict:
    rule = draw(from_field(loader._RULE, "", clean))
    name = draw(st.sampled_from(sorted(PRIMITIVES)))
    primitive = PRIMITIVES[name]
    rule["check"] = {"primitive": name, **draw(from_field(primitive.PARAMS, "", clean))}
    fields = sorted(primitive.PLACEHOLDERS)
    if clean:
        chosen = draw(st.lists(st.sampled_from(fields), max_size=3)) if fields else []
        rule["message"] = " ".join(["{" + f + "}" for f in chosen] + ["found"])
        rule["fix"] = "none"
    else:
        rule["message"] = draw(st.sampled_from(MESSAGES + ["{" + f + "}" for f in fields]))
    return rule


@st.composite
def packs(draw) -> str:
    clean = draw(st.booleans())
    found = draw(st.lists(rules(clean), min_size=1, max_size=3))
    for i, rule in enumerate(found if clean else []):  # distinct ids and names
        rule["id"], rule["name"] = f"FUZ{i:03d}", f"fuzzed-{i}"
    if not clean and draw(st.booleans()):  # the same object twice: the dumper writes an anchor and an alias
        found.append(found[0])
    doc = {"pack": "fuzzed" if clean else draw(st.sampled_from(["fuzzed", "Bad Name", "security"])),
           "description": "Fuzzed.", "rules": found}
    text = yaml.safe_dump(doc, allow_unicode=draw(st.booleans()), sort_keys=False, width=10 ** 6)
    if clean:
        return text
    mutation = draw(st.integers(0, 9))
    lines = text.split("\n")
    at = draw(st.integers(0, max(0, len(lines) - 1)))
    if mutation == 0:  # a tab in the indentation
        lines[at] = "\t" + lines[at]
    elif mutation == 1:  # a raw NUL byte
        lines[at] = lines[at] + "\x00"
    elif mutation == 2:  # cut short
        lines = lines[:at]
    elif mutation == 3:  # an exponential alias expansion
        laughs = "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}" if i else "x"] * 10) + "]\n" for i in range(7))
        lines.insert(0, laughs)
    return "\n".join(lines)


def _choices(field, seen=None):
    """Every `choices` value a schema field (and the fields inside it) allows."""
    seen = set() if seen is None else seen
    if id(field) in seen:
        return
    seen.add(id(field))
    if isinstance(field, schema.Str) and field.choices:
        yield from field.choices
    for child in (getattr(field, "item", None), getattr(field, "extra", None),
                  *(spec.field for spec in getattr(field, "keys", {}).values()),
                  *getattr(field, "alternatives", ())):
        if isinstance(child, schema.Field):
            yield from _choices(child, seen)


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_every_choice_a_pack_may_write_is_a_plain_string(name):
    """A pack is YAML: each allowed value must be one a YAML document can hold and a message can list."""
    odd = [c for c in _choices(PRIMITIVES[name].PARAMS) if type(c) is not str]
    assert not odd, odd


@contextlib.contextmanager
def watchdog(seconds: int):
    def expired(signum, frame):
        raise AssertionError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _maybe_seed(fn):
    return seed(int(SEED))(fn) if SEED is not None else fn


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="the watchdog needs SIGALRM")
@_maybe_seed
@_SETTINGS
@given(text=packs())
def test_generated_packs_never_crash_hang_or_write_outside(tmp_path_factory, monkeypatch, text):
    work = tmp_path_factory.mktemp("fuzzpack", numbered=True)
    (work / "t").mkdir()
    (work / "sentinel").mkdir()
    (work / "sentinel" / "victim.py").write_text("print('the original')\n", encoding="utf-8")
    (work / "server.py").write_text(SERVER + "\n" + PROBE_SOURCE.replace("from mcp", "from mcp", 1),
                                    encoding="utf-8")
    (work / "pack.yaml").write_bytes(text.replace(TMP, str(work)).encode("utf-8", "surrogatepass"))
    monkeypatch.setattr(tempfile, "tempdir", str(work / "t"))
    before = tree_digest(work, skip=(work / "t",))
    with watchdog(WATCHDOG_SECONDS):
        validated = run_cli("validate-pack", "pack.yaml", cwd=work)
        hypothesis.event(f"validate-pack exit {validated.exit_code}")
        assert validated.exit_code in (0, 2), validated.stderr
        assert "Traceback" not in validated.stderr
        checked = run_cli("--rule-pack", "pack.yaml", "--no-cache", "--output-format", "json", "server.py", cwd=work)
        assert checked.exit_code in (0, 1, 2), checked.stderr
        assert "Traceback" not in checked.stderr
        if checked.exit_code != 2:
            assert not [e for e in checked.json()["errors"] if e.get("rule")], checked.stdout
        assert (validated.exit_code == 0) == (checked.exit_code != 2), (validated.stderr, checked.stderr)
        if validated.exit_code == 0:
            tested = run_cli("test-rules", "pack.yaml", cwd=work)
            assert tested.exit_code in (0, 1), tested.stderr
            assert "Traceback" not in tested.stderr + tested.stdout
    assert tree_digest(work, skip=(work / "t",)) == before
    assert list((work / "t").iterdir()) == []
    assert not Path(str(work) + "/sentinel/abs.py").exists()
