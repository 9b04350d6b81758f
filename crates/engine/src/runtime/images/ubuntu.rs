//! `ubuntu` (seed 000's VM-like StatefulSet runs `ubuntu:15.10`): a shell, GNU coreutils and
//! `apt-get`/`dpkg`, procps `ps` up to 16.04 (no curl, nginx or netcat until installed);
//! its entrypoint (`bash` with a terminal, or the pod's command) runs until stopped.

use super::{Behavior, Fs, Image, ImageDef, Userland};
use serde_json::Value;

pub struct Ubuntu;

impl ImageDef for Ubuntu {
    fn name(&self) -> &'static str {
        "ubuntu"
    }

    fn provides(&self, _repo: &str, base: &str) -> bool {
        base == "ubuntu"
    }

    fn userland(&self) -> Userland {
        Userland::Gnu
    }

    fn size_base(&self) -> u64 {
        30_000_000
    }

    /// Images up to 16.04 ship procps (`ps`); the minimised images from 18.04 on do not.
    fn commands(&self, image: &Image) -> &'static [&'static str] {
        match image.tag.as_str() {
            "14.04" | "trusty" | "15.10" | "wily" | "16.04" | "xenial" => &[
                "/bin/sh",
                "/bin/bash",
                "/bin/ps",
                "/usr/bin/apt-get",
                "/usr/bin/dpkg",
            ],
            _ => &["/bin/sh", "/bin/bash", "/usr/bin/apt-get", "/usr/bin/dpkg"],
        }
    }

    fn layer(&self, image: &Image, fs: &mut Fs) {
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
        fs.put("/etc/os-release", 0o644, os_release(&image.tag).as_bytes());
    }

    fn entrypoint(&self, _image: &Image, _container: &Value) -> Behavior {
        Behavior::long_running(200, Vec::new())
    }
}

/// `/etc/os-release` of the release a tag names (`15.10` is wily, `latest` noble).
fn os_release(tag: &str) -> String {
    let (version, codename) = match tag {
        "14.04" | "trusty" => ("14.04", "trusty"),
        "15.10" | "wily" => ("15.10", "wily"),
        "16.04" | "xenial" => ("16.04", "xenial"),
        "18.04" | "bionic" => ("18.04", "bionic"),
        "20.04" | "focal" => ("20.04", "focal"),
        "22.04" | "jammy" => ("22.04", "jammy"),
        _ => ("24.04", "noble"),
    };
    format!(
        "NAME=\"Ubuntu\"\nVERSION_ID=\"{version}\"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME=\"Ubuntu {version}\"\nVERSION_CODENAME={codename}\nHOME_URL=\"https://www.ubuntu.com/\"\n"
    )
}
