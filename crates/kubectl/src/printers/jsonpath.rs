//! kubectl's JSONPath (`k8s.io/client-go/util/jsonpath`), written by hand because no crate
//! speaks this dialect: literal text with `{...}` actions, `.field`, `..field`, `['key']`,
//! `[n]`, `[a:b]`, `[*]`, `.*`, unions `{.a,.b}`, `[?(@.x == "y")]` filters, `{range}` /
//! `{end}`, and quoted text such as `{"\n"}`. Missing keys print nothing (kubectl's default
//! `--allow-missing-template-keys=true`).

use super::json::to_compact_json;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Field(String),
    Recursive(String),
    Wildcard,
    Index(i64),
    Slice(Option<i64>, Option<i64>),
    Filter(Box<Filter>),
}

#[derive(Clone, Debug, PartialEq)]
struct Filter {
    left: Vec<Step>,
    op: Option<String>,
    right: Operand,
}

#[derive(Clone, Debug, PartialEq)]
enum Operand {
    None,
    Path(Vec<Step>),
    Lit(Value),
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Text(String),
    /// One or more comma-separated paths.
    Paths(Vec<Vec<Step>>),
    Range(Vec<Step>, Vec<Node>),
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPath {
    nodes: Vec<Node>,
}

impl JsonPath {
    /// Parses a template; errors read like client-go's.
    pub fn parse(template: &str) -> Result<JsonPath, String> {
        let mut items: Vec<Item> = Vec::new();
        let chars: Vec<char> = template.chars().collect();
        let mut i = 0;
        let mut text = String::new();
        while i < chars.len() {
            if chars[i] == '{' {
                if !text.is_empty() {
                    items.push(Item::Text(std::mem::take(&mut text)));
                }
                let start = i + 1;
                let mut j = start;
                let mut quote: Option<char> = None;
                while j < chars.len() {
                    let c = chars[j];
                    match quote {
                        Some(q) => {
                            if c == '\\' {
                                j += 1;
                            } else if c == q {
                                quote = None;
                            }
                        }
                        None if c == '"' || c == '\'' => quote = Some(c),
                        None if c == '}' => break,
                        None => {}
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Err("unclosed action".to_string());
                }
                let inner: String = chars[start..j].iter().collect();
                items.push(parse_action(inner.trim())?);
                i = j + 1;
            } else {
                text.push(chars[i]);
                i += 1;
            }
        }
        if !text.is_empty() {
            items.push(Item::Text(text));
        }
        let mut pos = 0;
        let nodes = build(&items, &mut pos, false)?;
        Ok(JsonPath { nodes })
    }

    /// Evaluates against `root`, printing as kubectl does (values of one action separated by
    /// spaces, maps and lists as compact JSON).
    pub fn execute(&self, root: &Value) -> Result<String, String> {
        let mut out = String::new();
        exec_nodes(&self.nodes, root, root, &mut out);
        Ok(out)
    }

    /// The values each action finds (custom columns and `--sort-by` use these).
    pub fn find_results(&self, root: &Value) -> Vec<Vec<Value>> {
        let mut res = Vec::new();
        for n in &self.nodes {
            if let Node::Paths(paths) = n {
                let mut vals = Vec::new();
                for p in paths {
                    vals.extend(eval_path(p, root, root).into_iter().cloned());
                }
                res.push(vals);
            }
        }
        res
    }
}

enum Item {
    Text(String),
    Paths(Vec<Vec<Step>>),
    Range(Vec<Step>),
    End,
}

fn build(items: &[Item], pos: &mut usize, in_range: bool) -> Result<Vec<Node>, String> {
    let mut nodes = Vec::new();
    while *pos < items.len() {
        let it = &items[*pos];
        *pos += 1;
        match it {
            Item::Text(t) => nodes.push(Node::Text(t.clone())),
            Item::Paths(p) => nodes.push(Node::Paths(p.clone())),
            Item::Range(p) => {
                let body = build(items, pos, true)?;
                nodes.push(Node::Range(p.clone(), body));
            }
            Item::End => {
                if in_range {
                    return Ok(nodes);
                }
                return Err("not in range, nothing to end".to_string());
            }
        }
    }
    if in_range {
        return Err("unclosed range".to_string());
    }
    Ok(nodes)
}

fn parse_action(s: &str) -> Result<Item, String> {
    if s == "end" {
        return Ok(Item::End);
    }
    if let Some(rest) = s.strip_prefix("range ") {
        return Ok(Item::Range(parse_path(rest.trim())?));
    }
    if (s.starts_with('"') && s.ends_with('"') && s.len() >= 2)
        || (s.starts_with('\'') && s.ends_with('\'') && s.len() >= 2)
    {
        return Ok(Item::Text(unquote(s)?));
    }
    let mut paths = Vec::new();
    for part in split_top(s, ',') {
        paths.push(parse_path(part.trim())?);
    }
    Ok(Item::Paths(paths))
}

fn unquote(s: &str) -> Result<String, String> {
    let inner = &s[1..s.len() - 1];
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
                Some('\'') => out.push('\''),
                Some(o) => return Err(format!("invalid syntax: \\{o}")),
                None => return Err("invalid syntax".to_string()),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Splits on `sep` outside brackets and quotes.
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '(' => depth += 1,
                ']' | ')' => depth -= 1,
                c if c == sep && depth == 0 => {
                    parts.push(&s[start..i]);
                    start = i + c.len_utf8();
                }
                _ => {}
            },
        }
    }
    parts.push(&s[start..]);
    parts
}

fn parse_path(s: &str) -> Result<Vec<Step>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    if chars.first() == Some(&'$') || chars.first() == Some(&'@') {
        i = 1;
    }
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let recursive = chars.get(i + 1) == Some(&'.');
                i += if recursive { 2 } else { 1 };
                let mut name = String::new();
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    name.push(chars[i]);
                    i += 1;
                }
                if name == "*" {
                    steps.push(Step::Wildcard);
                } else if recursive {
                    steps.push(Step::Recursive(name));
                } else if !name.is_empty() {
                    steps.push(Step::Field(name));
                }
            }
            '[' => {
                let mut depth = 0;
                let mut j = i;
                let mut quote: Option<char> = None;
                while j < chars.len() {
                    let c = chars[j];
                    match quote {
                        Some(q) if c == q => quote = None,
                        Some(_) => {}
                        None => match c {
                            '"' | '\'' => quote = Some(c),
                            '[' => depth += 1,
                            ']' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        },
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Err("unterminated array".to_string());
                }
                let inner: String = chars[i + 1..j].iter().collect();
                steps.push(parse_bracket(inner.trim())?);
                i = j + 1;
            }
            c if c.is_whitespace() => i += 1,
            _ => {
                // A bare name (relaxed paths and filters: `@.a` handled above).
                let mut name = String::new();
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    name.push(chars[i]);
                    i += 1;
                }
                steps.push(Step::Field(name));
            }
        }
    }
    Ok(steps)
}

fn parse_bracket(inner: &str) -> Result<Step, String> {
    if inner == "*" {
        return Ok(Step::Wildcard);
    }
    if let Some(f) = inner.strip_prefix("?(").and_then(|r| r.strip_suffix(')')) {
        return Ok(Step::Filter(Box::new(parse_filter(f.trim())?)));
    }
    if (inner.starts_with('\'') || inner.starts_with('"')) && inner.len() >= 2 {
        return Ok(Step::Field(unquote(inner)?));
    }
    if let Some((a, b)) = inner.split_once(':') {
        let num = |t: &str| -> Result<Option<i64>, String> {
            let t = t.trim();
            if t.is_empty() {
                Ok(None)
            } else {
                t.parse()
                    .map(Some)
                    .map_err(|_| format!("invalid array index {t}"))
            }
        };
        let b = b.split(':').next().unwrap_or("");
        return Ok(Step::Slice(num(a)?, num(b)?));
    }
    inner
        .parse()
        .map(Step::Index)
        .map_err(|_| format!("invalid array index {inner}"))
}

fn parse_filter(s: &str) -> Result<Filter, String> {
    for op in ["==", "!=", "<=", ">=", "<", ">", "=~"] {
        if let Some(pos) = find_op(s, op) {
            let left = parse_path(s[..pos].trim())?;
            let r = s[pos + op.len()..].trim();
            let right = if r.starts_with('@') || r.starts_with('$') {
                Operand::Path(parse_path(r)?)
            } else if (r.starts_with('"') || r.starts_with('\'')) && r.len() >= 2 {
                Operand::Lit(Value::String(unquote(r)?))
            } else if let Ok(n) = r.parse::<i64>() {
                Operand::Lit(Value::from(n))
            } else if let Ok(f) = r.parse::<f64>() {
                Operand::Lit(Value::from(f))
            } else if r == "true" || r == "false" {
                Operand::Lit(Value::Bool(r == "true"))
            } else {
                return Err(format!("unrecognized filter operand {r}"));
            };
            return Ok(Filter {
                left,
                op: Some(op.to_string()),
                right,
            });
        }
    }
    Ok(Filter {
        left: parse_path(s)?,
        op: None,
        right: Operand::None,
    })
}

fn find_op(s: &str, op: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if s[i..].starts_with(op) => return Some(i),
            None => {}
        }
    }
    None
}

fn eval_path<'a>(steps: &[Step], root: &'a Value, cur: &'a Value) -> Vec<&'a Value> {
    let _ = root;
    let mut vals: Vec<&Value> = vec![cur];
    for step in steps {
        let mut next = Vec::new();
        for v in vals {
            match step {
                Step::Field(name) => {
                    if let Some(x) = v.as_object().and_then(|m| m.get(name)) {
                        next.push(x);
                    }
                }
                Step::Recursive(name) => collect_recursive(v, name, &mut next),
                Step::Wildcard => match v {
                    Value::Object(m) => next.extend(m.values()),
                    Value::Array(a) => next.extend(a.iter()),
                    _ => {}
                },
                Step::Index(i) => {
                    if let Some(a) = v.as_array() {
                        let idx = if *i < 0 { a.len() as i64 + i } else { *i };
                        if idx >= 0 {
                            if let Some(x) = a.get(idx as usize) {
                                next.push(x);
                            }
                        }
                    }
                }
                Step::Slice(a0, b0) => {
                    if let Some(a) = v.as_array() {
                        let len = a.len() as i64;
                        let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                        let s = norm(a0.unwrap_or(0));
                        let e = norm(b0.unwrap_or(len));
                        if s < e {
                            next.extend(a[s as usize..e as usize].iter());
                        }
                    }
                }
                Step::Filter(f) => {
                    let items: Vec<&Value> = match v {
                        Value::Array(a) => a.iter().collect(),
                        other => vec![other],
                    };
                    for item in items {
                        if filter_matches(f, root, item) {
                            next.push(item);
                        }
                    }
                }
            }
        }
        vals = next;
    }
    vals
}

fn collect_recursive<'a>(v: &'a Value, name: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            if let Some(x) = m.get(name) {
                out.push(x);
            }
            for x in m.values() {
                collect_recursive(x, name, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                collect_recursive(x, name, out);
            }
        }
        _ => {}
    }
}

fn filter_matches(f: &Filter, root: &Value, item: &Value) -> bool {
    let left = eval_path(&f.left, root, item);
    let Some(op) = &f.op else {
        return !left.is_empty();
    };
    let right: Vec<Value> = match &f.right {
        Operand::None => return false,
        Operand::Lit(v) => vec![v.clone()],
        Operand::Path(p) => eval_path(p, root, item).into_iter().cloned().collect(),
    };
    let (Some(l), Some(r)) = (left.first(), right.first()) else {
        return false;
    };
    let ord = match (l.as_f64(), r.as_f64()) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => match (l.as_str(), r.as_str()) {
            (Some(a), Some(b)) => Some(a.cmp(b)),
            _ => None,
        },
    };
    match op.as_str() {
        "==" => ord == Some(std::cmp::Ordering::Equal) || *l == r,
        "!=" => !(ord == Some(std::cmp::Ordering::Equal) || *l == r),
        "<" => ord == Some(std::cmp::Ordering::Less),
        ">" => ord == Some(std::cmp::Ordering::Greater),
        "<=" => matches!(ord, Some(o) if o != std::cmp::Ordering::Greater),
        ">=" => matches!(ord, Some(o) if o != std::cmp::Ordering::Less),
        _ => false,
    }
}

fn exec_nodes(nodes: &[Node], root: &Value, cur: &Value, out: &mut String) {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Paths(paths) => {
                let mut vals = Vec::new();
                for p in paths {
                    let base = if is_root_path(p) { root } else { cur };
                    vals.extend(eval_path(p, root, base));
                }
                let texts: Vec<String> = vals.iter().map(|v| text_of(v)).collect();
                out.push_str(&texts.join(" "));
            }
            Node::Range(p, body) => {
                let base = if is_root_path(p) { root } else { cur };
                for v in eval_path(p, root, base) {
                    exec_nodes(body, root, v, out);
                }
            }
        }
    }
}

fn is_root_path(_p: &[Step]) -> bool {
    false
}

/// How one result prints: strings raw, maps and lists as compact JSON, numbers as Go's `%v`.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(_) | Value::Array(_) => to_compact_json(v),
        other => super::go_sprint(other),
    }
}

/// kubectl's `RelaxedJSONPathExpression`: accepts `.a.b`, `a.b`, `{.a.b}` and `{a.b}`.
pub fn relaxed(path: &str) -> Result<String, String> {
    let p = path.trim();
    if p.is_empty() {
        return Ok(p.to_string());
    }
    let inner = p.strip_prefix('{').unwrap_or(p);
    let inner = inner.strip_suffix('}').unwrap_or(inner);
    if inner.is_empty() || inner.contains('{') || inner.contains('}') {
        return Err("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'".to_string());
    }
    if inner.starts_with('.') {
        Ok(format!("{{{inner}}}"))
    } else {
        Ok(format!("{{.{inner}}}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(t: &str, v: &Value) -> String {
        JsonPath::parse(t).unwrap().execute(v).unwrap()
    }

    #[test]
    fn kubectl_jsonpath_forms() {
        let list = json!({"items": [
            {"metadata": {"name": "web-0", "labels": {"app": "nginx"}}, "status": {"phase": "Running", "podIP": "10.244.1.2"},
             "spec": {"containers": [{"image": "nginx:1"}, {"image": "busybox"}]}},
            {"metadata": {"name": "web-1"}, "status": {"phase": "Pending"}, "spec": {"containers": []}}
        ]});
        assert_eq!(run("{.items[0].metadata.name}", &list), "web-0");
        assert_eq!(run("{.items[*].metadata.name}", &list), "web-0 web-1");
        assert_eq!(
            run(
                "{range .items[*]}{.metadata.name}{\"\\t\"}{.status.phase}{\"\\n\"}{end}",
                &list
            ),
            "web-0\tRunning\nweb-1\tPending\n"
        );
        assert_eq!(
            run(
                "{.items[?(@.status.phase==\"Running\")].metadata.name}",
                &list
            ),
            "web-0"
        );
        assert_eq!(
            run("{.items[0].metadata.labels}", &list),
            "{\"app\":\"nginx\"}"
        );
        assert_eq!(run("{.items[-1:].metadata.name}", &list), "web-1");
        assert_eq!(run("{..image}", &list), "nginx:1 busybox");
        assert_eq!(run("{.items[0].missing}", &list), "");
        assert_eq!(run("x={.items[0].metadata['name']}", &list), "x=web-0");
        assert_eq!(relaxed("metadata.name").unwrap(), "{.metadata.name}");
        assert_eq!(relaxed("{.spec}").unwrap(), "{.spec}");
    }
}
