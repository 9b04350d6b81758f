//! Pod sandboxes and the containers in them, as the node's container runtime tracks them:
//! state (waiting, pulling, running, terminated, back-off), restarts, logs, the writable
//! layer. The kubelet moves containers through these states; nothing here reads the clock.

use super::fs::Fs;
use super::images::{Behavior, Image, Site};
use crate::object;
use crate::time::Time;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// How a container instance ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terminated {
    pub exit_code: i32,
    pub reason: String,
    pub started: Time,
    pub finished: Time,
    pub container_id: String,
}

/// Where a container is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerState {
    /// Not started yet (its turn has not come, or the sandbox is being set up).
    Waiting,
    /// The image is being pulled since `since`; done at `until`.
    Pulling {
        since: Time,
        until: Time,
    },
    /// Pulled; the container is created and started at `at`.
    Starting {
        at: Time,
    },
    Running {
        started: Time,
        /// When the process exits by itself (or because it was told to stop).
        exit_at: Option<(Time, i32)>,
        /// When the readiness probe first succeeds.
        ready_at: Time,
    },
    Terminated(Terminated),
    /// The pull failed (`ErrImagePull`, with containerd's `message`) at `at`; the kubelet's
    /// next sync reports the image back-off.
    PullFailed {
        at: Time,
        message: String,
    },
    /// Waiting for the image pull back-off to expire (`ImagePullBackOff`), then pulls again.
    PullBackOff {
        until: Time,
        message: String,
    },
    /// Waiting for the restart back-off to expire.
    BackOff {
        until: Time,
        delay_ms: u64,
    },
}

/// A server a command line started inside a running container (`nginx -g 'daemon off;'`
/// typed into `kubectl exec`, or ending the container's own command): it listens on `ports`
/// until the container stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerProc {
    /// The program (`nginx`), which decides how requests are answered.
    pub program: String,
    pub ports: Vec<u16>,
    /// What its configuration said when it started (nginx reads it once).
    pub site: Site,
    /// The release it reports (`1.9.3 (Ubuntu)`).
    pub version: String,
}

#[derive(Clone, Debug)]
pub struct ContainerRuntime {
    pub name: String,
    /// Shared by every container of the same image reference ([`super::Runtime::parse_image`]).
    pub image: Arc<Image>,
    /// The spec's image reference `image` was parsed from (the kubelet compares the spec
    /// with it before parsing the spec's again).
    pub image_ref: Arc<str>,
    pub behavior: Behavior,
    pub state: ContainerState,
    pub restart_count: u32,
    pub last_terminated: Option<Terminated>,
    /// The back-off the next crash will wait (0 for the first crash: restart at once).
    pub next_backoff_ms: u64,
    /// The image pull back-off after the last failed pull (0: no failure yet); 10 s doubling
    /// to 300 s, as the kubelet's image back-off.
    pub pull_backoff_ms: u64,
    pub container_id: String,
    /// The writable layer (a copy of the image made at start, shared with the image's
    /// layer until the first write).
    pub fs: Fs,
    /// Whether the kubelet-managed files (`/etc/hostname`, `/etc/hosts`,
    /// `/etc/resolv.conf`) are still to be written into `fs`: they are made from the
    /// sandbox when the file system is first read or written there
    /// ([`super::Runtime`]'s `view` and `with_fs_mut`), so a container nobody looks into
    /// keeps sharing its image's layer.
    pub pod_files_pending: bool,
    pub log: ContainerLog,
    pub previous_log: ContainerLog,
    /// False while `sim probe-fail` holds the readiness probe failing.
    pub probe_passing: bool,
    pub has_readiness_probe: bool,
    /// Set while an `Unhealthy` event has been reported for the current failing streak.
    pub reported_unready: bool,
    /// Servers started by command lines in this container instance.
    pub servers: Vec<ServerProc>,
    /// How many ticks of the image's periodic work this instance has done
    /// ([`super::Runtime::catch_up`]).
    pub periodic_ticks: u64,
}

impl ContainerRuntime {
    /// The record of the container `spec` before it starts; `image` is the spec's image
    /// reference and its parse ([`super::Runtime::parse_image`]).
    pub fn new(spec: &Value, (image_ref, image): (Arc<str>, Arc<Image>)) -> ContainerRuntime {
        ContainerRuntime {
            name: object::get_str(spec, &["name"]).unwrap_or("").to_string(),
            behavior: Behavior::of(&image, spec),
            image,
            image_ref,
            state: ContainerState::Waiting,
            restart_count: 0,
            last_terminated: None,
            next_backoff_ms: 0,
            pull_backoff_ms: 0,
            container_id: String::new(),
            fs: empty_root(),
            pod_files_pending: false,
            log: ContainerLog::default(),
            previous_log: ContainerLog::default(),
            probe_passing: true,
            has_readiness_probe: object::get(spec, &["readinessProbe"]).is_some(),
            reported_unready: false,
            servers: Vec::new(),
            periodic_ticks: 0,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self.state, ContainerState::Running { .. })
    }
}

/// The file system of a container that has not started: one shared empty root.
fn empty_root() -> Fs {
    static EMPTY: OnceLock<Fs> = OnceLock::new();
    EMPTY.get_or_init(|| Fs::new(0o755)).clone()
}

/// Start-up output that is a function of the image's release and the start time alone
/// ([`super::ImageDef::startup_banner`]): kept as those and written out when read.
#[derive(Clone, Debug)]
pub struct Banner {
    pub render: fn(&str, Time) -> String,
    pub version: String,
    pub at: Time,
}

/// A container instance's log (`kubectl logs`): its image's start-up banner, written out
/// only when the log is read (10,000 nginx pods would otherwise each hold the same 1.4 KB,
/// differing in the stamp), then what the process wrote.
#[derive(Clone, Debug, Default)]
pub struct ContainerLog {
    banner: Option<Banner>,
    text: String,
}

impl ContainerLog {
    pub fn banner(banner: Banner) -> ContainerLog {
        ContainerLog {
            banner: Some(banner),
            text: String::new(),
        }
    }

    /// Appends what the process wrote.
    pub fn push_str(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// The log as the runtime shows it.
    pub fn text(&self) -> String {
        match &self.banner {
            Some(b) => {
                let mut out = (b.render)(&b.version, b.at);
                out.push_str(&self.text);
                out
            }
            None => self.text.clone(),
        }
    }
}

impl From<String> for ContainerLog {
    fn from(text: String) -> ContainerLog {
        ContainerLog { banner: None, text }
    }
}

/// Termination in progress (S8.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopping {
    pub started: Time,
    /// SIGKILL time: start + grace period.
    pub deadline: Time,
}

/// A pod's sandbox on its node: network identity, containers and pod-lifetime volumes.
#[derive(Clone, Debug)]
pub struct PodSandbox {
    pub uid: String,
    pub node: String,
    pub ip: String,
    pub host_ip: String,
    pub hostname: String,
    /// `web-0.nginx.default.svc.cluster.local` when spec.subdomain is set.
    pub fqdn: Option<String>,
    pub start_time: Time,
    pub init: Vec<ContainerRuntime>,
    pub containers: Vec<ContainerRuntime>,
    pub empty_dirs: BTreeMap<String, Fs>,
    /// The pod's QoS class (`status.qosClass`), fixed for the sandbox's pod: its containers'
    /// resources cannot change.
    pub qos_class: &'static str,
    pub stopping: Option<Stopping>,
    /// Set when every container stopped during termination; the pod is then deleted.
    pub stopped: bool,
}

impl PodSandbox {
    pub fn container(&self, name: Option<&str>) -> Option<&ContainerRuntime> {
        match name {
            None => self.containers.first(),
            Some(n) => self
                .containers
                .iter()
                .chain(self.init.iter())
                .find(|c| c.name == n),
        }
    }

    pub(crate) fn container_mut(&mut self, name: Option<&str>) -> Option<&mut ContainerRuntime> {
        match name {
            None => self.containers.first_mut(),
            Some(n) => self
                .containers
                .iter_mut()
                .chain(self.init.iter_mut())
                .find(|c| c.name == n),
        }
    }
}
