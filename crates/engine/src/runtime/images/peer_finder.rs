//! `peer-finder` (`gcr.io/google_containers/peer-finder`, `registry.k8s.io/e2e-test-images/peer-finder`):
//! the init helper of seed 000. Its entrypoint `/peer-finder` polls the DNS SRV records of a
//! Service until the pod's own name appears, then pipes the sorted peers to its `-on-start`
//! script (the program itself is in the in-pod programs, `pod_shell`). It carries bash.

use super::{Behavior, Fs, Image, ImageDef, Userland};
use serde_json::Value;

pub struct PeerFinder;

impl ImageDef for PeerFinder {
    fn name(&self) -> &'static str {
        "peer-finder"
    }

    fn provides(&self, _repo: &str, base: &str) -> bool {
        base == "peer-finder"
    }

    fn userland(&self) -> Userland {
        Userland::Gnu
    }

    fn size_base(&self) -> u64 {
        10_000_000
    }

    fn commands(&self, _image: &Image) -> &'static [&'static str] {
        &["/peer-finder", "/bin/sh", "/bin/bash"]
    }

    fn layer(&self, _image: &Image, fs: &mut Fs) {
        let _ = fs.mkdir_all("/usr/bin", 0o755);
    }

    fn entrypoint_argv(&self) -> Option<&'static [&'static str]> {
        Some(&["/peer-finder"])
    }

    fn entrypoint(&self, _image: &Image, _container: &Value) -> Behavior {
        Behavior::long_running(0, Vec::new())
    }
}
