"""`mcp-lint audit`: judging the production checklist from a check's findings and per-file facts
(gathered by the `audit-facts` primitive, check/primitives/audit_facts.py) and the repository's
other files (repo.py): evidence.py joins them, items.py judges each item, render.py prints the
scorecard. cli/audit.py runs it."""
