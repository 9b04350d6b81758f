//! `sim ...`: the playground's own commands for moving time and injecting faults, which no
//! real cluster has (`sim settle`, `sim advance 30s`, `sim kill web-0`, `sim fail-node node-2`).
//! Also the clock helpers kubectl verbs use to wait (`wait_until`).
//!
//! Output policy: time commands print nothing on success (like `sleep`); a `sim settle` that
//! times out prints `sim: not settled after <timeout>: work is still pending` on stderr and
//! exits 1. Fault commands print one line saying what happened.
//! This module never changes objects behind the API's back: faults go through engine hooks.

use crate::output::Output;
use kubeplay_engine::time::{go_duration_string, parse_go_duration};
use kubeplay_engine::{ApiError, Cluster, Kind};

/// `sim settle`'s default limit.
pub const DEFAULT_SETTLE_MS: u64 = 10 * 60 * 1000;

/// Advances the clock event by event until `pred` holds or `timeout_ms` passes. When nothing
/// is pending the clock jumps to the deadline (a real client would sit there waiting).
pub fn wait_until(
    cluster: &mut Cluster,
    timeout_ms: u64,
    mut pred: impl FnMut(&Cluster) -> bool,
) -> bool {
    let deadline = cluster.now().plus_ms(timeout_ms);
    cluster.run_now();
    loop {
        if pred(cluster) {
            return true;
        }
        match cluster.next_timer() {
            Some(t) if t <= deadline => {
                cluster.step_to_next_event();
            }
            _ => {
                cluster.advance_to(deadline);
                return pred(cluster);
            }
        }
    }
}

const USAGE: &str = "Usage: sim COMMAND\n\nCommands:\n  settle [TIMEOUT]     run until nothing is pending (default 10m)\n  advance DURATION     move the clock forward (30s, 5m, 1h)\n  kill POD             crash the pod's main container\n  evict POD            evict the pod through the Eviction API\n  probe-fail POD       make the pod's readiness probe fail\n  probe-pass POD       make the pod's readiness probe pass again\n  fail-node NODE       stop the node's kubelet (no more heartbeats)\n  recover-node NODE    start the node's kubelet again\n  seed                 print the cluster's random seed\n";

/// Runs `sim <args>`; returns the exit status.
pub fn run(cluster: &mut Cluster, namespace: &str, args: &[String], out: &mut Output) -> i32 {
    let Some(cmd) = args.first() else {
        out.err(USAGE);
        return 2;
    };
    let arg = args.get(1).map(String::as_str);
    match cmd.as_str() {
        "settle" => {
            let timeout = match arg.map(parse_go_duration).transpose() {
                Ok(t) => t.unwrap_or(DEFAULT_SETTLE_MS),
                Err(e) => {
                    out.errln(format!("sim: {e}"));
                    return 2;
                }
            };
            if cluster.settle(timeout) {
                0
            } else {
                out.errln(format!(
                    "sim: not settled after {}: work is still pending",
                    go_duration_string(timeout)
                ));
                1
            }
        }
        "advance" => {
            let Some(d) = arg else {
                out.errln("sim: advance needs a duration (30s, 5m)");
                return 2;
            };
            match parse_go_duration(d) {
                Ok(ms) => {
                    cluster.advance(ms);
                    0
                }
                Err(e) => {
                    out.errln(format!("sim: {e}"));
                    2
                }
            }
        }
        "seed" => {
            out.outln(cluster.config.seed.to_string());
            0
        }
        "kill" | "evict" | "probe-fail" | "probe-pass" | "fail-node" | "recover-node" => {
            let Some(target) = arg else {
                out.errln(format!("sim: {cmd} needs a name"));
                return 2;
            };
            fault(cluster, namespace, cmd, target, out)
        }
        "help" | "--help" | "-h" => {
            out.out(USAGE);
            0
        }
        other => {
            out.errln(format!("sim: unknown command \"{other}\""));
            out.err(USAGE);
            2
        }
    }
}

/// Fault injection through the engine's hooks (kubelet, node lifecycle, Eviction API).
/// Errors read like kubectl's for missing objects (`pods "x" not found`).
fn fault(cluster: &mut Cluster, namespace: &str, cmd: &str, target: &str, out: &mut Output) -> i32 {
    let missing = |kind: Kind| format!("sim: {}", ApiError::not_found(kind, target));
    let result: Result<(), String> = match cmd {
        "kill" | "probe-fail" | "probe-pass" => {
            if cluster.api.try_get(Kind::Pod, namespace, target).is_none() {
                Err(missing(Kind::Pod))
            } else {
                let done = match cmd {
                    "kill" => cluster.sim_kill_container(namespace, target, None),
                    "probe-fail" => cluster.sim_set_probe(namespace, target, None, false),
                    _ => cluster.sim_set_probe(namespace, target, None, true),
                };
                done.map_err(|_| format!("sim: {cmd}: pod \"{target}\" has no running container"))
            }
        }
        "evict" => {
            let r = cluster.api.evict(namespace, target, None);
            cluster.advance(0);
            r.map_err(|e| format!("sim: {}", e.message))
        }
        "fail-node" => cluster
            .sim_fail_node(target)
            .map_err(|e| format!("sim: {}", e.message)),
        _ => cluster
            .sim_recover_node(target)
            .map_err(|e| format!("sim: {}", e.message)),
    };
    match result {
        Ok(()) => 0,
        Err(m) => {
            out.errln(m);
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeplay_engine::Config;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn advance_moves_the_clock_and_settle_reports_success() {
        let mut c = Cluster::new(Config::default());
        let t0 = c.now();
        let mut out = Output::new();
        assert_eq!(
            run(&mut c, "default", &s(&["advance", "1m30s"]), &mut out),
            0
        );
        assert_eq!(c.now().0 - t0.0, 90_000);
        assert_eq!(run(&mut c, "default", &s(&["settle"]), &mut out), 0);
        assert_eq!(out.combined(), "");
        assert_eq!(run(&mut c, "default", &s(&["seed"]), &mut out), 0);
        assert_eq!(out.stdout(), "1\n");
        let mut out = Output::new();
        assert_eq!(
            run(&mut c, "default", &s(&["advance", "soon"]), &mut out),
            2
        );
        assert_eq!(out.stderr(), "sim: time: invalid duration \"soon\"\n");
    }

    #[test]
    fn wait_until_jumps_to_the_deadline_when_nothing_can_change() {
        let mut c = Cluster::new(Config::default());
        let t0 = c.now();
        assert!(!wait_until(&mut c, 5_000, |_| false));
        assert_eq!(c.now().0 - t0.0, 5_000);
        assert!(wait_until(&mut c, 5_000, |_| true));
    }
}
