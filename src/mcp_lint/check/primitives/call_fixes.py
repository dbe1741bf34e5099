"""Fixes on one call, declared in a rule pack beside the calls they fix (`fix:` of a
`call-check` entry or a `tainted-call` sink):

    fix: {add-keyword: timeout}        # requests.get(url)          -> requests.get(url, timeout=30)
    fix: {set-keyword: timeout}        # httpx.Client(timeout=None) -> httpx.Client(timeout=30)
    fix: {wait-for: true}              # await proc.communicate()   -> await asyncio.wait_for(proc.communicate(), timeout=30)
    fix: {remove-argument: true}       # get(url, verify=False)     -> get(url)
    fix: {await: asyncio.sleep}        # time.sleep(1)              -> await asyncio.sleep(1)
    fix: {to-thread: true}             # requests.get(url)          -> await asyncio.to_thread(requests.get, url)
    fix: {rename: safe_load, drop-argument: {keyword: Loader, position: 1}}
                                       # yaml.load(doc, Loader=L)   -> yaml.safe_load(doc)

The timeout is the run's `fix-timeout` (30 seconds unless configured). An awaited form is
offered only where `await` is allowed: in the `async def` itself, not in a lambda or a
generator expression inside it; it is parenthesised where it is the receiver of an attribute,
a subscript or a call (`(await asyncio.to_thread(requests.get, url)).json()`).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from mcp_lint.analysis.cst_utils import argument, code
from mcp_lint.check.context import FileContext, NodeFix
from mcp_lint.check.fix_options import fix_timeout
from mcp_lint.check.fixkit import Fixer, fix_builder
from mcp_lint.model.findings import Applicability
from mcp_lint.model.rules import Rule
from mcp_lint.model.schema import Bool, Int, Key, Map, Str

CALL_FIX = Map({
    "add-keyword": Key(Str()),
    "set-keyword": Key(Str()),
    "wait-for": Key(Bool(), default=False),
    "remove-argument": Key(Bool(), default=False),
    "await": Key(Str()),
    "to-thread": Key(Bool(), default=False),
    "rename": Key(Str()),
    "drop-argument": Key(Map({"keyword": Key(Str()), "position": Key(Int(minimum=0))})),
})

_DESCRIPTIONS = {
    "add-keyword": "Pass `{kw}={value}`",
    "set-keyword": "Pass `{kw}={value}`",
    "wait-for": "Bound the await with `asyncio.wait_for(..., timeout={value})`",
    "remove-argument": "Remove `{arg}`: the default verifies certificates",
    "await": "Await `{name}(...)` instead",
    "to-thread": "Run the call in a worker thread with `asyncio.to_thread`",
    "rename": "Call `{name}` instead",
}


@fix_builder
def call_fix(ctx: FileContext, rule: Rule, spec: dict | None, call: cst.Call, ancestors: Sequence[cst.CSTNode],
             arg: cst.CSTNode | None = None) -> NodeFix | None:
    """The fix a pack's `fix:` spec describes for this call (None: none, or not possible here).
    `ancestors` run from the module to the call; `arg` is the argument the finding names."""
    if not spec or rule.fix is None:
        return None
    applicability = Applicability(rule.fix.value)
    fixer = Fixer(ctx, ancestors)
    value = fix_timeout(rule)
    if spec.get("add-keyword"):
        kw = spec["add-keyword"]
        fixer.add_argument(call, f"{kw}={value}")
        return fixer.fix(_DESCRIPTIONS["add-keyword"].format(kw=kw, value=value), applicability)
    if spec.get("set-keyword"):
        kw = spec["set-keyword"]
        found = next((a for a in call.args if a.keyword is not None and a.keyword.value == kw), None)
        if found is None:
            return None
        fixer.replace(found.value, value)
        return fixer.fix(_DESCRIPTIONS["set-keyword"].format(kw=kw, value=value), applicability)
    if spec.get("wait-for"):
        wait_for = fixer.attribute("asyncio", "wait_for")
        if wait_for is None:
            return None
        fixer.insert_before(call, f"{wait_for}(")
        fixer.insert_after(call, f", timeout={value})")
        return fixer.fix(_DESCRIPTIONS["wait-for"].format(value=value), applicability)
    if spec.get("remove-argument"):
        if not isinstance(arg, cst.Arg) or not any(a is arg for a in call.args):
            return None
        shown = f"{arg.keyword.value}={code(arg.value, 30)}" if arg.keyword is not None else code(arg.value, 30)
        fixer.remove_argument(call, arg)
        return fixer.fix(_DESCRIPTIONS["remove-argument"].format(arg=shown), applicability)
    if spec.get("await") or spec.get("to-thread"):
        if not _can_await(ancestors, call):
            return None
        parent = ancestors[-2] if len(ancestors) > 1 else None
        wrap = isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is call or \
            isinstance(parent, cst.Call) and parent.func is call
        if spec.get("await"):
            module, _, name = spec["await"].rpartition(".")
            target = fixer.attribute(module, name) if module else name
            if target is None:
                return None
            fixer.insert_before(call, "(await " if wrap else "await ")
            fixer.replace(call.func, target)
            if wrap:
                fixer.insert_after(call, ")")
            return fixer.fix(_DESCRIPTIONS["await"].format(name=target), applicability)
        to_thread = fixer.attribute("asyncio", "to_thread")
        if to_thread is None:
            return None
        fixer.edits.append(_ToThread(call, to_thread, wrap))
        return fixer.fix(_DESCRIPTIONS["to-thread"], applicability)
    if spec.get("rename"):
        new = spec["rename"]
        func = call.func
        if isinstance(func, cst.Attribute):
            fixer.replace(func.attr, new)
        else:  # `from yaml import load`: `from yaml import safe_load`
            module = (ctx.resolve(func) or "").rpartition(".")[0]
            target = fixer.symbol(module, new) if module else None
            if target is None:
                return None
            fixer.replace(func, target)
        drop = spec.get("drop-argument")
        if drop:
            found = _argument_node(call, drop.get("position"), drop.get("keyword"))
            if found is not None:
                fixer.remove_argument(call, found)
        return fixer.fix(_DESCRIPTIONS["rename"].format(name=new), applicability)
    return None


def _argument_node(call: cst.Call, position: int | None, keyword: str | None) -> cst.Arg | None:
    value = argument(call, position, keyword)
    return next((a for a in call.args if a.value is value), None) if value is not None else None


def _can_await(ancestors: Sequence[cst.CSTNode], call: cst.CSTNode) -> bool:
    """`await` is allowed at the call, and means what it says: the innermost function is an
    `async def`, with no lambda, generator expression or nested class between them."""
    for node in reversed(ancestors):
        if isinstance(node, cst.FunctionDef):
            return node.asynchronous is not None
        if isinstance(node, (cst.Lambda, cst.GeneratorExp, cst.ClassDef)):
            return False
    return False


class _ToThread:
    """`fn(a, b=1)` -> `await asyncio.to_thread(fn, a, b=1)`: the callee becomes the first
    argument; the argument list stays as written."""

    def __init__(self, call: cst.Call, to_thread: str, wrap: bool) -> None:
        self.call, self.to_thread, self.wrap = call, to_thread, wrap

    def nodes(self):
        return (self.call, self.call.func)

    def resolve(self, view):
        from mcp_lint.model.findings import Edit

        start, func_end, end = view.start(self.call), view.end(self.call.func), view.end(self.call)
        open_ = view.text.find("(", func_end, end)
        if open_ < 0 or view.text[end - 1:end] != ")":
            return None
        func_text = view.text[start:func_end]
        if "\n" in func_text or "\r" in func_text or "#" in func_text:
            return None
        after = view.text[open_ + 1:open_ + 2]
        sep = "" if not self.call.args else ("," if after in ("\n", "\r", " ", "\t") else ", ")
        head = f"{'(' if self.wrap else ''}await {self.to_thread}({func_text}{sep}"
        edits = [Edit(view.lines.span(start, open_ + 1), head)]
        if self.wrap:
            edits.append(Edit(view.lines.span(end, end), ")"))
        return edits

