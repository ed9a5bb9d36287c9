"""Tests for tools/browser_test.py's pure helpers and its save redirect (no browser, no kernel).

The skip/fail decision, the expected figure count, prompt parsing, the Run All state, data-URI
decoding, the settings files (checked against JupyterLab's own schemas when .venv has them),
the RISE command the test clicks (checked against the installed jupyterlab-rise), and the
contents manager that keeps JupyterLab's saves out of notebooks/.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import urllib.parse
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent
REPO = TOOLS.parent
sys.path.insert(0, str(TOOLS))

import browser_test as bt  # noqa: E402

SCHEMAS = REPO / ".venv" / "share" / "jupyter" / "lab" / "schemas"
RISE_EXT = REPO / ".venv" / "share" / "jupyter" / "labextensions" / "jupyterlab-rise"


def nb_with_outputs(*outputs_per_cell) -> dict:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# t"}]
    for outs in outputs_per_cell:
        cells.append({"cell_type": "code", "metadata": {}, "source": "x", "outputs": list(outs),
                      "execution_count": 1})
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


SVG_OUT = {"output_type": "display_data", "data": {"image/svg+xml": "<svg/>",
                                                   "text/plain": "fig"}, "metadata": {}}
TEXT_OUT = {"output_type": "stream", "name": "stdout", "text": "hi\n"}
RESULT_SVG = {"output_type": "execute_result", "execution_count": 1, "metadata": {},
              "data": {"image/svg+xml": ["<svg>", "</svg>"]}}


# ---------------------------------------------------------------- skip / fail / run


def test_decision_runs_when_both_found():
    assert bt.browser_decision("/usr/bin/chromium", "/usr/bin/chromedriver", None) == ("run", "")
    assert bt.browser_decision("/usr/bin/chromium", "/usr/bin/chromedriver", "true")[0] == "run"


@pytest.mark.parametrize("chromium,driver,missing", [
    (None, "/usr/bin/chromedriver", "chromium is"),
    ("/usr/bin/chromium", None, "chromedriver is"),
    (None, None, "chromium and chromedriver are"),
])
def test_decision_skips_outside_ci(chromium, driver, missing):
    for ci in (None, "", "false", "1"):  # only CI=true makes it a failure
        action, line = bt.browser_decision(chromium, driver, ci)
        assert action == "skip"
        assert line.startswith("SKIPPED: browser test:")
        assert "\n" not in line
        assert missing in line
        assert "apt-get install chromium chromium-driver" in line


def test_decision_fails_in_ci():
    action, line = bt.browser_decision(None, "/usr/bin/chromedriver", "true")
    assert action == "fail"
    assert line.startswith("FAIL")
    assert "chromium" in line and "CI=true" in line


def test_main_skip_path_exit_77(monkeypatch, capsys):
    monkeypatch.delenv("CI", raising=False)
    rc = bt.main(["--browser", "no-such-chromium-for-the-test"])
    out = capsys.readouterr().out.strip().splitlines()
    assert rc == bt.EXIT_SKIP == 77
    assert len(out) == 1 and out[0].startswith("SKIPPED: browser test:")


def test_main_missing_driver_in_ci_fails(monkeypatch, capsys):
    monkeypatch.setenv("CI", "true")
    rc = bt.main(["--driver", "/nonexistent/chromedriver"])
    out = capsys.readouterr().out
    assert rc == 1
    assert out.startswith("FAIL") and "chromedriver" in out


# ---------------------------------------------------------------- expected figures


def test_svg_output_count():
    nb = nb_with_outputs([SVG_OUT, TEXT_OUT], [], [RESULT_SVG, SVG_OUT])
    assert bt.svg_output_count(nb) == 3
    assert bt.code_cell_count(nb) == 3
    assert bt.svg_output_count(nb_with_outputs([TEXT_OUT])) == 0


def _write(path: Path, nb: dict, mtime: float):
    path.write_text(json.dumps(nb), encoding="utf-8")
    os.utime(path, (mtime, mtime))


def test_expected_svg_count_from_newer_executed_copy(tmp_path):
    src, exe = tmp_path / "00_x.ipynb", tmp_path / "executed" / "00_x.ipynb"
    exe.parent.mkdir()
    _write(src, nb_with_outputs([]), 1_000_000)
    _write(exe, nb_with_outputs([SVG_OUT], [SVG_OUT, RESULT_SVG]), 1_000_100)
    n, why = bt.expected_svg_count(src, exe)
    assert n == 3 and str(exe) in why


def test_expected_svg_count_ignores_stale_or_missing_copy(tmp_path):
    src, exe = tmp_path / "00_x.ipynb", tmp_path / "executed" / "00_x.ipynb"
    exe.parent.mkdir()
    _write(src, nb_with_outputs([]), 1_000_100)
    assert bt.expected_svg_count(src, exe)[0] is None  # missing
    _write(exe, nb_with_outputs([SVG_OUT]), 1_000_000)  # older than the notebook
    n, why = bt.expected_svg_count(src, exe)
    assert n is None and "older" in why
    _write(exe, nb_with_outputs([SVG_OUT]), 1_000_100)  # same time: not newer
    assert bt.expected_svg_count(src, exe)[0] is None


def test_svg_count_ok():
    assert bt.svg_count_ok(1, None) and bt.svg_count_ok(7, None)
    assert not bt.svg_count_ok(0, None)
    assert bt.svg_count_ok(3, 3)
    assert not bt.svg_count_ok(2, 3) and not bt.svg_count_ok(4, 3)
    assert bt.svg_count_ok(0, 0)  # an executed copy without figures expects none


# ---------------------------------------------------------------- prompts and run state


@pytest.mark.parametrize("text,want", [
    ("[12]:", 12), ("[1]:", 1), (" [3]: ", 3), ("[\xa07]:", 7),
    ("[*]:", "*"), ("[ ]:", None), ("[]:", None), ("", None), (None, None), ("In [2]", None),
])
def test_parse_prompt(text, want):
    assert bt.parse_prompt(text) == want


def test_run_state():
    assert bt.run_state([1, 2, 3], "idle") == "done"
    assert bt.run_state([1, "*", "*"], "busy") == "running"
    assert bt.run_state([1, 2, "*"], "idle") == "running"  # queued cells: not over yet
    assert bt.run_state([1, 2, 3], "busy") == "running"
    assert bt.run_state([1, None, None], "idle") == "stalled"
    assert bt.run_state([None, None], "idle") == "stalled"  # before the click is seen
    assert bt.run_state([1, None], "dead") == "dead"
    assert bt.run_state([1, 2], "starting") == "running"
    assert bt.run_state([], "idle") == "done"


# ---------------------------------------------------------------- figures and errors


def test_decode_data_uri():
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>a, b & 50%</text></svg>'
    assert bt.decode_data_uri("data:image/svg+xml," + urllib.parse.quote(svg)) == svg
    b64 = base64.b64encode(svg.encode()).decode()
    assert bt.decode_data_uri("data:image/svg+xml;base64," + b64) == svg
    assert bt.decode_data_uri("http://127.0.0.1/x.svg") == ""
    assert bt.decode_data_uri("data:nothing") == ""


def test_svg_image_problems():
    good = {"src": "data:image/svg+xml," + urllib.parse.quote("<svg></svg>"), "complete": True,
            "naturalWidth": 640}
    assert bt.svg_image_problems([good, good]) == []
    not_loaded = dict(good, naturalWidth=0)
    not_svg = dict(good, src="data:image/png;base64,AAAA")
    problems = bt.svg_image_problems([good, not_loaded, not_svg])
    assert len(problems) == 2
    assert problems[0].startswith("figure 2 not loaded")
    assert problems[1].startswith("figure 3")


def test_stderr_problems_name_cell_and_first_lines():
    text = "\n\n[E0425] Error: cannot find value `x`\n   ╭─[ command_4:1:1 ]\n a\n b\n c\n d\n"
    (msg,) = bt.stderr_problems([(6, text)])
    assert msg == ("cell 6: [E0425] Error: cannot find value `x` | ╭─[ command_4:1:1 ] | a | b"
                   " ...")
    assert bt.stderr_problems([]) == []


def test_first_lines():
    assert bt.first_lines("a\n\nb\n") == "a | b"
    assert bt.first_lines("1\n2\n3\n4\n5", n=2) == "1 | 2 ..."
    assert bt.first_lines("-----\nZeroDivisionError  Traceback\n") == "ZeroDivisionError  Traceback"


def test_session_kernel_name():
    sessions = [{"path": "other.ipynb", "kernel": {"name": "python3"}},
                {"path": "00_welcome.ipynb", "kernel": {"name": "rust"}}]
    assert bt.session_kernel_name(sessions, "00_welcome.ipynb") == "rust"
    assert bt.session_kernel_name(sessions, "missing.ipynb") is None
    old_style = [{"notebook": {"path": "a.ipynb"}, "kernel": {"name": "rust"}}]
    assert bt.session_kernel_name(old_style, "a.ipynb") == "rust"


def test_blocked_hosts():
    lines = ["SEVERE https://fonts.googleapis.com/css?family=Lato - Failed to load resource: "
             "net::ERR_NAME_NOT_RESOLVED",
             "SEVERE https://fonts.googleapis.com/css?family=News - net::ERR_NAME_NOT_RESOLVED",
             "INFO http://127.0.0.1:8888/static/x.js all fine"]
    assert bt.blocked_hosts(lines) == ["fonts.googleapis.com"]


def test_summary_line():
    assert bt.summary_line(9, 0) == "browser test: 9 passed, 0 failed"
    assert bt.summary_line(7, 2) == "browser test: 7 passed, 2 failed"


# ---------------------------------------------------------------- paths and settings


def test_lab_path(tmp_path):
    nbdir = tmp_path / "notebooks"
    (nbdir / "sub").mkdir(parents=True)
    assert bt.lab_path(nbdir / "00_welcome.ipynb", nbdir) == "00_welcome.ipynb"
    assert bt.lab_path(nbdir / "sub" / "a b.ipynb", nbdir) == "sub/a b.ipynb"
    with pytest.raises(ValueError):
        bt.lab_path(tmp_path / "elsewhere.ipynb", nbdir)


def test_settings_file_layout(tmp_path):
    assert (str(bt.settings_file("@jupyterlab/docmanager-extension:plugin"))
            == "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings")
    with pytest.raises(ValueError):
        bt.settings_file("no-colon")
    written = bt.write_lab_settings(tmp_path)
    assert len(written) == 3
    doc = json.loads((tmp_path / "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings")
                     .read_text())
    assert doc == {"autosave": False}
    tracker = json.loads((tmp_path / "@jupyterlab/notebook-extension/tracker.jupyterlab-settings")
                         .read_text())
    assert tracker == {"windowingMode": "none"}
    notif = json.loads((tmp_path / "@jupyterlab/apputils-extension"
                        / "notification.jupyterlab-settings").read_text())
    assert notif == {"fetchNews": "false", "checkForUpdates": False}


def _allowed(prop: dict, value) -> bool:
    if "oneOf" in prop:
        return any(_allowed(alt, value) for alt in prop["oneOf"])
    if "const" in prop:
        return value == prop["const"]
    if "enum" in prop:
        return value in prop["enum"]
    types = {"boolean": bool, "string": str, "number": (int, float), "integer": int}
    return isinstance(value, types[prop["type"]]) if "type" in prop else True


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason="no JupyterLab schemas in .venv")
@pytest.mark.parametrize("plugin_id", sorted(bt.LAB_SETTINGS))
def test_settings_match_jupyterlab_schemas(plugin_id):
    package, plugin = plugin_id.split(":")
    schema = json.loads((SCHEMAS / package / f"{plugin}.json").read_text(encoding="utf-8"))
    for key, value in bt.LAB_SETTINGS[plugin_id].items():
        assert key in schema["properties"], f"{plugin_id} has no setting {key!r}"
        assert _allowed(schema["properties"][key], value), f"{plugin_id}.{key}={value!r}"


@pytest.mark.skipif(not RISE_EXT.is_dir(), reason="no jupyterlab-rise in .venv")
def test_rise_command_and_tooltip_exist_in_installed_rise():
    js = "".join(p.read_text(encoding="utf-8", errors="replace")
                 for p in (RISE_EXT / "static").glob("*.js"))
    assert f'"{bt.RISE_COMMAND}"' in js
    assert bt.RISE_TOOLTIP in js
    assert '"RISE-button"' in js  # the notebook toolbar item


# ---------------------------------------------------------------- the save redirect


def test_scratch_manager_never_writes_the_root(tmp_path, monkeypatch):
    pytest.importorskip("jupyter_server")
    import nbformat

    root, save_dir = tmp_path / "notebooks", tmp_path / "saved"
    root.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(nb, root / "a.ipynb")
    original = (root / "a.ipynb").read_bytes()
    monkeypatch.setenv(bt.SAVE_DIR_ENV, str(save_dir))
    cm = bt.ScratchSaveContentsManager(root_dir=str(root))

    async def scenario():
        model = await cm.get("a.ipynb")
        assert model["content"]["cells"][0]["source"] == "1 + 1"
        await cm.create_checkpoint("a.ipynb")
        model["content"]["cells"][0]["outputs"] = [
            nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
        model["content"]["cells"][0]["execution_count"] = 1
        saved = await cm.save({"type": "notebook", "format": "json",
                               "content": model["content"]}, "a.ipynb")
        assert saved["path"] == "a.ipynb"
        again = await cm.get("a.ipynb")  # read back from the scratch copy
        assert again["content"]["cells"][0]["execution_count"] == 1
        listing = await cm.get("")  # the folder itself is still the real one
        assert [m["name"] for m in listing["content"]] == ["a.ipynb"]
        assert len(await cm.list_checkpoints("a.ipynb")) == 1

    asyncio.run(scenario())
    assert (root / "a.ipynb").read_bytes() == original
    assert sorted(p.name for p in root.iterdir()) == ["a.ipynb"]  # no .ipynb_checkpoints
    assert (save_dir / "files" / "a.ipynb").is_file()
    saves = bt.read_saves(save_dir)
    assert [s["path"] for s in saves] == ["a.ipynb"]


def test_scratch_manager_refuses_delete_and_rename(tmp_path, monkeypatch):
    pytest.importorskip("jupyter_server")
    from tornado.web import HTTPError

    (tmp_path / "a.txt").write_text("x")
    monkeypatch.setenv(bt.SAVE_DIR_ENV, str(tmp_path / "saved"))
    cm = bt.ScratchSaveContentsManager(root_dir=str(tmp_path))
    for call in (cm.delete_file("a.txt"), cm.rename_file("a.txt", "b.txt")):
        with pytest.raises(HTTPError):
            asyncio.run(call)
    assert (tmp_path / "a.txt").read_text() == "x"


def test_scratch_manager_needs_its_save_dir(tmp_path, monkeypatch):
    pytest.importorskip("jupyter_server")
    monkeypatch.delenv(bt.SAVE_DIR_ENV, raising=False)
    with pytest.raises(RuntimeError, match=bt.SAVE_DIR_ENV):
        bt.ScratchSaveContentsManager(root_dir=str(tmp_path))


def test_lab_args_carry_token_no_retries_and_the_redirect(tmp_path):
    server = bt.LabServer(tmp_path, bt.Report())
    try:
        args = server.lab_args().split()
        assert "--no-browser" in args
        assert f"--ServerApp.token={server.token}" in args
        assert "--ServerApp.port_retries=0" in args
        assert f"--ServerApp.contents_manager_class={bt.CONTENTS_MANAGER}" in args
        env = server.env()
        assert env["JUPYTER_PORT"] == str(server.port)
        assert env["LAB_ARGS"] == server.lab_args()
        for var in ("JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
            assert Path(env[var]).is_dir() and str(server.tmp) in env[var]
        assert (Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab/docmanager-extension"
                / "plugin.jupyterlab-settings").is_file()
        assert (Path(env["PYTHONPATH"].split(os.pathsep)[0]) / "browser_test.py").is_file()
    finally:
        server.stop()
    assert not server.tmp.exists()


def test_main_env_override_reaches_the_skip_path(monkeypatch, capsys):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv(bt.BROWSER_ENV, "none-such-chromium")
    assert bt.main([]) == bt.EXIT_SKIP
    assert capsys.readouterr().out.startswith("SKIPPED: browser test: chromium is not found")
