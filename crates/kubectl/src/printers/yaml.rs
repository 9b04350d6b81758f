//! `-o yaml` exactly as kubectl prints it: `sigs.k8s.io/yaml.JSONToYAML`, i.e. go-yaml v2's
//! encoder and libyaml-derived emitter. Keys sorted in go-yaml's "natural" order, 2-space
//! indent, sequences not indented under their key, strings quoted only when a plain scalar
//! would read back as something else, multi-line strings as `|` blocks, and long plain or
//! quoted scalars folded at spaces past column 80 (`best_width`).
//!
//! This is output only; reading YAML belongs to `crate::manifest` (serde_yaml).

use serde_json::Value;
use std::cmp::Ordering;

const BEST_INDENT: usize = 2;
const BEST_WIDTH: usize = 80;

/// Serialises a JSON value as go-yaml v2 would (ends with a newline).
pub fn to_yaml(v: &Value) -> String {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        indent: 0,
    };
    e.node(v, Ctx::Root, 0);
    if !e.out.ends_with('\n') {
        e.out.push('\n');
    }
    e.out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Root,
    /// The value of a block mapping whose keys sit at the given indent.
    MapValue,
    /// An item of a block sequence.
    SeqItem,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: usize,
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = self.indent;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn indicator(&mut self, s: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        for c in s.chars() {
            self.put(c);
        }
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    /// Emits `v`; `parent` is the indent of the enclosing collection.
    fn node(&mut self, v: &Value, ctx: Ctx, parent: usize) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                // Block mapping: its keys sit two columns in from the parent (0 at the root).
                let ind = if ctx == Ctx::Root {
                    0
                } else {
                    parent + BEST_INDENT
                };
                let mut keys: Vec<&String> = m.keys().collect();
                kubeplay_shell::sorting::sort_by(&mut keys, |a, b| natural_cmp(a, b));
                for k in keys {
                    self.indent = ind;
                    self.write_indent();
                    self.scalar(k, ind, true);
                    self.indicator(":", false, false, false);
                    if let Some(val) = m.get(k) {
                        self.node(val, Ctx::MapValue, ind);
                    }
                }
            }
            Value::Array(a) if !a.is_empty() => {
                // A sequence that is a mapping's value is not indented ("indentless").
                let ind = match ctx {
                    Ctx::Root => 0,
                    Ctx::MapValue => parent,
                    Ctx::SeqItem => parent + BEST_INDENT,
                };
                for item in a {
                    self.indent = ind;
                    self.write_indent();
                    self.indicator("-", true, false, true);
                    self.node(item, Ctx::SeqItem, ind);
                }
            }
            Value::Object(_) => self.indicator("{}", true, false, false),
            Value::Array(_) => self.indicator("[]", true, false, false),
            Value::Null => self.plain_word("null"),
            Value::Bool(b) => self.plain_word(if *b { "true" } else { "false" }),
            Value::Number(n) => {
                let text = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                    (Some(i), _, _) => i.to_string(),
                    (_, Some(u), _) => u.to_string(),
                    (_, _, Some(f)) => go_yaml_float(f),
                    _ => n.to_string(),
                };
                self.plain_word(&text);
            }
            Value::String(s) => {
                let ind = if ctx == Ctx::Root { 0 } else { parent };
                self.scalar(s, ind, false);
            }
        }
    }

    fn plain_word(&mut self, s: &str) {
        if !self.whitespace {
            self.put(' ');
        }
        for c in s.chars() {
            self.put(c);
        }
        self.whitespace = false;
        self.indention = false;
    }

    /// A string scalar; `parent` is the indent of the collection holding it.
    fn scalar(&mut self, s: &str, parent: usize, simple_key: bool) {
        let a = analyze(s);
        let mut style = if s.contains('\n') {
            Style::Literal
        } else if resolves_to_string(s) {
            Style::Plain
        } else {
            Style::Double
        };
        if simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || simple_key) {
            style = Style::Double;
        }
        // emit_scalar increases the indent by best_indent for the scalar's continuation lines.
        self.indent = parent + BEST_INDENT;
        let breaks = !simple_key;
        match style {
            Style::Plain => self.write_plain(s, breaks),
            Style::Single => self.write_single(s, breaks),
            Style::Double => self.write_double(s, breaks),
            Style::Literal => self.write_literal(s),
        }
    }

    fn write_plain(&mut self, s: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, s: &str, allow_breaks: bool) {
        self.indicator("'", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i != n - 1
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.indicator("'", false, false, false);
    }

    fn write_double(&mut self, s: &str, allow_breaks: bool) {
        self.indicator("\"", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                let esc = match c {
                    '\0' => "0".to_string(),
                    '\u{7}' => "a".to_string(),
                    '\u{8}' => "b".to_string(),
                    '\t' => "t".to_string(),
                    '\n' => "n".to_string(),
                    '\u{b}' => "v".to_string(),
                    '\u{c}' => "f".to_string(),
                    '\r' => "r".to_string(),
                    '\u{1b}' => "e".to_string(),
                    '"' => "\"".to_string(),
                    '\\' => "\\".to_string(),
                    '\u{85}' => "N".to_string(),
                    '\u{a0}' => "_".to_string(),
                    '\u{2028}' => "L".to_string(),
                    '\u{2029}' => "P".to_string(),
                    c if (c as u32) <= 0xFF => format!("x{:02X}", c as u32),
                    c if (c as u32) <= 0xFFFF => format!("u{:04X}", c as u32),
                    c => format!("U{:08X}", c as u32),
                };
                for e in esc.chars() {
                    self.put(e);
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i != 0 && i != n - 1 {
                    self.write_indent();
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.indicator("\"", false, false, false);
    }

    fn write_literal(&mut self, s: &str) {
        self.indicator("|", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        if chars.first().is_some_and(|&c| c == ' ' || is_break(c)) {
            self.indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let chomp = match chars.len() {
            0 => Some("-"),
            n if !is_break(chars[n - 1]) => Some("-"),
            1 => Some("+"),
            n if is_break(chars[n - 2]) => Some("+"),
            _ => None,
        };
        if let Some(h) = chomp {
            self.indicator(h, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in &chars {
            if is_break(c) {
                self.put_break();
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's `is_printable` (tab is not printable; neither is anything beyond the BMP).
fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// `yaml_emitter_analyze_scalar` for block context.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let mut block_ind = s.starts_with("---") || s.starts_with("...");
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut previous_space, mut previous_break) =
        (false, false, false, false);
    let (mut line_breaks, mut special) = (false, false);
    let mut preceded_by_ws = true;
    for i in 0..n {
        let c = chars[i];
        let followed_by_ws = i + 1 >= n || chars[i + 1] == ' ' || chars[i + 1] == '\t';
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_ind = true,
                '?' | ':' if followed_by_ws => block_ind = true,
                '-' if followed_by_ws => block_ind = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_ind = true,
                '#' if preceded_by_ws => block_ind = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = c == ' ' || c == '\t' || is_break(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks {
        a.block_plain_allowed = false;
    }
    if block_ind {
        a.block_plain_allowed = false;
    }
    a
}

/// go-yaml v2 `resolve("", s)` yields the str tag and `s` is not a base-60 float: then the
/// encoder may leave it unquoted.
fn resolves_to_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no",
        "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null",
        "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", "<<",
    ];
    if SPECIAL.contains(&s) {
        return false;
    }
    let first = s.as_bytes().first().copied().unwrap_or(b'N');
    match first {
        b'.' if go_parse_float(s) => {
            return false;
        }
        b'+' | b'-' | b'0'..=b'9' => {
            if is_timestamp(s) {
                return false;
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            if go_parse_int(&plain) || yaml_style_float(&plain) {
                return false;
            }
            if let Some(b) = plain
                .strip_prefix("0b")
                .or_else(|| plain.strip_prefix("-0b"))
            {
                if !b.is_empty() && b.chars().all(|c| c == '0' || c == '1') {
                    return false;
                }
            }
        }
        _ => {}
    }
    !is_base60_float(s)
}

/// strconv.ParseInt/ParseUint(s, 0, 64) success (sign, 0x/0o/0b prefixes, leading-0 octal).
fn go_parse_int(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() {
        return false;
    }
    let (digits, radix) = if let Some(r) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (r, 16)
    } else if let Some(r) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (r, 8)
    } else if let Some(r) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (r, 2)
    } else if body.len() > 1 && body.starts_with('0') {
        (&body[1..], 8)
    } else {
        (body, 10)
    };
    !digits.is_empty() && u64::from_str_radix(digits, radix).is_ok()
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` followed by a successful ParseFloat.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// strconv.ParseFloat success for the `.`-hinted case (`.5`, `.5e3`).
fn go_parse_float(s: &str) -> bool {
    yaml_style_float(s)
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        let st = i;
        while i < b.len() && b[i].is_ascii_digit() && i - st < 2 {
            i += 1;
        }
        let g = &s[st..i];
        let ok = match g.len() {
            1 => true,
            2 => g.as_bytes()[0] <= b'5',
            _ => false,
        };
        if !ok {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// go-yaml v2 `parseTimestamp`: four digits then '-', then one of its accepted layouts
/// (`2006-1-2T15:4:5.999999999Z07:00`, `2006-1-2t15:4:5.999999999Z07:00`,
/// `2006-1-2 15:4:5.999999999`, `2006-1-2`).
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut i = 5;
    let num = |i: &mut usize, max: usize| -> bool {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - st < max {
            *i += 1;
        }
        *i > st
    };
    if !num(&mut i, 2) || i >= b.len() || b[i] != b'-' {
        return false;
    }
    i += 1;
    if !num(&mut i, 2) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let sep = b[i];
    if sep != b'T' && sep != b't' && sep != b' ' {
        return false;
    }
    i += 1;
    for k in 0..3 {
        if !num(&mut i, 2) {
            return false;
        }
        if k < 2 {
            if i >= b.len() || b[i] != b':' {
                return false;
            }
            i += 1;
        }
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if !num(&mut i, 9) {
            return false;
        }
    }
    let rest = &s[i..];
    if sep == b' ' {
        return rest.is_empty();
    }
    if rest == "Z" {
        return true;
    }
    let r = rest.as_bytes();
    r.len() == 6
        && (r[0] == b'+' || r[0] == b'-')
        && r[1].is_ascii_digit()
        && r[2].is_ascii_digit()
        && r[3] == b':'
        && r[4].is_ascii_digit()
        && r[5].is_ascii_digit()
}

/// go-yaml v2's map key order (`keyList.Less`): runs of digits compare as numbers and a
/// non-letter sorts before a letter.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_ascii_digit() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an
                .saturating_mul(10)
                .saturating_add(ar[ai] as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn
                .saturating_mul(10)
                .saturating_add(br[bi] as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

/// Shortest decimal digits and exponent of `f` (as `d.ddd × 10^exp`).
fn shortest_digits(f: f64) -> (String, i32) {
    let e = format!("{:e}", f.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    (digits, exp.parse().unwrap_or(0))
}

/// Go `strconv.FormatFloat(f, 'g', -1, 64)` with go-yaml's `.inf`/`.nan` spellings.
pub fn go_yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    go_format_float(f, |exp| !(-4..6).contains(&exp))
}

/// Go's `encoding/json` float form ('f' unless |f| < 1e-6 or ≥ 1e21, then cleaned-up 'e').
pub fn go_json_float(f: f64) -> String {
    let a = f.abs();
    let use_e = a != 0.0 && !(1e-6..1e21).contains(&a);
    let mut t = go_format_float(f, |_| use_e);
    // encoding/json cleans up `e-07` to `e-7`.
    if let Some(pos) = t.find("e-0") {
        if t.len() == pos + 4 {
            t.remove(pos + 2);
        }
    }
    t
}

fn go_format_float(f: f64, use_exp: impl Fn(i32) -> bool) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (digits, exp) = shortest_digits(f);
    let sign = if f < 0.0 { "-" } else { "" };
    if use_exp(exp) {
        let mut m = digits[..1].to_string();
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let es = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{es}{:02}", exp.abs());
    }
    let n = digits.len() as i32;
    let body = if exp >= n - 1 {
        format!("{digits}{}", "0".repeat((exp - (n - 1)) as usize))
    } else if exp >= 0 {
        let p = (exp + 1) as usize;
        format!("{}.{}", &digits[..p], &digits[p..])
    } else {
        format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;
    use serde_json::json;

    #[test]
    fn emits_kubectl_style_yaml() {
        let v = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web-0", "resourceVersion": "123", "creationTimestamp": "2026-01-01T00:00:00Z",
                          "labels": {"app": "nginx"}, "annotations": {}, "finalizers": [],
                          "empty": "", "yes": "yes", "star": "*x", "colon": "a: b", "ip": "10.0.0.1",
                          "last": "{\"a\":1}\n", "multi": "line1\nline2", "port": "8080"},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                                     "ports": [{"containerPort": 80, "name": "web"}],
                                     "args": ["-c", "echo hi"]}],
                     "nested": [[1, 2], []], "f": 0.5, "n": null, "b": true},
        });
        expect![[r#"
            apiVersion: v1
            kind: Pod
            metadata:
              annotations: {}
              colon: 'a: b'
              creationTimestamp: "2026-01-01T00:00:00Z"
              empty: ""
              finalizers: []
              ip: 10.0.0.1
              labels:
                app: nginx
              last: |
                {"a":1}
              multi: |-
                line1
                line2
              name: web-0
              port: "8080"
              resourceVersion: "123"
              star: '*x'
              "yes": "yes"
            spec:
              b: true
              containers:
              - args:
                - -c
                - echo hi
                image: nginx:1.25
                name: nginx
                ports:
                - containerPort: 80
                  name: web
              f: 0.5
              "n": null
              nested:
              - - 1
                - 2
              - []
        "#]]
        .assert_eq(&to_yaml(&v));
    }

    #[test]
    fn folds_long_plain_scalars_past_column_80() {
        let v = json!({"status": {"conditions": [{"message": "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."}]}});
        expect![[r#"
            status:
              conditions:
              - message: '0/3 nodes are available: 3 node(s) didn''t match Pod''s node affinity/selector.
                  preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.'
        "#]]
        .assert_eq(&to_yaml(&v));
    }

    #[test]
    fn natural_key_order_and_floats() {
        let mut keys = vec!["a10", "a9", "a_b", "aB", "a"];
        keys.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(keys, ["a", "a_b", "a9", "a10", "aB"]);
        assert_eq!(go_yaml_float(1e6), "1e+06");
        assert_eq!(go_yaml_float(100000.5), "100000.5");
        assert_eq!(go_yaml_float(0.0001), "0.0001");
        assert_eq!(go_yaml_float(0.00001), "1e-05");
        assert_eq!(go_json_float(1e21), "1e+21");
        assert_eq!(go_json_float(1e20), "100000000000000000000");
        assert_eq!(go_json_float(1e-7), "1e-7");
        assert!(!resolves_to_string("1:20"));
        assert!(!resolves_to_string("0x1F"));
        assert!(!resolves_to_string("2026-01-01"));
        assert!(resolves_to_string("nginx:1.25"));
        assert!(resolves_to_string("1.2.3"));
    }
}
