//! `kubectl get` / `describe` against objects written through the API (some statuses set with
//! `update_status`, the rest by the live controllers), compared with what kubectl 1.33 prints.

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
        web-0   1/1     Running   0          65s   10.244.1.2   node-1   <none>           <none>
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
    // An unscheduled pod goes through the real scheduler and kubelet: the watch shows each
    // MODIFIED event as one row, widening STATUS once for ContainerCreating and keeping it.
    let mut p = pod("web-0", "Pending", false);
    p.as_object_mut().expect("pod object").remove("status");
    if let Some(spec) = p["spec"].as_object_mut() {
        spec.remove("nodeName");
    }
    k.cluster.api.create(p).expect("create");
    loop {
        w.poll(k.cluster, &mut out);
        if !k.cluster.step_to_next_event() {
            break;
        }
    }
    w.poll(k.cluster, &mut out);
    expect![[r#"
        NAME    READY   STATUS    RESTARTS   AGE
        web-0   0/1     Pending   0          0s
        web-0   0/1     Pending   0          0s
        web-0   0/1     ContainerCreating   0          0s
        web-0   1/1     Running             0          4s
    "#]]
    .assert_eq(&out.stdout());
}

fn web_sts() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 2, "serviceName": "nginx", "podManagementPolicy": "OrderedReady",
            "selector": {"matchLabels": {"app": "nginx"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 1}},
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "template": {"metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "registry.k8s.io/nginx-slim:0.21",
                    "ports": [{"containerPort": 80, "name": "web", "protocol": "TCP"}],
                    "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}]}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "www"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
        },
        "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2}
    })
}

#[test]
fn describe_statefulset_layout_and_events() {
    let mut c = Cluster::new(Config::default());
    create_with_status(&mut c, web_sts());
    let sts = c
        .api
        .get(kubeplay_engine::Kind::StatefulSet, "default", "web")
        .expect("sts");
    c.api.record_event(
        &sts,
        None,
        "Normal",
        "SuccessfulCreate",
        "create Pod web-0 in StatefulSet web successful",
        kubeplay_engine::events::Source {
            component: "statefulset-controller",
            host: None,
        },
    );
    c.advance(3_000);
    c.api.record_event(
        &sts,
        None,
        "Normal",
        "SuccessfulCreate",
        "create Claim www-web-1 Pod web-1 in StatefulSet web success",
        kubeplay_engine::events::Source {
            component: "statefulset-controller",
            host: None,
        },
    );
    let (_, out) = kubectl(&mut c, "get sts");
    expect![[r#"
        NAME   READY   AGE
        web    0/2     3s
    "#]]
    .assert_eq(&out.stdout());
    let (code, out) = kubectl(&mut c, "describe sts web");
    assert_eq!(code, 0, "{}", out.stderr());
    expect![[r#"
        Name:               web
        Namespace:          default
        CreationTimestamp:  Thu, 01 Jan 2026 00:00:00 +0000
        Selector:           app=nginx
        Labels:             <none>
        Annotations:        <none>
        Replicas:           2 desired | 1 total
        Update Strategy:    RollingUpdate
          Partition:        0
          MaxUnavailable:   1
        Pods Status:        0 Running / 1 Waiting / 0 Succeeded / 0 Failed
        Pod Template:
          Labels:  app=nginx
          Containers:
           nginx:
            Image:        registry.k8s.io/nginx-slim:0.21
            Port:         80/TCP
            Host Port:    0/TCP
            Environment:  <none>
            Mounts:
              /usr/share/nginx/html from www (rw)
          Volumes:         <none>
          Node-Selectors:  <none>
          Tolerations:     <none>
        Volume Claims:
          Name:          www
          StorageClass:  
          Labels:        <none>
          Annotations:   <none>
          Capacity:      1Gi
          Access Modes:  [ReadWriteOnce]
        Events:
          Type    Reason            Age              From                    Message
          ----    ------            ----             ----                    -------
          Normal  SuccessfulCreate  3s (x2 over 3s)  statefulset-controller  create Pod web-0 in StatefulSet web successful
          Normal  SuccessfulCreate  3s               statefulset-controller  create Claim www-web-0 Pod web-0 in StatefulSet web success
          Normal  SuccessfulCreate  0s               statefulset-controller  create Claim www-web-1 Pod web-1 in StatefulSet web success
    "#]]
    .assert_eq(&out.stdout());
}

#[test]
fn describe_service_and_missing_objects() {
    let mut c = Cluster::new(Config::default());
    let (_, out) = kubectl(&mut c, "describe svc kubernetes");
    expect![[r#"
        Name:                     kubernetes
        Namespace:                default
        Labels:                   component=apiserver
                                  provider=kubernetes
        Annotations:              <none>
        Selector:                 <none>
        Type:                     ClusterIP
        IP Family Policy:         SingleStack
        IP Families:              IPv4
        IP:                       10.96.0.1
        IPs:                      10.96.0.1
        Port:                     https  443/TCP
        TargetPort:               6443/TCP
        Endpoints:                <none>
        Session Affinity:         None
        Internal Traffic Policy:  Cluster
        Events:                   <none>
    "#]]
    .assert_eq(&out.stdout());
    let (code, out) = kubectl(&mut c, "describe pod nope");
    assert_eq!(code, 1);
    assert_eq!(
        out.stderr(),
        "Error from server (NotFound): pods \"nope\" not found\n"
    );
}
