//! Tests of the kubelet, the node runtime (file systems, nginx), DNS and node failure, on a
//! real `Cluster` with pods bound by hand (spec.nodeName set here, no scheduler involved).

use crate::api::DeleteOptions;
use crate::dns;
use crate::kinds::Kind;
use crate::object;
use crate::runtime::{nginx_error_page, ContainerRef, FsError, NetError};
use crate::store::{Cursor, EventType};
use crate::time::Time;
use crate::{Cluster, Config};
use serde_json::{json, Value};

fn cluster() -> Cluster {
    Cluster::new(Config::default())
}

fn pod(name: &str, node: &str, image: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "default", "labels": {"app": "nginx"}},
           "spec": {"nodeName": node, "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
                    "containers": [{"name": "nginx", "image": image, "ports": [{"containerPort": 80, "name": "web"}]}]}})
}

fn get(c: &Cluster, name: &str) -> Option<Value> {
    c.api
        .try_get(Kind::Pod, "default", name)
        .map(|p| (**p).clone())
}

fn phase(p: &Value) -> &str {
    object::get_str(p, &["status", "phase"]).unwrap_or("")
}

fn cond(p: &Value, ty: &str) -> String {
    object::get_array(p, &["status", "conditions"])
        .iter()
        .find(|c| object::get_str(c, &["type"]) == Some(ty))
        .and_then(|c| object::get_str(c, &["status"]))
        .unwrap_or("")
        .to_string()
}

fn waiting_reason(p: &Value) -> Option<String> {
    object::get_array(p, &["status", "containerStatuses"])
        .first()
        .and_then(|s| object::get_str(s, &["state", "waiting", "reason"]))
        .map(str::to_string)
}

/// (reason, message) of every Event about `name`, in creation order.
fn events(c: &Cluster, name: &str) -> Vec<(String, String)> {
    let mut evs: Vec<(String, String, String)> = c
        .api
        .list(Kind::Event, Some("default"), &crate::Selector::everything())
        .iter()
        .filter(|e| object::get_str(e, &["involvedObject", "name"]) == Some(name))
        .map(|e| {
            (
                object::get_str(e, &["metadata", "creationTimestamp"])
                    .unwrap_or("")
                    .to_string()
                    + object::name(e),
                object::get_str(e, &["reason"]).unwrap_or("").to_string(),
                object::get_str(e, &["message"]).unwrap_or("").to_string(),
            )
        })
        .collect();
    evs.sort();
    evs.into_iter().map(|(_, r, m)| (r, m)).collect()
}

fn at(c: &Cluster, ns: &str, pod: &str) -> ContainerRef<'static> {
    let _ = c;
    ContainerRef {
        namespace: Box::leak(ns.to_string().into_boxed_str()),
        pod: Box::leak(pod.to_string().into_boxed_str()),
        container: None,
    }
}

/// The names `ls` would show in a container's directory.
fn dir_names(c: &Cluster, at: &ContainerRef<'_>, path: &str) -> Vec<String> {
    let entries = c.runtime.list_dir(&c.api, at, path).unwrap();
    entries.into_iter().map(|e| e.name).collect()
}

#[test]
fn pending_to_running_with_events_and_conditions_in_kubelet_order() {
    let mut c = cluster();
    let t0 = c.now();
    c.api
        .create(pod("web-0", "node-1", "registry.k8s.io/nginx-slim:0.8"))
        .unwrap();
    c.run_now();
    let p = get(&c, "web-0").unwrap();
    assert_eq!(phase(&p), "Pending");
    assert_eq!(waiting_reason(&p).as_deref(), Some("ContainerCreating"));
    let ip = object::get_str(&p, &["status", "podIP"])
        .unwrap()
        .to_string();
    assert!(ip.starts_with("10.244.1."), "{ip}");
    assert_eq!(
        object::get_str(&p, &["status", "hostIP"]),
        Some("172.18.0.2")
    );
    assert_eq!(
        object::get_str(&p, &["status", "qosClass"]),
        Some("BestEffort")
    );
    let types: Vec<&str> = object::get_array(&p, &["status", "conditions"])
        .iter()
        .filter_map(|c| object::get_str(c, &["type"]))
        .collect();
    assert_eq!(
        types,
        [
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
            "PodScheduled"
        ]
    );
    assert!(c.settle(120_000));
    let p = get(&c, "web-0").unwrap();
    assert_eq!(phase(&p), "Running");
    assert_eq!(cond(&p, "Ready"), "True");
    let st = &object::get_array(&p, &["status", "containerStatuses"])[0];
    assert_eq!(object::get_bool(st, &["ready"]), Some(true));
    assert_eq!(object::get_bool(st, &["started"]), Some(true));
    assert_eq!(
        object::get_str(st, &["image"]),
        Some("registry.k8s.io/nginx-slim:0.8")
    );
    assert!(object::get_str(st, &["imageID"])
        .unwrap()
        .starts_with("registry.k8s.io/nginx-slim@sha256:"));
    assert!(object::get_str(st, &["containerID"])
        .unwrap()
        .starts_with("containerd://"));
    let started = object::get_str(st, &["state", "running", "startedAt"]).unwrap();
    let took = Time::parse_rfc3339(started).unwrap().0 - t0.0;
    assert!((2_000..=20_000).contains(&took), "took {took} ms");
    let evs = events(&c, "web-0");
    let reasons: Vec<&str> = evs.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(reasons, ["Pulling", "Pulled", "Created", "Started"]);
    assert_eq!(evs[0].1, "Pulling image \"registry.k8s.io/nginx-slim:0.8\"");
    assert!(
        evs[1]
            .1
            .starts_with("Successfully pulled image \"registry.k8s.io/nginx-slim:0.8\" in "),
        "{}",
        evs[1].1
    );
    assert!(evs[1].1.contains(" including waiting). Image size: "));
    assert_eq!(evs[2].1, "Created container: nginx");
    assert_eq!(evs[3].1, "Started container nginx");
    // Settled means no kubelet timer is left.
    assert!(c.is_idle());

    // The image is cached now: a second pod on the node starts without pulling.
    c.api
        .create(pod("web-1", "node-1", "registry.k8s.io/nginx-slim:0.8"))
        .unwrap();
    let t1 = c.now();
    assert!(c.settle(60_000));
    let evs = events(&c, "web-1");
    assert_eq!(
        evs[0],
        (
            "Pulled".to_string(),
            "Container image \"registry.k8s.io/nginx-slim:0.8\" already present on machine"
                .to_string()
        )
    );
    let p = get(&c, "web-1").unwrap();
    let started = object::get_str(
        &p,
        &[
            "status",
            "containerStatuses",
            "0",
            "state",
            "running",
            "startedAt",
        ],
    );
    let st = &object::get_array(&p, &["status", "containerStatuses"])[0];
    let started = started
        .or(object::get_str(st, &["state", "running", "startedAt"]))
        .unwrap();
    assert!(Time::parse_rfc3339(started).unwrap().0 - t1.0 <= 1_000);
    assert_ne!(object::get_str(&p, &["status", "podIP"]), Some(ip.as_str()));
}

#[test]
fn watch_shows_container_creating_then_running() {
    let mut c = cluster();
    let cursor = c.api.store.head();
    c.api.create(pod("web-0", "node-2", "nginx:1.14")).unwrap();
    c.settle(60_000);
    let seen: Vec<String> = c
        .api
        .store
        .events_since(cursor)
        .unwrap()
        .filter(|e| e.kind == Kind::Pod)
        .map(|e| waiting_reason(e.object()).unwrap_or_else(|| phase(e.object()).to_string()))
        .collect();
    // The API server sets phase Pending on create (pod strategy PrepareForCreate).
    assert_eq!(seen, ["Pending", "ContainerCreating", "Running"]);
}

#[test]
fn init_containers_run_one_at_a_time() {
    let mut c = cluster();
    let mut p = pod("web-0", "node-1", "nginx:1.14");
    p["spec"]["initContainers"] = json!([
        {"name": "a", "image": "busybox:1.28", "command": ["sh", "-c", "sleep 2"]},
        {"name": "b", "image": "busybox:1.28", "command": ["sh", "-c", "sleep 3"]}]);
    c.api.create(p).unwrap();
    c.run_now();
    let p = get(&c, "web-0").unwrap();
    assert_eq!(cond(&p, "Initialized"), "False");
    let init = object::get_array(&p, &["status", "initContainerStatuses"]);
    assert_eq!(init.len(), 2);
    assert_eq!(waiting_reason(&p).as_deref(), Some("PodInitializing"));
    assert!(c.settle(120_000));
    let p = get(&c, "web-0").unwrap();
    assert_eq!(phase(&p), "Running");
    let init = object::get_array(&p, &["status", "initContainerStatuses"]);
    let fin = |i: usize| {
        Time::parse_rfc3339(
            object::get_str(&init[i], &["state", "terminated", "finishedAt"]).unwrap(),
        )
        .unwrap()
    };
    let start = |i: usize| {
        Time::parse_rfc3339(
            object::get_str(&init[i], &["state", "terminated", "startedAt"]).unwrap(),
        )
        .unwrap()
    };
    assert!(start(1) >= fin(0), "b must start after a finished");
    assert_eq!(
        object::get_str(&init[0], &["state", "terminated", "reason"]),
        Some("Completed")
    );
}

#[test]
fn crash_loop_back_off_doubles_from_ten_seconds() {
    let mut c = cluster();
    let mut p = pod("crash", "node-1", "busybox:1.28");
    p["spec"]["containers"][0]["command"] = json!(["sh", "-c", "exit 1"]);
    c.api.create(p).unwrap();
    let mut restarts_at: Vec<(u32, u64)> = Vec::new();
    let mut messages = Vec::new();
    let start = c.now();
    while c.now().0 - start.0 < 400_000 {
        if !c.step_to_next_event() {
            break;
        }
        let p = get(&c, "crash").unwrap();
        let st = &object::get_array(&p, &["status", "containerStatuses"])[0];
        let n = object::get_i64(st, &["restartCount"]).unwrap() as u32;
        if restarts_at.last().is_none_or(|(m, _)| *m != n) {
            restarts_at.push((n, c.now().0 - start.0));
        }
        if let Some(m) = object::get_str(st, &["state", "waiting", "message"]) {
            if !messages.contains(&m.to_string()) {
                messages.push(m.to_string());
            }
        }
    }
    let gaps: Vec<u64> = restarts_at
        .windows(2)
        .map(|w| (w[1].1 - w[0].1) / 1000)
        .collect();
    // First restart right after the crash is noticed, then 10 s, 20 s, 40 s ... 300 s.
    assert!(gaps[0] <= 2, "{restarts_at:?}");
    assert_eq!(gaps[1..], [10, 20, 40, 80, 160, 300], "{restarts_at:?}");
    let uid = object::uid(&get(&c, "crash").unwrap()).to_string();
    assert_eq!(
        messages[0],
        format!("back-off 10s restarting failed container=nginx pod=crash_default({uid})")
    );
    assert!(messages.iter().any(|m| m.starts_with("back-off 20s ")));
    let p = get(&c, "crash").unwrap();
    let st = &object::get_array(&p, &["status", "containerStatuses"])[0];
    assert_eq!(
        object::get_i64(st, &["lastState", "terminated", "exitCode"]),
        Some(1)
    );
    assert_eq!(
        object::get_str(st, &["lastState", "terminated", "reason"]),
        Some("Error")
    );
    assert!(events(&c, "crash").iter().any(|(r, m)| r == "BackOff"
        && m == &format!(
            "Back-off restarting failed container nginx in pod crash_default({uid})"
        )));
}

#[test]
fn graceful_delete_of_nginx_ends_succeeded_then_gone() {
    let mut c = cluster();
    c.api.create(pod("web-0", "node-1", "nginx:1.14")).unwrap();
    c.settle(60_000);
    let cursor = c.api.store.head();
    let t0 = c.now();
    c.api
        .delete(Kind::Pod, "default", "web-0", &DeleteOptions::default())
        .unwrap();
    c.run_now();
    assert!(object::is_terminating(&get(&c, "web-0").unwrap()));
    assert!(c.settle(60_000));
    assert!(get(&c, "web-0").is_none());
    let evs: Vec<_> = c
        .api
        .store
        .events_since(cursor)
        .unwrap()
        .filter(|e| e.kind == Kind::Pod)
        .cloned()
        .collect();
    let last = evs.last().unwrap();
    assert_eq!(last.event_type, EventType::Deleted);
    assert!(
        last.time.0 - t0.0 < 2_000,
        "nginx exits promptly on SIGTERM"
    );
    let before = &evs[evs.len() - 2];
    assert_eq!(phase(before.object()), "Succeeded");
    let st = &object::get_array(before.object(), &["status", "containerStatuses"])[0];
    assert_eq!(
        object::get_str(st, &["state", "terminated", "reason"]),
        Some("Completed")
    );
    assert!(events(&c, "web-0").contains(&(
        "Killing".to_string(),
        "Stopping container nginx".to_string()
    )));
}

#[test]
fn sleep_ignores_sigterm_and_is_killed_after_grace() {
    let mut c = cluster();
    let mut p = pod("sleeper", "node-1", "busybox:1.28");
    p["spec"]["containers"][0]["command"] = json!(["sleep", "3600"]);
    c.api.create(p).unwrap();
    c.settle(60_000);
    assert_eq!(phase(&get(&c, "sleeper").unwrap()), "Running");
    c.api
        .delete(Kind::Pod, "default", "sleeper", &DeleteOptions::default())
        .unwrap();
    c.advance(29_000);
    assert!(get(&c, "sleeper").is_some());
    let cursor = c.api.store.head();
    c.advance(2_000);
    assert!(get(&c, "sleeper").is_none());
    let evs: Vec<_> = c.api.store.events_since(cursor).unwrap().cloned().collect();
    let before = evs
        .iter()
        .rev()
        .find(|e| e.kind == Kind::Pod && e.event_type == EventType::Modified)
        .unwrap();
    assert_eq!(phase(before.object()), "Failed");
    let st = &object::get_array(before.object(), &["status", "containerStatuses"])[0];
    assert_eq!(
        object::get_i64(st, &["state", "terminated", "exitCode"]),
        Some(137)
    );
}

fn pvc_and_pv(c: &mut Cluster, claim: &str, pv: &str) {
    c.api.create(json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": pv},
        "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": format!("/tmp/{pv}")}}})).unwrap();
    c.api.create(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": claim, "namespace": "default"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "volumeName": pv}})).unwrap();
}

fn web_with_pvc(name: &str, node: &str, claim: &str) -> Value {
    let mut p = pod(name, node, "registry.k8s.io/nginx-slim:0.8");
    p["spec"]["containers"][0]["volumeMounts"] =
        json!([{"name": "www", "mountPath": "/usr/share/nginx/html"}]);
    p["spec"]["volumes"] = json!([{"name": "www", "persistentVolumeClaim": {"claimName": claim}}]);
    p
}

#[test]
fn pvc_mount_shadows_image_and_survives_pod_recreation() {
    let mut c = cluster();
    pvc_and_pv(&mut c, "www-web-0", "pv-0");
    c.api
        .create(web_with_pvc("web-0", "node-1", "www-web-0"))
        .unwrap();
    c.settle(60_000);
    let r = at(&c, "default", "web-0");
    // A fresh PV hides the image's index.html: nginx answers 403 for the empty directory.
    let resp = c
        .runtime
        .http_get(&c.api, &r, "localhost", 80, "/")
        .unwrap();
    assert_eq!(resp.status, 403);
    assert_eq!(resp.body, "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body bgcolor=\"white\">\r\n<center><h1>403 Forbidden</h1></center>\r\n<hr><center>nginx/1.11.1</center>\r\n</body>\r\n</html>\r\n");
    assert_eq!(
        c.runtime
            .http_get(&c.api, &r, "localhost", 80, "/nope.html")
            .unwrap()
            .body,
        nginx_error_page(404, "1.11.1")
    );
    assert_eq!(
        c.runtime.http_get(&c.api, &r, "localhost", 8080, "/"),
        Err(NetError::Refused {
            host: "localhost".into(),
            port: 8080
        })
    );
    c.runtime
        .write_file(
            &c.api,
            &r,
            "/usr/share/nginx/html/index.html",
            b"web-0\n",
            false,
        )
        .unwrap();
    let resp = c
        .runtime
        .http_get(&c.api, &r, "localhost", 80, "/")
        .unwrap();
    assert_eq!((resp.status, resp.body.as_str()), (200, "web-0\n"));
    // The access log line goes to stdout like nginx's.
    let logs = c.runtime.logs(&c.api, &r, false).unwrap();
    assert!(logs.contains("\"GET / HTTP/1.1\" 200 6 \"-\""), "{logs}");
    // The image layer is still underneath elsewhere.
    assert!(c
        .runtime
        .read_file(&c.api, &r, "/etc/nginx/nginx.conf")
        .is_ok());
    let hosts = String::from_utf8(c.runtime.read_file(&c.api, &r, "/etc/hosts").unwrap()).unwrap();
    assert!(hosts.ends_with("\tweb-0\n"));
    let resolv =
        String::from_utf8(c.runtime.read_file(&c.api, &r, "/etc/resolv.conf").unwrap()).unwrap();
    assert_eq!(resolv, "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
    // Writable layer file, lost with the pod.
    c.runtime
        .write_file(&c.api, &r, "/tmp/scratch", b"x", false)
        .unwrap();
    let old_ip = c.runtime.sandbox("default", "web-0").unwrap().ip.clone();
    c.api
        .delete(Kind::Pod, "default", "web-0", &DeleteOptions::default())
        .unwrap();
    c.settle(60_000);
    assert!(get(&c, "web-0").is_none());
    c.api
        .create(web_with_pvc("web-0", "node-2", "www-web-0"))
        .unwrap();
    c.settle(60_000);
    let resp = c
        .runtime
        .http_get(&c.api, &r, "localhost", 80, "/")
        .unwrap();
    assert_eq!(resp.body, "web-0\n");
    assert_eq!(
        c.runtime.read_file(&c.api, &r, "/tmp/scratch"),
        Err(FsError::NotFound)
    );
    assert_ne!(c.runtime.sandbox("default", "web-0").unwrap().ip, old_ip);
}

/// The kubelet's files (`/etc/hostname`, `/etc/hosts`, `/etc/resolv.conf`) are written into
/// a container's layer when it is first looked at or written: whichever comes first, the
/// container sees the same files, and a write elsewhere keeps them.
#[test]
fn kubelet_files_are_there_however_the_layer_is_first_touched() {
    let mut c = cluster();
    for name in ["read-first", "write-first"] {
        c.api.create(pod(name, "node-1", "nginx:1.27")).unwrap();
    }
    let mut mounted = pod("mounted", "node-1", "nginx:1.27");
    mounted["spec"]["containers"][0]["volumeMounts"] =
        json!([{"name": "scratch", "mountPath": "/etc/hosts"}]);
    mounted["spec"]["volumes"] = json!([{"name": "scratch", "emptyDir": {}}]);
    c.api.create(mounted).unwrap();
    c.settle(60_000);
    let files = |c: &Cluster, pod: &str| -> Vec<(String, Result<Vec<u8>, FsError>)> {
        let r = at(c, "default", pod);
        ["/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/tmp/x"]
            .iter()
            .map(|p| (p.to_string(), c.runtime.read_file(&c.api, &r, p)))
            .collect()
    };
    let read = files(&c, "read-first");
    let hosts = String::from_utf8(read[1].1.clone().unwrap()).unwrap();
    assert!(
        hosts.starts_with("# Kubernetes-managed hosts file.\n"),
        "{hosts}"
    );
    assert!(hosts.ends_with("\tread-first\n"), "{hosts}");
    assert_eq!(read[0].1, Ok(b"read-first\n".to_vec()));
    assert_eq!(read[3].1, Err(FsError::NotFound));
    let w = at(&c, "default", "write-first");
    c.runtime
        .write_file(&c.api, &w, "/tmp/x", b"1", false)
        .unwrap();
    let written = files(&c, "write-first");
    assert_eq!(written[0].1, Ok(b"write-first\n".to_vec()));
    assert_eq!(written[2].1, read[2].1, "same namespace, same resolv.conf");
    assert_eq!(written[3].1, Ok(b"1".to_vec()));
    let etc = dir_names(&c, &w, "/etc");
    for f in ["hostname", "hosts", "resolv.conf", "nginx"] {
        assert!(etc.contains(&f.to_string()), "{etc:?}");
    }
    // A volume mounted on /etc/hosts: the mount point meets the kubelet's file (as in a
    // layer where the file was written before the mount points were made).
    let m = at(&c, "default", "mounted");
    assert!(c.runtime.read_file(&c.api, &m, "/etc/hostname").is_ok());
    let hosts_entry = c
        .runtime
        .list_dir(&c.api, &m, "/etc")
        .unwrap()
        .into_iter()
        .find(|e| e.name == "hosts")
        .unwrap();
    assert!(!hosts_entry.is_dir, "{hosts_entry:?}");
    // The nginx banner in the log is stamped with the start.
    let log = c.runtime.logs(&c.api, &w, false).unwrap();
    assert!(
        log.starts_with("/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty"),
        "{log}"
    );
    assert_eq!(log.lines().count(), 16, "{log}");
}

#[test]
fn image_index_page_and_restart_loses_writable_layer() {
    let mut c = cluster();
    c.api.create(pod("plain", "node-3", "nginx:1.27")).unwrap();
    c.settle(60_000);
    let r = at(&c, "default", "plain");
    let resp = c
        .runtime
        .http_get(&c.api, &r, "localhost", 80, "/")
        .unwrap();
    assert_eq!(resp.status, 200);
    assert!(resp.body.contains("<title>Welcome to nginx!</title>"));
    assert!(c
        .runtime
        .logs(&c.api, &r, false)
        .unwrap()
        .contains("[notice] 1#1: nginx/1.27.5\n"));
    c.runtime
        .write_file(
            &c.api,
            &r,
            "/usr/share/nginx/html/index.html",
            b"changed",
            false,
        )
        .unwrap();
    c.runtime
        .chmod(&c.api, &r, "/usr/share/nginx/html", 0o750)
        .unwrap();
    assert_eq!(
        c.runtime
            .http_get(&c.api, &r, "localhost", 80, "/")
            .unwrap()
            .status,
        403
    );
    c.sim_kill_container("default", "plain", None).unwrap();
    c.settle(60_000);
    let p = get(&c, "plain").unwrap();
    let st = &object::get_array(&p, &["status", "containerStatuses"])[0];
    assert_eq!(object::get_i64(st, &["restartCount"]), Some(1));
    assert_eq!(
        object::get_i64(st, &["lastState", "terminated", "exitCode"]),
        Some(137)
    );
    let resp = c
        .runtime
        .http_get(&c.api, &r, "localhost", 80, "/")
        .unwrap();
    assert!(
        resp.body.contains("Welcome to nginx!"),
        "restart starts from the image again"
    );
    assert!(c
        .runtime
        .logs(&c.api, &r, true)
        .unwrap()
        .contains("\"GET / HTTP/1.1\" 403 "));
}

#[test]
fn empty_dir_and_config_map_volumes() {
    let mut c = cluster();
    c.api.create(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"},
        "data": {"app.conf": "debug=true\n"}})).unwrap();
    let mut p = pod("vols", "node-1", "nginx:1.27");
    p["spec"]["containers"][0]["volumeMounts"] = json!([
        {"name": "scratch", "mountPath": "/cache"}, {"name": "cfg", "mountPath": "/etc/app"}]);
    p["spec"]["volumes"] =
        json!([{"name": "scratch", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "cfg"}}]);
    c.api.create(p).unwrap();
    c.settle(60_000);
    let r = at(&c, "default", "vols");
    assert_eq!(
        c.runtime
            .read_file(&c.api, &r, "/etc/app/app.conf")
            .unwrap(),
        b"debug=true\n"
    );
    assert_eq!(
        c.runtime.write_file(&c.api, &r, "/etc/app/x", b"1", false),
        Err(FsError::ReadOnly)
    );
    c.runtime
        .write_file(&c.api, &r, "/cache/a", b"1", false)
        .unwrap();
    let names = dir_names(&c, &r, "/");
    assert!(names.contains(&"cache".to_string()));
    c.sim_kill_container("default", "vols", None).unwrap();
    c.settle(60_000);
    assert_eq!(
        c.runtime.read_file(&c.api, &r, "/cache/a").unwrap(),
        b"1",
        "emptyDir survives restarts"
    );
}

fn headless(c: &mut Cluster) {
    c.api.create(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nginx", "namespace": "default"},
        "spec": {"clusterIP": "None", "selector": {"app": "nginx"}, "ports": [{"name": "web", "port": 80, "protocol": "TCP"}]}})).unwrap();
}

fn sts_pod(name: &str, node: &str, subdomain: &str) -> Value {
    let mut p = pod(name, node, "registry.k8s.io/nginx-slim:0.8");
    p["spec"]["hostname"] = json!(name);
    p["spec"]["subdomain"] = json!(subdomain);
    p["spec"]["containers"][0]["readinessProbe"] = json!({"httpGet": {"path": "/", "port": 80}});
    p
}

#[test]
fn dns_answers_for_ready_pods_only_and_needs_matching_subdomain() {
    let mut c = cluster();
    headless(&mut c);
    c.api.create(sts_pod("web-0", "node-1", "nginx")).unwrap();
    c.api.create(sts_pod("web-1", "node-2", "other")).unwrap();
    c.run_now();
    // Not ready yet: NXDOMAIN for the pod name and the service.
    assert_eq!(dns::resolve(&c.api, "default", "web-0.nginx"), Err(()));
    assert_eq!(dns::resolve(&c.api, "default", "nginx"), Err(()));
    c.settle(60_000);
    let ip0 = c.runtime.sandbox("default", "web-0").unwrap().ip.clone();
    let a = dns::resolve(&c.api, "default", "web-0.nginx").unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].ip, ip0);
    assert_eq!(
        a[0].ptr.as_deref(),
        Some("web-0.nginx.default.svc.cluster.local")
    );
    assert_eq!(
        dns::reverse(&c.api, &ip0).as_deref(),
        Some("web-0.nginx.default.svc.cluster.local")
    );
    assert!(dns::resolve(&c.api, "default", "web-0.nginx.default.svc.cluster.local.").is_ok());
    assert!(
        dns::resolve(&c.api, "kube-system", "web-0.nginx").is_err(),
        "other namespace's search path"
    );
    // web-1's subdomain does not match the service: no per-pod record, but it backs the service.
    assert_eq!(dns::resolve(&c.api, "default", "web-1.nginx"), Err(()));
    assert_eq!(dns::resolve(&c.api, "default", "nginx").unwrap().len(), 2);
    // SRV: one per ready endpoint and named port.
    let srv = dns::resolve_srv(&c.api, "default", "_web._tcp.nginx").unwrap();
    assert_eq!(srv.len(), 2);
    assert!(srv
        .iter()
        .any(|s| s.target == "web-0.nginx.default.svc.cluster.local"
            && s.port == 80
            && s.weight == 50));
    assert!(dns::resolve_srv(&c.api, "default", "_http._tcp.nginx").is_err());
    // The kube-dns and kubernetes ClusterIP services.
    assert_eq!(
        dns::resolve(&c.api, "default", "kubernetes").unwrap()[0].ip,
        "10.96.0.1"
    );
    assert_eq!(
        dns::reverse(&c.api, dns::DNS_SERVICE_IP).as_deref(),
        Some("kube-dns.kube-system.svc.cluster.local")
    );
    // A failing readiness probe drops the record; passing brings it back.
    c.sim_set_probe("default", "web-0", None, false).unwrap();
    assert_eq!(cond(&get(&c, "web-0").unwrap(), "Ready"), "False");
    assert_eq!(dns::resolve(&c.api, "default", "web-0.nginx"), Err(()));
    assert!(events(&c, "web-0").iter().any(|(r, m)| r == "Unhealthy"
        && m == "Readiness probe failed: HTTP probe failed with statuscode: 503"));
    c.sim_set_probe("default", "web-0", None, true).unwrap();
    assert_eq!(
        dns::resolve(&c.api, "default", "web-0.nginx").unwrap()[0].ip,
        ip0
    );
    // curl by DNS name from another pod reaches nginx.
    let r = at(&c, "default", "web-1");
    assert_eq!(
        c.runtime
            .http_get(&c.api, &r, "web-0.nginx", 80, "/")
            .unwrap()
            .status,
        200
    );
    assert!(matches!(
        c.runtime.http_get(&c.api, &r, "web-9.nginx", 80, "/"),
        Err(NetError::UnknownHost(_))
    ));
    let hosts = String::from_utf8(
        c.runtime
            .read_file(&c.api, &at(&c, "default", "web-0"), "/etc/hosts")
            .unwrap(),
    )
    .unwrap();
    assert!(hosts.ends_with(&format!(
        "{ip0}\tweb-0.nginx.default.svc.cluster.local\tweb-0\n"
    )));
}

#[test]
fn node_failure_timeline() {
    let mut c = cluster();
    c.api.create(pod("web-1", "node-2", "nginx:1.14")).unwrap();
    c.settle(60_000);
    let t0 = c.now();
    c.sim_fail_node("node-2").unwrap();
    c.advance(49_000);
    assert_eq!(cond(&get(&c, "web-1").unwrap(), "Ready"), "True");
    c.advance(1_000);
    let node = c.api.get(Kind::Node, "", "node-2").unwrap();
    let ready = &object::get_array(&node, &["status", "conditions"])[0];
    assert_eq!(object::get_str(ready, &["status"]), Some("Unknown"));
    assert_eq!(
        object::get_str(ready, &["message"]),
        Some("Kubelet stopped posting node status.")
    );
    let taints: Vec<(&str, &str)> = object::get_array(&node, &["spec", "taints"])
        .iter()
        .map(|t| {
            (
                object::get_str(t, &["key"]).unwrap(),
                object::get_str(t, &["effect"]).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        taints,
        [
            ("node.kubernetes.io/unreachable", "NoSchedule"),
            ("node.kubernetes.io/unreachable", "NoExecute")
        ]
    );
    let p = get(&c, "web-1").unwrap();
    assert_eq!(cond(&p, "Ready"), "False");
    assert!(
        object::get(&p, &["status", "containerStatuses",]).unwrap()[0]["state"]
            .get("running")
            .is_some(),
        "stale"
    );
    assert!(events(&c, "web-1").contains(&("NodeNotReady".into(), "Node is not ready".into())));
    // 300 s of toleration, then the taint manager deletes it; it stays Terminating.
    c.advance_to(t0.plus_secs(50 + 299));
    assert!(!object::is_terminating(&get(&c, "web-1").unwrap()));
    c.advance(1_000);
    let p = get(&c, "web-1").unwrap();
    assert!(object::is_terminating(&p));
    assert_eq!(cond(&p, "DisruptionTarget"), "True");
    assert!(events(&c, "web-1").contains(&(
        "TaintManagerEviction".into(),
        "Marking for deletion Pod default/web-1".into()
    )));
    assert!(c.settle(3_600_000), "no timers while the node is down");
    assert!(get(&c, "web-1").is_some());
    c.sim_recover_node("node-2").unwrap();
    c.settle(60_000);
    assert!(get(&c, "web-1").is_none());
    let node = c.api.get(Kind::Node, "", "node-2").unwrap();
    assert!(object::get_array(&node, &["spec", "taints"]).is_empty());
    assert!(c.is_idle());
}

#[test]
fn same_seed_same_history() {
    let run = || {
        let mut c = cluster();
        c.api.create(pod("a", "node-1", "nginx")).unwrap();
        c.api.create(pod("b", "node-2", "nginx")).unwrap();
        c.settle(60_000);
        c.api
            .store
            .events_since(Cursor(0))
            .unwrap()
            .map(|e| serde_json::to_string(&**e.object()).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

/// A failing tcpSocket readiness probe is reported with the pod's address, as the kubelet's
/// dialer words it (the sandbox is advanced in place, so its IP is at hand).
#[test]
fn tcp_readiness_failure_names_the_pod_ip() {
    let mut c = cluster();
    let mut p = pod("web-0", "node-1", "registry.k8s.io/nginx-slim:0.8");
    p["spec"]["containers"][0]["readinessProbe"] = json!({"tcpSocket": {"port": 80}});
    c.api.create(p).unwrap();
    assert!(c.settle(120_000));
    let ip = object::get_str(&get(&c, "web-0").unwrap(), &["status", "podIP"])
        .unwrap_or("")
        .to_string();
    assert!(!ip.is_empty());
    c.sim_set_probe("default", "web-0", None, false).unwrap();
    let want = format!("Readiness probe failed: dial tcp {ip}:80: connect: connection refused");
    let evs = events(&c, "web-0");
    assert!(
        evs.iter().any(|(r, m)| r == "Unhealthy" && *m == want),
        "{evs:?}"
    );
}
