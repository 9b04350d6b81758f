//! Times one Parallel scale-up and prints where the work went; a quick probe beside the
//! criterion benchmark. Build it with the `bench` profile (`cargo build --profile bench -p
//! kubeplay-engine --example scale`, then `$CARGO_TARGET_DIR/release/examples/scale SETS
//! REPLICAS`): `--release` optimises for size (the page) and is slower.

#![allow(clippy::disallowed_methods)] // wall-clock timing of the run itself, outside the engine

use kubeplay_engine::{Cluster, Config, Kind};
use serde_json::json;
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sets = args.first().copied().unwrap_or(100);
    let replicas = args.get(1).copied().unwrap_or(10);
    let nodes = ((sets * replicas) / 100 + 3) as u32;
    let mut c = Cluster::new(Config {
        nodes,
        ..Config::default()
    });
    let t = Instant::now();
    for i in 0..sets {
        let name = format!("s{i}");
        c.api
            .create(json!({
                "apiVersion": "apps/v1", "kind": "StatefulSet",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"serviceName": name, "replicas": replicas, "podManagementPolicy": "Parallel",
                         "selector": {"matchLabels": {"app": name}},
                         "template": {"metadata": {"labels": {"app": name}},
                                      "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}
            }))
            .expect("create");
    }
    let created = t.elapsed();
    let settled = c.settle(60 * 60 * 1000);
    let total = t.elapsed();
    let pods = c.api.store.count(Kind::Pod);
    let events = c.api.store.count(Kind::Event);
    println!(
        "{sets} sets x {replicas}: {pods} pods, {events} events, settled={settled}, create {:?}, total {:?}, virtual {}s",
        created,
        total,
        (c.now().0 - Config::default().start.0) / 1000
    );
    println!("reconciles: {:?}", c.reconciles);
    // Steady state: one 16 ms animation frame of virtual time with nothing due.
    let steps = 1000;
    let t = Instant::now();
    for _ in 0..steps {
        c.advance(16);
    }
    println!(
        "steady-state step with {pods} pods: {:?} per step",
        t.elapsed() / steps
    );
}
