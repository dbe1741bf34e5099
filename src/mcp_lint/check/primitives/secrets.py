"""`hardcoded-secret`: credentials written into the source as string literals.

Three ways a literal is recognised as a credential, each reported at the literal:
- by where it goes: assigned to (or compared with) a name, attribute, subscript key, keyword
  argument, parameter default or dict key named like a secret (`api_key`, `DB_PASSWORD`,
  `client_secret`, `headers["Authorization"]`), and the value itself looks like one;
- by what receives it: the key argument of the JWT calls listed in `key-calls`;
- by its shape: a well-known key format (AWS, GitHub, Slack, OpenAI, Anthropic, Google,
  Stripe, PEM private keys), wherever the literal appears.

A name counts when its last secret word (`secret`, `token`, `password`, `api key`, ...) is
followed only by words that keep it a value (`key`, `value`, `b64`): `token_type`,
`TOKEN_URL`, `password_field`, `api_key_header` and `api_key_env` name something else. A
value counts when it is not empty, not a placeholder (`changeme`, `<your-key>`, `xxx`,
`your_api_key_here`, `${VAR}`), not an environment variable name, URL, path or template, not
a word or snake_case identifier (enum-like constants such as `"bearer"`), and has no spaces
(messages mention tokens, secrets do not contain spaces), not a dotted name
(`org.example.SecretImpl`), and has no run of six consecutive characters (`123456`, `abcdef`:
typed to show a format). A key format given as the value of an `example=`/`examples=` keyword
or key documents the format. A secret-named variable that the file reads only as an OAuth
`client_id` is a public identifier. In a test module only a well-known key format is reported:
other credentials there are fixtures. Literal values are never shown in messages: findings end
up in CI logs.
"""

from __future__ import annotations

import re

import libcst as cst

from pathlib import PurePosixPath

from mcp_lint.analysis.audit_knowledge import is_test_path
from mcp_lint.analysis.cst_utils import argument, string_value
from mcp_lint.analysis.fields import descendants
from mcp_lint.check.context import FileContext
from mcp_lint.model.findings import Confidence
from mcp_lint.model.regex import pack_regex
from mcp_lint.model.schema import Int, Key, List, Map, Regex, Str
from mcp_lint.check.primitives.base import Primitive
from mcp_lint.check.primitives.common import PATTERNS, CallPatterns, PatternTable

_KEY_CALL = Map({"call": Key(PATTERNS, required=True), "position": Key(Int(minimum=0)),
                 "keyword": Key(Str())})
_FORMAT = Map({"name": Key(Str(), required=True), "pattern": Key(Regex(), required=True)})

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_PLACEHOLDER = re.compile(
    r"change[-_ ]?me|change[-_ ]?(it|this)|xxx|placeholder|example|dummy|fake|sample|redacted|"
    r"your[-_ ]?[a-z]|_here\b|-here\b|\bhere$|replace|insert|todo|fixme|not[-_ ]?a[-_ ]?real|"
    r"(^|[-_])(test|mock|demo)([-_]|$)|<[^<>]*>|\$\{|\{\{|\*\*\*|\.\.\.", re.IGNORECASE)
_ENUM_LIKE = re.compile(r"[a-z]+\d?(?:[-_.:/][a-z]+\d?)*|[A-Za-z][a-z]+(?:[A-Z][a-z]+)*")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
_NOT_VALUE = re.compile(  # URLs, paths, file names, regular expressions, templates
    r"://|^[./~\\]|\\[wdsWDSb]|\[\^|\(\?|\.(pem|key|crt|json|txt|ya?ml|env|toml|ini|cfg)$|"
    r"\{[^{}]*\}|%\(?\w*\)?[sd]|\$\w",
    re.IGNORECASE)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_AUTH_SCHEME = re.compile(r"(?i)(bearer|basic|token|bot|apikey)\s+(\S+)$")
_TEMPLATE = re.compile(r"<[^<>]*>|\$\{|\{\{")
_PRIVATE_PEM = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----\s*[A-Za-z0-9+/=\s:,-]{40,}")
# A dotted name (`org.example.plugins.StringCredentialsImpl`, `app.settings.SECRET`): code, not a credential.
_WORD_PART = r"(?:[a-z][a-z0-9]*|[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)*|[A-Z][A-Z0-9_]*)"
_QUALIFIED = re.compile(rf"{_WORD_PART}(?:\.{_WORD_PART}){{2,}}")
# Keywords and keys whose value documents a format: `example="AIza..."`, `examples=[...]`.
_EXAMPLE_KEYS = frozenset({"example", "examples", "sample", "samples", "placeholder", "default_example"})


class HardcodedSecret(Primitive):
    NAME = "hardcoded-secret"
    PARAMS = Map({
        # words that make a name a secret's (last secret word decides)
        "secret-words": Key(List(Str()), default=("secret", "token", "password", "passwd", "pwd", "passphrase",
                                                  "apikey", "credential", "authorization")),
        # two-word secrets: "api key", "private key"
        "secret-pairs": Key(List(Str()), default=("api key", "private key", "signing key", "access key",
                                                  "encryption key", "master key", "auth key")),
        # words that may follow the secret word while the name still denotes the value
        "value-suffixes": Key(List(Str()), default=("key", "value", "val", "str", "string", "bytes", "b64",
                                                    "base64", "hex", "raw", "plain", "plaintext", "default")),
        # words before the secret word that make it a count, flag or setting
        "not-prefixes": Key(List(Str()), default=("max", "min", "num", "total", "count", "is", "has", "use",
                                                  "enable", "require", "show", "no", "skip", "verify")),
        "key-calls": Key(List(_KEY_CALL), default=()),
        "formats": Key(List(_FORMAT), default=()),
        "min-length": Key(Int(minimum=1), default=6),
    })
    PLACEHOLDERS = frozenset({"what"})

    def setup(self) -> None:
        p = self.params
        self.words = frozenset(p["secret-words"])
        self.pairs = {tuple(w.split()) for w in p["secret-pairs"]}
        self.suffixes = frozenset(p["value-suffixes"])
        self.not_prefixes = frozenset(p["not-prefixes"])
        self.key_calls = PatternTable([(CallPatterns(c["call"]), c) for c in p["key-calls"]])
        self.formats = [(f["name"], pack_regex(f["pattern"])) for f in p["formats"]]
        self.min_length = p["min-length"]
        self._names: dict[str, bool] = {}

    def enter(self):
        hooks = {
            cst.Assign: self.on_assign,
            cst.AnnAssign: self.on_ann_assign,
            cst.Call: self.on_call,
            cst.DictElement: self.on_dict_element,
            cst.FunctionDef: self.on_function,
            cst.Comparison: self.on_comparison,
        }
        if self.formats:
            hooks[cst.SimpleString] = self.on_string
        return hooks

    # -- names ------------------------------------------------------------------------------------
    def secret_name(self, name: str) -> bool:
        known = self._names.get(name)
        if known is None:
            known = self._names[name] = self._secret_name(name)
        return known

    def _secret_name(self, name: str) -> bool:
        words = [w.lower() for w in _WORDS.findall(name)]
        for i in range(len(words) - 1, -1, -1):
            end = i + 1
            if words[i] in self.words:
                start = i
            elif i > 0 and (words[i - 1], words[i]) in self.pairs:
                start = i - 1
            else:
                continue
            if any(w not in self.suffixes for w in words[end:]):
                return False
            return not any(w in self.not_prefixes for w in words[:start])
        return False

    def _target_name(self, target: cst.BaseExpression) -> str | None:
        if isinstance(target, cst.Name):
            return target.value
        if isinstance(target, cst.Attribute):
            return target.attr.value
        if isinstance(target, cst.Subscript) and len(target.slice) == 1:
            index = target.slice[0].slice
            return string_value(index.value) if isinstance(index, cst.Index) else None
        return None

    def on_assign(self, node: cst.Assign, ctx: FileContext) -> None:
        for t in node.targets:
            name = self._target_name(t.target)
            if name is not None:
                self._named(name, node.value, ctx, "is assigned", variable=isinstance(t.target, cst.Name))

    def on_ann_assign(self, node: cst.AnnAssign, ctx: FileContext) -> None:
        name = self._target_name(node.target)
        if name is not None and node.value is not None:
            self._named(name, node.value, ctx, "is assigned")

    def on_function(self, node: cst.FunctionDef, ctx: FileContext) -> None:
        p = node.params
        for param in (*p.posonly_params, *p.params, *p.kwonly_params):
            if param.default is not None:
                self._named(param.name.value, param.default, ctx, "defaults to")

    def on_dict_element(self, node: cst.DictElement, ctx: FileContext) -> None:
        name = string_value(node.key)
        if name is not None:
            self._named(name, node.value, ctx, "maps to", key=True)

    def on_comparison(self, node: cst.Comparison, ctx: FileContext) -> None:
        if len(node.comparisons) != 1 or not isinstance(node.comparisons[0].operator, (cst.Equal, cst.NotEqual)):
            return
        left, right = node.left, node.comparisons[0].comparator
        for name_side, value_side in ((left, right), (right, left)):
            name = self._target_name(name_side) if not isinstance(name_side, cst.Subscript) else None
            if name is not None:
                self._named(name, value_side, ctx, "is compared with")

    def on_call(self, node: cst.Call, ctx: FileContext) -> None:
        for arg in node.args:
            if arg.keyword is not None:
                self._named(arg.keyword.value, arg.value, ctx, "is passed")
        if not self.key_calls:
            return
        point = ctx.point()
        for patterns, spec in self.key_calls.candidates(node, ctx, point):
            name = patterns.match(node, ctx, point)
            if name is None:
                continue
            value = argument(node, spec["position"], spec["keyword"])
            text = _literal(value)
            if not text or not text.strip() or "PUBLIC KEY" in text or _template(text):
                return
            self._report(ctx, value, f"the key passed to `{name}()` is a string literal", Confidence.HIGH)
            return

    def _named(self, name: str, value: cst.BaseExpression, ctx: FileContext, how: str, key: bool = False,
               variable: bool = False) -> None:
        text = _literal(value)
        if text is None or not self.secret_name(name):
            return
        if name.lower() == "authorization" or name.lower().endswith("-authorization"):
            scheme = _AUTH_SCHEME.match(text.strip())
            if scheme is None:
                return
            text = scheme.group(2)
        confidence = self.secret_value(text, name)
        if confidence is None:
            return
        shown = f'"{name}"' if key else f"`{name}`"
        if variable:  # decided once the whole file is known: how the variable is used
            ctx.defer(self.rule, lambda: None if _public_identifier(ctx, name) else
                      self._report(ctx, value, f"{shown} {how} a string literal", confidence))
            return
        self._report(ctx, value, f"{shown} {how} a string literal", confidence)

    # -- values -----------------------------------------------------------------------------------
    def secret_value(self, text: str, name: str = "") -> Confidence | None:
        """How sure we are that a literal is a real credential (None: it is not one)."""
        text = text.strip()
        if len(text) < self.min_length or any(c.isspace() for c in text) and not _PRIVATE_PEM.search(text):
            return None
        if _PLACEHOLDER.search(text) or _NOT_VALUE.search(text) or len(set(text)) <= 2:
            return None
        if _ENV_NAME.fullmatch(text) and ("_" in text or text.isalpha()):
            return None  # an environment variable's name
        if _ENUM_LIKE.fullmatch(text) or _QUALIFIED.fullmatch(text):
            return None  # a word or identifier: "bearer", "access_token", "refresh-token", "org.x.Impl"
        if _sequential_run(text):
            return None  # "1234567890", "abcdefgh": typed to show a format, not generated
        if text.isalpha() and len(text) >= 3 * len(_WORDS.findall(text)):
            return None  # CamelCase words and acronyms ("AWSSecretKey"), not random letters
        if re.sub(r"[^a-z0-9]", "", text.lower()) == re.sub(r"[^a-z0-9]", "", name.lower()):
            return None  # PASSWORD = "password"
        classes = sum(bool(re.search(p, text)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"))
        if len(text) >= 16 and classes >= 2 and not _UUID.fullmatch(text):
            return Confidence.HIGH  # (a UUID is as often an identifier as a key)
        return Confidence.MEDIUM

    def on_string(self, node: cst.SimpleString, ctx: FileContext) -> None:
        text = string_value(node)
        if not text or len(text) < 20:
            return
        for name, pattern in self.formats:
            m = pattern.search(text)
            if m is None or _PLACEHOLDER.search(m.group(0)) or len(set(m.group(0))) < 8 or \
                    _sequential_run(m.group(0)) or _documents_a_format(ctx):
                continue
            self._report(ctx, node, f"a string literal holds {name}", Confidence.HIGH, by_format=True)
            return

    def _report(self, ctx: FileContext, node: cst.CSTNode, what: str, confidence: Confidence,
                by_format: bool = False) -> None:
        if not by_format and _in_tests(ctx):
            return  # a test's credentials are fixtures; only a real key format is worth a finding there
        seen = ctx.scratch.setdefault(self.rule.id, set())
        if id(node) in seen or any(id(p) in seen for p in _string_parts(node)):
            return
        seen.add(id(node))
        seen.update(id(p) for p in _string_parts(node))
        ctx.report(self.rule, node, {"what": what}, confidence=confidence)


def _literal(expr: cst.BaseExpression | None) -> str | None:
    """The text of a string (or bytes) literal; None for anything computed."""
    if expr is None:
        return None
    text = string_value(expr)
    if text is not None:
        return text
    if isinstance(expr, cst.SimpleString) and expr.prefix.lower().startswith(("b", "rb", "br")):
        try:
            return expr.evaluated_value.decode("latin-1")  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - odd literal: not a credential we can judge
            return None
    return None


def _sequential_run(text: str, length: int = 6) -> bool:
    """A run of `length` consecutive characters in order (`123456`, `abcdef`, `ABCDEF`): what a
    person types to show a format. A random key has one with negligible probability."""
    run = 1
    for a, b in zip(text, text[1:]):
        run = run + 1 if ord(b) == ord(a) + 1 and a.isalnum() and b.isalnum() else 1
        if run >= length:
            return True
    return False


def _in_tests(ctx: FileContext) -> bool:
    """A test module: named `test_*.py`, `*_test.py` or `conftest.py`, or in a tests folder and
    written as tests (it imports pytest or unittest, or defines `test_*` functions). A server
    kept in a tests folder as a fixture is linted like any server."""
    known = ctx.scratch.get("hardcoded-secret:tests")
    if known is None:
        parts = PurePosixPath(ctx.path.replace("\\", "/")).parts
        known = is_test_path(parts[-1:]) or is_test_path(parts) and (
            ctx.imports.imports_any(("pytest", "unittest")) or any(
                isinstance(stmt, cst.FunctionDef) and stmt.name.value.startswith("test") for stmt in ctx.module.body))
        ctx.scratch["hardcoded-secret:tests"] = known
    return known


def _documents_a_format(ctx: FileContext) -> bool:
    """Is the literal being walked an example of a format: the value (or an item of the value) of
    an `example=`/`examples=` keyword, or of an "example" key?"""
    ancestors = ctx.state.ancestors
    for anc in reversed(ancestors[:-1]):
        if isinstance(anc, cst.Arg):
            return anc.keyword is not None and anc.keyword.value.lower() in _EXAMPLE_KEYS
        if isinstance(anc, cst.DictElement):
            return (string_value(anc.key) or "").lower() in _EXAMPLE_KEYS
        if not isinstance(anc, (cst.List, cst.Tuple, cst.Set, cst.Element, cst.ConcatenatedString)):
            return False
    return False


def _public_identifier(ctx: FileContext, name: str) -> bool:
    """Is a secret-named variable read, in this file, only as an OAuth `client_id` (passed as
    `client_id=NAME` or stored under a "client_id" key)? A client id is public: it is sent in the
    clear in every authorisation request and shipped inside every copy of the client."""
    reads: set[int] = set()
    not_reads: set[int] = set()  # names that are keywords, attributes or assignment targets
    as_client_id = 0
    for node in descendants(ctx.module):
        if isinstance(node, cst.Name):
            if node.value == name:
                reads.add(id(node))
        elif isinstance(node, cst.Arg):
            if node.keyword is not None:
                not_reads.add(id(node.keyword))
                if node.keyword.value == "client_id" and isinstance(node.value, cst.Name) and node.value.value == name:
                    as_client_id += 1
        elif isinstance(node, cst.Attribute):
            not_reads.add(id(node.attr))
        elif isinstance(node, (cst.AssignTarget, cst.AnnAssign)):
            if isinstance(node.target, cst.Name):
                not_reads.add(id(node.target))
        elif isinstance(node, cst.DictElement) and string_value(node.key) == "client_id" and \
                isinstance(node.value, cst.Name) and node.value.value == name:
            as_client_id += 1
    return as_client_id > 0 and len(reads - not_reads) == as_client_id


def _template(text: str) -> bool:
    return bool(_TEMPLATE.search(text))


def _string_parts(node: cst.CSTNode):
    """The simple strings inside an implicitly concatenated literal (reported once)."""
    while isinstance(node, cst.ConcatenatedString):
        yield node.right
        node = node.left
    if isinstance(node, cst.SimpleString):
        yield node

