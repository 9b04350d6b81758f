//! kubectl as the playground runs it: verbs, flags, printers and messages in kubectl 1.33's
//! exact words, plus the `Session` that runs shell lines (pipes, loops, heredocs) against a
//! simulated cluster. One implementation serves the native CLI, the page and the tests.
//!
//! Architecture Invariant: kubectl only changes the cluster through `kubeplay_engine::Api`
//! (as the real one only speaks HTTP); it never edits the store or a controller directly.
//! Architecture Invariant: no user input makes anything here panic; errors are printed.

pub mod bundled;
pub mod cmd;
pub mod complete;
pub mod context;
pub mod decode;
pub mod flags;
pub mod manifest;
pub mod output;
pub mod pod_shell;
pub mod printers;
pub mod resource_args;
pub mod schema;
pub mod session;
pub mod sim;

/// The shell the session runs lines with (the user's terminal and in-pod shells alike).
pub use kubeplay_shell as shell;

pub use context::Kubectl;
pub use output::{Output, Stream};
pub use session::Session;
