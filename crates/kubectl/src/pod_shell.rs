//! The programs inside a container live in the engine (`kubeplay_engine::runtime::pod_shell`),
//! so the kubelet runs a container's own command line with the same tools `kubectl exec`
//! reaches. This module re-exports them for kubectl's verbs and the session, and copies their
//! output into kubectl's `Output`.

pub use kubeplay_engine::runtime::pod_shell::*;

use crate::shell::{Io, Stream};

/// Copies shell output into kubectl's `Output`, keeping the order.
pub fn io_into_output(io: Io, out: &mut crate::Output) {
    for (s, t) in io.chunks {
        match s {
            Stream::Stdout => out.out(t),
            Stream::Stderr => out.err(t),
        }
    }
}
