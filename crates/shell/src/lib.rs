//! A tiny POSIX-sh-like interpreter, so tutorial command lines run verbatim.
//!
//! It serves two places: the user's terminal (where `kubectl`, `sim` and friends are external
//! commands provided by a [`Host`]) and the inside of simulated containers (`kubectl exec web-0 --
//! sh -c 'echo $(hostname) > /usr/share/nginx/html/index.html'`, where `hostname`, `curl` and the
//! files are provided by a container host).
//!
//! What it must never do: panic on any input (the web page dies with it), touch a real file system,
//! process, clock or network. Everything outside the language and the pure text utilities goes
//! through [`Host`]. Nesting (parser, command substitution, functions) is bounded so hostile input
//! ends in an error message rather than a stack overflow, and a command budget stops runaway loops.
//!
//! Error wording: the shell's own messages follow busybox `ash` (`sh: syntax error: unexpected
//! "done"`, `sh: syntax error: unexpected end of file (expecting "done")`, `sh: syntax error:
//! unterminated quoted string`), since tutorial containers are busybox/Debian images. The text
//! utilities (sort, seq, grep, ...) use GNU coreutils wording (`sort: invalid option -- 'z'` followed
//! by `Try 'sort --help' for more information.`).
//!
//! Language: see [`Shell::run`]. Module map: `parse` (lexer, heredocs, AST), `expand` (quotes,
//! parameters, `$(...)`, arithmetic, field splitting), `exec` (pipelines, redirections, compound
//! commands, special builtins), `utils` (echo, printf, seq, sort, grep, sed, ...), `regex` (a small
//! backtracking BRE/ERE engine for grep and sed), `glob` (patterns for `case` and `${v#pat}`).

mod arith;
mod awk;
mod exec;
mod expand;
mod glob;
mod parse;
mod regex;
pub mod sorting;
mod utils;

pub use utils::base64_encode;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

/// Which output stream a chunk of text was written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Ordered output of a command: the terminal renders chunks in order, stderr possibly in red.
#[derive(Default, Debug, Clone)]
pub struct Io {
    pub chunks: Vec<(Stream, String)>,
}

impl Io {
    pub fn new() -> Io {
        Io::default()
    }
    /// Appends text to stdout (merging with a preceding stdout chunk).
    pub fn out(&mut self, s: &str) {
        self.push(Stream::Stdout, s);
    }
    /// Appends text to stderr (merging with a preceding stderr chunk).
    pub fn err(&mut self, s: &str) {
        self.push(Stream::Stderr, s);
    }
    pub fn push(&mut self, stream: Stream, s: &str) {
        if s.is_empty() {
            return;
        }
        if let Some((last, text)) = self.chunks.last_mut() {
            if *last == stream {
                text.push_str(s);
                return;
            }
        }
        self.chunks.push((stream, s.to_string()));
    }
    /// All stdout text, concatenated.
    pub fn stdout(&self) -> String {
        self.collect(Stream::Stdout)
    }
    /// All stderr text, concatenated.
    pub fn stderr(&self) -> String {
        self.collect(Stream::Stderr)
    }
    /// Both streams interleaved as a terminal shows them.
    pub fn text(&self) -> String {
        self.chunks.iter().map(|(_, s)| s.as_str()).collect()
    }
    fn collect(&self, which: Stream) -> String {
        self.chunks
            .iter()
            .filter(|(s, _)| *s == which)
            .map(|(_, t)| t.as_str())
            .collect()
    }
    /// Moves all chunks of `other` to the end of `self`.
    pub fn append(&mut self, other: Io) {
        for (s, t) in other.chunks {
            self.push(s, &t);
        }
    }
}

/// What the shell cannot do by itself: external commands, time, and files.
pub trait Host {
    /// Runs a non-builtin command (args[0] is the name). `stdin` is the whole input. Writes to io.
    /// Returns the exit status. An unknown command should print `sh: X: not found` (127) — the host decides.
    fn exec(&mut self, env: &Env, args: &[String], stdin: &str, io: &mut Io) -> i32;
    /// `sleep N` (seconds, fractional allowed): advance virtual time.
    fn sleep(&mut self, seconds: f64);
    /// Redirection targets and `cat FILE` etc. go through these. Errors are the message after `sh: `
    /// e.g. `can't create /x/y: nonexistent directory` or `can't open 'f': No such file or directory`.
    fn read_file(&mut self, path: &str) -> Result<String, String>;
    fn write_file(&mut self, path: &str, data: &str, append: bool) -> Result<(), String>;
    /// Whether a command name is provided by the host (used by `command -v`/`which`/`type`).
    /// A host that claims the name of a text utility (`cat`, `sh`, ...) overrides the builtin one;
    /// shell builtins (`cd`, `export`, `echo`, `test`, ...) are never overridden.
    fn has_command(&self, name: &str) -> bool;
    /// Whether `path` is a directory (`test -d`, `cd`). The default asks `read_file` and looks for
    /// an `Is a directory` error.
    fn is_dir(&mut self, path: &str) -> bool {
        matches!(self.read_file(path), Err(e) if e.contains("Is a directory"))
    }
    /// The path `command -v`/`which`/`type` print for a host command.
    fn command_path(&self, name: &str) -> String {
        format!("/usr/bin/{name}")
    }
    /// Polled between commands: return true to interrupt a running script (Ctrl-C on a
    /// `while true; do ...; sleep 1; done` loop). The shell then stops with status 130.
    fn interrupted(&mut self) -> bool {
        false
    }
}

#[derive(Clone, Debug, Default)]
struct Var {
    value: String,
    exported: bool,
}

/// Shell state that a subshell copies: variables, exported flags, positional parameters, `$?`,
/// the working directory and functions.
#[derive(Clone, Debug)]
pub struct Env {
    vars: BTreeMap<String, Var>,
    /// `$1`, `$2`, ...
    pub positional: Vec<String>,
    /// `$0`.
    pub arg0: String,
    /// `$?`.
    pub last_status: i32,
    /// The working directory (`cd`/`pwd`, `$PWD`). No file system check is made.
    pub cwd: String,
    /// The line of the script (counting every line an interactive shell has read) the
    /// running command is on: dash names it in its errors (`sh: 3: foo: not found`).
    pub line: u32,
    /// The shell plays dash (Debian's and Ubuntu's `sh`), whose errors name `$0` and the
    /// line (`sh: 1: foo: not found`), rather than busybox ash (`sh: foo: not found`).
    pub dash: bool,
    functions: BTreeMap<String, std::rc::Rc<parse::Command>>,
}

impl Default for Env {
    fn default() -> Self {
        Env::new()
    }
}

impl Env {
    pub fn new() -> Env {
        let mut env = Env {
            vars: BTreeMap::new(),
            positional: Vec::new(),
            arg0: "sh".to_string(),
            last_status: 0,
            cwd: "/".to_string(),
            line: 1,
            dash: false,
            functions: BTreeMap::new(),
        };
        env.set("IFS", " \t\n");
        env
    }
    /// A variable's value (special parameters like `?` are not included; see [`Env::param`]).
    pub fn get(&self, name: &str) -> Option<&str> {
        if name == "PWD" && !self.vars.contains_key("PWD") {
            return Some(&self.cwd);
        }
        self.vars.get(name).map(|v| v.value.as_str())
    }
    /// Sets a variable, keeping its exported flag.
    pub fn set(&mut self, name: &str, value: &str) {
        self.vars.entry(name.to_string()).or_default().value = value.to_string();
    }
    /// Sets and exports a variable (`export NAME=value`).
    pub fn set_exported(&mut self, name: &str, value: &str) {
        let v = self.vars.entry(name.to_string()).or_default();
        v.value = value.to_string();
        v.exported = true;
    }
    /// Marks a variable exported; an unset variable becomes exported once it is set.
    pub fn export(&mut self, name: &str) {
        self.vars.entry(name.to_string()).or_default().exported = true;
    }
    pub fn unset(&mut self, name: &str) {
        self.vars.remove(name);
    }
    pub fn is_set(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }
    pub fn is_exported(&self, name: &str) -> bool {
        self.vars.get(name).is_some_and(|v| v.exported)
    }
    /// Exported variables, sorted by name: what a child process (host command) sees.
    pub fn exported(&self) -> Vec<(String, String)> {
        self.vars
            .iter()
            .filter(|(_, v)| v.exported)
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect()
    }
    /// All variables, sorted by name.
    pub fn vars(&self) -> Vec<(String, String)> {
        self.vars
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect()
    }
    /// Removes every element of the array `name` (`name[0]`, `name[1]`, ...) and `name`.
    pub fn clear_array(&mut self, name: &str) {
        let prefix = format!("{name}[");
        let keys: Vec<String> = self
            .vars
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect();
        for k in keys {
            self.vars.remove(&k);
        }
        self.vars.remove(name);
    }

    /// The elements of the array `name` in index order (a plain variable is a one-element
    /// array, as in bash).
    pub fn array(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(v) = self.get(&format!("{name}[{}]", out.len())) {
            out.push(v.to_string());
        }
        if out.is_empty() {
            if let Some(v) = self.get(name) {
                out.push(v.to_string());
            }
        }
        out
    }

    /// A parameter by its name as written after `$`: variables, `?`, `#`, `0`..`9`, `$`, `!`, `-`,
    /// `@`/`*` (joined with spaces).
    pub fn param(&self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.last_status.to_string()),
            "#" => Some(self.positional.len().to_string()),
            "$" => Some("1".to_string()),
            "!" => Some(String::new()),
            "-" => Some(String::new()),
            "0" => Some(self.arg0.clone()),
            "@" | "*" => Some(self.positional.join(" ")),
            _ => {
                if let Ok(n) = name.parse::<usize>() {
                    if n == 0 {
                        return Some(self.arg0.clone());
                    }
                    return self.positional.get(n - 1).cloned();
                }
                self.get(name).map(str::to_string)
            }
        }
    }
}

/// Why a script stopped early, threaded through the interpreter while unwinding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Normal,
    Break(u32),
    Continue(u32),
    Return,
    Exit(i32),
}

/// The interpreter: an [`Env`] plus control-flow state.
pub struct Shell {
    pub env: Env,
    /// The name used in the shell's own error messages (`sh: ...`).
    pub name: String,
    /// How many simple commands one [`Shell::run`] may execute before it stops with
    /// `sh: command limit exceeded` (a guard against loops that never end).
    pub max_commands: u64,
    flow: Flow,
    exited: Option<i32>,
    depth: u32,
    loop_depth: u32,
    commands_run: u64,
    /// Nonzero while evaluating a condition (`if`, `while`, `!`, left of `&&`/`||`): `set -e`
    /// does not apply there.
    cond_depth: u32,
    /// Set when the command budget ran out or the host interrupted: everything unwinds.
    stopped: bool,
    /// Status of the last command substitution in the current simple command.
    last_subst: Option<i32>,
    /// The standard input of the simple command whose words are being expanded: a command
    /// substitution inherits it (``echo `readarray P` `` reads the pipe feeding the command).
    subst_stdin: Option<exec::Stdin>,
    options: Options,
    /// Lines earlier [`Shell::run`] calls read (an interactive shell's earlier input).
    pub(crate) line_base: u32,
}

#[derive(Clone, Copy, Debug, Default)]
struct Options {
    errexit: bool,
    xtrace: bool,
    nounset: bool,
}

impl Default for Shell {
    fn default() -> Self {
        Shell::new()
    }
}

/// Deepest nesting of command substitution / functions / eval / subshells at run time.
const MAX_DEPTH: u32 = 40;

impl Shell {
    pub fn new() -> Shell {
        Shell {
            env: Env::new(),
            name: "sh".to_string(),
            max_commands: 200_000,
            flow: Flow::Normal,
            exited: None,
            depth: 0,
            loop_depth: 0,
            commands_run: 0,
            cond_depth: 0,
            stopped: false,
            last_subst: None,
            subst_stdin: None,
            options: Options::default(),
            line_base: 0,
        }
    }

    /// Parses and runs one complete input (may span lines: heredocs, for/while/if blocks, quotes).
    ///
    /// Supported: words with single/double quotes and backslashes; `$VAR`, `${VAR}`,
    /// `${VAR:-w}`/`-`/`:=`/`:+`/`:?`, `${#VAR}`, `${VAR#p}`/`##`/`%`/`%%`, `$?`, `$#`, `$@`,
    /// `$*`, `$1`..; `$(...)` and backticks (nested); `$((...))`; comments; `;`, newlines, `&&`,
    /// `||`, `!`, `|`, `&` (runs in the foreground); redirections `>`, `>>`, `<`, `n>&m`, `&>`,
    /// `/dev/null`, heredocs (`<<EOF`, `<<'EOF'`, `<<-EOF`) and here-strings (`<<<`);
    /// `for`/`while`/`until`/`if`/`case`, `{ ...; }`, `( ... )`, functions, assignments and
    /// prefix assignments (`A=b cmd`). Globs stay literal.
    pub fn run(&mut self, src: &str, host: &mut dyn Host, io: &mut Io) -> i32 {
        if self.exited.is_some() {
            return self.exited.unwrap_or(0);
        }
        self.commands_run = 0;
        self.stopped = false;
        let status = self.run_source(src, host, io);
        let lines = src.matches('\n').count() + usize::from(!src.ends_with('\n'));
        self.line_base = self
            .line_base
            .saturating_add(u32::try_from(lines).unwrap_or(u32::MAX));
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

    /// Whether `src` is complete (false when a quote, heredoc, `do`..`done`, `if`..`fi`, `$(`,
    /// trailing `\`/`|`/`&&` is open) — the terminal uses this to ask for continuation lines.
    /// Input with a syntax error that more lines cannot fix counts as complete, so that running it
    /// shows the error.
    pub fn is_complete(src: &str) -> bool {
        // A line ending in an unescaped backslash continues on the next one (the parser
        // already joins such lines; at the end of the input it just has nothing to join).
        let body = src.strip_suffix('\n').unwrap_or(src);
        let backslashes = body.len() - body.trim_end_matches('\\').len();
        let in_comment = body
            .rsplit('\n')
            .next()
            .is_some_and(|l| l.trim_start().starts_with('#'));
        if backslashes % 2 == 1 && !in_comment {
            return false;
        }
        !matches!(parse::parse(src), Err(parse::ParseError::Incomplete(_)))
    }

    /// Split a script into top-level commands (complete units) with their source text, for `--echo`
    /// transcripts: each unit is what a user types at one prompt (a heredoc or a multi-line for loop
    /// is one unit). Blank lines between units are dropped; comment lines are units of their own.
    /// Fails when the script ends inside an open construct.
    pub fn split_commands(src: &str) -> Result<Vec<String>, String> {
        let mut units = Vec::new();
        let mut acc = String::new();
        for line in src.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if acc.is_empty() && line.trim().is_empty() {
                continue;
            }
            if !acc.is_empty() {
                acc.push('\n');
            }
            acc.push_str(line);
            if Shell::is_complete(&acc) {
                units.push(std::mem::take(&mut acc));
            }
        }
        if acc.is_empty() {
            Ok(units)
        } else {
            match parse::parse(&acc) {
                Err(e) => Err(format!("syntax error: {}", e.message())),
                Ok(_) => Ok(units),
            }
        }
    }

    /// Whether `exit` was run (its status).
    pub fn exited(&self) -> Option<i32> {
        self.exited
    }
}
