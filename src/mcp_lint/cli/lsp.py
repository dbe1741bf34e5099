"""`mcp-lint server`: a Language Server Protocol server over stdio, built on pygls 2 (lsprotocol types).

What an editor gets:
- diagnostics for every open Python document on open, change and save, computed from the buffer
  (debounced: the first change after a pause is linted at once, a burst of changes once it has
  been quiet for 150 ms): code = rule id, source "mcp-lint", a link to the rule's page, the tool-input flow as
  related information, the configured severity;
- code actions: a finding's fix (safe fixes preferred; unsafe ones say so), `# noqa: CODE`, and
  "fix all safe fixes in this file", also as `source.fixAll.mcp-lint` for fix-on-save;
- hover: the rule's documentation over a diagnostic or over a code in a suppression comment;
- the command `mcp-lint.lintWorkspace`: diagnostics for every file of every workspace folder, as
  `mcp-lint check FOLDER` finds them (findings cache and project rules included).

Each document reads the configuration `check` would: the nearest pyproject.toml with
[tool.mcp-lint] above it, else the defaults at its workspace folder. A configuration that cannot
be loaded is shown (window/showMessage, and a diagnostic on the file at fault) and its documents
are not linted until it is fixed; it is read again whenever it changes on disk.

Nothing stops the server short of the client: a message that is not JSON or a request whose
parameters do not fit is answered with a JSON-RPC error and a message, a file that does not parse
is an MCP001 diagnostic, and an internal error in one request is reported on that request.
Everything of mcp-lint is reached through `editor_adapter`.

Linting runs on one worker thread, so the event loop keeps answering while a document is linted;
every message to the client is sent from the event loop.
"""

from __future__ import annotations

import asyncio
import bisect
import difflib
import logging
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import from_fs_path, to_fs_path

from mcp_lint import __version__
import mcp_lint.cli.editor as mcp

logger = logging.getLogger("mcp_lint.lsp")

SOURCE = "mcp-lint"
FIX_ALL_KIND = "source.fixAll.mcp-lint"
LINT_WORKSPACE = "mcp-lint.lintWorkspace"
DEBOUNCE = 0.15  # seconds of quiet after a change before the document is linted
PYTHON_SUFFIXES = (".py", ".pyi")

_SEVERITY = {
    mcp.Severity.ERROR: lsp.DiagnosticSeverity.Error,
    mcp.Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    mcp.Severity.INFO: lsp.DiagnosticSeverity.Information,
}
_UNNECESSARY = {"MCP900"}  # an unused suppression: editors fade it
_NO_NOQA = {"MCP001", "MCP900"}  # a noqa comment cannot (or should not) silence these
_EOL = re.compile(r"\r\n?|\n")


# -- positions ------------------------------------------------------------------------------------

class Snapshot:
    """One version of a document's text: offsets <-> LSP positions in the negotiated encoding.
    Findings count lines from 1 and columns from 1 in code points; LSP counts both from 0, and
    columns in UTF-16 code units unless the client chose otherwise."""

    def __init__(self, text: str, encoding: str | None = None) -> None:
        self.text = text
        self.encoding = encoding or lsp.PositionEncodingKind.Utf16
        self.starts = [0] + [m.end() for m in _EOL.finditer(text)]

    def _units(self, chars: str) -> int:
        if self.encoding == lsp.PositionEncodingKind.Utf32:
            return len(chars)
        if self.encoding == lsp.PositionEncodingKind.Utf8:
            return len(chars.encode("utf-8", "surrogatepass"))
        return len(chars) + sum(1 for c in chars if ord(c) > 0xFFFF)

    def line_text(self, line: int) -> str:
        """The 0-based line, without its end."""
        if line < 0 or line >= len(self.starts):
            return ""
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[line]:end].rstrip("\r\n")

    def position(self, offset: int) -> lsp.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        return lsp.Position(line=line, character=self._units(self.text[self.starts[line]:offset]))

    def at(self, line: int, col: int) -> lsp.Position:
        """1-based line and code-point column -> Position."""
        line = max(0, min(line - 1, len(self.starts) - 1))
        text = self.line_text(line)
        return lsp.Position(line=line, character=self._units(text[:max(0, min(col - 1, len(text)))]))

    def range(self, span: Any) -> lsp.Range:
        return lsp.Range(start=self.at(span.start_line, span.start_col), end=self.at(span.end_line, span.end_col))

    def column(self, position: lsp.Position) -> int:
        """The 0-based code-point column of a client position on its line."""
        text = self.line_text(position.line)
        units = 0
        for i, char in enumerate(text):
            if units >= position.character:
                return i
            units += self._units(char)
        return len(text)

    def edits_to(self, new: str) -> list[lsp.TextEdit]:
        """Line-level edits that turn this text into `new`."""
        old_lines = self.text.splitlines(keepends=True)
        new_lines = new.splitlines(keepends=True)
        offsets = [0]
        for piece in old_lines:
            offsets.append(offsets[-1] + len(piece))
        edits = []
        matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            edits.append(lsp.TextEdit(range=lsp.Range(start=self.position(offsets[i1]), end=self.position(offsets[i2])),
                                      new_text="".join(new_lines[j1:j2])))
        return edits


def _before(a: lsp.Position, b: lsp.Position) -> bool:
    return (a.line, a.character) < (b.line, b.character)


def _touches(a: lsp.Range, b: lsp.Range) -> bool:
    return not (_before(a.end, b.start) or _before(b.end, a.start))


def _wanted(kind: str, only: list[str] | None) -> bool:
    return not only or any(kind == o or kind.startswith(o + ".") for o in only)


# -- documents ----------------------------------------------------------------------------------

@dataclass
class Linted:
    """A document's findings for one version of its text."""

    uri: str
    version: int | None
    snapshot: Snapshot
    project: mcp.Project | None
    findings: list[mcp.Finding] = field(default_factory=list)
    problem: mcp.ConfigProblem | None = None  # the configuration could not be loaded
    config_key: tuple | None = None
    fixed_all: str | None = None  # the text with every safe fix applied, once asked for

    @property
    def text(self) -> str:
        return self.snapshot.text


class _Protocol(LanguageServerProtocol):
    """pygls' protocol, made to answer malformed requests instead of dropping them: a request
    whose parameters do not fit its method gets an InvalidParams error response (pygls would only
    log it, and the client would wait forever), a body that is not JSON a ParseError response."""

    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and "method" in data:
                return _Rejected(data["id"], str(data.get("method")), exc)
            raise

    def handle_message(self, message):
        if isinstance(message, _Rejected):
            logger.warning("rejected %s request %r: %s", message.method, message.id, message.error)
            self._send_response(message.id, None, message.error.to_response_error())
            self._server.tell(lsp.MessageType.Warning,
                              f"mcp-lint: ignored a malformed '{message.method}' request (its parameters do not fit the method)")
            return
        super().handle_message(message)


@dataclass
class _Rejected:
    id: Any
    method: str
    error: JsonRpcException
    jsonrpc: str = "2.0"


class MCPLintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("mcp-lint", __version__, protocol_cls=_Protocol,
                         text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.linted: dict[str, Linted] = {}
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.changed_at: dict[str, float] = {}  # loop time of each document's last change
        self.tasks: set[asyncio.Task] = set()
        self.running: dict[str, tuple] = {}  # uri -> (version, text, future) of the lint under way
        self.projects: dict[tuple, mcp.Project] = {}
        self.broken: dict[tuple, tuple[tuple, mcp.ConfigProblem]] = {}  # key -> (stamp, problem)
        self.reported: dict[tuple, str] = {}  # key -> the problem last shown for it
        self.excluded: dict[tuple[int, str], bool] = {}
        self.workspace_uris: set[str] = set()  # published by lintWorkspace for files not open
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mcp-lint")

    # -- messages ---------------------------------------------------------------------------------
    def tell(self, kind: lsp.MessageType, message: str) -> None:
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    def report_server_error(self, error: Exception, source) -> None:
        if source is JsonRpcException:
            # A body that is not JSON (or not JSON-RPC), a notification whose parameters do not
            # fit: there is no id to answer (a response with a null id upsets clients), so say so.
            logger.warning("malformed message: %s", error)
            self.tell(lsp.MessageType.Warning, f"mcp-lint: ignored a malformed message ({type(error).__name__})")
            return
        if isinstance(error, JsonRpcInternalError):  # a bug in a handler: the request got an error
            self.tell(lsp.MessageType.Error, f"mcp-lint: internal error: {error.message}")
            return
        super().report_server_error(error, source)

    @property
    def encoding(self) -> str:
        try:
            return self.workspace.position_encoding or lsp.PositionEncodingKind.Utf16
        except RuntimeError:  # before initialize
            return lsp.PositionEncodingKind.Utf16

    def supports(self, dotted: str) -> Any:
        value: Any = self.client_capabilities
        for part in dotted.split("."):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    # -- configuration --------------------------------------------------------------------------
    def workspace_folder(self, path: Path) -> Path | None:
        """The innermost workspace folder (or the root) holding `path`; None outside them all."""
        best: Path | None = None
        try:
            folders = [Path(to_fs_path(f.uri)) for f in self.workspace.folders.values()]
            root = self.workspace.root_path
        except RuntimeError:  # before initialize
            folders, root = [], None
        if root:
            folders.append(Path(root))
        for folder in folders:
            try:
                path.relative_to(folder)
            except ValueError:
                continue
            if best is None or len(folder.parts) > len(best.parts):
                best = folder
        return best

    def folder_of(self, path: Path) -> Path:
        return self.workspace_folder(path) or path.parent

    def project_for(self, path: Path, folder: Path | None = None) -> tuple[tuple, mcp.Project | None, mcp.ConfigProblem | None]:
        """The configuration that governs `path` (on the lint thread). A configuration is loaded
        again when its file or a rule pack changes on disk."""
        folder = folder or self.folder_of(path)
        config = mcp.config_file_for(path, folder)
        root = config.parent if config is not None else folder
        key = (str(config) if config else None, str(root))
        project = self.projects.get(key)
        if project is not None and mcp.stamp_of(project) == project.stamp:
            return key, project, None
        broken = self.broken.get(key)
        if broken is not None and mcp.stamp_files(self._problem_files(config, broken[1])) == broken[0]:
            return key, None, broken[1]
        try:
            # A file outside every workspace folder and every configured project is linted alone:
            # its directory (a home directory, /tmp) is not searched for the servers of a project.
            project = mcp.load_project(config, root, scan_tree=config is not None or self.workspace_folder(path) is not None)
        except mcp.ConfigProblem as problem:
            self.projects.pop(key, None)
            self.broken[key] = (mcp.stamp_files(self._problem_files(config, problem)), problem)
            return key, None, problem
        self.broken.pop(key, None)
        self.projects[key] = project
        return key, project, None

    @staticmethod
    def _problem_files(config: Path | None, problem: mcp.ConfigProblem) -> list[Path]:
        files = [config] if config is not None else []
        if problem.path and (config is None or Path(problem.path) != config):
            files.append(Path(problem.path))
        return files

    def show_config_state(self, key: tuple | None, problem: mcp.ConfigProblem | None) -> None:
        """Tell the client once about a configuration that broke, and clear it once it works."""
        if key is None:
            return
        shown = self.reported.get(key)
        if problem is None:
            if shown is not None:
                del self.reported[key]
                uri = shown.split("\n", 1)[0]
                if uri:
                    self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
                self.tell(lsp.MessageType.Info, "mcp-lint: the configuration loads again")
            return
        uri = from_fs_path(problem.path) if problem.path else ""
        text = f"{uri}\n{problem}"
        if shown == text:
            return
        if shown is not None:
            old = shown.split("\n", 1)[0]
            if old and old != uri:
                self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=old, diagnostics=[]))
        self.reported[key] = text
        self.tell(lsp.MessageType.Error, f"mcp-lint: {problem} (files under it are not linted until it is fixed)")
        if uri:
            line = max(0, (problem.line or 1) - 1)
            diagnostic = lsp.Diagnostic(
                range=lsp.Range(start=lsp.Position(line=line, character=0), end=lsp.Position(line=line + 1, character=0)),
                message=problem.message, severity=lsp.DiagnosticSeverity.Error, source=SOURCE, code="configuration")
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[diagnostic]))

    # -- linting ----------------------------------------------------------------------------------
    def _compute(self, uri: str, version: int | None, text: str, language: str | None) -> Linted | None:
        """On the lint thread: the findings of one version of a document (None when the document
        changed while this waited for its turn: a lint of the newer version follows)."""
        doc = self.workspace.text_documents.get(uri)
        if doc is not None and doc.version is not None and version is not None and doc.version > version:
            return None
        snapshot = Snapshot(text, self.encoding)
        path = Path(to_fs_path(uri) or uri)
        if not (path.suffix in PYTHON_SUFFIXES or language == "python"):
            return Linted(uri, version, snapshot, None)
        key, project, problem = self.project_for(path)
        if project is None:
            return Linted(uri, version, snapshot, None, problem=problem, config_key=key)
        excluded = self.excluded.get((id(project), str(path)))
        if excluded is None:
            excluded = self.excluded[(id(project), str(path))] = mcp.is_excluded(project, path)
        findings = [] if excluded else mcp.lint_document(project, path, text)
        return Linted(uri, version, snapshot, project, findings, config_key=key)

    def diagnostics(self, linted: Linted) -> list[lsp.Diagnostic]:
        return [self.diagnostic(linted.uri, linted.snapshot, f) for f in linted.findings]

    @staticmethod
    def _step_location(uri: str, snapshot: Snapshot, f: mcp.Finding, step) -> lsp.Location:
        """A step of the flow: in this document, or in another module of the project."""
        if not step.path or step.path == f.path:
            return lsp.Location(uri=uri, range=snapshot.range(step.span))
        span = step.span
        return lsp.Location(uri=from_fs_path(str(Path(step.path).resolve())) or uri, range=lsp.Range(
            start=lsp.Position(line=span.start_line - 1, character=span.start_col - 1),
            end=lsp.Position(line=span.end_line - 1, character=span.end_col - 1)))

    def diagnostic(self, uri: str, snapshot: Snapshot, f: mcp.Finding) -> lsp.Diagnostic:
        related = [lsp.DiagnosticRelatedInformation(location=self._step_location(uri, snapshot, f, step),
                                                    message=step.message) for step in f.trace]
        return lsp.Diagnostic(
            range=snapshot.range(f.span),
            message=f"[{f.rule_name}] {f.message}",
            severity=_SEVERITY.get(f.severity, lsp.DiagnosticSeverity.Warning),
            code=f.rule_id,
            code_description=lsp.CodeDescription(href=mcp.help_uri(f.rule_id)),
            source=SOURCE,
            related_information=related or None,
            tags=[lsp.DiagnosticTag.Unnecessary] if f.rule_id in _UNNECESSARY else None,
            data={"name": f.rule_name, "fingerprint": f.fingerprint,
                  "fix": f.fix.applicability.value if f.fix is not None else None},
        )

    def schedule(self, uri: str, delay: float = 0.0) -> None:
        """Lint `uri`: at once when `delay` is 0 or the document had been quiet that long (the first
        keystroke after a pause), else once no change has come for `delay` seconds (a burst of
        typing is linted once, at its end)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        timer = self.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        quiet = now - self.changed_at.get(uri, float("-inf")) >= delay
        self.changed_at[uri] = now
        if delay <= 0 or (quiet and timer is None):
            self._start(uri)
        else:
            self.timers[uri] = loop.call_later(delay, self._start, uri)

    def _start(self, uri: str) -> None:
        self.timers.pop(uri, None)
        task = asyncio.ensure_future(self.current(uri))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def current(self, uri: str) -> Linted | None:
        """The findings of the document's current version (linting it now if need be), published.
        Callers that ask for the same version while it is being linted share that one lint."""
        doc = self.workspace.text_documents.get(uri)
        if doc is None:
            return None
        known = self.linted.get(uri)
        version, text = doc.version, doc.source
        if known is not None and known.version == version and known.text == text:
            return known
        running = self.running.get(uri)
        if running is None or running[0] != version or running[1] != text:
            future = asyncio.get_running_loop().run_in_executor(
                self.executor, self._compute, uri, version, text, doc.language_id)
            running = self.running[uri] = (version, text, future)
        try:
            linted = await asyncio.shield(running[2])  # a cancelled request leaves the lint to the others
        except Exception as exc:  # noqa: BLE001 - one document's failure must not stop the server
            if self.running.get(uri) is running:
                del self.running[uri]
                logger.exception("linting %s failed", uri)
                self.tell(lsp.MessageType.Error,
                          f"mcp-lint: internal error while linting {uri}: {type(exc).__name__}: {exc}")
            return None
        if self.running.get(uri) is running:
            del self.running[uri]
        if linted is None:  # skipped: the document has a newer version
            return None
        if self.linted.get(uri) is linted:
            return linted  # another caller published it
        self.show_config_state(linted.config_key, linted.problem)
        now = self.workspace.text_documents.get(uri)
        if now is None or now.version != version or now.source != text:
            return linted  # edited (or closed) meanwhile: a newer lint is on its way
        self.linted[uri] = linted
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, diagnostics=self.diagnostics(linted), version=version))
        return linted

    def forget(self, uri: str) -> None:
        self.changed_at.pop(uri, None)
        self.running.pop(uri, None)
        timer = self.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self.linted.pop(uri, None)

    def relint_open(self, delay: float = DEBOUNCE) -> None:
        for uri in list(self.workspace.text_documents):
            self.linted.pop(uri, None)
            self.schedule(uri, delay)

    def file_changed(self, path: Path) -> None:
        """A file changed on disk (saved, or reported by the client's file watcher)."""
        if path.suffix in PYTHON_SUFFIXES:
            for project in list(self.projects.values()):
                project.forget_index()
        else:
            self.excluded.clear()  # a .gitignore or the configuration may exclude other files now

    # -- code actions ---------------------------------------------------------------------------
    def workspace_edit(self, linted: Linted, new_text: str) -> lsp.WorkspaceEdit | None:
        edits = linted.snapshot.edits_to(new_text)
        if not edits:
            return None
        if self.supports("workspace.workspace_edit.document_changes"):
            doc = lsp.OptionalVersionedTextDocumentIdentifier(uri=linted.uri, version=linted.version)
            return lsp.WorkspaceEdit(document_changes=[lsp.TextDocumentEdit(text_document=doc, edits=edits)])
        return lsp.WorkspaceEdit(changes={linted.uri: edits})

    def new_text(self, linted: Linted, data: dict) -> str | None:
        """The document's text after the action that `data` describes."""
        what = data.get("action")
        if what == "fix-all":
            if linted.fixed_all is None:
                linted.fixed_all = mcp.fix_all(linted.project, Path(to_fs_path(linted.uri)), linted.text)
            return linted.fixed_all
        finding = self.find(linted, data)
        if finding is None:
            return None
        if what == "fix" and finding.fix is not None:
            return mcp.apply_fix(linted.text, finding)
        if what == "noqa":
            return mcp.add_noqa(linted.text, finding)
        return None

    @staticmethod
    def find(linted: Linted, data: dict) -> mcp.Finding | None:
        for f in linted.findings:
            if f.rule_id == data.get("rule") and f.fingerprint == data.get("fingerprint"):
                return f
        return None

    def actions(self, linted: Linted, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        only = params.context.only
        lazy = bool(self.supports("text_document.code_action.resolve_support"))
        lazy = lazy and "edit" in (self.supports("text_document.code_action.resolve_support.properties") or [])
        out: list[lsp.CodeAction] = []

        def action(title: str, kind: str, data: dict, diagnostic: lsp.Diagnostic | None = None,
                   preferred: bool | None = None) -> None:
            data = {"uri": linted.uri, "version": linted.version, **data}
            edit = None
            if not lazy:
                new = self.new_text(linted, data)
                edit = self.workspace_edit(linted, new) if new is not None else None
                if edit is None:
                    return
            out.append(lsp.CodeAction(title=title, kind=kind, diagnostics=[diagnostic] if diagnostic else None,
                                      is_preferred=preferred, edit=edit, data=data))

        quickfix = _wanted(lsp.CodeActionKind.QuickFix, only)
        safe_fixes = [f for f in linted.findings if f.fix is not None and f.fix.applicability == mcp.Applicability.SAFE]
        in_range = False
        for f in linted.findings:
            diagnostic = self.diagnostic(linted.uri, linted.snapshot, f)
            if not _touches(diagnostic.range, params.range):
                continue
            in_range = True
            if not quickfix:
                continue
            ident = {"rule": f.rule_id, "fingerprint": f.fingerprint}
            if f.fix is not None:
                safe = f.fix.applicability == mcp.Applicability.SAFE
                title = f"{f.fix.description} ({f.rule_id})" + ("" if safe else " (unsafe)")
                action(title, lsp.CodeActionKind.QuickFix, {"action": "fix", **ident}, diagnostic, safe or None)
            if f.rule_id not in _NO_NOQA:
                action(f"Add `# noqa: {f.rule_id}`", lsp.CodeActionKind.QuickFix, {"action": "noqa", **ident},
                       diagnostic)
        if safe_fixes:
            if quickfix and in_range:
                action("Fix all safe fixes in this file (mcp-lint)", lsp.CodeActionKind.QuickFix,
                       {"action": "fix-all"})
            if only and _wanted(FIX_ALL_KIND, only):
                action("Fix all safe fixes in this file (mcp-lint)", FIX_ALL_KIND, {"action": "fix-all"})
        return out

    # -- hover ------------------------------------------------------------------------------------
    def hover(self, linted: Linted, position: lsp.Position) -> lsp.Hover | None:
        project = linted.project
        line = linted.snapshot.line_text(position.line)
        column = linted.snapshot.column(position)
        comment = line.find("#")
        if comment >= 0 and column >= comment:
            for start, end, code in mcp.suppression_codes(line):
                if start <= column <= end:
                    doc = mcp.rule_doc(project, code)
                    if doc is None:
                        return None
                    rng = lsp.Range(start=linted.snapshot.at(position.line + 1, start + 1),
                                    end=linted.snapshot.at(position.line + 1, end + 1))
                    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=doc), range=rng)
        point = lsp.Range(start=position, end=position)
        docs: list[str] = []
        for f in linted.findings:
            if _touches(linted.snapshot.range(f.span), point):
                doc = mcp.rule_doc(project, f.rule_id)
                if doc is not None and doc not in docs:
                    docs.append(doc)
        if not docs:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n---\n\n".join(docs)))

    # -- the workspace ----------------------------------------------------------------------------
    def _lint_folder(self, folder: Path) -> tuple[tuple, mcp.Project | None, mcp.ConfigProblem | None, Any]:
        """On the lint thread: `mcp-lint check FOLDER` from FOLDER, with that folder's configuration."""
        key, project, problem = self.project_for(folder, folder)
        if project is None:
            return key, None, problem, None
        return key, project, None, mcp.lint_tree(project, [str(folder)], folder)

    async def lint_workspace(self) -> dict:
        folders = [Path(to_fs_path(f.uri)) for f in self.workspace.folders.values()]
        if not folders and self.workspace.root_path:
            folders = [Path(self.workspace.root_path)]
        loop = asyncio.get_running_loop()
        published: set[str] = set()
        summary = {"folders": len(folders), "files": 0, "findings": 0, "errors": []}
        for folder in folders:
            key, project, problem, tree = await loop.run_in_executor(self.executor, self._lint_folder, folder)
            self.show_config_state(key, problem)
            if tree is None:
                summary["errors"].append(str(problem))
                continue
            by_path: dict[Path, list[mcp.Finding]] = {path: [] for path in tree.files}
            for f in tree.findings:
                by_path.setdefault((folder / f.path).resolve() if not Path(f.path).is_absolute() else Path(f.path),
                                   []).append(f)
            summary["files"] += len(tree.files)
            summary["findings"] += len(tree.findings)
            summary["errors"] += tree.errors
            for path, found in by_path.items():
                uri = from_fs_path(str(path))
                if uri in self.workspace.text_documents:
                    await self.current(uri)  # the buffer, not the file on disk
                    continue
                published.add(uri)
                snapshot = Snapshot(_read(path) if found else "", self.encoding)
                self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
                    uri=uri, diagnostics=[self.diagnostic(uri, snapshot, f) for f in found]))
        for uri in self.workspace_uris - published:  # clean now, or gone
            if uri not in self.workspace.text_documents:
                self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        self.workspace_uris = published
        return summary


def _read(path: Path) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as fh:
            return fh.read()
    except OSError:
        return ""


# -- wiring ---------------------------------------------------------------------------------------

def create_server() -> MCPLintServer:
    server = MCPLintServer()

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: MCPLintServer, params: lsp.InitializedParams) -> None:
        if ls.supports("workspace.did_change_watched_files.dynamic_registration"):
            watchers = [lsp.FileSystemWatcher(glob_pattern=g) for g in
                        ("**/pyproject.toml", "**/*.py", "**/*.pyi", "**/*.yaml", "**/*.yml", "**/.gitignore")]
            try:
                await ls.client_register_capability_async(lsp.RegistrationParams(registrations=[lsp.Registration(
                    id="mcp-lint-watched-files", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))]))
            except Exception:  # noqa: BLE001 - a client that refuses: saves still count
                logger.info("the client did not register file watchers")

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MCPLintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MCPLintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, DEBOUNCE)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
    def did_save(ls: MCPLintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = Path(to_fs_path(uri) or uri)
        ls.file_changed(path)
        if path.suffix in PYTHON_SUFFIXES:
            ls.linted.pop(uri, None)
            ls.schedule(uri)
        else:  # the configuration, a rule pack, a .gitignore: every open document may change
            ls.relint_open(0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MCPLintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.forget(uri)
        if uri not in ls.workspace_uris:
            ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: MCPLintServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            ls.file_changed(Path(to_fs_path(change.uri) or change.uri))
        ls.relint_open()

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
        code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll, FIX_ALL_KIND],
        resolve_provider=True))
    async def code_action(ls: MCPLintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        linted = await ls.current(params.text_document.uri)
        if linted is None or linted.project is None:
            return None
        return await asyncio.get_running_loop().run_in_executor(ls.executor, ls.actions, linted, params) or None

    @server.feature(lsp.CODE_ACTION_RESOLVE)
    async def resolve_code_action(ls: MCPLintServer, action: lsp.CodeAction) -> lsp.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        linted = await ls.current(str(data.get("uri", "")))
        if linted is None or linted.project is None:
            return action
        new = await asyncio.get_running_loop().run_in_executor(ls.executor, ls.new_text, linted, data)
        if new is not None:
            action.edit = ls.workspace_edit(linted, new)
        return action

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def hover(ls: MCPLintServer, params: lsp.HoverParams) -> lsp.Hover | None:
        linted = await ls.current(params.text_document.uri)
        if linted is None or linted.project is None:
            return None
        return ls.hover(linted, params.position)

    @server.command(LINT_WORKSPACE)
    async def lint_workspace(ls: MCPLintServer, *args: Any) -> dict:
        return await ls.lint_workspace()

    return server


def serve(log_file: str | None = None, log_level: str = "WARNING") -> int:
    """Run the server on stdin/stdout until the client says exit (or closes the pipe)."""
    handler: logging.Handler = logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.WARNING), handlers=[handler])
    # The protocol owns stdout: anything else printed (a stray print, a warning) goes to stderr.
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    server = create_server()
    mcp.tune_gc()
    server.start_io(stdin, stdout)
    server.executor.shutdown(wait=False, cancel_futures=True)
    return 0
