//! Validation on create and update (spec §1.4–§1.5, S1.8–S1.12): what kube-apiserver's
//! `ValidateObjectMeta`, `ValidateStatefulSet*` and the basic Pod/Service/PVC validators reject,
//! with apimachinery's exact wording so kubectl can print `The StatefulSet "web" is invalid: ...`.
//!
//! Validation never changes the object (defaulting has already run) and never reads other
//! objects; cross-object checks (namespaces, quotas) belong to admission.

use crate::error::FieldError;
use crate::kinds::Kind;
use crate::object;
use crate::selector::Selector;
use serde_json::{json, Value};

pub const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
pub const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
pub const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

pub const STS_UPDATE_FORBIDDEN: &str = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
pub const POD_UPDATE_FORBIDDEN: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";
pub const PVC_UPDATE_FORBIDDEN: &str = "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";

const GE0: &str = "must be greater than or equal to 0";

type Errs = Vec<FieldError>;

fn done(errs: Errs) -> Result<(), Errs> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

pub fn validate_create(kind: Kind, obj: &Value) -> Result<(), Vec<FieldError>> {
    let mut errs = Vec::new();
    validate_name(kind, obj, &mut errs);
    validate_labels(obj, &mut errs);
    validate_kind(kind, obj, &mut errs);
    done(errs)
}

pub fn validate_update(kind: Kind, old: &Value, new: &Value) -> Result<(), Vec<FieldError>> {
    let mut errs = Vec::new();
    validate_labels(new, &mut errs);
    match kind {
        Kind::StatefulSet => {
            // ValidateStatefulSetUpdate: the new spec is revalidated (without the name), then
            // everything but the mutable fields must equal the old spec (S1.10).
            stateful_set_spec(new, &mut errs);
            let mut clone = new.get("spec").cloned().unwrap_or(Value::Null);
            if let (Some(c), Some(o)) = (clone.as_object_mut(), old.get("spec")) {
                for f in [
                    "replicas",
                    "template",
                    "updateStrategy",
                    "minReadySeconds",
                    "ordinals",
                    "persistentVolumeClaimRetentionPolicy",
                    "revisionHistoryLimit",
                ] {
                    match o.get(f) {
                        Some(v) => {
                            c.insert(f.to_string(), v.clone());
                        }
                        None => {
                            c.remove(f);
                        }
                    }
                }
            }
            if Some(&clone) != old.get("spec") {
                errs.push(FieldError::forbidden("spec", STS_UPDATE_FORBIDDEN));
            }
        }
        Kind::Pod => {
            validate_kind(kind, new, &mut errs);
            pod_update(old, new, &mut errs);
        }
        Kind::PersistentVolumeClaim => {
            validate_kind(kind, new, &mut errs);
            claim_update(old, new, &mut errs);
        }
        _ => validate_kind(kind, new, &mut errs),
    }
    done(errs)
}

pub fn validate_status_update(
    kind: Kind,
    _old: &Value,
    new: &Value,
) -> Result<(), Vec<FieldError>> {
    let mut errs = Vec::new();
    if kind == Kind::StatefulSet {
        stateful_set_status(_old, new, &mut errs);
    }
    done(errs)
}

// ---------------------------------------------------------------------------------------------
// names

/// apimachinery `IsDNS1123Label`.
pub fn dns1123_label_errors(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > 63 {
        out.push("must be no more than 63 characters".to_string());
    }
    if !is_label(s, false) {
        out.push(DNS1123_LABEL_MSG.to_string());
    }
    out
}

/// apimachinery `IsDNS1123Subdomain`.
pub fn dns1123_subdomain_errors(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > 253 {
        out.push("must be no more than 253 characters".to_string());
    }
    if !is_subdomain(s) {
        out.push(DNS1123_SUBDOMAIN_MSG.to_string());
    }
    out
}

/// Whether `s` is non-empty and every `.`-separated part of it `is_label(part, false)`, in
/// one pass over the bytes (every label key and object name is checked on every create).
fn is_subdomain(s: &str) -> bool {
    // `prev` is the byte before the current one, `.` at the start of each part.
    let mut prev = b'.';
    for &c in s.as_bytes() {
        match c {
            b'a'..=b'z' | b'0'..=b'9' => {}
            // A part starts with a letter or digit ...
            b'-' if prev != b'.' => {}
            // ... and ends with one (so no part is empty).
            b'.' if prev != b'.' && prev != b'-' => {}
            _ => return false,
        }
        prev = c;
    }
    prev != b'.' && prev != b'-'
}

/// apimachinery `IsDNS1035Label`.
pub fn dns1035_label_errors(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > 63 {
        out.push("must be no more than 63 characters".to_string());
    }
    if !is_label(s, true) {
        out.push(DNS1035_LABEL_MSG.to_string());
    }
    out
}

fn is_label(s: &str, alpha_start: bool) -> bool {
    let b = s.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    let ok_first = if alpha_start {
        first.is_ascii_lowercase()
    } else {
        first.is_ascii_lowercase() || first.is_ascii_digit()
    };
    ok_first
        && (last.is_ascii_lowercase() || last.is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Which name rule a kind's `Validate<Kind>Name` uses.
fn name_errors(kind: Kind, name: &str) -> Vec<String> {
    match kind {
        Kind::Namespace | Kind::StatefulSet => dns1123_label_errors(name),
        Kind::Service => dns1035_label_errors(name),
        _ => dns1123_subdomain_errors(name),
    }
}

fn validate_name(kind: Kind, obj: &Value, errs: &mut Errs) {
    let name = object::name(obj);
    if name.is_empty() {
        // The API layer reports a missing name before validation runs.
        return;
    }
    for msg in name_errors(kind, name) {
        errs.push(FieldError::invalid("metadata.name", &json!(name), &msg));
    }
}

pub(crate) const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
pub(crate) const QUALIFIED_NAME_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`: label values and qualified-name name parts.
pub(crate) fn is_label_token(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// apimachinery `IsQualifiedName`: `[prefix/]name`, prefix a DNS subdomain, name ≤ 63.
pub fn qualified_name_errors(key: &str) -> Vec<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let mut errs = Vec::new();
    if let Some(p) = prefix {
        if p.is_empty() {
            errs.push("prefix part must be non-empty".to_string());
        } else {
            errs.extend(
                dns1123_subdomain_errors(p)
                    .into_iter()
                    .map(|m| format!("prefix part {m}")),
            );
        }
    }
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else {
        if name.len() > 63 {
            errs.push("name part must be no more than 63 characters".to_string());
        }
        if !is_label_token(name) {
            errs.push(QUALIFIED_NAME_MSG.to_string());
        }
    }
    errs
}

/// apimachinery `IsValidLabelValue`.
pub fn label_value_errors(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !v.is_empty() && !is_label_token(v) {
        errs.push(LABEL_VALUE_MSG.to_string());
    }
    errs
}

/// `ValidateLabels` (ObjectMeta): every key a qualified name, every value a label value.
fn validate_labels(obj: &Value, errs: &mut Errs) {
    let Some(labels) = object::get(obj, &["metadata", "labels"]).and_then(Value::as_object) else {
        return;
    };
    for (k, v) in labels {
        for msg in qualified_name_errors(k) {
            errs.push(FieldError::invalid("metadata.labels", &json!(k), &msg));
        }
        let v = v.as_str().unwrap_or_default();
        if v.len() > 63 {
            errs.push(FieldError::invalid(
                "metadata.labels",
                &json!(v),
                "must be no more than 63 characters",
            ));
        }
        if !v.is_empty() && !is_label_token(v) {
            errs.push(FieldError::invalid(
                "metadata.labels",
                &json!(v),
                LABEL_VALUE_MSG,
            ));
        }
    }
}

fn validate_kind(kind: Kind, obj: &Value, errs: &mut Errs) {
    match kind {
        Kind::StatefulSet => stateful_set_spec(obj, errs),
        Kind::Pod => {
            if let Some(spec) = obj.get("spec") {
                pod_spec(spec, "spec", errs);
            } else {
                errs.push(FieldError::required("spec.containers", ""));
            }
        }
        Kind::Service => service(obj, errs),
        Kind::PersistentVolumeClaim => claim_spec(obj, errs),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// StatefulSet (S1.8)

fn ge0(obj: &Value, path: &[&str], field: &str, errs: &mut Errs) {
    if let Some(v) = object::get(obj, path).and_then(Value::as_i64) {
        if v < 0 {
            errs.push(FieldError::invalid(field, &json!(v), GE0));
        }
    }
}

fn stateful_set_spec(obj: &Value, errs: &mut Errs) {
    let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
    match object::get_str(&spec, &["podManagementPolicy"]) {
        None | Some("OrderedReady") | Some("Parallel") => {}
        Some(other) => errs.push(FieldError::invalid(
            "spec.podManagementPolicy",
            &json!(other),
            "must be 'OrderedReady' or 'Parallel'",
        )),
    }
    let strategy = spec.get("updateStrategy").cloned().unwrap_or(json!({}));
    let ty = object::get_str(&strategy, &["type"]).unwrap_or("");
    let rolling = strategy.get("rollingUpdate").filter(|r| !r.is_null());
    match ty {
        "RollingUpdate" => {
            if let Some(r) = rolling {
                if let Some(p) = r.get("partition").and_then(Value::as_i64) {
                    if p < 0 {
                        errs.push(FieldError::invalid(
                            "spec.updateStrategy.rollingUpdate.partition",
                            &json!(p),
                            GE0,
                        ));
                    }
                }
                if let Some(mu) = r.get("maxUnavailable").filter(|v| !v.is_null()) {
                    max_unavailable(mu, errs);
                }
            }
        }
        "OnDelete" => {
            if let Some(r) = rolling {
                let _ = r;
                errs.push(FieldError::invalid(
                    "spec.updateStrategy.rollingUpdate",
                    &go_struct_value(&strategy["rollingUpdate"]),
                    "only allowed for updateStrategy 'RollingUpdate'",
                ));
            }
        }
        _ => errs.push(FieldError::invalid(
            "spec.updateStrategy",
            &strategy,
            "must be 'RollingUpdate' or 'OnDelete'",
        )),
    }
    for f in ["whenDeleted", "whenScaled"] {
        match object::get_str(&spec, &["persistentVolumeClaimRetentionPolicy", f]) {
            None | Some("Retain") | Some("Delete") => {}
            Some(other) => errs.push(FieldError::not_supported(
                &format!("spec.persistentVolumeClaimRetentionPolicy.{f}"),
                &json!(other),
                &["Retain", "Delete"],
            )),
        }
    }
    ge0(&spec, &["replicas"], "spec.replicas", errs);
    ge0(&spec, &["minReadySeconds"], "spec.minReadySeconds", errs);
    ge0(&spec, &["ordinals", "start"], "spec.ordinals.start", errs);
    match spec.get("selector").filter(|s| !s.is_null()) {
        None => errs.push(FieldError::required("spec.selector", "")),
        Some(sel) => {
            let empty = sel
                .get("matchLabels")
                .and_then(Value::as_object)
                .is_none_or(|m| m.is_empty())
                && object::get_array(sel, &["matchExpressions"]).is_empty();
            if empty {
                errs.push(FieldError::invalid(
                    "spec.selector",
                    &json!({}),
                    "empty selector is invalid for statefulset",
                ));
            } else {
                match Selector::from_label_selector(sel) {
                    Err(e) => errs.push(FieldError::invalid("spec.selector", sel, &e)),
                    Ok(s) => {
                        let labels = object::string_map(&spec, &["template", "metadata", "labels"]);
                        if !s.matches(&labels) {
                            errs.push(FieldError::invalid(
                                "spec.template.metadata.labels",
                                &json!(labels),
                                "`selector` does not match template `labels`",
                            ));
                        }
                    }
                }
            }
        }
    }
    // ValidatePodTemplateSpecForStatefulSet: only these two checks; the PodSpec itself is not
    // validated here (S1.8), it fails later at pod creation.
    match object::get_str(&spec, &["template", "spec", "restartPolicy"]) {
        None | Some("Always") => {}
        Some(other) => errs.push(FieldError::not_supported(
            "spec.template.spec.restartPolicy",
            &json!(other),
            &["Always"],
        )),
    }
    if object::get(&spec, &["template", "spec", "activeDeadlineSeconds"])
        .is_some_and(|v| !v.is_null())
    {
        errs.push(FieldError::forbidden(
            "spec.template.spec.activeDeadlineSeconds",
            "activeDeadlineSeconds in StatefulSet is not Supported",
        ));
    }
}

/// A Go struct value in a field error renders as JSON of the struct (S1.9); keep it as is.
fn go_struct_value(v: &Value) -> Value {
    v.clone()
}

/// `ValidateRollingUpdateStatefulSet`'s maxUnavailable checks (IntOrString).
fn max_unavailable(v: &Value, errs: &mut Errs) {
    const FIELD: &str = "spec.updateStrategy.rollingUpdate.maxUnavailable";
    match v {
        Value::Number(n) => {
            let i = n.as_i64().unwrap_or(0);
            if i < 0 {
                errs.push(FieldError::invalid(FIELD, v, GE0));
            } else if i == 0 {
                errs.push(FieldError::invalid(FIELD, v, "cannot be 0"));
            }
        }
        Value::String(s) => {
            let Some(num) = s
                .strip_suffix('%')
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            else {
                errs.push(FieldError::invalid(
                    FIELD,
                    v,
                    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
                ));
                return;
            };
            let pct: i64 = num.parse().unwrap_or(i64::MAX);
            if pct > 100 {
                errs.push(FieldError::invalid(
                    FIELD,
                    v,
                    "must not be greater than 100%",
                ));
            } else if pct == 0 {
                errs.push(FieldError::invalid(FIELD, v, "cannot be 0"));
            }
        }
        _ => {}
    }
}

/// `ValidateStatefulSetStatus` (S1.11).
fn stateful_set_status(old: &Value, new: &Value, errs: &mut Errs) {
    // Each count read once (every status write of every set comes here).
    let st = new.get("status").and_then(Value::as_object);
    let read = |f: &str| {
        st.and_then(|m| object::field(m, f))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    let counts: [(&str, i64); 7] = [
        "replicas",
        "readyReplicas",
        "currentReplicas",
        "updatedReplicas",
        "availableReplicas",
        "observedGeneration",
        "collisionCount",
    ]
    .map(|f| (f, read(f)));
    let get = |f: &str| {
        counts
            .iter()
            .find(|(name, _)| *name == f)
            .map_or(0, |(_, v)| *v)
    };
    for &(f, v) in &counts {
        if v < 0 {
            errs.push(FieldError::invalid(&format!("status.{f}"), &json!(v), GE0));
        }
    }
    let replicas = get("replicas");
    for f in [
        "readyReplicas",
        "currentReplicas",
        "updatedReplicas",
        "availableReplicas",
    ] {
        if get(f) > replicas {
            errs.push(FieldError::invalid(
                &format!("status.{f}"),
                &json!(get(f)),
                "cannot be greater than status.replicas",
            ));
        }
    }
    if get("availableReplicas") > get("readyReplicas") {
        errs.push(FieldError::invalid(
            "status.availableReplicas",
            &json!(get("availableReplicas")),
            "cannot be greater than status.readyReplicas",
        ));
    }
    if let (Some(o), Some(n)) = (
        object::get_i64(old, &["status", "collisionCount"]),
        object::get_i64(new, &["status", "collisionCount"]),
    ) {
        if n < o {
            errs.push(FieldError::invalid(
                "status.collisionCount",
                &json!(n),
                "cannot be decremented",
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pods

/// The basic `ValidatePodSpec` checks: containers present, named (DNS label, unique), with an
/// image and valid ports.
pub fn pod_spec(spec: &Value, path: &str, errs: &mut Errs) {
    let containers = object::get_array(spec, &["containers"]);
    if containers.is_empty() {
        errs.push(FieldError::required(&format!("{path}.containers"), ""));
    }
    let mut seen: Vec<&str> = Vec::new();
    for (list, items) in [
        (
            "initContainers",
            object::get_array(spec, &["initContainers"]),
        ),
        ("containers", containers),
    ] {
        for (i, c) in items.iter().enumerate() {
            // Field paths are spelled out only for an error: a valid pod formats nothing.
            let p = || format!("{path}.{list}[{i}]");
            let name = object::get_str(c, &["name"]).unwrap_or("");
            if name.is_empty() {
                errs.push(FieldError::required(&format!("{}.name", p()), ""));
            } else {
                for msg in dns1123_label_errors(name) {
                    errs.push(FieldError::invalid(
                        &format!("{}.name", p()),
                        &json!(name),
                        &msg,
                    ));
                }
                if seen.contains(&name) {
                    errs.push(FieldError::duplicate(
                        &format!("{}.name", p()),
                        &json!(name),
                    ));
                }
                seen.push(name);
            }
            if object::get_str(c, &["image"]).is_none_or(|s| s.trim().is_empty()) {
                errs.push(FieldError::required(&format!("{}.image", p()), ""));
            }
            for (j, port) in object::get_array(c, &["ports"]).iter().enumerate() {
                let pp = || format!("{}.ports[{j}]", p());
                match port.get("containerPort").and_then(Value::as_i64) {
                    None | Some(0) => {
                        errs.push(FieldError::required(&format!("{}.containerPort", pp()), ""))
                    }
                    Some(n) if !(1..=65535).contains(&n) => errs.push(FieldError::invalid(
                        &format!("{}.containerPort", pp()),
                        &json!(n),
                        "must be between 1 and 65535, inclusive",
                    )),
                    _ => {}
                }
                match object::get_str(port, &["protocol"]) {
                    None | Some("TCP") | Some("UDP") | Some("SCTP") => {}
                    Some(other) => errs.push(FieldError::not_supported(
                        &format!("{}.protocol", pp()),
                        &json!(other),
                        &["SCTP", "TCP", "UDP"],
                    )),
                }
            }
        }
    }
    match object::get_str(spec, &["restartPolicy"]) {
        None | Some("Always") | Some("OnFailure") | Some("Never") => {}
        Some(other) => errs.push(FieldError::not_supported(
            &format!("{path}.restartPolicy"),
            &json!(other),
            &["Always", "OnFailure", "Never"],
        )),
    }
    if let Some(h) = object::get_str(spec, &["hostname"]) {
        for msg in dns1123_label_errors(h) {
            errs.push(FieldError::invalid(
                &format!("{path}.hostname"),
                &json!(h),
                &msg,
            ));
        }
    }
}

/// `ValidatePodUpdate`: only images, activeDeadlineSeconds, added tolerations and a
/// terminationGracePeriodSeconds fix may change. Binding (`nodeName` from empty) is allowed
/// because the simulated scheduler binds with an update.
fn pod_update(old: &Value, new: &Value, errs: &mut Errs) {
    let (Some(os), Some(ns)) = (old.get("spec"), new.get("spec")) else {
        return;
    };
    let mut a = os.clone();
    let mut b = ns.clone();
    for spec in [&mut a, &mut b] {
        for list in ["containers", "initContainers"] {
            if let Some(items) = spec.get_mut(list).and_then(Value::as_array_mut) {
                for c in items {
                    if let Some(m) = c.as_object_mut() {
                        m.remove("image");
                    }
                }
            }
        }
        if let Some(m) = spec.as_object_mut() {
            m.remove("activeDeadlineSeconds");
            m.remove("tolerations");
        }
    }
    if object::get_str(os, &["nodeName"]).is_none_or(str::is_empty) {
        if let Some(m) = a.as_object_mut() {
            m.remove("nodeName");
        }
        if let Some(m) = b.as_object_mut() {
            m.remove("nodeName");
        }
    }
    if object::get_i64(os, &["terminationGracePeriodSeconds"]).is_some_and(|g| g < 0)
        && object::get_i64(ns, &["terminationGracePeriodSeconds"]) == Some(1)
    {
        if let Some(m) = a.as_object_mut() {
            m.remove("terminationGracePeriodSeconds");
        }
        if let Some(m) = b.as_object_mut() {
            m.remove("terminationGracePeriodSeconds");
        }
    }
    // Tolerations may only be added to.
    let old_t = object::get_array(os, &["tolerations"]);
    let new_t = object::get_array(ns, &["tolerations"]);
    let tolerations_ok = old_t.iter().all(|t| new_t.contains(t));
    if a != b || !tolerations_ok {
        errs.push(FieldError::forbidden("spec", POD_UPDATE_FORBIDDEN));
    }
}

// ---------------------------------------------------------------------------------------------
// Services and claims

fn service(obj: &Value, errs: &mut Errs) {
    let ty = object::get_str(obj, &["spec", "type"]).unwrap_or("ClusterIP");
    match ty {
        "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName" => {}
        other => errs.push(FieldError::not_supported(
            "spec.type",
            &json!(other),
            &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
        )),
    }
    let ports = object::get_array(obj, &["spec", "ports"]);
    let headless = object::get_str(obj, &["spec", "clusterIP"]) == Some("None");
    if ports.is_empty() && ty != "ExternalName" && !headless {
        errs.push(FieldError::required("spec.ports", ""));
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let path = format!("spec.ports[{i}]");
        let name = object::get_str(p, &["name"]).unwrap_or("");
        if ports.len() > 1 && name.is_empty() {
            errs.push(FieldError::required(&format!("{path}.name"), ""));
        } else if !name.is_empty() {
            for msg in dns1123_label_errors(name) {
                errs.push(FieldError::invalid(
                    &format!("{path}.name"),
                    &json!(name),
                    &msg,
                ));
            }
            if names.contains(&name) {
                errs.push(FieldError::duplicate(&format!("{path}.name"), &json!(name)));
            }
            names.push(name);
        }
        match p.get("port").and_then(Value::as_i64) {
            Some(n) if (1..=65535).contains(&n) => {}
            None | Some(0) => errs.push(FieldError::required(&format!("{path}.port"), "")),
            Some(n) => errs.push(FieldError::invalid(
                &format!("{path}.port"),
                &json!(n),
                "must be between 1 and 65535, inclusive",
            )),
        }
        match object::get_str(p, &["protocol"]) {
            None | Some("TCP") | Some("UDP") | Some("SCTP") => {}
            Some(other) => errs.push(FieldError::not_supported(
                &format!("{path}.protocol"),
                &json!(other),
                &["SCTP", "TCP", "UDP"],
            )),
        }
    }
}

fn claim_spec(obj: &Value, errs: &mut Errs) {
    if object::get_array(obj, &["spec", "accessModes"]).is_empty() {
        errs.push(FieldError::required(
            "spec.accessModes",
            "at least 1 access mode is required",
        ));
    }
    let has_storage = object::get(obj, &["spec", "resources", "requests", "storage"]).is_some();
    if !has_storage {
        errs.push(FieldError::required("spec.resources[storage]", ""));
    }
}

/// `ValidatePersistentVolumeClaimUpdate` (S: PVC spec immutability). The PV controller may set
/// `volumeName` once and a default StorageClass may be filled in retroactively.
fn claim_update(old: &Value, new: &Value, errs: &mut Errs) {
    let mut a = old.get("spec").cloned().unwrap_or(Value::Null);
    let mut b = new.get("spec").cloned().unwrap_or(Value::Null);
    if object::get_str(&a, &["volumeName"]).is_none_or(str::is_empty) {
        object::remove(&mut a, &["volumeName"]);
        object::remove(&mut b, &["volumeName"]);
    }
    if object::get_str(&a, &["storageClassName"]).is_none() {
        object::remove(&mut a, &["storageClassName"]);
        object::remove(&mut b, &["storageClassName"]);
    }
    if object::get_str(old, &["status", "phase"]) == Some("Bound") {
        for s in [&mut a, &mut b] {
            object::remove(s, &["resources", "requests"]);
            object::remove(s, &["volumeAttributesClassName"]);
        }
    }
    if a != b {
        errs.push(FieldError::forbidden("spec", PVC_UPDATE_FORBIDDEN));
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn subdomains_are_checked_as_their_dot_separated_labels() {
        let by_parts = |s: &str| !s.is_empty() && s.split('.').all(|part| is_label(part, false));
        for s in [
            "",
            ".",
            "a",
            "a.",
            ".a",
            "a..b",
            "a.b",
            "a-b.c",
            "-a",
            "a-",
            "a.-b",
            "a-.b",
            "0",
            "web-0",
            "apps.kubernetes.io",
            "kubernetes.io",
            "A",
            "a_b",
            "a.b.c-d.e9",
            "9-9.9",
            "é",
            "a b",
            "--",
            "a--b",
            "a.b-",
            "a.0",
            "statefulset.kubernetes.io",
        ] {
            assert_eq!(is_subdomain(s), by_parts(s), "{s:?}");
        }
    }

    use super::*;
    use crate::defaults;

    fn sts() -> Value {
        let mut s = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
               "spec": {"selector": {"matchLabels": {"app": "nginx"}}, "serviceName": "nginx", "replicas": 3,
                        "template": {"metadata": {"labels": {"app": "nginx"}},
                                     "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}});
        defaults::apply(Kind::StatefulSet, &mut s, None);
        s
    }

    fn messages(r: Result<(), Vec<FieldError>>) -> Vec<String> {
        r.err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn create_with(path: &[&str], v: Value) -> Vec<String> {
        let mut s = sts();
        object::set(&mut s, path, v);
        messages(validate_create(Kind::StatefulSet, &s))
    }

    #[test]
    fn valid_statefulset_passes() {
        assert!(validate_create(Kind::StatefulSet, &sts()).is_ok());
    }

    #[test]
    fn statefulset_create_errors_are_verbatim() {
        assert_eq!(
            create_with(&["metadata", "name"], json!("Web")),
            vec![format!(
                "metadata.name: Invalid value: \"Web\": {DNS1123_LABEL_MSG}"
            )]
        );
        assert!(DNS1123_LABEL_MSG.contains("'my-name',  or '123-abc'"));
        let long = "a".repeat(64);
        assert_eq!(
            create_with(&["metadata", "name"], json!(long)),
            vec![format!(
                "metadata.name: Invalid value: \"{long}\": must be no more than 63 characters"
            )]
        );
        assert_eq!(
            create_with(&["spec", "podManagementPolicy"], json!("X")),
            vec!["spec.podManagementPolicy: Invalid value: \"X\": must be 'OrderedReady' or 'Parallel'"]
        );
        assert_eq!(
            create_with(&["spec", "updateStrategy", "rollingUpdate", "partition"], json!(-1)),
            vec!["spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0"]
        );
        assert_eq!(
            create_with(
                &["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"],
                json!(0)
            ),
            vec!["spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0"]
        );
        assert_eq!(
            create_with(&["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"], json!("150%")),
            vec!["spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: \"150%\": must not be greater than 100%"]
        );
        assert_eq!(
            create_with(&["spec", "updateStrategy", "type"], json!("OnDelete")),
            vec!["spec.updateStrategy.rollingUpdate: Invalid value: {\"maxUnavailable\":1,\"partition\":0}: only allowed for updateStrategy 'RollingUpdate'"]
        );
        assert_eq!(
            create_with(&["spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"], json!("Foo")),
            vec!["spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: \"Foo\": supported values: \"Retain\", \"Delete\""]
        );
        assert_eq!(
            create_with(&["spec", "replicas"], json!(-1)),
            vec!["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]
        );
        assert_eq!(
            create_with(&["spec", "ordinals", "start"], json!(-2)),
            vec!["spec.ordinals.start: Invalid value: -2: must be greater than or equal to 0"]
        );
        assert_eq!(
            create_with(&["spec", "selector"], Value::Null),
            vec!["spec.selector: Required value"]
        );
        assert_eq!(
            create_with(&["spec", "selector"], json!({})),
            vec!["spec.selector: Invalid value: {}: empty selector is invalid for statefulset"]
        );
        assert_eq!(
            create_with(&["spec", "template", "metadata", "labels"], json!({"app": "other"})),
            vec!["spec.template.metadata.labels: Invalid value: {\"app\":\"other\"}: `selector` does not match template `labels`"]
        );
        assert_eq!(
            create_with(&["spec", "template", "spec", "restartPolicy"], json!("OnFailure")),
            vec!["spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\""]
        );
        assert_eq!(
            create_with(&["spec", "template", "spec", "activeDeadlineSeconds"], json!(5)),
            vec!["spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported"]
        );
        // The template pod spec is not validated (S1.8).
        assert!(create_with(
            &["spec", "template", "spec", "containers"],
            json!([{"name": "X"}])
        )
        .is_empty());
    }

    #[test]
    fn statefulset_update_forbids_immutable_fields() {
        let old = sts();
        let mut new = old.clone();
        object::set(&mut new, &["spec", "replicas"], json!(5));
        new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
        assert!(validate_update(Kind::StatefulSet, &old, &new).is_ok());
        object::set(&mut new, &["spec", "serviceName"], json!("other"));
        assert_eq!(
            messages(validate_update(Kind::StatefulSet, &old, &new)),
            vec![format!("spec: Forbidden: {STS_UPDATE_FORBIDDEN}")]
        );
    }

    #[test]
    fn statefulset_status_rules() {
        let old = json!({"status": {"replicas": 3, "collisionCount": 2}});
        let new = json!({"status": {"replicas": 2, "readyReplicas": 3, "availableReplicas": 3, "collisionCount": 1}});
        let m = messages(validate_status_update(Kind::StatefulSet, &old, &new));
        assert!(m.contains(
            &"status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas"
                .to_string()
        ));
        assert!(m.contains(
            &"status.collisionCount: Invalid value: 1: cannot be decremented".to_string()
        ));
    }

    #[test]
    fn generic_names_pods_services_and_claims() {
        let svc = json!({"kind": "Service", "metadata": {"name": "1abc"}, "spec": {"ports": [{"port": 80}]}});
        assert_eq!(
            messages(validate_create(Kind::Service, &svc)),
            vec![format!(
                "metadata.name: Invalid value: \"1abc\": {DNS1035_LABEL_MSG}"
            )]
        );
        let cm = json!({"kind": "ConfigMap", "metadata": {"name": "a.b_c"}});
        assert_eq!(
            messages(validate_create(Kind::ConfigMap, &cm)),
            vec![format!(
                "metadata.name: Invalid value: \"a.b_c\": {DNS1123_SUBDOMAIN_MSG}"
            )]
        );
        let pod = json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}, {"name": "c", "image": "x"}]}});
        assert_eq!(
            messages(validate_create(Kind::Pod, &pod)),
            vec![
                "spec.containers[0].image: Required value".to_string(),
                "spec.containers[1].name: Duplicate value: \"c\"".to_string()
            ]
        );
        let old = json!({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 80}]}]}});
        let mut new = old.clone();
        new["spec"]["containers"][0]["image"] = json!("y");
        object::set(&mut new, &["spec", "nodeName"], json!("node-1"));
        assert!(validate_update(Kind::Pod, &old, &new).is_ok());
        new["spec"]["containers"][0]["ports"][0]["containerPort"] = json!(81);
        assert_eq!(
            messages(validate_update(Kind::Pod, &old, &new)),
            vec![format!("spec: Forbidden: {POD_UPDATE_FORBIDDEN}")]
        );
        let old = json!({"kind": "PersistentVolumeClaim", "metadata": {"name": "c"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}, "status": {"phase": "Pending"}});
        let mut new = old.clone();
        object::set(&mut new, &["spec", "volumeName"], json!("pv-1"));
        object::set(&mut new, &["spec", "storageClassName"], json!("standard"));
        assert!(validate_update(Kind::PersistentVolumeClaim, &old, &new).is_ok());
        object::set(
            &mut new,
            &["spec", "resources", "requests", "storage"],
            json!("2Gi"),
        );
        assert_eq!(
            messages(validate_update(Kind::PersistentVolumeClaim, &old, &new)),
            vec![format!("spec: Forbidden: {PVC_UPDATE_FORBIDDEN}")]
        );
    }

    #[test]
    fn labels_must_be_qualified_names_and_label_values() {
        let pod = |labels: Value| {
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "x", "namespace": "default", "labels": labels},
                   "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
        };
        assert!(validate_create(Kind::Pod, &pod(json!({"app": "nginx", "k8s.io/x": ""}))).is_ok());
        let errs = validate_create(Kind::Pod, &pod(json!({"a": "<b>"}))).unwrap_err();
        assert_eq!(
            errs[0].to_string(),
            format!("metadata.labels: Invalid value: \"<b>\": {LABEL_VALUE_MSG}")
        );
        let errs = validate_create(Kind::Pod, &pod(json!({"a b": "x"}))).unwrap_err();
        assert_eq!(
            errs[0].to_string(),
            format!("metadata.labels: Invalid value: \"a b\": {QUALIFIED_NAME_MSG}")
        );
        let long = "v".repeat(64);
        let errs = validate_create(Kind::Pod, &pod(json!({"a": long}))).unwrap_err();
        assert!(errs[0]
            .to_string()
            .ends_with("must be no more than 63 characters"));
    }
}
