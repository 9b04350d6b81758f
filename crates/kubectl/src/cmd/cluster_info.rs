//! `kubectl cluster-info` and `kubectl api-versions`: where the control plane and the
//! cluster's services (`kubernetes.io/cluster-service=true` in kube-system) are, and which
//! group/versions the API serves.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;
use kubeplay_engine::{object, Kind, Selector};

const SPECS: &[FlagSpec] = &[flag("namespace", Some('n'), FlagKind::Value)];

pub fn run_cluster_info(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, SPECS).map_err(|m| super::flag_error("cluster-info", m))?;
    // kubectl ignores other arguments.
    if p.positional.first().is_some_and(|s| s == "dump") {
        return Err(CmdError::Plain(
            "kubectl cluster-info dump is not available in kubeplay: use kubectl get, describe and logs".into(),
        ));
    }
    let server = super::config::SERVER;
    out.outln(format!("Kubernetes control plane is running at {server}"));
    let sel = Selector::parse("kubernetes.io/cluster-service=true").map_err(CmdError::Plain)?;
    for svc in k.cluster.api.list(Kind::Service, Some("kube-system"), &sel) {
        let name = object::labels(&svc)
            .get("kubernetes.io/name")
            .cloned()
            .unwrap_or_else(|| object::name(&svc).to_string());
        let port = object::get_array(&svc, &["spec", "ports"]).first().cloned();
        // `<scheme>:<service>:<port name>`, empty parts dropped (`JoinSchemeNamePort`).
        let mut target = object::name(&svc).to_string();
        if let Some(port) = port {
            let port_name = object::get_str(&port, &["name"]).unwrap_or("");
            let https = port_name == "https" || object::get_i64(&port, &["port"]) == Some(443);
            if https {
                target = format!("https:{target}");
            }
            if !port_name.is_empty() {
                target = format!("{target}:{port_name}");
            } else if https {
                target = format!("{target}:");
            }
        }
        out.outln(format!(
            "{name} is running at {server}/api/v1/namespaces/kube-system/services/{target}/proxy"
        ));
    }
    out.outln("");
    out.outln("To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.");
    Ok(())
}

pub fn run_api_versions(_k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, &[]).map_err(|m| super::flag_error("api-versions", m))?;
    if !p.positional.is_empty() {
        return Err(CmdError::Usage {
            command: "api-versions".into(),
            message: format!("unexpected arguments: [{}]", p.positional.join(" ")),
        });
    }
    for gv in kubeplay_engine::kinds::served_group_versions() {
        out.outln(gv);
    }
    Ok(())
}
