//! `kubectl run NAME --image=IMAGE [-i] [-t] [--rm] [--restart=Never] [-- COMMAND...]`:
//! creates a Pod as kubectl 1.33 builds it (label `run=NAME`, `dnsPolicy: ClusterFirst`),
//! and with `-i`/`--attach` waits for it to run, then runs the command or attaches the
//! session's terminal to the container's shell. `--rm` deletes the pod afterwards.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;
use crate::pod_shell::{io_into_output, AttachTarget, Flavor, PodHost};
use crate::shell::Io;
use kubeplay_engine::time::parse_go_duration;
use kubeplay_engine::{object, Cluster, DeleteOptions, Kind};
use serde_json::{json, Value};

pub(crate) const SPECS: &[FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("image", None, FlagKind::Value),
    flag("restart", None, FlagKind::Value),
    flag("rm", None, FlagKind::Bool),
    flag("stdin", Some('i'), FlagKind::Bool),
    flag("tty", Some('t'), FlagKind::Bool),
    flag("attach", None, FlagKind::Bool),
    flag("quiet", Some('q'), FlagKind::Bool),
    flag("command", None, FlagKind::Bool),
    flag("labels", Some('l'), FlagKind::Value),
    flag("env", None, FlagKind::Multi),
    flag("port", None, FlagKind::Value),
    flag("image-pull-policy", None, FlagKind::Value),
    flag("pod-running-timeout", None, FlagKind::Value),
    flag("dry-run", None, FlagKind::Value),
    flag("output", Some('o'), FlagKind::Value),
    flag("template", None, FlagKind::Value),
    flag("expose", None, FlagKind::Bool),
    flag("save-config", None, FlagKind::Bool),
];

fn usage(message: impl Into<String>) -> CmdError {
    CmdError::Usage {
        command: "run".into(),
        message: message.into(),
    }
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    run_attachable(k, args, out, false).map(|_| ())
}

/// The Pod `kubectl run` sends (kubectl's `generateversioned` BasicPod).
// One argument per `kubectl run` flag keeps the call site readable next to the flag list.
#[allow(clippy::too_many_arguments)]
pub fn build_pod(
    name: &str,
    image: &str,
    restart: &str,
    labels: &[(String, String)],
    words: &[String],
    as_command: bool,
    stdin: bool,
    tty: bool,
    env: &[String],
    port: Option<&str>,
    pull_policy: Option<&str>,
) -> Value {
    let mut label_map = serde_json::Map::new();
    for (key, v) in labels {
        label_map.insert(key.clone(), json!(v));
    }
    let mut c = json!({"name": name, "image": image, "resources": {}});
    if !words.is_empty() {
        c[if as_command { "command" } else { "args" }] = json!(words);
    }
    if stdin {
        c["stdin"] = json!(true);
        c["stdinOnce"] = json!(true);
    }
    if tty {
        c["tty"] = json!(true);
    }
    if !env.is_empty() {
        let list: Vec<Value> = env
            .iter()
            .map(|e| match e.split_once('=') {
                Some((n, v)) => json!({"name": n, "value": v}),
                None => json!({"name": e}),
            })
            .collect();
        c["env"] = json!(list);
    }
    if let Some(p) = port.and_then(|p| p.parse::<i64>().ok()) {
        c["ports"] = json!([{"containerPort": p}]);
    }
    if let Some(pp) = pull_policy {
        c["imagePullPolicy"] = json!(pp);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": Value::Object(label_map), "creationTimestamp": null},
        "spec": {"containers": [c], "dnsPolicy": "ClusterFirst", "restartPolicy": restart},
        "status": {}
    })
}

/// The Service `kubectl run --expose --port=P` creates in front of the pod (kubectl's
/// `ServiceGeneratorV2`: the pod's labels as selector, the port as target).
fn exposed_service(name: &str, port: i64, labels: &[(String, String)]) -> Value {
    let selector: serde_json::Map<String, Value> =
        labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "creationTimestamp": null},
        "spec": {"ports": [{"port": port, "protocol": "TCP", "targetPort": port}],
                 "selector": selector},
        "status": {"loadBalancer": {}}
    })
}

/// Deletes the pod and waits for it to be gone, printing `pod "NAME" deleted`
/// (kubectl ≤1.33 wording, S6.6).
pub fn remove_pod(cluster: &mut Cluster, ns: &str, name: &str, out: &mut Output) {
    match cluster
        .api
        .delete(Kind::Pod, ns, name, &DeleteOptions::default())
    {
        Ok(_) => {
            crate::sim::wait_until(cluster, 120_000, |c| {
                c.api.try_get(Kind::Pod, ns, name).is_none()
            });
            out.outln(format!("pod \"{name}\" deleted"));
        }
        Err(e) => {
            out.errln(super::standard_error_message(&e, None));
        }
    }
}

/// Runs `kubectl run`. With `interactive` (the session's own terminal) and `-i` with no
/// command other than a shell, returns the container to attach to.
pub fn run_attachable(
    k: &mut Kubectl<'_>,
    args: &[String],
    out: &mut Output,
    interactive: bool,
) -> Result<Option<AttachTarget>, CmdError> {
    let p = flags::parse(args, SPECS).map_err(|m| super::flag_error("run", m))?;
    let ns = p
        .value("namespace")
        .map(str::to_string)
        .unwrap_or_else(|| k.namespace.clone());
    let Some(name) = p.positional.first().cloned() else {
        return Err(usage("NAME is required for run"));
    };
    let image = p.value("image").unwrap_or_default().to_string();
    if image.is_empty() {
        return Err(usage("--image is required"));
    }
    let stdin = p.bool("stdin");
    let tty = p.bool("tty");
    let attach = stdin || p.bool("attach");
    let remove = p.bool("rm");
    if remove && !attach {
        return Err(usage("--rm should only be used for attached containers"));
    }
    let restart = p.value("restart").unwrap_or("Always");
    if !matches!(restart, "Always" | "OnFailure" | "Never") {
        return Err(usage(format!("invalid restart policy: {restart}")));
    }
    if tty && !stdin {
        out.errln("error: -i/--stdin is required for containers with -t/--tty=true");
        return Err(CmdError::Exit(1));
    }
    let mut words: Vec<String> = p.positional.get(1..).unwrap_or(&[]).to_vec();
    if let Some(rest) = &p.rest {
        words.extend(rest.iter().cloned());
    }
    let mut labels = vec![("run".to_string(), name.clone())];
    if let Some(l) = p.value("labels") {
        labels.clear();
        for pair in l.split(',').filter(|s| !s.is_empty()) {
            match pair.split_once('=') {
                Some((key, v)) => labels.push((key.to_string(), v.to_string())),
                None => return Err(usage(format!("invalid label spec: {pair}"))),
            }
        }
    }
    let mut pod = build_pod(
        &name,
        &image,
        restart,
        &labels,
        &words,
        p.bool("command"),
        stdin,
        tty,
        &p.all("env"),
        p.value("port"),
        p.value("image-pull-policy"),
    );
    if let Some(n) = p.value("namespace") {
        object::set(&mut pod, &["metadata", "namespace"], json!(n));
    }
    let dry = crate::manifest::dry_run_flag(&p)?;
    let format = match p.value("output").filter(|o| !o.is_empty()) {
        None if p.value("template").is_none() => None,
        o => Some(
            crate::printers::OutputFormat::parse(o, p.value("template"))
                .map_err(CmdError::Plain)?,
        ),
    };
    if dry != crate::manifest::DryRun::None && attach {
        return Err(usage("--dry-run can't be used with attached containers options (--attach, --stdin, or --tty)"));
    }
    let port: Option<i64> = p.value("port").and_then(|x| x.parse().ok());
    if p.bool("expose") {
        let Some(port) = port.filter(|p| *p > 0) else {
            return Err(usage("--port must be set when exposing a service"));
        };
        let mut svc = exposed_service(&name, port, &labels);
        if let Some(n) = p.value("namespace") {
            object::set(&mut svc, &["metadata", "namespace"], json!(n));
        }
        super::create::send_generated(k, Kind::Service, svc, &ns, dry, format.as_ref(), out)?;
        // kubectl's YAML printer separates the service from the pod twice.
        if matches!(format, Some(crate::printers::OutputFormat::Yaml)) {
            out.out("---\n---\n");
        }
    }
    if !attach {
        super::create::send_generated(k, Kind::Pod, pod, &ns, dry, format.as_ref(), out)?;
        return Ok(None);
    }
    object::set(&mut pod, &["metadata", "namespace"], json!(ns));
    if let Some(m) = pod["metadata"].as_object_mut() {
        m.remove("creationTimestamp");
    }
    k.cluster.api.create(pod)?;
    for w in k.cluster.api.take_warnings() {
        out.errln(format!("Warning: {w}"));
    }
    let timeout = p
        .value("pod-running-timeout")
        .map(parse_go_duration)
        .transpose()
        .map_err(usage)?
        .unwrap_or(60_000);
    let (nsr, namer) = (ns.clone(), name.clone());
    let running = crate::sim::wait_until(k.cluster, timeout, |c| {
        c.api
            .try_get(Kind::Pod, &nsr, &namer)
            .map(|p| {
                matches!(
                    object::get_str(p, &["status", "phase"]),
                    Some("Running" | "Succeeded" | "Failed")
                )
            })
            .unwrap_or(false)
    });
    if !running {
        if remove {
            remove_pod(k.cluster, &ns, &name, out);
        }
        return Err(CmdError::Plain(
            "timed out waiting for the condition".into(),
        ));
    }
    if stdin {
        out.errln("If you don't see a command prompt, try pressing enter.");
    }
    let flavor = Flavor::of_image(&image);
    // With no command, busybox-like images run `sh`, which is what the terminal attaches to.
    let shell_only =
        (words.is_empty() && flavor == Flavor::Busybox) || super::exec::is_bare_shell(&words);
    if interactive && stdin && k.stdin.is_empty() && shell_only {
        return Ok(Some(AttachTarget {
            namespace: ns,
            pod: name.clone(),
            container: name,
            remove_on_exit: remove,
            shell: words.first().cloned().unwrap_or_else(|| "sh".to_string()),
        }));
    }
    let mut code = 0;
    if let Some(mut host) = PodHost::new(k.cluster, &ns, &name, None) {
        let mut io = Io::default();
        let argv = if words.is_empty() {
            vec!["sh".to_string()]
        } else {
            words.clone()
        };
        let input = if stdin {
            k.stdin.clone()
        } else {
            String::new()
        };
        code = host.run_argv(&argv, &input, &mut io);
        io_into_output(io, out);
    }
    if remove {
        remove_pod(k.cluster, &ns, &name, out);
    }
    if code != 0 {
        out.errln(format!("pod {ns}/{name} terminated (Error)"));
        return Err(CmdError::Exit(code));
    }
    Ok(None)
}
