//! Tidy rules run as tests (STYLE.md 9): the engine's purity invariants, module docs, and the page's glyphs.
//!
//! Architecture Invariant: the engine depends on no browser crate, no OS randomness and no
//! wall clock. These tests read the dependency tree and the sources, so breaking the rule
//! fails `cargo test` rather than a review.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name()
                .is_some_and(|n| n == "target" || n == "node_modules")
            {
                continue;
            }
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn engine_dependency_tree_has_no_browser_or_os_entropy_crates() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for target in [None, Some("wasm32-unknown-unknown")] {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(workspace_root()).args([
            "tree",
            "-p",
            "kubeplay-engine",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ]);
        if let Some(t) = target {
            cmd.args(["--target", t]);
        }
        let out = cmd.output().expect("run cargo tree");
        assert!(
            out.status.success(),
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = String::from_utf8_lossy(&out.stdout);
        for banned in [
            "web-sys",
            "js-sys",
            "yew",
            "getrandom",
            "wasm-bindgen",
            "gloo",
        ] {
            let hit = tree
                .lines()
                .find(|l| l.split_whitespace().next() == Some(banned));
            assert!(
                hit.is_none(),
                "the engine must not depend on {banned} (target {target:?}): {hit:?}"
            );
        }
    }
}

#[test]
fn engine_sources_use_no_wall_clock_hash_maps_or_os_randomness() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates/engine/src"), &mut files);
    assert!(!files.is_empty());
    let banned = [
        "Instant::now",
        "SystemTime",
        "std::collections::HashMap",
        "std::collections::HashSet",
        "thread_rng",
        "getrandom",
        "web_sys",
        "js_sys",
    ];
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        for b in banned {
            assert!(!text.contains(b), "{} uses {b}", f.display());
        }
    }
}

#[test]
fn every_module_starts_with_a_doc_comment() {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["crates", "web/src", "tests"] {
        rust_files(&root.join(dir), &mut files);
    }
    let mut missing = Vec::new();
    for f in files {
        // Benches and integration tests with a `main` still explain themselves with `//!`.
        let text = std::fs::read_to_string(&f).expect("read source");
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if !first.starts_with("//!") {
            missing.push(f.strip_prefix(&root).unwrap_or(&f).display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "modules without a leading `//!` doc line: {missing:?}"
    );
}

/// Glyphs the page may not draw with: the page ships no fonts (offline, no CDN), and a
/// classroom laptop without an emoji font shows these as empty boxes. Symbols from the
/// common text fonts (arrows, dingbats, geometric shapes, `⚠ ⚡ ☰ ⌦`) are fine.
fn needs_an_emoji_font(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x23E9..=0x23FA)
}

#[test]
fn page_text_uses_no_glyph_that_needs_an_emoji_font() {
    let root = workspace_root();
    let mut files = Vec::new();
    rust_files(&root.join("web/src"), &mut files);
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        for (n, line) in text.lines().enumerate() {
            if let Some(c) = line.chars().find(|&c| needs_an_emoji_font(c)) {
                let shown = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
                found.push(format!("{shown}:{}: {c}", n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "glyphs that need an emoji font: {found:?}"
    );
}
