//! Writes the in-binary form of `src/schema.txt` (see `src/schema.rs`) to
//! `$OUT_DIR/schema.txt`. What it is for: the size of the web page (issue 4). A description
//! that repeats an earlier one whole (apiVersion, kind, metadata, fsType, ...) becomes
//! `d <n>`, "the n-th description again"; gzip cannot see repeats further apart than its
//! 32 KB window. For the wasm32 target the strategic-merge extensions (`pmk=`, `ps=`, `lt=`,
//! `lmk=`, `mt=`) are dropped too: only `kubeplay serve` publishes them, and it is native.
//! What it must never do: change a text. `schema::tests` checks the compact form reads back
//! to exactly what `src/schema.txt` says.

use std::collections::BTreeMap;
use std::path::Path;
use std::{env, fs};

const EXTENSIONS: &[&str] = &["pmk=", "ps=", "lt=", "lmk=", "mt="];

fn main() {
    println!("cargo:rerun-if-changed=src/schema.txt");
    println!("cargo:rerun-if-changed=build.rs");
    let src = fs::read_to_string("src/schema.txt").unwrap_or_default();
    let wasm = env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32");
    let lines: Vec<&str> = src.lines().collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while let Some(&line) = lines.get(i) {
        if line.starts_with("D ") {
            let end = lines[i + 1..]
                .iter()
                .position(|l| !l.starts_with('|'))
                .map_or(lines.len(), |n| i + 1 + n);
            let text = lines[i..end].join("\n");
            if let Some(n) = seen.get(&text) {
                out.push_str(&format!("d {n}\n"));
            } else {
                out.push_str(&text);
                out.push('\n');
                let n = seen.len();
                seen.insert(text, n);
            }
            i = end;
            continue;
        }
        if wasm && line.starts_with("F ") {
            let words: Vec<&str> = line
                .split(' ')
                .filter(|w| !EXTENSIONS.iter().any(|e| w.starts_with(e)))
                .collect();
            out.push_str(&words.join(" "));
        } else {
            out.push_str(line);
        }
        out.push('\n');
        i += 1;
    }
    let dest = Path::new(&env::var("OUT_DIR").unwrap_or_default()).join("schema.txt");
    if let Err(e) = fs::write(&dest, out) {
        panic!("writing {}: {e}", dest.display());
    }
}
