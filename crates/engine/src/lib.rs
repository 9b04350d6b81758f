//! kubeplay's engine: a deterministic, in-memory Kubernetes cluster.
//!
//! Data flows one way: a caller (kubectl, the HTTP API server, the page) calls `Api`; the
//! store appends watch events; `Cluster` hands those to controllers and the kubelet, whose
//! reconciles call `Api` again. Time is virtual (`time::Time`), randomness is one seeded
//! `rng::Rng`, and all state is in ordered maps.
//!
//! Architecture Invariant: this crate never touches the browser, the OS clock, OS randomness
//! or the network. It compiles for `wasm32-unknown-unknown` with no JS glue.

pub mod admission;
pub mod api;
pub mod cluster;
pub mod controllers;
pub mod decoding;
pub mod defaults;
pub mod dns;
pub mod error;
pub mod events;
pub mod eviction;
pub mod kinds;
pub mod object;
pub mod patch;
pub mod quantity;
pub mod rng;
pub mod runtime;
pub mod selector;
pub mod store;
pub mod time;
pub mod validation;
pub mod zookeeper;

pub use api::{Api, DeleteOptions, Deleted, PatchType, Propagation, WriteOptions};
pub use cluster::Cluster;
pub use error::{ApiError, ApiResult, FieldError};
pub use kinds::Kind;
pub use object::Object;
pub use selector::Selector;
pub use time::Time;

/// Knobs for a simulated cluster. Durations are virtual milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub seed: u64,
    pub start: Time,
    /// Number of worker nodes (`node-1` ... `node-N`).
    pub nodes: u32,
    /// Image pull time for an image not yet on the node: uniform in this range.
    pub image_pull_ms: (u64, u64),
    /// Time from "pulled" to "running".
    pub container_start_ms: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            seed: 1,
            start: time::DEFAULT_START,
            nodes: 3,
            image_pull_ms: (2_000, 15_000),
            container_start_ms: 1_000,
        }
    }
}
