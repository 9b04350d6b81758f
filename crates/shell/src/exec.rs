//! The interpreter proper: lists, and-or lists, pipelines, compound commands, redirections,
//! functions, and the builtins that change shell state (cd, export, read, exit, ...).
//!
//! Output is buffered per command in an [`Io`] and routed afterwards (to the caller, to a file via
//! the host, to the next pipeline stage, or nowhere for `/dev/null`), which keeps stdout/stderr
//! order exact without threads. Nothing here may panic; runaway recursion and loops are bounded.

use crate::parse::{self, Command, CommandKind, List, Pipeline, RedirOp};
use crate::{glob, Env, Flow, Host, Io, Shell, Stream, Var, MAX_DEPTH};

/// A command's standard input: a buffer that `read` consumes line by line and filters consume
/// whole.
#[derive(Debug, Default)]
pub struct Stdin {
    buf: String,
    pos: usize,
}

impl Stdin {
    pub fn new(s: String) -> Stdin {
        Stdin { buf: s, pos: 0 }
    }
    /// What is left to read.
    pub fn rest(&self) -> &str {
        self.buf.get(self.pos..).unwrap_or("")
    }
    /// Consumes and returns everything left.
    pub fn take_all(&mut self) -> String {
        let s = self.rest().to_string();
        self.pos = self.buf.len();
        s
    }
    /// Consumes one line (without its newline); None at end of input. The flag tells whether the
    /// line ended with a newline.
    pub fn read_line(&mut self) -> Option<(String, bool)> {
        let rest = self.rest();
        if rest.is_empty() {
            return None;
        }
        match rest.find('\n') {
            Some(n) => {
                let line = rest[..n].to_string();
                self.pos += n + 1;
                Some((line, true))
            }
            None => {
                let line = rest.to_string();
                self.pos = self.buf.len();
                Some((line, false))
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sink {
    Out,
    Err,
    Null,
    File(usize),
}

/// Names the shell always implements itself, whatever the host provides.
pub(crate) const SHELL_BUILTINS: &[&str] = &[
    ":",
    ".",
    "[",
    "alias",
    "break",
    "cd",
    "command",
    "continue",
    "echo",
    "eval",
    "exec",
    "exit",
    "export",
    "false",
    "hash",
    "local",
    "printf",
    "pwd",
    "read",
    "readarray",
    "mapfile",
    "readonly",
    "return",
    "set",
    "shift",
    "source",
    "test",
    "trap",
    "true",
    "type",
    "umask",
    "unalias",
    "unset",
    "wait",
];

impl Shell {
    /// Runs `src` with the given standard input (for `sh` reading a script or data from stdin).
    pub fn run_with_stdin(
        &mut self,
        src: &str,
        stdin: &str,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> i32 {
        if self.exited.is_some() {
            return self.exited.unwrap_or(0);
        }
        self.commands_run = 0;
        self.stopped = false;
        let status = match parse::parse(src) {
            Ok(list) => {
                let mut input = Stdin::new(stdin.to_string());
                self.run_list(&list, &mut input, host, io)
            }
            Err(e) => {
                io.err(&format!("{}: syntax error: {}\n", self.name, e.message()));
                2
            }
        };
        if let Flow::Exit(code) = self.flow {
            if !self.stopped {
                self.exited = Some(code);
            }
        }
        self.flow = Flow::Normal;
        let status = if self.stopped { 130 } else { status };
        self.env.last_status = status;
        status
    }

    pub(crate) fn run_source(&mut self, src: &str, host: &mut dyn Host, io: &mut Io) -> i32 {
        match parse::parse(src) {
            Ok(list) => self.run_list(&list, &mut Stdin::default(), host, io),
            Err(e) => {
                io.err(&format!("{}: syntax error: {}\n", self.name, e.message()));
                2
            }
        }
    }

    /// The shell's message for a redirection that failed (`e` is `can't create PATH: WHY`
    /// or `can't open PATH: WHY`), in the words of the shell it plays: busybox ash says
    /// `sh: can't create /x/y: nonexistent directory`, dash `sh: 1: cannot create /x/y:
    /// Directory nonexistent`.
    pub(crate) fn redirect_error(&self, e: &str) -> String {
        let missing = "No such file or directory";
        // The hosts quote the path as the file tools do (`can't open 'x': ...`); the shells
        // do not.
        let unquoted;
        let e = match e
            .strip_prefix("can't open '")
            .and_then(|r| r.split_once("': "))
        {
            Some((path, why)) => {
                unquoted = format!("can't open {path}: {why}");
                unquoted.as_str()
            }
            None => e,
        };
        if self.name == "bash" {
            // bash: `bash: /x/y: No such file or directory`.
            let e = e
                .strip_prefix("can't create ")
                .or_else(|| e.strip_prefix("can't open "))
                .unwrap_or(e)
                .replace("nonexistent directory", missing);
            return format!("bash: {e}\n");
        }
        if self.env.dash {
            let e = e
                .replace("can't create ", "cannot create ")
                .replace("can't open ", "cannot open ");
            let e = if e.starts_with("cannot create ") {
                e.replace(missing, "Directory nonexistent")
                    .replace("nonexistent directory", "Directory nonexistent")
            } else {
                e.replace(missing, "No such file")
            };
            format!("{}: {}: {e}\n", self.env.arg0, self.env.line)
        } else {
            let e = if e.starts_with("can't create ") {
                e.replace(missing, "nonexistent directory")
            } else if e.starts_with("can't open ") {
                e.replace(missing, "no such file")
            } else {
                e.to_string()
            };
            format!("{}: {e}\n", self.name)
        }
    }

    pub(crate) fn run_list(
        &mut self,
        list: &List,
        stdin: &mut Stdin,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> i32 {
        let mut status = self.env.last_status;
        for ao in list {
            // Only the last pipeline of an and-or list is subject to `set -e`.
            let n = ao.rest.len();
            if n > 0 {
                self.cond_depth += 1;
            }
            let mut st = self.run_pipeline(&ao.first, stdin, host, io);
            let mut last_negated = ao.first.negate;
            let mut ran_last = n == 0;
            for (k, (is_and, p)) in ao.rest.iter().enumerate() {
                if self.flow != Flow::Normal {
                    break;
                }
                if (st == 0) == *is_and {
                    if k + 1 == n {
                        self.cond_depth -= 1;
                    }
                    st = self.run_pipeline(p, stdin, host, io);
                    if k + 1 == n {
                        self.cond_depth += 1;
                        ran_last = true;
                    }
                    last_negated = p.negate;
                }
            }
            if n > 0 {
                self.cond_depth -= 1;
            }
            status = st;
            self.env.last_status = st;
            if self.flow != Flow::Normal {
                break;
            }
            if self.options.errexit && st != 0 && self.cond_depth == 0 && !last_negated && ran_last
            {
                self.flow = Flow::Exit(st);
                break;
            }
        }
        status
    }

    fn run_pipeline(
        &mut self,
        p: &Pipeline,
        stdin: &mut Stdin,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> i32 {
        if p.negate {
            self.cond_depth += 1;
        }
        let st = if p.cmds.len() == 1 {
            match p.cmds.first() {
                Some(c) => self.run_command(c, stdin, host, io),
                None => 0,
            }
        } else {
            // Each stage runs in a subshell: its variable changes do not survive.
            let mut input: Option<String> = None;
            let mut st = 0;
            let n = p.cmds.len();
            for (k, c) in p.cmds.iter().enumerate() {
                let saved_env = self.env.clone();
                let saved_loop = self.loop_depth;
                self.loop_depth = 0;
                let mut stage_io = Io::new();
                st = match input.take() {
                    None => self.run_command(c, stdin, host, &mut stage_io),
                    Some(s) => self.run_command(c, &mut Stdin::new(s), host, &mut stage_io),
                };
                if let Flow::Exit(code) = self.flow {
                    st = code;
                }
                let interrupted = self.flow == Flow::Exit(130) && self.stopped;
                self.flow = if interrupted {
                    Flow::Exit(130)
                } else {
                    Flow::Normal
                };
                self.env = saved_env;
                self.loop_depth = saved_loop;
                if k + 1 == n {
                    io.append(stage_io);
                } else {
                    let mut out = String::new();
                    for (stream, text) in stage_io.chunks {
                        match stream {
                            Stream::Stdout => out.push_str(&text),
                            Stream::Stderr => io.err(&text),
                        }
                    }
                    input = Some(out);
                }
                if interrupted {
                    break;
                }
            }
            st
        };
        if p.negate {
            self.cond_depth -= 1;
            i32::from(st == 0)
        } else {
            st
        }
    }

    /// Counts a command against the budget and polls the host for an interrupt.
    fn tick(&mut self, host: &mut dyn Host, io: &mut Io) -> bool {
        self.commands_run += 1;
        if self.stopped {
            return false;
        }
        if self.commands_run > self.max_commands {
            io.err(&format!("{}: command limit exceeded\n", self.name));
            self.stopped = true;
            self.flow = Flow::Exit(130);
            return false;
        }
        if host.interrupted() {
            self.stopped = true;
            self.flow = Flow::Exit(130);
            return false;
        }
        true
    }

    pub(crate) fn run_command(
        &mut self,
        cmd: &Command,
        stdin: &mut Stdin,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> i32 {
        if !self.tick(host, io) {
            return 130;
        }
        self.env.line = self.line_base.saturating_add(cmd.line);
        if cmd.redirs.is_empty() {
            return self.run_kind(&cmd.kind, stdin, host, io);
        }
        let mut fd1 = Sink::Out;
        let mut fd2 = Sink::Err;
        let mut files: Vec<(String, String)> = Vec::new();
        let mut input: Option<String> = None;
        for r in &cmd.redirs {
            let target = if matches!(r.op, RedirOp::HereDoc { .. }) {
                String::new()
            } else {
                match self.expand_string(&r.target, host, io) {
                    Ok(t) => t,
                    Err(e) => {
                        io.err(&self.redirect_error(&e));
                        return 2;
                    }
                }
            };
            match &r.op {
                RedirOp::Out | RedirOp::Append | RedirOp::OutErr | RedirOp::AppendErr => {
                    let append = matches!(r.op, RedirOp::Append | RedirOp::AppendErr);
                    let sink = match self.open_out(&target, append, &mut files, host) {
                        Ok(s) => s,
                        Err(e) => {
                            io.err(&self.redirect_error(&e));
                            return if self.env.dash { 2 } else { 1 };
                        }
                    };
                    if matches!(r.op, RedirOp::OutErr | RedirOp::AppendErr) {
                        fd1 = sink;
                        fd2 = sink;
                    } else if r.fd == 1 {
                        fd1 = sink;
                    } else if r.fd == 2 {
                        fd2 = sink;
                    }
                }
                RedirOp::DupOut => {
                    let sink = match target.as_str() {
                        "1" => fd1,
                        "2" => fd2,
                        "-" => Sink::Null,
                        _ => {
                            if target.chars().all(|c| c.is_ascii_digit()) && !target.is_empty() {
                                io.err(&format!("{}: {target}: Bad file descriptor\n", self.name));
                                return 1;
                            }
                            // `>&file` is `>file 2>&1` in bash; ash treats it the same way.
                            match self.open_out(&target, false, &mut files, host) {
                                Ok(s) => {
                                    fd2 = s;
                                    s
                                }
                                Err(e) => {
                                    io.err(&self.redirect_error(&e));
                                    return if self.env.dash { 2 } else { 1 };
                                }
                            }
                        }
                    };
                    if r.fd == 1 {
                        fd1 = sink;
                    } else if r.fd == 2 {
                        fd2 = sink;
                    }
                }
                RedirOp::In | RedirOp::ReadWrite => {
                    if r.fd != 0 {
                        continue;
                    }
                    let data = match target.as_str() {
                        "/dev/null" => Ok(String::new()),
                        "/dev/stdin" => Ok(stdin.rest().to_string()),
                        _ => host.read_file(&target),
                    };
                    match data {
                        Ok(d) => input = Some(d),
                        Err(e) => {
                            io.err(&self.redirect_error(&e));
                            return if self.env.dash { 2 } else { 1 };
                        }
                    }
                }
                RedirOp::DupIn => {}
                RedirOp::HereDoc { body, expand } => {
                    if r.fd != 0 {
                        continue;
                    }
                    let text = if *expand {
                        match self.expand_heredoc(body, host, io) {
                            Ok(t) => t,
                            Err(e) => {
                                io.err(&self.redirect_error(&e));
                                return 2;
                            }
                        }
                    } else {
                        body.clone()
                    };
                    input = Some(text);
                }
                RedirOp::HereString => {
                    if r.fd == 0 {
                        input = Some(format!("{target}\n"));
                    }
                }
            }
        }
        let mut inner = Io::new();
        let st = match input {
            Some(s) => self.run_kind(&cmd.kind, &mut Stdin::new(s), host, &mut inner),
            None => self.run_kind(&cmd.kind, stdin, host, &mut inner),
        };
        for (stream, text) in inner.chunks {
            let sink = if stream == Stream::Stdout { fd1 } else { fd2 };
            match sink {
                Sink::Out => io.out(&text),
                Sink::Err => io.err(&text),
                Sink::Null => {}
                Sink::File(k) => {
                    if let Some(f) = files.get_mut(k) {
                        f.1.push_str(&text);
                    }
                }
            }
        }
        for (path, data) in files {
            if !data.is_empty() {
                if let Err(e) = host.write_file(&path, &data, true) {
                    io.err(&self.redirect_error(&e));
                }
            }
        }
        st
    }

    fn open_out(
        &mut self,
        path: &str,
        append: bool,
        files: &mut Vec<(String, String)>,
        host: &mut dyn Host,
    ) -> Result<Sink, String> {
        match path {
            "/dev/null" => return Ok(Sink::Null),
            "/dev/stdout" => return Ok(Sink::Out),
            "/dev/stderr" => return Ok(Sink::Err),
            "" => return Err(format!("can't create {path}: No such file or directory")),
            _ => {}
        }
        if let Some(k) = files.iter().position(|(p, _)| p == path) {
            return Ok(Sink::File(k));
        }
        host.write_file(path, "", append)?;
        files.push((path.to_string(), String::new()));
        Ok(Sink::File(files.len() - 1))
    }

    fn run_kind(
        &mut self,
        kind: &CommandKind,
        stdin: &mut Stdin,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> i32 {
        match kind {
            CommandKind::Simple { assigns, words } => {
                self.run_simple(assigns, words, stdin, host, io)
            }
            CommandKind::Group(l) => self.run_list(l, stdin, host, io),
            CommandKind::Subshell(l) => {
                if !self.enter(io) {
                    return 2;
                }
                let saved = self.env.clone();
                let saved_loop = self.loop_depth;
                self.loop_depth = 0;
                let mut st = self.run_list(l, stdin, host, io);
                if let Flow::Exit(c) = self.flow {
                    st = c;
                }
                if !self.stopped {
                    self.flow = Flow::Normal;
                }
                self.env = saved;
                self.loop_depth = saved_loop;
                self.depth -= 1;
                st
            }
            CommandKind::If {
                branches,
                otherwise,
            } => {
                for (cond, body) in branches {
                    self.cond_depth += 1;
                    let st = self.run_list(cond, stdin, host, io);
                    self.cond_depth -= 1;
                    if self.flow != Flow::Normal {
                        return st;
                    }
                    if st == 0 {
                        return self.run_list(body, stdin, host, io);
                    }
                }
                match otherwise {
                    Some(l) => self.run_list(l, stdin, host, io),
                    None => 0,
                }
            }
            CommandKind::Loop { until, cond, body } => {
                self.loop_depth += 1;
                let mut last = 0;
                loop {
                    self.cond_depth += 1;
                    let st = self.run_list(cond, stdin, host, io);
                    self.cond_depth -= 1;
                    if self.flow != Flow::Normal {
                        if self.loop_flow() {
                            continue;
                        }
                        break;
                    }
                    if (st == 0) == *until {
                        break;
                    }
                    last = self.run_list(body, stdin, host, io);
                    if self.flow != Flow::Normal && !self.loop_flow() {
                        break;
                    }
                    if !self.tick(host, io) {
                        break;
                    }
                }
                self.loop_depth -= 1;
                last
            }
            CommandKind::For { var, items, body } => {
                let values = match items {
                    Some(words) => match self.expand_words(words, host, io) {
                        Ok(v) => v,
                        Err(e) => {
                            io.err(&self.redirect_error(&e));
                            return 2;
                        }
                    },
                    None => self.env.positional.clone(),
                };
                self.loop_depth += 1;
                let mut last = 0;
                for v in values {
                    self.env.set(var, &v);
                    last = self.run_list(body, stdin, host, io);
                    if self.flow != Flow::Normal && !self.loop_flow() {
                        break;
                    }
                }
                self.loop_depth -= 1;
                last
            }
            CommandKind::Case { word, arms } => {
                let w = match self.expand_string(word, host, io) {
                    Ok(w) => w,
                    Err(e) => {
                        io.err(&self.redirect_error(&e));
                        return 2;
                    }
                };
                for (pats, body) in arms {
                    for p in pats {
                        let pat = match self.expand_pattern(p, host, io) {
                            Ok(p) => p,
                            Err(e) => {
                                io.err(&self.redirect_error(&e));
                                return 2;
                            }
                        };
                        if glob::matches(&pat, &w) {
                            return if body.is_empty() {
                                0
                            } else {
                                self.run_list(body, stdin, host, io)
                            };
                        }
                    }
                }
                0
            }
            CommandKind::FuncDef { name, body } => {
                self.env.functions.insert(name.clone(), body.clone());
                0
            }
        }
    }

    /// Handles break/continue at a loop boundary. Returns true when the loop should go on.
    fn loop_flow(&mut self) -> bool {
        match self.flow {
            Flow::Break(n) => {
                self.flow = if n > 1 {
                    Flow::Break(n - 1)
                } else {
                    Flow::Normal
                };
                false
            }
            Flow::Continue(n) => {
                if n > 1 {
                    self.flow = Flow::Continue(n - 1);
                    false
                } else {
                    self.flow = Flow::Normal;
                    true
                }
            }
            _ => false,
        }
    }

    /// Enters one level of run-time nesting; false (with a message) when too deep.
    pub(crate) fn enter(&mut self, io: &mut Io) -> bool {
        if self.depth >= MAX_DEPTH {
            io.err(&format!("{}: recursion too deep\n", self.name));
            return false;
        }
        self.depth += 1;
        true
    }

    /// Runs `$(src)` in a subshell and returns its output without trailing newlines.
    pub(crate) fn command_subst(&mut self, src: &str, host: &mut dyn Host, io: &mut Io) -> String {
        let list = match parse::parse(src) {
            Ok(l) => l,
            Err(e) => {
                io.err(&format!("{}: syntax error: {}\n", self.name, e.message()));
                self.last_subst = Some(2);
                return String::new();
            }
        };
        if !self.enter(io) {
            self.last_subst = Some(2);
            return String::new();
        }
        let saved = self.env.clone();
        let saved_loop = self.loop_depth;
        self.loop_depth = 0;
        let mut sub = Io::new();
        // It shares the command's standard input: what it reads is gone for the command.
        let mut input = self.subst_stdin.take().unwrap_or_default();
        // Its lines continue the enclosing command's (dash parses it in place).
        let saved_base = self.line_base;
        self.line_base = self.env.line.saturating_sub(1);
        let mut st = self.run_list(&list, &mut input, host, &mut sub);
        self.line_base = saved_base;
        self.subst_stdin = Some(input);
        if let Flow::Exit(c) = self.flow {
            st = c;
        }
        if !self.stopped {
            self.flow = Flow::Normal;
        }
        self.env = saved;
        self.loop_depth = saved_loop;
        self.depth -= 1;
        let mut out = String::new();
        for (stream, text) in sub.chunks {
            match stream {
                Stream::Stdout => out.push_str(&text),
                Stream::Stderr => io.err(&text),
            }
        }
        while out.ends_with('\n') {
            out.pop();
        }
        self.last_subst = Some(st);
        out
    }

    fn run_simple(
        &mut self,
        assigns: &[(String, String)],
        words: &[String],
        stdin: &mut Stdin,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> i32 {
        self.last_subst = None;
        let outer = self.subst_stdin.replace(std::mem::take(stdin));
        let expanded = self.expand_words(words, host, io).and_then(|fields| {
            let mut values = Vec::new();
            for (name, raw) in assigns {
                values.push((name.clone(), self.expand_string(raw, host, io)?));
            }
            Ok((fields, values))
        });
        if let Some(rest) = std::mem::replace(&mut self.subst_stdin, outer) {
            *stdin = rest;
        }
        let (fields, values) = match expanded {
            Ok(x) => x,
            Err(e) => {
                io.err(&self.redirect_error(&e));
                return 2;
            }
        };
        if self.options.xtrace {
            let mut parts: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
            parts.extend(fields.iter().cloned());
            io.err(&format!("+ {}\n", parts.join(" ")));
        }
        if fields.is_empty() {
            for (k, v) in &values {
                self.env.set(k, v);
            }
            return self.last_subst.unwrap_or(0);
        }
        self.dispatch(fields, values, stdin, host, io, false)
    }

    /// Runs a command by its expanded arguments: function, builtin, utility or host command.
    pub(crate) fn dispatch(
        &mut self,
        args: Vec<String>,
        assigns: Vec<(String, String)>,
        stdin: &mut Stdin,
        host: &mut dyn Host,
        io: &mut Io,
        skip_functions: bool,
    ) -> i32 {
        let Some(name) = args.first().cloned() else {
            return 0;
        };
        if !skip_functions {
            if let Some(body) = self.env.functions.get(&name).cloned() {
                return self.with_assigns(&assigns, |sh| {
                    sh.call_function(&body, &args, stdin, host, io)
                });
            }
        }
        if SHELL_BUILTINS.contains(&name.as_str()) {
            return self.with_assigns(&assigns, |sh| sh.builtin(&args, stdin, host, io));
        }
        if !host.has_command(&name) {
            let base = name.rsplit('/').next().unwrap_or(&name).to_string();
            if crate::utils::UTILITIES.contains(&base.as_str()) {
                return self.with_assigns(&assigns, |sh| sh.utility(&base, &args, stdin, host, io));
            }
        }
        if assigns.is_empty() {
            let rest = stdin.rest().to_string();
            host.exec(&self.env, &args, &rest, io)
        } else {
            let mut env = self.env.clone();
            for (k, v) in &assigns {
                env.set_exported(k, v);
            }
            let rest = stdin.rest().to_string();
            host.exec(&env, &args, &rest, io)
        }
    }

    fn with_assigns(
        &mut self,
        assigns: &[(String, String)],
        f: impl FnOnce(&mut Shell) -> i32,
    ) -> i32 {
        if assigns.is_empty() {
            return f(self);
        }
        let saved: Vec<(String, Option<Var>)> = assigns
            .iter()
            .map(|(k, _)| (k.clone(), self.env.vars.get(k).cloned()))
            .collect();
        for (k, v) in assigns {
            self.env.set(k, v);
        }
        let st = f(self);
        for (k, old) in saved {
            match old {
                Some(v) => {
                    self.env.vars.insert(k, v);
                }
                None => {
                    self.env.vars.remove(&k);
                }
            }
        }
        st
    }

    fn call_function(
        &mut self,
        body: &Command,
        args: &[String],
        stdin: &mut Stdin,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> i32 {
        if !self.enter(io) {
            return 2;
        }
        let saved = std::mem::replace(
            &mut self.env.positional,
            args.get(1..).unwrap_or(&[]).to_vec(),
        );
        let saved_loop = self.loop_depth;
        self.loop_depth = 0;
        let st = self.run_command(body, stdin, host, io);
        if self.flow == Flow::Return {
            self.flow = Flow::Normal;
        }
        self.loop_depth = saved_loop;
        self.env.positional = saved;
        self.depth -= 1;
        st
    }

    /// Builtins that the host can never replace.
    fn builtin(
        &mut self,
        args: &[String],
        stdin: &mut Stdin,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> i32 {
        let name = args.first().map(String::as_str).unwrap_or("");
        let rest = args.get(1..).unwrap_or(&[]);
        match name {
            ":" | "true" | "hash" | "trap" | "wait" | "umask" | "alias" | "unalias" => 0,
            "false" => 1,
            "echo" => crate::utils::echo(rest, io),
            "printf" => crate::utils::printf(rest, io),
            "test" => crate::utils::test_cmd("test", rest, host, io),
            "[" => {
                if rest.last().map(String::as_str) != Some("]") {
                    io.err("[: missing ]\n");
                    return 2;
                }
                crate::utils::test_cmd("[", &rest[..rest.len() - 1], host, io)
            }
            "pwd" => {
                io.out(&format!("{}\n", self.env.cwd));
                0
            }
            "cd" => self.cd(rest, host, io),
            "export" | "readonly" | "local" => self.export(name, rest, io),
            "unset" => {
                let funcs = rest.first().map(String::as_str) == Some("-f");
                for a in rest.iter().filter(|a| !a.starts_with('-')) {
                    if funcs {
                        self.env.functions.remove(a);
                    } else {
                        self.env.unset(a);
                        if !rest.iter().any(|a| a == "-v") {
                            self.env.functions.remove(a);
                        }
                    }
                }
                0
            }
            "set" => self.set(rest, io),
            "shift" => {
                let n = match rest.first() {
                    None => 1,
                    Some(a) => match a.parse::<usize>() {
                        Ok(n) => n,
                        Err(_) => {
                            io.err(&format!("{}: shift: Illegal number: {a}\n", self.name));
                            return 2;
                        }
                    },
                };
                if n > self.env.positional.len() {
                    io.err(&format!("{}: shift: can't shift that many\n", self.name));
                    return 2;
                }
                self.env.positional.drain(..n);
                0
            }
            "exit" => {
                let code = match rest.first() {
                    None => self.env.last_status,
                    Some(a) => match a.parse::<i64>() {
                        Ok(n) => (n & 0xff) as i32,
                        Err(_) => {
                            io.err(&format!("{}: exit: Illegal number: {a}\n", self.name));
                            2
                        }
                    },
                };
                self.flow = Flow::Exit(code);
                code
            }
            "return" => {
                let code = rest
                    .first()
                    .and_then(|a| a.parse::<i64>().ok())
                    .map(|n| (n & 0xff) as i32)
                    .unwrap_or(self.env.last_status);
                self.flow = Flow::Return;
                code
            }
            "break" | "continue" => {
                let n = rest
                    .first()
                    .and_then(|a| a.parse::<u32>().ok())
                    .unwrap_or(1)
                    .max(1)
                    .min(self.loop_depth);
                if n == 0 {
                    return 0;
                }
                self.flow = if name == "break" {
                    Flow::Break(n)
                } else {
                    Flow::Continue(n)
                };
                0
            }
            "eval" => {
                let src = rest.join(" ");
                let list = match parse::parse(&src) {
                    Ok(l) => l,
                    Err(e) => {
                        io.err(&format!("{}: syntax error: {}\n", self.name, e.message()));
                        return 2;
                    }
                };
                if !self.enter(io) {
                    return 2;
                }
                let st = self.run_list(&list, stdin, host, io);
                self.depth -= 1;
                st
            }
            "." | "source" => {
                let Some(path) = rest.first() else {
                    io.err(&format!("{}: .: filename argument required\n", self.name));
                    return 2;
                };
                let src = match host.read_file(path) {
                    Ok(s) => s,
                    Err(_) => {
                        io.err(&format!("{}: .: can't open '{path}'\n", self.name));
                        return 2;
                    }
                };
                let list = match parse::parse(&src) {
                    Ok(l) => l,
                    Err(e) => {
                        io.err(&format!("{}: syntax error: {}\n", self.name, e.message()));
                        return 2;
                    }
                };
                if !self.enter(io) {
                    return 2;
                }
                let st = self.run_list(&list, stdin, host, io);
                if self.flow == Flow::Return {
                    self.flow = Flow::Normal;
                }
                self.depth -= 1;
                st
            }
            "read" => self.read(rest, stdin, io),
            "readarray" | "mapfile" => self.readarray(rest, stdin, io),
            "exec" => {
                if rest.is_empty() {
                    return 0;
                }
                let st = self.dispatch(rest.to_vec(), Vec::new(), stdin, host, io, true);
                self.flow = Flow::Exit(st);
                st
            }
            "command" => {
                let mut i = 0;
                let mut mode = None;
                while let Some(a) = rest.get(i) {
                    match a.as_str() {
                        "-v" | "-V" => mode = Some(a.clone()),
                        "-p" => {}
                        "--" => {
                            i += 1;
                            break;
                        }
                        _ => break,
                    }
                    i += 1;
                }
                let names = rest.get(i..).unwrap_or(&[]);
                match mode.as_deref() {
                    Some(m) => {
                        let mut st = 0;
                        for n in names {
                            if !self.describe(n, m == "-V", host, io) {
                                st = 1;
                            }
                        }
                        st
                    }
                    None if names.is_empty() => 0,
                    None => self.dispatch(names.to_vec(), Vec::new(), stdin, host, io, true),
                }
            }
            "type" => {
                let mut st = 0;
                for n in rest {
                    if !self.describe(n, true, host, io) {
                        st = 1;
                    }
                }
                st
            }
            _ => 127,
        }
    }

    /// `command -v` (short) / `type` (verbose). Returns whether the name was found.
    pub(crate) fn describe(
        &mut self,
        n: &str,
        verbose: bool,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> bool {
        let what = if parse::is_name(n) && self.env.functions.contains_key(n) {
            Some((n.to_string(), format!("{n} is a function")))
        } else if SHELL_BUILTINS.contains(&n) {
            Some((n.to_string(), format!("{n} is a shell builtin")))
        } else if host.has_command(n) {
            let p = host.command_path(n);
            Some((p.clone(), format!("{n} is {p}")))
        } else if crate::utils::UTILITIES.contains(&n) {
            let p = format!("/usr/bin/{n}");
            Some((p.clone(), format!("{n} is {p}")))
        } else {
            None
        };
        match what {
            Some((short, long)) => {
                io.out(&format!("{}\n", if verbose { long } else { short }));
                true
            }
            None => {
                if verbose {
                    io.err(&format!("{}: type: {n}: not found\n", self.name));
                }
                false
            }
        }
    }

    fn cd(&mut self, rest: &[String], host: &mut dyn Host, io: &mut Io) -> i32 {
        let args: Vec<&String> = rest.iter().filter(|a| *a != "-L" && *a != "-P").collect();
        let target = match args.first().map(|s| s.as_str()) {
            None => self.env.get("HOME").unwrap_or("/").to_string(),
            Some("-") => {
                let old = self.env.get("OLDPWD").unwrap_or(&self.env.cwd).to_string();
                io.out(&format!("{old}\n"));
                old
            }
            Some(t) => t.to_string(),
        };
        let path = normalize(&self.env.cwd, &target);
        if host.read_file(&path).is_ok() {
            io.err(&format!(
                "{}: cd: can't cd to {target}: Not a directory\n",
                self.name
            ));
            return 1;
        }
        let old = std::mem::replace(&mut self.env.cwd, path.clone());
        self.env.set("OLDPWD", &old);
        if self.env.is_set("PWD") {
            self.env.set("PWD", &path);
        }
        0
    }

    fn export(&mut self, name: &str, rest: &[String], io: &mut Io) -> i32 {
        let names: Vec<&String> = rest.iter().filter(|a| !a.starts_with('-')).collect();
        if names.is_empty() {
            if name == "local" {
                return 0;
            }
            for (k, v) in self.env.exported() {
                io.out(&format!("export {k}={}\n", quote(&v)));
            }
            return 0;
        }
        let mut st = 0;
        for a in names {
            let (k, v) = match a.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (a.as_str(), None),
            };
            if !parse::is_name(k) {
                io.err(&format!("{}: {name}: {k}: bad variable name\n", self.name));
                st = 1;
                continue;
            }
            if let Some(v) = v {
                self.env.set(k, v);
            } else if name == "local" && !self.env.is_set(k) {
                self.env.set(k, "");
            }
            if name == "export" {
                self.env.export(k);
            }
        }
        st
    }

    fn set(&mut self, rest: &[String], io: &mut Io) -> i32 {
        if rest.is_empty() {
            for (k, v) in self.env.vars() {
                io.out(&format!("{k}={}\n", quote(&v)));
            }
            return 0;
        }
        let mut i = 0;
        while let Some(a) = rest.get(i) {
            if a == "--" {
                i += 1;
                self.env.positional = rest.get(i..).unwrap_or(&[]).to_vec();
                return 0;
            }
            let (on, flags) = if let Some(f) = a.strip_prefix('-') {
                (true, f)
            } else if let Some(f) = a.strip_prefix('+') {
                (false, f)
            } else {
                self.env.positional = rest.get(i..).unwrap_or(&[]).to_vec();
                return 0;
            };
            if flags == "o" {
                if let Some(o) = rest.get(i + 1) {
                    match o.as_str() {
                        "errexit" => self.options.errexit = on,
                        "xtrace" => self.options.xtrace = on,
                        "nounset" => self.options.nounset = on,
                        _ => {}
                    }
                    i += 1;
                }
            }
            for c in flags.chars() {
                match c {
                    'e' => self.options.errexit = on,
                    'x' => self.options.xtrace = on,
                    'u' => self.options.nounset = on,
                    _ => {}
                }
            }
            i += 1;
        }
        0
    }

    /// bash's `readarray [-t] NAME` (`mapfile`): one element per input line, each keeping its
    /// newline unless `-t`. Elements are stored as the variables `NAME[0]`, `NAME[1]`, ...;
    /// `$NAME` is element 0, as in bash.
    fn readarray(&mut self, rest: &[String], stdin: &mut Stdin, io: &mut Io) -> i32 {
        let mut trim = false;
        let mut name = "MAPFILE".to_string();
        for a in rest {
            match a.as_str() {
                "-t" => trim = true,
                s if s.starts_with('-') => {
                    io.err(&format!("{}: {s}: invalid option\n", self.name));
                    return 2;
                }
                s => name = s.to_string(),
            }
        }
        self.env.clear_array(&name);
        let mut i = 0usize;
        while let Some((line, nl)) = stdin.read_line() {
            let v = if nl && !trim {
                format!("{line}\n")
            } else {
                line
            };
            self.env.set(&format!("{name}[{i}]"), &v);
            if i == 0 {
                self.env.set(&name, &v);
            }
            i += 1;
        }
        0
    }

    fn read(&mut self, rest: &[String], stdin: &mut Stdin, io: &mut Io) -> i32 {
        let mut raw = false;
        let mut names = Vec::new();
        let mut i = 0;
        while let Some(a) = rest.get(i) {
            match a.as_str() {
                "-r" => raw = true,
                "-p" => {
                    if let Some(p) = rest.get(i + 1) {
                        io.err(p);
                    }
                    i += 1;
                }
                "-s" => {}
                _ => names.push(a.clone()),
            }
            i += 1;
        }
        if names.is_empty() {
            names.push("REPLY".to_string());
        }
        let mut line = String::new();
        let mut got = false;
        let mut complete = false;
        while let Some((l, nl)) = stdin.read_line() {
            got = true;
            complete = nl;
            if !raw && l.ends_with('\\') && nl {
                line.push_str(&l[..l.len() - 1]);
                continue;
            }
            line.push_str(&l);
            break;
        }
        if !raw {
            let mut o = String::new();
            let mut it = line.chars();
            while let Some(c) = it.next() {
                if c == '\\' {
                    if let Some(n) = it.next() {
                        o.push(n);
                    }
                } else {
                    o.push(c);
                }
            }
            line = o;
        }
        let ifs = self.env.get("IFS").unwrap_or(" \t\n").to_string();
        let is_ifs = |c: char| ifs.contains(c);
        let mut rest_text = line.trim_start_matches(is_ifs).to_string();
        for (k, n) in names.iter().enumerate() {
            if k + 1 == names.len() {
                let v = rest_text.trim_end_matches(|c: char| is_ifs(c) && c.is_whitespace());
                self.env.set(n, v);
            } else {
                let end = rest_text.find(is_ifs).unwrap_or(rest_text.len());
                let v = rest_text[..end].to_string();
                let after = &rest_text[end..];
                let mut after = after.strip_prefix(is_ifs).unwrap_or(after);
                after = after.trim_start_matches(|c: char| is_ifs(c) && c.is_whitespace());
                rest_text = after.to_string();
                self.env.set(n, &v);
            }
        }
        if got && complete {
            0
        } else {
            1
        }
    }

    /// Runs `sh -c SCRIPT [ARG0 ARGS...]` or `sh` reading a script from stdin, in a child shell
    /// that sees only exported variables.
    pub(crate) fn child_shell(
        &mut self,
        args: &[String],
        stdin: &mut Stdin,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> i32 {
        let name = args.first().cloned().unwrap_or_else(|| "sh".to_string());
        let mut child = Shell::new();
        child.name = name.rsplit('/').next().unwrap_or("sh").to_string();
        child.depth = self.depth + 1;
        child.max_commands = self.max_commands.saturating_sub(self.commands_run);
        if child.depth >= MAX_DEPTH {
            io.err(&format!("{}: recursion too deep\n", self.name));
            return 2;
        }
        let mut env = Env::new();
        for (k, v) in self.env.exported() {
            env.set_exported(&k, &v);
        }
        env.cwd = self.env.cwd.clone();
        child.env = env;
        let mut i = 1;
        let mut script = None;
        while let Some(a) = args.get(i) {
            match a.as_str() {
                "-c" => {
                    i += 1;
                    match args.get(i) {
                        Some(s) => script = Some(s.clone()),
                        None => {
                            io.err(&format!("{}: -c requires an argument\n", child.name));
                            return 2;
                        }
                    }
                }
                "-e" => child.options.errexit = true,
                "-x" => child.options.xtrace = true,
                "-u" => child.options.nounset = true,
                "-i" | "-s" | "-l" | "--login" | "-" => {}
                _ => break,
            }
            i += 1;
        }
        let extra = args.get(i..).unwrap_or(&[]);
        let st = match script {
            Some(src) => {
                if let Some(a0) = extra.first() {
                    child.env.arg0 = a0.clone();
                    child.env.positional = extra.get(1..).unwrap_or(&[]).to_vec();
                }
                let r = child.run_with_stdin(&src, stdin.rest(), host, io);
                stdin.take_all();
                r
            }
            None => {
                if let Some(file) = extra.first() {
                    match host.read_file(file) {
                        Ok(src) => {
                            child.env.arg0 = file.clone();
                            child.env.positional = extra.get(1..).unwrap_or(&[]).to_vec();
                            child.run_with_stdin(&src, "", host, io)
                        }
                        Err(_) => {
                            io.err(&format!(
                                "{}: can't open '{file}': No such file or directory\n",
                                child.name
                            ));
                            127
                        }
                    }
                } else {
                    let src = stdin.take_all();
                    child.run_with_stdin(&src, "", host, io)
                }
            }
        };
        self.commands_run += child.commands_run;
        child.exited.unwrap_or(st)
    }
}

/// Quotes a value the way `export -p`/`set` print it (single quotes when needed).
pub(crate) fn quote(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+,=".contains(c))
    {
        return format!("'{v}'");
    }
    format!("'{}'", v.replace('\'', "'\\''"))
}

/// Joins a possibly relative path onto `cwd`, resolving `.` and `..`.
pub(crate) fn normalize(cwd: &str, path: &str) -> String {
    let full = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in full.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}
