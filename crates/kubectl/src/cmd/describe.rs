//! `kubectl describe` for pods, statefulsets, services, PVCs, PVs and nodes, laid out as
//! kubectl 1.33's `pkg/describe` does: a prefix writer (two spaces per level) feeding one tab
//! writer (minwidth 0, padding 2) that is flushed before the Events table (S6.9).
//!
//! It only reads through `Api`; it never changes the cluster.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;
use crate::printers::table::{
    access_modes, age, format_label_selector, format_labels, storage_class_of,
};
use crate::printers::tabwriter::{Config, TabWriter};
use crate::resource_args;
use kubeplay_engine::object::{self, get, get_array, get_bool, get_i64, get_str};
use kubeplay_engine::time::Time;
use kubeplay_engine::{ApiError, Kind, Selector};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) const FLAGS: &[FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("all-namespaces", Some('A'), FlagKind::Bool),
    flag("selector", Some('l'), FlagKind::Value),
    flag("show-events", None, FlagKind::Bool),
    flag("filename", Some('f'), FlagKind::Multi),
    flag("chunk-size", None, FlagKind::Value),
    flag("kubeconfig", None, FlagKind::Value),
    flag("context", None, FlagKind::Value),
];

const MAX_ANNOTATION_LEN: usize = 140;

/// kubectl's PrefixWriter over a tab writer.
struct W {
    tw: TabWriter,
    out: String,
    /// Write tabs as they are, unaligned (a `PrefixWriter` on a plain buffer, as
    /// `rollout history --revision` prints its template).
    raw: bool,
}

impl W {
    fn new() -> W {
        W {
            tw: TabWriter::new(Config::DESCRIBE),
            out: String::new(),
            raw: false,
        }
    }
    fn w(&mut self, level: usize, text: &str) {
        let mut s = "  ".repeat(level);
        s.push_str(text);
        if self.raw {
            self.out.push_str(&s);
        } else {
            self.tw.write(&s);
        }
    }
    fn flush(&mut self) {
        if self.raw {
            return;
        }
        self.tw.flush();
        self.out.push_str(&self.tw.take_output());
    }
    fn finish(mut self) -> String {
        self.flush();
        self.out
    }
}

fn s<'a>(o: &'a Value, path: &[&str]) -> &'a str {
    get_str(o, path).unwrap_or("")
}

fn rfc1123z(ts: &str) -> String {
    Time::parse_rfc3339(ts)
        .map(|t| t.rfc1123z())
        .unwrap_or_else(|| "Mon, 01 Jan 0001 00:00:00 +0000".to_string())
}

fn labels_multiline(w: &mut W, initial: &str, title: &str, m: &BTreeMap<String, String>) {
    w.w(0, &format!("{initial}{title}:\t"));
    if m.is_empty() {
        w.w(0, "<none>\n");
        return;
    }
    for (i, (k, v)) in m.iter().enumerate() {
        if i != 0 {
            w.w(0, &format!("{initial}\t"));
        }
        w.w(0, &format!("{k}={v}\n"));
    }
}

fn annotations_multiline(w: &mut W, title: &str, m: &BTreeMap<String, String>) {
    annotations_multiline_indented(w, "", title, m);
}

/// `printAnnotationsMultilineWithIndent`: continuation lines start with `initial` too.
fn annotations_multiline_indented(
    w: &mut W,
    initial: &str,
    title: &str,
    m: &BTreeMap<String, String>,
) {
    w.w(0, &format!("{initial}{title}:\t"));
    let keys: Vec<&String> = m
        .keys()
        .filter(|k| k.as_str() != "kubectl.kubernetes.io/last-applied-configuration")
        .collect();
    if keys.is_empty() {
        w.w(0, "<none>\n");
        return;
    }
    for (i, k) in keys.iter().enumerate() {
        if i != 0 {
            w.w(0, &format!("{initial}\t"));
        }
        let value = m[*k].strip_suffix('\n').unwrap_or(&m[*k]);
        if value.len() + k.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            w.w(0, &format!("{k}:\n"));
            for line in value.split('\n') {
                let short = if line.len() > MAX_ANNOTATION_LEN - 2 {
                    let mut end = MAX_ANNOTATION_LEN - 2;
                    while !line.is_char_boundary(end) {
                        end -= 1;
                    }
                    format!("{}...", &line[..end])
                } else {
                    line.to_string()
                };
                w.w(0, &format!("{initial}\t  {short}\n"));
            }
        } else {
            w.w(0, &format!("{k}: {value}\n"));
        }
    }
}

fn tolerations_multiline(w: &mut W, initial: &str, title: &str, tols: &[Value]) {
    w.w(0, &format!("{initial}{title}:\t"));
    if tols.is_empty() {
        w.w(0, "<none>\n");
        return;
    }
    let mut tols: Vec<&Value> = tols.iter().collect();
    kubeplay_shell::sorting::sort_by(&mut tols, |a, b| s(a, &["key"]).cmp(s(b, &["key"])));
    for (i, t) in tols.iter().enumerate() {
        if i != 0 {
            w.w(0, &format!("{initial}\t"));
        }
        let (key, value, effect) = (s(t, &["key"]), s(t, &["value"]), s(t, &["effect"]));
        let mut line = key.to_string();
        if !value.is_empty() {
            line.push_str(&format!("={value}"));
        }
        if !effect.is_empty() {
            line.push_str(&format!(":{effect}"));
        }
        if s(t, &["operator"]) == "Exists" && value.is_empty() {
            if !key.is_empty() || !effect.is_empty() {
                line.push_str(" op=Exists");
            } else {
                line.push_str("op=Exists");
            }
        }
        if let Some(secs) = get_i64(t, &["tolerationSeconds"]) {
            line.push_str(&format!(" for {secs}s"));
        }
        w.w(0, &format!("{line}\n"));
    }
}

/// Events about `obj`, oldest last-seen first (describe's `SortableEvents`).
fn events_for(k: &Kubectl<'_>, obj: &Value) -> Vec<Arc<Value>> {
    let uid = object::uid(obj);
    let ns = object::namespace(obj);
    let ns = if ns.is_empty() { "default" } else { ns };
    let mut evs: Vec<Arc<Value>> = k
        .cluster
        .api
        .list(Kind::Event, Some(ns), &Selector::default())
        .into_iter()
        .filter(|e| {
            s(e, &["involvedObject", "uid"]) == uid
                && s(e, &["involvedObject", "name"]) == object::name(obj)
        })
        .collect();
    kubeplay_shell::sorting::sort_by_key(&mut evs, |e| {
        get_str(e, &["lastTimestamp"])
            .and_then(Time::parse_rfc3339)
            .unwrap_or_default()
    });
    evs
}

fn describe_events(w: &mut W, evs: &[Arc<Value>], now: Time) {
    if evs.is_empty() {
        w.w(0, "Events:\t<none>\n");
        return;
    }
    w.flush();
    w.w(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    w.w(1, "----\t------\t----\t----\t-------\n");
    for e in evs {
        let first = age(get_str(e, &["firstTimestamp"]), now);
        let count = get_i64(e, &["count"]).unwrap_or(0);
        let interval = if count > 1 {
            format!(
                "{} (x{count} over {first})",
                age(get_str(e, &["lastTimestamp"]), now)
            )
        } else {
            first
        };
        let mut source = s(e, &["source", "component"]);
        if source.is_empty() {
            source = s(e, &["reportingComponent"]);
        }
        w.w(
            1,
            &format!(
                "{}\t{}\t{interval}\t{source}\t{}\n",
                s(e, &["type"]),
                s(e, &["reason"]),
                s(e, &["message"]).trim()
            ),
        );
    }
}

fn port_list(ports: &[Value], host: bool) -> String {
    ports
        .iter()
        .map(|p| {
            let n = if host {
                get_i64(p, &["hostPort"]).unwrap_or(0)
            } else {
                get_i64(p, &["containerPort"]).unwrap_or(0)
            };
            // kubectl 1.33 prints `80/TCP` without the port's name (checked against the
            // real binary through `kubeplay serve`); later releases append ` (web)`.
            let proto = get_str(p, &["protocol"]).unwrap_or("TCP");
            format!("{n}/{proto}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn or_none(s: String) -> String {
    if s.is_empty() {
        "<none>".into()
    } else {
        s
    }
}

fn describe_probe(p: &Value) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        get_i64(p, &["initialDelaySeconds"]).unwrap_or(0),
        get_i64(p, &["timeoutSeconds"]).unwrap_or(1),
        get_i64(p, &["periodSeconds"]).unwrap_or(10),
        get_i64(p, &["successThreshold"]).unwrap_or(1),
        get_i64(p, &["failureThreshold"]).unwrap_or(3)
    );
    let port_str = |v: Option<&Value>| match v {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    if let Some(e) = get(p, &["exec"]) {
        let cmd: Vec<&str> = get_array(e, &["command"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        return format!("exec [{}] {attrs}", cmd.join(" "));
    }
    if let Some(h) = get(p, &["httpGet"]) {
        let scheme = s(h, &["scheme"]).to_lowercase();
        let scheme = if scheme.is_empty() {
            "http".to_string()
        } else {
            scheme
        };
        let port = port_str(get(h, &["port"]));
        return format!(
            "http-get {scheme}://{}:{port}{} {attrs}",
            s(h, &["host"]),
            s(h, &["path"])
        );
    }
    if let Some(t) = get(p, &["tcpSocket"]) {
        return format!(
            "tcp-socket {}:{} {attrs}",
            s(t, &["host"]),
            port_str(get(t, &["port"]))
        );
    }
    format!("unknown {attrs}")
}

fn describe_containers(
    w: &mut W,
    label: &str,
    containers: &[Value],
    statuses: Option<&[Value]>,
    space: &str,
) {
    let none = if containers.is_empty() { " <none>" } else { "" };
    w.w(0, &format!("{space}{label}:{none}\n"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for c in containers {
        let name = s(c, &["name"]);
        let status = statuses.and_then(|st| st.iter().find(|x| s(x, &["name"]) == name));
        w.w(1, &format!("{name_indent}{name}:\n"));
        if let Some(st) = status {
            w.w(2, &format!("Container ID:\t{}\n", s(st, &["containerID"])));
        }
        w.w(2, &format!("Image:\t{}\n", s(c, &["image"])));
        if let Some(st) = status {
            w.w(2, &format!("Image ID:\t{}\n", s(st, &["imageID"])));
        }
        let ports = get_array(c, &["ports"]);
        let p = port_list(ports, false);
        if p.contains(',') {
            w.w(2, &format!("Ports:\t{p}\n"));
        } else {
            w.w(2, &format!("Port:\t{}\n", or_none(p)));
        }
        let hp = port_list(ports, true);
        if hp.contains(',') {
            w.w(2, &format!("Host Ports:\t{hp}\n"));
        } else {
            w.w(2, &format!("Host Port:\t{}\n", or_none(hp)));
        }
        for (field, title) in [("command", "Command"), ("args", "Args")] {
            let items = get_array(c, &[field]);
            if !items.is_empty() {
                w.w(2, &format!("{title}:\n"));
                for it in items {
                    for line in it.as_str().unwrap_or("").split('\n') {
                        w.w(3, &format!("{line}\n"));
                    }
                }
            }
        }
        if let Some(st) = status {
            describe_state(w, "State", get(st, &["state"]));
            if get(st, &["lastState", "terminated"]).is_some_and(Value::is_object) {
                describe_state(w, "Last State", get(st, &["lastState"]));
            }
            let ready = get_bool(st, &["ready"]).unwrap_or(false);
            w.w(
                2,
                &format!("Ready:\t{}\n", if ready { "True" } else { "False" }),
            );
            w.w(
                2,
                &format!(
                    "Restart Count:\t{}\n",
                    get_i64(st, &["restartCount"]).unwrap_or(0)
                ),
            );
        }
        for (kind, title) in [("limits", "Limits"), ("requests", "Requests")] {
            if let Some(m) = get(c, &["resources", kind]).and_then(Value::as_object) {
                if !m.is_empty() {
                    w.w(2, &format!("{title}:\n"));
                    for (rk, rv) in m {
                        let v = match rv {
                            Value::String(x) => x.clone(),
                            other => other.to_string(),
                        };
                        w.w(3, &format!("{rk}:\t{v}\n"));
                    }
                }
            }
        }
        for (field, title) in [
            ("livenessProbe", "Liveness"),
            ("readinessProbe", "Readiness"),
            ("startupProbe", "Startup"),
        ] {
            if let Some(p) = get(c, &[field]).filter(|v| v.is_object()) {
                w.w(2, &format!("{title}:\t{}\n", describe_probe(p)));
            }
        }
        let env = get_array(c, &["env"]);
        w.w(
            2,
            &format!(
                "Environment:{}\n",
                if env.is_empty() { "\t<none>" } else { "" }
            ),
        );
        for e in env {
            let n = s(e, &["name"]);
            if let Some(vf) = get(e, &["valueFrom"]) {
                if let Some(f) = get(vf, &["fieldRef"]) {
                    w.w(
                        3,
                        &format!(
                            "{n}:\t ({}:{})\n",
                            get_str(f, &["apiVersion"]).unwrap_or("v1"),
                            s(f, &["fieldPath"])
                        ),
                    );
                } else if let Some(r) = get(vf, &["secretKeyRef"]) {
                    let opt = get_bool(r, &["optional"]).unwrap_or(false);
                    w.w(
                        3,
                        &format!(
                            "{n}:\t<set to the key '{}' in secret '{}'>\tOptional: {opt}\n",
                            s(r, &["key"]),
                            s(r, &["name"])
                        ),
                    );
                } else if let Some(r) = get(vf, &["configMapKeyRef"]) {
                    let opt = get_bool(r, &["optional"]).unwrap_or(false);
                    w.w(
                        3,
                        &format!(
                            "{n}:\t<set to the key '{}' of config map '{}'>\tOptional: {opt}\n",
                            s(r, &["key"]),
                            s(r, &["name"])
                        ),
                    );
                }
                continue;
            }
            for (i, line) in s(e, &["value"]).split('\n').enumerate() {
                if i == 0 {
                    w.w(3, &format!("{n}:\t{line}\n"));
                } else {
                    w.w(3, &format!("\t{line}\n"));
                }
            }
        }
        let mut mounts: Vec<&Value> = get_array(c, &["volumeMounts"]).iter().collect();
        w.w(
            2,
            &format!(
                "Mounts:{}\n",
                if mounts.is_empty() { "\t<none>" } else { "" }
            ),
        );
        kubeplay_shell::sorting::sort_by(&mut mounts, |a, b| {
            s(a, &["mountPath"]).cmp(s(b, &["mountPath"]))
        });
        for m in mounts {
            let mut flags = vec![if get_bool(m, &["readOnly"]).unwrap_or(false) {
                "ro".to_string()
            } else {
                "rw".to_string()
            }];
            let sub = s(m, &["subPath"]);
            if !sub.is_empty() {
                flags.push(format!("path={sub:?}"));
            }
            w.w(
                3,
                &format!(
                    "{} from {} ({})\n",
                    s(m, &["mountPath"]),
                    s(m, &["name"]),
                    flags.join(",")
                ),
            );
        }
    }
}

fn describe_state(w: &mut W, name: &str, state: Option<&Value>) {
    let state = state.cloned().unwrap_or(Value::Null);
    if let Some(r) = get(&state, &["running"]).filter(|v| v.is_object()) {
        w.w(2, &format!("{name}:\tRunning\n"));
        w.w(
            3,
            &format!("Started:\t{}\n", rfc1123z(s(r, &["startedAt"]))),
        );
    } else if let Some(t) = get(&state, &["terminated"]).filter(|v| v.is_object()) {
        w.w(2, &format!("{name}:\tTerminated\n"));
        if !s(t, &["reason"]).is_empty() {
            w.w(3, &format!("Reason:\t{}\n", s(t, &["reason"])));
        }
        if !s(t, &["message"]).is_empty() {
            w.w(3, &format!("Message:\t{}\n", s(t, &["message"])));
        }
        w.w(
            3,
            &format!("Exit Code:\t{}\n", get_i64(t, &["exitCode"]).unwrap_or(0)),
        );
        if get_i64(t, &["signal"]).unwrap_or(0) > 0 {
            w.w(
                3,
                &format!("Signal:\t{}\n", get_i64(t, &["signal"]).unwrap_or(0)),
            );
        }
        w.w(
            3,
            &format!("Started:\t{}\n", rfc1123z(s(t, &["startedAt"]))),
        );
        w.w(
            3,
            &format!("Finished:\t{}\n", rfc1123z(s(t, &["finishedAt"]))),
        );
    } else {
        w.w(2, &format!("{name}:\tWaiting\n"));
        if let Some(wt) = get(&state, &["waiting"]) {
            if !s(wt, &["reason"]).is_empty() {
                w.w(3, &format!("Reason:\t{}\n", s(wt, &["reason"])));
            }
        }
    }
}

fn describe_volumes(w: &mut W, volumes: &[Value], space: &str) {
    if volumes.is_empty() {
        w.w(0, &format!("{space}Volumes:\t<none>\n"));
        return;
    }
    w.w(0, &format!("{space}Volumes:\n"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for v in volumes {
        w.w(1, &format!("{name_indent}{}:\n", s(v, &["name"])));
        if let Some(c) = get(v, &["persistentVolumeClaim"]) {
            w.w(2, &format!("Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t{}\n    ReadOnly:\t{}\n", s(c, &["claimName"]), get_bool(c, &["readOnly"]).unwrap_or(false)));
        } else if let Some(e) = get(v, &["emptyDir"]) {
            let limit = get(e, &["sizeLimit"])
                .and_then(Value::as_str)
                .unwrap_or("<unset>");
            w.w(2, &format!("Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{}\n    SizeLimit:\t{limit}\n", s(e, &["medium"])));
        } else if let Some(c) = get(v, &["configMap"]) {
            w.w(2, &format!("Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n", s(c, &["name"]), get_bool(c, &["optional"]).unwrap_or(false)));
        } else if let Some(c) = get(v, &["secret"]) {
            w.w(2, &format!("Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n", s(c, &["secretName"]), get_bool(c, &["optional"]).unwrap_or(false)));
        } else if let Some(h) = get(v, &["hostPath"]) {
            let t = get_str(h, &["type"]).unwrap_or("<none>");
            let t = if t.is_empty() { "\"\"" } else { t };
            w.w(2, &format!("Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{t}\n", s(h, &["path"])));
        } else if let Some(p) = get(v, &["projected"]) {
            w.w(
                2,
                "Type:\tProjected (a volume that contains injected data from multiple sources)\n",
            );
            for src in get_array(p, &["sources"]) {
                if let Some(t) = get(src, &["serviceAccountToken"]) {
                    w.w(
                        2,
                        &format!(
                            "TokenExpirationSeconds:\t{}\n",
                            get_i64(t, &["expirationSeconds"]).unwrap_or(3600)
                        ),
                    );
                } else if let Some(c) = get(src, &["configMap"]) {
                    w.w(
                        2,
                        &format!(
                            "ConfigMapName:\t{}\n    Optional:\t{}\n",
                            s(c, &["name"]),
                            get_bool(c, &["optional"]).unwrap_or(false)
                        ),
                    );
                } else if get(src, &["downwardAPI"]).is_some() {
                    w.w(2, "DownwardAPI:\ttrue\n");
                } else if let Some(c) = get(src, &["secret"]) {
                    w.w(
                        2,
                        &format!(
                            "SecretName:\t{}\n    Optional:\t{}\n",
                            s(c, &["name"]),
                            get_bool(c, &["optional"]).unwrap_or(false)
                        ),
                    );
                }
            }
        } else {
            w.w(1, "<unknown>\n");
        }
    }
}

fn pod_template(w: &mut W, t: &Value) {
    w.w(0, "Pod Template:\n");
    labels_multiline(
        w,
        "  ",
        "Labels",
        &object::string_map(t, &["metadata", "labels"]),
    );
    let ann = object::string_map(t, &["metadata", "annotations"]);
    if !ann.is_empty() {
        annotations_multiline_indented(w, "  ", "Annotations", &ann);
    }
    let sa = s(t, &["spec", "serviceAccountName"]);
    if !sa.is_empty() {
        w.w(1, &format!("Service Account:\t{sa}\n"));
    }
    let inits = get_array(t, &["spec", "initContainers"]);
    if !inits.is_empty() {
        describe_containers(w, "Init Containers", inits, None, "  ");
    }
    describe_containers(
        w,
        "Containers",
        get_array(t, &["spec", "containers"]),
        None,
        "  ",
    );
    describe_volumes(w, get_array(t, &["spec", "volumes"]), "  ");
    let pc = s(t, &["spec", "priorityClassName"]);
    if !pc.is_empty() {
        w.w(1, &format!("Priority Class Name:\t{pc}\n"));
    }
    labels_multiline(
        w,
        "",
        "  Node-Selectors",
        &object::string_map(t, &["spec", "nodeSelector"]),
    );
    tolerations_multiline(
        w,
        "",
        "  Tolerations",
        get_array(t, &["spec", "tolerations"]),
    );
}

/// `DescribePodTemplate` on its own (`rollout history --revision=N`).
pub fn pod_template_text(t: &Value) -> String {
    let mut w = W::new();
    pod_template(&mut w, t);
    w.finish()
}

/// The pod template as `kubectl rollout history --revision=N` prints it: `DescribePodTemplate`
/// into a plain buffer, so its tabs are not aligned.
pub fn pod_template_text_unaligned(t: &Value) -> String {
    let mut w = W::new();
    w.raw = true;
    pod_template(&mut w, t);
    w.finish()
}

fn qos_class(pod: &Value) -> String {
    if let Some(q) = get_str(pod, &["status", "qosClass"]) {
        return q.to_string();
    }
    let cs = get_array(pod, &["spec", "containers"]);
    let res = |c: &Value, k: &str| {
        get(c, &["resources", k])
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    if cs
        .iter()
        .all(|c| res(c, "requests").is_empty() && res(c, "limits").is_empty())
    {
        return "BestEffort".into();
    }
    let guaranteed = cs.iter().all(|c| {
        let l = res(c, "limits");
        let r = res(c, "requests");
        ["cpu", "memory"]
            .iter()
            .all(|k| l.contains_key(*k) && (r.get(*k).is_none() || r.get(*k) == l.get(*k)))
    });
    if guaranteed {
        "Guaranteed".into()
    } else {
        "Burstable".into()
    }
}

/// The first lines of a namespaced object's description: `Name:` and `Namespace:`.
fn header(o: &Value) -> W {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", object::name(o)));
    w.w(0, &format!("Namespace:\t{}\n", object::namespace(o)));
    w
}

/// `header`, then `Labels:` and `Annotations:` (the describers that print them right away).
fn header_with_metadata(o: &Value) -> W {
    let mut w = header(o);
    labels_multiline(&mut w, "", "Labels", &object::labels(o));
    annotations_multiline(&mut w, "Annotations", &object::annotations(o));
    w
}

fn describe_pod(k: &Kubectl<'_>, pod: &Value, now: Time) -> String {
    let mut w = header(pod);
    if let Some(p) = get_i64(pod, &["spec", "priority"]) {
        w.w(0, &format!("Priority:\t{p}\n"));
    }
    let pcn = s(pod, &["spec", "priorityClassName"]);
    if !pcn.is_empty() {
        w.w(0, &format!("Priority Class Name:\t{pcn}\n"));
    }
    let sa = s(pod, &["spec", "serviceAccountName"]);
    if !sa.is_empty() {
        w.w(0, &format!("Service Account:\t{sa}\n"));
    }
    let node = s(pod, &["spec", "nodeName"]);
    if node.is_empty() {
        w.w(0, "Node:\t<none>\n");
    } else {
        w.w(
            0,
            &format!("Node:\t{node}/{}\n", s(pod, &["status", "hostIP"])),
        );
    }
    if let Some(st) = get_str(pod, &["status", "startTime"]) {
        w.w(0, &format!("Start Time:\t{}\n", rfc1123z(st)));
    }
    labels_multiline(&mut w, "", "Labels", &object::labels(pod));
    annotations_multiline(&mut w, "Annotations", &object::annotations(pod));
    let phase = s(pod, &["status", "phase"]);
    match object::deletion_timestamp(pod) {
        Some(dt) if phase != "Failed" && phase != "Succeeded" => {
            w.w(
                0,
                &format!("Status:\tTerminating (lasts {})\n", age(Some(dt), now)),
            );
            w.w(
                0,
                &format!(
                    "Termination Grace Period:\t{}s\n",
                    get_i64(pod, &["metadata", "deletionGracePeriodSeconds"]).unwrap_or(0)
                ),
            );
        }
        _ => w.w(0, &format!("Status:\t{phase}\n")),
    }
    for (f, t) in [("reason", "Reason"), ("message", "Message")] {
        let v = s(pod, &["status", f]);
        if !v.is_empty() {
            w.w(0, &format!("{t}:\t{v}\n"));
        }
    }
    w.w(0, &format!("IP:\t{}\n", s(pod, &["status", "podIP"])));
    let ips = get_array(pod, &["status", "podIPs"]);
    if ips.is_empty() {
        w.w(0, "IPs:\t<none>\n");
    } else {
        w.w(0, "IPs:\n");
        for ip in ips {
            w.w(1, &format!("IP:\t{}\n", s(ip, &["ip"])));
        }
    }
    if let Some(r) = object::controller_ref(pod) {
        w.w(0, &format!("Controlled By:\t{}/{}\n", r.kind, r.name));
    }
    let nn = s(pod, &["status", "nominatedNodeName"]);
    if !nn.is_empty() {
        w.w(0, &format!("NominatedNodeName:\t{nn}\n"));
    }
    let inits = get_array(pod, &["spec", "initContainers"]);
    if !inits.is_empty() {
        describe_containers(
            &mut w,
            "Init Containers",
            inits,
            Some(get_array(pod, &["status", "initContainerStatuses"])),
            "",
        );
    }
    describe_containers(
        &mut w,
        "Containers",
        get_array(pod, &["spec", "containers"]),
        Some(get_array(pod, &["status", "containerStatuses"])),
        "",
    );
    let gates = get_array(pod, &["spec", "readinessGates"]);
    let conds = get_array(pod, &["status", "conditions"]);
    if !gates.is_empty() {
        w.w(0, "Readiness Gates:\n  Type\tStatus\n");
        for g in gates {
            let t = s(g, &["conditionType"]);
            let st = conds
                .iter()
                .find(|c| s(c, &["type"]) == t)
                .map(|c| s(c, &["status"]))
                .unwrap_or("<none>");
            w.w(1, &format!("{t} \t{st} \n"));
        }
    }
    if !conds.is_empty() {
        w.w(0, "Conditions:\n  Type\tStatus\n");
        for c in conds {
            w.w(
                1,
                &format!("{} \t{} \n", s(c, &["type"]), s(c, &["status"])),
            );
        }
    }
    describe_volumes(&mut w, get_array(pod, &["spec", "volumes"]), "");
    w.w(0, &format!("QoS Class:\t{}\n", qos_class(pod)));
    labels_multiline(
        &mut w,
        "",
        "Node-Selectors",
        &object::string_map(pod, &["spec", "nodeSelector"]),
    );
    tolerations_multiline(
        &mut w,
        "",
        "Tolerations",
        get_array(pod, &["spec", "tolerations"]),
    );
    describe_events(&mut w, &events_for(k, pod), now);
    w.finish()
}

fn describe_statefulset(k: &Kubectl<'_>, sts: &Value, now: Time) -> String {
    let mut w = header(sts);
    w.w(
        0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z(s(sts, &["metadata", "creationTimestamp"]))
        ),
    );
    w.w(
        0,
        &format!(
            "Selector:\t{}\n",
            format_label_selector(get(sts, &["spec", "selector"]))
        ),
    );
    labels_multiline(&mut w, "", "Labels", &object::labels(sts));
    annotations_multiline(&mut w, "Annotations", &object::annotations(sts));
    // kubectl 1.33 shows neither Service Name, Pod Management Policy nor the PVC retention
    // policy here (spec S6.9 lists a later kubectl's layout; the 1.33 binary is the oracle).
    w.w(
        0,
        &format!(
            "Replicas:\t{} desired | {} total\n",
            get_i64(sts, &["spec", "replicas"]).unwrap_or(1),
            get_i64(sts, &["status", "replicas"]).unwrap_or(0)
        ),
    );
    w.w(
        0,
        &format!(
            "Update Strategy:\t{}\n",
            s(sts, &["spec", "updateStrategy", "type"])
        ),
    );
    if let Some(ru) =
        get(sts, &["spec", "updateStrategy", "rollingUpdate"]).filter(|v| v.is_object())
    {
        if let Some(p) = get_i64(ru, &["partition"]) {
            w.w(1, &format!("Partition:\t{p}\n"));
            if let Some(mu) = get(ru, &["maxUnavailable"]).filter(|v| !v.is_null()) {
                let t = match mu {
                    Value::String(x) => x.clone(),
                    other => other.to_string(),
                };
                w.w(1, &format!("MaxUnavailable:\t{t}\n"));
            }
        }
    }
    w.w(
        0,
        &format!("Pods Status:\t{}\n", pod_status_for_controller(k, sts)),
    );
    pod_template(
        &mut w,
        get(sts, &["spec", "template"]).unwrap_or(&Value::Null),
    );
    let vcts = get_array(sts, &["spec", "volumeClaimTemplates"]);
    if vcts.is_empty() {
        w.w(0, "Volume Claims:\t<none>\n");
    } else {
        w.w(0, "Volume Claims:\n");
        for pvc in vcts {
            w.w(1, &format!("Name:\t{}\n", object::name(pvc)));
            w.w(1, &format!("StorageClass:\t{}\n", storage_class_of(pvc)));
            labels_multiline(&mut w, "  ", "Labels", &object::labels(pvc));
            labels_multiline(&mut w, "  ", "Annotations", &object::annotations(pvc));
            match get(pvc, &["spec", "resources", "requests", "storage"]) {
                Some(Value::String(c)) => w.w(1, &format!("Capacity:\t{c}\n")),
                Some(other) => w.w(1, &format!("Capacity:\t{other}\n")),
                None => w.w(1, "Capacity:\t<default>\n"),
            }
            let modes: Vec<&str> = get_array(pvc, &["spec", "accessModes"])
                .iter()
                .filter_map(Value::as_str)
                .collect();
            w.w(1, &format!("Access Modes:\t[{}]\n", modes.join(" ")));
        }
    }
    describe_events(&mut w, &events_for(k, sts), now);
    w.finish()
}

/// `getPodStatusForController`: pod phases of the pods `owner` controls among its selector's.
fn pod_status_for_controller(k: &Kubectl<'_>, owner: &Value) -> String {
    let (mut running, mut waiting, mut succeeded, mut failed) = (0, 0, 0, 0);
    if let Ok(sel) =
        Selector::from_label_selector(get(owner, &["spec", "selector"]).unwrap_or(&Value::Null))
    {
        for p in k
            .cluster
            .api
            .list(Kind::Pod, Some(object::namespace(owner)), &sel)
        {
            if object::controller_ref(&p).map(|r| r.uid) != Some(object::uid(owner).to_string()) {
                continue;
            }
            match s(&p, &["status", "phase"]) {
                "Running" => running += 1,
                "Pending" => waiting += 1,
                "Succeeded" => succeeded += 1,
                "Failed" => failed += 1,
                _ => {}
            }
        }
    }
    format!("{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed")
}

fn int_or_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "0".into(),
    }
}

fn describe_conditions(w: &mut W, o: &Value) {
    let conds = get_array(o, &["status", "conditions"]);
    if conds.is_empty() {
        return;
    }
    w.w(0, "Conditions:\n  Type\tStatus\tReason\n");
    w.w(1, "----\t------\t------\n");
    for c in conds {
        w.w(
            1,
            &format!(
                "{} \t{}\t{}\n",
                s(c, &["type"]),
                s(c, &["status"]),
                s(c, &["reason"])
            ),
        );
    }
}

/// The template with the pod-template-hash label removed, for finding a deployment's new set.
fn template_ignoring_hash(o: &Value) -> Value {
    let mut t = get(o, &["spec", "template"])
        .cloned()
        .unwrap_or(Value::Null);
    object::remove(&mut t, &["metadata", "labels", "pod-template-hash"]);
    if get(&t, &["metadata", "labels"]).is_some_and(|l| l.as_object().is_some_and(|m| m.is_empty()))
    {
        object::remove(&mut t, &["metadata", "labels"]);
    }
    t
}

/// kubectl's `GetAllReplicaSets`: (all old sets, the new set) a deployment controls.
pub fn deployment_replica_sets(k: &Kubectl<'_>, d: &Value) -> (Vec<Value>, Option<Value>) {
    let uid = object::uid(d);
    let mut owned: Vec<Value> = k
        .cluster
        .api
        .list(
            Kind::ReplicaSet,
            Some(object::namespace(d)),
            &Selector::everything(),
        )
        .into_iter()
        .filter(|r| object::controller_ref(r).is_some_and(|c| c.uid == uid))
        .map(|r| (*r).clone())
        .collect();
    let mut by_age = owned.clone();
    kubeplay_shell::sorting::sort_by(&mut by_age, |a, b| {
        s(a, &["metadata", "creationTimestamp"]).cmp(s(b, &["metadata", "creationTimestamp"]))
    });
    let want = template_ignoring_hash(d);
    let new = by_age
        .into_iter()
        .find(|r| template_ignoring_hash(r) == want);
    if let Some(n) = &new {
        owned.retain(|r| object::uid(r) != object::uid(n));
    }
    (owned, new)
}

fn replica_sets_by_labels(rss: &[Value]) -> String {
    let parts: Vec<String> = rss
        .iter()
        .map(|r| {
            format!(
                "{} ({}/{} replicas created)",
                object::name(r),
                get_i64(r, &["status", "replicas"]).unwrap_or(0),
                get_i64(r, &["spec", "replicas"]).unwrap_or(1)
            )
        })
        .collect();
    if parts.is_empty() {
        "<none>".into()
    } else {
        parts.join(", ")
    }
}

fn describe_deployment(k: &Kubectl<'_>, d: &Value, now: Time) -> String {
    let mut w = header(d);
    w.w(
        0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z(s(d, &["metadata", "creationTimestamp"]))
        ),
    );
    labels_multiline(&mut w, "", "Labels", &object::labels(d));
    annotations_multiline(&mut w, "Annotations", &object::annotations(d));
    w.w(
        0,
        &format!(
            "Selector:\t{}\n",
            format_label_selector(get(d, &["spec", "selector"]))
        ),
    );
    let st = |f: &str| get_i64(d, &["status", f]).unwrap_or(0);
    w.w(
        0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
            get_i64(d, &["spec", "replicas"]).unwrap_or(1),
            st("updatedReplicas"),
            st("replicas"),
            st("availableReplicas"),
            st("unavailableReplicas")
        ),
    );
    w.w(
        0,
        &format!("StrategyType:\t{}\n", s(d, &["spec", "strategy", "type"])),
    );
    w.w(
        0,
        &format!(
            "MinReadySeconds:\t{}\n",
            get_i64(d, &["spec", "minReadySeconds"]).unwrap_or(0)
        ),
    );
    if let Some(ru) = get(d, &["spec", "strategy", "rollingUpdate"]).filter(|v| v.is_object()) {
        w.w(
            0,
            &format!(
                "RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
                int_or_string(ru.get("maxUnavailable")),
                int_or_string(ru.get("maxSurge"))
            ),
        );
    }
    pod_template(
        &mut w,
        get(d, &["spec", "template"]).unwrap_or(&Value::Null),
    );
    describe_conditions(&mut w, d);
    let (olds, new) = deployment_replica_sets(k, d);
    if !olds.is_empty() || new.is_some() {
        w.w(
            0,
            &format!("OldReplicaSets:\t{}\n", replica_sets_by_labels(&olds)),
        );
        let new: Vec<Value> = new.into_iter().collect();
        w.w(
            0,
            &format!("NewReplicaSet:\t{}\n", replica_sets_by_labels(&new)),
        );
    }
    describe_events(&mut w, &events_for(k, d), now);
    w.finish()
}

fn describe_replicaset(k: &Kubectl<'_>, rs: &Value, now: Time) -> String {
    let mut w = header(rs);
    w.w(
        0,
        &format!(
            "Selector:\t{}\n",
            format_label_selector(get(rs, &["spec", "selector"]))
        ),
    );
    labels_multiline(&mut w, "", "Labels", &object::labels(rs));
    annotations_multiline(&mut w, "Annotations", &object::annotations(rs));
    if let Some(r) = object::controller_ref(rs) {
        w.w(0, &format!("Controlled By:\t{}/{}\n", r.kind, r.name));
    }
    w.w(
        0,
        &format!(
            "Replicas:\t{} current / {} desired\n",
            get_i64(rs, &["status", "replicas"]).unwrap_or(0),
            get_i64(rs, &["spec", "replicas"]).unwrap_or(1)
        ),
    );
    w.w(
        0,
        &format!("Pods Status:\t{}\n", pod_status_for_controller(k, rs)),
    );
    pod_template(
        &mut w,
        get(rs, &["spec", "template"]).unwrap_or(&Value::Null),
    );
    describe_conditions(&mut w, rs);
    describe_events(&mut w, &events_for(k, rs), now);
    w.finish()
}

fn describe_service(k: &Kubectl<'_>, svc: &Value, now: Time) -> String {
    let mut w = header_with_metadata(svc);
    w.w(
        0,
        &format!(
            "Selector:\t{}\n",
            format_labels(&object::string_map(svc, &["spec", "selector"]))
        ),
    );
    w.w(0, &format!("Type:\t{}\n", s(svc, &["spec", "type"])));
    if let Some(p) = get_str(svc, &["spec", "ipFamilyPolicy"]) {
        w.w(0, &format!("IP Family Policy:\t{p}\n"));
    }
    let fams: Vec<&str> = get_array(svc, &["spec", "ipFamilies"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    w.w(
        0,
        &format!(
            "IP Families:\t{}\n",
            if fams.is_empty() {
                "<none>".to_string()
            } else {
                fams.join(",")
            }
        ),
    );
    w.w(0, &format!("IP:\t{}\n", s(svc, &["spec", "clusterIP"])));
    let ips: Vec<&str> = get_array(svc, &["spec", "clusterIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    w.w(
        0,
        &format!(
            "IPs:\t{}\n",
            if ips.is_empty() {
                "<none>".to_string()
            } else {
                ips.join(",")
            }
        ),
    );
    let ext: Vec<&str> = get_array(svc, &["spec", "externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !ext.is_empty() {
        w.w(0, &format!("External IPs:\t{}\n", ext.join(",")));
    }
    let en = s(svc, &["spec", "externalName"]);
    if !en.is_empty() {
        w.w(0, &format!("External Name:\t{en}\n"));
    }
    let slices: Vec<Arc<Value>> = k
        .cluster
        .api
        .list(
            Kind::EndpointSlice,
            Some(object::namespace(svc)),
            &Selector::default(),
        )
        .into_iter()
        .filter(|e| object::label(e, "kubernetes.io/service-name") == Some(object::name(svc)))
        .collect();
    for sp in get_array(svc, &["spec", "ports"]) {
        let name = get_str(sp, &["name"])
            .filter(|n| !n.is_empty())
            .unwrap_or("<unset>");
        let proto = get_str(sp, &["protocol"]).unwrap_or("TCP");
        let port = get_i64(sp, &["port"]).unwrap_or(0);
        w.w(0, &format!("Port:\t{name}\t{port}/{proto}\n"));
        let tp = match get(sp, &["targetPort"]) {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(x)) => x.clone(),
            _ => port.to_string(),
        };
        w.w(0, &format!("TargetPort:\t{tp}/{proto}\n"));
        if let Some(np) = get_i64(sp, &["nodePort"]).filter(|n| *n != 0) {
            w.w(0, &format!("NodePort:\t{name}\t{np}/{proto}\n"));
        }
        w.w(
            0,
            &format!(
                "Endpoints:\t{}\n",
                format_endpoint_slices(&slices, get_str(sp, &["name"]).unwrap_or(""))
            ),
        );
    }
    w.w(
        0,
        &format!(
            "Session Affinity:\t{}\n",
            s(svc, &["spec", "sessionAffinity"])
        ),
    );
    let etp = s(svc, &["spec", "externalTrafficPolicy"]);
    if !etp.is_empty() {
        w.w(0, &format!("External Traffic Policy:\t{etp}\n"));
    }
    if let Some(itp) = get_str(svc, &["spec", "internalTrafficPolicy"]) {
        w.w(0, &format!("Internal Traffic Policy:\t{itp}\n"));
    }
    describe_events(&mut w, &events_for(k, svc), now);
    w.finish()
}

/// `formatEndpointSlices` for one service port name: up to three ready `ip:port`.
fn format_endpoint_slices(slices: &[Arc<Value>], port_name: &str) -> String {
    if slices.is_empty() {
        return "<none>".into();
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    for sl in slices {
        let ports = get_array(sl, &["ports"]);
        let eps = get_array(sl, &["endpoints"]);
        let ready = |e: &Value| get_bool(e, &["conditions", "ready"]).unwrap_or(true);
        let first_addr = |e: &Value| {
            get_array(e, &["addresses"])
                .first()
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        if ports.is_empty() {
            for e in eps {
                if list.len() == MAX {
                    more = true;
                }
                if !ready(e) {
                    continue;
                }
                if !more {
                    list.push(first_addr(e));
                }
                count += 1;
            }
        } else {
            for p in ports {
                if get_str(p, &["name"]).unwrap_or("") != port_name {
                    continue;
                }
                for e in eps {
                    if list.len() == MAX {
                        more = true;
                    }
                    if !ready(e) {
                        continue;
                    }
                    if !more {
                        list.push(format!(
                            "{}:{}",
                            first_addr(e),
                            get_i64(p, &["port"]).unwrap_or(0)
                        ));
                    }
                    count += 1;
                }
            }
        }
    }
    let ret = list.join(",");
    if more {
        format!("{ret} + {} more...", count - MAX)
    } else {
        ret
    }
}

fn finalizers(o: &Value) -> String {
    format!("[{}]", object::finalizers(o).join(" "))
}

fn describe_pvc(k: &Kubectl<'_>, pvc: &Value, now: Time) -> String {
    let mut w = header(pvc);
    w.w(0, &format!("StorageClass:\t{}\n", storage_class_of(pvc)));
    match object::deletion_timestamp(pvc) {
        Some(dt) => w.w(
            0,
            &format!("Status:\tTerminating (lasts {})\n", age(Some(dt), now)),
        ),
        None => w.w(0, &format!("Status:\t{}\n", s(pvc, &["status", "phase"]))),
    }
    let volume = s(pvc, &["spec", "volumeName"]);
    w.w(0, &format!("Volume:\t{volume}\n"));
    labels_multiline(&mut w, "", "Labels", &object::labels(pvc));
    annotations_multiline(&mut w, "Annotations", &object::annotations(pvc));
    w.w(0, &format!("Finalizers:\t{}\n", finalizers(pvc)));
    let (cap, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            match get(pvc, &["status", "capacity", "storage"]) {
                Some(Value::String(c)) => c.clone(),
                Some(other) => other.to_string(),
                None => "0".into(),
            },
            access_modes(get_array(pvc, &["status", "accessModes"])),
        )
    };
    w.w(0, &format!("Capacity:\t{cap}\n"));
    w.w(0, &format!("Access Modes:\t{modes}\n"));
    if let Some(vm) = get_str(pvc, &["spec", "volumeMode"]) {
        w.w(0, &format!("VolumeMode:\t{vm}\n"));
    }
    let mut users: Vec<String> = k
        .cluster
        .api
        .list(
            Kind::Pod,
            Some(object::namespace(pvc)),
            &Selector::default(),
        )
        .iter()
        .filter(|p| {
            get_array(p, &["spec", "volumes"]).iter().any(|v| {
                get_str(v, &["persistentVolumeClaim", "claimName"]) == Some(object::name(pvc))
            })
        })
        .map(|p| object::name(p).to_string())
        .collect();
    kubeplay_shell::sorting::sort(&mut users);
    w.w(0, "Used By:\t");
    if users.is_empty() {
        w.w(0, "<none>\n");
    }
    for (i, u) in users.iter().enumerate() {
        if i != 0 {
            w.w(0, "\t");
        }
        w.w(0, &format!("{u}\n"));
    }
    describe_events(&mut w, &events_for(k, pvc), now);
    w.finish()
}

fn describe_pv(k: &Kubectl<'_>, pv: &Value, now: Time) -> String {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", object::name(pv)));
    labels_multiline(&mut w, "", "Labels", &object::labels(pv));
    annotations_multiline(&mut w, "Annotations", &object::annotations(pv));
    w.w(0, &format!("Finalizers:\t{}\n", finalizers(pv)));
    w.w(0, &format!("StorageClass:\t{}\n", storage_class_of(pv)));
    match object::deletion_timestamp(pv) {
        Some(dt) => w.w(
            0,
            &format!("Status:\tTerminating (lasts {})\n", age(Some(dt), now)),
        ),
        None => w.w(0, &format!("Status:\t{}\n", s(pv, &["status", "phase"]))),
    }
    match get(pv, &["spec", "claimRef"]).filter(|v| v.is_object()) {
        Some(c) => w.w(
            0,
            &format!("Claim:\t{}/{}\n", s(c, &["namespace"]), s(c, &["name"])),
        ),
        None => w.w(0, "Claim:\t\n"),
    }
    w.w(
        0,
        &format!(
            "Reclaim Policy:\t{}\n",
            s(pv, &["spec", "persistentVolumeReclaimPolicy"])
        ),
    );
    w.w(
        0,
        &format!(
            "Access Modes:\t{}\n",
            access_modes(get_array(pv, &["spec", "accessModes"]))
        ),
    );
    if let Some(vm) = get_str(pv, &["spec", "volumeMode"]) {
        w.w(0, &format!("VolumeMode:\t{vm}\n"));
    }
    let cap = match get(pv, &["spec", "capacity", "storage"]) {
        Some(Value::String(c)) => c.clone(),
        Some(other) => other.to_string(),
        None => "0".into(),
    };
    w.w(0, &format!("Capacity:\t{cap}\n"));
    w.w(0, "Node Affinity:\t<none>\n");
    w.w(0, &format!("Message:\t{}\n", s(pv, &["status", "message"])));
    w.w(0, "Source:\n");
    if let Some(h) = get(pv, &["spec", "hostPath"]) {
        let t = get_str(h, &["type"]).unwrap_or("<none>");
        let t = if t.is_empty() { "\"\"" } else { t };
        w.w(2, &format!("Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{t}\n", s(h, &["path"])));
    }
    describe_events(&mut w, &events_for(k, pv), now);
    w.finish()
}

fn describe_node(k: &Kubectl<'_>, node: &Value, now: Time) -> String {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", object::name(node)));
    let mut roles: Vec<String> = object::labels(node)
        .iter()
        .filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
            Some(r) if !r.is_empty() => Some(r.to_string()),
            _ if k == "kubernetes.io/role" && !v.is_empty() => Some(v.clone()),
            _ => None,
        })
        .collect();
    kubeplay_shell::sorting::sort(&mut roles);
    roles.dedup();
    w.w(
        0,
        &format!(
            "Roles:\t{}\n",
            if roles.is_empty() {
                "<none>".to_string()
            } else {
                roles.join(",")
            }
        ),
    );
    labels_multiline(&mut w, "", "Labels", &object::labels(node));
    annotations_multiline(&mut w, "Annotations", &object::annotations(node));
    w.w(
        0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z(s(node, &["metadata", "creationTimestamp"]))
        ),
    );
    let taints = get_array(node, &["spec", "taints"]);
    w.w(0, "Taints:\t");
    if taints.is_empty() {
        w.w(0, "<none>\n");
    }
    for (i, t) in taints.iter().enumerate() {
        if i != 0 {
            w.w(0, "\t");
        }
        let v = s(t, &["value"]);
        let kv = if v.is_empty() {
            s(t, &["key"]).to_string()
        } else {
            format!("{}={v}", s(t, &["key"]))
        };
        w.w(0, &format!("{kv}:{}\n", s(t, &["effect"])));
    }
    w.w(
        0,
        &format!(
            "Unschedulable:\t{}\n",
            get_bool(node, &["spec", "unschedulable"]).unwrap_or(false)
        ),
    );
    let conds = get_array(node, &["status", "conditions"]);
    if !conds.is_empty() {
        w.w(
            0,
            "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n",
        );
        w.w(
            1,
            "----\t------\t-----------------\t------------------\t------\t-------\n",
        );
        for c in conds {
            w.w(
                1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}\n",
                    s(c, &["type"]),
                    s(c, &["status"]),
                    rfc1123z(s(c, &["lastHeartbeatTime"])),
                    rfc1123z(s(c, &["lastTransitionTime"])),
                    s(c, &["reason"]),
                    s(c, &["message"])
                ),
            );
        }
    }
    w.w(0, "Addresses:\n");
    for a in get_array(node, &["status", "addresses"]) {
        w.w(
            1,
            &format!("{}:\t{}\n", s(a, &["type"]), s(a, &["address"])),
        );
    }
    for (field, title) in [("capacity", "Capacity"), ("allocatable", "Allocatable")] {
        if let Some(m) = get(node, &["status", field])
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty())
        {
            w.w(0, &format!("{title}:\n"));
            for (rk, rv) in m {
                w.w(0, &format!("  {rk}:\t{}\n", rv.as_str().unwrap_or("")));
            }
        }
    }
    w.w(0, "System Info:\n");
    for (f, t) in [
        ("machineID", "Machine ID"),
        ("systemUUID", "System UUID"),
        ("bootID", "Boot ID"),
        ("kernelVersion", "Kernel Version"),
        ("osImage", "OS Image"),
        ("operatingSystem", "Operating System"),
        ("architecture", "Architecture"),
        ("containerRuntimeVersion", "Container Runtime Version"),
        ("kubeletVersion", "Kubelet Version"),
        ("kubeProxyVersion", "Kube-Proxy Version"),
    ] {
        w.w(
            0,
            &format!("  {t}:\t{}\n", s(node, &["status", "nodeInfo", f])),
        );
    }
    let cidr = s(node, &["spec", "podCIDR"]);
    if !cidr.is_empty() {
        w.w(0, &format!("PodCIDR:\t{cidr}\n"));
    }
    let cidrs: Vec<&str> = get_array(node, &["spec", "podCIDRs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !cidrs.is_empty() {
        w.w(0, &format!("PodCIDRs:\t{}\n", cidrs.join(",")));
    }
    describe_events(&mut w, &events_for(k, node), now);
    w.finish()
}

/// `describePodDisruptionBudgetV1`.
fn describe_pdb(k: &Kubectl<'_>, pdb: &Value, now: Time) -> String {
    let mut w = header(pdb);
    let int_or_string = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if let Some(min) = get(pdb, &["spec", "minAvailable"]).filter(|v| !v.is_null()) {
        w.w(0, &format!("Min available:\t{}\n", int_or_string(min)));
    } else if let Some(max) = get(pdb, &["spec", "maxUnavailable"]).filter(|v| !v.is_null()) {
        w.w(0, &format!("Max unavailable:\t{}\n", int_or_string(max)));
    }
    match get(pdb, &["spec", "selector"]).filter(|v| !v.is_null()) {
        Some(sel) => w.w(
            0,
            &format!(
                "Selector:\t{}\n",
                crate::printers::table::format_label_selector(Some(sel))
            ),
        ),
        None => w.w(0, "Selector:\t<unset>\n"),
    }
    let st = |f: &str| {
        get(pdb, &["status", f])
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    w.w(0, "Status:\n");
    w.w(
        2,
        &format!("Allowed disruptions:\t{}\n", st("disruptionsAllowed")),
    );
    w.w(2, &format!("Current:\t{}\n", st("currentHealthy")));
    w.w(2, &format!("Desired:\t{}\n", st("desiredHealthy")));
    w.w(2, &format!("Total:\t{}\n", st("expectedPods")));
    describe_events(&mut w, &events_for(k, pdb), now);
    w.finish()
}

/// `ConfigMapDescriber` (keys in order: kubectl walks a Go map, whose order varies).
fn describe_configmap(k: &Kubectl<'_>, cm: &Value, now: Time) -> String {
    let mut w = header_with_metadata(cm);
    w.w(0, "\nData\n====\n");
    for (key, v) in object::string_map(cm, &["data"]) {
        w.w(0, &format!("{key}:\n----\n{v}\n\n"));
    }
    w.w(0, "\nBinaryData\n====\n");
    if let Some(m) = get(cm, &["binaryData"]).and_then(Value::as_object) {
        for (key, v) in m {
            w.w(0, &format!("{key}: {} bytes\n", decoded_len(v)));
        }
    }
    w.w(0, "\n");
    describe_events(&mut w, &events_for(k, cm), now);
    w.finish()
}

/// The size of a base64 value once decoded: three bytes for every four characters, less
/// the padding.
fn decoded_len(v: &Value) -> usize {
    let text = v.as_str().unwrap_or("");
    let pad = text.bytes().rev().take_while(|c| *c == b'=').count();
    (text.len() / 4 * 3).saturating_sub(pad)
}

/// `describeSecret`: the type, and each key's size, never its value.
fn describe_secret(secret: &Value) -> String {
    let mut w = header_with_metadata(secret);
    w.w(0, &format!("\nType:\t{}\n", s(secret, &["type"])));
    w.w(0, "\nData\n====\n");
    if let Some(m) = get(secret, &["data"]).and_then(Value::as_object) {
        for (key, v) in m {
            w.w(0, &format!("{key}:\t{} bytes\n", decoded_len(v)));
        }
    }
    w.finish()
}

/// `describeNamespace`, with the (always empty) quota and limit-range lists.
fn describe_namespace(ns: &Value) -> String {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", object::name(ns)));
    labels_multiline(&mut w, "", "Labels", &object::labels(ns));
    annotations_multiline(&mut w, "Annotations", &object::annotations(ns));
    w.w(0, &format!("Status:\t{}\n", s(ns, &["status", "phase"])));
    w.w(0, "\nNo resource quota.\n");
    w.w(0, "\nNo LimitRange resource.\n");
    w.finish()
}

/// `describeStorageClass`.
fn describe_storageclass(k: &Kubectl<'_>, sc: &Value, now: Time) -> String {
    let mut w = W::new();
    let annotations = object::annotations(sc);
    let default = matches!(
        annotations
            .get("storageclass.kubernetes.io/is-default-class")
            .or_else(|| annotations.get("storageclass.beta.kubernetes.io/is-default-class"))
            .map(String::as_str),
        Some("true")
    );
    w.w(0, &format!("Name:\t{}\n", object::name(sc)));
    w.w(
        0,
        &format!("IsDefaultClass:\t{}\n", if default { "Yes" } else { "No" }),
    );
    w.w(
        0,
        &format!(
            "Annotations:\t{}\n",
            crate::printers::table::format_labels(&annotations)
        ),
    );
    w.w(0, &format!("Provisioner:\t{}\n", s(sc, &["provisioner"])));
    w.w(
        0,
        &format!(
            "Parameters:\t{}\n",
            crate::printers::table::format_labels(&object::string_map(sc, &["parameters"]))
        ),
    );
    let expansion = match get(sc, &["allowVolumeExpansion"]).and_then(Value::as_bool) {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    };
    w.w(0, &format!("AllowVolumeExpansion:\t{expansion}\n"));
    let options = get_array(sc, &["mountOptions"]);
    if options.is_empty() {
        w.w(0, "MountOptions:\t<none>\n");
    } else {
        w.w(0, "MountOptions:\n");
        for o in options {
            w.w(1, &format!("{}\n", o.as_str().unwrap_or("")));
        }
    }
    if let Some(r) = get_str(sc, &["reclaimPolicy"]) {
        w.w(0, &format!("ReclaimPolicy:\t{r}\n"));
    }
    if let Some(m) = get_str(sc, &["volumeBindingMode"]) {
        w.w(0, &format!("VolumeBindingMode:\t{m}\n"));
    }
    describe_events(&mut w, &events_for(k, sc), now);
    w.finish()
}

/// `describeEndpoints`: each subset's ready and not-ready addresses and its ports.
fn describe_endpoints(k: &Kubectl<'_>, ep: &Value, now: Time) -> String {
    let mut w = header_with_metadata(ep);
    w.w(0, "Subsets:\n");
    let ips = |subset: &Value, field: &str| {
        let list: Vec<&str> = get_array(subset, &[field])
            .iter()
            .filter_map(|a| get_str(a, &["ip"]))
            .collect();
        if list.is_empty() {
            "<none>".to_string()
        } else {
            list.join(",")
        }
    };
    for subset in get_array(ep, &["subsets"]) {
        w.w(1, &format!("Addresses:\t{}\n", ips(subset, "addresses")));
        w.w(
            1,
            &format!("NotReadyAddresses:\t{}\n", ips(subset, "notReadyAddresses")),
        );
        let ports = get_array(subset, &["ports"]);
        if !ports.is_empty() {
            w.w(1, "Ports:\n");
            w.w(2, "Name\tPort\tProtocol\n");
            w.w(2, "----\t----\t--------\n");
            for p in ports {
                let name = get_str(p, &["name"])
                    .filter(|n| !n.is_empty())
                    .unwrap_or("<unset>");
                w.w(
                    2,
                    &format!(
                        "{name}\t{}\t{}\n",
                        get_i64(p, &["port"]).unwrap_or(0),
                        s(p, &["protocol"])
                    ),
                );
            }
        }
        w.w(0, "\n");
    }
    describe_events(&mut w, &events_for(k, ep), now);
    w.finish()
}

/// `describeEndpointSliceV1`.
fn describe_endpointslice(k: &Kubectl<'_>, eps: &Value, now: Time) -> String {
    let mut w = header_with_metadata(eps);
    w.w(0, &format!("AddressType:\t{}\n", s(eps, &["addressType"])));
    let unset = |v: Option<String>| v.unwrap_or_else(|| "<unset>".to_string());
    let ports = get_array(eps, &["ports"]);
    if ports.is_empty() {
        w.w(0, "Ports: <unset>\n");
    } else {
        w.w(0, "Ports:\n");
        w.w(1, "Name\tPort\tProtocol\n");
        w.w(1, "----\t----\t--------\n");
        for p in ports {
            let name = unset(
                get_str(p, &["name"])
                    .filter(|n| !n.is_empty())
                    .map(str::to_string),
            );
            let port = unset(get_i64(p, &["port"]).map(|n| n.to_string()));
            w.w(1, &format!("{name}\t{port}\t{}\n", s(p, &["protocol"])));
        }
    }
    let endpoints = get_array(eps, &["endpoints"]);
    if endpoints.is_empty() {
        w.w(0, "Endpoints: <none>\n");
    } else {
        w.w(0, "Endpoints:\n");
        for e in endpoints {
            let addrs: Vec<&str> = get_array(e, &["addresses"])
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let addrs = if addrs.is_empty() {
                "<none>".to_string()
            } else {
                addrs.join(", ")
            };
            w.w(1, &format!("- Addresses:\t{addrs}\n"));
            w.w(2, "Conditions:\n");
            let ready = unset(
                get(e, &["conditions", "ready"])
                    .and_then(Value::as_bool)
                    .map(|b| b.to_string()),
            );
            w.w(3, &format!("Ready:\t{ready}\n"));
            let host = unset(get_str(e, &["hostname"]).map(str::to_string));
            w.w(2, &format!("Hostname:\t{host}\n"));
            if get(e, &["targetRef"]).is_some_and(|t| !t.is_null()) {
                w.w(
                    2,
                    &format!(
                        "TargetRef:\t{}/{}\n",
                        s(e, &["targetRef", "kind"]),
                        s(e, &["targetRef", "name"])
                    ),
                );
            }
            let node = unset(get_str(e, &["nodeName"]).map(str::to_string));
            w.w(2, &format!("NodeName:\t{node}\n"));
            let zone = unset(get_str(e, &["zone"]).map(str::to_string));
            w.w(2, &format!("Zone:\t{zone}\n"));
        }
    }
    describe_events(&mut w, &events_for(k, eps), now);
    w.finish()
}

fn describe_one(k: &Kubectl<'_>, kind: Kind, o: &Value, now: Time) -> Result<String, CmdError> {
    Ok(match kind {
        Kind::Pod => describe_pod(k, o, now),
        Kind::StatefulSet => describe_statefulset(k, o, now),
        Kind::Deployment => describe_deployment(k, o, now),
        Kind::ReplicaSet => describe_replicaset(k, o, now),
        Kind::Service => describe_service(k, o, now),
        Kind::PersistentVolumeClaim => describe_pvc(k, o, now),
        Kind::PersistentVolume => describe_pv(k, o, now),
        Kind::Node => describe_node(k, o, now),
        Kind::PodDisruptionBudget => describe_pdb(k, o, now),
        Kind::ConfigMap => describe_configmap(k, o, now),
        Kind::Secret => describe_secret(o),
        Kind::Namespace => describe_namespace(o),
        Kind::StorageClass => describe_storageclass(k, o, now),
        Kind::Endpoints => describe_endpoints(k, o, now),
        Kind::EndpointSlice => describe_endpointslice(k, o, now),
        other => {
            return Err(CmdError::Plain(format!(
                "describe for {} is not supported in this playground yet",
                other.plural()
            )))
        }
    })
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, FLAGS).map_err(|m| super::flag_error("describe", m))?;
    if p.positional.is_empty() {
        return Err(CmdError::Plain(
            "Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl describe -h' for help and examples".into(),
        ));
    }
    let reqs = resource_args::parse(&p.positional).map_err(CmdError::Plain)?;
    let all_ns = p.bool("all-namespaces");
    let ns = p
        .value("namespace")
        .map(str::to_string)
        .unwrap_or_else(|| k.namespace.clone());
    let selector = match p.value("selector") {
        Some(s) => Selector::parse(s).map_err(CmdError::Plain)?,
        None => Selector::default(),
    };
    let now = k.cluster.now();
    let mut found: Vec<(Kind, Arc<Value>)> = Vec::new();
    let mut errs: Vec<ApiError> = Vec::new();
    for r in &reqs {
        let list_ns = if all_ns || !r.kind.namespaced() {
            None
        } else {
            Some(ns.as_str())
        };
        match &r.name {
            Some(name) => match k.cluster.api.get(r.kind, &ns, name) {
                Ok(o) => found.push((r.kind, o)),
                Err(e) => {
                    // kubectl describe falls back to a name-prefix match.
                    let matches: Vec<Arc<Value>> = k
                        .cluster
                        .api
                        .list(r.kind, list_ns, &selector)
                        .into_iter()
                        .filter(|o| object::name(o).starts_with(name.as_str()))
                        .collect();
                    if matches.is_empty() {
                        errs.push(e);
                    }
                    found.extend(matches.into_iter().map(|o| (r.kind, o)));
                }
            },
            None => found.extend(
                k.cluster
                    .api
                    .list(r.kind, list_ns, &selector)
                    .into_iter()
                    .map(|o| (r.kind, o)),
            ),
        }
    }
    let mut first = true;
    for (kind, o) in &found {
        let text = describe_one(k, *kind, o, now)?;
        if first {
            out.out(text);
            first = false;
        } else {
            out.out(format!("\n\n{text}"));
        }
    }
    if found.is_empty() && errs.is_empty() {
        if all_ns || reqs.iter().any(|r| !r.kind.namespaced()) {
            out.errln("No resources found");
        } else {
            out.errln(format!("No resources found in {ns} namespace."));
        }
    }
    if errs.is_empty() {
        return Ok(());
    }
    for e in &errs {
        out.errln(super::standard_error_message(e, None));
    }
    Err(CmdError::Exit(1))
}
