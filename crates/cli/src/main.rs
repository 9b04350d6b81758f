//! Entry point of the native `kubeplay` command (being written).
fn main() {}
