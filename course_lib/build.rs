//! Fingerprints course_lib's sources for evcxr's compilation cache.
//!
//! The course's Jupyter kernel runs with `CARGO_INCREMENTAL=0`, so evcxr's `:cache` keeps the
//! compiled course_lib between kernel sessions (a notebook then starts in seconds instead of
//! recompiling the crate). evcxr keys its cache on rustc's command line only, not on file
//! contents; this script adds `--cfg course_lib_source="<hash>"`, a hash of every source file
//! (and the data files compiled in with `include_str!`), so any edit changes the key and the
//! crate is rebuilt. The hash also covers `CARGO_HOME`: the registry crates course_lib links
//! against are compiled from sources under it, and a course_lib built against one copy of them
//! cannot be linked with another. Keep this file small and dependency-free: it is itself compiled once and
//! cached the same way (after editing it, run `make reset-cache`).

use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dirs = [root.join("src"), root.join("../data")];
    let mut files = vec![root.join("Cargo.toml")];
    for dir in &dirs {
        collect(dir, &mut files);
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-env-changed=CARGO_HOME");
    files.sort();
    // FNV-1a over CARGO_HOME and (relative path, contents) of every file
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    for byte in std::env::var("CARGO_HOME").unwrap_or_default().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    for file in &files {
        let name = file.strip_prefix(&root).unwrap_or(file).to_string_lossy().into_owned();
        for byte in name.bytes().chain(fs::read(file).unwrap_or_default()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    println!("cargo:rustc-check-cfg=cfg(course_lib_source, values(any()))");
    println!("cargo:rustc-cfg=course_lib_source=\"{hash:016x}\"");
}
