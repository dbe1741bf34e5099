"""`mcp-lint server`, driven over stdio as an editor drives it: the real server process, a real LSP
client (pytest-lsp on pygls), real files in a workspace folder. Every wait is for a message, with
a generous limit; nothing sleeps."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from concurrent.futures import Future
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types as lsp  # noqa: E402
from pygls.exceptions import JsonRpcException  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from conftest import SERVER, write  # noqa: E402

pytestmark = pytest.mark.asyncio

WAIT = 60  # seconds: a loaded CI machine may be slow, a hung server must still fail the test

# A stdio server whose tool prints to stdout: MCP501, with a safe fix.
STDIO_SERVER = '''\
from mcp.server.fastmcp import FastMCP

mcp = FastMCP("notes")


@mcp.tool()
def add_note(text: str) -> str:
    """Store a note."""
    print("adding", text)
    return "ok"


if __name__ == "__main__":
    mcp.run()
'''

CONFIG = ClientServerConfig(server_command=[sys.executable, "-m", "mcp_lint", "server"])


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient, tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    lsp_client.registrations = []

    @lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:  # as VS Code does: file watchers
        lsp_client.registrations.extend(params.registrations)

    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=from_fs_path(str(folder)),
        workspace_folders=[lsp.WorkspaceFolder(uri=from_fs_path(str(folder)), name="ws")],
    ))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def ws(tmp_path) -> Path:
    return tmp_path / "ws"


# -- helpers --------------------------------------------------------------------------------------

def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = from_fs_path(str(path))
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id="python", version=version, text=path.read_text() if text is None else text)))
    return uri


def change_doc(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))


async def diagnostics(client: LanguageClient, uri: str, until=lambda ds: True) -> list[lsp.Diagnostic]:
    """The diagnostics published for `uri` once they satisfy `until`."""
    async def wait():
        while True:
            found = client.diagnostics.get(uri)
            if found is not None and until(found):
                return list(found)
            await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return await asyncio.wait_for(wait(), WAIT)


async def message(client: LanguageClient, until) -> lsp.ShowMessageParams:
    async def wait():
        while True:
            for m in client.messages:
                if until(m):
                    return m
            await client.wait_for_notification(lsp.WINDOW_SHOW_MESSAGE)
    return await asyncio.wait_for(wait(), WAIT)


def codes(found) -> list[str]:
    return sorted(str(d.code) for d in found)


def position_offset(text: str, position: lsp.Position) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(line) for line in lines[:position.line]) + position.character  # ASCII texts


def apply(text: str, edit: lsp.WorkspaceEdit, uri: str) -> str:
    """What an editor does with a WorkspaceEdit."""
    if edit.document_changes:
        edits = [e for change in edit.document_changes if change.text_document.uri == uri for e in change.edits]
    else:
        edits = list((edit.changes or {}).get(uri, []))
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = position_offset(text, e.range.start), position_offset(text, e.range.end)
        text = text[:start] + e.new_text + text[end:]
    return text


def send_raw(client: LanguageClient, body: bytes) -> None:
    """Bytes on the wire, as a buggy client might send them."""
    client.protocol.writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


async def actions(client: LanguageClient, uri: str, rng: lsp.Range, only=None) -> list[lsp.CodeAction]:
    found = await asyncio.wait_for(client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=rng,
        context=lsp.CodeActionContext(diagnostics=[], only=only))), WAIT)
    return list(found or [])


async def resolved(client: LanguageClient, action: lsp.CodeAction) -> lsp.WorkspaceEdit:
    if action.edit is None:
        action = await asyncio.wait_for(client.code_action_resolve_async(action), WAIT)
    assert action.edit is not None
    return action.edit


async def hover(client: LanguageClient, uri: str, line: int, character: int) -> lsp.Hover | None:
    return await asyncio.wait_for(client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=line, character=character))), WAIT)


# -- diagnostics ----------------------------------------------------------------------------------

async def test_opening_a_file_publishes_its_findings_with_rule_link_and_flow(client: LanguageClient, ws):
    uri = open_doc(client, write(ws, "server.py", SERVER))
    (found,) = await diagnostics(client, uri, lambda ds: len(ds) > 0)
    assert found.code == "MCP101"
    assert found.source == "mcp-lint"
    assert found.severity == lsp.DiagnosticSeverity.Error
    assert "sql-string-formatting" in found.message
    assert found.range.start == lsp.Position(line=10, character=4)  # line 11, column 5 in the CLI
    assert found.code_description.href.endswith("/docs/rules/MCP101.md")
    steps = found.related_information
    assert steps and all(s.location.uri == uri for s in steps)
    assert "customer" in steps[0].message
    assert steps[0].location.range.start.line == 6  # the tool parameter, line 7
    assert steps[-1].location.range.start.line == 10  # the sink


async def test_diagnostics_follow_the_unsaved_buffer(client: LanguageClient, ws):
    path = write(ws, "server.py", SERVER)
    uri = open_doc(client, path)
    await diagnostics(client, uri, lambda ds: codes(ds) == ["MCP101"])
    # Typing: several quick changes, debounced; the last one is what gets linted. The file on
    # disk is never written.
    fixed = SERVER.replace('''f"SELECT * FROM orders WHERE customer = '{customer}'"''',
                           '"SELECT * FROM orders WHERE customer = ?", (customer,)')
    for version, text in enumerate([SERVER + "\n#", SERVER + "\n# x", fixed], start=2):
        change_doc(client, uri, text, version)
    assert await diagnostics(client, uri, lambda ds: not ds) == []
    assert path.read_text() == SERVER


async def test_a_file_that_does_not_parse_is_an_mcp001_diagnostic(client: LanguageClient, ws):
    uri = open_doc(client, write(ws, "broken.py", "def f(:\n    return 1\n"))
    (found,) = await diagnostics(client, uri, lambda ds: len(ds) > 0)
    assert found.code == "MCP001"
    assert found.range.start.line == 0
    # The server is alive and answers the next request.
    start = found.range.start
    assert (await hover(client, uri, start.line, start.character)).contents.value.startswith("# MCP001")


# -- code actions ---------------------------------------------------------------------------------

async def test_the_safe_fix_is_a_preferred_quick_fix_and_leaves_the_file_clean(client: LanguageClient, ws):
    path = write(ws, "server.py", STDIO_SERVER)
    uri = open_doc(client, path)
    (found,) = await diagnostics(client, uri, lambda ds: len(ds) > 0)
    assert found.code == "MCP501"
    offered = await actions(client, uri, found.range)
    titles = [a.title for a in offered]
    fix = next(a for a in offered if a.is_preferred)
    assert fix.kind == lsp.CodeActionKind.QuickFix and "(unsafe)" not in fix.title
    assert "Add `# noqa: MCP501`" in titles
    assert "Fix all safe fixes in this file (mcp-lint)" in titles
    text = apply(STDIO_SERVER, await resolved(client, fix), uri)
    assert 'print("adding", text, file=sys.stderr)' in text
    assert "import sys" in text
    change_doc(client, uri, text, 2)
    assert await diagnostics(client, uri, lambda ds: not ds) == []


async def test_noqa_and_fix_all_on_save(client: LanguageClient, ws):
    uri = open_doc(client, write(ws, "server.py", STDIO_SERVER))
    (found,) = await diagnostics(client, uri, lambda ds: len(ds) > 0)
    noqa = next(a for a in await actions(client, uri, found.range) if a.title == "Add `# noqa: MCP501`")
    silenced = apply(STDIO_SERVER, await resolved(client, noqa), uri)
    assert 'print("adding", text)  # noqa: MCP501' in silenced
    # What an editor asks for on save: source.fixAll actions only.
    (fix_all,) = await actions(client, uri, lsp.Range(start=lsp.Position(line=0, character=0),
                                                       end=lsp.Position(line=0, character=0)),
                               only=[lsp.CodeActionKind.SourceFixAll])
    assert fix_all.kind == "source.fixAll.mcp-lint"
    fixed = apply(STDIO_SERVER, await resolved(client, fix_all), uri)
    assert 'file=sys.stderr' in fixed
    change_doc(client, uri, silenced, 2)
    assert await diagnostics(client, uri, lambda ds: not ds) == []
    assert await actions(client, uri, found.range) == []


async def test_an_unsafe_fix_says_so(client: LanguageClient, ws):
    code = STDIO_SERVER.replace("@mcp.tool()", "@mcp.tool")
    uri = open_doc(client, write(ws, "server.py", code))
    found = await diagnostics(client, uri, lambda ds: "MCP204" in codes(ds))
    bare = next(d for d in found if d.code == "MCP204")
    fix = next(a for a in await actions(client, uri, bare.range) if "MCP204" in a.title and "noqa" not in a.title)
    assert fix.title.endswith("(unsafe)") and not fix.is_preferred
    assert "@mcp.tool()" in apply(code, await resolved(client, fix), uri)


# -- hover ----------------------------------------------------------------------------------------

async def test_hover_shows_the_rule_documentation(client: LanguageClient, ws):
    code = SERVER + "\n\ndef helper(x):  # noqa: MCP201, MCP4\n    return x\n"
    uri = open_doc(client, write(ws, "server.py", code))
    await diagnostics(client, uri, lambda ds: len(ds) > 0)
    over_finding = await hover(client, uri, 10, 10)
    assert over_finding.contents.kind == lsp.MarkupKind.Markdown
    assert over_finding.contents.value.startswith("# MCP101: sql-string-formatting")
    assert "## Why is this bad?" in over_finding.contents.value
    line = code.splitlines()[14]
    over_code = await hover(client, uri, 14, line.index("MCP201") + 2)
    assert over_code.contents.value.startswith("# MCP201: untyped-tool-parameter")
    assert over_code.range.start.character == line.index("MCP201")
    assert await hover(client, uri, 14, line.index("MCP4") + 1) is None  # a prefix, not a rule
    assert await hover(client, uri, 0, 0) is None


# -- the workspace ----------------------------------------------------------------------------------

async def test_lint_workspace_publishes_every_file_and_fills_the_findings_cache(client: LanguageClient, ws):
    write(ws, "pyproject.toml", '[tool.mcp-lint]\nextend-select = ["MCP900"]\n')
    a = write(ws, "a/server.py", SERVER)
    b = write(ws, "b/stdio.py", STDIO_SERVER)
    clean = write(ws, "c/clean.py", "X = 1  # noqa: MCP101\n")
    result = await asyncio.wait_for(client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="mcp-lint.lintWorkspace")), WAIT)
    assert result["files"] == 3 and result["findings"] == 3 and result["errors"] == []
    assert codes(await diagnostics(client, from_fs_path(str(a)))) == ["MCP101"]
    assert codes(await diagnostics(client, from_fs_path(str(b)))) == ["MCP501"]
    unused = await diagnostics(client, from_fs_path(str(clean)))
    assert codes(unused) == ["MCP900"] and list(unused[0].tags) == [lsp.DiagnosticTag.Unnecessary]
    cache = Path(os.environ["MCP_LINT_CACHE_DIR"])
    assert list(cache.glob("findings-*.json"))
    # Fixed on disk, linted again: the cleared file gets an empty list.
    a.write_text(SERVER.replace("mcp = FastMCP", "# noqa: MCP101\nmcp = FastMCP").replace(
        "    cur.execute(", "    cur.execute(  # noqa: MCP101\n        "))
    again = await asyncio.wait_for(client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="mcp-lint.lintWorkspace")), WAIT)
    assert again["findings"] == 3  # MCP900 for the needless comment above `mcp`
    assert codes(await diagnostics(client, from_fs_path(str(a)), lambda ds: "MCP101" not in codes(ds))) == ["MCP900"]


# -- a server that does not die -------------------------------------------------------------------

async def test_a_malformed_request_is_answered_with_an_error_and_the_server_goes_on(client: LanguageClient, ws):
    uri = open_doc(client, write(ws, "server.py", SERVER))
    await diagnostics(client, uri, lambda ds: len(ds) > 0)
    answer: Future = Future()
    client.protocol._request_futures["bad-hover"] = answer  # where the client matches responses
    send_raw(client, json.dumps({"jsonrpc": "2.0", "id": "bad-hover", "method": "textDocument/hover",
                                 "params": {"textDocument": 5, "position": "here"}}).encode())
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wait_for(asyncio.wrap_future(answer), WAIT)
    assert caught.value.code == -32602  # InvalidParams
    await message(client, lambda m: "malformed 'textDocument/hover'" in m.message)
    # A body that is not JSON at all.
    send_raw(client, b"{this is not json")
    await message(client, lambda m: "ignored a malformed message" in m.message)
    assert (await hover(client, uri, 10, 10)).contents.value.startswith("# MCP101")


async def test_a_broken_configuration_is_reported_and_linting_resumes_once_fixed(client: LanguageClient, ws):
    config = write(ws, "pyproject.toml", '[project]\nname = "x"\n\n[tool.mcp-lint]\nselect = ["MCP1", "NOPE"]\n')
    uri = open_doc(client, write(ws, "server.py", SERVER))
    shown = await message(client, lambda m: "NOPE" in m.message)
    assert shown.type == lsp.MessageType.Error
    config_uri = from_fs_path(str(config))
    (problem,) = await diagnostics(client, config_uri, lambda ds: len(ds) > 0)
    assert problem.range.start.line == 4 and "unknown rule selector 'NOPE'" in problem.message
    assert not client.diagnostics.get(uri)
    assert await hover(client, uri, 10, 10) is None  # answered, not hung
    config.write_text('[project]\nname = "x"\n\n[tool.mcp-lint]\nselect = ["MCP1"]\n')
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(
        text_document=lsp.TextDocumentIdentifier(uri=config_uri)))
    assert codes(await diagnostics(client, uri, lambda ds: len(ds) > 0)) == ["MCP101"]
    assert await diagnostics(client, config_uri, lambda ds: not ds) == []


async def test_settings_of_the_configuration_apply(client: LanguageClient, ws):
    write(ws, "pyproject.toml", '[tool.mcp-lint]\nignore = ["MCP101"]\nextend-select = ["MCP900"]\n\n'
                                '[tool.mcp-lint.severity]\nMCP501 = "info"\n')
    uri = open_doc(client, write(ws, "server.py", STDIO_SERVER + "\nX = 1  # noqa: MCP4\n" + SERVER[SERVER.index("@"):]))
    found = await diagnostics(client, uri, lambda ds: len(ds) > 0)
    assert codes(found) == ["MCP501", "MCP900"]
    assert next(d for d in found if d.code == "MCP501").severity == lsp.DiagnosticSeverity.Information


async def test_a_new_unsaved_buffer_is_linted_and_an_excluded_file_is_not(client: LanguageClient, ws):
    write(ws, "pyproject.toml", '[tool.mcp-lint]\nextend-exclude = ["generated/"]\n')
    unsaved = open_doc(client, ws / "new_server.py", text=SERVER)  # never written to disk
    assert codes(await diagnostics(client, unsaved, lambda ds: len(ds) > 0)) == ["MCP101"]
    excluded = open_doc(client, write(ws, "generated/api.py", SERVER))
    assert await diagnostics(client, excluded) == []  # published, and empty
