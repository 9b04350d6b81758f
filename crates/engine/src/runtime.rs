//! The simulated node runtime: pod sandboxes (IPs), containers (state, restarts, logs),
//! container file systems (image layer + writable layer + volume mounts) and the volume
//! store whose contents outlive pods. The kubelet controller drives it; `kubectl exec`,
//! `logs` and in-pod networking read and change it through the methods below.
//!
//! (Being written. The signatures below are the contract kubectl codes against.)

use crate::api::Api;
use std::collections::BTreeMap;

/// A file system error, rendered by the in-pod tools (`cat: can't open 'x': No such file or directory`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsError {
    NotFound,
    NotADirectory,
    IsADirectory,
    PermissionDenied,
    ReadOnly,
    /// The pod or container does not exist or is not running.
    NoContainer,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub is_dir: bool,
    /// Unix permission bits (0o644, 0o755 ...).
    pub mode: u32,
    pub size: u64,
}

/// An HTTP response from a simulated server (nginx serving its document root ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// Why a connection failed, as curl/wget report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetError {
    /// `Could not resolve host: x`
    UnknownHost(String),
    /// `Failed to connect to x port 80: Connection refused`
    Refused {
        host: String,
        port: u16,
    },
    Timeout {
        host: String,
        port: u16,
    },
}

/// Which container of which pod: `container: None` means the pod's first container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerRef<'a> {
    pub namespace: &'a str,
    pub pod: &'a str,
    pub container: Option<&'a str>,
}

#[derive(Clone, Debug, Default)]
pub struct Runtime {
    /// Files of each persistent volume, keyed by PV name; they outlive pods.
    pub volumes: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
}

impl Runtime {
    pub fn read_file(
        &self,
        _api: &Api,
        _c: &ContainerRef<'_>,
        _path: &str,
    ) -> Result<Vec<u8>, FsError> {
        Err(FsError::NoContainer)
    }

    /// Writes (or appends to) a file, creating it with mode 0644.
    pub fn write_file(
        &mut self,
        _api: &Api,
        _c: &ContainerRef<'_>,
        _path: &str,
        _data: &[u8],
        _append: bool,
    ) -> Result<(), FsError> {
        Err(FsError::NoContainer)
    }

    pub fn list_dir(
        &self,
        _api: &Api,
        _c: &ContainerRef<'_>,
        _path: &str,
    ) -> Result<Vec<DirEntry>, FsError> {
        Err(FsError::NoContainer)
    }

    pub fn stat(
        &self,
        _api: &Api,
        _c: &ContainerRef<'_>,
        _path: &str,
    ) -> Result<DirEntry, FsError> {
        Err(FsError::NoContainer)
    }

    pub fn mkdir(
        &mut self,
        _api: &Api,
        _c: &ContainerRef<'_>,
        _path: &str,
        _parents: bool,
    ) -> Result<(), FsError> {
        Err(FsError::NoContainer)
    }

    pub fn remove(
        &mut self,
        _api: &Api,
        _c: &ContainerRef<'_>,
        _path: &str,
        _recursive: bool,
    ) -> Result<(), FsError> {
        Err(FsError::NoContainer)
    }

    pub fn chmod(
        &mut self,
        _api: &Api,
        _c: &ContainerRef<'_>,
        _path: &str,
        _mode: u32,
    ) -> Result<(), FsError> {
        Err(FsError::NoContainer)
    }

    /// An HTTP GET from inside `from` to `host:port/path` (host may be `localhost`, a pod IP,
    /// or a DNS name resolved with the pod's search path).
    pub fn http_get(
        &self,
        _api: &Api,
        _from: &ContainerRef<'_>,
        _host: &str,
        _port: u16,
        _path: &str,
    ) -> Result<HttpResponse, NetError> {
        Err(NetError::UnknownHost(String::new()))
    }

    /// A container's log so far (`kubectl logs`); `previous` reads the last terminated instance.
    pub fn logs(
        &self,
        _api: &Api,
        _c: &ContainerRef<'_>,
        _previous: bool,
    ) -> Result<String, FsError> {
        Err(FsError::NoContainer)
    }
}
