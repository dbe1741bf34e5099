"""`mcp-lint audit`: the production checklist as a scorecard with evidence.

The audit is a project-level step on top of `check`. During the ordinary walk of every file
the `audit-facts` primitive (facts.py) records what the checklist needs as plain per-file
facts, which travel and are cached like any rule's; `adapter.py` runs that check (the only
module here that knows mcp-lint's pipeline), `repo.py` reads the repository's other files
(manifests, CI, deployment, README), `evidence.py` joins both with the findings, `items.py`
judges each checklist item and `render.py` prints the scorecard.

Nothing is imported here: the primitive registry imports `audit.facts`, and a plain
`mcp-lint check` must not pay for the rest.
"""
