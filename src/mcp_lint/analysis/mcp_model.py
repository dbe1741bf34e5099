"""The MCP server model of one file: servers, handlers, parameters, transports, auth.

Built once per file from the pre-pass index (see `module_index`), before the main traversal,
so that every primitive and the taint analysis can ask "is this function a tool handler and
which of its parameters does the model write?". Names are resolved through the file's own
import table, never guessed from variable names. The registration forms follow the SDK
reference: T1-T10 for tools, R1-R2 for resources, P1-P2 for prompts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from mcp_lint.analysis import sdk
from mcp_lint.model.labels import Label
from mcp_lint.analysis.cst_utils import argument, dotted, keyword, positional_count, string_value
from mcp_lint.analysis.module_index import CallSite, FunctionInfo, ModuleIndex


class Form(Label):
    """How a handler is registered. The values are the names MCP-SERVERS.md gives the forms."""

    DECORATOR = "T1"  # `@mcp.tool()`, `@mcp.tool(name=...)`
    BARE_DECORATOR = "T2"  # `@mcp.tool` (fastmcp), `@mcp.tool("name")`
    DECORATOR_APPLIED = "T3"  # `mcp.tool()(fn)`; fastmcp's `mcp.tool(fn, name=...)`
    ADD_TOOL = "T4"  # `mcp.add_tool(fn, ...)`
    TOOL_OBJECT = "T5"  # `Tool.from_function(fn, ...)` (then added, or listed)
    STANDALONE_DECORATOR = "T6"  # fastmcp's standalone `@tool` (attached to a server later)
    MIXIN = "T7"  # fastmcp's `MCPMixin` with `@mcp_tool`
    CONSTRUCTOR_LIST = "T8"  # `FastMCP(tools=[fn, ...])`
    LOWLEVEL_DECORATOR = "T9"  # low-level v1 dispatcher: `@server.call_tool()`
    LOWLEVEL_HANDLER = "T10"  # low-level v2 dispatcher: `Server(on_call_tool=fn)`, add_request_handler
    RESOURCE = "R1"  # `@mcp.resource(uri)`, `add_resource`, resource templates
    RESOURCE_DISPATCHER = "R2"  # low-level `@server.read_resource()` / `on_read_resource=`
    PROMPT = "P1"  # `@mcp.prompt()`, `add_prompt`
    PROMPT_DISPATCHER = "P2"  # low-level `@server.get_prompt()` / `on_get_prompt=`
    FALLBACK = "fallback"  # `@<something>.tool` on an object the file cannot resolve (low confidence)
    # Registered by another module of the project (project/index.py):
    IMPORTED = "imported"  # an imported function given to add_tool / tool()(fn) / Tool.from_function
    WRAPPER = "wrapper"  # decorated with a project decorator that registers what it decorates
    DISPATCHED = "dispatched"  # called by a low-level dispatcher with the tool's arguments


@dataclass(eq=False)
class Transport:
    kind: str  # sdk.STDIO / sdk.HTTP / "unknown"
    via: str  # how it was recognised, e.g. 'run(transport="sse")'
    node: cst.CSTNode
    host: cst.BaseExpression | None = None


@dataclass(eq=False)
class ServerInfo:
    flavour: str
    constructor: str  # qualified name of the constructor or annotation class
    binding: str | None  # "mcp", "self.mcp", a parameter name; None if never bound
    node: cst.CSTNode  # the constructor call, or the annotated parameter
    kwargs: dict[str, cst.BaseExpression] = field(default_factory=dict)
    transports: list[Transport] = field(default_factory=list)
    host: cst.BaseExpression | None = None
    from_parameter: bool = False
    assumed: bool = False  # a parameter used as a server whose caller the project does not show

    # auth-related keywords from the constructor and from HTTP app factories, resolved
    auth_values: dict[str, cst.BaseExpression] = field(default_factory=dict)

    @property
    def auth(self) -> tuple[bool, str]:
        """(configured, how). A DebugTokenVerifier / StaticTokenVerifier is not auth; the
        official SDKs need a verifier or an authorization server provider, not just settings."""
        present = {k: v for k, v in self.auth_values.items()
                   if not (isinstance(v, cst.Name) and v.value == "None")}
        for name, value in present.items():
            target = value.func if isinstance(value, cst.Call) else value
            shown = (dotted(target) or "").rsplit(".", 1)[-1]
            if shown in sdk.NO_AUTH_VERIFIERS:
                return False, f"{name}={shown}() accepts any token"
        if self.flavour == sdk.FASTMCP:
            return ("auth" in present, "auth=" if "auth" in present else "no auth=")
        verifier = [k for k in ("token_verifier", "auth_server_provider") if k in present]
        if verifier:
            return True, f"{verifier[0]}="
        return False, "no token_verifier= or auth_server_provider="

    @property
    def lowlevel(self) -> bool:
        return self.flavour in (sdk.LOWLEVEL, sdk.LOWLEVEL1, sdk.LOWLEVEL2)


# How a handler parameter's annotation constrains what the model can send.
NONE = "none"  # no annotation
ANY = "any"  # Any / object / JsonValue
CONTAINER = "container"  # bare dict / list / Mapping / dict[str, Any] / list[Any]
TYPED_CONTAINER = "typed-container"  # list[str], dict[str, str]: typed, contents unconstrained
PLAIN = "plain"  # str, bytes, Path, URLs: type only, no length or pattern
SCALAR = "scalar"  # int, float, bool, datetime, UUID, Decimal: cannot carry injected text
FIELD = "field"  # Annotated[..., Field(pattern|max_length|ge|...)]
LITERAL = "literal"  # Literal[...] or an Enum
MODEL = "model"  # a class: pydantic model, dataclass, TypedDict
INJECTED = "injected"  # Context, dependency, excluded: not in the input schema

_ANY_NAMES = frozenset({"Any", "object", "JsonValue"})
_CONTAINER_NAMES = frozenset({"dict", "list", "Dict", "List", "Mapping", "MutableMapping", "Sequence",
                              "set", "Set", "tuple", "Tuple", "Iterable", "Collection", "frozenset"})
_SCALAR_NAMES = frozenset({"int", "float", "bool", "datetime", "date", "time", "timedelta", "UUID",
                           "Decimal", "PositiveInt", "NonNegativeInt", "PositiveFloat", "conint",
                           "confloat", "StrictInt", "StrictBool", "StrictFloat", "complex"})
_PLAIN_NAMES = frozenset({"str", "bytes", "Path", "PurePath", "AnyUrl", "HttpUrl", "AnyHttpUrl",
                          "StrictStr", "EmailStr", "FilePath", "DirectoryPath", "SecretStr"})
_FIELD_CONSTRAINTS = frozenset({"pattern", "regex", "max_length", "min_length", "ge", "gt", "le", "lt",
                                "max_items", "min_items", "multiple_of", "strict"})
_OPTIONAL_WRAPPERS = frozenset({"Optional", "Union", "Required", "NotRequired"})
_RANK = {INJECTED: 9, LITERAL: 8, SCALAR: 7, FIELD: 6, MODEL: 5, TYPED_CONTAINER: 4, PLAIN: 3,
         CONTAINER: 2, ANY: 1, NONE: 0}


@dataclass(eq=False)
class ParamInfo:
    name: str
    node: cst.Param
    annotation: cst.BaseExpression | None
    constraint: str  # one of the constants above
    controlled: bool  # written by the model (False for self, Context, injected)
    why_not: str = ""  # why a parameter is not model-controlled
    sanitizers: frozenset[str] = frozenset()  # what its annotation already guarantees
    raw_arguments: bool = False  # low-level: the untrusted arguments mapping itself
    arguments_attr: bool = False  # low-level 2.x: `params`, whose `.arguments` is untrusted


@dataclass(eq=False)
class HandlerInfo:
    kind: str  # a sdk.HandlerKind
    form: str  # a Form: how it is registered
    function: cst.FunctionDef
    registration: cst.CSTNode
    server: ServerInfo | None
    flavour: str
    name: str
    kwargs: dict[str, cst.BaseExpression] = field(default_factory=dict)
    params: list[ParamInfo] = field(default_factory=list)
    confidence: str = "high"
    validate_input: bool | None = None  # low-level dispatchers: schema-validated by the SDK?
    via: str = ""  # registered in another module: where (a path as shown)
    # dispatched: the dispatcher examines what this returns and raises on an error payload, so an
    # error it returns reaches the client as an error
    result_checked: bool = False

    @property
    def is_tool(self) -> bool:
        return self.kind in ("tool", "tool-dispatcher")

    @property
    def dispatcher(self) -> bool:
        return self.kind.endswith("-dispatcher")


@dataclass(eq=False)
class UnresolvedRegistration:
    """A handler registered with a value the file cannot resolve (imported or dynamic)."""

    kind: str
    form: str
    node: cst.CSTNode
    expression: str


@dataclass(eq=False)
class ServerModel:
    servers: list[ServerInfo] = field(default_factory=list)
    handlers: list[HandlerInfo] = field(default_factory=list)
    unresolved: list[UnresolvedRegistration] = field(default_factory=list)
    module_transports: list[Transport] = field(default_factory=list)  # not tied to one server
    imports_sdk: bool = False
    handler_of: dict[cst.FunctionDef, HandlerInfo] = field(default_factory=dict)
    # Functions of this file that a stdio server's handlers in other modules reach (the project
    # index says so): qualname -> the module that runs that server
    stdio_entries: dict[str, str] = field(default_factory=dict)
    # The project's exception classes this file names -> "client" / "own" / "wraps" (what the
    # project index says about them: project/index.py), for the rules about tools' errors
    project_exceptions: dict[str, str] = field(default_factory=dict)

    def handler(self, fn: cst.CSTNode | None) -> HandlerInfo | None:
        return self.handler_of.get(fn)  # type: ignore[arg-type]

    @property
    def transports(self) -> list[Transport]:
        return [t for s in self.servers for t in s.transports] + self.module_transports

    @property
    def stdio(self) -> Transport | None:
        """How the file runs a stdio server, if it does."""
        for t in self.transports:
            if t.kind == sdk.STDIO:
                return t
        return None


def build_model(index: ModuleIndex, project=None, context=None) -> ServerModel:
    """`project` (a `project.index.ProjectIndex`) knows the servers other modules of the run
    create; `context` (its `ModuleContext` for this file) the functions of this file that other
    modules register as handlers and the parameters they pass a server to."""
    return _Builder(index, project, context).build()


class _Builder:
    def __init__(self, index: ModuleIndex, project=None, context=None) -> None:
        self.index = index
        self.project = project
        self.context = context
        self.imports = index.imports
        self.model = ServerModel(imports_sdk=index.imports.imports_any(("mcp", "fastmcp")),
                                 project_exceptions=dict(getattr(context, "exceptions", None) or {}))
        self.by_binding: dict[str, ServerInfo] = {}
        self.by_call: dict[cst.Call, ServerInfo] = {}
        self._subclasses: dict[str, tuple[str, str]] | None = None

    def build(self) -> ServerModel:
        self.find_servers()
        self.find_server_parameters()
        self.find_decorated_handlers()
        self.find_call_registrations()
        self.find_external_handlers()
        self.find_transports()
        self.settle_lowlevel_versions()
        for h in self.model.handlers:
            self.model.handler_of.setdefault(h.function, h)
        if self.context:
            self.model.stdio_entries = dict(getattr(self.context, "stdio_entries", {}))
        return self.model

    # -- servers ---------------------------------------------------------------------------
    def server_flavour(self, call: cst.Call) -> tuple[str, str] | None:
        name = self.imports.resolve(call.func)
        if name is None:
            local = dotted(call.func)
            return self.server_subclasses.get(local) if local else None
        flavour = sdk.SERVER_CONSTRUCTORS.get(name)
        if flavour:
            return flavour, name
        if self.project:  # a server subclass defined in another module of the project
            found = self.project.server_class(name)
            if found is not None:
                return found[0], f"{found[1]} (subclass {name})"
        return None

    @property
    def server_subclasses(self) -> dict[str, tuple[str, str]]:
        """Classes of this file that subclass a server class (directly or through each other)."""
        if self._subclasses is None:
            found: dict[str, tuple[str, str]] = {}
            changed = True
            while changed:
                changed = False
                for name, cls in self.index.classes.items():
                    if name in found:
                        continue
                    for base in cls.bases:
                        hit = sdk.SERVER_CLASSES.get(base) or (found[base][0] if base in found else None)
                        if hit:
                            found[name] = (hit, base if base in sdk.SERVER_CLASSES else found[base][1])
                            changed = True
                            break
            self._subclasses = found
        return self._subclasses

    def add_server(self, info: ServerInfo) -> ServerInfo:
        self.model.servers.append(info)
        if info.binding is not None:
            self.by_binding.setdefault(info.binding, info)
        return info

    def find_servers(self) -> None:
        for site in self.index.calls:
            found = self.server_flavour(site.call)
            if found is None:
                continue
            flavour, ctor = found
            kwargs = {a.keyword.value: a.value for a in site.call.args if a.keyword is not None}
            binding = site.targets[0] if site.targets else None
            info = self.add_server(ServerInfo(flavour=flavour, constructor=ctor, binding=binding,
                                              node=site.call, kwargs=kwargs, host=kwargs.get("host")))
            self.note_auth(info, kwargs, site)
            for extra in site.targets[1:]:
                self.by_binding.setdefault(extra, info)
            self.by_call[site.call] = info
        # Parameters annotated with a server class: `def register_tools(mcp: FastMCP)`.
        for fn in self.index.functions:
            for param in _all_params(fn.node.params):
                if param.annotation is None:
                    continue
                ann = _unwrap_optional(_parse_string_annotation(param.annotation.annotation))
                name = self.imports.resolve(ann) if ann is not None else None
                if name in sdk.SERVER_CLASSES and param.name.value not in self.by_binding:
                    self.add_server(ServerInfo(flavour=sdk.SERVER_CLASSES[name], constructor=name,
                                               binding=param.name.value, node=param, from_parameter=True))
        # Methods of a server subclass register on `self`.
        for name, (flavour, ctor) in self.server_subclasses.items():
            cls = self.index.classes[name]
            self.add_server(ServerInfo(flavour=flavour, constructor=f"{ctor} (subclass {name})", binding=f"self@{name}",
                                       node=cls.node, from_parameter=True))
        # `MCPMixin().register_all(mcp_server=X)` passes a server along; nothing to bind.

    def find_server_parameters(self) -> None:
        """Parameters another module passes a server to, or that this file uses as one
        (`def register(mcp): @mcp.tool() ...`): the project index names them."""
        if not self.context:
            return
        by_qualname = {fn.qualname: fn for fn in self.index.functions}
        for key, flavour in sorted(self.context.server_params.items()):
            qualname, _, param = key.rpartition(":")
            fn = by_qualname.get(qualname)
            if fn is None or param in self.by_binding:
                continue
            node = next((p for p in _all_params(fn.node.params) if p.name.value == param), None)
            if node is None:
                continue
            assumed = flavour.startswith("~")
            self.add_server(ServerInfo(flavour=flavour.lstrip("~"), constructor=f"a server passed to {qualname}()",
                                       binding=param, node=node, from_parameter=True, assumed=assumed))

    def find_external_handlers(self) -> None:
        """Functions of this file that another module registers (an imported function given to
        `add_tool`, a project decorator wrapping `mcp.tool`, a low-level dispatcher calling it)."""
        if not self.context:
            return
        by_qualname = {fn.qualname: fn for fn in self.index.functions}
        for qualname, decl in sorted(self.context.handlers.items()):
            fn = by_qualname.get(qualname)
            if fn is None:
                continue
            confidence = "medium" if decl.form == Form.DISPATCHED else "high"
            self.add_handler(fn, decl.kind, decl.form, fn.node, None, decl.flavour, None, confidence=confidence,
                             via=decl.via)
            added = self.model.handler_of.get(fn.node)
            if added is not None and getattr(decl, "checked", False):
                added.result_checked = True

    def note_auth(self, server: ServerInfo, kwargs: dict[str, cst.BaseExpression], site: CallSite) -> None:
        for name in sdk.AUTH_KWARGS:
            value = kwargs.get(name)
            if value is None:
                continue
            if isinstance(value, cst.Name) and value.value != "None":  # auth=verifier, bound earlier
                bound = self.index.local_values.get((site.function, value.value)) or \
                    self.index.local_values.get((None, value.value))
                value = bound if bound is not None else value
            server.auth_values[name] = value

    def known_non_server(self, expr: cst.BaseExpression, fn: FunctionInfo) -> bool:
        if not isinstance(expr, cst.Name):
            return False
        bound = self.index.local_values.get((fn.parent, expr.value)) or \
            self.index.local_values.get((None, expr.value))
        if isinstance(bound, cst.Call):
            cls = dotted(bound.func)
            return cls in self.index.classes and cls not in self.server_subclasses
        return expr.value in self.index.classes and expr.value not in self.server_subclasses

    def server_of(self, expr: cst.BaseExpression, class_name: str | None = None) -> ServerInfo | None:
        if isinstance(expr, cst.Call):
            return self.by_call.get(expr)
        name = dotted(expr)
        if name is None:
            return None
        if name == "self" and class_name in self.server_subclasses:
            return self.by_binding.get(f"self@{class_name}")
        if name not in self.by_binding and self.project:
            qual = self.imports.resolve_dotted(name)
            found = self.project.server(qual) if qual else None
            if found is not None:  # `from .app import mcp`: a server another module creates
                head = name.split(".")[0]
                self.add_server(ServerInfo(flavour=found[0], constructor=f"{found[1]} (created in {qual})",
                                           binding=name, node=self.imports.nodes.get(head) or self.index.module,
                                           from_parameter=True))
        server = self.by_binding.get(name)
        if server is None and name.endswith(("._mcp_server", "._lowlevel_server")):
            outer = self.by_binding.get(name.rsplit(".", 1)[0])
            if outer is not None:
                return ServerInfo(flavour=sdk.LOWLEVEL1 if outer.flavour == sdk.MCP1 else sdk.LOWLEVEL2,
                                  constructor=outer.constructor, binding=name, node=outer.node)
        return server

    # -- decorators ------------------------------------------------------------------------
    def find_decorated_handlers(self) -> None:
        for fn in self.index.functions:
            for dec in fn.node.decorators:
                self.decorator(fn, dec.decorator)

    def decorator(self, fn: FunctionInfo, expr: cst.BaseExpression) -> None:
        if isinstance(expr, cst.Name):  # `x_tool = mcp.tool(name="x")` then `@x_tool`
            bound = self.index.local_values.get((fn.parent, expr.value)) or \
                self.index.local_values.get((None, expr.value))
            if isinstance(bound, cst.Call) and isinstance(bound.func, cst.Attribute):
                expr = bound
        call = expr if isinstance(expr, cst.Call) else None
        target = call.func if call is not None else expr
        # Standalone decorators: @tool, @tool(...), @mcp_tool(...), @resource("uri"), @prompt
        qual = self.imports.resolve(target)
        if qual in sdk.STANDALONE_DECORATORS:
            kind = sdk.STANDALONE_DECORATORS[qual]
            form = Form.MIXIN if qual in sdk.MIXIN_DECORATORS else {
                "tool": Form.STANDALONE_DECORATOR, "resource": Form.RESOURCE, "prompt": Form.PROMPT}[kind]
            self.add_handler(fn, kind, form, expr, None, sdk.FASTMCP, call)
            return
        if not isinstance(target, cst.Attribute):
            return
        method = target.attr.value
        owner = fn.class_name or (fn.parent.class_name if fn.parent else None)
        server = self.server_of(target.value, owner)
        if server is None:
            # Lower-confidence fallback: `@<anything>.tool` in a module importing an MCP SDK,
            # unless the receiver is known to be something else (an instance of a local class).
            if self.known_non_server(target.value, fn):
                return
            if self.model.imports_sdk and method in sdk.DECORATOR_KINDS:
                self.add_handler(fn, sdk.DECORATOR_KINDS[method], Form.FALLBACK, expr, None, sdk.UNKNOWN, call,
                                 confidence="low")
            elif self.model.imports_sdk and method in sdk.LOWLEVEL_DECORATORS and call is not None:
                self.add_handler(fn, sdk.LOWLEVEL_DECORATORS[method], Form.FALLBACK, expr, None, sdk.LOWLEVEL1, call,
                                 confidence="low")
            return
        if server.lowlevel:
            if method in sdk.LOWLEVEL_V1_ONLY and server.flavour == sdk.LOWLEVEL:
                server.flavour = sdk.LOWLEVEL1
            if method in sdk.LOWLEVEL_DECORATORS and call is not None:
                form = {"tool-dispatcher": Form.LOWLEVEL_DECORATOR, "resource-dispatcher": Form.RESOURCE_DISPATCHER,
                        "prompt-dispatcher": Form.PROMPT_DISPATCHER}[
                    sdk.LOWLEVEL_DECORATORS[method]]
                self.add_handler(fn, sdk.LOWLEVEL_DECORATORS[method], form, expr, server, sdk.LOWLEVEL1, call)
            return
        if method in sdk.DECORATOR_KINDS:
            kind = sdk.DECORATOR_KINDS[method]
            bare = call is None or (positional_count(call) > 0 and string_value(call.args[0].value) is not None
                                    and kind != "resource")
            form = {"tool": Form.BARE_DECORATOR if bare else Form.DECORATOR, "resource": Form.RESOURCE,
                    "prompt": Form.PROMPT}[kind]
            self.add_handler(fn, kind, form, expr, server, server.flavour, call)

    # -- call registrations ------------------------------------------------------------------
    def find_call_registrations(self) -> None:
        for site in self.index.calls:
            call = site.call
            func = call.func
            # S.tool(...)(fn) / S.resource(uri)(fn) / S.prompt()(fn): a decorator applied by hand.
            if isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute):
                server = self.server_of(func.func.value, site.class_name)
                method = func.func.attr.value
                if server is not None and method in sdk.DECORATOR_KINDS and call.args:
                    kind = sdk.DECORATOR_KINDS[method]
                    self.register_value(site, call.args[0].value, kind, Form.DECORATOR_APPLIED if kind == "tool" else
                                        (Form.RESOURCE if kind == "resource" else Form.PROMPT), server, func)
                elif server is not None and server.lowlevel and method in sdk.LOWLEVEL_DECORATORS and call.args:
                    kind = sdk.LOWLEVEL_DECORATORS[method]
                    self.register_value(site, call.args[0].value, kind, Form.LOWLEVEL_DECORATOR, server, func)
                continue
            if isinstance(func, cst.Attribute):
                method = func.attr.value
                owner = self.imports.resolve(func.value)
                # Tool.from_function(fn, ...) and friends (T5 / R1 / P1), wherever they appear.
                if method == "from_function" and owner is not None and call.args:
                    kind = ("tool" if owner in sdk.TOOL_CLASSES else "resource" if owner in sdk.RESOURCE_CLASSES
                            else "prompt" if owner in sdk.PROMPT_CLASSES else None)
                    if kind is not None:
                        form = {"tool": Form.TOOL_OBJECT, "resource": Form.RESOURCE, "prompt": Form.PROMPT}[kind]
                        self.register_value(site, call.args[0].value, kind, form, None, call,
                                            flavour=_flavour_of(owner))
                    continue
                server = self.server_of(func.value, site.class_name)
                if server is None:
                    continue
                if method in sdk.DECORATOR_KINDS and call.args and call.args[0].keyword is None \
                        and string_value(call.args[0].value) is None and method != "resource":
                    # fastmcp direct call: S.tool(fn, name=...)
                    self.register_value(site, call.args[0].value, sdk.DECORATOR_KINDS[method], Form.DECORATOR_APPLIED,
                                        server, call)
                elif method in sdk.ADD_METHODS and call.args:
                    self.register_value(site, call.args[0].value, sdk.ADD_METHODS[method],
                                        Form.ADD_TOOL if method == "add_tool" else (Form.RESOURCE if "resource" in method or
                                                                           "template" in method else Form.PROMPT),
                                        server, call)
                elif method == "add_request_handler" and call.args:
                    kind = sdk.REQUEST_METHODS.get(string_value(call.args[0].value) or "")
                    handler = argument(call, 2, "handler") or argument(call, 2, "func")
                    if kind is not None and handler is not None:
                        if server.flavour == sdk.LOWLEVEL:
                            server.flavour = sdk.LOWLEVEL2
                        self.register_value(site, handler, kind, _lowlevel_handler_form(kind), server, call)
            # Constructor forms: tools=[...] (T8), on_call_tool=fn (T10)
            server = self.by_call.get(call)
            if server is not None:
                for arg in call.args:
                    if arg.keyword is None:
                        continue
                    kw = arg.keyword.value
                    if kw == "tools" and isinstance(arg.value, (cst.List, cst.Tuple)):
                        for el in arg.value.elements:
                            self.register_value(site, el.value, "tool", Form.CONSTRUCTOR_LIST, server, call)
                    elif kw in sdk.LOWLEVEL_KWARGS and server.lowlevel:
                        server.flavour = sdk.LOWLEVEL2
                        kind = sdk.LOWLEVEL_KWARGS[kw]
                        self.register_value(site, arg.value, kind, _lowlevel_handler_form(kind), server, call)

    def register_value(self, site: CallSite, value: cst.BaseExpression, kind: str, form: str,
                       server: ServerInfo | None, registration: cst.Call, flavour: str | None = None) -> None:
        """Resolve the registered callable and record it as a handler."""
        reg_kwargs = registration
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
                value.func.attr.value == "from_function" and value.args:
            reg_kwargs = value  # Tool.from_function(fn, name=..., description=...)
            value = value.args[0].value
        fn = self.resolve_callable(value, site.function, site.class_name)
        if flavour is None:
            flavour = server.flavour if server is not None else _flavour_of(self.imports.resolve(
                registration.func) or "")
        if fn is None:
            self.model.unresolved.append(UnresolvedRegistration(kind=kind, form=form, node=registration,
                                                                expression=_short(value)))
            return
        info = self.index.function_of.get(fn)
        if info is None:
            return
        self.add_handler(info, kind, form, registration, server, flavour, reg_kwargs)

    def resolve_callable(self, value: cst.BaseExpression, scope: FunctionInfo | None,
                         class_name: str | None) -> cst.FunctionDef | None:
        if isinstance(value, cst.Name):
            found = self.index.find_function(value.value, scope)
            if found is not None:
                return found
            # X_tool = Tool.from_function(fn): registering X_tool registers fn
            bound = self.index.local_values.get((scope, value.value)) or self.index.local_values.get(
                (None, value.value))
            if isinstance(bound, cst.Call) and isinstance(bound.func, cst.Attribute) and \
                    bound.func.attr.value == "from_function" and bound.args:
                return self.resolve_callable(bound.args[0].value, scope, class_name)
            return None
        if isinstance(value, cst.Attribute):
            base = dotted(value.value)
            attr = value.attr.value
            if base in ("self", "cls"):
                return self.index.method(class_name or (scope.class_name if scope else None), attr)
            if attr == "fn" and isinstance(value.value, cst.Name):  # X_tool.fn
                return self.resolve_callable(value.value, scope, class_name)
            if base is not None and base in self.index.classes:
                return self.index.method(base, attr)
            # obj.method where obj = SomeClass(...) in this file
            if isinstance(value.value, cst.Name):
                bound = self.index.local_values.get((scope, value.value.value)) or \
                    self.index.local_values.get((None, value.value.value))
                if isinstance(bound, cst.Call):
                    cls = dotted(bound.func)
                    if cls in self.index.classes:
                        return self.index.method(cls, attr)
            return None
        return None

    # -- handlers and parameters ---------------------------------------------------------------
    def add_handler(self, fn: FunctionInfo, kind: str, form: str, registration: cst.CSTNode,
                    server: ServerInfo | None, flavour: str, call: cst.Call | None,
                    confidence: str = "high", via: str = "") -> None:
        if fn.node in self.model.handler_of:  # every handler added is in it: one per function
            return
        if server is not None and server.assumed and confidence == "high":
            confidence = "medium"
        kwargs = {a.keyword.value: a.value for a in call.args if a.keyword is not None} if call else {}
        name = fn.name
        named = kwargs.get("name")
        if named is None and call is not None and isinstance(call.func, cst.Attribute):
            positional = [a.value for a in call.args if a.keyword is None and not a.star]
            method = call.func.attr.value
            if method in sdk.DECORATOR_KINDS and positional and kind != "resource":
                named = positional[0]  # @mcp.tool("name"), @mcp.prompt("name")
            elif method in sdk.ADD_METHODS and len(positional) > 1:
                named = positional[1]  # add_tool(fn, "name", ...)
            if named is not None and string_value(named) is None:
                named = None
        if named is not None and string_value(named) is not None:
            name = string_value(named) or name
        handler = HandlerInfo(kind=kind, form=form, function=fn.node, registration=registration,
                              server=server, flavour=flavour, name=name, kwargs=kwargs, confidence=confidence,
                              via=via)
        if handler.dispatcher:
            va = kwargs.get("validate_input")
            if flavour in (sdk.LOWLEVEL1,) or form in (Form.LOWLEVEL_DECORATOR, Form.RESOURCE_DISPATCHER,
                                                       Form.PROMPT_DISPATCHER) and flavour != sdk.LOWLEVEL2:
                handler.validate_input = not (isinstance(va, cst.Name) and va.value == "False") \
                    if kind == "tool-dispatcher" else False
            else:
                handler.validate_input = False
        handler.params = self.classify_params(fn, handler)
        self.model.handlers.append(handler)
        self.model.handler_of.setdefault(fn.node, handler)

    def classify_params(self, fn: FunctionInfo, handler: HandlerInfo) -> list[ParamInfo]:
        params = fn.node.params
        ordered = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
        excluded = set()
        ex = handler.kwargs.get("exclude_args")
        if isinstance(ex, (cst.List, cst.Tuple, cst.Set)):
            excluded = {string_value(e.value) for e in ex.elements}
        out = []
        for i, p in enumerate(ordered):
            name = p.name.value
            ann = p.annotation.annotation if p.annotation is not None else None
            if i == 0 and fn.class_name is not None and name in ("self", "cls"):
                out.append(ParamInfo(name, p, ann, INJECTED, False, "bound method receiver"))
                continue
            if handler.dispatcher:
                out.append(self.dispatcher_param(handler, p, ann, i))
                continue
            why = self.injected(p, ann)
            if name in excluded:
                why = "listed in exclude_args"
            if why:
                out.append(ParamInfo(name, p, ann, INJECTED, False, why))
                continue
            constraint, sanitizers = self.constraint(ann)
            if _RANK[constraint] < _RANK[FIELD]:  # `x: str = Field(pattern=...)` constrains too
                from_default = self.field_constraint(p.default)
                if from_default is not None:
                    constraint, sanitizers = FIELD, from_default
            if handler.form == Form.DISPATCHED:
                # A low-level dispatcher hands it the tool's arguments: their schema is the one
                # list_tools declares, so the annotation constrains nothing the model sees.
                weak = constraint in (NONE, ANY, CONTAINER)
                raw = weak and (name in ("arguments", "args", "params") or constraint == CONTAINER)
                out.append(ParamInfo(name, p, ann, MODEL if weak else constraint, True, sanitizers=sanitizers,
                                     raw_arguments=raw))
                continue
            out.append(ParamInfo(name, p, ann, constraint, True, sanitizers=sanitizers))
        return out

    def dispatcher_param(self, handler: HandlerInfo, p: cst.Param, ann, i: int) -> ParamInfo:
        name = p.name.value
        why = self.injected(p, ann)
        if why:
            return ParamInfo(name, p, ann, INJECTED, False, why)
        ann_name = (dotted(_unwrap_optional(ann)) or "") if ann is not None else ""
        if i == 0 and (handler.flavour == sdk.LOWLEVEL2 or handler.form == Form.LOWLEVEL_HANDLER):
            return ParamInfo(name, p, ann, INJECTED, False, "request context (mcp 2.x handlers take ctx, params)")
        if handler.kind == "tool-dispatcher":
            if name in ("arguments", "args") or ann_name.endswith(("dict", "Dict", "Mapping")) and i > 0:
                return ParamInfo(name, p, ann, CONTAINER, True, raw_arguments=True)
            if ann_name.endswith("CallToolRequestParams") or (name == "params" and handler.flavour == sdk.LOWLEVEL2):
                return ParamInfo(name, p, ann, MODEL, True, arguments_attr=True)
            if name == "name" or ann_name.endswith("str"):
                return ParamInfo(name, p, ann, PLAIN, False, "the tool name being dispatched")
            if name in ("req", "request") or ann_name.endswith("CallToolRequest"):
                return ParamInfo(name, p, ann, MODEL, True, arguments_attr=True)
            return ParamInfo(name, p, ann, MODEL, False, "request context")
        if handler.kind == "prompt-dispatcher" and not ann_name.endswith("Params") and \
                (name == "arguments" or (i == 1 and name != "params")):
            return ParamInfo(name, p, ann, CONTAINER, True, raw_arguments=True)
        if name in ("params", "req", "request") or ann_name.endswith("Params"):
            return ParamInfo(name, p, ann, MODEL, True, arguments_attr=handler.kind == "prompt-dispatcher")
        return ParamInfo(name, p, ann, PLAIN, True)

    def last_name(self, expr: cst.BaseExpression) -> str:
        """The last component of what an expression names, through import aliases:
        `PydanticField` imported as `from pydantic import Field as PydanticField` -> "Field"."""
        return (self.imports.resolve(expr) or dotted(expr) or "").rsplit(".", 1)[-1]

    def field_constraint(self, meta: cst.BaseExpression | None) -> frozenset[str] | None:
        """The sanitizer kinds a `Field(...)` / `constr(...)` call enforces, if it constrains."""
        if not isinstance(meta, cst.Call) or self.last_name(meta.func) not in (
                "Field", "constr", "conint", "StringConstraints"):
            return None
        found = {a.keyword.value for a in meta.args if a.keyword is not None} & _FIELD_CONSTRAINTS
        if not found:
            return None
        if found & {"pattern", "regex"}:
            return frozenset({"pattern"})
        if found & {"max_length", "max_items"}:
            return frozenset({"length"})
        return frozenset({"range"})

    def injected(self, p: cst.Param, ann: cst.BaseExpression | None) -> str:
        if ann is not None and self.is_context(ann):
            return "Context (injected by the SDK)"
        if ann is not None and isinstance(ann, cst.Subscript) and self.last_name(ann.value) == "Annotated":
            for el in ann.slice[1:]:
                v = el.slice.value if isinstance(el.slice, cst.Index) else None
                if isinstance(v, cst.Call) and self.last_name(v.func) in sdk.INJECTED_MARKERS and \
                        self._from_sdk(v.func, ("mcp",)):
                    return f"{dotted(v.func)}(...) dependency"
        default = p.default
        if isinstance(default, cst.Call) and self.last_name(default.func) in sdk.INJECTED_DEFAULTS and \
                self._from_sdk(default.func, ("fastmcp",)):
            return f"{dotted(default.func)}() dependency"
        return ""

    def _from_sdk(self, expr: cst.BaseExpression, roots: tuple[str, ...]) -> bool:
        """Imported from one of these packages, or not imported at all (star imports, stubs):
        FastAPI's own `Depends` is not fastmcp's."""
        qual = self.imports.resolve(expr)
        return qual is None or qual.split(".")[0] in roots

    def is_context(self, ann: cst.BaseExpression) -> bool:
        if isinstance(ann, cst.SimpleString):
            text = string_value(ann) or ""
            return text.split("[")[0].split(".")[-1].strip() == "Context" and "Context" not in self.index.classes
        if isinstance(ann, cst.BinaryOperation):  # Context | None
            return self.is_context(ann.left) or self.is_context(ann.right)
        if isinstance(ann, cst.Subscript):
            base = dotted(ann.value) or ""
            if base.rsplit(".", 1)[-1] in _OPTIONAL_WRAPPERS | {"Annotated"}:
                return any(isinstance(el.slice, cst.Index) and self.is_context(el.slice.value) for el in ann.slice)
            return self.is_context(ann.value)  # Context[ServerSession, AppContext]
        name = self.imports.resolve(ann)
        if name in sdk.CONTEXT_CLASSES:
            return True
        text = dotted(ann) or ""
        return name is None and text.rsplit(".", 1)[-1] == "Context" and "Context" not in self.index.classes

    def constraint(self, ann: cst.BaseExpression | None) -> tuple[str, frozenset[str]]:
        """Classify an annotation; the sanitizers are what the SDK's validation guarantees."""
        if ann is None:
            return NONE, frozenset()
        if isinstance(ann, cst.SimpleString):
            text = string_value(ann)
            try:
                return self.constraint(cst.parse_expression(text)) if text else (NONE, frozenset())
            except cst.ParserSyntaxError:
                return NONE, frozenset()
        if isinstance(ann, cst.BinaryOperation) and isinstance(ann.operator, cst.BitOr):
            return _weakest(self.constraint(ann.left), self.constraint(ann.right))
        if isinstance(ann, cst.Name) and ann.value == "None":
            return LITERAL, frozenset({"all"})
        if isinstance(ann, cst.Subscript):
            base = self.last_name(ann.value)
            items = [el.slice.value for el in ann.slice if isinstance(el.slice, cst.Index)]
            if base == "Literal":
                return LITERAL, frozenset({"all"})
            if base == "Annotated" and items:
                for meta in items[1:]:
                    kinds = self.field_constraint(meta)
                    if kinds is not None:
                        inner = self.constraint(items[0])
                        return inner if _RANK[inner[0]] >= _RANK[FIELD] else (FIELD, kinds)
                return self.constraint(items[0])
            if base in _OPTIONAL_WRAPPERS:
                results = [self.constraint(i) for i in items if not (isinstance(i, cst.Name) and i.value == "None")]
                out = results[0] if results else (NONE, frozenset())
                for r in results[1:]:
                    out = _weakest(out, r)
                return out
            if base in _CONTAINER_NAMES:
                if not items or all(self.constraint(i)[0] in (ANY, NONE) for i in items[-1:]):
                    return CONTAINER, frozenset()
                # A list of ints cannot carry text; a dict's keys are always strings.
                if base.lower() not in ("dict", "mapping", "mutablemapping") and all(
                        self.constraint(i)[0] in (SCALAR, LITERAL) for i in items if not (
                            isinstance(i, cst.Ellipsis))):
                    return TYPED_CONTAINER, frozenset({"all"})
                return TYPED_CONTAINER, frozenset()
            return MODEL, frozenset({"model"})
        name = self.last_name(ann)
        if not name:
            return NONE, frozenset()
        if name in _ANY_NAMES:
            return ANY, frozenset()
        if name in _CONTAINER_NAMES:
            return CONTAINER, frozenset()
        if name in _SCALAR_NAMES:
            return SCALAR, frozenset({"all"})
        if name in _PLAIN_NAMES:  # text: never an operator object in a query document
            return PLAIN, frozenset({"query"})
        local = self.index.classes.get(name)
        if local is not None and any(b.rsplit(".", 1)[-1] in ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag")
                                     for b in local.bases):
            return LITERAL, frozenset({"all"})
        if name[:1].isupper():
            return MODEL, frozenset({"model"})
        return PLAIN, frozenset()

    # -- transports ------------------------------------------------------------------------
    def find_transports(self) -> None:
        for site in self.index.calls:
            call = site.call
            qual = self.imports.resolve(call.func)
            if qual in sdk.STDIO_FUNCTIONS or (qual or "").endswith(".stdio_server"):
                self.model.module_transports.append(Transport(sdk.STDIO, "stdio_server()", call))
                continue
            if qual in sdk.HTTP_FUNCTIONS:
                self.model.module_transports.append(Transport(sdk.HTTP, f"{qual.rsplit('.', 1)[-1]}()", call,
                                                              host=keyword(call, "host") and keyword(call, "host").value))
                continue
            if not isinstance(call.func, cst.Attribute):
                continue
            server = self.server_of(call.func.value, site.class_name)
            if server is None:
                continue
            method = call.func.attr.value
            if method in sdk.RUN_METHODS and not server.lowlevel:
                value = argument(call, 0, "transport")
                host = keyword(call, "host")
                if value is None:
                    server.transports.append(Transport(sdk.STDIO, f"{method}() with no transport", call))
                else:
                    literal = string_value(value)
                    kind = sdk.TRANSPORT_VALUES.get(literal or "", "unknown")
                    shown = f'{method}(transport="{literal}")' if literal else f"{method}(transport=<runtime value>)"
                    server.transports.append(Transport(kind, shown, call, host=host.value if host else None))
            elif method in sdk.STDIO_METHODS:
                server.transports.append(Transport(sdk.STDIO, f"{method}()", call))
            elif method in sdk.HTTP_METHODS:
                host = keyword(call, "host")
                server.transports.append(Transport(sdk.HTTP, f"{method}()", call, host=host.value if host else None))
                self.note_auth(server, {a.keyword.value: a.value for a in call.args if a.keyword is not None}, site)
        for name, value, _fn in self.index.attribute_assigns:
            base, _, attr = name.rpartition(".settings.")
            if attr == "host" and base in self.by_binding:
                self.by_binding[base].host = value
        # A low-level server runs on whatever the module's stdio_server()/HTTP scaffolding is.
        for server in self.model.servers:
            if server.lowlevel and not server.transports:
                server.transports.extend(self.model.module_transports)
        if any(s.lowlevel for s in self.model.servers):
            self.model.module_transports = []

    def settle_lowlevel_versions(self) -> None:
        v2 = self.imports.imports_any(("mcp.server.ServerRequestContext",)) or any(
            n.endswith("ServerRequestContext") for n in self.imports.aliases.values())
        for server in self.model.servers:
            if server.flavour == sdk.LOWLEVEL and v2:
                server.flavour = sdk.LOWLEVEL2
        for h in self.model.handlers:
            if h.server is not None and h.server.lowlevel:
                h.flavour = h.server.flavour if h.server.flavour != sdk.LOWLEVEL else h.flavour
                if h.dispatcher and h.flavour == sdk.LOWLEVEL2:
                    h.validate_input = False


def _lowlevel_handler_form(kind: str) -> Form:
    return {"tool-dispatcher": Form.LOWLEVEL_HANDLER, "resource-dispatcher": Form.RESOURCE_DISPATCHER}.get(
        kind, Form.PROMPT_DISPATCHER)


def _parse_string_annotation(ann: cst.BaseExpression) -> cst.BaseExpression:
    """`server: "FastMCP"` (a forward reference) -> the expression inside the string."""
    text = string_value(ann) if isinstance(ann, (cst.SimpleString, cst.ConcatenatedString)) else None
    if text is None:
        return ann
    try:
        return cst.parse_expression(text)
    except cst.ParserSyntaxError:
        return ann


def _all_params(params: cst.Parameters):
    yield from params.posonly_params
    yield from params.params
    yield from params.kwonly_params


def _unwrap_optional(ann: cst.BaseExpression | None) -> cst.BaseExpression | None:
    if isinstance(ann, cst.Subscript) and (dotted(ann.value) or "").rsplit(".", 1)[-1] in _OPTIONAL_WRAPPERS:
        for el in ann.slice:
            if isinstance(el.slice, cst.Index) and not (isinstance(el.slice.value, cst.Name)
                                                        and el.slice.value.value == "None"):
                return el.slice.value
    if isinstance(ann, cst.BinaryOperation) and isinstance(ann.operator, cst.BitOr):
        if isinstance(ann.right, cst.Name) and ann.right.value == "None":
            return ann.left
        if isinstance(ann.left, cst.Name) and ann.left.value == "None":
            return ann.right
    return ann


def _weakest(a: tuple[str, frozenset], b: tuple[str, frozenset]) -> tuple[str, frozenset]:
    return a if _RANK[a[0]] <= _RANK[b[0]] else b


def _flavour_of(qualname: str) -> str:
    if qualname.startswith("fastmcp"):
        return sdk.FASTMCP
    if qualname.startswith("mcp.server.fastmcp"):
        return sdk.MCP1
    if qualname.startswith("mcp.server.mcpserver"):
        return sdk.MCP2
    return sdk.UNKNOWN


def _short(expr: cst.BaseExpression) -> str:
    from mcp_lint.analysis.cst_utils import code
    return code(expr, 50)
