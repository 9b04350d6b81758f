//! A terminal session: the shell, kubectl, in-pod commands and `sim` commands on one cluster.
//! (Being written.)

/// One terminal's state: environment, working files, the cluster it talks to.
pub struct Session;
