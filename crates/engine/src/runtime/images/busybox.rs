//! `busybox` (the tutorials' `busybox:1.28`): one multi-call binary providing `sh`, `nslookup`
//! (in 1.28's output format), `wget`, `nc`, `sleep` and the small coreutils, with busybox's
//! message wording.
//!
//! Its default command is `sh`, which exits at once without a terminal: a busybox pod without
//! a command (or `stdin: true`) completes and restarts, as the real one does.

use super::{interactive, Behavior, Fs, Image, ImageDef, Userland};
use serde_json::Value;

pub struct Busybox;

impl ImageDef for Busybox {
    fn name(&self) -> &'static str {
        "busybox"
    }

    fn provides(&self, _repo: &str, base: &str) -> bool {
        base == "busybox"
    }

    fn userland(&self) -> Userland {
        Userland::Busybox
    }

    fn size_base(&self) -> u64 {
        700_000
    }

    fn commands(&self, _image: &Image) -> &'static [&'static str] {
        &[
            "/bin/sh",
            "/bin/busybox",
            "/bin/nc",
            "/bin/cat",
            "/bin/ls",
            "/bin/echo",
            "/bin/hostname",
            "/bin/nslookup",
            "/bin/wget",
            "/bin/sleep",
            "/bin/ash",
            "/bin/cp",
            "/bin/mv",
            "/bin/ps",
        ]
    }

    fn layer(&self, _image: &Image, _fs: &mut Fs) {}

    fn entrypoint(&self, _image: &Image, container: &Value) -> Behavior {
        if interactive(container) {
            Behavior::long_running(200, Vec::new())
        } else {
            Behavior {
                exits: Some((50, 0)),
                on_sigterm: Some(0),
                listens: Vec::new(),
                output: String::new(),
            }
        }
    }
}
