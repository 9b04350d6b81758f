//! Shared helpers for the cross-crate test suites: the transcript harness.
//!
//! A transcript (`tests/transcripts/*.txt`) is a terminal session. `$ command` lines (or,
//! inside an attached container, `/ # command`, and `# command` at dash's prompt, the `sh`
//! of Debian and Ubuntu images, or bash's `root@web-0:/dir# command` and busybox's `/dir #
//! command` after a `cd`) start a case; `> ` lines continue the command
//! (heredocs, loops); the lines up to the next command are the expected output (stdout and
//! stderr interleaved as a terminal shows them). `#` lines are notes, except between a `$ `
//! command that attaches a terminal (`kubectl exec -it POD -- sh`) and its `exit`, where a
//! `# ` line is a command at dash's prompt: notes for such a session go before it; `#! file NAME = PATH`
//! puts the bundled `static/examples/PATH` into the working files as NAME.
//!
//! Each file runs in a fresh cluster with a fixed seed through `Session`. Only what is truly
//! random or clock-shaped is normalised, on both sides: AGE cells and `(Xs ago)`, IPv4
//! addresses, and the UID in `pvc-<uid>` names. `UPDATE_EXPECT=1` rewrites the expectations.

use kubeplay_engine::{Cluster, Config};
use kubeplay_kubectl::bundled::{self, WithUrls};
use kubeplay_kubectl::context::MemFiles;
use kubeplay_kubectl::Session;

/// The seed every transcript runs with.
pub const SEED: u64 = 1;

/// One command and the output expected after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Notes written before the command (kept when rewriting).
    pub comments: Vec<String>,
    pub command: String,
    pub expected: String,
}

/// A parsed transcript: the files it declares and its cases.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    /// `#! pending: why`: the file records commands whose outputs cannot be generated yet.
    pub pending: Option<String>,
    pub header: Vec<String>,
    pub files: Vec<(String, String)>,
    pub cases: Vec<Case>,
    /// Notes after the last case's output.
    pub trailer: Vec<String>,
}

/// The command on a prompt line, and whether it was typed in an attached container.
/// `dash_session`: the terminal may be attached to a container whose prompt is dash's `# `.
fn command_text(line: &str, dash_session: bool) -> Option<(&str, bool)> {
    if let Some(c) = line.strip_prefix("$ ") {
        return Some((c, false));
    }
    if line == "$" {
        return Some(("", false));
    }
    if let Some(c) = line.strip_prefix("/ # ") {
        return Some((c, true));
    }
    if dash_session {
        // bash's prompt `root@web-0:/usr/share/nginx/html# `, busybox ash's `/tmp # `: they
        // follow `cd`.
        if let Some(rest) = line.strip_prefix("root@") {
            if let Some(i) = rest.find("# ") {
                let head = &rest[..i];
                if head.contains(':') && !head.contains(' ') {
                    return Some((&rest[i + 2..], true));
                }
            }
        }
        if line.starts_with('/') || line.starts_with('~') {
            if let Some(i) = line.find(" # ") {
                if !line[..i].contains(' ') {
                    return Some((&line[i + 3..], true));
                }
            }
        }
        return line.strip_prefix("# ").map(|c| (c, true));
    }
    None
}

/// Whether a machine command attaches the terminal to a shell in a container (so the lines
/// after it may be typed at the container's prompt).
fn attaches(cmd: &str) -> bool {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let interactive = words
        .iter()
        .any(|w| matches!(*w, "-it" | "-ti" | "-i" | "--stdin" | "--stdin=true"));
    // The verb: the first word after kubectl's leading global flags (`-n=mehdb`, `-n mehdb`).
    let mut rest = words.iter().skip(1);
    let mut verb = None;
    while let Some(w) = rest.next() {
        if matches!(*w, "-n" | "--namespace" | "--context") {
            rest.next();
        } else if !w.starts_with('-') {
            verb = Some(*w);
            break;
        }
    }
    let kubectl = words.first() == Some(&"kubectl")
        && verb.is_some_and(|v| matches!(v, "exec" | "run" | "attach"));
    let shell = words
        .last()
        .map(|w| w.rsplit('/').next().unwrap_or(w))
        .is_some_and(|w| matches!(w, "sh" | "bash" | "ash"));
    kubectl && interactive && shell
}

pub fn parse(text: &str) -> Result<Transcript, String> {
    let mut t = Transcript::default();
    let mut pending: Vec<String> = Vec::new();
    let mut cur: Option<Case> = None;
    let mut in_command = false;
    let mut dash_session = false;
    for (n, line) in text.lines().enumerate() {
        if let Some(why) = line.strip_prefix("#! pending:") {
            t.pending = Some(why.trim().to_string());
            t.header.push(line.to_string());
            continue;
        }
        if let Some(d) = line.strip_prefix("#! file ") {
            let (name, path) = d
                .split_once(" = ")
                .ok_or_else(|| format!("line {}: expected `#! file NAME = PATH`", n + 1))?;
            t.files
                .push((name.trim().to_string(), path.trim().to_string()));
            t.header.push(line.to_string());
            continue;
        }
        if let Some((cmd, in_container)) = command_text(line, dash_session) {
            dash_session = if in_container {
                cmd.trim() != "exit"
            } else {
                attaches(cmd)
            };
            if let Some(c) = cur.take() {
                t.cases.push(c);
            }
            cur = Some(Case {
                comments: std::mem::take(&mut pending),
                command: cmd.to_string(),
                expected: String::new(),
            });
            in_command = true;
            continue;
        }
        if in_command {
            if let (Some(rest), Some(c)) = (line.strip_prefix("> "), cur.as_mut()) {
                c.command.push('\n');
                c.command.push_str(rest);
                continue;
            }
            in_command = false;
        }
        if line.starts_with('#') {
            if cur.is_none() && t.cases.is_empty() {
                t.header.push(line.to_string());
            } else {
                pending.push(line.to_string());
            }
            continue;
        }
        match cur.as_mut() {
            Some(c) => {
                c.expected.push_str(line);
                c.expected.push('\n');
            }
            None if line.trim().is_empty() => {}
            None => return Err(format!("line {}: output before any command", n + 1)),
        }
    }
    if let Some(c) = cur.take() {
        t.cases.push(c);
    }
    t.trailer = pending;
    Ok(t)
}

/// Replaces every IPv4 address with `<IP>`.
fn normalise_ips(line: &str) -> String {
    let b: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let start_ok = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == '.');
        if start_ok && b[i].is_ascii_digit() {
            let mut j = i;
            let mut dots = 0;
            let mut ok = true;
            for part in 0..4 {
                let s = j;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                if j == s || j - s > 3 {
                    ok = false;
                    break;
                }
                if part < 3 {
                    if j < b.len() && b[j] == '.' {
                        dots += 1;
                        j += 1;
                    } else {
                        ok = false;
                        break;
                    }
                }
            }
            let end_ok = j >= b.len()
                || !(b[j].is_ascii_alphanumeric()
                    || (b[j] == '.' && b.get(j + 1).is_some_and(|c| c.is_ascii_digit())));
            if ok && dots == 3 && end_ok {
                out.push_str("<IP>");
                i = j;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Replaces the UID in `pvc-<uid>` with `<UID>`.
fn normalise_pvc_uids(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find("pvc-") {
        out.push_str(&rest[..i + 4]);
        let tail = &rest[i + 4..];
        let uid_len = tail
            .char_indices()
            .take_while(|(_, c)| c.is_ascii_hexdigit() || *c == '-')
            .count();
        if uid_len >= 32 {
            out.push_str("<UID>");
            rest = &tail[uid_len..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Table cells: split on runs of 2+ spaces (tabwriter pads with 3, cells hold single spaces).
fn cells(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// Normalises one output block.
pub fn normalise(text: &str) -> String {
    let mut out = String::new();
    let mut age_col: Option<usize> = None;
    for raw in text.lines() {
        let line = normalise_pvc_uids(&normalise_ips(raw));
        let cs = cells(&line);
        if cs.iter().any(|c| c == "AGE") && line.starts_with(|c: char| c.is_ascii_uppercase()) {
            age_col = cs.iter().position(|c| c == "AGE");
            out.push_str(&cs.join("   "));
            out.push('\n');
            continue;
        }
        if line.trim().is_empty() {
            age_col = None;
        }
        match age_col {
            Some(i) if cs.len() > i => {
                let mut cs = cs;
                cs[i] = "<AGE>".to_string();
                for c in cs.iter_mut() {
                    if let Some(open) = c.find(" (") {
                        if c.ends_with(" ago)") {
                            *c = format!("{} (<AGE> ago)", &c[..open]);
                        }
                    }
                }
                out.push_str(&cs.join("   "));
            }
            _ => out.push_str(&line),
        }
        out.push('\n');
    }
    out
}

/// Runs a transcript and returns each case's actual output (and the prompt it was typed at).
pub fn run(t: &Transcript) -> Result<Vec<(String, String)>, String> {
    let mut files = MemFiles::default();
    for (name, path) in &t.files {
        let text = bundled::example(path).ok_or_else(|| format!("no bundled file {path}"))?;
        files.0.insert(name.clone(), text.to_string());
    }
    let files = WithUrls { inner: &files };
    let mut cluster = Cluster::new(Config {
        seed: SEED,
        ..Config::default()
    });
    let mut session = Session::new();
    let mut results = Vec::new();
    for c in &t.cases {
        let prompt = session.prompt().to_string();
        let (out, _code) = session.run_line(&mut cluster, &files, &c.command);
        results.push((prompt, out.combined()));
    }
    Ok(results)
}

/// Writes a transcript back with new outputs.
pub fn render(t: &Transcript, results: &[(String, String)]) -> String {
    let mut s = String::new();
    for h in &t.header {
        s.push_str(h);
        s.push('\n');
    }
    for (c, (prompt, out)) in t.cases.iter().zip(results) {
        for note in &c.comments {
            s.push_str(note);
            s.push('\n');
        }
        let mut lines = c.command.lines();
        s.push_str(prompt);
        s.push_str(lines.next().unwrap_or(""));
        s.push('\n');
        for l in lines {
            s.push_str("> ");
            s.push_str(l);
            s.push('\n');
        }
        s.push_str(out);
        if !out.is_empty() && !out.ends_with('\n') {
            s.push('\n');
        }
    }
    for note in &t.trailer {
        s.push_str(note);
        s.push('\n');
    }
    s
}

/// Compares a transcript with a fresh run; returns a readable report of the first mismatches.
pub fn check(name: &str, t: &Transcript, results: &[(String, String)]) -> Result<(), String> {
    let mut report = String::new();
    for (c, (_, actual)) in t.cases.iter().zip(results) {
        let want = normalise(&c.expected);
        let got = normalise(actual);
        if want.trim_end() != got.trim_end() {
            report.push_str(&format!(
                "{name}: `$ {}`\n--- expected\n{want}--- actual\n{got}\n",
                c.command
            ));
        }
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_continuations_notes_and_outputs() {
        let t = parse("#! file web.yaml = tutorials/web-2019.yaml\n# note\n$ for i in 0 1; do\n>   echo $i\n> done\n0\n1\n# rule S6.6\n$ true\n").unwrap();
        assert_eq!(
            t.files,
            [(
                "web.yaml".to_string(),
                "tutorials/web-2019.yaml".to_string()
            )]
        );
        assert_eq!(t.cases.len(), 2);
        assert_eq!(t.cases[0].command, "for i in 0 1; do\n  echo $i\ndone");
        assert_eq!(t.cases[0].expected, "0\n1\n");
        assert_eq!(t.cases[1].comments, ["# rule S6.6"]);
        assert_eq!(
            t.header,
            ["#! file web.yaml = tutorials/web-2019.yaml", "# note"]
        );
    }

    #[test]
    fn a_dash_prompt_is_a_command_only_inside_an_attached_shell() {
        let text = "# note\n$ kubectl exec -it vm-0 -- /bin/sh\nDefaulted\n# apt-get update\nGet:1\n# exit\n# note 2\n$ true\n/ # ls\n";
        let t = parse(text).unwrap();
        let cmds: Vec<&str> = t.cases.iter().map(|c| c.command.as_str()).collect();
        assert_eq!(
            cmds,
            [
                "kubectl exec -it vm-0 -- /bin/sh",
                "apt-get update",
                "exit",
                "true",
                "ls"
            ]
        );
        assert_eq!(t.header, ["# note"]);
        assert_eq!(t.cases[3].comments, ["# note 2"]);
        assert_eq!(t.cases[1].expected, "Get:1\n");
        // A command that does not attach leaves `# ` lines as notes.
        let t = parse("$ kubectl exec vm-0 -- ls\n# not a command\n$ true\n").unwrap();
        assert_eq!(t.cases.len(), 2);
        assert_eq!(t.cases[1].comments, ["# not a command"]);
    }

    #[test]
    fn normalises_only_ages_ips_and_pvc_uids() {
        let a = "NAME    READY   STATUS    RESTARTS      AGE\nweb-0   1/1     Running   1 (5s ago)    12s\n\nAddress 1: 10.244.1.6 web-0.nginx\npvc-15c268c7-b507-11e6-932f-42010a800002\n";
        let b = "NAME    READY   STATUS    RESTARTS       AGE\nweb-0   1/1     Running   1 (15s ago)    2m3s\n\nAddress 1: 10.244.2.7 web-0.nginx\npvc-e1125b27-b508-11e6-932f-42010a800002\n";
        assert_eq!(normalise(a), normalise(b));
        assert_ne!(normalise(a), normalise(&a.replace("Running", "Pending")));
        assert!(normalise(a).contains("1 (<AGE> ago)"));
        assert_eq!(normalise_ips("v1.33.1 and 1.2.3.4."), "v1.33.1 and <IP>.");
    }
}
