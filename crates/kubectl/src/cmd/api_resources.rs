//! `kubectl api-resources [-o wide|name] [--namespaced=BOOL] [--api-group=G] [--no-headers]`:
//! the resource types the simulated API server serves (engine `kinds::RESOURCES`), sorted as
//! kubectl sorts by default: by API group (core first), then by name as discovery lists them.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;
use kubeplay_engine::kinds::{ResourceInfo, RESOURCES};

pub(crate) const SPECS: &[FlagSpec] = &[
    flag("output", Some('o'), FlagKind::Value),
    flag("namespaced", None, FlagKind::Bool),
    flag("api-group", None, FlagKind::Value),
    flag("no-headers", None, FlagKind::Bool),
    flag("sort-by", None, FlagKind::Value),
];

/// Pads every column but the last to its widest cell + 3 (cli-runtime tabwriter, S6.1).
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut s = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}", w = widths[i] + 3));
            }
        }
        s.push_str(&line);
        s.push('\n');
    }
    s
}

fn api_version(r: &ResourceInfo) -> String {
    if r.group.is_empty() {
        r.version.to_string()
    } else {
        format!("{}/{}", r.group, r.version)
    }
}

pub fn run(_k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, SPECS).map_err(|m| super::flag_error("api-resources", m))?;
    let output = p.value("output").unwrap_or("");
    if !matches!(output, "" | "wide" | "name") {
        return Err(CmdError::Plain(format!(
            "--output {output} is not available"
        )));
    }
    let mut list: Vec<&ResourceInfo> = RESOURCES
        .iter()
        .filter(|r| match p.value("namespaced") {
            Some(v) => r.namespaced == (v == "true"),
            None => true,
        })
        .filter(|r| p.value("api-group").is_none_or(|g| r.group == g))
        .collect();
    match p.value("sort-by") {
        Some("name") => kubeplay_shell::sorting::sort_by_key(&mut list, |r| (r.plural, r.group)),
        Some("kind") => kubeplay_shell::sorting::sort_by_key(&mut list, |r| (r.kind_name, r.group)),
        Some(other) if !other.is_empty() => {
            return Err(CmdError::Plain(
                "--sort-by accepts only name or kind".to_string(),
            ))
        }
        _ => kubeplay_shell::sorting::sort_by_key(&mut list, |r| (r.group, r.plural)),
    }
    if output == "name" {
        for r in list {
            if r.group.is_empty() {
                out.outln(r.plural);
            } else {
                out.outln(format!("{}.{}", r.plural, r.group));
            }
        }
        return Ok(());
    }
    let wide = output == "wide";
    let mut rows = Vec::new();
    if !p.bool("no-headers") {
        let mut h: Vec<String> = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if wide {
            h.push("VERBS".into());
            h.push("CATEGORIES".into());
        }
        rows.push(h);
    }
    for r in list {
        let mut row = vec![
            r.plural.to_string(),
            r.short_names.join(","),
            api_version(r),
            r.namespaced.to_string(),
            r.kind_name.to_string(),
        ];
        if wide {
            row.push(format!("[{}]", r.verbs.join(" ")));
            row.push(r.categories.join(","));
        }
        rows.push(row);
    }
    out.out(table(&rows));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_grouped_core_first_then_by_group() {
        let mut c = kubeplay_engine::Cluster::new(kubeplay_engine::Config::default());
        let files = crate::context::MemFiles::default();
        let mut k = Kubectl {
            cluster: &mut c,
            namespace: "default".into(),
            files: &files,
            stdin: String::new(),
        };
        let mut out = Output::new();
        run(&mut k, &[], &mut out).unwrap();
        let text = out.stdout();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NAME "));
        assert!(lines[0].ends_with("NAMESPACED   KIND"));
        let pos = |n: &str| lines.iter().position(|l| l.starts_with(n)).unwrap();
        assert!(pos("configmaps ") < pos("pods "));
        assert!(pos("pods ") < pos("controllerrevisions "));
        assert!(pos("statefulsets ") < pos("storageclasses "));
        assert!(text.contains("statefulsets "));
        let sts = lines[pos("statefulsets ")];
        assert!(
            sts.contains(" sts ") && sts.contains(" apps/v1 ") && sts.ends_with(" StatefulSet")
        );
    }
}
