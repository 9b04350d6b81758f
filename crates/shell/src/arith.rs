//! Shell arithmetic for `$((...))`: integers (i64, wrapping), variables by name, the C operators
//! POSIX lists (no `++`/`--`). Errors are busybox words (`arithmetic syntax error`,
//! `divide by zero`). Must never panic: overflow wraps, nesting is bounded.

use crate::Env;

#[derive(Debug, Clone, PartialEq)]
enum T {
    Num(i64),
    Name(String),
    Op(&'static str),
}

const OPS: [&str; 32] = [
    "<<=", ">>=", "**", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=",
    "%=", "&=", "|=", "^=", "+", "-", "*", "/", "%", "<", ">", "&", "|", "^", "!", "~", "=",
];

fn syntax() -> String {
    "arithmetic syntax error".to_string()
}

fn lex(s: &str) -> Result<Vec<T>, String> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
            continue;
        }
        if ch.is_ascii_digit() {
            let st = i;
            while i < c.len() && c[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let text: String = c[st..i].iter().collect();
            out.push(T::Num(parse_num(&text)?));
            continue;
        }
        if ch == '_' || ch.is_ascii_alphabetic() {
            let st = i;
            while i < c.len() && (c[i] == '_' || c[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            out.push(T::Name(c[st..i].iter().collect()));
            continue;
        }
        if ch == '(' || ch == ')' || ch == '?' || ch == ':' {
            out.push(T::Op(match ch {
                '(' => "(",
                ')' => ")",
                '?' => "?",
                _ => ":",
            }));
            i += 1;
            continue;
        }
        let mut found = false;
        for op in OPS {
            let n = op.chars().count();
            if i + n <= c.len() && c[i..i + n].iter().copied().eq(op.chars()) {
                out.push(T::Op(op));
                i += n;
                found = true;
                break;
            }
        }
        if !found {
            return Err(syntax());
        }
    }
    Ok(out)
}

fn parse_num(text: &str) -> Result<i64, String> {
    let r = if let Some(h) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        i64::from_str_radix(h, 16)
    } else if text.len() > 1 && text.starts_with('0') {
        i64::from_str_radix(&text[1..], 8)
    } else {
        text.parse::<i64>()
    };
    r.map_err(|_| syntax())
}

struct P<'a> {
    t: Vec<T>,
    i: usize,
    env: &'a mut Env,
    depth: u32,
    /// When false, assignments are not performed (the unevaluated side of `&&`, `||`, `?:`).
    live: bool,
}

/// Evaluates an arithmetic expression (already parameter-expanded) against `env`.
pub fn eval(expr: &str, env: &mut Env) -> Result<i64, String> {
    let t = lex(expr)?;
    if t.is_empty() {
        return Ok(0);
    }
    let mut p = P {
        t,
        i: 0,
        env,
        depth: 0,
        live: true,
    };
    let v = p.assign()?;
    if p.i != p.t.len() {
        return Err(syntax());
    }
    Ok(v)
}

fn var_value(env: &Env, name: &str) -> Result<i64, String> {
    let v = env.get(name).unwrap_or("").trim().to_string();
    if v.is_empty() {
        return Ok(0);
    }
    let (neg, digits) = match v.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, v.as_str()),
    };
    let n = parse_num(digits)?;
    Ok(if neg { n.wrapping_neg() } else { n })
}

impl P<'_> {
    fn peek(&self) -> Option<&T> {
        self.t.get(self.i)
    }
    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(T::Op(o)) if *o == op)
    }

    fn assign(&mut self) -> Result<i64, String> {
        self.depth += 1;
        if self.depth > 100 {
            return Err(syntax());
        }
        let r = self.assign_inner();
        self.depth -= 1;
        r
    }

    fn assign_inner(&mut self) -> Result<i64, String> {
        if let (Some(T::Name(n)), Some(T::Op(op))) = (self.t.get(self.i), self.t.get(self.i + 1)) {
            let op = *op;
            if matches!(
                op,
                "=" | "+=" | "-=" | "*=" | "/=" | "%=" | "<<=" | ">>=" | "&=" | "|=" | "^="
            ) {
                let name = n.clone();
                self.i += 2;
                let rhs = self.assign()?;
                let v = if op == "=" {
                    rhs
                } else {
                    let cur = var_value(self.env, &name)?;
                    binop(&op[..op.len() - 1], cur, rhs)?
                };
                if self.live {
                    self.env.set(&name, &v.to_string());
                }
                return Ok(v);
            }
        }
        self.ternary()
    }

    fn ternary(&mut self) -> Result<i64, String> {
        let c = self.binary(0)?;
        if self.is_op("?") {
            self.i += 1;
            let live = self.live;
            self.live = live && c != 0;
            let a = self.assign()?;
            if !self.is_op(":") {
                return Err(syntax());
            }
            self.i += 1;
            self.live = live && c == 0;
            let b = self.assign()?;
            self.live = live;
            return Ok(if c != 0 { a } else { b });
        }
        Ok(c)
    }

    fn binary(&mut self, min_prec: u8) -> Result<i64, String> {
        let mut lhs = self.unary()?;
        while let Some(T::Op(op)) = self.peek() {
            let op = *op;
            let Some(prec) = prec(op) else { break };
            if prec < min_prec {
                break;
            }
            self.i += 1;
            if op == "&&" || op == "||" {
                let live = self.live;
                let short = if op == "&&" { lhs == 0 } else { lhs != 0 };
                self.live = live && !short;
                let rhs = self.binary(prec + 1)?;
                self.live = live;
                lhs = if short {
                    i64::from(op == "||")
                } else {
                    i64::from(rhs != 0)
                };
                continue;
            }
            // `**` is right-associative.
            let next = if op == "**" { prec } else { prec + 1 };
            self.depth += 1;
            if self.depth > 100 {
                return Err(syntax());
            }
            let rhs = self.binary(next);
            self.depth -= 1;
            let rhs = rhs?;
            lhs = if self.live {
                binop(op, lhs, rhs)?
            } else {
                binop(op, lhs, rhs).unwrap_or(0)
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<i64, String> {
        self.depth += 1;
        if self.depth > 100 {
            return Err(syntax());
        }
        let r = self.unary_inner();
        self.depth -= 1;
        r
    }

    fn unary_inner(&mut self) -> Result<i64, String> {
        match self.peek().cloned() {
            Some(T::Op("-")) => {
                self.i += 1;
                Ok(self.unary()?.wrapping_neg())
            }
            Some(T::Op("+")) => {
                self.i += 1;
                self.unary()
            }
            Some(T::Op("!")) => {
                self.i += 1;
                Ok(i64::from(self.unary()? == 0))
            }
            Some(T::Op("~")) => {
                self.i += 1;
                Ok(!self.unary()?)
            }
            Some(T::Op("(")) => {
                self.i += 1;
                let v = self.assign()?;
                if !self.is_op(")") {
                    return Err(syntax());
                }
                self.i += 1;
                Ok(v)
            }
            Some(T::Num(n)) => {
                self.i += 1;
                Ok(n)
            }
            Some(T::Name(n)) => {
                self.i += 1;
                var_value(self.env, &n)
            }
            _ => Err(syntax()),
        }
    }
}

fn prec(op: &str) -> Option<u8> {
    Some(match op {
        "||" => 1,
        "&&" => 2,
        "|" => 3,
        "^" => 4,
        "&" => 5,
        "==" | "!=" => 6,
        "<" | ">" | "<=" | ">=" => 7,
        "<<" | ">>" => 8,
        "+" | "-" => 9,
        "*" | "/" | "%" => 10,
        "**" => 11,
        _ => return None,
    })
}

fn binop(op: &str, a: i64, b: i64) -> Result<i64, String> {
    Ok(match op {
        "+" => a.wrapping_add(b),
        "-" => a.wrapping_sub(b),
        "*" => a.wrapping_mul(b),
        "/" | "%" => {
            if b == 0 {
                return Err("divide by zero".to_string());
            }
            if op == "/" {
                a.wrapping_div(b)
            } else {
                a.wrapping_rem(b)
            }
        }
        "**" => {
            if b < 0 {
                return Err("exponent less than 0".to_string());
            }
            a.wrapping_pow(u32::try_from(b).unwrap_or(u32::MAX))
        }
        "<<" => a.wrapping_shl(u32::try_from(b & 63).unwrap_or(0)),
        ">>" => a.wrapping_shr(u32::try_from(b & 63).unwrap_or(0)),
        "<" => i64::from(a < b),
        ">" => i64::from(a > b),
        "<=" => i64::from(a <= b),
        ">=" => i64::from(a >= b),
        "==" => i64::from(a == b),
        "!=" => i64::from(a != b),
        "&" => a & b,
        "|" => a | b,
        "^" => a ^ b,
        _ => return Err(syntax()),
    })
}
