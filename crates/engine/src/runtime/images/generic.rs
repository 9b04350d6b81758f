//! Any image the catalog has no entry for (`quay.io/mhausenblas/jump:0.2`, `k8s.gcr.io/pause`):
//! a Debian-like userland with a shell, whose entrypoint runs until it is stopped.
//!
//! It must stay last in `CATALOG`: it provides every image.

use super::{declared_ports, Behavior, Fs, Image, ImageDef, Userland, DEBIAN_OS_RELEASE};
use serde_json::Value;

pub struct Generic;

impl ImageDef for Generic {
    fn name(&self) -> &'static str {
        "generic"
    }

    fn provides(&self, _repo: &str, _base: &str) -> bool {
        true
    }

    fn userland(&self) -> Userland {
        Userland::Gnu
    }

    fn size_base(&self) -> u64 {
        30_000_000
    }

    fn commands(&self, _image: &Image) -> &'static [&'static str] {
        &["/bin/sh", "/bin/bash", "/usr/bin/curl"]
    }

    fn layer(&self, _image: &Image, fs: &mut Fs) {
        for d in [
            "/lib",
            "/sbin",
            "/usr/bin",
            "/usr/lib",
            "/usr/local/bin",
            "/var/log",
            "/opt",
        ] {
            let _ = fs.mkdir_all(d, 0o755);
        }
        fs.put("/etc/os-release", 0o644, DEBIAN_OS_RELEASE.as_bytes());
    }

    /// Listens on the ports the pod declares; what it answers there is unknown, so a
    /// request gets an empty reply.
    fn runs_commands(&self) -> bool {
        false
    }

    fn entrypoint(&self, _image: &Image, container: &Value) -> Behavior {
        Behavior::long_running(200, declared_ports(container))
    }
}
