//! URL query strings and field selectors as kube-apiserver reads them.

use kubeplay_engine::object;
use serde_json::Value;
use std::collections::BTreeMap;

/// Percent-decodes a query component (`+` is a space).
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=b&c=d` → decoded pairs in order.
pub fn pairs(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// `a=b&c=d` → map (last value wins).
pub fn parse(q: Option<&str>) -> BTreeMap<String, String> {
    pairs(q).into_iter().collect()
}

/// One `field=value` / `field!=value` requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldReq {
    pub field: String,
    pub value: String,
    pub negate: bool,
}

/// Parses a field selector; errors with the apiserver's wording for unsupported fields.
pub fn field_selector(text: &str, kind_plural: &str) -> Result<Vec<FieldReq>, String> {
    let mut reqs = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (field, value, negate) = if let Some((f, v)) = part.split_once("!=") {
            (f, v, true)
        } else if let Some((f, v)) = part.split_once("==") {
            (f, v, false)
        } else if let Some((f, v)) = part.split_once('=') {
            (f, v, false)
        } else {
            return Err(format!(
                "invalid selector: '{text}'; can't understand '{part}'"
            ));
        };
        let supported = matches!(field, "metadata.name" | "metadata.namespace")
            || (kind_plural == "pods"
                && matches!(
                    field,
                    "spec.nodeName"
                        | "status.phase"
                        | "spec.restartPolicy"
                        | "spec.schedulerName"
                        | "spec.serviceAccountName"
                        | "status.podIP"
                        | "status.nominatedNodeName"
                ))
            || (kind_plural == "events"
                && (field.starts_with("involvedObject.")
                    || matches!(field, "reason" | "source" | "type" | "reportingComponent")));
        if !supported {
            return Err(format!("field label not supported: {field}"));
        }
        reqs.push(FieldReq {
            field: field.to_string(),
            value: value.to_string(),
            negate,
        });
    }
    Ok(reqs)
}

pub fn field_matches(reqs: &[FieldReq], obj: &Value) -> bool {
    reqs.iter().all(|r| {
        let path: Vec<&str> = r.field.split('.').collect();
        let actual = match object::get(obj, &path) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        };
        (actual == r.value) != r.negate
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(decode("app%3Dnginx+x"), "app=nginx x");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
        let q = parse(Some("labelSelector=app%3Dnginx&watch=1"));
        assert_eq!(q["labelSelector"], "app=nginx");
        assert_eq!(q["watch"], "1");
    }

    #[test]
    fn field_selectors_filter_and_reject_unknown_fields() {
        let pod = json!({"metadata": {"name": "web-0"}, "spec": {"nodeName": "node-1"}, "status": {"phase": "Running"}});
        let r = field_selector("status.phase=Running,spec.nodeName!=node-2", "pods").unwrap();
        assert!(field_matches(&r, &pod));
        let r = field_selector("metadata.name==web-1", "pods").unwrap();
        assert!(!field_matches(&r, &pod));
        assert_eq!(
            field_selector("spec.foo=1", "pods").unwrap_err(),
            "field label not supported: spec.foo"
        );
        assert!(field_selector("status.phase=Running", "services").is_err());
    }
}
