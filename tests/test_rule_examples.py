"""Every example embedded in every built-in pack is a test case: INVALID examples must fire
exactly on their expected lines, VALID look-alikes must stay silent."""

from __future__ import annotations

import pytest

from mcp_lint.packs.registry import default_registry
from mcp_lint.run.examples import ExampleRunner, cases

REGISTRY = default_registry()
CASES = cases(REGISTRY)
RUNNER = ExampleRunner(REGISTRY)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_example(case):
    outcome = RUNNER.run(case)
    assert outcome.ok, outcome.explain()


def test_every_rule_has_three_examples_each_way():
    thin = [r.id for r in REGISTRY.rules
            if r.pack != "core" and (len(r.invalid) < 3 or len(r.valid) < 3)]
    assert not thin, f"rules with fewer than 3 INVALID or 3 VALID examples: {thin}"


def test_the_runner_catches_a_wrong_expectation():
    """A broken example must fail: the harness is not allowed to pass vacuously."""
    from dataclasses import replace

    from mcp_lint.run.examples import ExampleCase

    rule = REGISTRY.get("MCP101")
    wrong = replace(rule.invalid[0], lines=(1,))
    assert not RUNNER.run(ExampleCase(rule, "invalid", 0, wrong)).ok
    as_valid = ExampleCase(rule, "valid", 0, rule.invalid[0])
    assert not RUNNER.run(as_valid).ok
