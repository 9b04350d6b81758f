//! Hostile input: whatever a user types or pastes, nothing panics (a panic kills the page) and
//! the cluster still settles. Random JSON objects made by mutating valid ones go straight into
//! the API (create, update, the three patch types); random bytes and mutated manifests go
//! through `kubectl apply -f` / `create -f`; random kubectl command lines go through the
//! session. proptest reports (and shrinks) the input of any panic.

use kubeplay_engine::{object, Cluster, Config, Kind, PatchType};
use kubeplay_kubectl::context::MemFiles;
use kubeplay_kubectl::Session;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const WEB: &str = include_str!("../../../static/examples/tutorials/web-2019.yaml");

fn sts() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "nginx"}},
        "spec": {
            "serviceName": "nginx", "replicas": 2, "minReadySeconds": 0,
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 1}},
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Delete"},
            "ordinals": {"start": 0},
            "selector": {"matchLabels": {"app": "nginx"}, "matchExpressions": [{"key": "app", "operator": "In", "values": ["nginx"]}]},
            "template": {
                "metadata": {"labels": {"app": "nginx"}, "annotations": {"a": "b"}},
                "spec": {
                    "terminationGracePeriodSeconds": 10,
                    "containers": [{
                        "name": "nginx", "image": "registry.k8s.io/nginx-slim:0.8",
                        "ports": [{"containerPort": 80, "name": "web"}],
                        "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}],
                        "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 1},
                        "command": ["sh", "-c", "sleep 1"], "env": [{"name": "A", "value": "1"}],
                        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}
                    }],
                    "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
                    "nodeSelector": {"kubernetes.io/os": "linux"}
                }
            },
            "volumeClaimTemplates": [{
                "metadata": {"name": "www"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
            }]
        }
    })
}

fn pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", "labels": {"app": "nginx"}},
        "spec": {
            "restartPolicy": "Always", "activeDeadlineSeconds": 100,
            "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"],
                "ports": [{"containerPort": 80}], "livenessProbe": {"exec": {"command": ["true"]}}}],
            "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "c"}}]
        }
    })
}

fn service() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "nginx", "namespace": "default"},
        "spec": {"type": "NodePort", "ports": [{"port": 80, "targetPort": "web", "nodePort": 30080, "name": "web"}],
                 "selector": {"app": "nginx"}, "clusterIP": "10.96.0.50"}
    })
}

fn pvc() -> Value {
    json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "c", "namespace": "default"},
        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
                 "resources": {"requests": {"storage": "1Gi"}}}
    })
}

fn others() -> Vec<Value> {
    vec![
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
               "metadata": {"name": "pdb", "namespace": "default"},
               "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "nginx"}}}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "default"},
               "data": {"a": "b"}}),
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-9"}, "spec": {"unschedulable": true}}),
        json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv-1"},
               "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                        "hostPath": {"path": "/tmp"}, "persistentVolumeReclaimPolicy": "Delete"}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "default"},
               "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d"}},
                        "template": {"metadata": {"labels": {"app": "d"}},
                                     "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}),
    ]
}

fn valid(i: usize) -> Value {
    match i % 9 {
        0 | 1 => sts(),
        2 => pod(),
        3 => service(),
        4 => pvc(),
        n => others().swap_remove(n - 5),
    }
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-3i64..5).prop_map(Value::from),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(1e300)),
        Just(json!(-0.5)),
        Just(json!(2147483648i64)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::String),
        "[a-z0-9%./:=-]{0,8}".prop_map(Value::String),
        prop::sample::select(vec![
            "",
            "-1",
            "0",
            "100%",
            "150%",
            "abc%",
            "1Gi",
            "-1Gi",
            "1e400",
            "1Ei",
            "99999999999999Ti",
            "Always",
            "OnDelete",
            "RollingUpdate",
            "Parallel",
            "Retain",
            "Delete",
            "nginx",
            "web",
            "In",
            "NotIn",
            "Exists",
            "DoesNotExist",
            "ReadWriteOnce",
            "None",
            "ClusterIP",
            "NodePort",
            "LoadBalancer",
            "10.96.0.1",
            "999.1.1.1",
            "app",
            "é",
            "日本",
            "\u{0}",
            "a\nb",
            "apps/v1",
            "v1",
            "Pod",
        ])
        .prop_map(|s| Value::String(s.to_string())),
        (0usize..3000).prop_map(|n| Value::String("x".repeat(n))),
    ]
}

fn any_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z$/]{0,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// One edit somewhere in a value: `path` picks the child at each level (modulo its size).
#[derive(Clone, Debug)]
enum Edit {
    Replace(Vec<usize>, Value),
    Delete(Vec<usize>),
    Insert(Vec<usize>, String, Value),
}

fn edit() -> impl Strategy<Value = Edit> {
    let path = prop::collection::vec(any::<usize>(), 0..8);
    prop_oneof![
        4 => (path.clone(), any_value()).prop_map(|(p, v)| Edit::Replace(p, v)),
        2 => path.clone().prop_map(Edit::Delete),
        1 => (path, "[a-zA-Z]{1,12}", any_value()).prop_map(|(p, k, v)| Edit::Insert(p, k, v)),
    ]
}

fn child(v: &Value, choice: usize) -> Option<(usize, &Value)> {
    match v {
        Value::Object(m) if !m.is_empty() => {
            let n = choice % m.len();
            m.values().nth(n).map(|c| (n, c))
        }
        Value::Array(a) if !a.is_empty() => {
            let n = choice % a.len();
            a.get(n).map(|c| (n, c))
        }
        _ => None,
    }
}

/// Follows `choices` down while `go_on` accepts the child; returns the indices taken.
fn resolve(v: &Value, choices: &[usize], go_on: impl Fn(&Value) -> bool) -> Vec<usize> {
    let mut out = Vec::new();
    let mut cur = v;
    for c in choices {
        match child(cur, *c) {
            Some((n, next)) if go_on(next) => {
                out.push(n);
                cur = next;
            }
            _ => break,
        }
    }
    out
}

fn nav<'a>(v: &'a mut Value, idx: &[usize]) -> &'a mut Value {
    let Some((first, rest)) = idx.split_first() else {
        return v;
    };
    let is_container = matches!(v, Value::Object(_) | Value::Array(_));
    if !is_container {
        return v;
    }
    match v {
        Value::Object(m) => match m.values_mut().nth(*first) {
            Some(c) => nav(c, rest),
            None => unreachable!("resolved index"),
        },
        Value::Array(a) => match a.get_mut(*first) {
            Some(c) => nav(c, rest),
            None => unreachable!("resolved index"),
        },
        _ => unreachable!("checked above"),
    }
}

fn apply_edit(v: &mut Value, e: &Edit) {
    match e {
        Edit::Replace(path, new) => {
            let idx = resolve(v, path, |_| true);
            *nav(v, &idx) = new.clone();
        }
        Edit::Delete(path) => {
            let mut idx = resolve(v, path, |_| true);
            let Some(last) = idx.pop() else { return };
            match nav(v, &idx) {
                Value::Object(m) => {
                    let k = m.keys().nth(last).cloned().unwrap_or_default();
                    m.remove(&k);
                }
                Value::Array(a) => {
                    a.remove(last);
                }
                _ => {}
            }
        }
        Edit::Insert(path, key, new) => {
            let idx = resolve(v, path, |c| c.is_object() || c.is_array());
            match nav(v, &idx) {
                Value::Object(m) => {
                    m.insert(key.clone(), new.clone());
                }
                Value::Array(a) => a.push(new.clone()),
                _ => {}
            }
        }
    }
}

fn mutated() -> impl Strategy<Value = Value> {
    (0usize..9, prop::collection::vec(edit(), 1..4)).prop_map(|(i, edits)| {
        let mut v = valid(i);
        for e in &edits {
            apply_edit(&mut v, e);
        }
        v
    })
}

/// A cluster running the tutorial's StatefulSet (two pods, claims, the headless service).
fn running_cluster() -> (Cluster, Session, MemFiles) {
    let mut cluster = Cluster::new(Config {
        seed: 7,
        ..Config::default()
    });
    let mut files = MemFiles::default();
    files.0.insert("web.yaml".into(), WEB.to_string());
    let mut session = Session::new();
    let (out, code) = session.run_line(&mut cluster, &files, "kubectl apply -f web.yaml");
    assert_eq!(code, 0, "{}", out.combined());
    cluster.settle(120_000);
    (cluster, session, files)
}

fn settles(cluster: &mut Cluster) {
    // Bounded: a hostile object must not make a controller loop forever either.
    cluster.settle(600_000);
}

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("HOSTILE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn kind_of(v: &Value) -> Option<Kind> {
    Kind::from_api_version_kind(object::api_version(v), object::kind(v)).map(|(k, _)| k)
}

proptest! {
    #![proptest_config(config(160))]

    /// (a) Mutated objects through create, update and every patch type, then the controllers.
    #[test]
    fn api_survives_mutated_objects(obj in mutated(), body in any_value(), ops in any_value()) {
        let (mut cluster, _, _) = running_cluster();
        let _ = cluster.api.create(obj.clone());
        settles(&mut cluster);
        // Update the live object of the same kind and name with the mutated one.
        if let Some(kind) = kind_of(&obj) {
            let ns = if kind.namespaced() { "default" } else { "" };
            let name = object::name(&obj).to_string();
            if let Ok(live) = cluster.api.get(kind, ns, &name) {
                let mut upd = obj.clone();
                if let Some(rv) = object::get(&live, &["metadata", "resourceVersion"]).cloned() {
                    object::set(&mut upd, &["metadata", "resourceVersion"], rv);
                }
                let _ = cluster.api.update(upd.clone());
                let _ = cluster.api.update_status(upd);
            }
        }
        // Patch the running StatefulSet and one of its pods with the mutated bodies.
        let spec_patch = json!({"spec": obj.get("spec").cloned().unwrap_or(Value::Null)});
        for (kind, name) in [(Kind::StatefulSet, "web"), (Kind::Pod, "web-0"), (Kind::Service, "nginx")] {
            for pt in [PatchType::StrategicMerge, PatchType::Merge] {
                let _ = cluster.api.patch(kind, "default", name, pt, &spec_patch);
                let _ = cluster.api.patch(kind, "default", name, pt, &body);
                let _ = cluster.api.patch(kind, "default", name, pt, &obj);
            }
            let _ = cluster.api.patch(kind, "default", name, PatchType::Json, &ops);
            let json_ops = json!([{"op": "replace", "path": "/spec", "value": obj.get("spec").cloned().unwrap_or(Value::Null)}]);
            let _ = cluster.api.patch(kind, "default", name, PatchType::Json, &json_ops);
        }
        settles(&mut cluster);
        // The set and its pods are still readable.
        let _ = cluster.api.get(Kind::StatefulSet, "default", "web");
    }

    /// (a') JSON patches made of random operations on random paths.
    #[test]
    fn json_patches_with_random_ops(
        ops in prop::collection::vec((
            prop::sample::select(vec!["add", "remove", "replace", "move", "copy", "test", "frob", ""]),
            prop::sample::select(vec!["/spec/replicas", "/spec/template/spec/containers/0/image",
                "/spec/template/spec/containers/-", "/spec/selector", "/metadata/labels/app",
                "/spec/volumeClaimTemplates/0", "/spec/template/spec/containers/99", "", "/",
                "spec", "/spec/~2", "/spec/template/spec/containers/-1", "/metadata/name",
                "/spec/updateStrategy/rollingUpdate/maxUnavailable", "/status/replicas"]),
            any_value(),
        ), 0..4),
    ) {
        let (mut cluster, _, _) = running_cluster();
        let body: Vec<Value> = ops.iter().map(|(op, path, value)| {
            json!({"op": op, "path": path, "from": "/spec/replicas", "value": value})
        }).collect();
        for (kind, name) in [(Kind::StatefulSet, "web"), (Kind::Pod, "web-1")] {
            let _ = cluster.api.patch(kind, "default", name, PatchType::Json, &Value::Array(body.clone()));
        }
        settles(&mut cluster);
    }
}

/// Byte-level damage to a manifest: inserts YAML's special characters, deletes and repeats.
fn damaged_text() -> impl Strategy<Value = String> {
    let base = prop_oneof![
        Just(WEB.to_string()),
        mutated().prop_map(|v| serde_yaml::to_string(&v).unwrap_or_default()),
        mutated().prop_map(|v| serde_json::to_string_pretty(&v).unwrap_or_default()),
    ];
    let edits = prop::collection::vec(
        (
            any::<usize>(),
            0usize..4,
            prop::sample::select(vec![
                "\t",
                " ",
                "\n",
                "---\n",
                "--- x\n",
                ":",
                "- ",
                "{",
                "}",
                "[",
                "]",
                "\"",
                "'",
                "&a ",
                "*a",
                "!!binary ",
                "<<: *a\n",
                "#",
                "|\n",
                ">-\n",
                "\\",
                "%YAML 1.1\n",
                "?",
                ",",
                "\u{feff}",
                "é",
                "\u{0}",
                "null",
                "~",
                "0x1F",
                "1e999",
                ".inf",
                "-.nan",
            ]),
        ),
        0..6,
    );
    (base, edits).prop_map(|(mut text, edits)| {
        for (at, what, s) in edits {
            let mut cut = at % (text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            match what {
                0 | 1 => text.insert_str(cut, s),
                2 => {
                    let mut end = (cut + 1 + at % 7).min(text.len());
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    text.replace_range(cut..end, "");
                }
                _ => {
                    let tail: String = text[cut..].chars().take(40).collect();
                    text.push_str(&tail);
                }
            }
        }
        text
    })
}

proptest! {
    #![proptest_config(config(200))]

    /// (b) Random and damaged manifests through `kubectl apply -f` and `create -f`.
    #[test]
    fn kubectl_reads_any_manifest(text in prop_oneof![
        3 => damaged_text(),
        1 => ".{0,200}",
        1 => prop::collection::vec(any::<u8>(), 0..200).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]) {
        let (mut cluster, mut session, mut files) = running_cluster();
        files.0.insert("m.yaml".into(), text.clone());
        for line in ["kubectl apply -f m.yaml", "kubectl create -f m.yaml", "kubectl apply -f m.yaml --dry-run=server",
                     "kubectl delete -f m.yaml --wait=false", "cat m.yaml | kubectl apply -f -"] {
            let _ = session.run_line(&mut cluster, &files, line);
        }
        settles(&mut cluster);
    }
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "get", "describe", "apply", "create", "delete", "scale", "patch", "set", "image", "rollout",
            "status", "history", "undo", "restart", "label", "annotate", "cordon", "uncordon", "drain",
            "exec", "run", "logs", "wait", "explain", "api-resources", "version", "edit", "top",
            "sts", "statefulset", "statefulsets.apps", "pods", "po", "pod/web-0", "sts/web", "web", "web-0",
            "svc", "pvc", "pv", "nodes", "node-1", "events", "all", "cm", "ns", "deploy", "-", "--", "/",
            "-o", "-o=yaml", "-ojson", "wide", "name", "jsonpath={.items[*].metadata.name}",
            "jsonpath={.spec", "jsonpath={range .items[*]}{.x}{end}", "custom-columns=A:.metadata.name",
            "go-template={{.x}}", "-l", "app=nginx", "app in (", "!app", "app notin (a,b)", "-n", "kube-system",
            "-A", "--all", "-w", "--watch", "-f", "web.yaml", "m.yaml", "--replicas=-1", "--replicas=3",
            "--replicas", "99999999999999999999", "--timeout=1s", "--timeout=-1s", "--timeout=xyz",
            "--for=condition=Ready", "--for=delete", "--for=jsonpath={.status.phase}=Running",
            "--grace-period=0", "--force", "--grace-period=-5", "--cascade=orphan", "--to-revision=-1",
            "--to-revision=99", "-p", "{\"spec\":{\"replicas\":-1}}", "{\"spec\":", "[{\"op\":\"remove\"}]",
            "--type=json", "--type=merge", "--type=bogus", "--subresource=scale", "--subresource=status",
            "nginx=nginx:1.25", "*=busybox", "=", "a=b", "a-", "--overwrite", "--ignore-daemonsets",
            "--delete-emptydir-data", "-c", "nginx", "-it", "--rm", "--image=busybox", "--restart=Never",
            "--tail=-1", "--tail=3", "--previous", "--since=1h", "-c", "hostname", "sh", "--dry-run=client",
            "--dry-run=server", "--dry-run=bogus", "--show-labels", "-L", "app", "--sort-by=.metadata.name",
            "--sort-by={.x", "--field-selector=status.phase=Running", "--field-selector=x", "--help", "-h",
            "--recursive", "", " ", "é", "\\", "--=", "---", "-", "-1", "0",
        ]).prop_map(str::to_string),
        1 => "[a-z0-9./=:,{}\\[\\]-]{0,10}",
        1 => ".{0,6}",
        1 => (
            prop::sample::select(vec!["-o=jsonpath=", "-o=go-template=", "-o=custom-columns=", "--sort-by=", "--template=", "-l=", "--field-selector="]),
            "[{}\\[\\]().*?@=!<>|$ \"'a-z0-9:,-]{0,16}",
        ).prop_map(|(f, v)| format!("{f}{v}")),
    ]
}

fn verb() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "get",
        "describe",
        "apply",
        "create",
        "delete",
        "scale",
        "patch",
        "set image",
        "rollout status",
        "rollout history",
        "rollout undo",
        "rollout restart",
        "rollout pause",
        "label",
        "annotate",
        "cordon",
        "uncordon",
        "drain",
        "exec",
        "run",
        "logs",
        "wait",
        "explain",
        "api-resources",
        "version",
        "create deployment",
        "create configmap",
        "create service clusterip",
        "create namespace",
        "get sts web -o",
        "get pods -o",
        "get pods -l",
        "patch sts web -p",
        "scale sts web",
        "exec web-0 --",
        "logs web-0",
        "delete pod",
        "wait --for=condition=Ready pod/web-0",
        "explain sts.spec",
        "label pod web-0",
        "drain node-1",
        "top",
    ])
    .prop_map(str::to_string)
}

/// Shell-quotes a token so the session's shell passes it to kubectl as one argument.
fn quote(t: &str) -> String {
    format!("'{}'", t.replace('\'', "'\\''"))
}

proptest! {
    #![proptest_config(config(300))]

    /// (c) Random kubectl command lines.
    #[test]
    fn kubectl_survives_random_command_lines(lines in prop::collection::vec((verb(), prop::collection::vec(token(), 0..7)), 1..4)) {
        let (mut cluster, mut session, files) = running_cluster();
        for (verb, tokens) in &lines {
            let line = ["kubectl".to_string(), verb.clone()]
                .into_iter()
                .chain(tokens.iter().map(|t| quote(t)))
                .collect::<Vec<_>>()
                .join(" ");
            let _ = session.run_line(&mut cluster, &files, &line);
            // An attached shell (exec -it) is left with `exit`.
            if session.attached_to().is_some() {
                let _ = session.run_line(&mut cluster, &files, "exit");
            }
        }
        settles(&mut cluster);
    }
}
