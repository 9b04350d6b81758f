//! Runs every `tests/transcripts/*.txt` through a fresh cluster and compares outputs.
//! `UPDATE_EXPECT=1 cargo test -p kubeplay-tests` rewrites the expected outputs in place
//! (files marked `#! pending` are skipped: delete that line first).

use std::path::Path;

#[test]
fn transcripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("transcripts");
    let update = std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1");
    // `TRANSCRIPT=seed-002 cargo test -p kubeplay-tests` runs only the files whose name
    // contains the text.
    let only = std::env::var("TRANSCRIPT").unwrap_or_default();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/transcripts exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .filter(|p| p.to_string_lossy().contains(only.as_str()))
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "no transcripts found");
    let mut failures = String::new();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        eprintln!("{name}");
        let t = kubeplay_tests::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let results = kubeplay_tests::run(&t).unwrap_or_else(|e| panic!("{name}: {e}"));
        // A pending file is left alone, even by UPDATE_EXPECT: delete its `#! pending` line
        // to generate its outputs.
        if t.pending.is_some() {
            eprintln!("{name}: pending ({})", t.pending.as_deref().unwrap_or(""));
            continue;
        }
        if update {
            std::fs::write(&path, kubeplay_tests::render(&t, &results)).unwrap();
            continue;
        }
        if let Err(report) = kubeplay_tests::check(&name, &t, &results) {
            failures.push_str(&report);
        }
    }
    assert!(failures.is_empty(), "transcript mismatches:\n{failures}");
}
