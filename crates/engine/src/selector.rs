//! Label selectors: kubectl's `-l` text form and the API's `LabelSelector` object form,
//! both compiled to one list of requirements (apimachinery `labels.Selector`).

use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

/// A conjunction of requirements. The empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

impl Requirement {
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let v = labels.get(&self.key);
        match self.op {
            Op::Equals | Op::In => v.is_some_and(|v| self.values.contains(v)),
            Op::NotEquals | Op::NotIn => !v.is_some_and(|v| self.values.contains(v)),
            Op::Exists => v.is_some(),
            Op::DoesNotExist => v.is_none(),
        }
    }
}

impl Selector {
    pub fn everything() -> Selector {
        Selector::default()
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Matches against an object's `metadata.labels`.
    pub fn matches_object(&self, obj: &Value) -> bool {
        if self.requirements.is_empty() {
            return true;
        }
        // Read the labels in place: this runs for every object of every list call.
        let labels = obj
            .get("metadata")
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object);
        self.requirements.iter().all(|r| {
            let v = labels.and_then(|l| l.get(&r.key)).and_then(Value::as_str);
            match r.op {
                Op::Equals | Op::In => v.is_some_and(|v| r.values.iter().any(|x| x == v)),
                Op::NotEquals | Op::NotIn => !v.is_some_and(|v| r.values.iter().any(|x| x == v)),
                Op::Exists => v.is_some(),
                Op::DoesNotExist => v.is_none(),
            }
        })
    }

    /// A selector requiring exactly these labels (a Service's `spec.selector`).
    pub fn from_map(map: &BTreeMap<String, String>) -> Selector {
        Selector {
            requirements: map
                .iter()
                .map(|(k, v)| Requirement {
                    key: k.clone(),
                    op: Op::Equals,
                    values: vec![v.clone()],
                })
                .collect(),
        }
    }

    /// Compiles a `metav1.LabelSelector` (`matchLabels` + `matchExpressions`).
    /// Errors use apimachinery's wording (`"Foo" is not a valid label selector operator`).
    pub fn from_label_selector(sel: &Value) -> Result<Selector, String> {
        let mut requirements = Vec::new();
        if let Some(m) = sel.get("matchLabels").and_then(Value::as_object) {
            for (k, v) in m {
                let v = v.as_str().unwrap_or_default().to_string();
                requirements.push(Requirement {
                    key: k.clone(),
                    op: Op::Equals,
                    values: vec![v],
                });
            }
        }
        for expr in sel
            .get("matchExpressions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = expr
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let values: Vec<String> = expr
                .get("values")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let op = match expr
                .get("operator")
                .and_then(Value::as_str)
                .unwrap_or_default()
            {
                "In" => Op::In,
                "NotIn" => Op::NotIn,
                "Exists" => Op::Exists,
                "DoesNotExist" => Op::DoesNotExist,
                other => return Err(format!("{other:?} is not a valid label selector operator")),
            };
            requirements.push(Requirement { key, op, values });
        }
        Ok(Selector { requirements })
    }

    /// Parses kubectl's `-l` syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`, `a==b`.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let mut requirements = Vec::new();
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
            text,
        };
        p.skip_ws();
        if p.eof() {
            return Ok(Selector::default());
        }
        loop {
            requirements.push(p.requirement()?);
            p.skip_ws();
            if p.eof() {
                break;
            }
            if !p.eat(b',') {
                return Err(format!(
                    "found '{}', expected: ',' or 'end of string'",
                    p.rest_token()
                ));
            }
        }
        Ok(Selector { requirements })
    }
}

impl std::fmt::Display for Selector {
    /// The canonical string form (`app=nginx,tier in (a,b)`), as `kubectl describe` prints it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .requirements
            .iter()
            .map(|r| match r.op {
                Op::Equals => format!("{}={}", r.key, r.values.join(",")),
                Op::NotEquals => format!("{}!={}", r.key, r.values.join(",")),
                Op::In => format!("{} in ({})", r.key, r.values.join(",")),
                Op::NotIn => format!("{} notin ({})", r.key, r.values.join(",")),
                Op::Exists => r.key.clone(),
                Op::DoesNotExist => format!("!{}", r.key),
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
}

impl Parser<'_> {
    fn eof(&self) -> bool {
        self.i >= self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn rest_token(&self) -> String {
        self.text
            .get(self.i..)
            .unwrap_or_default()
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect()
    }
    fn ident(&mut self) -> String {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/') {
                self.i += 1;
            } else {
                break;
            }
        }
        self.text.get(start..self.i).unwrap_or_default().to_string()
    }
    fn requirement(&mut self) -> Result<Requirement, String> {
        self.skip_ws();
        if self.eat(b'!') {
            self.skip_ws();
            let key = self.ident();
            validate_key(&key)?;
            return Ok(Requirement {
                key,
                op: Op::DoesNotExist,
                values: vec![],
            });
        }
        let key = self.ident();
        if key.is_empty() {
            return Err(format!(
                "found '{}', expected: !, identifier, or 'end of string'",
                self.rest_token()
            ));
        }
        validate_key(&key)?;
        self.skip_ws();
        if self.eof() || self.peek() == Some(b',') {
            return Ok(Requirement {
                key,
                op: Op::Exists,
                values: vec![],
            });
        }
        let op = if self.eat(b'!') {
            if !self.eat(b'=') {
                return Err("found '!', expected: '='".to_string());
            }
            Op::NotEquals
        } else if self.eat(b'=') {
            self.eat(b'=');
            Op::Equals
        } else {
            let word = self.ident();
            match word.as_str() {
                "in" => Op::In,
                "notin" => Op::NotIn,
                _ => {
                    return Err(format!(
                        "found '{word}', expected: in, notin, =, ==, !=, gt, lt"
                    ))
                }
            }
        };
        self.skip_ws();
        let values = if matches!(op, Op::In | Op::NotIn) {
            if !self.eat(b'(') {
                return Err(format!("found '{}', expected: '('", self.rest_token()));
            }
            let mut vals = Vec::new();
            loop {
                self.skip_ws();
                let v = self.ident();
                validate_value(&v)?;
                vals.push(v);
                self.skip_ws();
                if self.eat(b')') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(format!(
                        "found '{}', expected: ',', or ')'",
                        self.rest_token()
                    ));
                }
            }
            vals
        } else {
            let v = self.ident();
            validate_value(&v)?;
            vec![v]
        };
        Ok(Requirement { key, op, values })
    }
}

// The rules are ObjectMeta's (validation.rs); the selector parser reports them with its own
// field prefixes, as apimachinery's `labels.Parse` does.
fn validate_key(key: &str) -> Result<(), String> {
    let name = key.rsplit('/').next().unwrap_or(key);
    if name.len() <= 63 && crate::validation::is_label_token(name) {
        Ok(())
    } else {
        Err(format!(
            "key: Invalid value: {key:?}: {}",
            crate::validation::QUALIFIED_NAME_MSG
        ))
    }
}

fn validate_value(v: &str) -> Result<(), String> {
    if v.is_empty() || (v.len() <= 63 && crate::validation::is_label_token(v)) {
        Ok(())
    } else {
        Err(format!(
            "values[0][{v}]: Invalid value: {v:?}: {}",
            crate::validation::LABEL_VALUE_MSG
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_kubectl_selector_syntax() {
        let s = Selector::parse("app=nginx, tier in (a,b),!canary,env!=prod,zone").unwrap();
        assert_eq!(s.requirements.len(), 5);
        assert!(s.matches(&labels(&[("app", "nginx"), ("tier", "a"), ("zone", "x")])));
        assert!(!s.matches(&labels(&[("app", "nginx"), ("tier", "c"), ("zone", "x")])));
        assert!(!s.matches(&labels(&[
            ("app", "nginx"),
            ("tier", "a"),
            ("zone", "x"),
            ("canary", "1")
        ])));
        assert!(Selector::parse("").unwrap().is_empty());
        assert!(Selector::parse("app==nginx")
            .unwrap()
            .matches(&labels(&[("app", "nginx")])));
        assert!(Selector::parse("app=")
            .unwrap()
            .matches(&labels(&[("app", "")])));
        assert!(Selector::parse("a b").is_err());
        assert!(Selector::parse("=x").is_err());
        assert_eq!(
            Selector::parse("app=nginx,tier in (a,b)")
                .unwrap()
                .to_string(),
            "app=nginx,tier in (a,b)"
        );
    }

    #[test]
    fn compiles_label_selector_objects() {
        let s = Selector::from_label_selector(&json!({
            "matchLabels": {"app": "zk"},
            "matchExpressions": [{"key": "app", "operator": "In", "values": ["zk"]}]
        }))
        .unwrap();
        assert!(s.matches(&labels(&[("app", "zk")])));
        assert!(!s.matches(&labels(&[("app", "web")])));
        assert!(Selector::from_label_selector(
            &json!({"matchExpressions": [{"key": "a", "operator": "Foo"}]})
        )
        .is_err());
    }
}
