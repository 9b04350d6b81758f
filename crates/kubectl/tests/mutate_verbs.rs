//! Verb tests for create/apply/delete/scale/patch/set/label/annotate/cordon/rollout against a
//! real simulated cluster, checking kubectl 1.33's exact output.

use kubeplay_engine::{object, Cluster, Config, Kind};
use kubeplay_kubectl::cmd;
use kubeplay_kubectl::context::MemFiles;
use kubeplay_kubectl::{Kubectl, Output};
use std::collections::BTreeMap;

const WEB: &str = "apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  selector:
    app: nginx
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: \"nginx\"
  replicas: 2
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.24
        ports:
        - containerPort: 80
          name: web
";

struct T {
    cluster: Cluster,
    files: MemFiles,
}

impl T {
    fn new() -> T {
        let mut files = BTreeMap::new();
        files.insert("web.yaml".to_string(), WEB.to_string());
        T {
            cluster: Cluster::new(Config::default()),
            files: MemFiles(files),
        }
    }

    fn file(&mut self, name: &str, text: &str) {
        self.files.0.insert(name.into(), text.into());
    }

    /// Runs a kubectl command line; returns (exit code, stdout, stderr).
    fn run(&mut self, line: &str) -> (i32, String, String) {
        let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        self.run_args(&args)
    }

    fn run_args(&mut self, args: &[String]) -> (i32, String, String) {
        let mut k = Kubectl {
            cluster: &mut self.cluster,
            namespace: "default".into(),
            files: &self.files,
            stdin: String::new(),
        };
        let mut out = Output::new();
        let code = cmd::run(&mut k, args, &mut out);
        (code, out.stdout(), out.stderr())
    }
}

#[test]
fn create_reports_each_document_and_collects_errors() {
    let mut t = T::new();
    let (code, out, err) = t.run("create -f web.yaml");
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, "service/nginx created\nstatefulset.apps/web created\n");
    let (code, out, err) = t.run("create -f web.yaml");
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "Error from server (AlreadyExists): error when creating \"web.yaml\": services \"nginx\" already exists\nError from server (AlreadyExists): error when creating \"web.yaml\": statefulsets.apps \"web\" already exists\n"
    );
    let (code, _, err) = t.run("create -f nope.yaml");
    assert_eq!(
        (code, err.as_str()),
        (1, "error: the path \"nope.yaml\" does not exist\n")
    );
    t.file("bad.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  ports:\n  - port: 80 name: web\n");
    let (code, _, err) = t.run("create -f bad.yaml");
    assert_eq!(code, 1);
    assert_eq!(err, "error: error parsing bad.yaml: error converting YAML to JSON: yaml: line 7: mapping values are not allowed in this context\n");
    let (_, out, _) = t.run("create namespace team-a");
    assert_eq!(out, "namespace/team-a created\n");
}

#[test]
fn apply_creates_configures_and_leaves_unchanged() {
    let mut t = T::new();
    let (code, out, _) = t.run("apply -f web.yaml");
    assert_eq!(code, 0);
    assert_eq!(out, "service/nginx created\nstatefulset.apps/web created\n");
    let svc = t
        .cluster
        .api
        .get(Kind::Service, "default", "nginx")
        .unwrap();
    let la = object::annotation(&svc, "kubectl.kubernetes.io/last-applied-configuration").unwrap();
    assert_eq!(
        la,
        "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"nginx\"},\"name\":\"nginx\",\"namespace\":\"default\"},\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"name\":\"web\",\"port\":80}],\"selector\":{\"app\":\"nginx\"}}}\n"
    );
    let (_, out, _) = t.run("apply -f web.yaml");
    assert_eq!(
        out,
        "service/nginx unchanged\nstatefulset.apps/web unchanged\n"
    );
    t.file(
        "web.yaml",
        &WEB.replace("replicas: 2", "replicas: 3").replace(
            "  labels:\n    app: nginx\nspec:\n  ports",
            "spec:\n  ports",
        ),
    );
    let (_, out, _) = t.run("apply -f web.yaml");
    assert_eq!(
        out,
        "service/nginx configured\nstatefulset.apps/web configured\n"
    );
    let sts = t
        .cluster
        .api
        .get(Kind::StatefulSet, "default", "web")
        .unwrap();
    assert_eq!(object::get_i64(&sts, &["spec", "replicas"]), Some(3));
    let svc = t
        .cluster
        .api
        .get(Kind::Service, "default", "nginx")
        .unwrap();
    assert!(
        object::label(&svc, "app").is_none(),
        "label removed from the manifest is deleted"
    );
}

#[test]
fn apply_warns_when_the_annotation_is_missing() {
    let mut t = T::new();
    t.run("create -f web.yaml");
    let (code, out, err) = t.run("apply -f web.yaml");
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "service/nginx configured\nstatefulset.apps/web configured\n"
    );
    assert!(err.starts_with("Warning: resource services/nginx is missing the kubectl.kubernetes.io/last-applied-configuration annotation which is required by kubectl apply."), "{err}");
}

#[test]
fn scale_patch_and_set_image() {
    let mut t = T::new();
    t.run("create -f web.yaml");
    let (_, out, _) = t.run("scale statefulset web --replicas=5");
    assert_eq!(out, "statefulset.apps/web scaled\n");
    let (code, _, err) = t.run("scale sts web --replicas=3 --current-replicas=2");
    assert_eq!(
        (code, err.as_str()),
        (1, "error: Expected replicas to be 2, was 5\n")
    );
    // cobra's required-flag check, before anything else (kubectl 1.33).
    let (code, _, err) = t.run("scale sts web");
    assert_eq!(
        (code, err.as_str()),
        (1, "error: required flag(s) \"replicas\" not set\n")
    );
    let (code, _, err) = t.run("scale sts web --replicas=x");
    assert_eq!(
        (code, err.as_str()),
        (1, "error: invalid argument \"x\" for \"--replicas\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\nSee 'kubectl scale --help' for usage.\n")
    );
    let (code, _, err) = t.run("scale sts web --replicas=-1");
    assert_eq!((code, err.as_str()), (1, "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n"));
    let (_, out, _) =
        t.run_args(&["patch", "sts", "web", "-p", "{\"spec\":{\"replicas\":3}}"].map(String::from));
    assert_eq!(out, "statefulset.apps/web patched\n");
    let (_, out, _) = t.run_args(
        &[
            "patch",
            "statefulset",
            "web",
            "-p",
            "{\"spec\":{\"replicas\":3}}",
        ]
        .map(String::from),
    );
    assert_eq!(out, "statefulset.apps/web patched (no change)\n");
    let (_, out, _) = t.run_args(&["patch", "statefulset", "web", "--type=json", "-p=[{\"op\": \"replace\", \"path\": \"/spec/template/spec/containers/0/image\", \"value\":\"registry.k8s.io/nginx-slim:0.21\"}]"].map(String::from));
    assert_eq!(out, "statefulset.apps/web patched\n");
    let (code, _, err) = t.run_args(
        &[
            "patch",
            "statefulset",
            "web",
            "--type=json",
            "-p=[{\"op\": \"replace\", \"path\": \"/spec/nope/0\", \"value\":1}]",
        ]
        .map(String::from),
    );
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "The request is invalid: the server rejected our request due to an error in our request\n"
    );
    let (code, _, err) = t.run("patch pod web-9 -p {}");
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "Error from server (NotFound): pods \"web-9\" not found\n"
        )
    );
    let (_, out, _) = t.run("set image sts/web nginx=nginx:1.25");
    assert_eq!(out, "statefulset.apps/web image updated\n");
    let sts = t
        .cluster
        .api
        .get(Kind::StatefulSet, "default", "web")
        .unwrap();
    assert_eq!(
        object::get_str(
            &sts,
            &["spec", "template", "spec", "containers", "0", "image"]
        ),
        Some("nginx:1.25")
    );
    let (code, _, err) = t.run("set image statefulset web x=nginx");
    assert_eq!(
        (code, err.as_str()),
        (1, "error: unable to find container named \"x\"\n")
    );
}

#[test]
fn label_annotate_and_cordon() {
    let mut t = T::new();
    t.run("create -f web.yaml");
    let (_, out, _) = t.run("label svc nginx tier=web");
    assert_eq!(out, "service/nginx labeled\n");
    let (code, _, err) = t.run("label svc nginx app=other");
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "error: 'app' already has a value (nginx), and --overwrite is false\n"
        )
    );
    let (_, out, _) = t.run("label svc nginx app=other --overwrite");
    assert_eq!(out, "service/nginx labeled\n");
    let (_, out, _) = t.run("label svc nginx tier-");
    assert_eq!(out, "service/nginx unlabeled\n");
    let (_, out, _) = t.run("annotate sts web note=hi");
    assert_eq!(out, "statefulset.apps/web annotated\n");
    let (code, _, err) = t.run("annotate sts web note=bye");
    assert_eq!((code, err.as_str()), (1, "error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (hi)\n"));
    let (_, out, _) = t.run("cordon node-1");
    assert_eq!(out, "node/node-1 cordoned\n");
    let (_, out, _) = t.run("cordon node-1");
    assert_eq!(out, "node/node-1 already cordoned\n");
    let (_, out, _) = t.run("uncordon node/node-1");
    assert_eq!(out, "node/node-1 uncordoned\n");
    let (code, _, err) = t.run("cordon node-9");
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "Error from server (NotFound): nodes \"node-9\" not found\n"
        )
    );
}

#[test]
fn delete_forms_and_messages() {
    let mut t = T::new();
    t.run("create -f web.yaml");
    let (code, out, err) = t.run("delete statefulset web --cascade=false");
    assert_eq!(code, 0);
    assert_eq!(err, "warning: --cascade=false is deprecated (boolean value) and can be replaced with --cascade=orphan.\n");
    assert_eq!(out, "statefulset.apps \"web\" deleted\n");
    let (code, out, err) = t.run("delete service nginx nope");
    assert_eq!(code, 1);
    assert_eq!(out, "service \"nginx\" deleted\n");
    assert_eq!(
        err,
        "Error from server (NotFound): services \"nope\" not found\n"
    );
    let (code, out, _) = t.run("delete pod -l app=nginx");
    assert_eq!((code, out.as_str()), (0, "No resources found\n"));
    let (code, _, err) = t.run("delete");
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: You must provide one or more resources by argument or filename.\n")
    );
    let (_, out, _) = t.run("delete svc nope --ignore-not-found");
    assert_eq!(out, "");
    let (code, _, err) = t.run("delete svc x --cascade=maybe");
    assert_eq!((code, err.as_str()), (1, "error: invalid cascade value (maybe). Must be \"background\", \"foreground\", or \"orphan\".\n"));
}

#[test]
fn rollout_history_undo_and_restart_for_statefulsets() {
    let mut t = T::new();
    t.run("create -f web.yaml");
    let sts = t
        .cluster
        .api
        .get(Kind::StatefulSet, "default", "web")
        .unwrap();
    // Stand-in for the controller: two revisions owned by the set.
    for (rev, image) in [(1, "nginx:1"), (2, "registry.k8s.io/nginx-slim:0.24")] {
        let mut tpl = object::get(&sts, &["spec", "template"]).unwrap().clone();
        tpl["spec"]["containers"][0]["image"] = serde_json::json!(image);
        tpl["$patch"] = serde_json::json!("replace");
        let owner = object::OwnerRef::controller_of(&sts).to_value();
        t.cluster.api.create(serde_json::json!({
            "apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": {"name": format!("web-{rev}"), "namespace": "default", "ownerReferences": [owner]},
            "data": {"spec": {"template": tpl}}, "revision": rev
        })).unwrap();
    }
    let (_, out, _) = t.run("rollout history sts/web");
    assert_eq!(
        out,
        "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    );
    let (_, out, _) = t.run("rollout undo sts/web --to-revision=2");
    assert_eq!(
        out,
        "statefulset.apps/web skipped rollback (current template already matches revision 2)\n"
    );
    let (_, out, _) = t.run("rollout undo sts/web");
    assert_eq!(out, "statefulset.apps/web rolled back\n");
    let sts = t
        .cluster
        .api
        .get(Kind::StatefulSet, "default", "web")
        .unwrap();
    assert_eq!(
        object::get_str(
            &sts,
            &["spec", "template", "spec", "containers", "0", "image"]
        ),
        Some("nginx:1")
    );
    let (code, _, err) = t.run("rollout undo sts/web --to-revision=7");
    assert_eq!(
        (code, err.as_str()),
        (1, "error: unable to find specified revision 7 in history\n")
    );
    let (_, out, _) = t.run("rollout restart sts/web");
    assert_eq!(out, "statefulset.apps/web restarted\n");
    let sts = t
        .cluster
        .api
        .get(Kind::StatefulSet, "default", "web")
        .unwrap();
    assert!(object::get_str(
        &sts,
        &[
            "spec",
            "template",
            "metadata",
            "annotations",
            "kubectl.kubernetes.io/restartedAt"
        ]
    )
    .is_some());
}

#[test]
fn rollout_status_messages_follow_s6_7() {
    let mut sts = serde_json::json!({"metadata": {"name": "web", "generation": 2},
        "spec": {"replicas": 3, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}},
        "status": {"observedGeneration": 1}});
    let msg = |v: &serde_json::Value| {
        kubeplay_kubectl::cmd::rollout::status_message(Kind::StatefulSet, v).unwrap()
    };
    assert_eq!(
        msg(&sts),
        (
            "Waiting for statefulset spec update to be observed...\n".into(),
            false
        )
    );
    sts["status"] = serde_json::json!({"observedGeneration": 2, "readyReplicas": 1});
    assert_eq!(msg(&sts).0, "Waiting for 2 pods to be ready...\n");
    sts["status"] =
        serde_json::json!({"observedGeneration": 2, "readyReplicas": 3, "updatedReplicas": 3});
    assert_eq!(
        msg(&sts),
        (
            "partitioned roll out complete: 3 new pods have been updated...\n".into(),
            true
        )
    );
    sts["spec"]["updateStrategy"] = serde_json::json!({"type": "OnDelete"});
    assert!(kubeplay_kubectl::cmd::rollout::status_message(Kind::StatefulSet, &sts).is_err());
}
