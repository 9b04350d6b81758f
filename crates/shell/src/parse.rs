//! Lexer and parser: source text to an AST of lists, pipelines and commands.
//!
//! Words keep their raw source text (quotes included); `expand` interprets them when the command
//! runs, so `$(...)` bodies are parsed only when executed. The lexer must find where each word
//! ends, so it understands quoting and nesting well enough to tell "incomplete" (more lines could
//! finish it) from a real syntax error. It must never panic or recurse without bound.

/// Why parsing failed. `Incomplete` means more input could make it valid (the terminal asks for a
/// continuation line); `Syntax` cannot be fixed by appending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    Incomplete(String),
    Syntax(String),
}

impl ParseError {
    /// The text after `sh: syntax error: `.
    pub fn message(&self) -> &str {
        match self {
            ParseError::Incomplete(m) | ParseError::Syntax(m) => m,
        }
    }
}

type PResult<T> = Result<T, ParseError>;

/// Deepest nesting of compound commands the parser accepts.
const MAX_NEST: u32 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirOp {
    /// `<`
    In,
    /// `>` or `>|`
    Out,
    /// `>>`
    Append,
    /// `>&` (target is a fd number or `-`)
    DupOut,
    /// `<&`
    DupIn,
    /// `<>`
    ReadWrite,
    /// `&>` (stdout and stderr to a file)
    OutErr,
    /// `&>>`
    AppendErr,
    /// `<<` / `<<-` with its body (already tab-stripped) and whether it expands.
    HereDoc { body: String, expand: bool },
    /// `<<<`
    HereString,
}

#[derive(Debug, Clone)]
pub struct Redir {
    pub fd: i32,
    pub op: RedirOp,
    /// Raw target word (empty for heredocs).
    pub target: String,
}

#[derive(Debug, Clone)]
pub enum CommandKind {
    Simple {
        assigns: Vec<(String, String)>,
        words: Vec<String>,
    },
    Group(List),
    Subshell(List),
    If {
        branches: Vec<(List, List)>,
        otherwise: Option<List>,
    },
    Loop {
        until: bool,
        cond: List,
        body: List,
    },
    For {
        var: String,
        items: Option<Vec<String>>,
        body: List,
    },
    Case {
        word: String,
        arms: Vec<(Vec<String>, List)>,
    },
    FuncDef {
        name: String,
        body: std::rc::Rc<Command>,
    },
}

#[derive(Debug, Clone)]
pub struct Command {
    pub kind: CommandKind,
    pub redirs: Vec<Redir>,
    /// The line of the program it starts on (1-based): dash names it in its errors
    /// (`sh: 3: foo: not found`).
    pub line: u32,
}

#[derive(Debug, Clone)]
pub struct Pipeline {
    pub negate: bool,
    pub cmds: Vec<Command>,
}

#[derive(Debug, Clone)]
pub struct AndOr {
    pub first: Pipeline,
    /// `(true for &&, pipeline)`
    pub rest: Vec<(bool, Pipeline)>,
}

pub type List = Vec<AndOr>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    /// An operator: `;`, `&`, `&&`, `||`, `|`, `(`, `)`, `;;`.
    Op(&'static str),
    /// A redirection operator with its fd (explicit or default) and heredoc slot.
    Redir(i32, RedirOpTok),
    Newline,
    Eof,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RedirOpTok {
    In,
    Out,
    Append,
    DupOut,
    DupIn,
    ReadWrite,
    OutErr,
    AppendErr,
    HereDoc(usize),
    HereString,
}

#[derive(Debug, Clone, Default)]
struct HereDocSlot {
    strip_tabs: bool,
    delim: String,
    quoted: bool,
    body: String,
}

struct Lexer {
    s: Vec<char>,
    i: usize,
    toks: Vec<Tok>,
    heredocs: Vec<HereDocSlot>,
    /// Heredocs whose bodies start after the next newline.
    pending: Vec<usize>,
    /// The previous token was a heredoc operator: the next word is its delimiter.
    want_delim: Option<usize>,
    /// The line each token starts on, parallel to `toks`.
    lines: Vec<u32>,
    /// The line the token being read starts on.
    tok_line: u32,
    /// Newlines counted in `s[..counted]`, so finding a line is incremental.
    counted: usize,
    newlines: u32,
}

fn is_meta(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')'
    )
}

fn unterminated() -> ParseError {
    ParseError::Incomplete("unterminated quoted string".to_string())
}

/// Skips a single-quoted string; `i` is just after the opening quote. Returns the index after the
/// closing quote.
pub fn skip_squote(s: &[char], mut i: usize) -> PResult<usize> {
    while i < s.len() {
        if s[i] == '\'' {
            return Ok(i + 1);
        }
        i += 1;
    }
    Err(unterminated())
}

/// Skips a double-quoted string; `i` is just after the opening quote.
pub fn skip_dquote(s: &[char], mut i: usize, depth: u32) -> PResult<usize> {
    while i < s.len() {
        match s[i] {
            '"' => return Ok(i + 1),
            '\\' => i += 2,
            '`' => i = skip_backtick(s, i + 1)?,
            '$' => i = skip_dollar(s, i, depth)?,
            _ => i += 1,
        }
    }
    Err(unterminated())
}

/// Skips a backtick substitution; `i` is just after the opening backtick.
pub fn skip_backtick(s: &[char], mut i: usize) -> PResult<usize> {
    while i < s.len() {
        match s[i] {
            '`' => return Ok(i + 1),
            '\\' => i += 2,
            _ => i += 1,
        }
    }
    Err(unterminated())
}

/// Skips a `$...` construct starting at `i` (which holds `$`). Returns the index after it.
pub fn skip_dollar(s: &[char], i: usize, depth: u32) -> PResult<usize> {
    if depth > MAX_NEST {
        return Err(ParseError::Syntax("too deeply nested".to_string()));
    }
    match s.get(i + 1) {
        Some('(') => skip_paren(s, i + 2, depth + 1),
        Some('{') => skip_brace(s, i + 2, depth + 1),
        _ => Ok(i + 1),
    }
}

/// Skips to the `)` closing a `$(` or `$((`; `i` is just after the `(`.
fn skip_paren(s: &[char], mut i: usize, depth: u32) -> PResult<usize> {
    let mut level = 1u32;
    let mut word_start = true;
    while i < s.len() {
        let c = s[i];
        match c {
            '(' => {
                level += 1;
                i += 1;
            }
            ')' => {
                level -= 1;
                i += 1;
                if level == 0 {
                    return Ok(i);
                }
            }
            '\'' => i = skip_squote(s, i + 1)?,
            '"' => i = skip_dquote(s, i + 1, depth)?,
            '`' => i = skip_backtick(s, i + 1)?,
            '\\' => i += 2,
            '$' => i = skip_dollar(s, i, depth)?,
            '#' if word_start => {
                while i < s.len() && s[i] != '\n' {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        word_start = matches!(c, ' ' | '\t' | '\n' | ';' | '&' | '|' | '(');
    }
    Err(ParseError::Incomplete(
        "unexpected end of file (expecting \")\")".to_string(),
    ))
}

/// Skips to the `)` closing a `$(`; `i` is just after the `(`.
pub fn skip_paren_pub(s: &[char], i: usize) -> PResult<usize> {
    skip_paren(s, i, 0)
}

/// Skips to the `}` closing a `${`; `i` is just after the `{`.
pub fn skip_brace_pub(s: &[char], i: usize) -> PResult<usize> {
    skip_brace(s, i, 0)
}

/// Skips to the `}` closing a `${`; `i` is just after the `{`.
fn skip_brace(s: &[char], mut i: usize, depth: u32) -> PResult<usize> {
    while i < s.len() {
        match s[i] {
            '}' => return Ok(i + 1),
            '\'' => i = skip_squote(s, i + 1)?,
            '"' => i = skip_dquote(s, i + 1, depth)?,
            '`' => i = skip_backtick(s, i + 1)?,
            '\\' => i += 2,
            '$' => i = skip_dollar(s, i, depth)?,
            _ => i += 1,
        }
    }
    Err(ParseError::Incomplete(
        "unexpected end of file (expecting \"}\")".to_string(),
    ))
}

/// Removes quotes from a heredoc delimiter word, noting whether any quoting was present.
fn unquote_delim(raw: &str) -> (String, bool) {
    let mut out = String::new();
    let mut quoted = false;
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => quoted = true,
            '\\' => {
                quoted = true;
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            _ => out.push(c),
        }
    }
    (out, quoted)
}

impl Lexer {
    fn new(src: &str) -> Lexer {
        Lexer {
            s: src.chars().collect(),
            i: 0,
            toks: Vec::new(),
            heredocs: Vec::new(),
            pending: Vec::new(),
            want_delim: None,
            lines: Vec::new(),
            tok_line: 1,
            counted: 0,
            newlines: 0,
        }
    }

    /// The (1-based) line of position `i`.
    fn line_at(&mut self, i: usize) -> u32 {
        if i < self.counted {
            self.counted = 0;
            self.newlines = 0;
        }
        let end = i.min(self.s.len());
        while self.counted < end {
            if self.s[self.counted] == '\n' {
                self.newlines += 1;
            }
            self.counted += 1;
        }
        self.newlines + 1
    }

    fn peek(&self, off: usize) -> Option<char> {
        self.s.get(self.i + off).copied()
    }

    fn run(mut self) -> PResult<(Vec<Tok>, Vec<HereDocSlot>, Vec<u32>)> {
        while let Some(c) = self.peek(0) {
            self.tok_line = self.line_at(self.i);
            match c {
                ' ' | '\t' | '\r' => self.i += 1,
                '\\' if self.peek(1) == Some('\n') => self.i += 2,
                '\\' if self.peek(1).is_none() => {
                    return Err(ParseError::Incomplete("unexpected end of file".to_string()))
                }
                '#' => {
                    while self.i < self.s.len() && self.s[self.i] != '\n' {
                        self.i += 1;
                    }
                }
                '\n' => {
                    self.i += 1;
                    self.push(Tok::Newline)?;
                    self.read_heredoc_bodies()?;
                }
                ';' => {
                    if self.peek(1) == Some(';') {
                        self.i += 2;
                        self.push(Tok::Op(";;"))?;
                    } else {
                        self.i += 1;
                        self.push(Tok::Op(";"))?;
                    }
                }
                '&' => {
                    if self.peek(1) == Some('&') {
                        self.i += 2;
                        self.push(Tok::Op("&&"))?;
                    } else if self.peek(1) == Some('>') {
                        if self.peek(2) == Some('>') {
                            self.i += 3;
                            self.push(Tok::Redir(1, RedirOpTok::AppendErr))?;
                        } else {
                            self.i += 2;
                            self.push(Tok::Redir(1, RedirOpTok::OutErr))?;
                        }
                    } else {
                        self.i += 1;
                        self.push(Tok::Op("&"))?;
                    }
                }
                '|' => {
                    if self.peek(1) == Some('|') {
                        self.i += 2;
                        self.push(Tok::Op("||"))?;
                    } else {
                        self.i += 1;
                        self.push(Tok::Op("|"))?;
                    }
                }
                '(' => {
                    self.i += 1;
                    self.push(Tok::Op("("))?;
                }
                ')' => {
                    self.i += 1;
                    self.push(Tok::Op(")"))?;
                }
                '<' | '>' => self.redir(None)?,
                _ => self.word()?,
            }
        }
        if self.want_delim.is_some() {
            return Err(ParseError::Incomplete("unexpected end of file".to_string()));
        }
        if !self.pending.is_empty() {
            // A heredoc started on the last line without a newline after it: its body is yet to come.
            return Err(ParseError::Incomplete("unexpected end of file".to_string()));
        }
        self.toks.push(Tok::Eof);
        let last = self.line_at(self.s.len());
        self.lines.push(last);
        Ok((self.toks, self.heredocs, self.lines))
    }

    fn push(&mut self, t: Tok) -> PResult<()> {
        if self.want_delim.is_some() && !matches!(t, Tok::Word(_)) {
            return Err(ParseError::Syntax(format!("unexpected {}", tokname(&t))));
        }
        self.toks.push(t);
        self.lines.push(self.tok_line);
        Ok(())
    }

    fn redir(&mut self, fd: Option<i32>) -> PResult<()> {
        let c = self.peek(0).unwrap_or('<');
        let n1 = self.peek(1);
        let n2 = self.peek(2);
        let (op, len, default_fd) = if c == '<' {
            match (n1, n2) {
                (Some('<'), Some('<')) => (RedirOpTok::HereString, 3, 0),
                (Some('<'), Some('-')) => (RedirOpTok::HereDoc(1), 3, 0),
                (Some('<'), _) => (RedirOpTok::HereDoc(0), 2, 0),
                (Some('&'), _) => (RedirOpTok::DupIn, 2, 0),
                (Some('>'), _) => (RedirOpTok::ReadWrite, 2, 0),
                _ => (RedirOpTok::In, 1, 0),
            }
        } else {
            match n1 {
                Some('>') => (RedirOpTok::Append, 2, 1),
                Some('&') => (RedirOpTok::DupOut, 2, 1),
                Some('|') => (RedirOpTok::Out, 2, 1),
                _ => (RedirOpTok::Out, 1, 1),
            }
        };
        self.i += len;
        let fd = fd.unwrap_or(default_fd);
        let op = if let RedirOpTok::HereDoc(strip) = op {
            let idx = self.heredocs.len();
            self.heredocs.push(HereDocSlot {
                strip_tabs: strip == 1,
                ..Default::default()
            });
            self.push(Tok::Redir(fd, RedirOpTok::HereDoc(idx)))?;
            self.want_delim = Some(idx);
            return Ok(());
        } else {
            op
        };
        self.push(Tok::Redir(fd, op))
    }

    fn word(&mut self) -> PResult<()> {
        let start = self.i;
        let s = &self.s;
        let mut i = self.i;
        while i < s.len() {
            let c = s[i];
            if is_meta(c) {
                break;
            }
            match c {
                '\\' => {
                    if i + 1 >= s.len() {
                        return Err(ParseError::Incomplete("unexpected end of file".to_string()));
                    }
                    i += 2;
                }
                '\'' => i = skip_squote(s, i + 1)?,
                '"' => i = skip_dquote(s, i + 1, 0)?,
                '`' => i = skip_backtick(s, i + 1)?,
                '$' => i = skip_dollar(s, i, 0)?,
                _ => i += 1,
            }
        }
        let i = i.min(s.len());
        let raw: String = s[start..i].iter().collect();
        self.i = i;
        // An all-digit word directly followed by `<`/`>` is a file descriptor number.
        if !raw.is_empty()
            && raw.len() <= 4
            && raw.chars().all(|c| c.is_ascii_digit())
            && matches!(self.peek(0), Some('<') | Some('>'))
            && self.want_delim.is_none()
        {
            let fd = raw.parse::<i32>().unwrap_or(1);
            return self.redir(Some(fd));
        }
        if let Some(idx) = self.want_delim.take() {
            let (delim, quoted) = unquote_delim(&raw);
            if let Some(slot) = self.heredocs.get_mut(idx) {
                slot.delim = delim;
                slot.quoted = quoted;
            }
            self.pending.push(idx);
        }
        self.toks.push(Tok::Word(raw));
        self.lines.push(self.tok_line);
        Ok(())
    }

    /// Reads the bodies of heredocs opened on the line that just ended.
    fn read_heredoc_bodies(&mut self) -> PResult<()> {
        let pending = std::mem::take(&mut self.pending);
        for idx in pending {
            let Some(slot) = self.heredocs.get(idx).cloned() else {
                continue;
            };
            let mut body = String::new();
            let mut found = false;
            while self.i < self.s.len() {
                let mut j = self.i;
                while j < self.s.len() && self.s[j] != '\n' {
                    j += 1;
                }
                let mut line: String = self.s[self.i..j].iter().collect();
                self.i = (j + 1).min(self.s.len());
                if line.ends_with('\r') {
                    line.pop();
                }
                if slot.strip_tabs {
                    line = line.trim_start_matches('\t').to_string();
                }
                if line == slot.delim {
                    found = true;
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
            if !found {
                return Err(ParseError::Incomplete(format!(
                    "here-document delimited by end-of-file (wanted `{}')",
                    slot.delim
                )));
            }
            if let Some(s) = self.heredocs.get_mut(idx) {
                s.body = body;
            }
        }
        Ok(())
    }
}

fn tokname(t: &Tok) -> String {
    match t {
        Tok::Eof => "end of file".to_string(),
        Tok::Newline => "newline".to_string(),
        Tok::Redir(..) => "redirection".to_string(),
        Tok::Word(w) if is_reserved(w) => format!("\"{w}\""),
        Tok::Word(_) => "word".to_string(),
        Tok::Op(o) => format!("\"{o}\""),
    }
}

fn is_reserved(w: &str) -> bool {
    matches!(
        w,
        "if" | "then"
            | "elif"
            | "else"
            | "fi"
            | "do"
            | "done"
            | "case"
            | "esac"
            | "while"
            | "until"
            | "for"
            | "in"
            | "{"
            | "}"
            | "!"
    )
}

/// Whether `s` is a valid variable name.
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

struct Parser {
    toks: Vec<Tok>,
    heredocs: Vec<HereDocSlot>,
    /// The line each token starts on.
    lines: Vec<u32>,
    pos: usize,
    nest: u32,
}

/// Parses a whole program.
pub fn parse(src: &str) -> PResult<List> {
    let (toks, heredocs, lines) = Lexer::new(src).run()?;
    let mut p = Parser {
        toks,
        heredocs,
        lines,
        pos: 0,
        nest: 0,
    };
    let list = p.list(&[])?;
    match p.peek() {
        Tok::Eof => Ok(list),
        t => Err(ParseError::Syntax(format!("unexpected {}", tokname(t)))),
    }
}

const EOF_TOK: Tok = Tok::Eof;

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).unwrap_or(&EOF_TOK)
    }
    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn skip_newlines(&mut self) {
        while *self.peek() == Tok::Newline {
            self.pos += 1;
        }
    }
    fn at_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Word(x) if x == w)
    }
    fn unexpected(&self, expecting: Option<&str>) -> ParseError {
        let t = self.peek();
        let mut msg = format!("unexpected {}", tokname(t));
        if let Some(e) = expecting {
            msg.push_str(&format!(" (expecting \"{e}\")"));
        }
        if *t == Tok::Eof {
            ParseError::Incomplete(msg)
        } else {
            ParseError::Syntax(msg)
        }
    }
    fn expect_word(&mut self, w: &str) -> PResult<()> {
        if self.at_word(w) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(Some(w)))
        }
    }

    /// A sequence of and-or lists separated by `;`, `&` or newlines, ending before a stop word,
    /// `)`, `;;` or end of input.
    fn list(&mut self, stops: &[&str]) -> PResult<List> {
        let mut items = Vec::new();
        loop {
            self.skip_newlines();
            match self.peek() {
                Tok::Eof | Tok::Op(")") | Tok::Op(";;") => break,
                Tok::Word(w) if stops.contains(&w.as_str()) => break,
                _ => {}
            }
            let ao = self.and_or()?;
            items.push(ao);
            match self.peek() {
                Tok::Op(";") | Tok::Op("&") | Tok::Newline => {
                    self.pos += 1;
                }
                _ => break,
            }
        }
        Ok(items)
    }

    /// Like `list` but must contain at least one command (bodies of if/while/for/...).
    fn body(&mut self, stops: &[&str], expecting: &str) -> PResult<List> {
        let l = self.list(stops)?;
        if l.is_empty() {
            return Err(self.unexpected(if *self.peek() == Tok::Eof {
                Some(expecting)
            } else {
                None
            }));
        }
        Ok(l)
    }

    fn and_or(&mut self) -> PResult<AndOr> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let is_and = match self.peek() {
                Tok::Op("&&") => true,
                Tok::Op("||") => false,
                _ => break,
            };
            self.pos += 1;
            self.skip_newlines();
            rest.push((is_and, self.pipeline()?));
        }
        Ok(AndOr { first, rest })
    }

    fn pipeline(&mut self) -> PResult<Pipeline> {
        let mut negate = false;
        while self.at_word("!") {
            self.pos += 1;
            negate = !negate;
        }
        let mut cmds = vec![self.command()?];
        while *self.peek() == Tok::Op("|") {
            self.pos += 1;
            self.skip_newlines();
            cmds.push(self.command()?);
        }
        Ok(Pipeline { negate, cmds })
    }

    fn command(&mut self) -> PResult<Command> {
        self.nest += 1;
        if self.nest > MAX_NEST {
            return Err(ParseError::Syntax("too deeply nested".to_string()));
        }
        let r = self.command_inner();
        self.nest -= 1;
        r
    }

    /// The line the next token starts on.
    fn line(&self) -> u32 {
        self.lines
            .get(self.pos)
            .or(self.lines.last())
            .copied()
            .unwrap_or(1)
    }

    fn command_inner(&mut self) -> PResult<Command> {
        let line = self.line();
        let kind = match self.peek().clone() {
            Tok::Op("(") => {
                self.pos += 1;
                let l = self.body(&[], ")")?;
                if *self.peek() != Tok::Op(")") {
                    return Err(self.unexpected(Some(")")));
                }
                self.pos += 1;
                CommandKind::Subshell(l)
            }
            Tok::Word(w) => match w.as_str() {
                "{" => {
                    self.pos += 1;
                    let l = self.body(&["}"], "}")?;
                    self.expect_word("}")?;
                    CommandKind::Group(l)
                }
                "if" => self.if_clause()?,
                "while" | "until" => {
                    self.pos += 1;
                    let cond = self.body(&["do"], "do")?;
                    self.expect_word("do")?;
                    let body = self.body(&["done"], "done")?;
                    self.expect_word("done")?;
                    CommandKind::Loop {
                        until: w == "until",
                        cond,
                        body,
                    }
                }
                "for" => self.for_clause()?,
                "case" => self.case_clause()?,
                "then" | "elif" | "else" | "fi" | "do" | "done" | "esac" | "}" => {
                    return Err(self.unexpected(None));
                }
                _ => {
                    if matches!(self.toks.get(self.pos + 1), Some(Tok::Op("("))) {
                        return self.func_def(w);
                    }
                    return self.simple();
                }
            },
            Tok::Redir(..) => return self.simple(),
            _ => return Err(self.unexpected(None)),
        };
        let redirs = self.redirs()?;
        Ok(Command { kind, redirs, line })
    }

    fn func_def(&mut self, name: String) -> PResult<Command> {
        let line = self.line();
        if !is_name(&name) || is_reserved(&name) {
            self.pos += 1;
            return Err(self.unexpected(None));
        }
        self.pos += 2;
        if *self.peek() != Tok::Op(")") {
            return Err(self.unexpected(Some(")")));
        }
        self.pos += 1;
        self.skip_newlines();
        let body = self.command()?;
        Ok(Command {
            kind: CommandKind::FuncDef {
                name,
                body: std::rc::Rc::new(body),
            },
            redirs: Vec::new(),
            line,
        })
    }

    fn if_clause(&mut self) -> PResult<CommandKind> {
        self.pos += 1;
        let mut branches = Vec::new();
        let mut otherwise = None;
        loop {
            let cond = self.body(&["then"], "then")?;
            self.expect_word("then")?;
            let body = self.body(&["elif", "else", "fi"], "fi")?;
            branches.push((cond, body));
            if self.at_word("elif") {
                self.pos += 1;
                continue;
            }
            if self.at_word("else") {
                self.pos += 1;
                otherwise = Some(self.body(&["fi"], "fi")?);
            }
            self.expect_word("fi")?;
            break;
        }
        Ok(CommandKind::If {
            branches,
            otherwise,
        })
    }

    fn for_clause(&mut self) -> PResult<CommandKind> {
        self.pos += 1;
        let var = match self.next() {
            Tok::Word(w) if is_name(&w) => w,
            _ => {
                self.pos -= 1;
                return Err(self.unexpected(None));
            }
        };
        self.skip_newlines();
        let mut items = None;
        if self.at_word("in") {
            self.pos += 1;
            let mut v = Vec::new();
            while let Tok::Word(w) = self.peek() {
                v.push(w.clone());
                self.pos += 1;
            }
            match self.peek() {
                Tok::Op(";") | Tok::Newline => self.pos += 1,
                _ => return Err(self.unexpected(Some("do"))),
            }
            items = Some(v);
        } else if *self.peek() == Tok::Op(";") {
            self.pos += 1;
        }
        self.skip_newlines();
        self.expect_word("do")?;
        let body = self.body(&["done"], "done")?;
        self.expect_word("done")?;
        Ok(CommandKind::For { var, items, body })
    }

    fn case_clause(&mut self) -> PResult<CommandKind> {
        self.pos += 1;
        let word = match self.next() {
            Tok::Word(w) => w,
            _ => {
                self.pos -= 1;
                return Err(self.unexpected(None));
            }
        };
        self.skip_newlines();
        self.expect_word("in")?;
        let mut arms = Vec::new();
        loop {
            self.skip_newlines();
            if self.at_word("esac") {
                self.pos += 1;
                break;
            }
            if *self.peek() == Tok::Op("(") {
                self.pos += 1;
            }
            let mut pats = Vec::new();
            loop {
                match self.next() {
                    Tok::Word(w) => pats.push(w),
                    _ => {
                        self.pos -= 1;
                        return Err(self.unexpected(Some(")")));
                    }
                }
                match self.peek() {
                    Tok::Op("|") => self.pos += 1,
                    Tok::Op(")") => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.unexpected(Some(")"))),
                }
            }
            let body = self.list(&["esac"])?;
            arms.push((pats, body));
            match self.peek() {
                Tok::Op(";;") => self.pos += 1,
                Tok::Word(w) if w == "esac" => {}
                _ => return Err(self.unexpected(Some("esac"))),
            }
        }
        Ok(CommandKind::Case { word, arms })
    }

    fn redir_target(&mut self, fd: i32, op: RedirOpTok) -> PResult<Redir> {
        if let RedirOpTok::HereDoc(idx) = op {
            // The delimiter word follows; the body was collected by the lexer.
            if let Tok::Word(_) = self.peek() {
                self.pos += 1;
            } else {
                return Err(self.unexpected(None));
            }
            let slot = self.heredocs.get(idx).cloned().unwrap_or_default();
            return Ok(Redir {
                fd,
                op: RedirOp::HereDoc {
                    body: slot.body,
                    expand: !slot.quoted,
                },
                target: String::new(),
            });
        }
        let target = match self.peek() {
            Tok::Word(w) => w.clone(),
            _ => return Err(self.unexpected(None)),
        };
        self.pos += 1;
        let op = match op {
            RedirOpTok::In => RedirOp::In,
            RedirOpTok::Out => RedirOp::Out,
            RedirOpTok::Append => RedirOp::Append,
            RedirOpTok::DupOut => RedirOp::DupOut,
            RedirOpTok::DupIn => RedirOp::DupIn,
            RedirOpTok::ReadWrite => RedirOp::ReadWrite,
            RedirOpTok::OutErr => RedirOp::OutErr,
            RedirOpTok::AppendErr => RedirOp::AppendErr,
            RedirOpTok::HereString => RedirOp::HereString,
            RedirOpTok::HereDoc(_) => RedirOp::In,
        };
        Ok(Redir { fd, op, target })
    }

    fn redirs(&mut self) -> PResult<Vec<Redir>> {
        let mut v = Vec::new();
        while let Tok::Redir(fd, op) = self.peek().clone() {
            self.pos += 1;
            v.push(self.redir_target(fd, op)?);
        }
        Ok(v)
    }

    fn simple(&mut self) -> PResult<Command> {
        let line = self.line();
        let mut assigns = Vec::new();
        let mut words = Vec::new();
        let mut redirs = Vec::new();
        loop {
            match self.peek().clone() {
                Tok::Word(w) => {
                    self.pos += 1;
                    if words.is_empty() {
                        if let Some(eq) = w.find('=') {
                            if is_name(&w[..eq]) {
                                assigns.push((w[..eq].to_string(), w[eq + 1..].to_string()));
                                continue;
                            }
                        }
                    }
                    words.push(w);
                }
                Tok::Redir(fd, op) => {
                    self.pos += 1;
                    redirs.push(self.redir_target(fd, op)?);
                }
                _ => break,
            }
        }
        if assigns.is_empty() && words.is_empty() && redirs.is_empty() {
            return Err(self.unexpected(None));
        }
        Ok(Command {
            kind: CommandKind::Simple { assigns, words },
            redirs,
            line,
        })
    }
}
