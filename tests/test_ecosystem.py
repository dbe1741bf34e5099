"""The ecosystem check's bookkeeping (ecosystem/check.py), offline: labels, comparison, update.

The check itself needs the network and a corpus; these tests feed it a saved run written here."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ECOSYSTEM = Path(__file__).resolve().parents[1] / "ecosystem"
if not (ECOSYSTEM / "check.py").is_file():  # an sdist ships tests/ but not ecosystem/
    pytest.skip("no ecosystem/ folder beside tests/", allow_module_level=True)


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"ecosystem_{name}", ECOSYSTEM / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


check = _load("check")
sample = _load("sample")
pypi = sys.modules["pypi"]  # the sibling module check.py imports


def raw(rule: str, path: str, line: int, fp: str, confidence: str = "high") -> dict:
    """A finding as `mcp-lint check --output-format json` writes it."""
    return {"id": rule, "name": "x", "severity": "error", "confidence": confidence, "path": path,
            "start": {"line": line, "column": 5}, "end": {"line": line, "column": 9},
            "message": f"{rule} message", "fingerprint": fp, "trace": [], "fix": None}


def saved_run(findings: list[dict], packages=("demo-mcp==1.0", "other==2.0"), rules=("MCP101", "MCP302", "MCP401")) -> dict:
    return {"mcp_lint": "mcp-lint 0.0", "date": "2026-01-01", "select": [], "rules": {},
            "rules_run": list(rules), "corpus": {"packages": len(packages), "linted": len(packages),
                                                  ".py files": 3, "lines": 30, "files_examined": 3},
            "failed": {}, "packages_ok": list(packages), "errors": [], "findings": findings}


def finding(rule: str, path: str, line: int, fp: str, confidence: str = "high", package: str = "demo-mcp==1.0") -> dict:
    name, version = package.split("==")
    return check.normalize_finding(raw(rule, path, line, fp, confidence), name, version)


def test_normalized_finding_is_keyed_by_project_path_and_fingerprint():
    f = check.normalize_finding(raw("MCP101", "./pkg/server.py", 7, "abc"), "Demo_MCP", "1.0")
    assert f["key"] == "MCP101 demo-mcp/pkg/server.py abc"
    assert (f["package"], f["file"], f["line"]) == ("Demo_MCP==1.0", "pkg/server.py", 7)
    assert check.where(f) == "Demo_MCP==1.0/pkg/server.py:7"


def test_normalized_finding_keeps_the_file_of_each_trace_step():
    r = raw("MCP101", "pkg/db.py", 9, "abc")
    r["trace"] = [{"start": {"line": 4, "column": 1}, "message": "tool parameter `q`", "path": "pkg/server.py"},
                  {"start": {"line": 9, "column": 5}, "message": "reaches `execute()`"}]
    f = check.normalize_finding(r, "demo", "1.0")
    assert f["trace"] == [{"line": 4, "message": "tool parameter `q`", "path": "pkg/server.py"},
                          {"line": 9, "message": "reaches `execute()`"}]


def test_compare_counts_precision_new_and_gone():
    findings = [finding("MCP101", "a.py", 1, "f1"), finding("MCP101", "a.py", 2, "f2"),
                finding("MCP101", "a.py", 3, "f3", "medium"), finding("MCP302", "b.py", 4, "f4", "low"),
                finding("MCP401", "b.py", 5, "f5")]
    labels = {"labels": {
        findings[0]["key"]: {"verdict": "tp", "reason": "", "rule": "MCP101", "package": "demo-mcp==1.0"},
        findings[1]["key"]: {"verdict": "fp", "reason": "", "rule": "MCP101", "package": "demo-mcp==1.0"},
        findings[2]["key"]: {"verdict": "noise", "reason": "", "rule": "MCP101", "package": "demo-mcp==1.0"},
        findings[3]["key"]: {"verdict": "?", "reason": "", "rule": "MCP302", "package": "demo-mcp==1.0"},
        "MCP302 demo-mcp/c.py lost": {"verdict": "tp", "reason": "", "rule": "MCP302", "package": "demo-mcp==0.9",
                                      "file": "c.py", "line": 9, "message": "m"},
        "MCP302 demo-mcp/c.py old-fp": {"verdict": "fp", "reason": "", "rule": "MCP302", "package": "demo-mcp==1.0"},
        # not in scope: a rule that did not run, a package that was not linted
        "MCP999 demo-mcp/c.py x": {"verdict": "tp", "reason": "", "rule": "MCP999", "package": "demo-mcp==1.0"},
        "MCP101 absent/c.py y": {"verdict": "tp", "reason": "", "rule": "MCP101", "package": "absent==1"},
    }, "gone": {}}
    scope = check.Scope(rules={"MCP101", "MCP302", "MCP401"}, projects={"demo-mcp", "other"})
    c = check.compare(findings, labels, scope)
    row = c.rows["MCP101"]
    assert (row["findings"], row["tp"], row["fp"], row["noise"], row["unlabeled"]) == (3, 1, 1, 1, 0)
    assert check.precision(row) == 0.5
    assert check.precision(row, strict=True) == pytest.approx(1 / 3)
    assert c.rows["MCP302"]["unlabeled"] == 1 and c.rows["MCP302"]["gone"] == 2
    assert [f["rule"] for f in c.new] == ["MCP401"]
    assert c.total["findings"] == 5 and c.security["findings"] == 3 and c.security["tp"] == 1
    assert c.by_confidence["medium"]["noise"] == 1 and c.by_confidence["low"]["unlabeled"] == 1
    assert {g["key"] for g in c.gone} == {"MCP302 demo-mcp/c.py lost", "MCP302 demo-mcp/c.py old-fp"}
    assert [g["key"] for g in c.regressions] == ["MCP302 demo-mcp/c.py lost"]


def test_update_adds_new_keeps_verdicts_and_moves_gone_true_positives():
    f1, f2 = finding("MCP101", "a.py", 10, "f1"), finding("MCP401", "b.py", 3, "f2")
    labels = {"about": "x", "labels": {
        f1["key"]: {"verdict": "tp", "reason": "real", "rule": "MCP101", "package": "demo-mcp==0.9", "file": "a.py",
                    "line": 1, "message": "old"},
        "MCP101 demo-mcp/a.py lost": {"verdict": "tp", "reason": "was real", "rule": "MCP101", "package": "demo-mcp==1.0"},
        "MCP101 demo-mcp/a.py fixed": {"verdict": "fp", "reason": "wrong", "rule": "MCP101", "package": "demo-mcp==1.0"},
    }, "gone": {}}
    c = check.compare([f1, f2], labels)
    new, stats = check.update_labels(labels, [f1, f2], c, "2026-01-02 mcp-lint 0.0")
    assert new["labels"][f1["key"]] == {"verdict": "tp", "reason": "real", "rule": "MCP101", "package": "demo-mcp==1.0",
                                        "file": "a.py", "line": 10, "message": "MCP101 message"}
    assert new["labels"][f2["key"]]["verdict"] == "?"
    assert set(new["labels"]) == {f1["key"], f2["key"]}
    assert new["gone"]["MCP101 demo-mcp/a.py lost"]["gone_since"] == "2026-01-02 mcp-lint 0.0"
    assert stats == {"added": 1, "tp moved to gone": 1, "dropped (fp)": 1}
    # the lost true positive stays a regression while it is not reported ...
    assert [g["key"] for g in check.compare([f1, f2], new).regressions] == ["MCP101 demo-mcp/a.py lost"]
    # ... and comes back with its verdict when it is
    back = dict(f1, key="MCP101 demo-mcp/a.py lost")
    c2 = check.compare([f1, f2, back], new)
    assert not c2.regressions and [b["key"] for b in c2.back] == [back["key"]]
    again, stats = check.update_labels(new, [f1, f2, back], c2, "later")
    assert again["gone"] == {} and again["labels"][back["key"]]["reason"] == "was real" and stats == {"back": 1}


def test_labels_file_round_trips_one_label_per_line(tmp_path):
    f1, f2 = finding("MCP101", "a.py", 10, "f1"), finding("MCP401", "b.py", 3, "f2")
    doc, _ = check.update_labels({"labels": {}, "gone": {}}, [f2, f1], check.compare([f1, f2], {"labels": {}, "gone": {}}), "s")
    text = check.dump_labels(doc)
    assert json.loads(text)["labels"] == doc["labels"]
    lines = text.splitlines()
    assert [ln.split('"')[1] for ln in lines if ln.startswith("    ")] == [f1["key"], f2["key"]]
    path = tmp_path / "labels.json"
    path.write_text(text)
    assert check.set_label(check.load_labels(path), "f2", "fp", "x") == f2["key"]
    path.write_text(text.replace('"?"', '"maybe"', 1))
    with pytest.raises(SystemExit):
        check.load_labels(path)


def test_main_on_a_saved_run(tmp_path, capsys):
    f1, f2 = finding("MCP101", "pkg/a.py", 2, "f1"), finding("MCP302", "pkg/b.py", 3, "f2", "medium", "other==2.0")
    run = tmp_path / "run.json"
    run.write_text(json.dumps(saved_run([f1, f2])))
    labels = tmp_path / "labels.json"
    labels.write_text(check.dump_labels({"labels": {
        f1["key"]: {"verdict": "tp", "reason": "f-string SQL", "rule": "MCP101", "package": "demo-mcp==1.0"},
        "MCP101 demo-mcp/pkg/c.py gone": {"verdict": "tp", "reason": "r", "rule": "MCP101", "package": "demo-mcp==1.0",
                                          "file": "pkg/c.py", "line": 4, "message": "lost one"}}, "gone": {}}))
    out = tmp_path / "table.json"
    argv = ["--findings", str(run), "--labels", str(labels), "--corpus-dir", str(tmp_path), "--color", "never"]
    assert check.main([*argv, "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "RECALL REGRESSIONS" in text and "demo-mcp==1.0/pkg/c.py:4: MCP101 lost one  [tp: r]" in text
    assert "other==2.0/pkg/b.py:3: MCP302 MCP302 message" in text  # a new finding
    table = json.loads(out.read_text())
    by_rule = {r["rule"]: r for r in table["rules"]}
    assert by_rule["MCP101"]["tp"] == 1 and by_rule["MCP101"]["gone"] == 1 and by_rule["MCP101"]["precision"] == 1.0
    assert by_rule["all"]["new"] == 1 and by_rule["MCP1xx"]["findings"] == 1
    assert check.main([*argv, "--fail-on-regression", "--update"]) == 1
    doc = json.loads(labels.read_text())
    assert doc["labels"][f2["key"]]["verdict"] == "?" and "MCP101 demo-mcp/pkg/c.py gone" in doc["gone"]
    # --show prints the code around a finding
    pkg = tmp_path / "packages" / "demo-mcp==1.0" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "a.py").write_text("import db\nrows = db.execute(f'SELECT {x}')\n")
    capsys.readouterr()
    assert check.main([*argv, "--show", "MCP1"]) == 0
    shown = capsys.readouterr().out
    assert ">     2 | rows = db.execute(f'SELECT {x}')" in shown and "verdict: tp (f-string SQL)" in shown


def test_unpack_keeps_py_files_inside_the_target(tmp_path):
    whl = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        z.writestr("demo/server.py", "x = 1\n")
        z.writestr("demo/data.json", "{}")
        z.writestr("../evil.py", "boom")
    assert pypi.unpack_py(whl, tmp_path / "w") == 1
    assert (tmp_path / "w" / "demo" / "server.py").is_file() and not (tmp_path / "evil.py").exists()
    sdist = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as t:
        for name in ("demo-1.0/src/demo/server.py", "demo-1.0/setup.py"):
            info = tarfile.TarInfo(name)
            info.size = 6
            t.addfile(info, io.BytesIO(b"x = 1\n"))
    assert pypi.unpack_py(sdist, tmp_path / "s") == 2
    assert (tmp_path / "s" / "src" / "demo" / "server.py").is_file()


def test_pick_file_prefers_pure_wheels_and_skips_yanked():
    files = [{"filename": "d-1.tar.gz"}, {"filename": "d-1-cp312-cp312-linux_x86_64.whl"},
             {"filename": "d-1-py3-none-any.whl", "yanked": True}]
    assert pypi.pick_file(files)["filename"] == "d-1-cp312-cp312-linux_x86_64.whl"
    assert pypi.pick_file([*files, {"filename": "d-1-py3-none-any.whl"}])["filename"] == "d-1-py3-none-any.whl"
    assert pypi.pick_file([{"filename": "d-1.tar.gz", "yanked": True}]) is None


@pytest.mark.parametrize(("files", "verdict"), [
    ({"s.py": "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP('x')\n@mcp.tool()\ndef f(): ...\n"}, "mcp server"),
    ({"s.py": "import fastmcp\n", "t.py": "server.add_tool(fn)\n"}, "mcp server"),
    ({"s.py": "from fastmcp import FastMCP\nmcp.tool(name='x')(fn)\n"}, "mcp server"),
    ({"s.py": "from mcp.server.lowlevel import Server\n@app.call_tool()\nasync def c(n, a): ...\n"}, "mcp server"),
    ({"s.py": "from mcp import ClientSession\nawait session.call_tool('x', {})\n"}, "no server SDK import"),
    ({"s.py": "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP('x')\n"}, "no tool handler"),
])
def test_mcp_server_filter(tmp_path, files, verdict):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert sample.is_mcp_server(tmp_path)[1] == verdict
