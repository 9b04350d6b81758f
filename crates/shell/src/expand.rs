//! Word expansion: tilde, parameters, command substitution, arithmetic, quote removal and field
//! splitting on IFS. Globbing is deliberately not done (words with `*` stay literal).
//!
//! Works on the raw word text kept by the parser. Errors are the text after `sh: ` (busybox
//! wording); the command that needed the expansion then fails with status 2.

use crate::parse::{skip_backtick, skip_brace_pub, skip_paren_pub, skip_squote};
use crate::{glob, Host, Io, Shell};

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    /// Text not subject to field splitting (quoted or literal).
    Lit(String),
    /// Result of an unquoted expansion: split on IFS.
    Split(String),
    /// Field boundary from `"$@"`.
    Break,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A command word: quotes removed, unquoted expansions split.
    Word,
    /// A `case`/`${v#...}` pattern: quoted text is escaped so it matches literally.
    Pattern,
    /// A heredoc body: quotes are ordinary characters.
    HereDoc,
}

pub type ExpResult<T> = Result<T, String>;

fn bad_subst() -> String {
    "syntax error: bad substitution".to_string()
}

impl Shell {
    /// Expands command words into fields.
    pub(crate) fn expand_words(
        &mut self,
        raws: &[String],
        host: &mut dyn Host,
        io: &mut Io,
    ) -> ExpResult<Vec<String>> {
        let mut out = Vec::new();
        for raw in raws {
            let segs = self.segments(raw, Mode::Word, host, io)?;
            self.split_fields(segs, &mut out);
        }
        Ok(out)
    }

    /// Expands a word to one string without field splitting (assignments, redirection targets,
    /// `case` words).
    pub(crate) fn expand_string(
        &mut self,
        raw: &str,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> ExpResult<String> {
        let segs = self.segments(raw, Mode::Word, host, io)?;
        Ok(join(segs))
    }

    /// Expands a pattern (quoted parts match literally).
    pub(crate) fn expand_pattern(
        &mut self,
        raw: &str,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> ExpResult<String> {
        let segs = self.segments(raw, Mode::Pattern, host, io)?;
        Ok(join(segs))
    }

    /// Expands an unquoted heredoc body.
    pub(crate) fn expand_heredoc(
        &mut self,
        body: &str,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> ExpResult<String> {
        let segs = self.segments(body, Mode::HereDoc, host, io)?;
        Ok(join(segs))
    }

    fn split_fields(&self, segs: Vec<Seg>, out: &mut Vec<String>) {
        let ifs = self.env.get("IFS").unwrap_or(" \t\n").to_string();
        let mut cur = String::new();
        let mut exists = false;
        for seg in segs {
            match seg {
                Seg::Lit(s) => {
                    cur.push_str(&s);
                    exists = true;
                }
                Seg::Break => {
                    out.push(std::mem::take(&mut cur));
                    exists = false;
                }
                Seg::Split(s) => {
                    for c in s.chars() {
                        if ifs.contains(c) {
                            if c.is_whitespace() {
                                if exists {
                                    out.push(std::mem::take(&mut cur));
                                    exists = false;
                                }
                            } else {
                                out.push(std::mem::take(&mut cur));
                                exists = false;
                            }
                        } else {
                            cur.push(c);
                            exists = true;
                        }
                    }
                }
            }
        }
        if exists {
            out.push(cur);
        }
    }

    fn segments(
        &mut self,
        raw: &str,
        mode: Mode,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> ExpResult<Vec<Seg>> {
        let s: Vec<char> = raw.chars().collect();
        let mut out = Vec::new();
        let mut i = 0;
        let lit = |out: &mut Vec<Seg>, text: &str, quoted: bool| {
            if quoted && mode == Mode::Pattern {
                out.push(Seg::Lit(glob::escape(text)));
            } else {
                out.push(Seg::Lit(text.to_string()));
            }
        };
        if mode != Mode::HereDoc && s.first() == Some(&'~') {
            let end = s.iter().position(|c| *c == '/').unwrap_or(s.len());
            if end == 1 {
                if let Some(home) = self.env.get("HOME") {
                    let home = home.to_string();
                    lit(&mut out, &home, true);
                    i = 1;
                }
            }
        }
        while i < s.len() {
            let c = s[i];
            if mode == Mode::HereDoc {
                match c {
                    '\\' => {
                        match s.get(i + 1) {
                            Some('\n') => {}
                            Some(n @ ('$' | '`' | '\\')) => lit(&mut out, &n.to_string(), true),
                            _ => {
                                lit(&mut out, "\\", true);
                                i += 1;
                                continue;
                            }
                        }
                        i += 2;
                    }
                    '$' => i = self.dollar(&s, i, true, mode, &mut out, host, io)?,
                    '`' => i = self.backtick(&s, i, true, mode, &mut out, host, io)?,
                    _ => {
                        lit(&mut out, &c.to_string(), true);
                        i += 1;
                    }
                }
                continue;
            }
            match c {
                '\'' => {
                    let end = skip_squote(&s, i + 1).map_err(|e| e.message().to_string())?;
                    let text: String = s[i + 1..end - 1].iter().collect();
                    lit(&mut out, &text, true);
                    i = end;
                }
                '"' => {
                    i += 1;
                    let mut had_at = false;
                    let mut buf = String::new();
                    loop {
                        let Some(&d) = s.get(i) else {
                            return Err("syntax error: unterminated quoted string".to_string());
                        };
                        match d {
                            '"' => {
                                i += 1;
                                break;
                            }
                            '\\' => {
                                match s.get(i + 1) {
                                    Some('\n') => {}
                                    Some(n @ ('$' | '`' | '"' | '\\')) => buf.push(*n),
                                    Some(n) => {
                                        buf.push('\\');
                                        buf.push(*n);
                                    }
                                    None => buf.push('\\'),
                                }
                                i += 2;
                            }
                            '$' | '`' => {
                                if !buf.is_empty() {
                                    lit(&mut out, &std::mem::take(&mut buf), true);
                                }
                                if d == '$' && s.get(i + 1) == Some(&'@') {
                                    had_at = true;
                                }
                                i = if d == '$' {
                                    self.dollar(&s, i, true, mode, &mut out, host, io)?
                                } else {
                                    self.backtick(&s, i, true, mode, &mut out, host, io)?
                                };
                            }
                            _ => {
                                buf.push(d);
                                i += 1;
                            }
                        }
                    }
                    if !buf.is_empty() || !had_at {
                        lit(&mut out, &buf, true);
                    }
                }
                '\\' => {
                    match s.get(i + 1) {
                        Some('\n') => {}
                        Some(n) => lit(&mut out, &n.to_string(), true),
                        None => lit(&mut out, "\\", true),
                    }
                    i += 2;
                }
                '$' => i = self.dollar(&s, i, false, mode, &mut out, host, io)?,
                '`' => i = self.backtick(&s, i, false, mode, &mut out, host, io)?,
                _ => {
                    let st = i;
                    while i < s.len() && !matches!(s[i], '\'' | '"' | '\\' | '$' | '`') {
                        i += 1;
                    }
                    let text: String = s[st..i].iter().collect();
                    lit(&mut out, &text, false);
                }
            }
        }
        Ok(out)
    }

    fn push_value(&self, value: String, quoted: bool, mode: Mode, out: &mut Vec<Seg>) {
        if quoted {
            if mode == Mode::Pattern {
                out.push(Seg::Lit(glob::escape(&value)));
            } else {
                out.push(Seg::Lit(value));
            }
        } else if mode == Mode::Word {
            out.push(Seg::Split(value));
        } else {
            out.push(Seg::Lit(value));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn backtick(
        &mut self,
        s: &[char],
        i: usize,
        quoted: bool,
        mode: Mode,
        out: &mut Vec<Seg>,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> ExpResult<usize> {
        let end = skip_backtick(s, i + 1).map_err(|e| e.message().to_string())?;
        let inner = &s[i + 1..end - 1];
        let mut src = String::new();
        let mut k = 0;
        while k < inner.len() {
            if inner[k] == '\\' {
                if let Some(n @ ('$' | '`' | '\\')) = inner.get(k + 1) {
                    src.push(*n);
                    k += 2;
                    continue;
                }
            }
            src.push(inner[k]);
            k += 1;
        }
        let v = self.command_subst(&src, host, io);
        self.push_value(v, quoted, mode, out);
        Ok(end)
    }

    #[allow(clippy::too_many_arguments)]
    fn dollar(
        &mut self,
        s: &[char],
        i: usize,
        quoted: bool,
        mode: Mode,
        out: &mut Vec<Seg>,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> ExpResult<usize> {
        let perr = |e: crate::parse::ParseError| e.message().to_string();
        match s.get(i + 1) {
            Some('(') => {
                if s.get(i + 2) == Some(&'(') {
                    // `$((expr))`, unless the inner parens close early (then it is `$( (cmd) )`).
                    if let Ok(inner_end) = skip_paren_pub(s, i + 3) {
                        if s.get(inner_end) == Some(&')') {
                            let expr: String = s[i + 3..inner_end - 1].iter().collect();
                            let expanded = self.expand_heredoc(&expr, host, io)?;
                            let v = crate::arith::eval(&expanded, &mut self.env)?;
                            self.push_value(v.to_string(), quoted, mode, out);
                            return Ok(inner_end + 1);
                        }
                    }
                }
                let end = skip_paren_pub(s, i + 2).map_err(perr)?;
                let src: String = s[i + 2..end - 1].iter().collect();
                let v = self.command_subst(&src, host, io);
                self.push_value(v, quoted, mode, out);
                Ok(end)
            }
            Some('{') => {
                let end = skip_brace_pub(s, i + 2).map_err(perr)?;
                let inner: String = s[i + 2..end - 1].iter().collect();
                self.brace_param(&inner, quoted, mode, out, host, io)?;
                Ok(end)
            }
            Some('@') if quoted && mode == Mode::Word => {
                let params = self.env.positional.clone();
                for (k, p) in params.into_iter().enumerate() {
                    if k > 0 {
                        out.push(Seg::Break);
                    }
                    out.push(Seg::Lit(p));
                }
                Ok(i + 2)
            }
            Some(&c)
                if matches!(c, '?' | '#' | '@' | '*' | '$' | '!' | '-') || c.is_ascii_digit() =>
            {
                let v = self.env.param(&c.to_string()).unwrap_or_default();
                self.push_value(v, quoted, mode, out);
                Ok(i + 2)
            }
            Some(&c) if c == '_' || c.is_ascii_alphabetic() => {
                let mut j = i + 1;
                while j < s.len() && (s[j] == '_' || s[j].is_ascii_alphanumeric()) {
                    j += 1;
                }
                let name: String = s[i + 1..j].iter().collect();
                let v = self.lookup(&name)?;
                self.push_value(v.unwrap_or_default(), quoted, mode, out);
                Ok(j)
            }
            _ => {
                self.push_value("$".to_string(), true, mode, out);
                Ok(i + 1)
            }
        }
    }

    fn lookup(&self, name: &str) -> ExpResult<Option<String>> {
        let v = self.env.param(name);
        if v.is_none() && self.options.nounset && !matches!(name, "@" | "*") {
            return Err(format!("{name}: parameter not set"));
        }
        Ok(v)
    }

    fn brace_param(
        &mut self,
        inner: &str,
        quoted: bool,
        mode: Mode,
        out: &mut Vec<Seg>,
        host: &mut dyn Host,
        io: &mut Io,
    ) -> ExpResult<()> {
        // bash arrays: `${#A[@]}`, `${A[@]}`, `${A[N]}` (see `readarray`).
        if let Some((name, idx)) = inner.strip_suffix(']').and_then(|s| s.split_once('[')) {
            let (count, name) = match name.strip_prefix('#') {
                Some(n) => (true, n),
                None => (false, name),
            };
            if is_param_name(name) {
                let items = self.env.array(name);
                let v = match (count, idx) {
                    (true, "@" | "*") => items.len().to_string(),
                    (false, "@" | "*") => items.join(" "),
                    (c, i) => {
                        let n: usize = i.trim().parse().map_err(|_| bad_subst())?;
                        let item = items.get(n).cloned().unwrap_or_default();
                        if c {
                            item.chars().count().to_string()
                        } else {
                            item
                        }
                    }
                };
                self.push_value(v, quoted, mode, out);
                return Ok(());
            }
        }
        if let Some(name) = inner.strip_prefix('#') {
            if !name.is_empty() && is_param_name(name) {
                let v = self.lookup(name)?.unwrap_or_default();
                self.push_value(v.chars().count().to_string(), quoted, mode, out);
                return Ok(());
            }
        }
        let name_len = if inner
            .chars()
            .next()
            .is_some_and(|c| matches!(c, '?' | '#' | '@' | '*' | '$' | '!' | '-'))
        {
            1
        } else if inner.starts_with(|c: char| c.is_ascii_digit()) {
            inner.chars().take_while(|c| c.is_ascii_digit()).count()
        } else {
            inner
                .chars()
                .take_while(|c| *c == '_' || c.is_ascii_alphanumeric())
                .count()
        };
        if name_len == 0 {
            return Err(bad_subst());
        }
        let name = &inner[..name_len];
        let rest = &inner[name_len..];
        let value = self.env.param(name);
        if rest.is_empty() {
            if name == "@" && quoted && mode == Mode::Word {
                let params = self.env.positional.clone();
                for (k, p) in params.into_iter().enumerate() {
                    if k > 0 {
                        out.push(Seg::Break);
                    }
                    out.push(Seg::Lit(p));
                }
                return Ok(());
            }
            let v = self.lookup(name)?.unwrap_or_default();
            self.push_value(v, quoted, mode, out);
            return Ok(());
        }
        let (op, word) = [
            ":-", ":=", ":+", ":?", "##", "%%", "-", "=", "+", "?", "#", "%",
        ]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|w| (*op, w)))
        .ok_or_else(bad_subst)?;
        let colon = op.starts_with(':');
        let is_unset = value.is_none() || (colon && value.as_deref() == Some(""));
        match op.trim_start_matches(':') {
            "-" => {
                let v = if is_unset {
                    self.expand_string(word, host, io)?
                } else {
                    value.unwrap_or_default()
                };
                self.push_value(v, quoted, mode, out);
            }
            "=" => {
                let v = if is_unset {
                    let v = self.expand_string(word, host, io)?;
                    if !crate::parse::is_name(name) {
                        return Err(format!("{name}: bad variable name"));
                    }
                    self.env.set(name, &v);
                    v
                } else {
                    value.unwrap_or_default()
                };
                self.push_value(v, quoted, mode, out);
            }
            "+" => {
                let v = if is_unset {
                    String::new()
                } else {
                    self.expand_string(word, host, io)?
                };
                self.push_value(v, quoted, mode, out);
            }
            "?" => {
                if is_unset {
                    let msg = self.expand_string(word, host, io)?;
                    let msg = if msg.is_empty() {
                        "parameter not set".to_string()
                    } else {
                        msg
                    };
                    return Err(format!("{name}: {msg}"));
                }
                self.push_value(value.unwrap_or_default(), quoted, mode, out);
            }
            "#" | "##" | "%" | "%%" => {
                let pat = self.expand_pattern(word, host, io)?;
                let v = value.unwrap_or_default();
                let r = match op {
                    "#" => glob::strip_prefix(&v, &pat, false),
                    "##" => glob::strip_prefix(&v, &pat, true),
                    "%" => glob::strip_suffix(&v, &pat, false),
                    _ => glob::strip_suffix(&v, &pat, true),
                };
                self.push_value(r, quoted, mode, out);
            }
            _ => return Err(bad_subst()),
        }
        Ok(())
    }
}

fn is_param_name(s: &str) -> bool {
    crate::parse::is_name(s)
        || s.chars().all(|c| c.is_ascii_digit())
        || matches!(s, "?" | "#" | "@" | "*" | "$" | "!" | "-")
}

fn join(segs: Vec<Seg>) -> String {
    let mut s = String::new();
    for seg in segs {
        match seg {
            Seg::Lit(t) | Seg::Split(t) => s.push_str(&t),
            Seg::Break => s.push(' '),
        }
    }
    s
}
