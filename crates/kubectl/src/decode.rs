//! Decoding the text behind `-f` into JSON documents exactly as kubectl 1.33 reads it, errors
//! included: apimachinery's `YAMLOrJSONDecoder` (a stream that starts with `{` is read as
//! JSON objects and falls back to YAML on the first failure), its `YAMLReader` (documents
//! split on `---` lines), go-yaml v2's problem texts and line numbers, Go `encoding/json`'s
//! syntax errors (`json: offset 36: invalid character '"' after object key:value pair`) and
//! sigs.k8s.io/yaml's YAML → JSON conversion (duplicate keys: the last one wins).
//!
//! It only turns text into values; what the values mean (kinds, names) is `crate::manifest`'s.
//! It must never panic, whatever the bytes.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// One decoded document.
#[derive(Clone, Debug, PartialEq)]
pub struct RawDocument {
    pub value: Value,
    /// The JSON text kubectl quotes in messages (`Object 'Kind' is missing in '...'`): the
    /// compact, key-sorted conversion for YAML, the text as written for JSON.
    pub raw: String,
    /// 1-based line of the stream where the document starts.
    pub line: usize,
}

/// The error that ended a stream, without kubectl's `error parsing <source>: ` prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamError {
    pub message: String,
    /// Where in the stream (1-based, absolute), when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// Decodes a whole stream: the documents read before the first error, and that error (kubectl
/// stops reading a stream at its first parse error; the documents before it still count).
/// Documents that are empty or `null` are skipped, as kubectl does.
pub fn decode_stream(text: &str) -> (Vec<RawDocument>, Option<StreamError>) {
    let mut docs = Vec::new();
    let mut yaml_from = 0;
    let mut first_err: Option<StreamError> = None;
    if text.trim_start().starts_with('{') {
        let bytes = text.as_bytes();
        let mut pos = 0;
        loop {
            let start = skip_json_space(bytes, pos);
            if start >= bytes.len() {
                return (docs, None);
            }
            match scan_json_value(bytes, start) {
                Ok(end) => {
                    let raw = text.get(start..end).unwrap_or("");
                    let value = serde_json::from_str::<Value>(raw)
                        .map(integral_floats_as_integers)
                        .unwrap_or(Value::Null);
                    if !value.is_null() {
                        docs.push(RawDocument {
                            value,
                            raw: raw.to_string(),
                            line: line_of(text, start),
                        });
                    }
                    pos = end;
                }
                Err(e) => {
                    let (with_offset, bare) = match &e {
                        JsonError::Syntax { offset, message } => {
                            (format!("json: offset {offset}: {message}"), message.clone())
                        }
                        JsonError::UnexpectedEof => {
                            ("unexpected EOF".to_string(), "unexpected EOF".to_string())
                        }
                    };
                    let at = match &e {
                        JsonError::Syntax { offset, .. } => offset.saturating_sub(1),
                        JsonError::UnexpectedEof => bytes.len(),
                    };
                    if docs.len() > 1 {
                        // An unambiguous JSON stream: no YAML fallback, and the error is
                        // returned unwrapped (no offset).
                        return (
                            docs,
                            Some(StreamError {
                                message: bare,
                                line: Some(line_of(text, at)),
                                column: None,
                            }),
                        );
                    }
                    first_err = Some(StreamError {
                        message: with_offset,
                        line: Some(line_of(text, at)),
                        column: None,
                    });
                    yaml_from = consume_whitespace(text, pos);
                    break;
                }
            }
        }
    }
    let rest = text.get(yaml_from..).unwrap_or("");
    let base_line = line_of(text, yaml_from);
    for chunk in read_yaml_documents(rest) {
        match chunk {
            Err(message) => {
                let err = first_err.take().unwrap_or(StreamError {
                    message,
                    line: None,
                    column: None,
                });
                return (docs, Some(err));
            }
            Ok((start, doc)) => match yaml_to_json(doc) {
                Ok(value) => {
                    first_err = None;
                    if value.is_null() {
                        continue;
                    }
                    let raw = serde_json::to_string(&value).unwrap_or_default();
                    docs.push(RawDocument {
                        value,
                        raw,
                        line: base_line + start - 1,
                    });
                }
                Err(e) => {
                    let err = first_err.take().unwrap_or(StreamError {
                        message: format!("error converting YAML to JSON: {}", e.message),
                        line: e.line.map(|l| l + base_line + start - 2),
                        column: e.column,
                    });
                    return (docs, Some(err));
                }
            },
        }
    }
    // The YAML reader met the end of the stream: Go returns io.EOF there, whatever the
    // JSON decoder said.
    (docs, None)
}

/// 1-based line number of a byte offset.
fn line_of(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text.as_bytes()[..at]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// After a failed JSON value apimachinery eats whitespace up to and including the first
/// newline before handing the rest to the YAML reader.
fn consume_whitespace(text: &str, from: usize) -> usize {
    let mut at = from;
    for c in text.get(from..).unwrap_or("").chars() {
        if !c.is_whitespace() {
            break;
        }
        at += c.len_utf8();
        if c == '\n' {
            break;
        }
    }
    at
}

/// apimachinery's `YAMLReader`: documents end at a line starting with `---` that has nothing
/// after it but spaces or a comment; anything else there is an error. A separator met while
/// no document has started stays in the next document (so go-yaml counts its line).
/// Yields (1-based start line within `text`, document text).
pub fn read_yaml_documents(text: &str) -> Vec<Result<(usize, &str), String>> {
    let mut out = Vec::new();
    let mut start_byte = 0;
    let mut start_line = 1;
    let mut len = 0;
    let mut at = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if let Some(rest) = line.strip_prefix("---") {
            let t = rest.trim();
            if !t.is_empty() && !t.starts_with('#') {
                out.push(Err(format!("invalid Yaml document separator: {t}")));
                return out;
            }
            if len != 0 {
                out.push(Ok((
                    start_line,
                    text.get(start_byte..start_byte + len).unwrap_or(""),
                )));
                at += line.len();
                start_byte = at;
                start_line = i + 2;
                len = 0;
                continue;
            }
        }
        at += line.len();
        len += line.len();
    }
    if len != 0 {
        out.push(Ok((
            start_line,
            text.get(start_byte..start_byte + len).unwrap_or(""),
        )));
    }
    out
}

/// The kubectl-side error for a document.
pub struct YamlError {
    pub message: String,
    /// go-yaml's line (relative to the document, 1-based as it counts), if it gave one.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// sigs.k8s.io/yaml `YAMLToJSON` of one document: only its first YAML document is read;
/// duplicate keys keep the last value; integral floats become integers.
pub fn yaml_to_json(doc: &str) -> Result<Value, YamlError> {
    let Some(first) = serde_yaml::Deserializer::from_str(doc).next() else {
        return Ok(Value::Null);
    };
    match (JsonSeed { doc }).deserialize(first) {
        Ok(Json(v)) => Ok(v),
        Err(e) => Err(yaml_error(&e, doc)),
    }
}

/// A serde_yaml error in go-yaml v2's words and line numbering (`parser.fail`): the problem
/// mark's 0-based line (one more for scanner errors), else the context mark's; no line when
/// both are on the first line. libyaml and go-yaml share their problem texts.
fn yaml_error(e: &serde_yaml::Error, doc: &str) -> YamlError {
    let dbg = format!("{e:?}");
    let field = |name: &str| -> Option<&str> {
        let key = format!("{name}: ");
        let at = dbg.find(&key)? + key.len();
        dbg.get(at..)
    };
    let mark = |name: &str| -> Option<(usize, usize)> {
        let rest = field(name)?.strip_prefix("Mark { line: ")?;
        let line = rest
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()?;
        let at = rest.find("column: ")? + 8;
        let col = rest
            .get(at..)?
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()?;
        Some((line, col))
    };
    let problem = field("problem")
        .and_then(|r| r.strip_prefix('"'))
        .and_then(|r| r.split('"').next())
        .map(str::to_string);
    let Some(problem) = problem else {
        // Not a libyaml error: serde_yaml's own (aliases, our conversion).
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        let location = e.location();
        if msg.starts_with("unknown anchor") {
            let name = location
                .as_ref()
                .and_then(|l| doc.get(l.index()..))
                .and_then(|s| s.strip_prefix('*'))
                .map(|s| {
                    s.chars()
                        .take_while(|c| !c.is_whitespace() && !",[]{}".contains(*c))
                        .collect::<String>()
                })
                .unwrap_or_default();
            return YamlError {
                message: format!("yaml: unknown anchor '{name}' referenced"),
                line: location.as_ref().map(|l| l.line()),
                column: location.as_ref().map(|l| l.column()),
            };
        }
        let message = if msg.starts_with("json: ") {
            msg
        } else {
            format!("yaml: {msg}")
        };
        return YamlError {
            message,
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
        };
    };
    let scanner = dbg.contains("kind: SCANNER");
    // Debug prints marks 1-based; go-yaml works with 0-based lines.
    let problem_mark = mark("problem_mark").map(|(l, c)| (l.saturating_sub(1), c));
    let context_mark = mark("context_mark").map(|(l, c)| (l.saturating_sub(1), c));
    let go_line = match (problem_mark, context_mark) {
        (Some((l, _)), _) if l != 0 => Some(if scanner { l + 1 } else { l }),
        (_, Some((l, _))) if l != 0 => Some(l),
        _ => None,
    };
    let message = match go_line {
        Some(l) => format!("yaml: line {l}: {problem}"),
        None => format!("yaml: {problem}"),
    };
    YamlError {
        message,
        line: problem_mark.map(|(l, _)| l + 1),
        column: problem_mark.map(|(_, c)| c),
    }
}

/// A JSON value built straight from the YAML events, so that a repeated key overwrites the
/// earlier one (go-yaml v2's non-strict decoding) instead of failing as `serde_yaml::Value`.
struct Json(Value);

/// Decodes one value of `doc`. serde_yaml resolves plain scalars by YAML 1.2's core schema;
/// kubectl's go-yaml v2 uses YAML 1.1's, which also reads `yes`/`no`/`on`/`off`/`y`/`n` as
/// booleans and `0644` as octal, `1_000` with its underscores. serde_yaml hands a plain scalar
/// it leaves as text over as a slice of the document itself, and a quoted one (without
/// escapes) as the slice inside its quotes: the byte before it tells which it was.
#[derive(Clone, Copy)]
struct JsonSeed<'a> {
    doc: &'a str,
}

impl<'de> DeserializeSeed<'de> for JsonSeed<'_> {
    type Value = Json;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor { doc: self.doc })
    }
}

struct JsonVisitor<'a> {
    doc: &'a str,
}

impl JsonVisitor<'_> {
    /// Whether `v` is a plain (unquoted) scalar of the document.
    fn is_plain(&self, v: &str) -> bool {
        let Some(start) = (v.as_ptr() as usize).checked_sub(self.doc.as_ptr() as usize) else {
            return false;
        };
        if start + v.len() > self.doc.len() {
            return false;
        }
        let before = start
            .checked_sub(1)
            .and_then(|i| self.doc.as_bytes().get(i));
        !matches!(before, Some(b'\'' | b'"'))
    }
}

/// go-yaml v2's `resolve` for a plain scalar serde_yaml left as a string: the YAML 1.1
/// booleans, Go's `ParseInt`/`ParseUint` with base prefixes (`0644` is octal) after dropping
/// underscores, YAML-style floats, and `0b` binary.
fn resolve_yaml11(plain: &str) -> Option<Value> {
    match plain {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => return Some(Value::Bool(true)),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => return Some(Value::Bool(false)),
        _ => {}
    }
    let first = *plain.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return None;
    }
    let s = plain.replace('_', "");
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s.as_str()),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(h) = lower.strip_prefix("0x") {
        (16, h)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (2, b)
    } else if let Some(o) = lower.strip_prefix("0o") {
        (8, o)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if !body.is_empty() && body.bytes().all(|c| c.is_ascii_hexdigit()) {
        if let Ok(u) = u64::from_str_radix(body, radix) {
            if negative {
                if u <= i64::MAX as u64 + 1 {
                    return Some(Value::from((u as i128).wrapping_neg() as i64));
                }
            } else {
                return Some(Value::from(u));
            }
        }
    }
    // `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
    let b = digits.as_bytes();
    let mut i = 0;
    let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    let mantissa_ok = int_digits > 0 || frac_digits > 0;
    if mantissa_ok && matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp = b[j.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if exp == 0 {
            return None;
        }
        i = j + exp;
    }
    if mantissa_ok && i == b.len() {
        let f: f64 = s.parse().ok()?;
        return float_value::<serde_json::Error>(f).ok();
    }
    None
}

/// Go's json.Marshal of a float64 (sigs.k8s.io/yaml), then read back as kubectl does.
fn float_value<E: de::Error>(f: f64) -> Result<Value, E> {
    if !f.is_finite() {
        let shown = if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        return Err(E::custom(format!("json: unsupported value: {shown}")));
    }
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        return Ok(Value::from(f as i64));
    }
    Ok(Number::from_f64(f).map_or(Value::Null, Value::Number))
}

/// apimachinery reads a JSON number that is not an integer literal as a float64, which Go
/// writes back without a fraction when it has none (`2.0` reaches the server as `2`).
fn integral_floats_as_integers(v: Value) -> Value {
    match v {
        Value::Number(n) if n.as_i64().is_none() && n.as_u64().is_none() => n
            .as_f64()
            .and_then(|f| float_value::<serde_json::Error>(f).ok())
            .unwrap_or(Value::Number(n)),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(integral_floats_as_integers).collect())
        }
        // In place, not rebuilt by `collect` (which sorts its input and compiles a whole
        // stable sort into the web page: issue 4, size).
        Value::Object(mut m) => {
            for v in m.values_mut() {
                *v = integral_floats_as_integers(std::mem::take(v));
            }
            Value::Object(m)
        }
        other => other,
    }
}

fn key_string(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

impl<'de> Visitor<'de> for JsonVisitor<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json(Value::from(v)))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Json, E> {
        float_value(v as f64).map(Json)
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Json, E> {
        float_value(v as f64).map(Json)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        float_value(v).map(Json)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json(Value::String(v.to_string())))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Json, E> {
        if self.is_plain(v) {
            if let Some(resolved) = resolve_yaml11(v) {
                return Ok(Json(resolved));
            }
        }
        Ok(Json(Value::String(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json(Value::String(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        JsonSeed { doc: self.doc }.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        let seed = JsonSeed { doc: self.doc };
        while let Some(Json(v)) = seq.next_element_seed(seed)? {
            items.push(v);
        }
        Ok(Json(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = Map::new();
        let mut merged: Vec<Value> = Vec::new();
        let seed = JsonSeed { doc: self.doc };
        while let Some(Json(k)) = map.next_key_seed(seed)? {
            let Json(v) = map.next_value_seed(seed)?;
            let key = key_string(k);
            if key == "<<" {
                // A merge key: explicit keys win over merged ones.
                match v {
                    Value::Array(items) => merged.extend(items),
                    other => merged.push(other),
                }
                continue;
            }
            out.insert(key, v);
        }
        for m in merged {
            if let Value::Object(m) = m {
                for (k, v) in m {
                    out.entry(k).or_insert(v);
                }
            }
        }
        Ok(Json(Value::Object(out)))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Json, A::Error> {
        // A tagged value (`!foo bar`): go-yaml keeps the value and drops the tag.
        let (_tag, variant): (String, _) = data.variant()?;
        let Json(v) = de::VariantAccess::newtype_variant_seed(variant, JsonSeed { doc: self.doc })?;
        Ok(Json(v))
    }
}

/// A JSON syntax problem as Go's `encoding/json` Decoder reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsonError {
    /// `invalid character 'x' <context>` at a 1-based byte offset of the stream.
    Syntax { offset: usize, message: String },
    /// The stream ended inside a value (`io.ErrUnexpectedEOF`).
    UnexpectedEof,
}

fn is_json_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn skip_json_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_json_space(b[i]) {
        i += 1;
    }
    i
}

/// Go's `quoteChar`: how a byte is shown in a syntax error.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_string(),
        b'"' => "'\"'".to_string(),
        0x07 => "'\\a'".to_string(),
        0x08 => "'\\b'".to_string(),
        0x0c => "'\\f'".to_string(),
        b'\n' => "'\\n'".to_string(),
        b'\r' => "'\\r'".to_string(),
        b'\t' => "'\\t'".to_string(),
        0x0b => "'\\v'".to_string(),
        b'\\' => "'\\\\'".to_string(),
        c if c < 0x20 || c == 0x7f => format!("'\\x{c:02x}'"),
        c if (0x80..0xa0).contains(&c) || c == 0xad => format!("'\\u{c:04x}'"),
        c => format!("'{}'", char::from(c)),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    ObjectKey,
    ObjectValue,
    Array,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum St {
    BeginValue,
    BeginValueOrEmpty,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    InString,
    InStringEsc,
    InStringEscU(u8),
    Neg,
    Zero,
    One,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    Lit(&'static [u8], usize, &'static str),
}

/// Scans one JSON value starting at `start` (which is not whitespace) the way Go's scanner
/// does; returns the end offset or the error Go would report.
pub fn scan_json_value(b: &[u8], start: usize) -> Result<usize, JsonError> {
    let mut stack: Vec<Ctx> = Vec::new();
    let mut st = St::BeginValue;
    let mut i = start;
    let err = |i: usize, c: u8, ctx: &str| JsonError::Syntax {
        offset: i + 1,
        message: format!("invalid character {} {ctx}", quote_char(c)),
    };
    while i < b.len() {
        let c = b[i];
        // Re-dispatch without consuming: states that end a value look at `c` again.
        let mut again = true;
        while again {
            again = false;
            match st {
                St::BeginValueOrEmpty => {
                    if is_json_space(c) {
                    } else if c == b']' {
                        st = St::EndValue;
                        again = true;
                    } else {
                        st = St::BeginValue;
                        again = true;
                    }
                }
                St::BeginValue => match c {
                    c if is_json_space(c) => {}
                    b'{' => {
                        stack.push(Ctx::ObjectKey);
                        st = St::BeginStringOrEmpty;
                    }
                    b'[' => {
                        stack.push(Ctx::Array);
                        st = St::BeginValueOrEmpty;
                    }
                    b'"' => st = St::InString,
                    b'-' => st = St::Neg,
                    b'0' => st = St::Zero,
                    b'1'..=b'9' => st = St::One,
                    b't' => st = St::Lit(b"rue", 0, "true"),
                    b'f' => st = St::Lit(b"alse", 0, "false"),
                    b'n' => st = St::Lit(b"ull", 0, "null"),
                    _ => return Err(err(i, c, "looking for beginning of value")),
                },
                St::BeginStringOrEmpty => {
                    if is_json_space(c) {
                    } else if c == b'}' {
                        if let Some(top) = stack.last_mut() {
                            *top = Ctx::ObjectValue;
                        }
                        st = St::EndValue;
                        again = true;
                    } else {
                        st = St::BeginString;
                        again = true;
                    }
                }
                St::BeginString => match c {
                    c if is_json_space(c) => {}
                    b'"' => st = St::InString,
                    _ => return Err(err(i, c, "looking for beginning of object key string")),
                },
                St::EndValue => {
                    let Some(top) = stack.last().copied() else {
                        // The value ended before this byte.
                        return Ok(i);
                    };
                    if is_json_space(c) {
                        st = St::EndValue;
                    } else {
                        match (top, c) {
                            (Ctx::ObjectKey, b':') => {
                                if let Some(t) = stack.last_mut() {
                                    *t = Ctx::ObjectValue;
                                }
                                st = St::BeginValue;
                            }
                            (Ctx::ObjectKey, _) => return Err(err(i, c, "after object key")),
                            (Ctx::ObjectValue, b',') => {
                                if let Some(t) = stack.last_mut() {
                                    *t = Ctx::ObjectKey;
                                }
                                st = St::BeginString;
                            }
                            (Ctx::ObjectValue, b'}') | (Ctx::Array, b']') => {
                                stack.pop();
                                if stack.is_empty() {
                                    return Ok(i + 1);
                                }
                                st = St::EndValue;
                            }
                            (Ctx::ObjectValue, _) => {
                                return Err(err(i, c, "after object key:value pair"))
                            }
                            (Ctx::Array, b',') => st = St::BeginValue,
                            (Ctx::Array, _) => return Err(err(i, c, "after array element")),
                        }
                    }
                }
                St::InString => match c {
                    b'"' => st = St::EndValue,
                    b'\\' => st = St::InStringEsc,
                    c if c < 0x20 => return Err(err(i, c, "in string literal")),
                    _ => {}
                },
                St::InStringEsc => match c {
                    b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => st = St::InString,
                    b'u' => st = St::InStringEscU(0),
                    _ => return Err(err(i, c, "in string escape code")),
                },
                St::InStringEscU(n) => {
                    if c.is_ascii_hexdigit() {
                        st = if n == 3 {
                            St::InString
                        } else {
                            St::InStringEscU(n + 1)
                        };
                    } else {
                        return Err(err(i, c, "in \\u hexadecimal character escape"));
                    }
                }
                St::Neg => match c {
                    b'0' => st = St::Zero,
                    b'1'..=b'9' => st = St::One,
                    _ => return Err(err(i, c, "in numeric literal")),
                },
                St::One if c.is_ascii_digit() => {}
                St::One | St::Zero => match c {
                    b'.' => st = St::Dot,
                    b'e' | b'E' => st = St::E,
                    _ => {
                        st = St::EndValue;
                        again = true;
                    }
                },
                St::Dot => {
                    if c.is_ascii_digit() {
                        st = St::Dot0;
                    } else {
                        return Err(err(i, c, "after decimal point in numeric literal"));
                    }
                }
                St::Dot0 => match c {
                    c if c.is_ascii_digit() => {}
                    b'e' | b'E' => st = St::E,
                    _ => {
                        st = St::EndValue;
                        again = true;
                    }
                },
                St::E => {
                    if c == b'+' || c == b'-' {
                        st = St::ESign;
                    } else {
                        st = St::ESign;
                        again = true;
                    }
                }
                St::ESign => {
                    if c.is_ascii_digit() {
                        st = St::E0;
                    } else {
                        return Err(err(i, c, "in exponent of numeric literal"));
                    }
                }
                St::E0 => {
                    if !c.is_ascii_digit() {
                        st = St::EndValue;
                        again = true;
                    }
                }
                St::Lit(rest, k, name) => {
                    let want = rest.get(k).copied().unwrap_or(b' ');
                    if c != want {
                        return Err(err(
                            i,
                            c,
                            &format!("in literal {name} (expecting {})", quote_char(want)),
                        ));
                    }
                    st = if k + 1 == rest.len() {
                        St::EndValue
                    } else {
                        St::Lit(rest, k + 1, name)
                    };
                }
            }
        }
        i += 1;
    }
    // End of input: a complete top-level scalar is fine, anything else is cut short.
    match st {
        St::EndValue | St::Zero | St::One | St::Dot0 | St::E0 if stack.is_empty() => Ok(i),
        _ => Err(JsonError::UnexpectedEof),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_of(text: &str) -> String {
        decode_stream(text).1.map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn json_syntax_errors_use_gos_words_and_offsets() {
        assert_eq!(
            err_of("{\"apiVersion\": \"v1\", \"kind\": \"Pod\" \"metadata\": {}}\n"),
            "json: offset 36: invalid character '\"' after object key:value pair"
        );
        assert_eq!(
            err_of("{\"apiVersion\": \"v1\",\n \"kind\": \"Pod\",\n \"metadata\": {\"name\": \"a\"},\n \"spec\": [1, 2,, 3]}\n"),
            "json: offset 81: invalid character ',' looking for beginning of value"
        );
        assert_eq!(
            err_of("{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}\n"),
            "unexpected EOF"
        );
        assert_eq!(
            err_of("{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\", \"x\": \"\\q\"}}"),
            "json: offset 50: invalid character 'q' in string escape code"
        );
        let (docs, e) = decode_stream(
            "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}}}\n",
        );
        assert_eq!(docs.len(), 1);
        assert_eq!(
            e.unwrap().message,
            "json: offset 63: invalid character '}' looking for beginning of value"
        );
    }

    #[test]
    fn json_falls_back_to_yaml_and_keeps_the_last_duplicate() {
        // A trailing comma is no JSON but is a YAML flow mapping.
        let (docs, e) = decode_stream("{\"apiVersion\": \"v1\", \"kind\": \"Pod\",}\n");
        assert_eq!(e, None);
        assert_eq!(docs[0].value["kind"], "Pod");
        let (docs, e) = decode_stream("{\"kind\": \"Pod\"}\n{\"kind\": \"Pod\", \"x\": tru}\n");
        assert_eq!(e, None);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].value["x"], "tru");
        let (docs, _) = decode_stream("kind: Pod\nmetadata: {name: a}\nkind: Service\n");
        assert_eq!(docs[0].value["kind"], "Service");
    }

    #[test]
    fn plain_scalars_resolve_as_yaml_1_1_and_quoted_ones_stay_text() {
        let v = yaml_to_json(
            "a: yes\nb: 'yes'\nc: \"off\"\nd: off\ne: 0644\nf: \"0644\"\ng: 0x1F\nh: 1_000\n\
             i: 08\nj: 1.2.3\ny: 1\nk: [on, 'on', N]\nl: -0b11\nm: 0o17\np: Yes please\n",
        )
        .ok();
        assert_eq!(
            v,
            Some(serde_json::json!({
                "a": true, "b": "yes", "c": "off", "d": false, "e": 420, "f": "0644",
                "g": 31, "h": 1000, "i": 8, "j": "1.2.3", "true": 1,
                "k": [true, "on", false], "l": -3, "m": 15, "p": "Yes please"
            }))
        );
    }

    #[test]
    fn yaml_errors_use_go_yaml_v2_lines() {
        let cases = [
            (
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n labels: {}\n",
                "yaml: line 4: did not find expected key",
            ),
            (
                "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n",
                "yaml: line 4: found character that cannot start any token",
            ),
            (
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"x\n",
                "yaml: line 5: found unexpected end of stream",
            ),
            (
                "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n",
                "yaml: line 3: did not find expected ',' or '}'",
            ),
            (
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels:\n    - a\n   - b\n",
                "yaml: line 6: did not find expected key",
            ),
            (
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: &x\n  foo: *y\n",
                "yaml: unknown anchor 'y' referenced",
            ),
            ("[1,2", "yaml: line 1: did not find expected ',' or ']'"),
        ];
        for (text, want) in cases {
            assert_eq!(
                err_of(text),
                format!("error converting YAML to JSON: {want}"),
                "{text}"
            );
        }
        assert_eq!(
            err_of("kind: Pod\n--- foo\nkind: Service\n"),
            "invalid Yaml document separator: foo"
        );
    }

    #[test]
    fn documents_before_a_parse_error_are_kept() {
        let (docs, e) = decode_stream("kind: A\n---\nkind: B\n---\nkind: \"C\n---\nkind: D\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].line, 3);
        assert_eq!(
            e.unwrap().message,
            "error converting YAML to JSON: yaml: line 2: found unexpected end of stream"
        );
    }
}
