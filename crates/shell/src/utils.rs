//! The text utilities tutorials pipe through: echo, printf, test, seq, sort, uniq, grep, head,
//! tail, wc, cut, tr, sed, awk (a small subset), cat, tee, sleep, basename, dirname, xargs, env,
//! printenv, which, sh, rev, tac, expr.
//!
//! They are pure functions of their arguments, stdin and the host's files. Messages use GNU
//! coreutils wording (`sort: invalid option -- 'z'` + `Try 'sort --help' for more information.`).
//! Output sizes are bounded (seq, yes-like loops) so a typo cannot exhaust memory.

use crate::exec::Stdin;
use crate::regex::Regex;
use crate::{Host, Io, Shell};

/// Utilities implemented here; a host that has a command of the same name takes precedence.
pub(crate) const UTILITIES: &[&str] = &[
    "awk", "base64", "basename", "cat", "cut", "dirname", "egrep", "env", "expr", "fgrep", "grep",
    "head", "printenv", "rev", "sed", "seq", "sh", "sleep", "sort", "tac", "tail", "tee", "tr",
    "uniq", "wc", "which", "xargs",
];

/// Most lines a generator (seq) prints.
const MAX_LINES: usize = 1_000_000;

fn try_help(cmd: &str) -> String {
    format!("Try '{cmd} --help' for more information.\n")
}

fn invalid_option(cmd: &str, c: char, io: &mut Io) {
    io.err(&format!(
        "{cmd}: invalid option -- '{c}'\n{}",
        try_help(cmd)
    ));
}

fn missing_arg(cmd: &str, c: char, io: &mut Io) {
    io.err(&format!(
        "{cmd}: option requires an argument -- '{c}'\n{}",
        try_help(cmd)
    ));
}

/// Parsed short options: flags in order (with values for options that take one) and operands.
struct Opts {
    flags: Vec<(char, String)>,
    operands: Vec<String>,
}

impl Opts {
    fn has(&self, c: char) -> bool {
        self.flags.iter().any(|(f, _)| *f == c)
    }
    fn last(&self, c: char) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(f, _)| *f == c)
            .map(|(_, v)| v.as_str())
    }
    fn all(&self, c: char) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|(f, _)| *f == c)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// getopt-style parsing: `valid` lists flag letters, `with_value` those taking an argument.
/// `long` maps long options to short letters. Errors are printed; None means "exit 1/2".
fn getopt(
    cmd: &str,
    args: &[String],
    valid: &str,
    with_value: &str,
    long: &[(&str, char)],
    numbers_are_operands: bool,
    io: &mut Io,
) -> Option<Opts> {
    let mut o = Opts {
        flags: Vec::new(),
        operands: Vec::new(),
    };
    let mut i = 0;
    while let Some(a) = args.get(i) {
        i += 1;
        if a == "--" {
            o.operands
                .extend(args.get(i..).unwrap_or(&[]).iter().cloned());
            break;
        }
        if let Some(l) = a.strip_prefix("--") {
            let (name, val) = match l.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (l, None),
            };
            match long.iter().find(|(n, _)| *n == name) {
                Some((_, c)) => {
                    let v = if with_value.contains(*c) {
                        match val {
                            Some(v) => v,
                            None => match args.get(i) {
                                Some(v) => {
                                    i += 1;
                                    v.clone()
                                }
                                None => {
                                    io.err(&format!(
                                        "{cmd}: option '--{name}' requires an argument\n{}",
                                        try_help(cmd)
                                    ));
                                    return None;
                                }
                            },
                        }
                    } else {
                        String::new()
                    };
                    o.flags.push((*c, v));
                }
                None => {
                    io.err(&format!(
                        "{cmd}: unrecognized option '{a}'\n{}",
                        try_help(cmd)
                    ));
                    return None;
                }
            }
            continue;
        }
        let is_num = a.len() > 1
            && a.starts_with('-')
            && a[1..].chars().all(|c| c.is_ascii_digit() || c == '.');
        if !a.starts_with('-') || a == "-" || (numbers_are_operands && is_num) {
            o.operands.push(a.clone());
            continue;
        }
        let chars: Vec<char> = a.chars().skip(1).collect();
        let mut k = 0;
        while let Some(&c) = chars.get(k) {
            k += 1;
            if with_value.contains(c) {
                let v: String = chars[k..].iter().collect();
                let v = if v.is_empty() {
                    match args.get(i) {
                        Some(v) => {
                            i += 1;
                            v.clone()
                        }
                        None => {
                            missing_arg(cmd, c, io);
                            return None;
                        }
                    }
                } else {
                    v
                };
                o.flags.push((c, v));
                break;
            }
            if !valid.contains(c) {
                invalid_option(cmd, c, io);
                return None;
            }
            o.flags.push((c, String::new()));
        }
    }
    Some(o)
}

/// Turns a host file error into `cmd: path: reason`.
fn file_error(cmd: &str, path: &str, err: &str) -> String {
    let reason = err.rsplit(": ").next().unwrap_or(err);
    format!("{cmd}: {path}: {reason}\n")
}

/// Reads each operand (or stdin when there are none, or for `-`). Unreadable files are reported
/// and skipped; the flag tells whether any failed.
fn read_inputs(
    cmd: &str,
    files: &[String],
    stdin: &mut Stdin,
    host: &mut dyn Host,
    io: &mut Io,
) -> (Vec<(String, String)>, bool) {
    let mut out = Vec::new();
    let mut failed = false;
    if files.is_empty() {
        out.push(("-".to_string(), stdin.take_all()));
        return (out, false);
    }
    for f in files {
        if f == "-" {
            out.push(("-".to_string(), stdin.take_all()));
            continue;
        }
        match host.read_file(f) {
            Ok(d) => out.push((f.clone(), d)),
            Err(e) => {
                io.err(&file_error(cmd, f, &e));
                failed = true;
            }
        }
    }
    (out, failed)
}

/// Splits text into lines, remembering whether the last one had a newline.
fn lines(s: &str) -> Vec<&str> {
    let mut v: Vec<&str> = s.split('\n').collect();
    if s.ends_with('\n') || s.is_empty() {
        v.pop();
    }
    v
}

fn print_lines<S: AsRef<str>>(v: &[S], io: &mut Io) {
    let mut s = String::new();
    for l in v {
        s.push_str(l.as_ref());
        s.push('\n');
    }
    io.out(&s);
}

// ---------------------------------------------------------------- echo / printf

fn escape_char(c: char) -> Option<char> {
    Some(match c {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'a' => '\x07',
        'b' => '\x08',
        'f' => '\x0c',
        'v' => '\x0b',
        'e' => '\x1b',
        '\\' => '\\',
        _ => return None,
    })
}

/// Interprets backslash escapes (echo -e, printf format/%b). Returns (text, stop) where stop
/// means `\c` was seen.
fn unescape(s: &str, octal_needs_zero: bool) -> (String, bool) {
    let c: Vec<char> = s.chars().collect();
    let mut o = String::new();
    let mut i = 0;
    while i < c.len() {
        if c[i] != '\\' || i + 1 >= c.len() {
            o.push(c[i]);
            i += 1;
            continue;
        }
        let n = c[i + 1];
        i += 2;
        if let Some(e) = escape_char(n) {
            o.push(e);
        } else if n == 'c' {
            return (o, true);
        } else if n == '"' && !octal_needs_zero {
            o.push('"');
        } else if n == 'x' {
            let mut v = 0u32;
            let mut k = 0;
            while k < 2 && i < c.len() && c[i].is_ascii_hexdigit() {
                v = v * 16 + c[i].to_digit(16).unwrap_or(0);
                i += 1;
                k += 1;
            }
            if k == 0 {
                o.push_str("\\x");
            } else {
                o.push(char::from_u32(v).unwrap_or('?'));
            }
        } else if n.is_digit(8) && (n == '0' || !octal_needs_zero) {
            let mut v = if n == '0' && octal_needs_zero {
                0
            } else {
                n.to_digit(8).unwrap_or(0)
            };
            let max = if octal_needs_zero || n == '0' { 3 } else { 2 };
            let mut k = 0;
            while k < max && i < c.len() && c[i].is_digit(8) {
                v = v * 8 + c[i].to_digit(8).unwrap_or(0);
                i += 1;
                k += 1;
            }
            o.push(char::from_u32(v & 0xff).unwrap_or('?'));
        } else {
            o.push('\\');
            o.push(n);
        }
    }
    (o, false)
}

/// bash's echo: `-n`, `-e`, `-E` (combinable), no escapes by default.
pub(crate) fn echo(args: &[String], io: &mut Io) -> i32 {
    let mut newline = true;
    let mut escapes = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let flags = match a.strip_prefix('-') {
            Some(f) if !f.is_empty() && f.chars().all(|c| matches!(c, 'n' | 'e' | 'E')) => f,
            _ => break,
        };
        for c in flags.chars() {
            match c {
                'n' => newline = false,
                'e' => escapes = true,
                _ => escapes = false,
            }
        }
        i += 1;
    }
    let mut s = args.get(i..).unwrap_or(&[]).join(" ");
    if escapes {
        let (t, stop) = unescape(&s, true);
        s = t;
        if stop {
            io.out(&s);
            return 0;
        }
    }
    if newline {
        s.push('\n');
    }
    io.out(&s);
    0
}

fn parse_int_arg(a: &str, io: &mut Io, failed: &mut bool) -> i64 {
    let t = a.trim_start();
    if let Some(ch) = t.strip_prefix('\'').or_else(|| t.strip_prefix('"')) {
        return ch.chars().next().map(|c| c as i64).unwrap_or(0);
    }
    let (neg, d) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let r = if let Some(h) = d.strip_prefix("0x").or_else(|| d.strip_prefix("0X")) {
        i64::from_str_radix(h, 16)
    } else if d.len() > 1 && d.starts_with('0') {
        i64::from_str_radix(&d[1..], 8)
    } else {
        d.parse::<i64>()
    };
    match r {
        Ok(v) => {
            if neg {
                v.wrapping_neg()
            } else {
                v
            }
        }
        Err(_) => {
            if !a.is_empty() {
                io.err(&format!("printf: '{a}': expected a numeric value\n"));
                *failed = true;
            }
            // GNU prints the digits it could read.
            let digits: String = d.chars().take_while(|c| c.is_ascii_digit()).collect();
            let v = digits.parse::<i64>().unwrap_or(0);
            if neg {
                -v
            } else {
                v
            }
        }
    }
}

fn parse_float_arg(a: &str, io: &mut Io, failed: &mut bool) -> f64 {
    match a.trim().parse::<f64>() {
        Ok(v) => v,
        Err(_) => {
            if !a.is_empty() {
                io.err(&format!("printf: '{a}': expected a numeric value\n"));
                *failed = true;
            }
            0.0
        }
    }
}

fn pad(s: String, width: usize, left: bool, zero: bool) -> String {
    let len = s.chars().count();
    if len >= width {
        return s;
    }
    let fill = width - len;
    if left {
        format!("{s}{}", " ".repeat(fill))
    } else if zero {
        let (sign, digits) = if s.starts_with('-') || s.starts_with('+') {
            s.split_at(1)
        } else {
            ("", s.as_str())
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{s}", " ".repeat(fill))
    }
}

fn fmt_exp(v: f64, prec: usize, upper: bool) -> String {
    let s = format!("{v:.prec$e}");
    // Rust prints `1.5e2`; C prints `1.5e+02`.
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = e.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    let r = format!("{m}e{sign}{:02}", exp.abs());
    if upper {
        r.to_uppercase()
    } else {
        r
    }
}

/// GNU printf: `%s %b %c %d %i %u %o %x %X %f %e %g %%` with flags, width and precision; the
/// format is reused while arguments remain.
pub(crate) fn printf(args: &[String], io: &mut Io) -> i32 {
    let Some(fmt) = args.first() else {
        io.err(&format!("printf: missing operand\n{}", try_help("printf")));
        return 1;
    };
    let f: Vec<char> = fmt.chars().collect();
    let mut rest = args.get(1..).unwrap_or(&[]).iter();
    let mut failed = false;
    let mut out = String::new();
    let mut guard = 0;
    loop {
        guard += 1;
        let mut consumed = false;
        let mut i = 0;
        while i < f.len() {
            let c = f[i];
            if c == '\\' {
                let start = i;
                i += 1;
                if i < f.len() {
                    i += 1;
                    // Take octal/hex digits too.
                    if f[i - 1] == 'x' || f[i - 1].is_digit(8) {
                        while i < f.len() && i - start < 5 && f[i].is_ascii_hexdigit() {
                            i += 1;
                        }
                    }
                }
                let piece: String = f[start..i].iter().collect();
                let (t, stop) = unescape(&piece, false);
                out.push_str(&t);
                if stop {
                    io.out(&out);
                    return i32::from(failed);
                }
                continue;
            }
            if c != '%' {
                out.push(c);
                i += 1;
                continue;
            }
            i += 1;
            if f.get(i) == Some(&'%') {
                out.push('%');
                i += 1;
                continue;
            }
            let (mut left, mut zero, mut plus, mut space, mut alt) =
                (false, false, false, false, false);
            while let Some(&fl) = f.get(i) {
                match fl {
                    '-' => left = true,
                    '0' => zero = true,
                    '+' => plus = true,
                    ' ' => space = true,
                    '#' => alt = true,
                    _ => break,
                }
                i += 1;
            }
            let mut width = 0usize;
            if f.get(i) == Some(&'*') {
                i += 1;
                consumed = true;
                let w = parse_int_arg(
                    rest.next().map(String::as_str).unwrap_or("0"),
                    io,
                    &mut failed,
                );
                if w < 0 {
                    left = true;
                }
                width = usize::try_from(w.unsigned_abs()).unwrap_or(0).min(10_000);
            } else {
                while let Some(d) = f.get(i).and_then(|c| c.to_digit(10)) {
                    width = (width * 10 + d as usize).min(10_000);
                    i += 1;
                }
            }
            let mut prec: Option<usize> = None;
            if f.get(i) == Some(&'.') {
                i += 1;
                let mut p = 0usize;
                if f.get(i) == Some(&'*') {
                    i += 1;
                    consumed = true;
                    let w = parse_int_arg(
                        rest.next().map(String::as_str).unwrap_or("0"),
                        io,
                        &mut failed,
                    );
                    p = usize::try_from(w.max(0)).unwrap_or(0).min(10_000);
                } else {
                    while let Some(d) = f.get(i).and_then(|c| c.to_digit(10)) {
                        p = (p * 10 + d as usize).min(10_000);
                        i += 1;
                    }
                }
                prec = Some(p);
            }
            // Length modifiers are accepted and ignored.
            while matches!(f.get(i), Some('l' | 'h' | 'j' | 'z' | 't' | 'L' | 'q')) {
                i += 1;
            }
            let Some(&conv) = f.get(i) else {
                io.err(&format!(
                    "printf: %{}: invalid conversion specification\n",
                    ""
                ));
                io.out(&out);
                return 1;
            };
            i += 1;
            let arg = rest.next();
            if arg.is_some() {
                consumed = true;
            }
            let a = arg.map(String::as_str).unwrap_or("");
            let sign = |neg: bool| {
                if neg {
                    "-"
                } else if plus {
                    "+"
                } else if space {
                    " "
                } else {
                    ""
                }
            };
            let text = match conv {
                's' => {
                    let mut s = a.to_string();
                    if let Some(p) = prec {
                        s = s.chars().take(p).collect();
                    }
                    pad(s, width, left, false)
                }
                'b' => {
                    let (t, stop) = unescape(a, true);
                    out.push_str(&pad(t, width, left, false));
                    if stop {
                        io.out(&out);
                        return i32::from(failed);
                    }
                    continue;
                }
                'c' => pad(
                    a.chars().next().map(String::from).unwrap_or_default(),
                    width,
                    left,
                    false,
                ),
                'd' | 'i' => {
                    let v = if arg.is_some() {
                        parse_int_arg(a, io, &mut failed)
                    } else {
                        0
                    };
                    let mut digits = v.unsigned_abs().to_string();
                    if let Some(p) = prec {
                        while digits.len() < p {
                            digits.insert(0, '0');
                        }
                    }
                    pad(
                        format!("{}{digits}", sign(v < 0)),
                        width,
                        left,
                        zero && prec.is_none(),
                    )
                }
                'u' | 'o' | 'x' | 'X' => {
                    let v = if arg.is_some() {
                        parse_int_arg(a, io, &mut failed)
                    } else {
                        0
                    };
                    let u = v as u64;
                    let mut s = match conv {
                        'o' => format!("{u:o}"),
                        'x' => format!("{u:x}"),
                        'X' => format!("{u:X}"),
                        _ => u.to_string(),
                    };
                    if alt && u != 0 {
                        s = match conv {
                            'o' => format!("0{s}"),
                            'x' => format!("0x{s}"),
                            'X' => format!("0X{s}"),
                            _ => s,
                        };
                    }
                    pad(s, width, left, zero)
                }
                'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
                    let v = if arg.is_some() {
                        parse_float_arg(a, io, &mut failed)
                    } else {
                        0.0
                    };
                    let p = prec.unwrap_or(6).min(50);
                    let body = match conv {
                        'f' | 'F' => format!("{:.p$}", v.abs()),
                        'e' | 'E' => fmt_exp(v.abs(), p, conv == 'E'),
                        _ => {
                            let p = p.max(1);
                            let exp = if v == 0.0 {
                                0
                            } else {
                                v.abs().log10().floor() as i32
                            };
                            if exp < -4 || exp >= p as i32 {
                                let s = fmt_exp(v.abs(), p - 1, conv == 'G');
                                let (m, e) = s.split_once(['e', 'E']).unwrap_or((&s, ""));
                                let m = if m.contains('.') {
                                    m.trim_end_matches('0').trim_end_matches('.')
                                } else {
                                    m
                                };
                                format!("{m}{}{e}", if conv == 'G' { 'E' } else { 'e' })
                            } else {
                                let decimals = usize::try_from(p as i32 - 1 - exp).unwrap_or(0);
                                let s = format!("{:.decimals$}", v.abs());
                                if s.contains('.') {
                                    s.trim_end_matches('0').trim_end_matches('.').to_string()
                                } else {
                                    s
                                }
                            }
                        }
                    };
                    pad(format!("{}{body}", sign(v < 0.0)), width, left, zero)
                }
                other => {
                    io.out(&out);
                    io.err(&format!(
                        "printf: %{other}: invalid conversion specification\n"
                    ));
                    return 1;
                }
            };
            out.push_str(&text);
        }
        if !consumed || rest.len() == 0 || guard > 10_000 {
            break;
        }
    }
    io.out(&out);
    i32::from(failed)
}

// ---------------------------------------------------------------- test

struct TestCtx<'a> {
    args: &'a [String],
    i: usize,
    name: &'a str,
    host: &'a mut dyn Host,
    err: Option<String>,
    depth: u32,
}

const UNARY: &[&str] = &[
    "-z", "-n", "-e", "-f", "-d", "-s", "-r", "-w", "-x", "-L", "-h", "-b", "-c", "-p", "-S", "-t",
];
const BINARY: &[&str] = &[
    "=", "==", "!=", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge",
];

impl TestCtx<'_> {
    fn arg(&self, k: usize) -> Option<&str> {
        self.args.get(self.i + k).map(String::as_str)
    }
    fn or(&mut self) -> bool {
        let mut v = self.and();
        while self.arg(0) == Some("-o") {
            self.i += 1;
            let r = self.and();
            v = v || r;
        }
        v
    }
    fn and(&mut self) -> bool {
        let mut v = self.not();
        while self.arg(0) == Some("-a") {
            self.i += 1;
            let r = self.not();
            v = v && r;
        }
        v
    }
    fn not(&mut self) -> bool {
        self.depth += 1;
        if self.depth > 100 {
            self.err
                .get_or_insert_with(|| "expression too complex".to_string());
            return false;
        }
        let r = if self.arg(0) == Some("!") && self.arg(1).is_some() {
            self.i += 1;
            !self.not()
        } else {
            self.primary()
        };
        self.depth -= 1;
        r
    }
    fn int(&mut self, s: &str) -> i64 {
        match s.trim().parse::<i64>() {
            Ok(v) => v,
            Err(_) => {
                self.err
                    .get_or_insert_with(|| format!("{s}: integer expression expected"));
                0
            }
        }
    }
    fn primary(&mut self) -> bool {
        let Some(a) = self.arg(0).map(str::to_string) else {
            self.err
                .get_or_insert_with(|| "argument expected".to_string());
            return false;
        };
        if let (Some(op), Some(b)) = (
            self.arg(1).map(str::to_string),
            self.arg(2).map(str::to_string),
        ) {
            if BINARY.contains(&op.as_str()) {
                self.i += 3;
                return match op.as_str() {
                    "=" | "==" => a == b,
                    "!=" => a != b,
                    "<" => a < b,
                    ">" => a > b,
                    _ => {
                        let (x, y) = (self.int(&a), self.int(&b));
                        match op.as_str() {
                            "-eq" => x == y,
                            "-ne" => x != y,
                            "-lt" => x < y,
                            "-le" => x <= y,
                            "-gt" => x > y,
                            _ => x >= y,
                        }
                    }
                };
            }
        }
        if a == "(" {
            if let Some(close) = (self.i + 1..self.args.len())
                .rev()
                .find(|k| self.args[*k] == ")")
            {
                let _ = close;
                self.i += 1;
                let v = self.or();
                if self.arg(0) == Some(")") {
                    self.i += 1;
                } else {
                    self.err.get_or_insert_with(|| "')' expected".to_string());
                }
                return v;
            }
        }
        if UNARY.contains(&a.as_str()) {
            if let Some(b) = self.arg(1).map(str::to_string) {
                self.i += 2;
                return match a.as_str() {
                    "-z" => b.is_empty(),
                    "-n" => !b.is_empty(),
                    "-f" => self.host.read_file(&b).is_ok(),
                    "-d" => self.host.is_dir(&b),
                    "-s" => {
                        self.host.read_file(&b).is_ok_and(|d| !d.is_empty()) || self.host.is_dir(&b)
                    }
                    "-e" | "-r" | "-w" => self.host.read_file(&b).is_ok() || self.host.is_dir(&b),
                    "-x" => self.host.is_dir(&b),
                    "-t" => false,
                    _ => false,
                };
            }
        }
        self.i += 1;
        !a.is_empty()
    }
}

/// `test` / `[` (the caller removes the closing `]`).
pub(crate) fn test_cmd(name: &str, args: &[String], host: &mut dyn Host, io: &mut Io) -> i32 {
    if args.is_empty() {
        return 1;
    }
    let mut t = TestCtx {
        args,
        i: 0,
        name,
        host,
        err: None,
        depth: 0,
    };
    let v = t.or();
    if t.err.is_none() && t.i < args.len() {
        let extra = args.get(t.i).cloned().unwrap_or_default();
        t.err = Some(format!("{extra}: unexpected operator"));
    }
    if let Some(e) = t.err {
        io.err(&format!("sh: {}: {e}\n", t.name));
        return 2;
    }
    i32::from(!v)
}

// ---------------------------------------------------------------- the utilities

impl Shell {
    pub(crate) fn utility(
        &mut self,
        name: &str,
        args: &[String],
        stdin: &mut Stdin,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> i32 {
        let rest = args.get(1..).unwrap_or(&[]);
        match name {
            "seq" => seq(rest, io),
            "sort" => sort(rest, stdin, host, io),
            "uniq" => uniq(rest, stdin, host, io),
            "grep" => grep("grep", rest, stdin, host, io, None),
            "egrep" => grep("egrep", rest, stdin, host, io, Some('E')),
            "fgrep" => grep("fgrep", rest, stdin, host, io, Some('F')),
            "head" => head_tail(true, rest, stdin, host, io),
            "tail" => head_tail(false, rest, stdin, host, io),
            "wc" => wc(rest, stdin, host, io),
            "cut" => cut(rest, stdin, host, io),
            "tr" => tr(rest, stdin, io),
            "base64" => base64(rest, stdin, host, io),
            "sed" => sed(rest, stdin, host, io),
            "awk" => crate::utils::awk(rest, stdin, host, io),
            "cat" => cat(rest, stdin, host, io),
            "tac" | "rev" => {
                let (inputs, failed) = read_inputs(name, rest, stdin, host, io);
                for (_, d) in inputs {
                    let mut ls: Vec<String> = lines(&d).iter().map(|s| s.to_string()).collect();
                    if name == "tac" {
                        ls.reverse();
                    } else {
                        ls = ls.iter().map(|l| l.chars().rev().collect()).collect();
                    }
                    print_lines(&ls, io);
                }
                i32::from(failed)
            }
            "tee" => {
                let Some(o) = getopt("tee", rest, "ai", "", &[("append", 'a')], false, io) else {
                    return 1;
                };
                let data = stdin.take_all();
                let mut st = 0;
                for f in &o.operands {
                    if let Err(e) = host.write_file(f, &data, o.has('a')) {
                        io.err(&file_error("tee", f, &e));
                        st = 1;
                    }
                }
                io.out(&data);
                st
            }
            "sleep" => {
                if rest.is_empty() {
                    io.err(&format!("sleep: missing operand\n{}", try_help("sleep")));
                    return 1;
                }
                let mut total = 0.0;
                for a in rest {
                    let (num, mult) = match a.chars().last() {
                        Some('s') => (&a[..a.len() - 1], 1.0),
                        Some('m') => (&a[..a.len() - 1], 60.0),
                        Some('h') => (&a[..a.len() - 1], 3600.0),
                        Some('d') => (&a[..a.len() - 1], 86400.0),
                        _ => (a.as_str(), 1.0),
                    };
                    match num.parse::<f64>() {
                        Ok(v) if v >= 0.0 && v.is_finite() => total += v * mult,
                        _ => {
                            io.err(&format!(
                                "sleep: invalid time interval '{a}'\n{}",
                                try_help("sleep")
                            ));
                            return 1;
                        }
                    }
                }
                host.sleep(total);
                0
            }
            "basename" => {
                let Some(p) = rest.first() else {
                    io.err(&format!(
                        "basename: missing operand\n{}",
                        try_help("basename")
                    ));
                    return 1;
                };
                let trimmed = p.trim_end_matches('/');
                let mut b = if trimmed.is_empty() && !p.is_empty() {
                    "/".to_string()
                } else {
                    trimmed.rsplit('/').next().unwrap_or("").to_string()
                };
                if let Some(suf) = rest.get(1) {
                    if b != *suf {
                        if let Some(s) = b.strip_suffix(suf.as_str()) {
                            b = s.to_string();
                        }
                    }
                }
                io.out(&format!("{b}\n"));
                0
            }
            "dirname" => {
                let Some(p) = rest.first() else {
                    io.err(&format!(
                        "dirname: missing operand\n{}",
                        try_help("dirname")
                    ));
                    return 1;
                };
                let t = p.trim_end_matches('/');
                let d = match t.rfind('/') {
                    None if p.starts_with('/') => "/".to_string(),
                    None => ".".to_string(),
                    Some(i) => {
                        let d = t[..i].trim_end_matches('/');
                        if d.is_empty() {
                            "/".to_string()
                        } else {
                            d.to_string()
                        }
                    }
                };
                io.out(&format!("{d}\n"));
                0
            }
            "env" => self.env_cmd(rest, stdin, host, io),
            "printenv" => {
                if rest.is_empty() {
                    for (k, v) in self.env.exported() {
                        io.out(&format!("{k}={v}\n"));
                    }
                    return 0;
                }
                let mut st = 0;
                for n in rest {
                    match self.env.get(n).filter(|_| self.env.is_exported(n)) {
                        Some(v) => io.out(&format!("{v}\n")),
                        None => st = 1,
                    }
                }
                st
            }
            "which" => {
                let mut st = 0;
                for n in rest.iter().filter(|a| !a.starts_with('-')) {
                    if host.has_command(n) {
                        io.out(&format!("{}\n", host.command_path(n)));
                    } else if UTILITIES.contains(&n.as_str())
                        || matches!(
                            n.as_str(),
                            "echo" | "printf" | "test" | "[" | "true" | "false" | "pwd"
                        )
                    {
                        io.out(&format!("/usr/bin/{n}\n"));
                    } else {
                        st = 1;
                    }
                }
                st
            }
            "xargs" => self.xargs(rest, stdin, host, io),
            "sh" => self.child_shell(args, stdin, host, io),
            "expr" => expr(rest, io),
            _ => 127,
        }
    }

    fn env_cmd(
        &mut self,
        rest: &[String],
        stdin: &mut Stdin,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> i32 {
        let mut i = 0;
        let mut clear = false;
        let mut unset = Vec::new();
        while let Some(a) = rest.get(i) {
            match a.as_str() {
                "-i" | "-" => clear = true,
                "-u" => {
                    i += 1;
                    if let Some(n) = rest.get(i) {
                        unset.push(n.clone());
                    }
                }
                "--" => {
                    i += 1;
                    break;
                }
                s if s.starts_with('-') && s.len() > 1 => {
                    invalid_option("env", s.chars().nth(1).unwrap_or('?'), io);
                    return 125;
                }
                _ => break,
            }
            i += 1;
        }
        let mut assigns = Vec::new();
        while let Some(a) = rest.get(i) {
            match a.split_once('=') {
                Some((k, v)) if !k.is_empty() => assigns.push((k.to_string(), v.to_string())),
                _ => break,
            }
            i += 1;
        }
        let cmd = rest.get(i..).unwrap_or(&[]).to_vec();
        let saved = self.env.clone();
        if clear {
            for (k, _) in self.env.exported() {
                self.env.unset(&k);
            }
        }
        for n in &unset {
            self.env.unset(n);
        }
        for (k, v) in &assigns {
            self.env.set_exported(k, v);
        }
        let st = if cmd.is_empty() {
            for (k, v) in self.env.exported() {
                io.out(&format!("{k}={v}\n"));
            }
            0
        } else {
            self.dispatch(cmd, Vec::new(), stdin, host, io, true)
        };
        self.env = saved;
        st
    }

    fn xargs(
        &mut self,
        rest: &[String],
        stdin: &mut Stdin,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> i32 {
        let mut i = 0;
        let mut max_args: Option<usize> = None;
        let mut replace: Option<String> = None;
        let mut no_empty = false;
        while let Some(a) = rest.get(i) {
            if a == "-n" || a == "-I" || a == "-L" {
                i += 1;
                let Some(v) = rest.get(i) else {
                    missing_arg("xargs", a.chars().nth(1).unwrap_or('n'), io);
                    return 1;
                };
                if a == "-I" {
                    replace = Some(v.clone());
                } else {
                    max_args = v.parse().ok().filter(|n: &usize| *n > 0);
                }
            } else if let Some(v) = a.strip_prefix("-n") {
                max_args = v.parse().ok().filter(|n: &usize| *n > 0);
            } else if let Some(v) = a.strip_prefix("-I") {
                replace = Some(v.to_string());
            } else if a == "-r" || a == "--no-run-if-empty" {
                no_empty = true;
            } else if a == "-0" || a == "-t" || a == "-x" {
            } else if a.starts_with('-') && a.len() > 1 {
                invalid_option("xargs", a.chars().nth(1).unwrap_or('?'), io);
                return 1;
            } else {
                break;
            }
            i += 1;
        }
        let mut cmd: Vec<String> = rest.get(i..).unwrap_or(&[]).to_vec();
        if cmd.is_empty() {
            cmd.push("echo".to_string());
        }
        let input = stdin.take_all();
        let mut st = 0;
        if let Some(r) = replace {
            for line in lines(&input) {
                if line.trim().is_empty() {
                    continue;
                }
                let args: Vec<String> = cmd.iter().map(|a| a.replace(&r, line.trim())).collect();
                let s = self.dispatch(args, Vec::new(), &mut Stdin::default(), host, io, true);
                if s != 0 {
                    st = 123;
                }
            }
            return st;
        }
        let items = split_xargs(&input);
        if items.is_empty() && no_empty {
            return 0;
        }
        let chunk = max_args.unwrap_or(usize::MAX);
        let mut k: usize = 0;
        loop {
            let end = k.saturating_add(chunk).min(items.len());
            let mut args = cmd.clone();
            args.extend(items.get(k..end).unwrap_or(&[]).iter().cloned());
            let s = self.dispatch(args, Vec::new(), &mut Stdin::default(), host, io, true);
            if s == 127 {
                return 127;
            }
            if s != 0 {
                st = 123;
            }
            k = end;
            if k >= items.len() || self.stopped {
                break;
            }
        }
        st
    }
}

/// Splits xargs input on blanks and newlines, honouring simple quotes and backslashes.
fn split_xargs(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut quote: Option<char> = None;
    let mut it = s.chars();
    while let Some(c) = it.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    have = true;
                }
                '\\' => {
                    if let Some(n) = it.next() {
                        cur.push(n);
                        have = true;
                    }
                }
                c if c.is_whitespace() => {
                    if have {
                        out.push(std::mem::take(&mut cur));
                        have = false;
                    }
                }
                _ => {
                    cur.push(c);
                    have = true;
                }
            },
        }
    }
    if have {
        out.push(cur);
    }
    out
}

fn cat(rest: &[String], stdin: &mut Stdin, host: &mut dyn Host, io: &mut Io) -> i32 {
    let Some(o) = getopt("cat", rest, "nAetsuv", "", &[("number", 'n')], false, io) else {
        return 1;
    };
    let mut failed = false;
    let files = if o.operands.is_empty() {
        vec!["-".to_string()]
    } else {
        o.operands.clone()
    };
    let mut n = 0;
    for f in &files {
        let data = if f == "-" {
            stdin.take_all()
        } else {
            match host.read_file(f) {
                Ok(d) => d,
                Err(e) => {
                    io.err(&file_error("cat", f, &e));
                    failed = true;
                    continue;
                }
            }
        };
        if o.has('n') {
            let mut s = String::new();
            for l in data.split_inclusive('\n') {
                n += 1;
                s.push_str(&format!("{n:>6}\t{l}"));
            }
            io.out(&s);
        } else {
            io.out(&data);
        }
    }
    i32::from(failed)
}

// ---------------------------------------------------------------- seq

fn seq(rest: &[String], io: &mut Io) -> i32 {
    let Some(o) = getopt(
        "seq",
        rest,
        "w",
        "sf",
        &[("separator", 's'), ("equal-width", 'w')],
        true,
        io,
    ) else {
        return 1;
    };
    if o.operands.is_empty() {
        io.err(&format!("seq: missing operand\n{}", try_help("seq")));
        return 1;
    }
    if o.operands.len() > 3 {
        io.err(&format!(
            "seq: extra operand '{}'\n{}",
            o.operands[3],
            try_help("seq")
        ));
        return 1;
    }
    let mut nums = Vec::new();
    let mut decimals = 0usize;
    for a in &o.operands {
        match a.parse::<f64>() {
            Ok(v) if v.is_finite() => {
                nums.push(v);
                if let Some((_, d)) = a.split_once('.') {
                    decimals = decimals.max(d.chars().take_while(|c| c.is_ascii_digit()).count());
                }
            }
            _ => {
                io.err(&format!(
                    "seq: invalid floating point argument: '{a}'\n{}",
                    try_help("seq")
                ));
                return 1;
            }
        }
    }
    let (first, step, last) = match nums.as_slice() {
        [l] => (1.0, 1.0, *l),
        [f, l] => (*f, 1.0, *l),
        [f, s, l] => (*f, *s, *l),
        _ => return 1,
    };
    if step == 0.0 {
        io.err(&format!(
            "seq: invalid Zero increment value: '{}'\n{}",
            o.operands[1],
            try_help("seq")
        ));
        return 1;
    }
    // The last operand's decimals don't count, like GNU (seq 1 2.5 prints integers).
    if o.operands.len() >= 2 {
        decimals = 0;
        for a in &o.operands[..o.operands.len() - 1] {
            if let Some((_, d)) = a.split_once('.') {
                decimals = decimals.max(d.len());
            }
        }
    }
    let sep = o.last('s').unwrap_or("\n").to_string();
    let fmt = |v: f64| format!("{v:.decimals$}");
    let width = if o.has('w') {
        fmt(first).len().max(fmt(last).len())
    } else {
        0
    };
    let mut parts = Vec::new();
    let mut k = 0u64;
    loop {
        let v = first + step * k as f64;
        if (step > 0.0 && v > last + 1e-10)
            || (step < 0.0 && v < last - 1e-10)
            || parts.len() >= MAX_LINES
        {
            break;
        }
        let mut s = fmt(v);
        if s == "-0" {
            s = "0".to_string();
        }
        if width > 0 {
            s = pad(s, width, false, true);
        }
        parts.push(s);
        k += 1;
    }
    if !parts.is_empty() {
        io.out(&format!("{}\n", parts.join(&sep)));
    }
    0
}

// ---------------------------------------------------------------- sort / uniq

#[derive(Clone, Debug, Default)]
struct SortKey {
    start_field: usize,
    start_char: usize,
    end_field: Option<usize>,
    numeric: bool,
    reverse: bool,
    fold: bool,
    blanks: bool,
    human: bool,
    has_opts: bool,
}

fn parse_key(spec: &str) -> Option<SortKey> {
    let mut k = SortKey::default();
    let (start, end) = match spec.split_once(',') {
        Some((a, b)) => (a, Some(b)),
        None => (spec, None),
    };
    let num_opts = |s: &str, k: &mut SortKey| -> Option<(usize, usize)> {
        let digits: String = s
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        for c in s[digits.len()..].chars() {
            k.has_opts = true;
            match c {
                'n' | 'g' => k.numeric = true,
                'r' => k.reverse = true,
                'f' => k.fold = true,
                'b' => k.blanks = true,
                'h' => k.human = true,
                _ => return None,
            }
        }
        let (f, c) = match digits.split_once('.') {
            Some((f, c)) => (f.parse().ok()?, c.parse().ok()?),
            None => (digits.parse().ok()?, 0),
        };
        Some((f, c))
    };
    let (f, c) = num_opts(start, &mut k)?;
    if f == 0 {
        return None;
    }
    k.start_field = f;
    k.start_char = c;
    if let Some(e) = end {
        let (f, _) = num_opts(e, &mut k)?;
        k.end_field = Some(f);
    }
    Some(k)
}

/// Byte offsets where each field starts, GNU style: without -t a field includes its leading blanks.
fn field_bounds(line: &str, sep: Option<char>) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    match sep {
        Some(c) => {
            let mut st = 0;
            for (i, ch) in line.char_indices() {
                if ch == c {
                    v.push((st, i));
                    st = i + ch.len_utf8();
                }
            }
            v.push((st, line.len()));
        }
        None => {
            let b = line.as_bytes();
            let mut i = 0;
            while i < b.len() {
                let st = i;
                while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                    i += 1;
                }
                while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
                    i += 1;
                }
                v.push((st, i));
            }
        }
    }
    v
}

fn key_text<'a>(line: &'a str, k: &SortKey, sep: Option<char>) -> &'a str {
    let b = field_bounds(line, sep);
    let Some(&(mut st, _)) = b.get(k.start_field - 1) else {
        return "";
    };
    if k.blanks || sep.is_none() && k.numeric {
        while line
            .as_bytes()
            .get(st)
            .is_some_and(|c| *c == b' ' || *c == b'\t')
        {
            st += 1;
        }
    }
    if k.start_char > 1 {
        st = line[st..]
            .char_indices()
            .nth(k.start_char - 1)
            .map(|(i, _)| st + i)
            .unwrap_or(line.len());
    }
    let end = match k.end_field {
        Some(f) => b.get(f - 1).map(|x| x.1).unwrap_or(line.len()),
        None => line.len(),
    };
    line.get(st..end.max(st)).unwrap_or("")
}

fn num_value(s: &str, human: bool) -> f64 {
    let t = s.trim_start();
    let mut end = 0;
    for (i, c) in t.char_indices() {
        if c.is_ascii_digit() || c == '.' || (i == 0 && c == '-') {
            end = i + c.len_utf8();
        } else {
            break;
        }
    }
    let mut v = t[..end].parse::<f64>().unwrap_or(0.0);
    if human {
        let mult = match t[end..].chars().next() {
            Some('K' | 'k') => 1e3,
            Some('M') => 1e6,
            Some('G') => 1e9,
            Some('T') => 1e12,
            _ => 1.0,
        };
        v *= mult;
    }
    v
}

fn cmp_key(a: &str, b: &str, k: &SortKey) -> std::cmp::Ordering {
    let o = if k.numeric || k.human {
        num_value(a, k.human)
            .partial_cmp(&num_value(b, k.human))
            .unwrap_or(std::cmp::Ordering::Equal)
    } else if k.fold {
        a.to_uppercase().cmp(&b.to_uppercase())
    } else {
        a.cmp(b)
    };
    if k.reverse {
        o.reverse()
    } else {
        o
    }
}

fn sort(rest: &[String], stdin: &mut Stdin, host: &mut dyn Host, io: &mut Io) -> i32 {
    let long = [
        ("numeric-sort", 'n'),
        ("reverse", 'r'),
        ("unique", 'u'),
        ("key", 'k'),
        ("field-separator", 't'),
        ("ignore-case", 'f'),
        ("human-numeric-sort", 'h'),
        ("stable", 's'),
    ];
    let Some(o) = getopt("sort", rest, "nrufbhsgVcmM", "kto", &long, false, io) else {
        return 2;
    };
    let sep = match o.last('t') {
        None => None,
        Some(t) => {
            let mut cs = t.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => Some(c),
                _ => {
                    io.err(&format!("sort: multi-character tab '{t}'\n"));
                    return 2;
                }
            }
        }
    };
    let global = SortKey {
        start_field: 1,
        numeric: o.has('n') || o.has('g'),
        reverse: false,
        fold: o.has('f'),
        blanks: o.has('b'),
        human: o.has('h'),
        ..Default::default()
    };
    let mut keys = Vec::new();
    for spec in o.all('k') {
        match parse_key(spec) {
            Some(mut k) => {
                if !k.has_opts {
                    k.numeric = global.numeric;
                    k.fold = global.fold;
                    k.blanks = global.blanks;
                    k.human = global.human;
                }
                keys.push(k);
            }
            None => {
                io.err(&format!(
                    "sort: invalid number at field start: invalid count at start of '{spec}'\n"
                ));
                return 2;
            }
        }
    }
    let (inputs, failed) = read_inputs("sort", &o.operands, stdin, host, io);
    if failed {
        return 2;
    }
    let mut all: Vec<String> = Vec::new();
    for (_, d) in &inputs {
        all.extend(lines(d).iter().map(|s| s.to_string()));
    }
    let by_keys = |a: &String, b: &String| -> std::cmp::Ordering {
        if keys.is_empty() {
            return cmp_key(a, b, &global);
        }
        for k in &keys {
            let o = cmp_key(key_text(a, k, sep), key_text(b, k, sep), k);
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    };
    let unique = o.has('u');
    let stable = o.has('s') || unique;
    let reverse = o.has('r');
    crate::sorting::sort_by(&mut all, |a, b| {
        let mut ord = by_keys(a, b);
        if ord == std::cmp::Ordering::Equal && !stable {
            ord = a.cmp(b);
        }
        if reverse {
            ord.reverse()
        } else {
            ord
        }
    });
    if unique {
        all.dedup_by(|b, a| by_keys(a, b) == std::cmp::Ordering::Equal);
    }
    let out: Vec<String> = all;
    if let Some(path) = o.last('o') {
        let mut s = String::new();
        for l in &out {
            s.push_str(l);
            s.push('\n');
        }
        if let Err(e) = host.write_file(path, &s, false) {
            io.err(&file_error("sort", path, &e));
            return 2;
        }
        return 0;
    }
    print_lines(&out, io);
    0
}

fn uniq(rest: &[String], stdin: &mut Stdin, host: &mut dyn Host, io: &mut Io) -> i32 {
    let long = [
        ("count", 'c'),
        ("repeated", 'd'),
        ("unique", 'u'),
        ("ignore-case", 'i'),
    ];
    let Some(o) = getopt("uniq", rest, "cdui", "fs", &long, false, io) else {
        return 1;
    };
    let (inputs, failed) = read_inputs("uniq", o.operands.get(..1).unwrap_or(&[]), stdin, host, io);
    if failed {
        return 1;
    }
    let data = inputs.into_iter().map(|(_, d)| d).collect::<String>();
    let eq = |a: &str, b: &str| {
        if o.has('i') {
            a.to_lowercase() == b.to_lowercase()
        } else {
            a == b
        }
    };
    let mut groups: Vec<(&str, usize)> = Vec::new();
    for l in lines(&data) {
        match groups.last_mut() {
            Some((g, n)) if eq(g, l) => *n += 1,
            _ => groups.push((l, 1)),
        }
    }
    let mut s = String::new();
    for (l, n) in groups {
        if (o.has('d') && n < 2) || (o.has('u') && n > 1) {
            continue;
        }
        if o.has('c') {
            s.push_str(&format!("{n:>7} {l}\n"));
        } else {
            s.push_str(l);
            s.push('\n');
        }
    }
    io.out(&s);
    0
}

// ---------------------------------------------------------------- base64

/// Standard base64 with padding, unwrapped (`base64 -w 0`; a Secret's `data` values).
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut text = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    text
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// coreutils `base64 [-d] [-i] [-w COLS] [FILE]`: lines of 76 characters by default;
/// decoding skips newlines (and, with -i, anything else outside the alphabet) and stops at
/// `base64: invalid input`.
fn base64(rest: &[String], stdin: &mut Stdin, host: &mut dyn Host, io: &mut Io) -> i32 {
    let long = [("decode", 'd'), ("ignore-garbage", 'i'), ("wrap", 'w')];
    let Some(o) = getopt("base64", rest, "di", "w", &long, false, io) else {
        return 1;
    };
    if o.operands.len() > 1 {
        io.err(&format!(
            "base64: extra operand '{}'\n{}",
            o.operands[1],
            try_help("base64")
        ));
        return 1;
    }
    let wrap = match o.last('w') {
        None => 76,
        Some(w) => match w.parse::<usize>() {
            Ok(n) => n,
            Err(_) => {
                io.err(&format!("base64: invalid wrap size: '{w}'\n"));
                return 1;
            }
        },
    };
    let (inputs, failed) = read_inputs("base64", &o.operands, stdin, host, io);
    if failed {
        return 1;
    }
    let data: String = inputs.into_iter().map(|(_, d)| d).collect();
    if o.has('d') {
        let mut bits = 0u32;
        let mut nbits = 0;
        let mut out = Vec::new();
        let mut padding = 0;
        for c in data.bytes() {
            if c == b'\n' {
                continue;
            }
            if c == b'=' {
                padding += 1;
                continue;
            }
            let Some(v) = B64.iter().position(|x| *x == c) else {
                if o.has('i') {
                    continue;
                }
                io.out(&String::from_utf8_lossy(&out));
                io.err("base64: invalid input\n");
                return 1;
            };
            if padding > 0 {
                io.out(&String::from_utf8_lossy(&out));
                io.err("base64: invalid input\n");
                return 1;
            }
            bits = (bits << 6) | v as u32;
            nbits += 6;
            if nbits >= 8 {
                nbits -= 8;
                out.push((bits >> nbits) as u8);
                bits &= (1 << nbits) - 1;
            }
        }
        let complete = (nbits == 0 && padding == 0)
            || (nbits == 4 && padding == 2)
            || (nbits == 2 && padding == 1);
        io.out(&String::from_utf8_lossy(&out));
        if !complete {
            io.err("base64: invalid input\n");
            return 1;
        }
        return 0;
    }
    let text = base64_encode(data.as_bytes());
    if text.is_empty() {
        return 0;
    }
    let mut out = String::new();
    if wrap == 0 {
        out.push_str(&text);
    } else {
        for (i, c) in text.chars().enumerate() {
            if i > 0 && i % wrap == 0 {
                out.push('\n');
            }
            out.push(c);
        }
    }
    out.push('\n');
    io.out(&out);
    0
}

// ---------------------------------------------------------------- grep

fn grep(
    cmd: &str,
    rest: &[String],
    stdin: &mut Stdin,
    host: &mut dyn Host,
    io: &mut Io,
    mode: Option<char>,
) -> i32 {
    let long = [
        ("invert-match", 'v'),
        ("ignore-case", 'i'),
        ("count", 'c'),
        ("extended-regexp", 'E'),
        ("fixed-strings", 'F'),
        ("only-matching", 'o'),
        ("quiet", 'q'),
        ("silent", 'q'),
        ("line-number", 'n'),
        ("word-regexp", 'w'),
        ("line-regexp", 'x'),
        ("files-with-matches", 'l'),
        ("regexp", 'e'),
        ("max-count", 'm'),
        ("no-filename", 'h'),
        ("with-filename", 'H'),
        ("no-messages", 's'),
        ("after-context", 'A'),
        ("before-context", 'B'),
        ("context", 'C'),
    ];
    let Some(o) = getopt(
        cmd,
        rest,
        "vicEFGoqnwxlLhHsrRPaZz",
        "emABC",
        &long,
        false,
        io,
    ) else {
        return 2;
    };
    let mut operands = o.operands.clone();
    let mut pats: Vec<String> = o.all('e').iter().map(|s| s.to_string()).collect();
    if pats.is_empty() {
        if operands.is_empty() {
            io.err(&format!(
                "Usage: {cmd} [OPTION]... PATTERNS [FILE]...\n{}",
                try_help(cmd)
            ));
            return 2;
        }
        pats.push(operands.remove(0));
    }
    let pats: Vec<String> = pats
        .iter()
        .flat_map(|p| p.split('\n').map(str::to_string).collect::<Vec<_>>())
        .collect();
    let fixed = mode == Some('F') || (o.has('F') && !o.has('E'));
    let ere = mode == Some('E') || o.has('E') || o.has('P');
    let icase = o.has('i');
    let mut res = Vec::new();
    for p in &pats {
        let r = if fixed {
            if o.has('x') {
                Regex::new(&format!("^{}$", regex_escape(p, ere)), ere, icase)
            } else {
                Ok(Regex::literal(p, icase))
            }
        } else if o.has('x') {
            if ere {
                Regex::new(&format!("^({p})$"), true, icase)
            } else {
                Regex::new(&format!("^\\({p}\\)$"), false, icase)
            }
        } else {
            Regex::new(p, ere, icase)
        };
        match r {
            Ok(r) => res.push(r),
            Err(e) => {
                io.err(&format!("{cmd}: {e}\n"));
                return 2;
            }
        }
    }
    let max = o.last('m').and_then(|m| m.parse::<usize>().ok());
    // Context lines (-A/-B/-C NUM): GNU grep's and busybox's "invalid context length".
    let mut context = [0usize; 2];
    for (flag, sides) in [
        ('C', [true, true]),
        ('B', [true, false]),
        ('A', [false, true]),
    ] {
        if let Some(n) = o.last(flag) {
            let Ok(n) = n.parse::<usize>() else {
                io.err(&format!("{cmd}: {n}: invalid context length argument\n"));
                return 2;
            };
            for (i, side) in sides.iter().enumerate() {
                if *side {
                    context[i] = n;
                }
            }
        }
    }
    let [before, after] = context;
    let with_context = (before > 0 || after > 0)
        && !(o.has('o') || o.has('c') || o.has('l') || o.has('L') || o.has('q'));
    let invert = o.has('v');
    let word = o.has('w');
    let multi = (operands.len() > 1 || o.has('H')) && !o.has('h');
    let (inputs, failed) = if o.has('s') {
        let mut sink = Io::new();
        read_inputs(cmd, &operands, stdin, host, &mut sink)
    } else {
        read_inputs(cmd, &operands, stdin, host, io)
    };
    let mut any = false;
    let mut out = String::new();
    for (name, data) in &inputs {
        let label = if name == "-" {
            "(standard input)"
        } else {
            name.as_str()
        };
        let mut count = 0usize;
        let all_lines = lines(data);
        let mut selected: Vec<usize> = Vec::new();
        for (ln, line) in all_lines.iter().enumerate() {
            if max.is_some_and(|m| count >= m) {
                break;
            }
            let t: Vec<char> = line.chars().collect();
            let mut spans = Vec::new();
            for r in &res {
                let mut start = 0;
                while start <= t.len() {
                    let Some((a, b, _)) = r.find_at(&t, start) else {
                        break;
                    };
                    let ok = !word
                        || ((a == 0 || !is_wordc(t[a - 1]))
                            && (b >= t.len() || !is_wordc(t[b]))
                            && b > a);
                    if ok {
                        spans.push((a, b));
                        if !o.has('o') {
                            break;
                        }
                    }
                    start = if b > a && ok { b } else { a + 1 };
                }
            }
            let matched = !spans.is_empty();
            if matched == invert {
                continue;
            }
            count += 1;
            any = true;
            if o.has('q') {
                return 0;
            }
            if o.has('c') || o.has('l') || o.has('L') {
                continue;
            }
            if with_context {
                selected.push(ln);
                continue;
            }
            let prefix = {
                let mut p = String::new();
                if multi {
                    p.push_str(label);
                    p.push(':');
                }
                if o.has('n') {
                    p.push_str(&format!("{}:", ln + 1));
                }
                p
            };
            if o.has('o') && !invert {
                crate::sorting::sort(&mut spans);
                for (a, b) in spans {
                    if b > a {
                        let m: String = t[a..b].iter().collect();
                        out.push_str(&format!("{prefix}{m}\n"));
                    }
                }
            } else {
                out.push_str(&format!("{prefix}{line}\n"));
            }
        }
        if with_context {
            // Each selected line with its context; `--` between groups that do not touch.
            let mut shown: std::collections::BTreeMap<usize, bool> = Default::default();
            for &i in &selected {
                let from = i.saturating_sub(before);
                let to = (i + after).min(all_lines.len().saturating_sub(1));
                for j in from..=to {
                    *shown.entry(j).or_insert(false) |= j == i;
                }
            }
            let mut last: Option<usize> = None;
            for (j, is_match) in shown {
                if last.is_some_and(|l| j > l + 1) {
                    out.push_str("--\n");
                }
                last = Some(j);
                let sep = if is_match { ':' } else { '-' };
                if multi {
                    out.push_str(label);
                    out.push(sep);
                }
                if o.has('n') {
                    out.push_str(&format!("{}{sep}", j + 1));
                }
                out.push_str(all_lines.get(j).copied().unwrap_or(""));
                out.push('\n');
            }
        }
        if o.has('c') {
            if multi {
                out.push_str(&format!("{label}:{count}\n"));
            } else {
                out.push_str(&format!("{count}\n"));
            }
        }
        if (o.has('l') && count > 0) || (o.has('L') && count == 0) {
            out.push_str(&format!("{label}\n"));
        }
    }
    io.out(&out);
    if failed && !o.has('q') {
        2
    } else if any {
        0
    } else {
        1
    }
}

fn is_wordc(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn regex_escape(s: &str, ere: bool) -> String {
    let mut o = String::new();
    for c in s.chars() {
        let special = if ere { ".[]\\*+?{}()|^$" } else { ".[]\\*^$" };
        if special.contains(c) {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

// ---------------------------------------------------------------- head / tail / wc / cut / tr

fn head_tail(
    head: bool,
    rest: &[String],
    stdin: &mut Stdin,
    host: &mut dyn Host,
    io: &mut Io,
) -> i32 {
    let cmd = if head { "head" } else { "tail" };
    // `-5` means `-n 5`; `+5` (tail) means from line 5.
    let mut args: Vec<String> = Vec::new();
    for a in rest {
        if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| c.is_ascii_digit()) {
            args.push("-n".to_string());
            args.push(a[1..].to_string());
        } else {
            args.push(a.clone());
        }
    }
    let long = [
        ("lines", 'n'),
        ("bytes", 'c'),
        ("quiet", 'q'),
        ("verbose", 'v'),
        ("follow", 'f'),
    ];
    let Some(o) = getopt(cmd, &args, "qvfF", "nc", &long, false, io) else {
        return 1;
    };
    let (spec, bytes) = match (o.last('n'), o.last('c')) {
        (_, Some(c))
            if o.flags
                .iter()
                .rev()
                .find(|(f, _)| *f == 'n' || *f == 'c')
                .is_some_and(|(f, _)| *f == 'c') =>
        {
            (c.to_string(), true)
        }
        (Some(n), _) => (n.to_string(), false),
        (None, Some(c)) => (c.to_string(), true),
        (None, None) => ("10".to_string(), false),
    };
    let from_start = spec.starts_with('+');
    let neg = spec.starts_with('-');
    let n: usize = match spec.trim_start_matches(['+', '-']).parse() {
        Ok(n) => n,
        Err(_) => {
            let what = if bytes { "bytes" } else { "lines" };
            io.err(&format!("{cmd}: invalid number of {what}: '{spec}'\n"));
            return 1;
        }
    };
    let (inputs, failed) = read_inputs(cmd, &o.operands, stdin, host, io);
    let show_names = (inputs.len() > 1 && !o.has('q')) || o.has('v');
    let mut out = String::new();
    for (k, (name, data)) in inputs.iter().enumerate() {
        if show_names {
            let label = if name == "-" {
                "standard input"
            } else {
                name.as_str()
            };
            if k > 0 {
                out.push('\n');
            }
            out.push_str(&format!("==> {label} <==\n"));
        }
        if bytes {
            let b: Vec<char> = data.chars().collect();
            let len = b.len();
            let (s, e) = if head {
                if neg {
                    (0, len.saturating_sub(n))
                } else {
                    (0, n.min(len))
                }
            } else if from_start {
                (n.saturating_sub(1).min(len), len)
            } else {
                (len.saturating_sub(n), len)
            };
            out.extend(b[s..e].iter());
            continue;
        }
        let pieces: Vec<&str> = data.split_inclusive('\n').collect();
        let len = pieces.len();
        let (s, e) = if head {
            if neg {
                (0, len.saturating_sub(n))
            } else {
                (0, n.min(len))
            }
        } else if from_start {
            (n.saturating_sub(1).min(len), len)
        } else {
            (len.saturating_sub(n), len)
        };
        for p in &pieces[s..e] {
            out.push_str(p);
        }
    }
    io.out(&out);
    i32::from(failed)
}

fn wc(rest: &[String], stdin: &mut Stdin, host: &mut dyn Host, io: &mut Io) -> i32 {
    let long = [
        ("lines", 'l'),
        ("words", 'w'),
        ("bytes", 'c'),
        ("chars", 'm'),
        ("max-line-length", 'L'),
    ];
    let Some(o) = getopt("wc", rest, "lwcmL", "", &long, false, io) else {
        return 1;
    };
    let mut which: Vec<char> = ['l', 'w', 'm', 'c', 'L']
        .into_iter()
        .filter(|c| o.has(*c))
        .collect();
    if which.is_empty() {
        which = vec!['l', 'w', 'c'];
    }
    let (inputs, failed) = read_inputs("wc", &o.operands, stdin, host, io);
    let count = |d: &str, c: char| -> usize {
        match c {
            'l' => d.matches('\n').count(),
            'w' => d.split_whitespace().count(),
            'm' => d.chars().count(),
            'c' => d.len(),
            _ => d.split('\n').map(|l| l.chars().count()).max().unwrap_or(0),
        }
    };
    let rows: Vec<(Vec<usize>, String)> = inputs
        .iter()
        .map(|(n, d)| {
            (
                which.iter().map(|c| count(d, *c)).collect(),
                if n == "-" && o.operands.is_empty() {
                    String::new()
                } else {
                    n.clone()
                },
            )
        })
        .collect();
    let mut totals = vec![0usize; which.len()];
    for (v, _) in &rows {
        for (t, x) in totals.iter_mut().zip(v) {
            *t += x;
        }
    }
    let from_stdin = o.operands.is_empty() || o.operands.iter().any(|f| f == "-");
    // GNU: one number alone is unpadded; stdin gets width 7; files get the width of the total bytes.
    let width = if which.len() == 1 && rows.len() == 1 {
        1
    } else if from_stdin {
        7
    } else {
        let bytes: usize = inputs.iter().map(|(_, d)| d.len()).sum();
        bytes.to_string().len().max(1)
    };
    let mut out = String::new();
    let line = |v: &[usize], name: &str| {
        let nums: Vec<String> = v.iter().map(|x| format!("{x:>width$}")).collect();
        let mut s = nums.join(" ");
        if !name.is_empty() {
            s.push(' ');
            s.push_str(name);
        }
        s.push('\n');
        s
    };
    for (v, n) in &rows {
        out.push_str(&line(v, n));
    }
    if rows.len() > 1 {
        out.push_str(&line(&totals, "total"));
    }
    io.out(&out);
    i32::from(failed)
}

/// Parses a cut LIST (`1,3-5,7-`) into inclusive 1-based ranges.
fn parse_list(s: &str) -> Option<Vec<(usize, usize)>> {
    let mut v = Vec::new();
    for part in s.split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (
                if a.is_empty() { 1 } else { a.parse().ok()? },
                if b.is_empty() {
                    usize::MAX
                } else {
                    b.parse().ok()?
                },
            ),
            None => {
                let n = part.parse().ok()?;
                (n, n)
            }
        };
        if a == 0 || b < a {
            return None;
        }
        v.push((a, b));
    }
    Some(v)
}

fn cut(rest: &[String], stdin: &mut Stdin, host: &mut dyn Host, io: &mut Io) -> i32 {
    let long = [
        ("delimiter", 'd'),
        ("fields", 'f'),
        ("characters", 'c'),
        ("bytes", 'b'),
        ("only-delimited", 's'),
    ];
    let Some(o) = getopt("cut", rest, "sn", "dfcb", &long, false, io) else {
        return 1;
    };
    let (list, fields) = match (o.last('f'), o.last('c').or(o.last('b'))) {
        (Some(f), None) => (f, true),
        (None, Some(c)) => (c, false),
        (Some(_), Some(_)) => {
            io.err(&format!(
                "cut: only one type of list may be specified\n{}",
                try_help("cut")
            ));
            return 1;
        }
        (None, None) => {
            io.err(&format!(
                "cut: you must specify a list of bytes, characters, or fields\n{}",
                try_help("cut")
            ));
            return 1;
        }
    };
    let Some(ranges) = parse_list(list) else {
        io.err(&format!(
            "cut: invalid field value '{list}'\n{}",
            try_help("cut")
        ));
        return 1;
    };
    let delim = match o.last('d') {
        None => '\t',
        Some(d) => {
            let mut cs = d.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => c,
                _ => {
                    io.err(&format!(
                        "cut: the delimiter must be a single character\n{}",
                        try_help("cut")
                    ));
                    return 1;
                }
            }
        }
    };
    let want = |i: usize| ranges.iter().any(|(a, b)| *a <= i && i <= *b);
    let (inputs, failed) = read_inputs("cut", &o.operands, stdin, host, io);
    let mut out = String::new();
    for (_, d) in &inputs {
        for l in lines(d) {
            if fields {
                if !l.contains(delim) {
                    if !o.has('s') {
                        out.push_str(l);
                        out.push('\n');
                    }
                    continue;
                }
                let picked: Vec<&str> = l
                    .split(delim)
                    .enumerate()
                    .filter(|(i, _)| want(i + 1))
                    .map(|(_, f)| f)
                    .collect();
                out.push_str(&picked.join(&delim.to_string()));
            } else {
                out.extend(
                    l.chars()
                        .enumerate()
                        .filter(|(i, _)| want(i + 1))
                        .map(|(_, c)| c),
                );
            }
            out.push('\n');
        }
    }
    io.out(&out);
    i32::from(failed)
}

/// Expands a tr SET: ranges, escapes, `[:class:]`, `[c*n]` is not supported.
fn tr_set(s: &str) -> Vec<char> {
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let classes = [
        "alpha", "digit", "alnum", "upper", "lower", "space", "blank", "punct", "xdigit", "print",
        "graph", "cntrl",
    ];
    while i < c.len() {
        if c[i] == '[' && c.get(i + 1) == Some(&':') {
            let rest: String = c[i + 2..].iter().collect();
            if let Some(end) = rest.find(":]") {
                let name = &rest[..end];
                if classes.contains(&name) {
                    out.extend(
                        (0u8..128)
                            .map(char::from)
                            .filter(|ch| crate::glob::class_name_matches(name, *ch)),
                    );
                    i += 2 + name.chars().count() + 2;
                    continue;
                }
            }
        }
        let ch = if c[i] == '\\' && i + 1 < c.len() {
            i += 1;
            match c[i] {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '\\' => '\\',
                o => o,
            }
        } else {
            c[i]
        };
        i += 1;
        if c.get(i) == Some(&'-') && i + 1 < c.len() {
            let hi = c[i + 1];
            i += 2;
            if hi >= ch {
                let (a, b) = (ch as u32, hi as u32);
                out.extend((a..=b.min(a + 65_536)).filter_map(char::from_u32));
            }
            continue;
        }
        out.push(ch);
    }
    out
}

fn tr(rest: &[String], stdin: &mut Stdin, io: &mut Io) -> i32 {
    let long = [
        ("delete", 'd'),
        ("squeeze-repeats", 's'),
        ("complement", 'c'),
    ];
    let Some(o) = getopt("tr", rest, "dscCt", "", &long, false, io) else {
        return 1;
    };
    let delete = o.has('d');
    let squeeze = o.has('s');
    let need = if delete && squeeze {
        2
    } else if delete || squeeze {
        1
    } else {
        2
    };
    if o.operands.len() < need {
        if o.operands.is_empty() {
            io.err(&format!("tr: missing operand\n{}", try_help("tr")));
        } else {
            io.err(&format!(
                "tr: missing operand after '{}'\nTwo strings must be given when translating.\n{}",
                o.operands[0],
                try_help("tr")
            ));
        }
        return 1;
    }
    let set1 = tr_set(&o.operands[0]);
    let set2 = o.operands.get(1).map(|s| tr_set(s)).unwrap_or_default();
    let comp = o.has('c') || o.has('C');
    let in1 = |c: char| set1.contains(&c) != comp;
    let input = stdin.take_all();
    let mut out = String::new();
    let mut last: Option<char> = None;
    for c in input.chars() {
        let mapped = if delete {
            if in1(c) {
                continue;
            }
            c
        } else if !squeeze || o.operands.len() > 1 {
            if in1(c) && !set2.is_empty() {
                if comp {
                    *set2.last().unwrap_or(&c)
                } else {
                    let idx = set1.iter().rposition(|x| *x == c).unwrap_or(0);
                    *set2.get(idx).or(set2.last()).unwrap_or(&c)
                }
            } else {
                c
            }
        } else {
            c
        };
        if squeeze {
            let sq_set = if o.operands.len() > 1 || delete {
                &set2
            } else {
                &set1
            };
            let in_sq = if std::ptr::eq(sq_set, &set1) {
                in1(mapped)
            } else {
                sq_set.contains(&mapped)
            };
            if in_sq && last == Some(mapped) {
                continue;
            }
        }
        last = Some(mapped);
        out.push(mapped);
    }
    io.out(&out);
    0
}

// ---------------------------------------------------------------- sed

#[derive(Debug, Clone)]
enum Addr {
    Line(usize),
    Last,
    Re(Regex),
}

#[derive(Debug, Clone)]
enum SedCmd {
    Subst {
        re: Regex,
        rep: String,
        global: bool,
        nth: usize,
        print: bool,
    },
    Print,
    Delete,
    Quit,
    LineNo,
    Append(String),
    Insert(String),
    Change(String),
    Translit(Vec<char>, Vec<char>),
}

#[derive(Debug, Clone)]
struct SedItem {
    a1: Option<Addr>,
    a2: Option<Addr>,
    negate: bool,
    cmd: SedCmd,
}

fn sed_err(n: usize, pos: usize, msg: &str) -> String {
    format!("sed: -e expression #{n}, char {pos}: {msg}\n")
}

/// Reads text up to an unescaped `delim`; returns (text, index after delim).
fn sed_delimited(c: &[char], mut i: usize, delim: char) -> Option<(String, usize)> {
    let mut s = String::new();
    while i < c.len() {
        if c[i] == '\\' && i + 1 < c.len() {
            if c[i + 1] == delim {
                s.push(delim);
            } else if c[i + 1] == 'n' {
                s.push('\\');
                s.push('n');
            } else {
                s.push('\\');
                s.push(c[i + 1]);
            }
            i += 2;
            continue;
        }
        if c[i] == delim {
            return Some((s, i + 1));
        }
        s.push(c[i]);
        i += 1;
    }
    None
}

fn parse_sed(script: &str, n: usize, ere: bool) -> Result<Vec<SedItem>, String> {
    let c: Vec<char> = script.chars().collect();
    let mut i = 0;
    let mut items = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < c.len() && (c[*i] == ' ' || c[*i] == '\t') {
            *i += 1;
        }
    };
    let addr = |i: &mut usize| -> Result<Option<Addr>, String> {
        match c.get(*i) {
            Some(d) if d.is_ascii_digit() => {
                let st = *i;
                while *i < c.len() && c[*i].is_ascii_digit() {
                    *i += 1;
                }
                let s: String = c[st..*i].iter().collect();
                Ok(Some(Addr::Line(s.parse().unwrap_or(0))))
            }
            Some('$') => {
                *i += 1;
                Ok(Some(Addr::Last))
            }
            Some('/') | Some('\\') => {
                let delim = if c[*i] == '\\' {
                    *i += 1;
                    c.get(*i).copied().unwrap_or('/')
                } else {
                    '/'
                };
                let (re, end) = sed_delimited(&c, *i + 1, delim)
                    .ok_or_else(|| sed_err(n, c.len(), "unterminated address regex"))?;
                *i = end;
                let mut icase = false;
                if c.get(*i) == Some(&'I') {
                    icase = true;
                    *i += 1;
                }
                let r = Regex::new(&re, ere, icase).map_err(|e| sed_err(n, *i, &e))?;
                Ok(Some(Addr::Re(r)))
            }
            _ => Ok(None),
        }
    };
    loop {
        while i < c.len() && (c[i].is_whitespace() || c[i] == ';') {
            i += 1;
        }
        if i >= c.len() {
            break;
        }
        let a1 = addr(&mut i)?;
        let mut a2 = None;
        if a1.is_some() && c.get(i) == Some(&',') {
            i += 1;
            a2 = addr(&mut i)?;
            if a2.is_none() {
                return Err(sed_err(n, i, "unexpected `,'"));
            }
        }
        skip_ws(&mut i);
        let mut negate = false;
        if c.get(i) == Some(&'!') {
            negate = true;
            i += 1;
            skip_ws(&mut i);
        }
        let Some(&cmd) = c.get(i) else {
            return Err(sed_err(n, i, "missing command"));
        };
        i += 1;
        let text_arg = |i: &mut usize| -> String {
            if c.get(*i) == Some(&'\\') {
                *i += 1;
                if c.get(*i) == Some(&'\n') {
                    *i += 1;
                }
            }
            while *i < c.len() && (c[*i] == ' ' || c[*i] == '\t') {
                *i += 1;
            }
            let st = *i;
            while *i < c.len() && c[*i] != '\n' {
                *i += 1;
            }
            c[st..*i].iter().collect()
        };
        let cmd = match cmd {
            's' => {
                let Some(&delim) = c.get(i) else {
                    return Err(sed_err(n, i, "unterminated `s' command"));
                };
                let (pat, e1) = sed_delimited(&c, i + 1, delim)
                    .ok_or_else(|| sed_err(n, c.len(), "unterminated `s' command"))?;
                let (rep, e2) = sed_delimited(&c, e1, delim)
                    .ok_or_else(|| sed_err(n, c.len(), "unterminated `s' command"))?;
                i = e2;
                let (mut global, mut nth, mut print, mut icase) = (false, 1usize, false, false);
                while let Some(&f) = c.get(i) {
                    match f {
                        'g' => global = true,
                        'p' => print = true,
                        'i' | 'I' => icase = true,
                        d if d.is_ascii_digit() => nth = d.to_digit(10).unwrap_or(1) as usize,
                        ';' | '\n' | ' ' | '}' => break,
                        _ => return Err(sed_err(n, i + 1, "unknown option to `s'")),
                    }
                    i += 1;
                }
                let re = Regex::new(&pat, ere, icase).map_err(|e| sed_err(n, i, &e))?;
                SedCmd::Subst {
                    re,
                    rep,
                    global,
                    nth: nth.max(1),
                    print,
                }
            }
            'y' => {
                let Some(&delim) = c.get(i) else {
                    return Err(sed_err(n, i, "unterminated `y' command"));
                };
                let (a, e1) = sed_delimited(&c, i + 1, delim)
                    .ok_or_else(|| sed_err(n, c.len(), "unterminated `y' command"))?;
                let (b, e2) = sed_delimited(&c, e1, delim)
                    .ok_or_else(|| sed_err(n, c.len(), "unterminated `y' command"))?;
                i = e2;
                let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                if a.len() != b.len() {
                    return Err(sed_err(
                        n,
                        i,
                        "strings for `y' command are different lengths",
                    ));
                }
                SedCmd::Translit(a, b)
            }
            'p' => SedCmd::Print,
            'd' => SedCmd::Delete,
            'q' => SedCmd::Quit,
            '=' => SedCmd::LineNo,
            'a' => SedCmd::Append(text_arg(&mut i)),
            'i' => SedCmd::Insert(text_arg(&mut i)),
            'c' => SedCmd::Change(text_arg(&mut i)),
            other => return Err(sed_err(n, i, &format!("unknown command: `{other}'"))),
        };
        items.push(SedItem {
            a1,
            a2,
            negate,
            cmd,
        });
    }
    Ok(items)
}

fn sed_replace(rep: &str, t: &[char], caps: &crate::regex::Captures) -> String {
    let r: Vec<char> = rep.chars().collect();
    let mut o = String::new();
    let mut i = 0;
    let group = |k: usize| -> String {
        caps.get(k)
            .copied()
            .flatten()
            .map(|(a, b)| t.get(a..b).unwrap_or(&[]).iter().collect())
            .unwrap_or_default()
    };
    while i < r.len() {
        match r[i] {
            '&' => o.push_str(&group(0)),
            '\\' if i + 1 < r.len() => {
                i += 1;
                match r[i] {
                    d @ '0'..='9' => o.push_str(&group(d as usize - '0' as usize)),
                    'n' => o.push('\n'),
                    't' => o.push('\t'),
                    other => o.push(other),
                }
            }
            other => o.push(other),
        }
        i += 1;
    }
    o
}

fn sed(rest: &[String], stdin: &mut Stdin, host: &mut dyn Host, io: &mut Io) -> i32 {
    let long = [
        ("quiet", 'n'),
        ("silent", 'n'),
        ("expression", 'e'),
        ("regexp-extended", 'E'),
        ("in-place", 'i'),
    ];
    let Some(o) = getopt("sed", rest, "nErsiu", "ef", &long, false, io) else {
        return 1;
    };
    let mut operands = o.operands.clone();
    let mut scripts: Vec<String> = o.all('e').iter().map(|s| s.to_string()).collect();
    if scripts.is_empty() {
        if operands.is_empty() {
            io.err("Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n\n");
            return 1;
        }
        scripts.push(operands.remove(0));
    }
    let ere = o.has('E') || o.has('r');
    let mut prog = Vec::new();
    for (k, s) in scripts.iter().enumerate() {
        match parse_sed(s, k + 1, ere) {
            Ok(mut v) => prog.append(&mut v),
            Err(e) => {
                io.err(&e);
                return 1;
            }
        }
    }
    let quiet = o.has('n');
    let in_place = o.has('i');
    let (inputs, failed) = read_inputs("sed", &operands, stdin, host, io);
    // Without -i all inputs form one stream (line numbers and `$` span files).
    let streams: Vec<(String, String)> = if in_place {
        inputs
    } else {
        vec![(
            "-".to_string(),
            inputs.into_iter().map(|(_, d)| d).collect(),
        )]
    };
    for (name, data) in streams {
        let ls = lines(&data);
        let last_nl = data.ends_with('\n');
        let mut out = String::new();
        let mut active = vec![false; prog.len()];
        let total = ls.len();
        'lines: for (idx, line) in ls.iter().enumerate() {
            let ln = idx + 1;
            let is_last = ln == total;
            let mut space = line.to_string();
            let mut append = String::new();
            let mut deleted = false;
            let mut quit = false;
            let matches_addr = |a: &Addr, s: &str| match a {
                Addr::Line(n) => *n == ln,
                Addr::Last => is_last,
                Addr::Re(r) => r.is_match(s),
            };
            for (k, it) in prog.iter().enumerate() {
                let sel = match (&it.a1, &it.a2) {
                    (None, _) => true,
                    (Some(a), None) => matches_addr(a, &space),
                    (Some(a), Some(b)) => {
                        if active[k] {
                            let end = match b {
                                Addr::Line(n) => ln >= *n,
                                _ => matches_addr(b, &space),
                            };
                            if end {
                                active[k] = false;
                            }
                            true
                        } else if matches_addr(a, &space) {
                            let end_now = matches!(b, Addr::Line(n) if *n <= ln);
                            active[k] = !end_now;
                            true
                        } else {
                            false
                        }
                    }
                };
                if sel == it.negate {
                    continue;
                }
                match &it.cmd {
                    SedCmd::Subst {
                        re,
                        rep,
                        global,
                        nth,
                        print,
                    } => {
                        let t: Vec<char> = space.chars().collect();
                        let mut res = String::new();
                        let mut pos = 0;
                        let mut count = 0;
                        let mut did = false;
                        while pos <= t.len() {
                            let Some((a, b, caps)) = re.find_at(&t, pos) else {
                                break;
                            };
                            count += 1;
                            if count >= *nth {
                                res.extend(t[pos..a].iter());
                                res.push_str(&sed_replace(rep, &t, &caps));
                                did = true;
                            } else {
                                res.extend(t[pos..b].iter());
                            }
                            if b == a {
                                if let Some(ch) = t.get(a) {
                                    res.push(*ch);
                                }
                                pos = a + 1;
                            } else {
                                pos = b;
                            }
                            if did && !global {
                                break;
                            }
                        }
                        if did {
                            if pos < t.len() {
                                res.extend(t[pos..].iter());
                            }
                            space = res;
                            if *print {
                                out.push_str(&space);
                                out.push('\n');
                            }
                        }
                    }
                    SedCmd::Print => {
                        out.push_str(&space);
                        out.push('\n');
                    }
                    SedCmd::Delete => {
                        deleted = true;
                        break;
                    }
                    SedCmd::Quit => {
                        quit = true;
                        break;
                    }
                    SedCmd::LineNo => out.push_str(&format!("{ln}\n")),
                    SedCmd::Append(t) => {
                        append.push_str(t);
                        append.push('\n');
                    }
                    SedCmd::Insert(t) => {
                        out.push_str(t);
                        out.push('\n');
                    }
                    SedCmd::Change(t) => {
                        out.push_str(t);
                        out.push('\n');
                        deleted = true;
                        break;
                    }
                    SedCmd::Translit(a, b) => {
                        space = space
                            .chars()
                            .map(|ch| {
                                a.iter()
                                    .position(|x| *x == ch)
                                    .and_then(|p| b.get(p).copied())
                                    .unwrap_or(ch)
                            })
                            .collect();
                    }
                }
            }
            if !deleted && !quiet {
                out.push_str(&space);
                if !is_last || last_nl {
                    out.push('\n');
                }
            }
            out.push_str(&append);
            if quit {
                break 'lines;
            }
        }
        if in_place && name != "-" {
            if let Err(e) = host.write_file(&name, &out, false) {
                io.err(&file_error("sed", &name, &e));
                return 4;
            }
        } else {
            io.out(&out);
        }
    }
    i32::from(failed) * 2
}

// ---------------------------------------------------------------- expr

fn expr(args: &[String], io: &mut Io) -> i32 {
    fn num(s: &str) -> Option<i64> {
        s.parse().ok()
    }
    struct E<'a> {
        a: &'a [String],
        i: usize,
        err: Option<String>,
    }
    impl E<'_> {
        fn peek(&self) -> Option<&str> {
            self.a.get(self.i).map(String::as_str)
        }
        fn or(&mut self) -> String {
            let mut l = self.and();
            while self.peek() == Some("|") {
                self.i += 1;
                let r = self.and();
                if l.is_empty() || l == "0" {
                    l = r;
                }
            }
            l
        }
        fn and(&mut self) -> String {
            let mut l = self.cmp();
            while self.peek() == Some("&") {
                self.i += 1;
                let r = self.cmp();
                if l.is_empty() || l == "0" || r.is_empty() || r == "0" {
                    l = "0".to_string();
                }
            }
            l
        }
        fn cmp(&mut self) -> String {
            let mut l = self.add();
            while let Some(op) = self
                .peek()
                .filter(|o| matches!(*o, "=" | "!=" | "<" | "<=" | ">" | ">="))
                .map(str::to_string)
            {
                self.i += 1;
                let r = self.add();
                let ord = match (num(&l), num(&r)) {
                    (Some(a), Some(b)) => a.cmp(&b),
                    _ => l.cmp(&r),
                };
                let v = match op.as_str() {
                    "=" => ord.is_eq(),
                    "!=" => !ord.is_eq(),
                    "<" => ord.is_lt(),
                    "<=" => ord.is_le(),
                    ">" => ord.is_gt(),
                    _ => ord.is_ge(),
                };
                l = i32::from(v).to_string();
            }
            l
        }
        fn add(&mut self) -> String {
            let mut l = self.mul();
            while let Some(op) = self
                .peek()
                .filter(|o| matches!(*o, "+" | "-"))
                .map(str::to_string)
            {
                self.i += 1;
                let r = self.mul();
                match (num(&l), num(&r)) {
                    (Some(a), Some(b)) => {
                        l = if op == "+" {
                            a.wrapping_add(b)
                        } else {
                            a.wrapping_sub(b)
                        }
                        .to_string();
                    }
                    _ => {
                        self.err
                            .get_or_insert_with(|| "non-integer argument".to_string());
                    }
                }
            }
            l
        }
        fn mul(&mut self) -> String {
            let mut l = self.prim();
            while let Some(op) = self
                .peek()
                .filter(|o| matches!(*o, "*" | "/" | "%"))
                .map(str::to_string)
            {
                self.i += 1;
                let r = self.prim();
                match (num(&l), num(&r)) {
                    (Some(_), Some(0)) if op != "*" => {
                        self.err
                            .get_or_insert_with(|| "division by zero".to_string());
                    }
                    (Some(a), Some(b)) => {
                        l = match op.as_str() {
                            "*" => a.wrapping_mul(b),
                            "/" => a.wrapping_div(b),
                            _ => a.wrapping_rem(b),
                        }
                        .to_string();
                    }
                    _ => {
                        self.err
                            .get_or_insert_with(|| "non-integer argument".to_string());
                    }
                }
            }
            l
        }
        fn prim(&mut self) -> String {
            match self.peek().map(str::to_string) {
                Some(p) if p == "(" => {
                    self.i += 1;
                    let v = self.or();
                    if self.peek() == Some(")") {
                        self.i += 1;
                    } else {
                        self.err
                            .get_or_insert_with(|| "syntax error: expecting ')'".to_string());
                    }
                    v
                }
                Some(p) if p == "length" => {
                    self.i += 1;
                    let v = self.prim();
                    v.chars().count().to_string()
                }
                Some(p) => {
                    self.i += 1;
                    p
                }
                None => {
                    self.err.get_or_insert_with(|| {
                        "syntax error: missing argument after ‘".to_string()
                    });
                    String::new()
                }
            }
        }
    }
    if args.is_empty() {
        io.err(&format!("expr: missing operand\n{}", try_help("expr")));
        return 2;
    }
    let mut e = E {
        a: args,
        i: 0,
        err: None,
    };
    let v = e.or();
    if e.err.is_none() && e.i < args.len() {
        e.err = Some(format!("syntax error: unexpected argument '{}'", args[e.i]));
    }
    if let Some(err) = e.err {
        io.err(&format!("expr: {err}\n"));
        return 2;
    }
    io.out(&format!("{v}\n"));
    i32::from(v.is_empty() || v == "0")
}

pub(crate) use crate::awk::awk;
