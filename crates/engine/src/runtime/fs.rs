//! Container file systems: a tree of files and directories keyed by normalised absolute path.
//! Image layers, writable layers and every volume kind (PV contents, emptyDir, hostPath, the
//! view of a ConfigMap) are `Fs` values; `super::Runtime` decides which one a path lands in.
//!
//! It knows nothing of pods, mounts or users: permission checks that depend on who asks (the
//! nginx worker reading a document root) are made by the caller.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, OnceLock};

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

/// One file or directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsEntry {
    pub is_dir: bool,
    pub mode: u32,
    /// Shared, not copied, when a file system is cloned: every container of an image starts
    /// from a clone of the image's layer, and a write replaces the file's data.
    pub data: Arc<[u8]>,
}

/// A tree of files keyed by absolute, normalised path (`/`, `/etc`, `/etc/hosts`). The tree
/// is shared until written (copy on write), and paths and file data are `Arc`s: cloning one
/// (an image layer, per container start; a view for a read) copies nothing, and the first
/// write copies the entries, not the strings or bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fs {
    entries: Arc<BTreeMap<Arc<str>, FsEntry>>,
}

/// The data of directories and empty files: one allocation for all of them.
fn no_data() -> Arc<[u8]> {
    static EMPTY: OnceLock<Arc<[u8]>> = OnceLock::new();
    EMPTY.get_or_init(|| Arc::from(&[][..])).clone()
}

/// The entries strictly below `prefix` (which ends in `/`) come first in this range.
fn from(prefix: &str) -> (Bound<&str>, Bound<&str>) {
    (Bound::Included(prefix), Bound::Unbounded)
}

impl Fs {
    /// An empty directory tree whose root has `mode`.
    pub fn new(root_mode: u32) -> Fs {
        let mut entries = BTreeMap::new();
        entries.insert(
            Arc::from("/"),
            FsEntry {
                is_dir: true,
                mode: root_mode,
                data: no_data(),
            },
        );
        Fs {
            entries: Arc::new(entries),
        }
    }

    pub fn get(&self, path: &str) -> Option<&FsEntry> {
        self.entries.get(path)
    }

    /// The entry at `path`, to change (the tree is copied first if it is shared).
    pub fn get_mut(&mut self, path: &str) -> Option<&mut FsEntry> {
        if !self.entries.contains_key(path) {
            return None;
        }
        Arc::make_mut(&mut self.entries).get_mut(path)
    }

    /// The entries, to change (copied first if shared).
    fn entries_mut(&mut self) -> &mut BTreeMap<Arc<str>, FsEntry> {
        Arc::make_mut(&mut self.entries)
    }

    /// Creates every missing directory up to and including `path`.
    pub fn mkdir_all(&mut self, path: &str, mode: u32) -> Result<(), FsError> {
        let mut cur = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            cur.push('/');
            cur.push_str(part);
            match self.entries.get(cur.as_str()) {
                Some(e) if !e.is_dir => return Err(FsError::NotADirectory),
                Some(_) => {}
                None => {
                    self.entries_mut().insert(
                        Arc::from(cur.as_str()),
                        FsEntry {
                            is_dir: true,
                            mode,
                            data: no_data(),
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// Writes a file, creating parent directories (used to build image layers).
    pub fn put(&mut self, path: &str, mode: u32, data: &[u8]) {
        // A directory that is there has its ancestors too (entries are only added with
        // theirs and removed with what is below them): a parent that is there needs no walk
        // (a container start writes three files into the image's `/etc`).
        if !self.entries.get(parent(path)).is_some_and(|e| e.is_dir) {
            let _ = self.mkdir_all(parent(path), 0o755);
        }
        self.entries_mut().insert(
            Arc::from(path),
            FsEntry {
                is_dir: false,
                mode,
                data: Arc::from(data),
            },
        );
    }

    pub(crate) fn write(&mut self, path: &str, data: &[u8], append: bool) -> Result<(), FsError> {
        match self.entries.get(parent(path)) {
            None => return Err(FsError::NotFound),
            Some(e) if !e.is_dir => return Err(FsError::NotADirectory),
            _ => {}
        }
        match self.get_mut(path) {
            Some(e) if e.is_dir => Err(FsError::IsADirectory),
            Some(e) => {
                e.data = if append {
                    [&e.data[..], data].concat().into()
                } else {
                    Arc::from(data)
                };
                Ok(())
            }
            None => {
                self.entries_mut().insert(
                    Arc::from(path),
                    FsEntry {
                        is_dir: false,
                        mode: 0o644,
                        data: Arc::from(data),
                    },
                );
                Ok(())
            }
        }
    }

    pub(crate) fn list(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let e = self.entries.get(path).ok_or(FsError::NotFound)?;
        if !e.is_dir {
            return Err(FsError::NotADirectory);
        }
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        Ok(self
            .entries
            .range::<str, _>(from(&prefix))
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, e)| {
                let rest = k.get(prefix.len()..)?;
                if rest.is_empty() || rest.contains('/') {
                    return None;
                }
                Some(dir_entry(rest, e))
            })
            .collect())
    }

    pub(crate) fn remove(&mut self, path: &str, recursive: bool) -> Result<(), FsError> {
        let e = self.entries.get(path).ok_or(FsError::NotFound)?;
        if e.is_dir {
            let prefix = format!("{path}/");
            let children: Vec<Arc<str>> = self
                .entries
                .range::<str, _>(from(&prefix))
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, _)| k.clone())
                .collect();
            if !recursive {
                return Err(FsError::IsADirectory);
            }
            let entries = self.entries_mut();
            for c in children {
                entries.remove(&c);
            }
        }
        if path != "/" {
            self.entries_mut().remove(path);
        }
        Ok(())
    }
}

pub(crate) fn dir_entry(name: &str, e: &FsEntry) -> DirEntry {
    DirEntry {
        name: name.to_string(),
        is_dir: e.is_dir,
        mode: e.mode,
        size: if e.is_dir { 4096 } else { e.data.len() as u64 },
    }
}

pub(crate) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => path.get(..i).unwrap_or("/"),
    }
}

/// Normalises a path as the kernel would resolve it from `/` (no symlinks).
pub fn normalize_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        "/".to_string()
    } else {
        format!("/{}", parts.join("/"))
    }
}

pub(crate) fn join(base: &str, rel: &str) -> String {
    normalize_path(&format!("{base}/{rel}"))
}
