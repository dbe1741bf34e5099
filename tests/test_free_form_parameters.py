"""MCP201 on parameters that are free-form by design: still reported, at low confidence, unless
the tool's description lists the fields they take."""

from __future__ import annotations

from conftest import findings, run_cli, write

SERVER = '''
from typing import Any

from mcp.server.fastmcp import FastMCP
from pydantic import BaseModel, Field

mcp = FastMCP("data")


class SearchParams(BaseModel):
    text: str
    limit: int = 10


@mcp.tool()
def run_query(query: str, params: dict[str, Any] | None = None) -> list:
    """Run a read-only SQL query with bind parameters."""
    return db.execute(text(query), params or {}).fetchall()


@mcp.tool()
def run_cypher(query: str, params: dict = Field(default_factory=dict)) -> list:
    """Run a Cypher query."""
    q = Query(query, timeout=5)
    return driver.execute_query(q, parameters_=params)


@mcp.tool()
def start_run(workflow: str, metadata: dict | None = None) -> dict:
    """Start a run of a workflow. metadata is free-form JSON attached to the run."""
    return api.post("/runs", json={"workflow": workflow, "metadata": metadata})


@mcp.tool()
def set_properties(node: str, properties: dict[str, Any]) -> str:
    """Set properties of a node; the keys depend on the node's class."""
    for key, value in properties.items():
        bridge.set(node, key, value)
    return "ok"


@mcp.tool()
def create_customer(data: dict) -> dict:
    """Create a customer.

    Args:
        data: the customer, with `name`, `email` and `country`.
    """
    return api.post("/customers", json=data)


@mcp.tool()
def search(params: dict[str, Any]) -> list:
    """Search with parameters."""
    return index.search(SearchParams(**params))


@mcp.tool()
def update_record(query: str, fields: dict) -> str:
    """Update the records a query selects.

    Args:
        fields: new values, e.g. {"status": "done", "owner": "me"}
    """
    return db.execute(query, fields)


@mcp.tool()
def set_operator(index: int, params: dict) -> str:
    """Set properties of an operator."""
    names = [str(key) for key in params]
    return bridge.assign(index, names, params)
'''


def test_free_form_parameters_are_reported_at_low_confidence(tmp_path):
    write(tmp_path, "server.py", SERVER)
    result = run_cli("check", "--select", "MCP201", "--output-format", "json", "--exit-zero", str(tmp_path))
    confidence = {f["start"]["line"]: f["confidence"] for f in findings(result, "MCP201")}
    messages = {f["start"]["line"]: f["message"] for f in findings(result, "MCP201")}
    # query bind parameters (also through a value built from the query), a documented
    # free-form payload, a property bag iterated as a mapping
    assert confidence[16] == confidence[22] == confidence[29] == confidence[35] == confidence[69] == "low"
    assert "deliberately free-form: passed whole with `query`" in messages[16]
    assert "its description says so" in messages[29]
    # fields listed in the description, a value given a model's structure: full confidence
    assert confidence[43] == confidence[53] == confidence[59] == "high"
    assert "free-form" not in messages[43]
