//! Life inside the pods (issue 3, acceptance 2 and 3): what `apt-get` installs survives a pod's
//! deletion only where the path is on a volume, the writable layer is lost on restart, a pod
//! that is not ready is absent from DNS, and images carry exactly their commands, failing with
//! the real tools' messages.

use kubeplay_engine::{Cluster, Config};
use kubeplay_kubectl::context::MemFiles;
use kubeplay_kubectl::session::Session;

/// A StatefulSet of one ubuntu pod; `/usr/sbin` is a PVC, `/etc` and `/var` are not. (A PVC
/// on all of `/usr` would hide the image's own `/usr/bin/apt-get`, which is why seed 000 copies
/// the image's directories into its volumes from an init container first.)
const VM: &str = "apiVersion: v1
kind: Service
metadata:
  name: ub
spec:
  clusterIP: None
  selector:
    app: ub
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: vm
spec:
  serviceName: ub
  replicas: 1
  selector:
    matchLabels:
      app: ub
  template:
    metadata:
      labels:
        app: ub
    spec:
      containers:
      - name: ub
        image: ubuntu:15.10
        command: [/bin/sh, -c, 'while true; do sleep 10; done']
        volumeMounts:
        - name: usr
          mountPath: /usr/sbin
  volumeClaimTemplates:
  - metadata:
      name: usr
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 1Gi
";

struct Term {
    cluster: Cluster,
    session: Session,
    files: MemFiles,
}

impl Term {
    fn new() -> Term {
        let mut files = MemFiles::default();
        files.0.insert("vm.yaml".into(), VM.to_string());
        Term {
            cluster: Cluster::new(Config {
                seed: 11,
                ..Config::default()
            }),
            session: Session::new(),
            files,
        }
    }

    /// Runs a line; returns (exit code, stdout, stderr).
    fn run(&mut self, line: &str) -> (i32, String, String) {
        let (out, code) = self.session.run_line(&mut self.cluster, &self.files, line);
        (code, out.stdout(), out.stderr())
    }

    fn ok(&mut self, line: &str) -> String {
        let (code, out, err) = self.run(line);
        assert_eq!(code, 0, "{line}: {out}{err}");
        out
    }
}

#[test]
fn apt_get_files_survive_pod_deletion_only_on_volumes() {
    let mut t = Term::new();
    t.ok("kubectl apply -f vm.yaml");
    t.cluster.settle(120_000);
    // Without package lists apt-get cannot find anything.
    let (code, _, err) = t.run("kubectl exec vm-0 -- apt-get install nginx -y");
    assert_eq!(
        (code, err.as_str()),
        (
            100,
            "E: Unable to locate package nginx\ncommand terminated with exit code 100\n"
        )
    );
    t.ok("kubectl exec vm-0 -- apt-get update");
    let out = t.ok("kubectl exec vm-0 -- apt-get install nginx -y");
    assert!(
        out.contains("Setting up nginx-core (1.9.3-1ubuntu1) ..."),
        "{out}"
    );
    t.ok("kubectl exec vm-0 -- ls /usr/sbin/nginx /etc/nginx/nginx.conf");
    t.ok("kubectl exec vm-0 -- sh -c 'echo scratch > /root/notes'");

    t.ok("kubectl delete pod vm-0");
    t.cluster.settle(120_000);
    // /usr/sbin is the PVC: the binary is still there and found on PATH.
    assert_eq!(t.ok("kubectl exec vm-0 -- ls /usr/sbin"), "nginx\n");
    let (code, _, err) = t.run("kubectl exec vm-0 -- sh -c 'command -v nginx'");
    assert_eq!(code, 0, "{err}");
    // /etc and /root were in the writable layer of the old container: gone.
    let (code, _, err) = t.run("kubectl exec vm-0 -- cat /etc/nginx/nginx.conf /root/notes");
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "cat: /etc/nginx/nginx.conf: No such file or directory\ncat: /root/notes: No such file or directory\ncommand terminated with exit code 1\n"
    );
    // The package lists (under /var) went with it, so a reinstall needs an update first.
    let (code, _, _) = t.run("kubectl exec vm-0 -- apt-get install netcat -y");
    assert_eq!(code, 100);
}

#[test]
fn a_restart_loses_the_writable_layer() {
    let mut t = Term::new();
    t.ok("kubectl run u --image=ubuntu:15.10 --command -- sleep infinity");
    t.cluster.settle(120_000);
    t.ok("kubectl exec u -- sh -c 'apt-get update >/dev/null; apt-get install curl -y >/dev/null; touch /tmp/x'");
    t.ok("kubectl exec u -- ls /tmp/x /usr/bin/curl");
    t.ok("sim kill u");
    t.cluster.settle(120_000);
    let (code, _, err) = t.run("kubectl exec u -- ls /tmp/x");
    assert_eq!((code, err.as_str()), (2, "ls: cannot access '/tmp/x': No such file or directory\ncommand terminated with exit code 2\n"));
    // curl was installed into the lost layer: the image never carried it.
    let (code, _, err) = t.run("kubectl exec u -- curl localhost");
    assert_ne!(code, 0);
    assert!(
        err.contains("exec: \"curl\": executable file not found in $PATH: unknown"),
        "{err}"
    );
}

#[test]
fn nslookup_of_a_pod_that_is_not_ready_fails() {
    let mut t = Term::new();
    t.ok("kubectl apply -f vm.yaml");
    t.ok("kubectl run b --image=busybox:1.28 --command -- sleep 3600");
    t.cluster.settle(120_000);
    let out = t.ok("kubectl exec b -- nslookup vm-0.ub");
    assert!(out.contains("Name:      vm-0.ub\nAddress 1: "), "{out}");
    t.ok("sim probe-fail vm-0");
    t.cluster.settle(120_000);
    let (code, out, err) = t.run("kubectl exec b -- nslookup vm-0.ub");
    assert_eq!(code, 1, "{out}");
    assert!(
        err.starts_with("nslookup: can't resolve 'vm-0.ub'\n"),
        "{err}"
    );
}

#[test]
fn images_carry_their_commands_and_fail_like_the_real_tools() {
    let mut t = Term::new();
    t.ok("kubectl run u --image=ubuntu:15.10 --command -- sleep infinity");
    t.ok("kubectl run b --image=busybox:1.28 --command -- sleep 3600");
    t.ok("kubectl run n --image=nginx:1.25");
    t.ok("kubectl run j --image=quay.io/mhausenblas/jump:0.2 --command -- sleep 3600");
    t.cluster.settle(120_000);
    // Through a shell: Ubuntu's `sh` is dash, which names the line: `sh: 1: X: not found`, 127.
    let (code, _, err) = t.run("kubectl exec u -- sh -c 'nginx -v'");
    assert_eq!(
        (code, err.as_str()),
        (
            127,
            "sh: 1: nginx: not found\ncommand terminated with exit code 127\n"
        )
    );
    // Without a shell: the OCI runtime's exec error.
    for (pod, cmd) in [
        ("u", "curl"),
        ("b", "curl"),
        ("n", "apt-get"),
        ("b", "apt-get"),
    ] {
        let (code, _, err) = t.run(&format!("kubectl exec {pod} -- {cmd}"));
        assert_ne!(code, 0);
        assert!(
            err.contains(&format!(
                "exec: \"{cmd}\": executable file not found in $PATH"
            )),
            "{err}"
        );
    }
    // What each image does carry.
    for (pod, line) in [
        ("u", "apt-get"),
        ("b", "nslookup kubernetes.default"),
        ("n", "curl -s localhost"),
        (
            "j",
            "curl -s n.default.svc.cluster.local:9999 -o /dev/null || true",
        ),
        ("u", "hostname -f"),
        ("u", "whoami"),
        ("u", "printenv HOME"),
        ("u", "date"),
    ] {
        t.ok(&format!("kubectl exec {pod} -- {line}"));
    }
    // Unknown hosts, in each client's words.
    let (code, _, err) = t.run("kubectl exec b -- wget -q -O - http://n");
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "wget: bad address 'n'\ncommand terminated with exit code 1\n"
        )
    );
    let (code, _, err) = t.run("kubectl exec j -- curl n");
    assert_eq!(
        (code, err.as_str()),
        (
            6,
            "curl: (6) Could not resolve host: n\ncommand terminated with exit code 6\n"
        )
    );
    // Bad flags and missing files, in each userland's words.
    let (_, _, err) = t.run("kubectl exec u -- cp -z a b");
    assert_eq!(err, "cp: invalid option -- 'z'\nTry 'cp --help' for more information.\ncommand terminated with exit code 1\n");
    let (_, _, err) = t.run("kubectl exec b -- cat /nope");
    assert_eq!(
        err,
        "cat: can't open '/nope': No such file or directory\ncommand terminated with exit code 1\n"
    );
    let (_, _, err) = t.run("kubectl exec u -- mv /nope /tmp");
    assert_eq!(
        err,
        "mv: cannot stat '/nope': No such file or directory\ncommand terminated with exit code 1\n"
    );
    let (code, _, err) = t.run("kubectl exec u -- apt-get frobnicate");
    assert_eq!(
        (code, err.as_str()),
        (
            100,
            "E: Invalid operation frobnicate\ncommand terminated with exit code 100\n"
        )
    );
}

#[test]
fn cp_copies_trees_without_clobbering() {
    let mut t = Term::new();
    t.ok("kubectl run u --image=ubuntu:15.10 --command -- sleep infinity");
    t.cluster.settle(120_000);
    let out = t.ok("kubectl exec u -- sh -c 'mkdir -p /src/d /dst; echo 1 > /src/a; echo 2 > /src/d/b; echo keep > /dst/a; cp -vnpr /src/* /dst; cat /dst/a /dst/d/b'");
    assert_eq!(
        out,
        "'/src/d' -> '/dst/d'\n'/src/d/b' -> '/dst/d/b'\nkeep\n2\n"
    );
    let (code, _, err) = t.run("kubectl exec u -- cp /src/d /tmp");
    assert_eq!((code, err.as_str()), (1, "cp: -r not specified; omitting directory '/src/d'\ncommand terminated with exit code 1\n"));
}

/// Seed 000's peers StatefulSet: web-0's peer-finder init container finds its own name in the
/// SRV records of the headless Service (which publishes not-ready addresses, S7.2), writes the
/// master's nginx config and exits 0; web-1 proxies to web-0. `kubectl logs -c` reads the init
/// container's log by name.
#[test]
fn peer_finder_init_container_writes_the_master_config() {
    let mut t = Term::new();
    t.files.0.insert(
        "peers.yaml".into(),
        include_str!(
            "../../../static/examples/tutorials/stateful-application/statefulset_peers.yaml"
        )
        .to_string(),
    );
    t.ok("kubectl apply -f peers.yaml");
    t.cluster.settle(120_000);
    let pods = t.ok("kubectl get pods");
    assert!(pods.contains("web-0   1/1     Running   0"), "{pods}");
    assert!(pods.contains("web-1   1/1     Running   0"), "{pods}");
    let log = t.ok("kubectl logs web-0 -c peerfinder");
    assert!(
        log.contains("Peer list updated\nwas []\nnow [web-0.nginx.default.svc.cluster.local]\n"),
        "{log}"
    );
    assert!(log.contains("Peer finder exiting\n"), "{log}");
    assert_eq!(t.ok("kubectl exec web-0 -- curl -s localhost"), "web-0\n");
    assert_eq!(t.ok("kubectl exec web-1 -- curl -s localhost"), "web-0\n");
    // An init container's name that the pod does not have is still an error.
    let (code, _, err) = t.run("kubectl logs web-0 -c nope");
    assert_eq!(code, 1);
    assert_eq!(err, "error: container nope is not valid for pod web-0\n");
    // Without -c kubectl names the init container among the ones it chose from.
    let (_, _, err) = t.run("kubectl exec web-1 -- hostname");
    assert_eq!(
        err,
        "Defaulted container \"nginx\" out of: nginx, peerfinder (init)\n"
    );
}

/// An attached terminal shows its shell's prompt for root: dash (Ubuntu's `sh`) prints `# `,
/// busybox `sh` prints the directory too (`/ # `), bash `root@<host>:/# `.
#[test]
fn attached_shells_show_their_own_prompt() {
    let mut t = Term::new();
    t.ok("kubectl apply -f vm.yaml");
    t.ok("kubectl run b --image=busybox:1.28 --command -- sleep 3600");
    t.cluster.settle(120_000);
    assert_eq!(t.session.prompt(), "$ ");
    t.ok("kubectl exec -it vm-0 -- /bin/sh");
    assert_eq!(t.session.prompt(), "# ");
    t.ok("exit");
    assert_eq!(t.session.prompt(), "$ ");
    t.ok("kubectl exec -it b -- sh");
    assert_eq!(t.session.prompt(), "/ # ");
    t.ok("exit");
    // bash on Debian/Ubuntu: the default PS1 for root, `\u@\h:\w\$ `.
    t.ok("kubectl exec -it vm-0 -- bash");
    assert_eq!(t.session.prompt(), "root@vm-0:/# ");
    t.ok("exit");
}

#[test]
fn shells_word_their_errors_as_dash_ash_and_bash_do() {
    let mut t = Term::new();
    t.ok("kubectl run u --image=ubuntu:16.04 --command -- sleep infinity");
    t.ok("kubectl run b --image=busybox:1.28 --command -- sleep 3600");
    t.cluster.settle(120_000);
    // dash counts the lines of the -c string.
    let (code, _, err) = t.run("kubectl exec u -- sh -c 'true\ntrue\nfrobnicate'");
    assert_eq!(code, 127);
    assert_eq!(
        err,
        "sh: 3: frobnicate: not found\ncommand terminated with exit code 127\n"
    );
    // `sh -c SCRIPT NAME`: dash names $0.
    let (_, _, err) = t.run("kubectl exec u -- sh -c 'frobnicate' myname");
    assert!(
        err.starts_with("myname: 1: frobnicate: not found\n"),
        "{err}"
    );
    // A redirection into a missing directory.
    let (code, _, err) = t.run("kubectl exec u -- sh -c 'echo x > /nope/file'");
    assert_eq!(code, 2);
    assert!(
        err.starts_with("sh: 1: cannot create /nope/file: Directory nonexistent\n"),
        "{err}"
    );
    // busybox ash: no line for -c, its own words for the redirection.
    let (_, _, err) = t.run("kubectl exec b -- sh -c 'true\nfrobnicate'");
    assert!(err.starts_with("sh: frobnicate: not found\n"), "{err}");
    let (_, _, err) = t.run("kubectl exec b -- sh -c 'echo x > /nope/file'");
    assert!(
        err.starts_with("sh: can't create /nope/file: nonexistent directory\n"),
        "{err}"
    );
    // bash.
    let (code, _, err) = t.run("kubectl exec u -- bash -c 'frobnicate'");
    assert_eq!(code, 127);
    assert!(
        err.starts_with("bash: frobnicate: command not found\n"),
        "{err}"
    );
    // A script file dash cannot open (dash 0.5.8 of Ubuntu 16.04).
    let (code, _, err) = t.run("kubectl exec u -- sh /nope.sh");
    assert_eq!(code, 127);
    assert!(err.starts_with("sh: 0: Can't open /nope.sh\n"), "{err}");
}
