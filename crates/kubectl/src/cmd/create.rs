//! `kubectl create -f FILE` (each document POSTed in turn; failures are collected and printed
//! after the others, as kubectl's builder continues on error) and the generator
//! subcommands `create namespace|deployment|configmap|service`.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, Parsed};
use crate::manifest::{self, DryRun};
use crate::output::Output;
use kubeplay_engine::{object, Kind, WriteOptions};
use serde_json::{json, Value};

pub(crate) const FLAGS: &[flags::FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("filename", Some('f'), FlagKind::Multi),
    flag("dry-run", None, FlagKind::Value),
    flag("save-config", None, FlagKind::Bool),
    flag("output", Some('o'), FlagKind::Value),
    flag("image", None, FlagKind::Multi),
    flag("replicas", Some('r'), FlagKind::Value),
    flag("port", None, FlagKind::Value),
    flag("from-literal", None, FlagKind::Multi),
    flag("tcp", None, FlagKind::Multi),
    flag("clusterip", None, FlagKind::Value),
    flag("validate", None, FlagKind::Value),
    flag("recursive", Some('R'), FlagKind::Bool),
];

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, FLAGS).map_err(|m| super::flag_error("create", m))?;
    let ns = manifest::namespace_flag(k, &p);
    let dry = manifest::dry_run_flag(&p)?;
    if !p.positional.is_empty() && p.all("filename").is_empty() {
        return generator(k, &p, &ns, dry, out);
    }
    if p.all("filename").is_empty() {
        return Err(CmdError::Plain("must specify one of -f and -k".to_string()));
    }
    let docs = manifest::read_manifests(k, &p.all("filename"))?;
    // create visits the stream once: builder errors (parse, decode, mapping) and failed
    // creations are collected in stream order and printed after the objects created.
    let mut errors = Vec::new();
    let mut sent = 0;
    for doc in docs {
        let (doc, kind) = match doc {
            Ok(d) => match manifest::document_kind(&d, &ns) {
                Ok(kind) => (d, kind),
                Err(m) => {
                    errors.push(CmdError::Plain(m));
                    continue;
                }
            },
            Err(e) => {
                errors.push(CmdError::Plain(e.message));
                continue;
            }
        };
        sent += 1;
        let mut obj = doc.object.clone();
        if let Err(e) = set_namespace(&mut obj, kind, &ns, p.value("namespace")) {
            errors.push(e);
            continue;
        }
        if p.bool("save-config") {
            super::apply::set_last_applied(&mut obj);
        }
        default_api_version(&mut obj, kind);
        let result = create_object(k, obj, dry);
        manifest::flush_warnings(k, out);
        match result {
            Ok(created) => out.outln(format!(
                "{} created{}",
                manifest::resource_name(kind, object::name(&created)),
                dry.suffix()
            )),
            Err(error) => errors.push(CmdError::Api {
                error,
                context: Some(("creating".into(), doc.source.clone())),
            }),
        }
    }
    if sent == 0 && errors.is_empty() {
        return Err(CmdError::Plain("no objects passed to create".to_string()));
    }
    manifest::finish(errors, out)
}

/// Fills in the namespace of a manifest object, refusing a `-n` that contradicts it
/// (kubectl's `EnforceNamespace`).
pub fn set_namespace(
    obj: &mut Value,
    kind: Kind,
    ns: &str,
    explicit: Option<&str>,
) -> Result<(), CmdError> {
    if !kind.namespaced() {
        return Ok(());
    }
    let own = object::namespace(obj).to_string();
    if own.is_empty() {
        object::set(obj, &["metadata", "namespace"], json!(ns));
    } else if let Some(flag) = explicit {
        if flag != own {
            return Err(CmdError::Plain(format!(
                "the namespace from the provided object \"{own}\" does not match the namespace \"{flag}\". You must pass '--namespace={own}' to perform this operation."
            )));
        }
    }
    Ok(())
}

/// A manifest without apiVersion was mapped through the core group's preferred version; the
/// request goes to that version's URL, so the server reads the object as that version.
pub fn default_api_version(obj: &mut Value, kind: Kind) {
    if object::api_version(obj).is_empty() {
        object::set(obj, &["apiVersion"], json!(kind.info().version));
    }
}

fn create_object(
    k: &mut Kubectl<'_>,
    obj: Value,
    dry: DryRun,
) -> Result<std::sync::Arc<Value>, kubeplay_engine::ApiError> {
    match dry {
        DryRun::Client => Ok(std::sync::Arc::new(obj)),
        DryRun::Server => k
            .cluster
            .api
            .create_with(obj, &WriteOptions { dry_run: true }),
        DryRun::None => k.cluster.api.create(obj),
    }
}

/// `kubectl create namespace|deployment|configmap|service clusterip NAME ...`.
fn generator(
    k: &mut Kubectl<'_>,
    p: &Parsed,
    ns: &str,
    dry: DryRun,
    out: &mut Output,
) -> CmdResult {
    let what = p.positional[0].as_str();
    let usage = |m: &str, cmd: &str| CmdError::Usage {
        command: format!("create {cmd}"),
        message: m.to_string(),
    };
    let (kind, obj) = match what {
        "namespace" | "ns" => {
            let Some(name) = p.positional.get(1) else {
                return Err(usage("exactly one NAME is required, got 0", "namespace"));
            };
            (
                Kind::Namespace,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}, "spec": {}, "status": {}}),
            )
        }
        "deployment" | "deploy" => {
            let Some(name) = p.positional.get(1) else {
                return Err(usage("exactly one NAME is required, got 0", "deployment"));
            };
            let images = p.all("image");
            if images.is_empty() {
                return Err(usage("required flag(s) \"image\" not set", "deployment"));
            }
            let replicas: i64 = match p.value("replicas") {
                None => 1,
                Some(r) => r.parse().map_err(|_| {
                    usage(
                        &format!("invalid argument \"{r}\" for \"-r, --replicas\" flag: strconv.ParseInt: parsing \"{r}\": invalid syntax"),
                        "deployment",
                    )
                })?,
            };
            let containers: Vec<Value> = images
                .iter()
                .map(|img| {
                    let base = img.rsplit('/').next().unwrap_or(img);
                    let cname = base.split([':', '@']).next().unwrap_or(base);
                    let mut c = json!({"name": cname, "image": img, "resources": {}});
                    if let Some(port) = p.value("port").and_then(|x| x.parse::<i64>().ok()) {
                        c["ports"] = json!([{"containerPort": port}]);
                    }
                    c
                })
                .collect();
            (
                Kind::Deployment,
                json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
                   "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                            "strategy": {},
                            "template": {"metadata": {"labels": {"app": name}},
                                         "spec": {"containers": containers}}},
                   "status": {}}),
            )
        }
        "configmap" | "cm" => {
            let Some(name) = p.positional.get(1) else {
                return Err(usage("exactly one NAME is required, got 0", "configmap"));
            };
            let mut data = serde_json::Map::new();
            for lit in p.all("from-literal") {
                let Some((key, val)) = lit.split_once('=') else {
                    return Err(CmdError::Plain(format!(
                        "invalid literal source {lit}, expected key=value"
                    )));
                };
                data.insert(key.to_string(), json!(val));
            }
            (
                Kind::ConfigMap,
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}),
            )
        }
        "service" | "svc" => {
            let sub = p.positional.get(1).map(String::as_str).unwrap_or("");
            if sub != "clusterip" {
                return Err(CmdError::Plain(format!(
                    "unknown command \"{sub}\" for \"kubectl create service\""
                )));
            }
            let Some(name) = p.positional.get(2) else {
                return Err(usage(
                    "exactly one NAME is required, got 0",
                    "service clusterip",
                ));
            };
            let mut ports = Vec::new();
            for t in p.all("tcp") {
                let (port, target) = t.split_once(':').unwrap_or((t.as_str(), t.as_str()));
                let port: i64 = port
                    .parse()
                    .map_err(|_| CmdError::Plain(format!("invalid port number {port}")))?;
                let target_v = target
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| json!(target));
                ports.push(json!({"name": format!("{port}-{target}"), "port": port, "protocol": "TCP", "targetPort": target_v}));
            }
            let mut spec = json!({"ports": ports, "selector": {"app": name}, "type": "ClusterIP"});
            if let Some(ip) = p.value("clusterip") {
                spec["clusterIP"] = json!(ip);
            }
            (
                Kind::Service,
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns, "labels": {"app": name}}, "spec": spec}),
            )
        }
        other => {
            return Err(CmdError::Plain(format!(
                "unknown command \"{other}\" for \"kubectl create\""
            )))
        }
    };
    let mut obj = obj;
    if p.bool("save-config") {
        super::apply::set_last_applied(&mut obj);
    }
    let created = create_object(k, obj, dry);
    manifest::flush_warnings(k, out);
    let created = created?;
    out.outln(format!(
        "{} created{}",
        manifest::resource_name(kind, object::name(&created)),
        dry.suffix()
    ));
    Ok(())
}
