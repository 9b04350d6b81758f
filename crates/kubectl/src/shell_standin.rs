//! STAND-IN for the `kubeplay-shell` crate while it is being written: the same names and
//! signatures as its announced API (`Shell`, `Host`, `Env`, `Io`, `Stream`), with just enough
//! behaviour (words, quotes, `;`, newlines, `>`/`>>`, `echo`, `exit`) to exercise the session.
//!
//! It must never grow into a second shell: once the real crate lands, `crate::shell` re-exports
//! it and this file is deleted.

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Io {
    pub chunks: Vec<(Stream, String)>,
}

#[derive(Clone, Debug, Default)]
pub struct Env {
    pub vars: BTreeMap<String, String>,
}

pub trait Host {
    fn exec(&mut self, env: &Env, args: &[String], stdin: &str, io: &mut Io) -> i32;
    fn sleep(&mut self, seconds: f64);
    fn read_file(&mut self, path: &str) -> Result<String, String>;
    fn write_file(&mut self, path: &str, data: &str, append: bool) -> Result<(), String>;
    fn has_command(&self, name: &str) -> bool;
    fn is_dir(&mut self, path: &str) -> bool {
        matches!(self.read_file(path), Err(e) if e.contains("Is a directory"))
    }
}

#[derive(Debug, Default)]
pub struct Shell {
    env: Env,
    exited: Option<i32>,
}

fn words(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut quote: Option<char> = None;
    for c in cmd.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                have = true;
            }
            None if c.is_whitespace() => {
                if have {
                    out.push(std::mem::take(&mut cur));
                    have = false;
                }
            }
            None => {
                cur.push(c);
                have = true;
            }
        }
    }
    if have {
        out.push(cur);
    }
    out
}

impl Shell {
    pub fn new() -> Shell {
        Shell::default()
    }

    pub fn exited(&self) -> Option<i32> {
        self.exited
    }

    pub fn is_complete(src: &str) -> bool {
        let mut quote: Option<char> = None;
        for c in src.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '\'' || c == '"' => quote = Some(c),
                None => {}
            }
        }
        quote.is_none()
    }

    pub fn split_commands(src: &str) -> Result<Vec<String>, String> {
        Ok(src
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect())
    }

    pub fn run(&mut self, src: &str, host: &mut dyn Host, io: &mut Io) -> i32 {
        let mut status = 0;
        let mut parts = Vec::new();
        let mut cur = String::new();
        let mut quote: Option<char> = None;
        for c in src.chars() {
            match quote {
                Some(q) if c == q => {
                    quote = None;
                    cur.push(c)
                }
                Some(_) => cur.push(c),
                None if c == '\'' || c == '"' => {
                    quote = Some(c);
                    cur.push(c)
                }
                None if c == ';' || c == '\n' => parts.push(std::mem::take(&mut cur)),
                None => cur.push(c),
            }
        }
        parts.push(cur);
        for p in parts {
            if self.exited.is_some() {
                break;
            }
            let mut w = words(&p);
            if w.is_empty() {
                continue;
            }
            let mut redirect: Option<(String, bool)> = None;
            if let Some(i) = w.iter().position(|x| x == ">" || x == ">>") {
                if let Some(f) = w.get(i + 1) {
                    redirect = Some((f.clone(), w[i] == ">>"));
                }
                w.truncate(i);
            }
            let mut sub = Io::default();
            status = match w.first().map(String::as_str) {
                Some("exit") => {
                    let code = w.get(1).and_then(|s| s.parse().ok()).unwrap_or(status);
                    self.exited = Some(code);
                    code
                }
                // The real shell's `cat` reads through the host unless the host claims `cat`.
                Some("cat") if !host.has_command("cat") => {
                    let mut st = 0;
                    for f in &w[1..] {
                        match host.read_file(f) {
                            Ok(t) => sub.chunks.push((Stream::Stdout, t)),
                            Err(_) => {
                                sub.chunks.push((
                                    Stream::Stderr,
                                    format!("cat: {f}: No such file or directory\n"),
                                ));
                                st = 1;
                            }
                        }
                    }
                    st
                }
                Some("echo") => {
                    sub.chunks
                        .push((Stream::Stdout, format!("{}\n", w[1..].join(" "))));
                    0
                }
                Some("sleep") => {
                    host.sleep(w.get(1).and_then(|s| s.parse().ok()).unwrap_or(0.0));
                    0
                }
                _ => host.exec(&self.env, &w, "", &mut sub),
            };
            match redirect {
                Some((f, append)) => {
                    let text: String = sub
                        .chunks
                        .iter()
                        .filter(|(s, _)| *s == Stream::Stdout)
                        .map(|(_, t)| t.as_str())
                        .collect();
                    if let Err(e) = host.write_file(&f, &text, append) {
                        io.chunks.push((Stream::Stderr, format!("sh: {e}\n")));
                        status = 1;
                    }
                    io.chunks
                        .extend(sub.chunks.into_iter().filter(|(s, _)| *s == Stream::Stderr));
                }
                None => io.chunks.extend(sub.chunks),
            }
        }
        status
    }
}
