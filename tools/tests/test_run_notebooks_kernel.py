"""End to end on the real Rust kernel: the sample fixture runs, a compile error and a panic
fail the run naming notebook and cell. Skipped when no 'rust' kernel is registered (run
`make setup`); `make test` runs it after setup, so CI always exercises the kernel path even
while notebooks/ is empty."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(TOOLS))

import run_notebooks as rn  # noqa: E402


def _have_rust_kernel() -> bool:
    from jupyter_client.kernelspec import KernelSpecManager

    return "rust" in KernelSpecManager().find_kernel_specs()


def test_execute_fixtures_end_to_end(tmp_path, capsys):
    # A missing kernel fails this test (never skips it): `make test` registers it first.
    assert _have_rust_kernel(), "no 'rust' Jupyter kernel registered: run `make setup`"
    nbs = [FIXTURES / "00_sample.ipynb", *sorted((FIXTURES / "failing").glob("*.ipynb"))]
    assert rn.main([*map(str, nbs), "--out", str(tmp_path)]) == 1
    out, err = capsys.readouterr()

    timings = {t["notebook"]: t for t in json.loads((tmp_path / "timings.json").read_text())}
    assert timings["00_sample"]["status"] == "ok"
    assert timings["00_sample"]["setup_s"] > 0 and len(timings["00_sample"]["cell_s"]) == 3
    assert timings["98_compile_error"]["status"] == "FAIL"
    assert timings["99_panic"]["status"] == "FAIL"
    assert "98_compile_error.ipynb: cell 3 failed: [E0308] Error: mismatched types" in out
    assert "99_panic.ipynb: cell 3 failed: thread" in out and "index out of bounds" in out
    assert "FAILED: 2 of 3 notebook(s) failed" in err

    executed = json.loads((tmp_path / "executed" / "00_sample.ipynb").read_text())
    value = "".join(executed["cells"][3]["outputs"][0]["data"]["text/plain"])
    assert 0.0 <= float(value) < 1.0
    index = (tmp_path / "html" / "index.html").read_text()
    assert '<a href="00_sample.html">00 · Toolchain sample</a>' in index
    assert (tmp_path / "html" / "00_sample.html").stat().st_size > 10_000
    assert "| 00_sample |" in (tmp_path / "timings.md").read_text()


def test_kernel_cargo_config_caches_course_lib_and_leaves_cells_unoptimized():
    """The registered kernel's own CARGO_HOME carries the two profile overrides the timing
    budgets rely on (tools/setup.sh): course_lib non-incremental, so evcxr's :cache keeps it,
    and the cell crate `ctx` at opt-level 0 (halves the median cell)."""
    from jupyter_client.kernelspec import KernelSpecManager

    assert _have_rust_kernel(), "no 'rust' Jupyter kernel registered: run `make setup`"
    spec = KernelSpecManager().get_kernel_spec("rust")
    home = Path(spec.env["CARGO_HOME"])
    assert home.is_dir(), home
    import tomllib

    config = tomllib.loads((home / "config.toml").read_text())
    packages = config["profile"]["dev"]["package"]
    assert packages["course_lib"] == {"incremental": False}
    assert packages["ctx"] == {"opt-level": 0}  # `ctx`: evcxr 0.22's name for the cell crate


def _run_in(cwd: Path, code: str) -> tuple[str, str]:
    """Start a fresh `rust` kernel in `cwd`, run `code` as its first cell; (status, text)."""
    from jupyter_client.manager import start_new_kernel

    rn._ensure_kernel_env()
    km, kc = start_new_kernel(kernel_name="rust", cwd=str(cwd), startup_timeout=600)
    texts: list[str] = []

    def keep(msg):
        content = msg["content"]
        if msg["msg_type"] == "execute_result":
            texts.append(content["data"].get("text/plain", ""))
        elif msg["msg_type"] == "error":
            texts.append(content["evalue"])

    try:
        reply = kc.execute_interactive(code, timeout=300, output_hook=keep)
        return reply["content"]["status"], "\n".join(texts)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_kernel_in_notebooks_folder_starts_with_course_lib_loaded(tmp_path):
    """notebooks/evcxr.toml's prelude loads course_lib (and warms evcxr's type inference) while
    the kernel starts: a first cell that never ran the setup cell can use it. A kernel started
    elsewhere does not read that file and starts bare, as before."""
    assert _have_rust_kernel(), "no 'rust' Jupyter kernel registered: run `make setup`"
    # SimRng comes from the prelude's `use course_lib::prelude::*;`. The `let`s without types
    # need evcxr's type inference (rust-analyzer), which must load both course_lib and std (it
    # failed for both when the kernel's crate source lacked std's own crates).
    code = ("let _rng = SimRng::new(1);\n"
            "let a = course_lib::quorum::majority_availability(3, 0.9).unwrap();\n"
            "let v = vec![1u32, 2];\nlet n = v.len();\n"
            "format!(\"{a:.3} {n} {course_lib_loaded}\")")
    status, text = _run_in(rn.NOTEBOOK_DIR, code)
    assert (status, text) == ("ok", '"0.972 2 true"'), text
    status, text = _run_in(tmp_path, code)
    assert status == "error", (status, text)
