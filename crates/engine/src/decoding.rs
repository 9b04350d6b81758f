//! The apiserver's typed decoding of request bodies: before any defaulting or validation, the
//! JSON must fit the Go types of the API (`replicas` an int32, `image` a string, ...). A body
//! that does not fit is a 400 in the apiserver's words, e.g.
//! `StatefulSet in version "v1" cannot be handled as a StatefulSet: json: cannot unmarshal
//! string into Go struct field StatefulSetSpec.spec.replicas of type int32`.
//!
//! It covers the fields kubeplay's controllers and printers read, so that a stored object
//! always has the types the rest of the engine expects; unknown fields are ignored as the
//! non-strict decoder ignores them. It never changes the object.

use crate::error::ApiError;
use crate::kinds::Kind;
use crate::quantity::{Quantity, QUANTITY_ERROR};
use serde_json::Value;

/// A Go type as far as JSON decoding cares.
enum Ty {
    Str,
    Bool,
    Int32,
    Int64,
    IntOrString,
    /// `map[string]string`
    StrMap,
    /// `map[string]resource.Quantity` (resource lists)
    QtyMap,
    /// `[]string`
    StrList,
    /// A struct: its Go name (`v1.StatefulSetSpec`), the fields checked, and their indexes
    /// sorted by name (`check` walks them beside an object's sorted keys).
    Struct(&'static str, Vec<(&'static str, Ty)>, Vec<usize>),
    /// A slice of structs: its Go name (`[]v1.Container`) and the element.
    List(&'static str, Box<Ty>),
}

fn st(name: &'static str, fields: Vec<(&'static str, Ty)>) -> Ty {
    let mut by_name: Vec<usize> = (0..fields.len()).collect();
    by_name.sort_by_key(|&i| fields[i].0);
    Ty::Struct(name, fields, by_name)
}

fn list(name: &'static str, elem: Ty) -> Ty {
    Ty::List(name, Box::new(elem))
}

fn object_meta() -> Ty {
    st(
        "v1.ObjectMeta",
        vec![
            ("name", Ty::Str),
            ("generateName", Ty::Str),
            ("namespace", Ty::Str),
            ("labels", Ty::StrMap),
            ("annotations", Ty::StrMap),
            ("finalizers", Ty::StrList),
        ],
    )
}

fn label_selector() -> Ty {
    st(
        "v1.LabelSelector",
        vec![
            ("matchLabels", Ty::StrMap),
            (
                "matchExpressions",
                list(
                    "[]v1.LabelSelectorRequirement",
                    st(
                        "v1.LabelSelectorRequirement",
                        vec![
                            ("key", Ty::Str),
                            ("operator", Ty::Str),
                            ("values", Ty::StrList),
                        ],
                    ),
                ),
            ),
        ],
    )
}

fn probe() -> Ty {
    st(
        "v1.Probe",
        vec![
            ("exec", st("v1.ExecAction", vec![("command", Ty::StrList)])),
            (
                "httpGet",
                st(
                    "v1.HTTPGetAction",
                    vec![
                        ("path", Ty::Str),
                        ("port", Ty::IntOrString),
                        ("scheme", Ty::Str),
                    ],
                ),
            ),
            (
                "tcpSocket",
                st("v1.TCPSocketAction", vec![("port", Ty::IntOrString)]),
            ),
            ("initialDelaySeconds", Ty::Int32),
            ("timeoutSeconds", Ty::Int32),
            ("periodSeconds", Ty::Int32),
            ("successThreshold", Ty::Int32),
            ("failureThreshold", Ty::Int32),
            ("terminationGracePeriodSeconds", Ty::Int64),
        ],
    )
}

fn resources() -> Ty {
    st(
        "v1.ResourceRequirements",
        vec![("limits", Ty::QtyMap), ("requests", Ty::QtyMap)],
    )
}

fn container() -> Ty {
    st(
        "v1.Container",
        vec![
            ("name", Ty::Str),
            ("image", Ty::Str),
            ("command", Ty::StrList),
            ("args", Ty::StrList),
            ("workingDir", Ty::Str),
            (
                "ports",
                list(
                    "[]v1.ContainerPort",
                    st(
                        "v1.ContainerPort",
                        vec![
                            ("name", Ty::Str),
                            ("containerPort", Ty::Int32),
                            ("hostPort", Ty::Int32),
                            ("protocol", Ty::Str),
                        ],
                    ),
                ),
            ),
            (
                "env",
                list(
                    "[]v1.EnvVar",
                    st("v1.EnvVar", vec![("name", Ty::Str), ("value", Ty::Str)]),
                ),
            ),
            ("resources", resources()),
            (
                "volumeMounts",
                list(
                    "[]v1.VolumeMount",
                    st(
                        "v1.VolumeMount",
                        vec![
                            ("name", Ty::Str),
                            ("mountPath", Ty::Str),
                            ("subPath", Ty::Str),
                            ("readOnly", Ty::Bool),
                        ],
                    ),
                ),
            ),
            ("livenessProbe", probe()),
            ("readinessProbe", probe()),
            ("startupProbe", probe()),
            ("imagePullPolicy", Ty::Str),
            ("terminationMessagePath", Ty::Str),
            ("terminationMessagePolicy", Ty::Str),
            ("stdin", Ty::Bool),
            ("tty", Ty::Bool),
        ],
    )
}

fn pod_spec() -> Ty {
    st(
        "v1.PodSpec",
        vec![
            ("containers", list("[]v1.Container", container())),
            ("initContainers", list("[]v1.Container", container())),
            ("restartPolicy", Ty::Str),
            ("terminationGracePeriodSeconds", Ty::Int64),
            ("activeDeadlineSeconds", Ty::Int64),
            ("dnsPolicy", Ty::Str),
            ("nodeSelector", Ty::StrMap),
            ("serviceAccountName", Ty::Str),
            ("serviceAccount", Ty::Str),
            ("automountServiceAccountToken", Ty::Bool),
            ("nodeName", Ty::Str),
            ("hostNetwork", Ty::Bool),
            ("hostname", Ty::Str),
            ("subdomain", Ty::Str),
            ("schedulerName", Ty::Str),
            ("priorityClassName", Ty::Str),
            ("priority", Ty::Int32),
            (
                "tolerations",
                list(
                    "[]v1.Toleration",
                    st(
                        "v1.Toleration",
                        vec![
                            ("key", Ty::Str),
                            ("operator", Ty::Str),
                            ("value", Ty::Str),
                            ("effect", Ty::Str),
                            ("tolerationSeconds", Ty::Int64),
                        ],
                    ),
                ),
            ),
            (
                "volumes",
                list(
                    "[]v1.Volume",
                    st(
                        "v1.Volume",
                        vec![
                            ("name", Ty::Str),
                            (
                                "persistentVolumeClaim",
                                st(
                                    "v1.PersistentVolumeClaimVolumeSource",
                                    vec![("claimName", Ty::Str), ("readOnly", Ty::Bool)],
                                ),
                            ),
                            (
                                "configMap",
                                st("v1.ConfigMapVolumeSource", vec![("name", Ty::Str)]),
                            ),
                            (
                                "emptyDir",
                                st("v1.EmptyDirVolumeSource", vec![("medium", Ty::Str)]),
                            ),
                        ],
                    ),
                ),
            ),
        ],
    )
}

fn pod_template() -> Ty {
    st(
        "v1.PodTemplateSpec",
        vec![("metadata", object_meta()), ("spec", pod_spec())],
    )
}

fn claim_spec() -> Ty {
    st(
        "v1.PersistentVolumeClaimSpec",
        vec![
            ("accessModes", Ty::StrList),
            ("selector", label_selector()),
            (
                "resources",
                st(
                    "v1.VolumeResourceRequirements",
                    vec![("limits", Ty::QtyMap), ("requests", Ty::QtyMap)],
                ),
            ),
            ("volumeName", Ty::Str),
            ("storageClassName", Ty::Str),
            ("volumeMode", Ty::Str),
        ],
    )
}

fn claim() -> Ty {
    st(
        "v1.PersistentVolumeClaim",
        vec![("metadata", object_meta()), ("spec", claim_spec())],
    )
}

fn top(kind: Kind) -> Option<Ty> {
    if kind == Kind::ConfigMap {
        // `data` is map[string]string: a YAML 1.1 `enabled: yes` arrives as a bool and is
        // refused, as kube-apiserver refuses it.
        return Some(st(
            "v1.ConfigMap",
            vec![
                ("metadata", object_meta()),
                ("data", Ty::StrMap),
                ("immutable", Ty::Bool),
            ],
        ));
    }
    let spec = match kind {
        Kind::StatefulSet => st(
            "v1.StatefulSetSpec",
            vec![
                ("replicas", Ty::Int32),
                ("selector", label_selector()),
                ("template", pod_template()),
                (
                    "volumeClaimTemplates",
                    list("[]v1.PersistentVolumeClaim", claim()),
                ),
                ("serviceName", Ty::Str),
                ("podManagementPolicy", Ty::Str),
                (
                    "updateStrategy",
                    st(
                        "v1.StatefulSetUpdateStrategy",
                        vec![
                            ("type", Ty::Str),
                            (
                                "rollingUpdate",
                                st(
                                    "v1.RollingUpdateStatefulSetStrategy",
                                    vec![
                                        ("partition", Ty::Int32),
                                        ("maxUnavailable", Ty::IntOrString),
                                    ],
                                ),
                            ),
                        ],
                    ),
                ),
                ("revisionHistoryLimit", Ty::Int32),
                ("minReadySeconds", Ty::Int32),
                (
                    "persistentVolumeClaimRetentionPolicy",
                    st(
                        "v1.StatefulSetPersistentVolumeClaimRetentionPolicy",
                        vec![("whenDeleted", Ty::Str), ("whenScaled", Ty::Str)],
                    ),
                ),
                (
                    "ordinals",
                    st("v1.StatefulSetOrdinals", vec![("start", Ty::Int32)]),
                ),
            ],
        ),
        Kind::Pod => pod_spec(),
        Kind::Service => st(
            "v1.ServiceSpec",
            vec![
                (
                    "ports",
                    list(
                        "[]v1.ServicePort",
                        st(
                            "v1.ServicePort",
                            vec![
                                ("name", Ty::Str),
                                ("protocol", Ty::Str),
                                ("port", Ty::Int32),
                                ("targetPort", Ty::IntOrString),
                                ("nodePort", Ty::Int32),
                            ],
                        ),
                    ),
                ),
                ("selector", Ty::StrMap),
                ("clusterIP", Ty::Str),
                ("clusterIPs", Ty::StrList),
                ("type", Ty::Str),
                ("publishNotReadyAddresses", Ty::Bool),
            ],
        ),
        Kind::PersistentVolumeClaim => claim_spec(),
        _ => return None,
    };
    let info = kind.info();
    let go_name: &'static str = match kind {
        Kind::StatefulSet => "v1.StatefulSet",
        Kind::Pod => "v1.Pod",
        Kind::Service => "v1.Service",
        _ => "v1.PersistentVolumeClaim",
    };
    let _ = info;
    Some(st(
        go_name,
        vec![("metadata", object_meta()), ("spec", spec)],
    ))
}

fn go_type(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
    }
}

/// `strukt` is the Go name of the innermost struct holding the field (shown without its
/// package); `path` the JSON path from the top.
fn field_err(v: &Value, strukt: &str, path: &str, ty: &str) -> String {
    let shown = match v {
        // A number that does not fit an integer field is shown with its digits, as Go does.
        Value::Number(n) if ty.starts_with("int") => format!("number {n}"),
        _ => go_type(v),
    };
    let strukt = short(strukt);
    format!("json: cannot unmarshal {shown} into Go struct field {strukt}.{path} of type {ty}")
}

fn int_fits(v: &Value, bits32: bool) -> bool {
    match v.as_i64() {
        Some(i) => !bits32 || i32::try_from(i).is_ok(),
        None => false,
    }
}

fn short(go_name: &str) -> &str {
    go_name.rsplit('.').next().unwrap_or(go_name)
}

/// The dotted field path of a value being checked (`spec.template.spec.containers`), kept as
/// a chain of segments and only joined into a string for an error: a body that fits (nearly
/// every body) allocates nothing.
#[derive(Clone, Copy)]
struct FieldPath<'a> {
    parent: Option<&'a FieldPath<'a>>,
    segment: &'a str,
}

impl FieldPath<'_> {
    const ROOT: FieldPath<'static> = FieldPath {
        parent: None,
        segment: "",
    };

    fn render(&self) -> String {
        match self.parent {
            None => self.segment.to_string(),
            Some(p) if p.parent.is_none() && p.segment.is_empty() => self.segment.to_string(),
            Some(p) => format!("{}.{}", p.render(), self.segment),
        }
    }
}

fn check(v: &Value, ty: &Ty, strukt: &str, path: FieldPath<'_>) -> Result<(), String> {
    if v.is_null() {
        return Ok(());
    }
    let simple = |ok: bool, name: &str| {
        if ok {
            Ok(())
        } else {
            Err(field_err(v, strukt, &path.render(), name))
        }
    };
    match ty {
        Ty::Str => simple(v.is_string(), "string"),
        Ty::Bool => simple(v.is_boolean(), "bool"),
        Ty::Int32 => match v {
            Value::Number(_) => simple(int_fits(v, true), "int32"),
            _ => simple(false, "int32"),
        },
        Ty::Int64 => match v {
            Value::Number(_) => simple(int_fits(v, false), "int64"),
            _ => simple(false, "int64"),
        },
        // intstr.IntOrString.UnmarshalJSON: a string, else an int32 (a plain Go value).
        Ty::IntOrString => match v {
            Value::String(_) => Ok(()),
            _ if int_fits(v, true) => Ok(()),
            _ => Err(format!(
                "json: cannot unmarshal {} into Go value of type int32",
                match v {
                    Value::Number(n) => format!("number {n}"),
                    other => go_type(other),
                }
            )),
        },
        Ty::StrList => match v {
            Value::Array(items) => items
                .iter()
                .try_for_each(|x| check(x, &Ty::Str, strukt, path)),
            _ => simple(false, "[]string"),
        },
        Ty::StrMap => match v {
            Value::Object(m) => m
                .values()
                .try_for_each(|x| check(x, &Ty::Str, strukt, path)),
            _ => simple(false, "map[string]string"),
        },
        Ty::QtyMap => match v {
            Value::Object(m) => m.values().try_for_each(quantity),
            _ => simple(false, "v1.ResourceList"),
        },
        Ty::Struct(name, fields, by_name) => match v {
            // Go's decoder reports the earliest type error in the body's key order, and
            // kubectl sends keys sorted (as every stored object holds them): the object's
            // keys are walked beside the type's fields sorted by name, one pass.
            Value::Object(m) => {
                let mut wanted = by_name.iter().map(|&i| &fields[i]).peekable();
                for (k, x) in m.iter() {
                    while wanted.peek().is_some_and(|(f, _)| *f < k.as_str()) {
                        wanted.next();
                    }
                    match wanted.peek() {
                        Some((f, t)) if *f == k.as_str() => {
                            let p = FieldPath {
                                parent: Some(&path),
                                segment: f,
                            };
                            // The struct's Go name is shortened (`v1.PodSpec` to `PodSpec`)
                            // only for an error: a body that fits never searches it.
                            check(x, t, name, p)?;
                            wanted.next();
                        }
                        Some(_) => {}
                        None => break,
                    }
                }
                Ok(())
            }
            _ => simple(false, name),
        },
        Ty::List(name, elem) => match v {
            Value::Array(items) => items.iter().try_for_each(|x| {
                if !x.is_object() {
                    return check(x, elem, strukt, path);
                }
                if fitted_before(elem, x) {
                    return Ok(());
                }
                check(x, elem, strukt, path)?;
                remember_fitted(elem, x);
                Ok(())
            }),
            _ => simple(false, name),
        },
    }
}

thread_local! {
    /// List elements (containers, tolerations, ...) that fitted their type lately, with the
    /// address of that type: the pods a controller makes from one template carry the
    /// template's containers (their maps shared, so comparing them is O(1)), and an element
    /// equal to one that fitted fits too. Only fits are kept: an error is always found (and
    /// worded) by `check`.
    static FITTED: std::cell::RefCell<Vec<(usize, Value)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// How many fitted elements are kept in all, and of one type.
const FITTED_MAX: usize = 8;
const FITTED_PER_TYPE: usize = 2;

fn fitted_before(ty: &Ty, v: &Value) -> bool {
    let key = ty as *const Ty as usize;
    FITTED.with(|f| f.borrow().iter().any(|(t, x)| *t == key && x == v))
}

fn remember_fitted(ty: &Ty, v: &Value) {
    let key = ty as *const Ty as usize;
    FITTED.with(|f| {
        let mut f = f.borrow_mut();
        if f.iter().filter(|(t, _)| *t == key).count() >= FITTED_PER_TYPE {
            if let Some(i) = f.iter().position(|(t, _)| *t == key) {
                f.remove(i);
            }
        } else if f.len() >= FITTED_MAX {
            f.remove(0);
        }
        f.push((key, v.clone()));
    });
}

/// `resource.Quantity.UnmarshalJSON`: a string or a bare number that parses as a quantity.
fn quantity(v: &Value) -> Result<(), String> {
    let text = match v {
        Value::Null => return Ok(()),
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return Err(QUANTITY_ERROR.to_string()),
    };
    Quantity::parse(&text).map(|_| ())
}

/// Checks a request body against the Go types of its kind; the error is the apiserver's
/// 400 (`<Kind> in version "<v>" cannot be handled as a <Kind>: <json error>`).
/// The decoding types of every kind, built once: every write of every controller is checked,
/// and building the trees cost more than checking against them.
fn top_cached(kind: Kind) -> Option<&'static Ty> {
    static TYPES: std::sync::OnceLock<std::collections::BTreeMap<Kind, Ty>> =
        std::sync::OnceLock::new();
    TYPES
        .get_or_init(|| Kind::all().filter_map(|k| top(k).map(|t| (k, t))).collect())
        .get(&kind)
}

pub fn check_body(kind: Kind, obj: &Value) -> Result<(), ApiError> {
    let mut owned = None;
    let ty = match top_cached(kind) {
        Some(t) => t,
        None => {
            owned = top(kind);
            match &owned {
                Some(t) => t,
                None => return Ok(()),
            }
        }
    };
    let fits = check(obj, ty, "", FieldPath::ROOT);
    if owned.is_some() {
        // `FITTED` names types by address: none of a tree about to be freed may stay.
        FITTED.with(|f| f.borrow_mut().clear());
    }
    fits.map_err(|e| {
        let info = kind.info();
        ApiError::bad_request(format!(
            "{k} in version \"{v}\" cannot be handled as a {k}: {e}",
            k = info.kind_name,
            v = info.version
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(kind: Kind, v: Value) -> String {
        check_body(kind, &v)
            .err()
            .map(|e| e.message)
            .unwrap_or_default()
    }

    #[test]
    fn wrong_types_are_the_apiservers_400() {
        // Two wrong fields: Go reports the earliest in the body, whose keys kubectl sends
        // sorted (`podManagementPolicy` before `serviceName`, though the Go struct declares
        // `serviceName` first).
        assert_eq!(
            msg(Kind::StatefulSet, json!({"spec": {"serviceName": 5, "podManagementPolicy": 1}})),
            "StatefulSet in version \"v1\" cannot be handled as a StatefulSet: json: cannot unmarshal number into Go struct field StatefulSetSpec.spec.podManagementPolicy of type string"
        );
        assert_eq!(
            msg(Kind::StatefulSet, json!({"spec": {"replicas": "3"}})),
            "StatefulSet in version \"v1\" cannot be handled as a StatefulSet: json: cannot unmarshal string into Go struct field StatefulSetSpec.spec.replicas of type int32"
        );
        assert_eq!(
            msg(Kind::StatefulSet, json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": 5}]}}}})),
            "StatefulSet in version \"v1\" cannot be handled as a StatefulSet: json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string"
        );
        assert_eq!(
            msg(Kind::Pod, json!({"metadata": {"labels": {"a": 1}}})),
            "Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"
        );
        assert_eq!(
            msg(Kind::StatefulSet, json!({"spec": "x"})),
            "StatefulSet in version \"v1\" cannot be handled as a StatefulSet: json: cannot unmarshal string into Go struct field StatefulSet.spec of type v1.StatefulSetSpec"
        );
        assert_eq!(
            msg(Kind::StatefulSet, json!({"spec": {"replicas": 3000000000i64}})),
            "StatefulSet in version \"v1\" cannot be handled as a StatefulSet: json: cannot unmarshal number 3000000000 into Go struct field StatefulSetSpec.spec.replicas of type int32"
        );
        assert_eq!(
            msg(
                Kind::StatefulSet,
                json!({"spec": {"replicas": 3, "x": [1]}})
            ),
            ""
        );
        assert_eq!(
            msg(Kind::ConfigMap, json!({"data": {"enabled": true}})),
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal bool into Go struct field ConfigMap.data of type string"
        );
    }

    #[test]
    fn an_element_that_fitted_before_does_not_hide_a_later_misfit() {
        // A container that fitted is remembered; the same container again fits, and one
        // beside it that does not fit is still reported in the decoder's words.
        let good = json!({"name": "a", "image": "nginx", "ports": [{"containerPort": 80}]});
        let pod = |containers: Value| json!({"spec": {"containers": containers}});
        assert_eq!(msg(Kind::Pod, pod(json!([good.clone()]))), "");
        assert_eq!(msg(Kind::Pod, pod(json!([good.clone()]))), "");
        assert_eq!(
            msg(
                Kind::Pod,
                pod(json!([good.clone(), {"name": "b", "ports": [{"containerPort": "80"}]}]))
            ),
            "Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"
        );
        // An element equal to a remembered one but for one field is checked in full.
        let mut bad = good.clone();
        bad["image"] = json!(5);
        assert_eq!(
            msg(Kind::Pod, pod(json!([bad]))),
            "Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string"
        );
    }
}
