//! Times one Parallel scale-up and prints where the work went; a quick probe beside the
//! criterion benchmark. Build it with the `bench` profile (`cargo build --profile bench -p
//! kubeplay-engine --example scale`, then `$CARGO_TARGET_DIR/release/examples/scale SETS
//! REPLICAS`): `--release` optimises for size (the page) and is slower.

#![allow(clippy::disallowed_methods)] // wall-clock timing of the run itself, outside the engine

use kubeplay_engine::{Cluster, Config, Kind};
use serde_json::json;
use std::time::Instant;

fn main() {
    // `digest` anywhere in the arguments: also print a digest of every object (serialised),
    // to check that an optimisation left the outcome byte-identical.
    let digest = std::env::args().any(|a| a == "digest");
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sets = args.first().copied().unwrap_or(100);
    let replicas = args.get(1).copied().unwrap_or(10);
    // A third number sets the node count (the criterion benchmark has 100 nodes).
    let nodes = args.get(2).copied().unwrap_or((sets * replicas) / 100 + 3) as u32;
    let mut c = Cluster::new(Config {
        nodes,
        ..Config::default()
    });
    let t = Instant::now();
    let cpu0 = cpu_seconds();
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
    let cpu = cpu_seconds() - cpu0;
    let pods = c.api.store.count(Kind::Pod);
    let events = c.api.store.count(Kind::Event);
    println!(
        "{sets} sets x {replicas}: {pods} pods, {events} events, settled={settled}, create {:?}, total {:?}, virtual {}s",
        created,
        total,
        (c.now().0 - Config::default().start.0) / 1000
    );
    // CPU time is steadier than wall time on a shared machine (waiting for a core is not
    // counted); Linux only, 0 elsewhere.
    println!("cpu {cpu:.2}s (user+system of create and settle)");
    println!("reconciles: {:?}", c.reconciles());
    if digest {
        // FNV-1a over every object's JSON, in store order.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for (_, o) in c.api.store.all_objects() {
            for b in serde_json::to_string(&**o).unwrap_or_default().bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
        }
        println!("digest {h:016x}");
        // Serialised bytes per kind (a proxy for what the store holds) and the watch log.
        let mut sizes: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
        for (k, o) in c.api.store.all_objects() {
            let e = sizes.entry(format!("{k:?}")).or_default();
            e.0 += 1;
            e.1 += serde_json::to_string(&**o).map_or(0, |s| s.len());
        }
        println!(
            "json bytes by kind: {sizes:?}; watch log {} events",
            c.api.store.log_len()
        );
    }
    println!(
        "writes (resourceVersion): {}",
        c.api.store.resource_version()
    );
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

/// User + system CPU seconds of this process so far, from /proc/self/stat (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}
