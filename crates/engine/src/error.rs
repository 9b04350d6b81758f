//! API errors shaped like a Kubernetes `Status`: code, reason, message and details.
//!
//! The engine returns these from every API call; kubectl renders them in its own words
//! (`Error from server (NotFound): ...`, `The StatefulSet "web" is invalid: ...`) and the HTTP
//! API server serialises them as `Status` objects. Messages follow apimachinery's wording.

use crate::kinds::Kind;
use serde_json::{json, Value};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCause {
    /// `FieldValueInvalid`, `FieldValueRequired`, `FieldValueForbidden`, `FieldValueNotSupported` ...
    pub reason: String,
    pub message: String,
    pub field: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: u16,
    /// `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `BadRequest`, `Forbidden`,
    /// `MethodNotAllowed`, `TooManyRequests`, `InternalError`, `Gone`, `Timeout`.
    pub reason: String,
    pub message: String,
    /// `details.name`, `details.group`, `details.kind` (a resource plural for most errors,
    /// the Kind for Invalid), `details.causes`.
    pub name: String,
    pub group: String,
    pub kind: String,
    pub causes: Vec<StatusCause>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn new(code: u16, reason: &str, message: String) -> ApiError {
        ApiError {
            code,
            reason: reason.to_string(),
            message,
            name: String::new(),
            group: String::new(),
            kind: String::new(),
            causes: Vec::new(),
        }
    }

    fn for_resource(mut self, kind: Kind, name: &str) -> ApiError {
        self.name = name.to_string();
        self.group = kind.info().group.to_string();
        self.kind = kind.plural().to_string();
        self
    }

    /// `pods "web-0" not found`
    pub fn not_found(kind: Kind, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{}\" not found", kind.group_resource(), name),
        )
        .for_resource(kind, name)
    }

    /// `services "nginx" already exists`
    pub fn already_exists(kind: Kind, name: &str) -> ApiError {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{}\" already exists", kind.group_resource(), name),
        )
        .for_resource(kind, name)
    }

    /// The optimistic-concurrency failure an update with a stale resourceVersion gets.
    pub fn conflict(kind: Kind, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your changes to the latest version and try again",
                kind.group_resource(),
                name
            ),
        )
        .for_resource(kind, name)
    }

    /// `StatefulSet.apps "web" is invalid: <causes>`; kubectl re-renders it from the causes.
    pub fn invalid(kind: Kind, name: &str, causes: Vec<FieldError>) -> ApiError {
        let info = kind.info();
        let qualified = if info.group.is_empty() {
            info.kind_name.to_string()
        } else {
            format!("{}.{}", info.kind_name, info.group)
        };
        let rendered: Vec<String> = causes.iter().map(FieldError::to_string).collect();
        let joined = if rendered.len() == 1 {
            rendered[0].clone()
        } else {
            format!("[{}]", rendered.join(", "))
        };
        let mut e = ApiError::new(
            422,
            "Invalid",
            format!("{qualified} \"{name}\" is invalid: {joined}"),
        );
        e.name = name.to_string();
        e.group = info.group.to_string();
        e.kind = info.kind_name.to_string();
        e.causes = causes
            .into_iter()
            .map(|c| StatusCause {
                reason: c.kind.cause_reason().to_string(),
                message: c.body(),
                field: c.field,
            })
            .collect();
        e
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message.into())
    }

    pub fn method_not_allowed(message: impl Into<String>) -> ApiError {
        ApiError::new(405, "MethodNotAllowed", message.into())
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(403, "Forbidden", message.into())
    }

    /// Eviction refused by a PodDisruptionBudget (HTTP 429).
    pub fn too_many_requests(message: impl Into<String>, causes: Vec<StatusCause>) -> ApiError {
        let mut e = ApiError::new(429, "TooManyRequests", message.into());
        e.causes = causes;
        e
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "InternalError", message.into())
    }

    pub fn is_not_found(&self) -> bool {
        self.reason == "NotFound"
    }

    pub fn is_already_exists(&self) -> bool {
        self.reason == "AlreadyExists"
    }

    pub fn is_conflict(&self) -> bool {
        self.reason == "Conflict"
    }

    /// The `Status` object the HTTP API returns for this error.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !self.name.is_empty() || !self.kind.is_empty() || !self.causes.is_empty() {
            let mut details = serde_json::Map::new();
            if !self.name.is_empty() {
                details.insert("name".into(), json!(self.name));
            }
            if !self.group.is_empty() {
                details.insert("group".into(), json!(self.group));
            }
            if !self.kind.is_empty() {
                details.insert("kind".into(), json!(self.kind));
            }
            if !self.causes.is_empty() {
                details.insert(
                    "causes".into(),
                    Value::Array(
                        self.causes
                            .iter()
                            .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
                            .collect(),
                    ),
                );
            }
            status["details"] = Value::Object(details);
        }
        status
    }
}

/// The kinds of field errors apimachinery's `field.Error` has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldErrorKind {
    Required,
    Invalid(String),
    Forbidden,
    NotSupported(String, Vec<String>),
    Duplicate(String),
    TooLong,
}

impl FieldErrorKind {
    fn cause_reason(&self) -> &'static str {
        match self {
            FieldErrorKind::Required => "FieldValueRequired",
            FieldErrorKind::Invalid(_) => "FieldValueInvalid",
            FieldErrorKind::Forbidden => "FieldValueForbidden",
            FieldErrorKind::NotSupported(..) => "FieldValueNotSupported",
            FieldErrorKind::Duplicate(_) => "FieldValueDuplicate",
            FieldErrorKind::TooLong => "FieldValueTooLong",
        }
    }
}

/// One validation failure: `spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub kind: FieldErrorKind,
    pub detail: String,
}

impl FieldError {
    pub fn required(field: &str, detail: &str) -> FieldError {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Required,
            detail: detail.into(),
        }
    }

    /// `value` is rendered as apimachinery does: numbers and bools raw, strings quoted, anything
    /// else as JSON.
    pub fn invalid(field: &str, value: &Value, detail: &str) -> FieldError {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Invalid(render_value(value)),
            detail: detail.into(),
        }
    }

    pub fn forbidden(field: &str, detail: &str) -> FieldError {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Forbidden,
            detail: detail.into(),
        }
    }

    pub fn not_supported(field: &str, value: &Value, supported: &[&str]) -> FieldError {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::NotSupported(
                render_value(value),
                supported.iter().map(|s| s.to_string()).collect(),
            ),
            detail: String::new(),
        }
    }

    pub fn duplicate(field: &str, value: &Value) -> FieldError {
        FieldError {
            field: field.into(),
            kind: FieldErrorKind::Duplicate(render_value(value)),
            detail: String::new(),
        }
    }

    /// The part after `field: ` (apimachinery `ErrorBody`).
    pub fn body(&self) -> String {
        let with_detail = |head: String| {
            if self.detail.is_empty() {
                head
            } else {
                format!("{head}: {}", self.detail)
            }
        };
        match &self.kind {
            FieldErrorKind::Required => with_detail("Required value".into()),
            FieldErrorKind::Forbidden => with_detail("Forbidden".into()),
            FieldErrorKind::TooLong => with_detail("Too long".into()),
            FieldErrorKind::Invalid(v) => with_detail(format!("Invalid value: {v}")),
            FieldErrorKind::Duplicate(v) => with_detail(format!("Duplicate value: {v}")),
            FieldErrorKind::NotSupported(v, supported) => {
                let list: Vec<String> = supported.iter().map(|s| format!("\"{s}\"")).collect();
                format!(
                    "Unsupported value: {v}: supported values: {}",
                    list.join(", ")
                )
            }
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// apimachinery's value rendering in field errors.
pub fn render_value(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Null => "null".to_string(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_apimachinery() {
        assert_eq!(
            ApiError::not_found(Kind::Pod, "web-0").message,
            "pods \"web-0\" not found"
        );
        assert_eq!(
            ApiError::not_found(Kind::StatefulSet, "web").message,
            "statefulsets.apps \"web\" not found"
        );
        let e = ApiError::invalid(
            Kind::StatefulSet,
            "web",
            vec![FieldError::invalid(
                "spec.replicas",
                &json!(-1),
                "must be greater than or equal to 0",
            )],
        );
        assert_eq!(
            e.message,
            "StatefulSet.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        assert_eq!(
            e.causes[0].message,
            "Invalid value: -1: must be greater than or equal to 0"
        );
        let ns = FieldError::not_supported("spec.x", &json!("Foo"), &["Retain", "Delete"]);
        assert_eq!(
            ns.to_string(),
            "spec.x: Unsupported value: \"Foo\": supported values: \"Retain\", \"Delete\""
        );
        assert_eq!(
            render_value(&json!({"app": "other"})),
            "{\"app\":\"other\"}"
        );
    }
}
