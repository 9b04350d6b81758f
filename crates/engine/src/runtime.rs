//! The simulated node runtime: containers, their file systems and the volume store.
//! (Being written; the kubelet controller and `kubectl exec` read and change it.)

use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct Runtime {
    /// Files of each persistent volume, keyed by PV name; they outlive pods.
    pub volumes: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
}
