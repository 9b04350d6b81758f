//! `alpine`: busybox applets on musl, so the busybox wording of the tools; its default command
//! is `/bin/sh`, which exits at once without a terminal, as busybox's does.

use super::{Behavior, Fs, Image, ImageDef, Userland};
use serde_json::Value;

pub struct Alpine;

impl ImageDef for Alpine {
    fn name(&self) -> &'static str {
        "alpine"
    }

    fn provides(&self, _repo: &str, base: &str) -> bool {
        base == "alpine"
    }

    fn userland(&self) -> Userland {
        Userland::Busybox
    }

    fn size_base(&self) -> u64 {
        3_500_000
    }

    fn commands(&self, _image: &Image) -> &'static [&'static str] {
        &[
            "/bin/sh",
            "/bin/busybox",
            "/usr/bin/wget",
            "/usr/bin/nslookup",
            "/bin/ash",
            "/bin/ps",
        ]
    }

    fn layer(&self, _image: &Image, fs: &mut Fs) {
        for d in [
            "/lib",
            "/sbin",
            "/usr/bin",
            "/usr/sbin",
            "/usr/lib",
            "/var/log",
        ] {
            let _ = fs.mkdir_all(d, 0o755);
        }
        fs.put(
            "/etc/os-release",
            0o644,
            b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\nHOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n",
        );
    }

    fn entrypoint(&self, image: &Image, container: &Value) -> Behavior {
        super::busybox::Busybox.entrypoint(image, container)
    }
}
