//! The kubelet of every simulated node. (Being written.)
