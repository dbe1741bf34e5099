"""Security rules beyond their examples: per-finding confidence, the secret heuristics, the
host and auth reasoning of MCP110, and the `security-severity` a rule declares."""

from __future__ import annotations

import json

import pytest

from conftest import findings, run_cli, write
from mcp_lint.check.primitives.secrets import HardcodedSecret
from mcp_lint.packs.registry import default_registry

RULES = {r.id: r for r in default_registry().rules}


def _lint(tmp_path, code: str, rule: str) -> list[dict]:
    path = write(tmp_path, "server.py", code)
    return findings(run_cli(path, "--select", rule, "--output-format", "json", "--exit-zero"), rule)


# -- MCP106 -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def secrets():
    return HardcodedSecret(RULES["MCP106"])


@pytest.mark.parametrize("name", ["api_key", "API_KEY", "githubToken", "DB_PASSWORD", "client_secret",
                                  "SECRET_KEY", "private_key", "X-Api-Key", "access_token", "passwd",
                                  "token_value", "slack_bot_token"])
def test_secret_names(secrets, name):
    assert secrets.secret_name(name)


@pytest.mark.parametrize("name", ["token_type", "TOKEN_URL", "password_field", "api_key_header", "API_KEY_ENV",
                                  "max_tokens", "tokens", "token_count", "is_secret", "secret_name",
                                  "password_prompt", "tokenizer", "keyword", "description"])
def test_not_secret_names(secrets, name):
    assert not secrets.secret_name(name)


@pytest.mark.parametrize("value", ["", "changeme", "<your-api-key>", "xxxxxxxxxxxx", "your_api_key_here",
                                   "${API_KEY}", "GITHUB_TOKEN", "bearer", "refresh_token", "nextToken",
                                   "https://example.org/token", "~/.config/token", "Invalid token given",
                                   "********", "{token}", "%(password)s", "[^\\W\\d]\\w*", "AWSSecretKey",
                                   "AWSAccessKeyId"])
def test_not_secret_values(secrets, value):
    assert secrets.secret_value(value, "api_key") is None


def test_secret_value_confidence(secrets):
    assert secrets.secret_value("9fQ2-kd8Lz01xPa7", "token").value == "high"
    assert secrets.secret_value("hunter22", "password").value == "medium"
    assert secrets.secret_value("1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d", "token").value == "medium"
    assert secrets.secret_value("kQzPwLmRtYxVbNcD", "token") is not None


def test_findings_carry_their_own_confidence_and_never_the_value(tmp_path):
    got = _lint(tmp_path, '''\
        PASSWORD = "hunter22"
        AWS = "AKIAZ7Q4M2XK9TBW3RLN"
        ''', "MCP106")
    assert [(f["start"]["line"], f["confidence"]) for f in got] == [(1, "medium"), (2, "high")]
    assert all("hunter22" not in f["message"] and "AKIA" not in f["message"] for f in got)


def test_a_literal_is_reported_once(tmp_path):
    got = _lint(tmp_path, 'GITHUB_TOKEN = "ghp_R8fK2mQ9xL4vT7nW1cZ6bY3hJ5pD0sA2eG8u"\n', "MCP106")
    assert len(got) == 1


# -- MCP109 -------------------------------------------------------------------------------------

def test_cert_none_compared_or_used_as_a_table_key_is_not_reported(tmp_path):
    got = _lint(tmp_path, '''\
        import ssl

        NAMES = {ssl.CERT_NONE: "none", ssl.CERT_REQUIRED: "required"}

        def describe(ctx):
            if ctx.verify_mode == ssl.CERT_NONE:
                return "unverified"
            return NAMES[ctx.verify_mode]

        class Context:
            def __init__(self):
                self.check_hostname = False
                self.verify_mode = ssl.CERT_NONE
        ''', "MCP109")
    assert got == []


# -- MCP110 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("code, confidence", [
    ('from mcp.server.fastmcp import FastMCP\nmcp = FastMCP("x", host="0.0.0.0")\nmcp.run(transport="sse")\n',
     "high"),
    ('from fastmcp import FastMCP\nmcp = FastMCP("x")\nmcp.run(transport="http", host="0.0.0.0")\n', "medium"),
    ('import os\nfrom mcp.server.mcpserver import MCPServer\nmcp = MCPServer("x")\n'
     'mcp.run(os.environ["T"], host="0.0.0.0")\n', "medium"),
])
def test_unauthenticated_http_confidence(tmp_path, code, confidence):
    got = _lint(tmp_path, code, "MCP110")
    assert [f["confidence"] for f in got] == [confidence]


@pytest.mark.parametrize("code, line", [
    # an app served by uvicorn in the same module: reported once, at the runner
    ('import uvicorn\nfrom mcp.server.fastmcp import FastMCP\nmcp = FastMCP("x")\napp = mcp.sse_app()\n'
     'uvicorn.run(app, host="0.0.0.0")\n', 5),
    # the host of a settings class field
    ('from pydantic_settings import BaseSettings\nfrom mcp.server.fastmcp import FastMCP\n'
     'class Settings(BaseSettings):\n    host: str = "0.0.0.0"\nsettings = Settings()\n'
     'mcp = FastMCP("x", host=settings.host)\nmcp.run(transport="sse")\n', 7),
    # a low-level server behind uvicorn.Config + uvicorn.Server
    ('import uvicorn\nfrom mcp.server.lowlevel import Server\nfrom mcp.server.sse import SseServerTransport\n'
     'server = Server("x")\nsse = SseServerTransport("/m/")\nasync def main(app):\n'
     '    await uvicorn.Server(uvicorn.Config(app, host="0.0.0.0")).serve()\n', 7),
    # a typer option default
    ('import typer\nfrom mcp.server.mcpserver import MCPServer\nmcp = MCPServer("y")\n'
     'def main(host: str = typer.Option("0.0.0.0", "--host")):\n    mcp.run("sse", host=host)\n', 5),
])
def test_unauthenticated_http_host_sources(tmp_path, code, line):
    got = _lint(tmp_path, code, "MCP110")
    assert [f["start"]["line"] for f in got] == [line]



@pytest.mark.parametrize("code", [
    # loopback defaults, literal or through an option default
    'from fastmcp import FastMCP\nmcp = FastMCP("x")\nmcp.run(transport="http")\n',
    'import argparse\nfrom mcp.server.mcpserver import MCPServer\nmcp = MCPServer("x")\n'
    'p = argparse.ArgumentParser()\np.add_argument("--host", default="localhost")\na = p.parse_args()\n'
    'mcp.run("sse", host=a.host)\n',
    # a host this file cannot work out
    'import sys\nfrom mcp.server.mcpserver import MCPServer\nmcp = MCPServer("x")\nmcp.run("sse", host=sys.argv[1])\n',
    # the server is built in another module, with whatever auth it has there
    'from mcp.server.mcpserver import MCPServer\ndef main(mcp: MCPServer):\n    mcp.run("sse", host="0.0.0.0")\n',
    # stdio
    'from mcp.server.fastmcp import FastMCP\nmcp = FastMCP("x", host="0.0.0.0")\nmcp.run()\n',
])
def test_unauthenticated_http_silent(tmp_path, code):
    assert _lint(tmp_path, code, "MCP110") == []


# -- security-severity --------------------------------------------------------------------------

def test_declared_security_severity_goes_to_sarif(tmp_path):
    path = write(tmp_path, "server.py", 'API_TOKEN = "9fQ2-kd8Lz01xPa7"\n')
    doc = json.loads(run_cli(path, "--select", "MCP106", "--output-format", "sarif", "--exit-zero").stdout)
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["MCP106"]["properties"]["security-severity"] == "7.5"
    assert "external/cwe/cwe-798" in rules["MCP106"]["properties"]["tags"]


@pytest.mark.parametrize("value, ok", [("7.5", True), ("9", True), ("11", False), ('"high"', False)])
def test_security_severity_is_a_score_from_0_to_10(tmp_path, value, ok):
    from mcp_lint.model.errors import PackError
    from mcp_lint.packs.loader import load_pack
    path = write(tmp_path, "pack.yaml", f'''\
        pack: custom
        description: d
        rules:
          - id: ABC123
            name: probe
            message: m
            severity: error
            confidence: high
            security-severity: {value}
            tags: [security]
            docs: {{what: w, why: y}}
            check: {{primitive: call-check, calls: [{{call: eval}}]}}
            examples:
              invalid: [{{code: "eval(x)", lines: [1]}}]
              valid: [{{code: "x"}}]
        ''')
    if ok:
        assert load_pack(path).rules[0].security_severity == float(value)
    else:
        with pytest.raises(PackError, match="security-severity"):
            load_pack(path)
