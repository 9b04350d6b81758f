//! `-o go-template=` / `--template`: a small interpreter for the part of Go's `text/template`
//! that kubectl users type (written by hand: no crate speaks Go templates). Actions with
//! `{{-`/`-}}` trimming, comments, fields `.a.b` and `$v.a`, variables and `:=`, pipelines,
//! `if`/`else if`/`else`, `range` (with `$i, $c :=` and `else`), `with`, and the functions
//! `index`, `len`, `printf`, `print`, `println`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `and`, `or`,
//! `not`, plus kubectl's `exists` and `base64decode`.
//!
//! Like kubectl, data is the object as decoded JSON with numbers as float64, and a missing key
//! prints `<no value>` (`--allow-missing-template-keys=true`).

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Text(String),
    Action(Pipe),
    If(Pipe, Vec<Node>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
    With(Pipe, Vec<Node>, Vec<Node>),
}

#[derive(Clone, Debug, PartialEq, Default)]
struct Pipe {
    decls: Vec<String>,
    cmds: Vec<Vec<Arg>>,
}

#[derive(Clone, Debug, PartialEq)]
enum Arg {
    Dot(Vec<String>),
    Var(String, Vec<String>),
    Str(String),
    Num(f64),
    Bool(bool),
    Nil,
    Func(String),
    Sub(Box<Pipe>, Vec<String>),
}

/// A value during execution: JSON, or "no value" (a missing map key).
#[derive(Clone, Debug, PartialEq)]
enum V {
    J(Value),
    Missing,
}

impl V {
    fn truthy(&self) -> bool {
        match self {
            V::Missing => false,
            V::J(v) => match v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Object(m) => !m.is_empty(),
            },
        }
    }
    fn text(&self) -> String {
        match self {
            V::Missing => "<no value>".to_string(),
            V::J(v) => go_print(v),
        }
    }
}

/// `fmt.Sprint` of a JSON-decoded value with numbers as float64.
fn go_print(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_string(),
        Value::Number(n) => super::yaml::go_yaml_float(n.as_f64().unwrap_or(0.0)),
        Value::Array(a) => format!("[{}]", a.iter().map(go_print).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => format!(
            "map[{}]",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", go_print(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
    }
}

/// A parsed Go template.
#[derive(Clone, Debug, PartialEq)]
pub struct GoTemplate {
    nodes: Vec<Node>,
}

enum Tok {
    Text(String),
    Act(String),
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let mut rest = src;
    let mut trim_next = false;
    while !rest.is_empty() {
        match rest.find("{{") {
            None => {
                let t = if trim_next { rest.trim_start() } else { rest };
                toks.push(Tok::Text(t.to_string()));
                break;
            }
            Some(p) => {
                let mut text = &rest[..p];
                if trim_next {
                    text = text.trim_start();
                }
                let after = &rest[p + 2..];
                let trim_left =
                    after.starts_with("- ") || after.starts_with("-\t") || after.starts_with("-\n");
                if trim_left {
                    text = text.trim_end();
                }
                toks.push(Tok::Text(text.to_string()));
                let body_start = if trim_left { 1 } else { 0 };
                let after = &after[body_start..];
                // find the closing braces outside of quotes
                let bytes: Vec<char> = after.chars().collect();
                let mut i = 0;
                let mut quote: Option<char> = None;
                let mut end = None;
                while i < bytes.len() {
                    let c = bytes[i];
                    match quote {
                        Some(q) => {
                            if c == '\\' && q == '"' {
                                i += 1;
                            } else if c == q {
                                quote = None;
                            }
                        }
                        None => {
                            if c == '"' || c == '`' || c == '\'' {
                                quote = Some(c);
                            } else if c == '}' && bytes.get(i + 1) == Some(&'}') {
                                end = Some(i);
                                break;
                            }
                        }
                    }
                    i += 1;
                }
                let Some(end) = end else {
                    return Err("unclosed action".to_string());
                };
                let mut body: String = bytes[..end].iter().collect();
                trim_next = false;
                if body.ends_with(" -") || body.ends_with("\t-") || body.ends_with("\n-") {
                    body.pop();
                    trim_next = true;
                }
                toks.push(Tok::Act(body.trim().to_string()));
                let consumed: usize = bytes[..end + 2].iter().map(|c| c.len_utf8()).sum();
                rest = &after[consumed..];
            }
        }
    }
    Ok(toks)
}

impl GoTemplate {
    pub fn parse(src: &str) -> Result<GoTemplate, String> {
        let toks = lex(src)?;
        let mut pos = 0;
        let (nodes, end) = parse_list(&toks, &mut pos)?;
        if let Some(e) = end {
            return Err(format!("template: output:1: unexpected {{{{{e}}}}}"));
        }
        Ok(GoTemplate { nodes })
    }

    /// Executes against `data`; errors carry Go's wording where it matters.
    pub fn execute(&self, data: &Value) -> Result<String, String> {
        let mut out = String::new();
        let mut vars: Vec<(String, V)> = vec![("$".to_string(), V::J(data.clone()))];
        exec(&self.nodes, &V::J(data.clone()), &mut vars, &mut out)?;
        Ok(out)
    }
}

/// Parses nodes until `{{end}}` / `{{else ...}}`; returns the terminator seen.
fn parse_list(toks: &[Tok], pos: &mut usize) -> Result<(Vec<Node>, Option<String>), String> {
    let mut nodes = Vec::new();
    while *pos < toks.len() {
        let t = &toks[*pos];
        *pos += 1;
        match t {
            Tok::Text(s) => {
                if !s.is_empty() {
                    nodes.push(Node::Text(s.clone()));
                }
            }
            Tok::Act(a) => {
                if a.starts_with("/*") {
                    continue;
                }
                if a == "end" || a == "else" || a.starts_with("else ") {
                    return Ok((nodes, Some(a.clone())));
                }
                // The keyword is the leading identifier (`range$i := ...` is valid Go).
                let kw_len = a
                    .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                    .unwrap_or(a.len());
                let (kw, rest) = (&a[..kw_len], &a[kw_len..]);
                match kw {
                    "if" | "range" | "with" => {
                        nodes.push(parse_block(kw, rest, toks, pos)?);
                    }
                    _ => nodes.push(Node::Action(parse_pipe(a)?)),
                }
            }
        }
    }
    Ok((nodes, None))
}

fn parse_block(kw: &str, rest: &str, toks: &[Tok], pos: &mut usize) -> Result<Node, String> {
    let pipe = parse_pipe(rest)?;
    let (body, end) = parse_list(toks, pos)?;
    let els = match end.as_deref() {
        Some("end") => Vec::new(),
        Some("else") => {
            let (e, end2) = parse_list(toks, pos)?;
            if end2.as_deref() != Some("end") {
                return Err("template: output: unexpected EOF".to_string());
            }
            e
        }
        Some(other) if other.starts_with("else ") => {
            // `else if ...` / `else with ...` chains share the outer `end`.
            let inner = other["else ".len()..].trim();
            let (kw2, rest2) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
            vec![parse_block(kw2, rest2, toks, pos)?]
        }
        _ => return Err("template: output: unexpected EOF".to_string()),
    };
    Ok(match kw {
        "if" => Node::If(pipe, body, els),
        "range" => Node::Range(pipe, body, els),
        _ => Node::With(pipe, body, els),
    })
}

fn tokenize_args(s: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c == '"' || c == '`' || c == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' && c != '`' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c == '(' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '(' {
                    depth += 1;
                } else if chars[i] == ')' {
                    depth -= 1;
                    if depth == 0 {
                        i += 1;
                        break;
                    }
                }
                i += 1;
            }
            // a field chain may follow `(...)`
            while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '|' {
                i += 1;
            }
        } else if c == '|' || c == ',' {
            i += 1;
        } else if c == ':' && chars.get(i + 1) == Some(&'=') {
            i += 2;
        } else {
            while i < chars.len()
                && !chars[i].is_whitespace()
                && chars[i] != '|'
                && chars[i] != ','
                && !(chars[i] == ':' && chars.get(i + 1) == Some(&'='))
                && chars[i] != '('
            {
                i += 1;
            }
        }
        out.push(chars[start..i.min(chars.len())].iter().collect());
    }
    Ok(out)
}

fn parse_pipe(s: &str) -> Result<Pipe, String> {
    let toks = tokenize_args(s)?;
    let mut pipe = Pipe::default();
    let mut idx = 0;
    if let Some(p) = toks.iter().position(|t| t == ":=" || t == "=") {
        for t in &toks[..p] {
            if t != "," {
                pipe.decls.push(t.clone());
            }
        }
        idx = p + 1;
    }
    let mut cmd = Vec::new();
    for t in &toks[idx..] {
        if t == "|" {
            pipe.cmds.push(std::mem::take(&mut cmd));
        } else {
            cmd.push(parse_arg(t)?);
        }
    }
    if !cmd.is_empty() {
        pipe.cmds.push(cmd);
    }
    if pipe.cmds.is_empty() {
        return Err("template: output:1: missing value for command".to_string());
    }
    Ok(pipe)
}

fn fields(s: &str) -> Vec<String> {
    s.split('.')
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_arg(t: &str) -> Result<Arg, String> {
    let c = t.chars().next().unwrap_or(' ');
    Ok(match c {
        '.' => Arg::Dot(fields(t)),
        '$' => {
            let (name, rest) = match t.find('.') {
                Some(p) => (&t[..p], &t[p..]),
                None => (t, ""),
            };
            Arg::Var(name.to_string(), fields(rest))
        }
        '"' => Arg::Str(unquote_go(t)?),
        '`' => Arg::Str(t.trim_matches('`').to_string()),
        '(' => {
            let close = t.rfind(')').unwrap_or(t.len() - 1);
            Arg::Sub(Box::new(parse_pipe(&t[1..close])?), fields(&t[close + 1..]))
        }
        _ if t == "true" || t == "false" => Arg::Bool(t == "true"),
        _ if t == "nil" => Arg::Nil,
        _ if c.is_ascii_digit() || c == '-' || c == '+' => Arg::Num(
            t.parse()
                .map_err(|_| format!("template: output:1: bad number syntax: {t:?}"))?,
        ),
        _ => Arg::Func(t.to_string()),
    })
}

fn unquote_go(t: &str) -> Result<String, String> {
    let inner = t
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .ok_or_else(|| "template: output:1: unterminated quoted string".to_string())?;
    let mut out = String::new();
    let mut it = inner.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some(o) => {
                    out.push('\\');
                    out.push(o);
                }
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

fn lookup(v: &V, path: &[String]) -> V {
    let mut cur = v.clone();
    for f in path {
        cur = match cur {
            V::J(Value::Object(m)) => m.get(f).cloned().map(V::J).unwrap_or(V::Missing),
            _ => V::Missing,
        };
    }
    cur
}

fn get_var(vars: &[(String, V)], name: &str) -> Result<V, String> {
    vars.iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .ok_or_else(|| format!("template: output:1: undefined variable: {name}"))
}

fn eval_arg(a: &Arg, dot: &V, vars: &mut Vec<(String, V)>) -> Result<V, String> {
    Ok(match a {
        Arg::Dot(p) => lookup(dot, p),
        Arg::Var(n, p) => lookup(&get_var(vars, n)?, p),
        Arg::Str(s) => V::J(Value::String(s.clone())),
        Arg::Num(n) => V::J(serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number)),
        Arg::Bool(b) => V::J(Value::Bool(*b)),
        Arg::Nil => V::J(Value::Null),
        Arg::Sub(p, f) => lookup(&eval_pipe(p, dot, vars)?, f),
        Arg::Func(name) => call(name, &[], None)?,
    })
}

fn eval_pipe(p: &Pipe, dot: &V, vars: &mut Vec<(String, V)>) -> Result<V, String> {
    let mut prev: Option<V> = None;
    for cmd in &p.cmds {
        let Some(first) = cmd.first() else { continue };
        let v = match first {
            Arg::Func(name) => {
                let mut args = Vec::new();
                for a in &cmd[1..] {
                    args.push(eval_arg(a, dot, vars)?);
                }
                call(name, &args, prev.take())?
            }
            other => {
                if cmd.len() > 1 {
                    return Err(format!(
                        "template: output:1: can't give argument to non-function {other:?}"
                    ));
                }
                eval_arg(other, dot, vars)?
            }
        };
        prev = Some(v);
    }
    let v = prev.unwrap_or(V::Missing);
    if p.decls.len() == 1 {
        vars.push((p.decls[0].clone(), v.clone()));
    }
    Ok(v)
}

fn num(v: &V) -> Option<f64> {
    match v {
        V::J(Value::Number(n)) => n.as_f64(),
        _ => None,
    }
}

fn compare(a: &V, b: &V) -> Result<std::cmp::Ordering, String> {
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return x
            .partial_cmp(&y)
            .ok_or_else(|| "incompatible types for comparison".to_string());
    }
    match (a, b) {
        (V::J(Value::String(x)), V::J(Value::String(y))) => Ok(x.cmp(y)),
        _ => Err("template: output:1: error calling lt: incompatible types for comparison".into()),
    }
}

fn call(name: &str, args: &[V], piped: Option<V>) -> Result<V, String> {
    let mut args: Vec<V> = args.to_vec();
    if let Some(p) = piped {
        args.push(p);
    }
    let s = |t: String| V::J(Value::String(t));
    let arity = |n: usize| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "template: output:1: wrong number of args for {name}: want {n} got {}",
                args.len()
            ))
        }
    };
    Ok(match name {
        "index" => {
            let mut cur = args.first().cloned().unwrap_or(V::Missing);
            for k in args.iter().skip(1) {
                cur = match (&cur, k) {
                    (V::J(Value::Object(m)), V::J(Value::String(key))) => {
                        m.get(key).cloned().map(V::J).unwrap_or(V::Missing)
                    }
                    (V::J(Value::Array(a)), idx) => {
                        let i = num(idx).unwrap_or(-1.0);
                        match a.get(i as usize).filter(|_| i >= 0.0) {
                            Some(x) => V::J(x.clone()),
                            None => {
                                return Err(format!(
                                "template: output:1: error calling index: index out of range: {i}"
                            ))
                            }
                        }
                    }
                    _ => V::Missing,
                };
            }
            cur
        }
        "len" => {
            arity(1)?;
            let n = match &args[0] {
                V::J(Value::Array(a)) => a.len(),
                V::J(Value::Object(m)) => m.len(),
                V::J(Value::String(t)) => t.len(),
                _ => return Err("template: output:1: error calling len: len of nil pointer".into()),
            };
            V::J(Value::from(n as f64))
        }
        "print" => s(args.iter().map(V::text).collect::<Vec<_>>().join("")),
        "println" => s(format!(
            "{}\n",
            args.iter().map(V::text).collect::<Vec<_>>().join(" ")
        )),
        "printf" => {
            let fmt = args.first().map(V::text).unwrap_or_default();
            s(sprintf(&fmt, &args[1.min(args.len())..]))
        }
        "not" => {
            arity(1)?;
            V::J(Value::Bool(!args[0].truthy()))
        }
        "and" => args
            .iter()
            .find(|a| !a.truthy())
            .or(args.last())
            .cloned()
            .unwrap_or(V::Missing),
        "or" => args
            .iter()
            .find(|a| a.truthy())
            .or(args.last())
            .cloned()
            .unwrap_or(V::Missing),
        "eq" => {
            let first = args.first().cloned().unwrap_or(V::Missing);
            let eq = args.iter().skip(1).any(|b| match (num(&first), num(b)) {
                (Some(x), Some(y)) => x == y,
                _ => &first == b,
            });
            V::J(Value::Bool(eq))
        }
        "ne" => {
            arity(2)?;
            let eq = match (num(&args[0]), num(&args[1])) {
                (Some(x), Some(y)) => x == y,
                _ => args[0] == args[1],
            };
            V::J(Value::Bool(!eq))
        }
        "lt" | "le" | "gt" | "ge" => {
            arity(2)?;
            let o = compare(&args[0], &args[1])?;
            use std::cmp::Ordering::*;
            let r = match name {
                "lt" => o == Less,
                "le" => o != Greater,
                "gt" => o == Greater,
                _ => o != Less,
            };
            V::J(Value::Bool(r))
        }
        "exists" => {
            let mut cur = args.first().cloned().unwrap_or(V::Missing);
            for k in args.iter().skip(1) {
                cur = lookup(&cur, &[k.text()]);
            }
            V::J(Value::Bool(cur != V::Missing))
        }
        "base64decode" => {
            arity(1)?;
            match base64_decode(&args[0].text()) {
                Some(t) => s(t),
                None => {
                    return Err(
                        "template: output:1: error calling base64decode: illegal base64 data"
                            .to_string(),
                    )
                }
            }
        }
        other => {
            return Err(format!(
                "template: output:1: function {other:?} not defined"
            ))
        }
    })
}

fn base64_decode(s: &str) -> Option<String> {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        if c == b'=' {
            break;
        }
        let v = T.iter().position(|&x| x == c)? as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Go's `fmt.Sprintf` for the verbs templates use: %s %v %d %q %f %t %%, with width and `-`.
fn sprintf(fmt: &str, args: &[V]) -> String {
    let mut out = String::new();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    let mut ai = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        let mut left = false;
        while i < chars.len()
            && (chars[i] == '-' || chars[i] == '+' || chars[i] == ' ' || chars[i] == '0')
        {
            left |= chars[i] == '-';
            i += 1;
        }
        let mut width = 0usize;
        while i < chars.len() && chars[i].is_ascii_digit() {
            width = width * 10 + chars[i].to_digit(10).unwrap_or(0) as usize;
            i += 1;
        }
        let mut prec: Option<usize> = None;
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            let mut p = 0;
            while i < chars.len() && chars[i].is_ascii_digit() {
                p = p * 10 + chars[i].to_digit(10).unwrap_or(0) as usize;
                i += 1;
            }
            prec = Some(p);
        }
        let Some(&verb) = chars.get(i) else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(ai) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        ai += 1;
        let text = match verb {
            'd' => match num(arg) {
                Some(f) if f.fract() == 0.0 => format!("{}", f as i64),
                _ => format!("%!d({})", arg.text()),
            },
            'q' => {
                let mut q = String::new();
                super::json::write_string(&mut q, &arg.text());
                q
            }
            'f' => match num(arg) {
                Some(f) => format!("{:.*}", prec.unwrap_or(6), f),
                None => format!("%!f({})", arg.text()),
            },
            _ => arg.text(),
        };
        let pad = width.saturating_sub(text.chars().count());
        if left {
            out.push_str(&text);
            out.push_str(&" ".repeat(pad));
        } else {
            out.push_str(&" ".repeat(pad));
            out.push_str(&text);
        }
    }
    if ai < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[ai..].iter().map(|a| a.text()).collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

fn exec(
    nodes: &[Node],
    dot: &V,
    vars: &mut Vec<(String, V)>,
    out: &mut String,
) -> Result<(), String> {
    for n in nodes {
        let mark = vars.len();
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Action(p) => {
                let v = eval_pipe(p, dot, vars)?;
                if p.decls.is_empty() {
                    out.push_str(&v.text());
                } else {
                    // A declaration prints nothing and stays in scope for the rest of the list.
                    continue;
                }
            }
            Node::If(p, then, els) => {
                let v = eval_pipe(p, dot, vars)?;
                if v.truthy() {
                    exec(then, dot, vars, out)?;
                } else {
                    exec(els, dot, vars, out)?;
                }
            }
            Node::With(p, then, els) => {
                let v = eval_pipe(p, dot, vars)?;
                if v.truthy() {
                    exec(then, &v, vars, out)?;
                } else {
                    exec(els, dot, vars, out)?;
                }
            }
            Node::Range(p, body, els) => {
                let inner = Pipe {
                    decls: Vec::new(),
                    cmds: p.cmds.clone(),
                };
                let v = eval_pipe(&inner, dot, vars)?;
                let items: Vec<(Value, Value)> = match &v {
                    V::J(Value::Array(a)) => a
                        .iter()
                        .enumerate()
                        .map(|(i, x)| (Value::from(i as f64), x.clone()))
                        .collect(),
                    V::J(Value::Object(m)) => m
                        .iter()
                        .map(|(k, x)| (Value::String(k.clone()), x.clone()))
                        .collect(),
                    V::J(Value::Null) | V::Missing => Vec::new(),
                    V::J(other) => {
                        return Err(format!(
                            "template: output:1: range can't iterate over {}",
                            go_print(other)
                        ))
                    }
                };
                if items.is_empty() {
                    exec(els, dot, vars, out)?;
                }
                for (k, x) in items {
                    let m2 = vars.len();
                    match p.decls.len() {
                        1 => vars.push((p.decls[0].clone(), V::J(x.clone()))),
                        2 => {
                            vars.push((p.decls[0].clone(), V::J(k)));
                            vars.push((p.decls[1].clone(), V::J(x.clone())));
                        }
                        _ => {}
                    }
                    exec(body, &V::J(x), vars, out)?;
                    vars.truncate(m2);
                }
            }
        }
        vars.truncate(mark);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(t: &str, v: &Value) -> String {
        GoTemplate::parse(t).unwrap().execute(v).unwrap()
    }

    #[test]
    fn tutorial_templates() {
        let pod = json!({"metadata": {"name": "web-0", "labels": {"app": "nginx"}},
                         "spec": {"replicas": 3, "containers": [{"image": "registry.k8s.io/nginx-slim:0.8"}]}});
        assert_eq!(
            run(
                "{{range $i, $c := .spec.containers}}{{$c.image}}{{end}}",
                &pod
            ),
            "registry.k8s.io/nginx-slim:0.8"
        );
        assert_eq!(run("{{.metadata.name}}{{\"\\n\"}}", &pod), "web-0\n");
        assert_eq!(run("{{.metadata.missing}}", &pod), "<no value>");
        assert_eq!(run("{{.spec.replicas}}", &pod), "3");
        assert_eq!(run("{{index .metadata.labels \"app\"}}", &pod), "nginx");
        assert_eq!(
            run(
                "{{if eq .metadata.name \"web-0\"}}yes{{else}}no{{end}}",
                &pod
            ),
            "yes"
        );
        assert_eq!(
            run("{{printf \"%s-%d\" .metadata.name 7}}", &pod),
            "web-0-7"
        );
        assert_eq!(
            run(
                "{{range .items}}{{.n}} {{end}}",
                &json!({"items": [{"n": "a"}, {"n": "b"}]})
            ),
            "a b "
        );
        assert_eq!(run("a {{- \" b \" -}} c", &pod), "a b c");
        assert_eq!(run("{{len .spec.containers}}", &pod), "1");
        assert_eq!(run("{{$n := .metadata.name}}{{$n}}", &pod), "web-0");
        assert_eq!(run("{{.metadata.labels}}", &pod), "map[app:nginx]");
    }
}
