//! The state one kubectl invocation runs with: the cluster (through its API), the current
//! namespace, the files kubectl may read (`-f web.yaml`), and standard input.

use kubeplay_engine::Cluster;

/// Read access to the files kubectl may open (`-f FILE`). The native CLI reads the disk
/// relative to the working directory; the page reads its workspace; tests use a map.
pub trait Files {
    /// Returns the file's contents, or an error text such as the OS would give
    /// (`open web.yaml: no such file or directory`).
    fn read(&self, path: &str) -> Result<String, String>;
}

/// Files from an in-memory map (tests, the page's workspace).
#[derive(Clone, Debug, Default)]
pub struct MemFiles(pub std::collections::BTreeMap<String, String>);

impl Files for MemFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        let p = path.strip_prefix("./").unwrap_or(path);
        self.0
            .get(p)
            .cloned()
            .ok_or_else(|| format!("open {path}: no such file or directory"))
    }
}

pub struct Kubectl<'a> {
    pub cluster: &'a mut Cluster,
    /// The context's namespace (`default` unless changed).
    pub namespace: String,
    pub files: &'a dyn Files,
    /// What was piped into kubectl (`-f -`).
    pub stdin: String,
}
