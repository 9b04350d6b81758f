//! `kubectl get` / `describe` against objects written straight through the API (statuses set
//! with `update_status`), compared with what kubectl 1.33 prints for the same objects.

use expect_test::expect;
use kubeplay_engine::{Cluster, Config};
use kubeplay_kubectl::context::MemFiles;
use kubeplay_kubectl::{cmd, Kubectl, Output};
use serde_json::{json, Value};

fn kubectl(c: &mut Cluster, line: &str) -> (i32, Output) {
    let files = MemFiles::default();
    let mut k = Kubectl {
        cluster: c,
        namespace: "default".into(),
        files: &files,
        stdin: String::new(),
    };
    let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    let mut out = Output::new();
    let code = cmd::run(&mut k, &args, &mut out);
    (code, out)
}

fn pod(name: &str, phase: &str, ready: bool) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": "nginx"}},
        "spec": {"containers": [{"name": "nginx", "image": "registry.k8s.io/nginx-slim:0.21"}],
                 "nodeName": "node-1"},
    })
    .as_object()
    .map(|m| {
        let mut v = Value::Object(m.clone());
        v["status"] = json!({
            "phase": phase,
            "podIP": "10.244.1.5", "podIPs": [{"ip": "10.244.1.5"}],
            "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}],
            "containerStatuses": [{"name": "nginx", "ready": ready, "restartCount": 0,
                "state": if ready { json!({"running": {"startedAt": "2026-01-01T00:00:00Z"}}) }
                         else { json!({"waiting": {"reason": "ContainerCreating"}}) }}]
        });
        v
    })
    .unwrap_or(Value::Null)
}

fn create_with_status(c: &mut Cluster, obj: Value) {
    let created = c.api.create(obj.clone()).expect("create");
    if let Some(status) = obj.get("status") {
        let mut o = (*created).clone();
        o["status"] = status.clone();
        c.api.update_status(o).expect("status");
    }
}

#[test]
fn get_pods_table_wide_and_empty() {
    let mut c = Cluster::new(Config::default());
    let (code, out) = kubectl(&mut c, "get pods");
    assert_eq!(code, 0);
    assert_eq!(out.combined(), "No resources found in default namespace.\n");
    create_with_status(&mut c, pod("web-0", "Running", true));
    c.advance(65_000);
    create_with_status(&mut c, pod("web-1", "Pending", false));
    let (_, out) = kubectl(&mut c, "get pods -l app=nginx");
    expect![[r#"
        NAME    READY   STATUS              RESTARTS   AGE
        web-0   1/1     Running             0          65s
        web-1   0/1     ContainerCreating   0          0s
    "#]]
    .assert_eq(&out.stdout());
    let (_, out) = kubectl(&mut c, "get po web-0 -o wide");
    expect![[r#"
        NAME    READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES
        web-0   1/1     Running   0          65s   10.244.1.5   node-1   <none>           <none>
    "#]]
    .assert_eq(&out.stdout());
    let (code, out) = kubectl(&mut c, "get pod nope");
    assert_eq!(code, 1);
    assert_eq!(
        out.stderr(),
        "Error from server (NotFound): pods \"nope\" not found\n"
    );
    let (_, out) = kubectl(&mut c, "get pods -A --show-labels");
    expect![[r#"
        NAMESPACE   NAME    READY   STATUS              RESTARTS   AGE   LABELS
        default     web-0   1/1     Running             0          65s   app=nginx
        default     web-1   0/1     ContainerCreating   0          0s    app=nginx
    "#]]
    .assert_eq(&out.stdout());
    let (_, out) = kubectl(
        &mut c,
        "get pods --field-selector status.phase=Running -o name",
    );
    assert_eq!(out.stdout(), "pod/web-0\n");
}

#[test]
fn get_several_kinds_prefixes_names_and_separates_tables() {
    let mut c = Cluster::new(Config::default());
    create_with_status(&mut c, pod("web-0", "Running", true));
    c.api
        .create(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
            "spec": {"clusterIP": "None", "clusterIPs": ["None"], "type": "ClusterIP",
                     "ports": [{"port": 80, "name": "web", "protocol": "TCP"}], "selector": {"app": "nginx"}}}))
        .expect("svc");
    let (_, out) = kubectl(&mut c, "get svc,po -l app=nginx");
    expect![[r#"
        NAME            TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE
        service/nginx   ClusterIP   None         <none>        80/TCP    0s

        NAME        READY   STATUS    RESTARTS   AGE
        pod/web-0   1/1     Running   0          0s
    "#]]
    .assert_eq(&out.stdout());
    let (_, out) = kubectl(&mut c, "get nodes");
    expect![[r#"
        NAME     STATUS   ROLES    AGE   VERSION
        node-1   Ready    <none>   0s    v1.35.0
        node-2   Ready    <none>   0s    v1.35.0
        node-3   Ready    <none>   0s    v1.35.0
    "#]]
    .assert_eq(&out.stdout());
    let (_, out) = kubectl(
        &mut c,
        "get pods -o custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[*].image,X:.nope",
    );
    expect![[r#"
        NAME    IMAGE                             X
        web-0   registry.k8s.io/nginx-slim:0.21   <none>
    "#]]
    .assert_eq(&out.stdout());
    let (_, out) = kubectl(&mut c, "get po web-0 -o jsonpath={.status.podIP}");
    assert_eq!(out.stdout(), "10.244.1.5");
    let (_, out) = kubectl(
        &mut c,
        "get po web-0 --template {{range$i,$c:=.spec.containers}}{{$c.image}}{{end}}",
    );
    assert_eq!(out.stdout(), "registry.k8s.io/nginx-slim:0.21");
}

#[test]
fn watch_prints_header_once_and_rows_with_remembered_widths() {
    let mut c = Cluster::new(Config::default());
    let files = MemFiles::default();
    let mut k = Kubectl {
        cluster: &mut c,
        namespace: "default".into(),
        files: &files,
        stdin: String::new(),
    };
    let args: Vec<String> = ["get", "pods", "-w", "-l", "app=nginx"]
        .iter()
        .map(|s| s.to_string())
        .skip(1)
        .collect();
    let (mut w, first) = cmd::get::Watch::start(&mut k, &args).expect("start");
    assert_eq!(first.combined(), "");
    let mut out = Output::new();
    let mut p = pod("web-0", "Pending", false);
    p["status"] = json!({"phase": "Pending"});
    k.cluster.api.create(p).expect("create");
    w.poll(k.cluster, &mut out);
    k.cluster.advance(1_000);
    let cur = k
        .cluster
        .api
        .get(kubeplay_engine::Kind::Pod, "default", "web-0")
        .expect("get");
    let mut o = (*cur).clone();
    o["status"] = pod("web-0", "Pending", false)["status"].clone();
    k.cluster.api.update_status(o).expect("status");
    w.poll(k.cluster, &mut out);
    k.cluster.advance(18_000);
    let cur = k
        .cluster
        .api
        .get(kubeplay_engine::Kind::Pod, "default", "web-0")
        .expect("get");
    let mut o = (*cur).clone();
    o["status"] = pod("web-0", "Running", true)["status"].clone();
    k.cluster.api.update_status(o).expect("status");
    w.poll(k.cluster, &mut out);
    expect![[r#"
        NAME    READY   STATUS    RESTARTS   AGE
        web-0   0/1     Pending   0          0s
        web-0   0/1     ContainerCreating   0          1s
        web-0   1/1     Running             0          19s
    "#]]
    .assert_eq(&out.stdout());
}
