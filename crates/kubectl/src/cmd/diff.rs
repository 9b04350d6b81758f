//! `kubectl diff -f FILE`: what `kubectl apply -f FILE` would change. Each object's live state
//! and its state after a server-side dry run of the apply (`MERGED`) are written as YAML and
//! compared the way kubectl's default `diff -u -N LIVE MERGED` shows them: GNU diff's unified
//! format over the two directories (files named `group.version.Kind.namespace.name`, in name
//! order). Exit status 0: no differences; 1: differences; errors print and exit 1.
//!
//! What it must never do: change the cluster (every write is a dry run). The temporary
//! directory numbers and file times are not random here but derived from the virtual clock,
//! so a transcript shows the same text every time.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::manifest;
use crate::output::Output;
use crate::printers;
use kubeplay_engine::{object, patch, PatchType, WriteOptions};
use serde_json::Value;

pub(crate) const SPECS: &[FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("filename", Some('f'), FlagKind::Multi),
    flag("server-side", None, FlagKind::Bool),
    flag("force-conflicts", None, FlagKind::Bool),
    flag("field-manager", None, FlagKind::Value),
    flag("prune", None, FlagKind::Bool),
    flag("selector", Some('l'), FlagKind::Value),
    flag("show-managed-fields", None, FlagKind::Bool),
    flag("concurrency", None, FlagKind::Value),
    flag("recursive", Some('R'), FlagKind::Bool),
];

/// One line-level edit of a unified diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Edit {
    Same,
    Delete,
    Insert,
}

/// The shortest edit script from `a` to `b` (Myers), each change block ordered deletions
/// first, as GNU diff prints it.
fn edits(a: &[&str], b: &[&str]) -> Vec<Edit> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    let offset = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let idx = |k: isize| (k + offset) as usize;
    'outer: for d in 0..=max as isize {
        trace.push(v.clone());
        let mut k = -d;
        while k <= d {
            let mut x = if k == -d || (k != d && v[idx(k - 1)] < v[idx(k + 1)]) {
                v[idx(k + 1)]
            } else {
                v[idx(k - 1)] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[idx(k)] = x;
            if x >= n && y >= m {
                break 'outer;
            }
            k += 2;
        }
    }
    // Walk the trace back from the end.
    let mut out = Vec::new();
    let (mut x, mut y) = (n, m);
    for (d, v) in trace.iter().enumerate().rev() {
        let d = d as isize;
        let k = x - y;
        let prev_k = if k == -d || (k != d && v[idx(k - 1)] < v[idx(k + 1)]) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = v[idx(prev_k)];
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            out.push(Edit::Same);
            x -= 1;
            y -= 1;
        }
        if d > 0 {
            out.push(if x == prev_x {
                Edit::Insert
            } else {
                Edit::Delete
            });
        }
        x = prev_x;
        y = prev_y;
    }
    out.reverse();
    // Deletions before insertions within each run of changes.
    let mut i = 0;
    while i < out.len() {
        if out[i] == Edit::Same {
            i += 1;
            continue;
        }
        let start = i;
        while i < out.len() && out[i] != Edit::Same {
            i += 1;
        }
        let dels = out[start..i].iter().filter(|e| **e == Edit::Delete).count();
        for (j, e) in out[start..i].iter_mut().enumerate() {
            *e = if j < dels { Edit::Delete } else { Edit::Insert };
        }
    }
    out
}

/// GNU diff's `@@ -l,s +l,s @@` range: `l` alone for one line, the line before for none.
fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{},0", start),
        1 => format!("{}", start + 1),
        _ => format!("{},{}", start + 1, len),
    }
}

/// The hunks of a unified diff with three lines of context ("" when the texts are equal).
fn unified(a: &str, b: &str) -> String {
    let al: Vec<&str> = a.lines().collect();
    let bl: Vec<&str> = b.lines().collect();
    let es = edits(&al, &bl);
    // Positions (in a and in b) before each edit.
    let mut pos = Vec::with_capacity(es.len() + 1);
    let (mut i, mut j) = (0usize, 0usize);
    for e in &es {
        pos.push((i, j));
        match e {
            Edit::Same => {
                i += 1;
                j += 1;
            }
            Edit::Delete => i += 1,
            Edit::Insert => j += 1,
        }
    }
    pos.push((i, j));
    let changed: Vec<usize> = (0..es.len()).filter(|&x| es[x] != Edit::Same).collect();
    let Some(&first) = changed.first() else {
        return String::new();
    };
    const CONTEXT: usize = 3;
    // Group changes whose gap of unchanged lines is at most twice the context.
    let mut groups: Vec<(usize, usize)> = vec![(first, first)];
    for &c in &changed[1..] {
        let last = groups.last_mut().map(|g| &mut g.1);
        match last {
            Some(end) if c - *end <= 2 * CONTEXT + 1 => *end = c,
            _ => groups.push((c, c)),
        }
    }
    let mut out = String::new();
    for (s, e) in groups {
        let from = s.saturating_sub(CONTEXT);
        let to = (e + CONTEXT + 1).min(es.len());
        let (a0, b0) = pos[from];
        let (a1, b1) = pos[to];
        let (alen, blen) = (a1 - a0, b1 - b0);
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(a0, alen),
            range(b0, blen)
        ));
        for (x, ed) in es.iter().enumerate().take(to).skip(from) {
            let (pa, pb) = pos[x];
            match ed {
                Edit::Same => {
                    out.push(' ');
                    out.push_str(al.get(pa).copied().unwrap_or(""));
                }
                Edit::Delete => {
                    out.push('-');
                    out.push_str(al.get(pa).copied().unwrap_or(""));
                }
                Edit::Insert => {
                    out.push('+');
                    out.push_str(bl.get(pb).copied().unwrap_or(""));
                }
            }
            out.push('\n');
        }
    }
    out
}

/// `diff`'s file time: `2026-01-01 00:00:00.000000000 +0000`.
fn file_time(t: kubeplay_engine::time::Time, extra_ns: u64) -> String {
    let micro = t.rfc3339_micro();
    let (date_time, frac) = micro.trim_end_matches('Z').split_once('.').map_or(
        (micro.trim_end_matches('Z').to_string(), String::new()),
        |(a, b)| (a.to_string(), b.to_string()),
    );
    let ns: u64 = format!("{frac:0<9}").parse::<u64>().unwrap_or(0) + extra_ns;
    format!(
        "{}.{:09} +0000",
        date_time.replace('T', " "),
        ns % 1_000_000_000
    )
}

/// The YAML kubectl diff writes for an object (managedFields left out).
fn as_yaml(o: &Value) -> String {
    let mut o = o.clone();
    if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    printers::yaml::to_yaml(&o)
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, SPECS).map_err(|m| super::flag_error("diff", m))?;
    let ns = manifest::namespace_flag(k, &p);
    if p.all("filename").is_empty() {
        return Err(CmdError::Plain("must specify one of -f and -k".into()));
    }
    let manifest::PreparedSet {
        ready,
        builder_errors,
        mut errors,
    } = manifest::prepare_objects(k, &ns, p.value("namespace"), &p.all("filename"))?;
    errors.splice(0..0, builder_errors);
    let mut files: Vec<(String, String, String)> = Vec::new();
    for manifest::Prepared {
        kind,
        object: mut modified,
        ..
    } in ready
    {
        let name = object::name(&modified).to_string();
        let obj_ns = object::namespace(&modified).to_string();
        let info = kind.info();
        let file = [info.group, info.version, info.kind_name, &obj_ns, &name]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(".");
        let dry = WriteOptions { dry_run: true };
        let (live, merged) = match k.cluster.api.try_get(kind, &obj_ns, &name).cloned() {
            None => match k.cluster.api.create_with(modified, &dry) {
                Ok(m) => (String::new(), as_yaml(&m)),
                Err(e) => {
                    errors.push(e.into());
                    continue;
                }
            },
            Some(live) => {
                // kubectl diff patches without annotating (`GetModifiedConfiguration(obj,
                // false)`): the modified config has its annotations (an empty map at least)
                // minus last-applied, so the merged object keeps the live annotation.
                let mut annots = object::get(&modified, &["metadata", "annotations"])
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                annots.remove(super::apply::LAST_APPLIED);
                object::set(
                    &mut modified,
                    &["metadata", "annotations"],
                    Value::Object(annots),
                );
                let original: Option<Value> = object::annotation(&live, super::apply::LAST_APPLIED)
                    .and_then(|t| serde_json::from_str(t).ok());
                let body =
                    patch::create_three_way_merge_patch(original.as_ref(), &modified, &live, kind);
                let merged = if body.as_object().is_none_or(|m| m.is_empty()) {
                    (*live).clone()
                } else {
                    match k.cluster.api.patch_with(
                        kind,
                        &obj_ns,
                        &name,
                        PatchType::StrategicMerge,
                        &body,
                        false,
                        &dry,
                    ) {
                        Ok(m) => (*m).clone(),
                        Err(e) => {
                            errors.push(e.into());
                            continue;
                        }
                    }
                };
                (as_yaml(&live), as_yaml(&merged))
            }
        };
        manifest::flush_warnings(k, out);
        files.push((file, live, merged));
    }
    if !errors.is_empty() {
        manifest::finish(errors, out)?;
    }
    kubeplay_shell::sorting::sort_by(&mut files, |a, b| a.0.cmp(&b.0));
    // Stand-ins for the two temporary directories kubectl creates.
    let now = k.cluster.now();
    let seed = now.0 / 1000;
    let live_dir = format!(
        "/tmp/LIVE-{}",
        1_000_000_000 + (seed.wrapping_mul(2_654_435_761) % 3_000_000_000)
    );
    let merged_dir = format!(
        "/tmp/MERGED-{}",
        1_000_000_000 + (seed.wrapping_mul(40_503) % 3_000_000_000)
    );
    let mut differ = false;
    for (file, live, merged) in &files {
        let hunks = unified(live, merged);
        if hunks.is_empty() {
            continue;
        }
        differ = true;
        out.out(format!(
            "diff -u -N {live_dir}/{file} {merged_dir}/{file}\n--- {live_dir}/{file}\t{}\n+++ {merged_dir}/{file}\t{}\n{hunks}",
            file_time(now, 0),
            file_time(now, 0),
        ));
    }
    if differ {
        return Err(CmdError::Exit(1));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_hunks_are_gnu_diffs() {
        // Checked against GNU diff 3.x: six unchanged lines between two changes keep one
        // hunk, seven split it.
        let a = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let b = "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\n";
        assert_eq!(
            unified(a, b),
            "@@ -1,10 +1,11 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n h\n i\n j\n+k\n"
        );
        let a = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nl\n";
        let b = "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nl\nk\n";
        assert_eq!(
            unified(a, b),
            "@@ -1,7 +1,7 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n@@ -9,3 +9,4 @@\n i\n j\n l\n+k\n"
        );
        assert_eq!(unified("", "x\ny\n"), "@@ -0,0 +1,2 @@\n+x\n+y\n");
        assert_eq!(unified("x\n", "x\n"), "");
        assert_eq!(unified("x\ny\n", "y\n"), "@@ -1,2 +1 @@\n-x\n y\n");
    }

    #[test]
    fn file_times_have_nanoseconds_and_a_zone() {
        let t = kubeplay_engine::time::Time::parse_rfc3339("2026-01-01T00:01:02Z").unwrap();
        assert_eq!(file_time(t, 0), "2026-01-01 00:01:02.000000000 +0000");
    }
}
