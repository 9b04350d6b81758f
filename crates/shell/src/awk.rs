//! A small awk: `pattern { action }` items with BEGIN/END, `/re/` and expression patterns;
//! `print`, `printf`, assignments (`=`, `+=`, ...), `if`/`else`, `next`; fields (`$N`, `$NF`),
//! NR/NF/FS/OFS, string concatenation, arithmetic, comparisons, `~`, and the functions
//! length/substr/toupper/tolower. Enough for `awk '{print $1}'` and `awk -F: '$3 > 2 {n++}'`-style
//! tutorial lines; anything else reports a syntax error rather than guessing.

use std::collections::BTreeMap;

use crate::exec::Stdin;
use crate::regex::Regex;
use crate::{Host, Io};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Re(String),
    Name(String),
    Func(String),
    Op(&'static str),
    Newline,
}

const OPS: &[&str] = &[
    "+=", "-=", "*=", "/=", "%=", "==", "!=", "<=", ">=", "&&", "||", "!~", "++", "--", "{", "}",
    "(", ")", ";", ",", "+", "-", "*", "/", "%", "<", ">", "!", "~", "=", "$", "?", ":",
];

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let c: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out: Vec<Tok> = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch == ' ' || ch == '\t' || ch == '\r' {
            i += 1;
            continue;
        }
        if ch == '\\' && c.get(i + 1) == Some(&'\n') {
            i += 2;
            continue;
        }
        if ch == '\n' {
            out.push(Tok::Newline);
            i += 1;
            continue;
        }
        if ch == '#' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if ch.is_ascii_digit() || (ch == '.' && c.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let st = i;
            while i < c.len() && (c[i].is_ascii_digit() || c[i] == '.') {
                i += 1;
            }
            let s: String = c[st..i].iter().collect();
            out.push(Tok::Num(s.parse().unwrap_or(0.0)));
            continue;
        }
        if ch == '_' || ch.is_ascii_alphabetic() {
            let st = i;
            while i < c.len() && (c[i] == '_' || c[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            let s: String = c[st..i].iter().collect();
            let builtin = matches!(
                s.as_str(),
                "length" | "substr" | "toupper" | "tolower" | "index" | "int"
            );
            if s == "length" || (builtin && c.get(i) == Some(&'(')) {
                out.push(Tok::Func(s));
            } else {
                out.push(Tok::Name(s));
            }
            continue;
        }
        if ch == '"' {
            i += 1;
            let mut s = String::new();
            loop {
                let Some(&d) = c.get(i) else {
                    return Err("non-terminated string".to_string());
                };
                i += 1;
                match d {
                    '"' => break,
                    '\\' => {
                        let e = c.get(i).copied().unwrap_or('\\');
                        i += 1;
                        let ch = match e {
                            'n' => '\n',
                            't' => '\t',
                            '\\' => '\\',
                            '"' => '"',
                            '/' => '/',
                            o => {
                                s.push('\\');
                                o
                            }
                        };
                        s.push(ch);
                    }
                    d => s.push(d),
                }
            }
            out.push(Tok::Str(s));
            continue;
        }
        // A `/` starts a regex where an operand is expected.
        if ch == '/' {
            let operand_expected = !matches!(
                out.last(),
                Some(Tok::Num(_) | Tok::Str(_) | Tok::Name(_) | Tok::Re(_) | Tok::Op(")"))
            );
            if operand_expected {
                i += 1;
                let mut s = String::new();
                loop {
                    let Some(&d) = c.get(i) else {
                        return Err("non-terminated regular expression".to_string());
                    };
                    i += 1;
                    if d == '\\' && c.get(i) == Some(&'/') {
                        s.push('/');
                        i += 1;
                        continue;
                    }
                    if d == '/' {
                        break;
                    }
                    s.push(d);
                }
                out.push(Tok::Re(s));
                continue;
            }
        }
        let mut found = false;
        for op in OPS {
            let n = op.len();
            if c.get(i..i + n)
                .is_some_and(|w| w.iter().copied().eq(op.chars()))
            {
                out.push(Tok::Op(op));
                i += n;
                found = true;
                break;
            }
        }
        if !found {
            return Err(format!(
                "syntax error at source line 1: unexpected character '{ch}'"
            ));
        }
    }
    Ok(out)
}

#[derive(Debug, Clone)]
enum Expr {
    Num(f64),
    Str(String),
    Re(Box<Regex>),
    Var(String),
    Field(Box<Expr>),
    Assign(Box<Expr>, &'static str, Box<Expr>),
    Incr(Box<Expr>, f64, bool),
    Bin(Box<Expr>, &'static str, Box<Expr>),
    Match(Box<Expr>, Box<Expr>, bool),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Concat(Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

#[derive(Debug, Clone)]
enum Stmt {
    Print(Vec<Expr>),
    Printf(Vec<Expr>),
    Expr(Expr),
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    Next,
}

#[derive(Debug, Clone)]
enum Pattern {
    All,
    Begin,
    End,
    Expr(Expr),
}

/// Pattern-action items in source order.
type Program = Vec<(Pattern, Option<Vec<Stmt>>)>;

struct P {
    t: Vec<Tok>,
    i: usize,
    depth: u32,
}

fn serr() -> String {
    "syntax error at source line 1".to_string()
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }
    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if *o == op)
    }
    fn eat(&mut self, op: &str) -> Result<(), String> {
        if self.is_op(op) {
            self.i += 1;
            Ok(())
        } else {
            Err(serr())
        }
    }
    fn skip_nl(&mut self) {
        while matches!(self.peek(), Some(Tok::Newline) | Some(Tok::Op(";"))) {
            self.i += 1;
        }
    }
    fn program(&mut self) -> Result<Program, String> {
        let mut items = Vec::new();
        loop {
            self.skip_nl();
            if self.peek().is_none() {
                break;
            }
            let pat = match self.peek() {
                Some(Tok::Name(n)) if n == "BEGIN" => {
                    self.i += 1;
                    Pattern::Begin
                }
                Some(Tok::Name(n)) if n == "END" => {
                    self.i += 1;
                    Pattern::End
                }
                Some(Tok::Op("{")) => Pattern::All,
                _ => Pattern::Expr(self.expr()?),
            };
            let action = if self.is_op("{") {
                Some(self.block()?)
            } else {
                None
            };
            items.push((pat, action));
        }
        Ok(items)
    }
    fn block(&mut self) -> Result<Vec<Stmt>, String> {
        self.depth += 1;
        if self.depth > 50 {
            return Err(serr());
        }
        self.eat("{")?;
        let mut v = Vec::new();
        loop {
            self.skip_nl();
            if self.is_op("}") {
                self.i += 1;
                break;
            }
            if self.peek().is_none() {
                return Err(serr());
            }
            v.push(self.stmt()?);
        }
        self.depth -= 1;
        Ok(v)
    }
    fn stmt(&mut self) -> Result<Stmt, String> {
        match self.peek().cloned() {
            Some(Tok::Op("{")) => {
                let b = self.block()?;
                Ok(Stmt::If(Expr::Num(1.0), b, Vec::new()))
            }
            Some(Tok::Name(n)) if n == "print" || n == "printf" => {
                self.i += 1;
                let mut args = Vec::new();
                let paren = self.is_op("(");
                if !matches!(
                    self.peek(),
                    None | Some(Tok::Newline) | Some(Tok::Op(";")) | Some(Tok::Op("}"))
                ) {
                    args.push(self.expr_noin()?);
                    while self.is_op(",") {
                        self.i += 1;
                        args.push(self.expr_noin()?);
                    }
                }
                let _ = paren;
                Ok(if n == "print" {
                    Stmt::Print(args)
                } else {
                    Stmt::Printf(args)
                })
            }
            Some(Tok::Name(n)) if n == "next" => {
                self.i += 1;
                Ok(Stmt::Next)
            }
            Some(Tok::Name(n)) if n == "if" => {
                self.i += 1;
                self.eat("(")?;
                let c = self.expr()?;
                self.eat(")")?;
                self.skip_nl_only();
                let a = self.body()?;
                let save = self.i;
                self.skip_nl();
                let b = if matches!(self.peek(), Some(Tok::Name(n)) if n == "else") {
                    self.i += 1;
                    self.skip_nl_only();
                    self.body()?
                } else {
                    self.i = save;
                    Vec::new()
                };
                Ok(Stmt::If(c, a, b))
            }
            _ => Ok(Stmt::Expr(self.expr()?)),
        }
    }
    fn skip_nl_only(&mut self) {
        while matches!(self.peek(), Some(Tok::Newline)) {
            self.i += 1;
        }
    }
    fn body(&mut self) -> Result<Vec<Stmt>, String> {
        if self.is_op("{") {
            self.block()
        } else {
            Ok(vec![self.stmt()?])
        }
    }
    fn expr(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > 100 {
            return Err(serr());
        }
        let r = self.ternary(true);
        self.depth -= 1;
        r
    }
    /// In print lists `>` is redirection in real awk; here it stays a comparison only inside
    /// parentheses, so `print $1 > "f"` is rejected rather than misread.
    fn expr_noin(&mut self) -> Result<Expr, String> {
        self.expr()
    }
    fn ternary(&mut self, allow_assign: bool) -> Result<Expr, String> {
        let c = self.or()?;
        if self.is_op("?") {
            self.i += 1;
            let a = self.expr()?;
            self.eat(":")?;
            let b = self.expr()?;
            return Ok(Expr::Cond(Box::new(c), Box::new(a), Box::new(b)));
        }
        if allow_assign {
            if let Some(Tok::Op(op)) = self.peek() {
                let op = *op;
                if matches!(op, "=" | "+=" | "-=" | "*=" | "/=" | "%=")
                    && matches!(c, Expr::Var(_) | Expr::Field(_))
                {
                    self.i += 1;
                    let r = self.expr()?;
                    return Ok(Expr::Assign(Box::new(c), op, Box::new(r)));
                }
            }
        }
        Ok(c)
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut l = self.and()?;
        while self.is_op("||") {
            self.i += 1;
            let r = self.and()?;
            l = Expr::Bin(Box::new(l), "||", Box::new(r));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut l = self.matching()?;
        while self.is_op("&&") {
            self.i += 1;
            let r = self.matching()?;
            l = Expr::Bin(Box::new(l), "&&", Box::new(r));
        }
        Ok(l)
    }
    fn matching(&mut self) -> Result<Expr, String> {
        let mut l = self.cmp()?;
        while self.is_op("~") || self.is_op("!~") {
            let neg = self.is_op("!~");
            self.i += 1;
            let r = self.cmp()?;
            l = Expr::Match(Box::new(l), Box::new(r), neg);
        }
        Ok(l)
    }
    fn cmp(&mut self) -> Result<Expr, String> {
        let l = self.concat()?;
        if let Some(Tok::Op(op)) = self.peek() {
            let op = *op;
            if matches!(op, "<" | "<=" | ">" | ">=" | "==" | "!=") {
                self.i += 1;
                let r = self.concat()?;
                return Ok(Expr::Bin(Box::new(l), op, Box::new(r)));
            }
        }
        Ok(l)
    }
    fn starts_operand(&self) -> bool {
        matches!(
            self.peek(),
            Some(
                Tok::Num(_)
                    | Tok::Str(_)
                    | Tok::Name(_)
                    | Tok::Func(_)
                    | Tok::Op("$")
                    | Tok::Op("(")
                    | Tok::Op("!")
                    | Tok::Op("-")
                    | Tok::Op("++")
                    | Tok::Op("--")
            )
        ) && !matches!(self.peek(), Some(Tok::Name(n)) if n == "in")
    }
    fn concat(&mut self) -> Result<Expr, String> {
        let mut l = self.add()?;
        while self.starts_operand() && !self.is_op("-") {
            let r = self.add()?;
            l = Expr::Concat(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn add(&mut self) -> Result<Expr, String> {
        let mut l = self.mul()?;
        while self.is_op("+") || self.is_op("-") {
            let op = if self.is_op("+") { "+" } else { "-" };
            self.i += 1;
            let r = self.mul()?;
            l = Expr::Bin(Box::new(l), op, Box::new(r));
        }
        Ok(l)
    }
    fn mul(&mut self) -> Result<Expr, String> {
        let mut l = self.unary()?;
        while self.is_op("*") || self.is_op("/") || self.is_op("%") {
            let op = if self.is_op("*") {
                "*"
            } else if self.is_op("/") {
                "/"
            } else {
                "%"
            };
            self.i += 1;
            let r = self.unary()?;
            l = Expr::Bin(Box::new(l), op, Box::new(r));
        }
        Ok(l)
    }
    fn unary(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > 100 {
            return Err(serr());
        }
        let r = if self.is_op("!") {
            self.i += 1;
            self.unary().map(|e| Expr::Not(Box::new(e)))
        } else if self.is_op("-") {
            self.i += 1;
            self.unary().map(|e| Expr::Neg(Box::new(e)))
        } else if self.is_op("+") {
            self.i += 1;
            self.unary()
        } else {
            self.postfix()
        };
        self.depth -= 1;
        r
    }
    fn postfix(&mut self) -> Result<Expr, String> {
        if self.is_op("++") || self.is_op("--") {
            let d = if self.is_op("++") { 1.0 } else { -1.0 };
            self.i += 1;
            let e = self.primary()?;
            return Ok(Expr::Incr(Box::new(e), d, true));
        }
        let e = self.primary()?;
        if (self.is_op("++") || self.is_op("--")) && matches!(e, Expr::Var(_) | Expr::Field(_)) {
            let d = if self.is_op("++") { 1.0 } else { -1.0 };
            self.i += 1;
            return Ok(Expr::Incr(Box::new(e), d, false));
        }
        Ok(e)
    }
    fn primary(&mut self) -> Result<Expr, String> {
        let t = self.peek().cloned().ok_or_else(serr)?;
        self.i += 1;
        Ok(match t {
            Tok::Num(n) => Expr::Num(n),
            Tok::Str(s) => Expr::Str(s),
            Tok::Re(r) => {
                Expr::Re(Box::new(Regex::new(&r, true, false).map_err(|e| {
                    format!("syntax error in regular expression {r}: {e}")
                })?))
            }
            Tok::Name(n) => Expr::Var(n),
            Tok::Op("$") => {
                let e = self.primary_incr()?;
                Expr::Field(Box::new(e))
            }
            Tok::Op("(") => {
                let e = self.expr()?;
                self.eat(")")?;
                e
            }
            Tok::Func(f) => {
                let mut args = Vec::new();
                if self.is_op("(") {
                    self.i += 1;
                    if !self.is_op(")") {
                        args.push(self.expr()?);
                        while self.is_op(",") {
                            self.i += 1;
                            args.push(self.expr()?);
                        }
                    }
                    self.eat(")")?;
                }
                Expr::Call(f, args)
            }
            _ => return Err(serr()),
        })
    }
    fn primary_incr(&mut self) -> Result<Expr, String> {
        if self.is_op("-") {
            self.i += 1;
            return self.primary().map(|e| Expr::Neg(Box::new(e)));
        }
        self.primary()
    }
}

#[derive(Debug, Clone)]
enum Val {
    Num(f64),
    Str(String),
    /// A field or input-derived string that looks numeric compares as a number.
    StrNum(String),
}

fn looks_numeric(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.parse::<f64>().is_ok()
}

fn fmt_num(n: f64) -> String {
    if n.is_finite() && n == n.trunc() && n.abs() < 1e16 {
        format!("{}", n as i64)
    } else {
        // %.6g
        let s = format!("{n:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
        if s.is_empty() {
            "0".to_string()
        } else {
            s
        }
    }
}

impl Val {
    fn num(&self) -> f64 {
        match self {
            Val::Num(n) => *n,
            Val::Str(s) | Val::StrNum(s) => {
                let t = s.trim_start();
                let mut end = 0;
                for (i, c) in t.char_indices() {
                    if c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')) {
                        end = i + 1;
                    } else {
                        break;
                    }
                }
                t[..end].parse().unwrap_or(0.0)
            }
        }
    }
    fn str(&self) -> String {
        match self {
            Val::Num(n) => fmt_num(*n),
            Val::Str(s) | Val::StrNum(s) => s.clone(),
        }
    }
    fn truthy(&self) -> bool {
        match self {
            Val::Num(n) => *n != 0.0,
            Val::Str(s) => !s.is_empty(),
            Val::StrNum(s) => {
                if looks_numeric(s) {
                    self.num() != 0.0
                } else {
                    !s.is_empty()
                }
            }
        }
    }
    fn is_num(&self) -> bool {
        match self {
            Val::Num(_) => true,
            Val::StrNum(s) => looks_numeric(s),
            Val::Str(_) => false,
        }
    }
}

struct Rt {
    vars: BTreeMap<String, Val>,
    fields: Vec<String>,
    record: String,
    nr: usize,
    out: String,
    steps: u64,
}

impl Rt {
    fn fs(&self) -> String {
        self.vars
            .get("FS")
            .map(|v| v.str())
            .unwrap_or_else(|| " ".to_string())
    }
    fn set_record(&mut self, line: &str) {
        self.record = line.to_string();
        let fs = self.fs();
        self.fields = if fs == " " {
            line.split_whitespace().map(str::to_string).collect()
        } else if fs.chars().count() == 1 {
            line.split(fs.as_str()).map(str::to_string).collect()
        } else {
            match Regex::new(&fs, true, false) {
                Ok(r) => {
                    let t: Vec<char> = line.chars().collect();
                    let mut v = Vec::new();
                    let mut pos = 0;
                    while let Some((a, b, _)) = r.find_at(&t, pos).filter(|(a, b, _)| b > a) {
                        v.push(t[pos..a].iter().collect());
                        pos = b;
                    }
                    v.push(t[pos..].iter().collect());
                    v
                }
                Err(_) => vec![line.to_string()],
            }
        };
        if line.is_empty() {
            self.fields.clear();
        }
    }
    fn rebuild(&mut self) {
        let ofs = self
            .vars
            .get("OFS")
            .map(|v| v.str())
            .unwrap_or_else(|| " ".to_string());
        self.record = self.fields.join(&ofs);
    }
    fn get_field(&self, i: usize) -> Val {
        if i == 0 {
            return Val::StrNum(self.record.clone());
        }
        Val::StrNum(self.fields.get(i - 1).cloned().unwrap_or_default())
    }
    fn get_var(&self, n: &str) -> Val {
        match n {
            "NR" | "FNR" => Val::Num(self.nr as f64),
            "NF" => Val::Num(self.fields.len() as f64),
            _ => self.vars.get(n).cloned().unwrap_or(Val::Str(String::new())),
        }
    }
    fn assign(&mut self, target: &Expr, v: Val) -> Result<(), String> {
        match target {
            Expr::Var(n) => {
                if n == "NF" {
                    let k = v.num().max(0.0) as usize;
                    self.fields.resize(k.min(10_000), String::new());
                    self.rebuild();
                } else {
                    self.vars.insert(n.clone(), v);
                }
            }
            Expr::Field(e) => {
                let i = self.eval(e)?.num().max(0.0) as usize;
                if i == 0 {
                    let s = v.str();
                    self.set_record(&s);
                } else {
                    if i > 10_000 {
                        return Ok(());
                    }
                    if self.fields.len() < i {
                        self.fields.resize(i, String::new());
                    }
                    if let Some(f) = self.fields.get_mut(i - 1) {
                        *f = v.str();
                    }
                    self.rebuild();
                }
            }
            _ => {}
        }
        Ok(())
    }
    fn eval(&mut self, e: &Expr) -> Result<Val, String> {
        self.steps += 1;
        if self.steps > 5_000_000 {
            return Err("program too expensive".to_string());
        }
        Ok(match e {
            Expr::Num(n) => Val::Num(*n),
            Expr::Str(s) => Val::Str(s.clone()),
            Expr::Re(r) => Val::Num(f64::from(u8::from(r.is_match(&self.record)))),
            Expr::Var(n) => self.get_var(n),
            Expr::Field(i) => {
                let i = self.eval(i)?.num();
                if i < 0.0 {
                    return Err(format!("trying to access out of range field {}", i as i64));
                }
                self.get_field(i as usize)
            }
            Expr::Assign(t, op, r) => {
                let rv = self.eval(r)?;
                let v = if *op == "=" {
                    rv
                } else {
                    let cur = self.eval(t)?.num();
                    let r = rv.num();
                    Val::Num(match *op {
                        "+=" => cur + r,
                        "-=" => cur - r,
                        "*=" => cur * r,
                        "/=" => {
                            if r == 0.0 {
                                return Err("division by zero in /=".to_string());
                            }
                            cur / r
                        }
                        _ => {
                            if r == 0.0 {
                                return Err("division by zero in %=".to_string());
                            }
                            cur % r
                        }
                    })
                };
                self.assign(t, v.clone())?;
                v
            }
            Expr::Incr(t, d, pre) => {
                let cur = self.eval(t)?.num();
                self.assign(t, Val::Num(cur + d))?;
                Val::Num(if *pre { cur + d } else { cur })
            }
            Expr::Bin(l, op, r) => {
                if *op == "&&" {
                    let a = self.eval(l)?.truthy();
                    return Ok(Val::Num(f64::from(u8::from(a && self.eval(r)?.truthy()))));
                }
                if *op == "||" {
                    let a = self.eval(l)?.truthy();
                    return Ok(Val::Num(f64::from(u8::from(a || self.eval(r)?.truthy()))));
                }
                let a = self.eval(l)?;
                let b = self.eval(r)?;
                match *op {
                    "+" => Val::Num(a.num() + b.num()),
                    "-" => Val::Num(a.num() - b.num()),
                    "*" => Val::Num(a.num() * b.num()),
                    "/" | "%" => {
                        if b.num() == 0.0 {
                            return Err("division by zero".to_string());
                        }
                        Val::Num(if *op == "/" {
                            a.num() / b.num()
                        } else {
                            a.num() % b.num()
                        })
                    }
                    _ => {
                        let ord = if a.is_num() && b.is_num() {
                            a.num()
                                .partial_cmp(&b.num())
                                .unwrap_or(std::cmp::Ordering::Equal)
                        } else {
                            a.str().cmp(&b.str())
                        };
                        let t = match *op {
                            "<" => ord.is_lt(),
                            "<=" => ord.is_le(),
                            ">" => ord.is_gt(),
                            ">=" => ord.is_ge(),
                            "==" => ord.is_eq(),
                            _ => !ord.is_eq(),
                        };
                        Val::Num(f64::from(u8::from(t)))
                    }
                }
            }
            Expr::Match(l, r, neg) => {
                let s = self.eval(l)?.str();
                let m = match &**r {
                    Expr::Re(re) => re.is_match(&s),
                    other => {
                        let p = self.eval(other)?.str();
                        Regex::new(&p, true, false)
                            .map(|re| re.is_match(&s))
                            .unwrap_or(false)
                    }
                };
                Val::Num(f64::from(u8::from(m != *neg)))
            }
            Expr::Not(e) => Val::Num(f64::from(u8::from(!self.eval(e)?.truthy()))),
            Expr::Neg(e) => Val::Num(-self.eval(e)?.num()),
            Expr::Concat(a, b) => {
                let x = self.eval(a)?.str();
                let y = self.eval(b)?.str();
                Val::Str(x + &y)
            }
            Expr::Cond(c, a, b) => {
                if self.eval(c)?.truthy() {
                    self.eval(a)?
                } else {
                    self.eval(b)?
                }
            }
            Expr::Call(f, args) => {
                let mut v = Vec::new();
                for a in args {
                    v.push(self.eval(a)?);
                }
                let s0 = v
                    .first()
                    .map(Val::str)
                    .unwrap_or_else(|| self.record.clone());
                match f.as_str() {
                    "length" => Val::Num(s0.chars().count() as f64),
                    "toupper" => Val::Str(s0.to_uppercase()),
                    "tolower" => Val::Str(s0.to_lowercase()),
                    "int" => Val::Num(v.first().map(Val::num).unwrap_or(0.0).trunc()),
                    "index" => {
                        let t = v.get(1).map(Val::str).unwrap_or_default();
                        Val::Num(
                            s0.find(&t)
                                .map(|b| s0[..b].chars().count() + 1)
                                .unwrap_or(0) as f64,
                        )
                    }
                    _ => {
                        let chars: Vec<char> = s0.chars().collect();
                        let start = v.get(1).map(Val::num).unwrap_or(1.0).round() as i64;
                        let len = v
                            .get(2)
                            .map(|x| x.num().round() as i64)
                            .unwrap_or(i64::MAX / 4);
                        let a = start.max(1);
                        let b = start.saturating_add(len).min(chars.len() as i64 + 1);
                        if b <= a {
                            Val::Str(String::new())
                        } else {
                            Val::Str(chars[(a - 1) as usize..(b - 1) as usize].iter().collect())
                        }
                    }
                }
            }
        })
    }
    /// Runs statements; Ok(true) means `next`.
    fn run(&mut self, stmts: &[Stmt]) -> Result<bool, String> {
        for s in stmts {
            match s {
                Stmt::Print(args) => {
                    let ofs = self
                        .vars
                        .get("OFS")
                        .map(|v| v.str())
                        .unwrap_or_else(|| " ".to_string());
                    let line = if args.is_empty() {
                        self.record.clone()
                    } else {
                        let mut parts = Vec::new();
                        for a in args {
                            let v = self.eval(a)?;
                            parts.push(v.str());
                        }
                        parts.join(&ofs)
                    };
                    self.out.push_str(&line);
                    self.out.push('\n');
                }
                Stmt::Printf(args) => {
                    let mut strs = Vec::new();
                    for a in args {
                        let v = self.eval(a)?;
                        strs.push(match v {
                            Val::Num(n) => fmt_num(n),
                            other => other.str(),
                        });
                    }
                    let mut io = Io::new();
                    crate::utils::printf(&strs, &mut io);
                    self.out.push_str(&io.stdout());
                }
                Stmt::Expr(e) => {
                    self.eval(e)?;
                }
                Stmt::If(c, a, b) => {
                    let branch = if self.eval(c)?.truthy() { a } else { b };
                    if self.run(branch)? {
                        return Ok(true);
                    }
                }
                Stmt::Next => return Ok(true),
            }
        }
        Ok(false)
    }
}

/// `awk [-F fs] [-v var=value] 'program' [file...]`
pub(crate) fn awk(args: &[String], stdin: &mut Stdin, host: &mut dyn Host, io: &mut Io) -> i32 {
    let mut vars = BTreeMap::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "-F" || a == "-v" {
            i += 1;
            let Some(v) = args.get(i) else {
                io.err(&format!(
                    "awk: option requires an argument -- '{}'\n",
                    &a[1..]
                ));
                return 2;
            };
            if a == "-F" {
                vars.insert(
                    "FS".to_string(),
                    Val::Str(if v == "t" {
                        "\t".to_string()
                    } else {
                        v.clone()
                    }),
                );
            } else if let Some((k, val)) = v.split_once('=') {
                vars.insert(k.to_string(), Val::StrNum(val.to_string()));
            }
        } else if let Some(fs) = a.strip_prefix("-F") {
            vars.insert("FS".to_string(), Val::Str(fs.to_string()));
        } else if a == "--" {
            i += 1;
            break;
        } else {
            break;
        }
        i += 1;
    }
    let Some(src) = args.get(i) else {
        io.err("usage: awk [-F fs][-v var=value][prog | -f progfile][file ...]\n");
        return 2;
    };
    let prog = match lex(src).and_then(|t| P { t, i: 0, depth: 0 }.program()) {
        Ok(p) => p,
        Err(e) => {
            io.err(&format!("awk: {e}\n"));
            return 2;
        }
    };
    let files = args.get(i + 1..).unwrap_or(&[]).to_vec();
    let mut rt = Rt {
        vars,
        fields: Vec::new(),
        record: String::new(),
        nr: 0,
        out: String::new(),
        steps: 0,
    };
    let mut status = 0;
    let result = (|| -> Result<(), String> {
        for (p, a) in &prog {
            if let (Pattern::Begin, Some(a)) = (p, a) {
                rt.run(a)?;
            }
        }
        let has_main = prog.iter().any(|(p, _)| !matches!(p, Pattern::Begin));
        if has_main {
            let mut data = String::new();
            if files.is_empty() {
                data = stdin.take_all();
            } else {
                for f in &files {
                    if f == "-" {
                        data.push_str(&stdin.take_all());
                        continue;
                    }
                    match host.read_file(f) {
                        Ok(d) => data.push_str(&d),
                        Err(_) => {
                            return Err(format!("can't open file {f}"));
                        }
                    }
                }
            }
            let mut ls: Vec<&str> = data.split('\n').collect();
            if data.ends_with('\n') || data.is_empty() {
                ls.pop();
            }
            for line in ls {
                rt.nr += 1;
                rt.set_record(line);
                for (p, a) in &prog {
                    let sel = match p {
                        Pattern::All => true,
                        Pattern::Begin | Pattern::End => false,
                        Pattern::Expr(e) => rt.eval(e)?.truthy(),
                    };
                    if !sel {
                        continue;
                    }
                    let next = match a {
                        Some(a) => rt.run(a)?,
                        None => rt.run(&[Stmt::Print(Vec::new())])?,
                    };
                    if next {
                        break;
                    }
                }
            }
        }
        for (p, a) in &prog {
            if let (Pattern::End, Some(a)) = (p, a) {
                rt.run(a)?;
            }
        }
        Ok(())
    })();
    io.out(&rt.out);
    if let Err(e) = result {
        io.err(&format!("awk: {e}\n"));
        status = 2;
    }
    status
}
