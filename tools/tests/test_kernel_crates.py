"""The kernel's crates are Cargo.lock's: the comparison, a drift caught by real cargo on a tiny
crate source, and the registered kernel's own CARGO_HOME resolving to Cargo.lock exactly."""

from __future__ import annotations

import json
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOOLS))

import kernel_crates as kc  # noqa: E402
import run_notebooks as rn  # noqa: E402

CRATES_IO = kc.CRATES_IO


def lock(*packages: tuple[str, str], local: str | None = "ctx") -> str:
    """A Cargo.lock text with these crates.io packages (and one local package)."""
    out = ["version = 4", ""]
    if local:
        out += ["[[package]]", f'name = "{local}"', 'version = "1.0.0"', ""]
    for name, version in packages:
        out += ["[[package]]", f'name = "{name}"', f'version = "{version}"',
                f'source = "{CRATES_IO}"', 'checksum = "00"', ""]
    return "\n".join(out)


def test_registry_packages_keeps_crates_io_only_and_every_version():
    text = lock(("rand", "0.8.5"), ("rand", "0.9.2"), ("libm", "0.2.16"))
    assert kc.registry_packages(text) == {"rand": {"0.8.5", "0.9.2"}, "libm": {"0.2.16"}}


def test_drift_is_empty_for_a_subset_of_the_workspace_lock():
    workspace = lock(("bumpalo", "3.20.3"), ("libm", "0.2.16"), ("criterion", "0.7.0"))
    assert kc.drift(lock(("bumpalo", "3.20.3"), ("libm", "0.2.16")), workspace) == []


def test_drift_names_the_crate_both_versions_and_a_crate_the_lock_lacks():
    workspace = lock(("bumpalo", "3.20.3"), ("libm", "0.2.16"))
    kernel = lock(("bumpalo", "3.20.4"), ("libm", "0.2.16"), ("serde", "1.0.229"))
    assert kc.drift(kernel, workspace) == [
        "bumpalo 3.20.4 (Cargo.lock: 3.20.3)",
        "serde 1.0.229 (not in Cargo.lock at all)",
    ]
    report = kc.drift_report("The kernel", kc.drift(kernel, workspace))
    assert "2 crate version(s)" in report and "make setup" in report


def test_evcxr_manifest_is_an_edition_2024_cdylib_with_course_lib_by_path():
    m = tomllib.loads(kc.evcxr_manifest(Path("/x/course_lib"), ["frames"]))
    assert m["package"]["edition"] == "2024" and m["lib"]["crate-type"] == ["cdylib"]
    assert m["dependencies"]["course_lib"] == {"path": "/x/course_lib", "features": ["frames"]}
    assert tomllib.loads(kc.evcxr_manifest(Path("/x"), []))["dependencies"]["course_lib"] == {
        "path": "/x"}


def _std_manifest() -> Path | None:
    """The standard library's workspace manifest when rust-src is installed."""
    import subprocess

    root = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True).stdout
    manifest = Path(root.strip()) / "lib/rustlib/src/rust/library/Cargo.toml"
    return manifest if manifest.is_file() else None


def _directory_source(root: Path, name: str, version: str) -> None:
    """A crate in cargo's directory-source layout (what `cargo vendor` writes)."""
    crate = root / f"{name}-{version}"
    (crate / "src").mkdir(parents=True)
    (crate / "src" / "lib.rs").write_text("")
    (crate / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "{version}"\nedition = "2021"\n')
    (crate / ".cargo-checksum.json").write_text(json.dumps({"files": {}, "package": None}))


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")
def test_resolve_catches_a_source_that_offers_a_newer_version_than_the_lock(tmp_path):
    """What went wrong on a new machine: the kernel's source offered bumpalo 3.20.4 while
    Cargo.lock had 3.20.3. Here a tiny crate source offers tinydep 1.0.1 while the lock says
    1.0.0: real cargo, offline, picks 1.0.1 and the comparison names it."""
    source = tmp_path / "source"
    _directory_source(source, "tinydep", "1.0.1")
    home = tmp_path / "cargo-home"
    home.mkdir()
    (home / "config.toml").write_text(
        f'[source.crates-io]\nreplace-with = "s"\n[source.s]\ndirectory = "{source}"\n')
    lib = tmp_path / "course_lib"  # a stand-in with one dependency
    (lib / "src").mkdir(parents=True)
    (lib / "src" / "lib.rs").write_text("")
    (lib / "Cargo.toml").write_text('[package]\nname = "course_lib"\nversion = "0.1.0"\n'
                                    'edition = "2021"\n[dependencies]\ntinydep = "1"\n')
    resolved = kc.resolve(home, [], course_lib=lib)
    assert kc.registry_packages(resolved) == {"tinydep": {"1.0.1"}}
    assert kc.drift(resolved, lock(("tinydep", "1.0.0"))) == ["tinydep 1.0.1 (Cargo.lock: 1.0.0)"]
    assert kc.drift(resolved, lock(("tinydep", "1.0.1"))) == []


def test_a_kernel_lock_that_drifted_fails_the_notebook(tmp_path):
    """run_notebooks reads the Cargo.lock each kernel left in its EVCXR_TMPDIR."""
    workspace = kc.WORKSPACE_LOCK.read_text()
    (name, versions), *_ = kc.registry_packages(workspace).items()
    (tmp_path / "Cargo.lock").write_text(lock((name, "999.0.0")))
    report = rn.kernel_lock_drift(tmp_path)
    assert report and f"{name} 999.0.0 (Cargo.lock: " in report and "make setup" in report
    (tmp_path / "Cargo.lock").write_text(lock((name, sorted(versions)[0])))
    assert rn.kernel_lock_drift(tmp_path) is None


def test_the_registered_kernel_resolves_every_crate_to_cargo_lock():
    """The real thing: the `rust` kernel's CARGO_HOME (tools/setup.sh) resolves course_lib, with
    and without polars, to Cargo.lock's versions, offline, with nothing else to choose from."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("rust")  # `make test` registers it first
    home = Path(spec.env["CARGO_HOME"])
    config = tomllib.loads((home / "config.toml").read_text())
    assert config["source"]["crates-io"] == {"replace-with": "course-lock"}
    vendored = Path(config["source"]["course-lock"]["directory"])
    workspace = kc.WORKSPACE_LOCK.read_text()
    wanted = {f"{n}-{v}" for n, vs in kc.registry_packages(workspace).items() for v in vs}
    std = _std_manifest()
    if std is not None:  # rust-src: std's own locked crates, for evcxr's rust-analyzer
        wanted |= {f"{n}-{v}" for n, vs in
                   kc.registry_packages(std.with_suffix(".lock").read_text()).items() for v in vs}
        assert kc.sysroot_resolves(home, std) is None
    offered = {d.name for d in vendored.iterdir() if d.is_dir()}
    assert offered == wanted
    for features in ([], ["frames"]):
        resolved = kc.resolve(home, features)
        assert kc.drift(resolved, workspace) == []
        assert "plotters" in kc.registry_packages(resolved)
    assert "polars" in kc.registry_packages(kc.resolve(home, ["frames"]))
