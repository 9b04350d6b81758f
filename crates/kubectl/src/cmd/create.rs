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
    flag("type", None, FlagKind::Value),
    flag("template", None, FlagKind::Value),
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
    // kubectl's generators set the namespace only when `-n` enforces one; a request goes to
    // the context's namespace anyway.
    let shown_ns = p.value("namespace");
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
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "creationTimestamp": null}, "spec": {}, "status": {}}),
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
                   "metadata": {"name": name, "labels": {"app": name}, "creationTimestamp": null},
                   "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                            "strategy": {},
                            "template": {"metadata": {"labels": {"app": name}, "creationTimestamp": null},
                                         "spec": {"containers": containers}}},
                   "status": {}}),
            )
        }
        "configmap" | "cm" => {
            let Some(name) = p.positional.get(1) else {
                return Err(usage("exactly one NAME is required, got 0", "configmap"));
            };
            let data = literals(p, |v| json!(v))?;
            let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "creationTimestamp": null}});
            if !data.is_empty() {
                cm["data"] = Value::Object(data);
            }
            (Kind::ConfigMap, cm)
        }
        "secret" => {
            let sub = p.positional.get(1).map(String::as_str);
            match sub {
                Some("generic") => {}
                Some(other @ ("tls" | "docker-registry")) => {
                    return Err(CmdError::Plain(format!(
                        "\"kubectl create secret {other}\" is a real kubectl command that kubeplay does not offer yet"
                    )))
                }
                Some(other) => {
                    return Err(CmdError::Usage {
                        command: "create secret".into(),
                        message: format!("unknown command {other:?}"),
                    })
                }
                None => {
                    out.err(SECRET_HELP);
                    return Err(CmdError::Exit(1));
                }
            }
            let Some(name) = p.positional.get(2) else {
                return Err(usage(
                    "exactly one NAME is required, got 0",
                    "secret generic",
                ));
            };
            let data = literals(p, |v| json!(object::base64(v.as_bytes())))?;
            let mut secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "creationTimestamp": null}});
            if !data.is_empty() {
                secret["data"] = Value::Object(data);
            }
            if let Some(t) = p.value("type").filter(|t| !t.is_empty()) {
                secret["type"] = json!(t);
            }
            (Kind::Secret, secret)
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
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"app": name}, "creationTimestamp": null}, "spec": spec, "status": {"loadBalancer": {}}}),
            )
        }
        other => {
            return Err(CmdError::Plain(format!(
                "unknown command \"{other}\" for \"kubectl create\""
            )))
        }
    };
    let mut obj = obj;
    if let (Some(ns), true) = (shown_ns, kind.namespaced()) {
        obj["metadata"]["namespace"] = json!(ns);
    }
    if p.bool("save-config") {
        super::apply::set_last_applied(&mut obj);
    }
    let format = match p.value("output").filter(|o| !o.is_empty()) {
        None if p.value("template").is_none() => None,
        o => Some(
            crate::printers::OutputFormat::parse(o, p.value("template"))
                .map_err(CmdError::Plain)?,
        ),
    };
    send_generated(k, kind, obj, ns, dry, format.as_ref(), out)
}

/// Sends an object a generator built (`create deployment`, `run`, `run --expose`) — or, in a
/// client dry run, keeps it — and prints it as `-o` asks or as `kind/name created`. The
/// request goes to the context's namespace, without the typed object's null
/// `creationTimestamp`s.
pub fn send_generated(
    k: &mut Kubectl<'_>,
    kind: Kind,
    mut obj: Value,
    ns: &str,
    dry: DryRun,
    format: Option<&crate::printers::OutputFormat>,
    out: &mut Output,
) -> CmdResult {
    let created = if dry == DryRun::Client {
        std::sync::Arc::new(obj)
    } else {
        if kind.namespaced() {
            obj["metadata"]["namespace"] = json!(ns);
        }
        if let Some(m) = obj["metadata"].as_object_mut() {
            m.remove("creationTimestamp");
        }
        if let Some(m) = obj
            .pointer_mut("/spec/template/metadata")
            .and_then(Value::as_object_mut)
        {
            m.remove("creationTimestamp");
        }
        let created = create_object(k, obj, dry);
        manifest::flush_warnings(k, out);
        created?
    };
    match format {
        Some(f) => out.out(
            crate::printers::print_generic(f, &[(kind, created)], true).map_err(CmdError::Plain)?,
        ),
        None => out.outln(format!(
            "{} created{}",
            manifest::resource_name(kind, object::name(&created)),
            dry.suffix()
        )),
    }
    Ok(())
}

/// `--from-literal=key=value` sources, each value turned by `value` (text for a ConfigMap,
/// base64 for a Secret), with kubectl's errors.
fn literals(
    p: &Parsed,
    value: impl Fn(&str) -> Value,
) -> Result<serde_json::Map<String, Value>, CmdError> {
    let mut data = serde_json::Map::new();
    for lit in p.all("from-literal") {
        let Some((key, val)) = lit.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(CmdError::Plain(format!(
                "invalid literal source {lit}, expected key=value"
            )));
        };
        if data.contains_key(key) {
            return Err(CmdError::Plain(format!(
                "cannot add key {key}, another key by that name already exists"
            )));
        }
        data.insert(key.to_string(), value(val));
    }
    Ok(data)
}

/// `kubectl create secret` with no subcommand: its help on stderr, status 1.
const SECRET_HELP: &str = "Create a secret with specified type.

 A docker-registry type secret is for accessing a container registry.

 A generic type secret indicate an Opaque secret type.

 A tls type secret holds TLS certificate and its associated key.

Available Commands:
  docker-registry   Create a secret for use with a Docker registry
  generic           Create a secret from a local file, directory, or literal value
  tls               Create a TLS secret

Usage:
  kubectl create secret (docker-registry | generic | tls) [options]

Use \"kubectl create secret <command> --help\" for more information about a given command.
Use \"kubectl options\" for a list of global command-line options (applies to all commands).
";
