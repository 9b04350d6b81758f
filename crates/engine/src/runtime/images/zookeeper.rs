//! `gcr.io/google_samples/k8szk` (the 2016 blog's image) and
//! `registry.k8s.io/kubernetes-zookeeper` (the ZooKeeper tutorial's): a Debian userland with a
//! JVM and ZooKeeper 3.4. Its start command (`zkGenConfig.sh && zkServer.sh start-foreground`,
//! `start-zookeeper --servers=3 ...`) writes `myid` and `zoo.cfg` and then serves on 2181,
//! 2888 and 3888 until stopped. The ensemble model (quorum, replication through the members'
//! data dirs, zkCli.sh and friends) lives in `crate::zookeeper`; this entry only declares the
//! image and plugs that model into the runtime's start.

use super::{Behavior, Fs, Image, ImageDef, Userland, DEBIAN_OS_RELEASE};
use crate::zookeeper::Flavor;
use serde_json::Value;

pub struct ZooKeeper;

impl ImageDef for ZooKeeper {
    fn name(&self) -> &'static str {
        "zookeeper"
    }

    fn provides(&self, _repo: &str, base: &str) -> bool {
        matches!(base, "k8szk" | "kubernetes-zookeeper")
    }

    fn version(&self, base: &str, _tag: &str) -> String {
        match base {
            "k8szk" => Flavor::K8sZk.version().to_string(),
            _ => Flavor::KubernetesZookeeper.version().to_string(),
        }
    }

    fn userland(&self) -> Userland {
        Userland::Gnu
    }

    fn size_base(&self) -> u64 {
        120_000_000
    }

    /// The scripts differ between the two images (the blog's `zkOk.sh`/`zkGenConfig.sh`,
    /// the tutorial's `zookeeper-ready`/`start-zookeeper`); this list is the only place
    /// that says which image carries which.
    fn commands(&self, image: &Image) -> &'static [&'static str] {
        match Flavor::of_image(&image.full) {
            Some(Flavor::K8sZk) => &[
                "/bin/sh",
                "/bin/bash",
                "/bin/ps",
                "/usr/bin/java",
                "/bin/nc",
                "/usr/bin/zkCli.sh",
                "/usr/bin/zkServer.sh",
                "/usr/bin/zkOk.sh",
                "/usr/bin/zkGenConfig.sh",
            ],
            _ => &[
                "/bin/sh",
                "/bin/bash",
                "/bin/ps",
                "/usr/bin/java",
                "/bin/nc",
                "/usr/bin/zkCli.sh",
                "/usr/bin/zkServer.sh",
                "/usr/bin/start-zookeeper",
                "/usr/bin/zookeeper-ready",
            ],
        }
    }

    fn layer(&self, _image: &Image, fs: &mut Fs) {
        for d in [
            "/lib",
            "/sbin",
            "/usr/bin",
            "/usr/lib",
            "/usr/lib/jvm/java-8-openjdk-amd64/bin",
            "/var/log/zookeeper",
            "/opt/zookeeper/conf",
            "/opt/zookeeper/bin",
        ] {
            let _ = fs.mkdir_all(d, 0o755);
        }
        fs.put("/etc/os-release", 0o644, DEBIAN_OS_RELEASE.as_bytes());
    }

    // The start script (`start-zookeeper`, `zkGenConfig.sh && zkServer.sh start-foreground`)
    // is modelled by `on_start` and `command_listens`, not run line by line.
    fn runs_commands(&self) -> bool {
        false
    }

    fn entrypoint(&self, _image: &Image, container: &Value) -> Behavior {
        // Without a command the image's default is a shell, which exits without a terminal.
        if super::interactive(container) {
            return Behavior::long_running(200, Vec::new());
        }
        Behavior {
            exits: Some((50, 0)),
            on_sigterm: Some(0),
            listens: Vec::new(),
            output: String::new(),
        }
    }

    fn command_listens(&self, _image: &Image, script: &str) -> Vec<u16> {
        if script.contains("zkServer.sh") || script.contains("start-zookeeper") {
            vec![2181, 2888, 3888]
        } else {
            Vec::new()
        }
    }

    fn on_start(&self, p: &mut super::Process<'_>) -> Option<String> {
        // The start script runs in the main container only.
        if p.init {
            return None;
        }
        Some(crate::zookeeper::on_start(
            p.api,
            p.runtime,
            p.namespace,
            p.pod,
            p.hostname,
            p.fqdn,
            p.spec,
            p.now,
        ))
    }
}
