//! Every image of the catalog and every command it carries, run in a pod (issue 3,
//! acceptance 3): a normal invocation, a bad flag, a missing file where the tool takes files.
//! The outputs are snapshots under `tests/image_catalog/` (`UPDATE_EXPECT=1` rewrites them; read
//! the diff against the real tool before committing). A command added to an image, or to the
//! tools every image has, without invocations here fails `every_catalog_command_is_exercised`.

use kubeplay_engine::runtime::pod_shell::COMMON_TOOLS;
use kubeplay_engine::runtime::{Image, CATALOG};
use kubeplay_engine::{Cluster, Config};
use kubeplay_kubectl::context::MemFiles;
use kubeplay_kubectl::session::Session;
use std::collections::BTreeSet;

/// One reference per catalog entry (both ZooKeeper images: their scripts differ).
const REFERENCES: &[&str] = &[
    "nginx:1.27",
    "busybox:1.28",
    "alpine:3.20",
    "ubuntu:16.04",
    "quay.io/mhausenblas/mehdb:0.6",
    "gcr.io/google_samples/k8szk:v3",
    "registry.k8s.io/kubernetes-zookeeper:1.0-3.4.10",
    "registry.k8s.io/e2e-test-images/peer-finder:1.0",
    "quay.io/mhausenblas/jump:0.2",
];

/// The command lines each program is tried with (`kubectl exec POD -- <line>`).
fn invocations(command: &str) -> Option<&'static [&'static str]> {
    Some(match command {
        "hostname" => &["hostname", "hostname -f", "hostname --bogus"],
        "cat" => &["cat /etc/hostname", "cat /no/such/file", "cat --bogus"],
        "ls" => &["ls /etc/hostname", "ls /no/such/dir", "ls --bogus"],
        "chmod" => &["chmod 600 /tmp", "chmod 600 /no/such/file", "chmod --bogus"],
        "mkdir" => &["mkdir /tmp/d", "mkdir /no/such/d", "mkdir --bogus"],
        "rm" => &["rm /etc/hostname", "rm /no/such/file", "rm --bogus"],
        "touch" => &["touch /tmp/f", "touch /no/such/f", "touch --bogus"],
        "env" => &["env --bogus"],
        "printenv" => &["printenv HOSTNAME", "printenv NO_SUCH_VARIABLE"],
        "sh" => &[
            "sh -c 'echo $0'",
            "sh /no/such/script",
            "sh -c 'no-such-command'",
        ],
        "bash" => &["bash -c 'echo $0'", "bash /no/such/script"],
        "ash" => &["ash -c 'echo $0'"],
        "sleep" => &["sleep 1", "sleep --bogus"],
        "echo" => &["echo hello world"],
        "printf" => &["printf '%s-%s\\n' a b"],
        "true" => &["true"],
        "false" => &["false"],
        "date" => &["date"],
        "cp" => &[
            "cp /etc/hostname /tmp/h",
            "cp /no/such/file /tmp/x",
            "cp --bogus",
        ],
        "mv" => &[
            "mv /etc/hosts /tmp/h",
            "mv /no/such/file /tmp/x",
            "mv --bogus",
        ],
        "whoami" => &["whoami"],
        "busybox" => &["busybox echo via-busybox", "busybox no-such-applet"],
        "nc" => &["nc -z localhost 1", "nc -z no-such-host 80"],
        "nslookup" => &["nslookup kubernetes.default", "nslookup no-such-host"],
        "wget" => &[
            "wget -qO- http://localhost:1/",
            "wget -qO- http://no-such-host/",
        ],
        "curl" => &["curl -s localhost:1", "curl -sS http://no-such-host/"],
        "apt-get" => &[
            "apt-get install -y nginx",
            "apt-get update",
            "apt-get install -y wget",
            "apt-get --bogus",
        ],
        "dpkg" => &[
            "dpkg -l nginx",
            "dpkg -l wget",
            "dpkg -L wget",
            "dpkg -s wget",
            "dpkg -s nginx",
            "dpkg --bogus",
        ],
        "nginx" => &["nginx -v", "nginx -t", "nginx --bogus"],
        "java" => &["java -version", "java NoSuchClass"],
        "zkCli.sh" => &["zkCli.sh get /no-such-node"],
        "zkServer.sh" => &["zkServer.sh status", "zkServer.sh bogus"],
        "zkOk.sh" => &["zkOk.sh"],
        "zookeeper-ready" => &["zookeeper-ready 2181"],
        "zkGenConfig.sh" => &["zkGenConfig.sh"],
        "start-zookeeper" => &["start-zookeeper --bogus"],
        "ps" => &["ps", "ps -ef", "ps aux"],
        "peer-finder" => &["/peer-finder -bogus"],
        "mehdb" => &["/app/mehdb"],
        _ => return None,
    })
}

/// The commands an image carries: the tools every image has and its own executables.
fn commands_of(image: &Image) -> BTreeSet<String> {
    COMMON_TOOLS
        .iter()
        .map(|c| c.to_string())
        .chain(
            image
                .def()
                .commands(image)
                .iter()
                .map(|p| p.rsplit('/').next().unwrap_or(p).to_string()),
        )
        .collect()
}

#[test]
fn every_catalog_command_is_exercised() {
    let covered: BTreeSet<&str> = REFERENCES.iter().map(|r| Image::parse(r).catalog).collect();
    let names: BTreeSet<&str> = CATALOG.iter().map(|d| d.name()).collect();
    assert_eq!(covered, names, "a catalog image has no reference here");
    let missing: Vec<String> = REFERENCES
        .iter()
        .flat_map(|r| commands_of(&Image::parse(r)))
        .filter(|c| invocations(c).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "commands without invocations: {missing:?}"
    );
}

/// Runs every command of `reference` in a pod and returns the transcript.
fn exercise(reference: &str) -> String {
    let mut cluster = Cluster::new(Config {
        seed: 7,
        ..Config::default()
    });
    let mut session = Session::new();
    let files = MemFiles::default();
    let run = |session: &mut Session, cluster: &mut Cluster, line: &str| {
        let (out, code) = session.run_line(cluster, &files, line);
        let mut text = format!("$ {line}\n{}{}", out.stdout(), out.stderr());
        if code != 0 {
            text.push_str(&format!("[exit {code}]\n"));
        }
        text
    };
    let setup = run(
        &mut session,
        &mut cluster,
        &format!("kubectl run box --image={reference} --command -- sleep infinity"),
    );
    cluster.settle(300_000);
    let mut out = setup;
    out.push_str(&run(
        &mut session,
        &mut cluster,
        "kubectl get pod box -o jsonpath='{.status.phase}{\"\\n\"}'",
    ));
    for command in commands_of(&Image::parse(reference)) {
        for line in invocations(&command).unwrap_or(&[]) {
            out.push_str(&run(
                &mut session,
                &mut cluster,
                &format!("kubectl exec box -- {line}"),
            ));
        }
    }
    // A program the image does not carry, with and without a shell.
    out.push_str(&run(
        &mut session,
        &mut cluster,
        "kubectl exec box -- no-such-program",
    ));
    out.push_str(&run(
        &mut session,
        &mut cluster,
        "kubectl exec box -- sh -c no-such-program",
    ));
    out
}

#[test]
fn every_image_runs_its_commands_with_the_real_tools_messages() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/image_catalog");
    for reference in REFERENCES {
        let name = reference
            .rsplit('/')
            .next()
            .unwrap_or(reference)
            .replace(':', "_");
        let path = dir.join(format!("{name}.txt"));
        expect_test::expect_file![path].assert_eq(&exercise(reference));
    }
}
