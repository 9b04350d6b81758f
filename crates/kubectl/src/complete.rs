//! Tab completion for a terminal line, as kubectl's shell completion offers it: commands,
//! subcommands, flags (from each command's own flag table, so completion never offers a flag
//! the command would reject), resource types, and the names of objects that exist now.
//!
//! Read-only: it looks at the store and never changes anything. It works on the last command
//! of the line (after `|`, `;`, `&&`), and knows nothing of quoting beyond whitespace.

use crate::cmd;
use crate::flags::{FlagKind, FlagSpec};
use kubeplay_engine::{Api, Kind};

/// What completing a line offers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    /// Byte offset in the line where the word being completed starts.
    pub start: usize,
    /// Whole words that could replace `line[start..]`, sorted, without duplicates.
    pub candidates: Vec<String>,
}

/// The kubectl commands this kubectl implements, in kubectl's order.
pub const COMMANDS: &[&str] = &[
    "create",
    "expose",
    "run",
    "set",
    "explain",
    "get",
    "delete",
    "rollout",
    "scale",
    "cluster-info",
    "top",
    "cordon",
    "uncordon",
    "drain",
    "taint",
    "describe",
    "logs",
    "exec",
    "events",
    "diff",
    "apply",
    "patch",
    "replace",
    "wait",
    "label",
    "annotate",
    "api-resources",
    "api-versions",
    "config",
    "version",
];

/// Programs the terminal's shell runs besides kubectl.
const PROGRAMS: &[&str] = &[
    "kubectl", "sim", "echo", "sleep", "clear", "cat", "grep", "for", "while", "export",
];

const SIM: &[&str] = &[
    "settle",
    "advance",
    "kill",
    "evict",
    "probe-fail",
    "probe-pass",
    "fail-node",
    "recover-node",
    "seed",
];

const ROLLOUT: &[&str] = &["history", "pause", "restart", "resume", "status", "undo"];

/// Flags every kubectl command takes.
const GLOBAL: &[FlagSpec] = &[
    crate::flags::flag("namespace", Some('n'), FlagKind::Value),
    crate::flags::flag("help", Some('h'), FlagKind::Bool),
];

fn flags_of(verb: &str) -> &'static [FlagSpec] {
    match verb {
        "get" => cmd::get::FLAGS,
        "describe" => cmd::describe::FLAGS,
        "apply" => cmd::apply::FLAGS,
        "create" => cmd::create::FLAGS,
        "delete" => cmd::delete::FLAGS,
        "scale" => cmd::scale::FLAGS,
        "patch" => cmd::patch::FLAGS,
        "set" => cmd::set::FLAGS,
        "rollout" => cmd::rollout::FLAGS,
        "label" | "annotate" => cmd::annotate_label::FLAGS,
        "cordon" | "uncordon" | "drain" => cmd::cordon::FLAGS,
        "exec" => cmd::exec::SPECS,
        "run" => cmd::run::SPECS,
        "logs" => cmd::logs::SPECS,
        "wait" => cmd::wait::SPECS,
        "explain" => cmd::explain::SPECS,
        "api-resources" => cmd::api_resources::SPECS,
        "version" => cmd::version::SPECS,
        "events" => cmd::events::SPECS,
        "taint" => cmd::taint::SPECS,
        "expose" => cmd::expose::SPECS,
        "replace" => cmd::replace::SPECS,
        "diff" => cmd::diff::SPECS,
        _ => &[],
    }
}

/// Completes the word that ends `line`. `files` are the names `-f` can read.
pub fn complete(line: &str, api: &Api, namespace: &str, files: &[String]) -> Completion {
    // The last command of the line.
    let cmd_start = ["|", ";", "&&", "||", "$("]
        .iter()
        .filter_map(|sep| line.rfind(sep).map(|i| i + sep.len()))
        .max()
        .unwrap_or(0);
    let start = line
        .rfind(char::is_whitespace)
        .map(|i| i + 1)
        .unwrap_or(0)
        .max(cmd_start);
    let word = line.get(start..).unwrap_or("");
    let before: Vec<&str> = line
        .get(cmd_start..start)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let mut ns = namespace.to_string();
    for w in before.windows(2) {
        if w[0] == "-n" || w[0] == "--namespace" {
            ns = w[1].to_string();
        }
    }
    for w in &before {
        if let Some(n) = w.strip_prefix("--namespace=") {
            ns = n.to_string();
        }
    }
    let names = |kind: Kind| -> Vec<String> {
        let ns = if kind.namespaced() {
            Some(ns.as_str())
        } else {
            None
        };
        api.store
            .list(kind, ns)
            .map(|o| kubeplay_engine::object::name(o).to_string())
            .collect()
    };
    let words: Vec<String> = match before.first().copied() {
        None => PROGRAMS.iter().map(|s| s.to_string()).collect(),
        Some("kubectl") => kubectl_words(&before[1..], word, files, &names),
        Some("sim") => match before.get(1).copied() {
            None => SIM.iter().map(|s| s.to_string()).collect(),
            Some("kill" | "evict" | "probe-fail" | "probe-pass") if before.len() == 2 => {
                names(Kind::Pod)
            }
            Some("fail-node" | "recover-node") if before.len() == 2 => names(Kind::Node),
            _ => Vec::new(),
        },
        Some(_) => files.to_vec(),
    };
    let mut candidates: Vec<String> = words.into_iter().filter(|w| w.starts_with(word)).collect();
    kubeplay_shell::sorting::sort(&mut candidates);
    candidates.dedup();
    Completion { start, candidates }
}

/// Candidates after `kubectl` (`args` are the words between it and the word being completed).
fn kubectl_words(
    args: &[&str],
    word: &str,
    files: &[String],
    names: &dyn Fn(Kind) -> Vec<String>,
) -> Vec<String> {
    // Positional words so far, skipping flags and their values.
    let mut positional: Vec<&str> = Vec::new();
    let mut verb: Option<&str> = None;
    let mut prev_flag: Option<&FlagSpec> = None;
    let mut after_dashes = false;
    for a in args {
        if after_dashes {
            positional.push(a);
            continue;
        }
        if prev_flag.take().is_some() {
            continue;
        }
        if *a == "--" {
            after_dashes = true;
            continue;
        }
        if a.starts_with('-') && a.len() > 1 {
            if !a.contains('=') {
                prev_flag = find_flag(verb.unwrap_or(""), a).filter(|f| f.kind != FlagKind::Bool);
            }
            continue;
        }
        if verb.is_none() {
            verb = Some(a);
        } else {
            positional.push(a);
        }
    }
    if after_dashes {
        return Vec::new();
    }
    let Some(verb) = verb else {
        if word.starts_with('-') {
            return flag_words(GLOBAL);
        }
        return COMMANDS.iter().map(|s| s.to_string()).collect();
    };
    if let Some(f) = prev_flag {
        return match f.long {
            "filename" => files.to_vec(),
            "namespace" => names(Kind::Namespace),
            "output" => [
                "yaml",
                "json",
                "wide",
                "name",
                "jsonpath=",
                "custom-columns=",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            _ => Vec::new(),
        };
    }
    if word.starts_with('-') {
        let mut v = flag_words(flags_of(verb));
        v.extend(flag_words(GLOBAL));
        return v;
    }
    let types = || -> Vec<String> {
        Kind::all()
            .flat_map(|k| {
                let i = k.info();
                std::iter::once(i.plural)
                    .chain(i.short_names.iter().copied())
                    .map(str::to_string)
            })
            .collect()
    };
    // TYPE/NAME
    if let Some((ty, _)) = word.split_once('/') {
        return match kubeplay_engine::Kind::resolve(ty) {
            Some(k) => names(k).into_iter().map(|n| format!("{ty}/{n}")).collect(),
            None => Vec::new(),
        };
    }
    match (verb, positional.as_slice()) {
        ("rollout", []) => ROLLOUT.iter().map(|s| s.to_string()).collect(),
        ("rollout", [_]) => ["statefulsets", "deployments", "daemonsets"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ("rollout", [_, ty]) => Kind::resolve(ty).map(names).unwrap_or_default(),
        ("set", []) => vec!["image".to_string()],
        ("set", [_]) => types(),
        ("set", [_, ty]) => Kind::resolve(ty).map(names).unwrap_or_default(),
        ("exec" | "logs", []) => names(Kind::Pod),
        ("cordon" | "uncordon" | "drain", []) => names(Kind::Node),
        ("scale", []) => ["statefulsets", "deployments", "replicasets"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        (
            "get" | "describe" | "delete" | "label" | "annotate" | "explain" | "patch" | "wait",
            [],
        ) => types(),
        (
            "get" | "describe" | "delete" | "label" | "annotate" | "scale" | "patch" | "wait",
            [ty, ..],
        ) => {
            // `get pods,svc` takes no names; a single type does.
            if ty.contains(',') {
                Vec::new()
            } else {
                Kind::resolve(ty).map(names).unwrap_or_default()
            }
        }
        _ => Vec::new(),
    }
}

fn find_flag(verb: &str, word: &str) -> Option<&'static FlagSpec> {
    let all = flags_of(verb).iter().chain(GLOBAL.iter());
    if let Some(long) = word.strip_prefix("--") {
        all.into_iter().find(|f| f.long == long)
    } else {
        let c = word.chars().nth(1)?;
        all.into_iter().find(|f| f.short == Some(c))
    }
}

fn flag_words(specs: &[FlagSpec]) -> Vec<String> {
    specs.iter().map(|f| format!("--{}", f.long)).collect()
}

/// The longest prefix all candidates share.
pub fn common_prefix(candidates: &[String]) -> String {
    let Some(first) = candidates.first() else {
        return String::new();
    };
    let mut end = first.len();
    for c in &candidates[1..] {
        end = first
            .char_indices()
            .zip(c.chars())
            .take_while(|((_, a), b)| a == b)
            .map(|((i, a), _)| i + a.len_utf8())
            .last()
            .unwrap_or(0)
            .min(end);
    }
    first.get(..end).unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeplay_engine::{Cluster, Config};

    fn c(line: &str, cluster: &Cluster) -> Vec<String> {
        complete(line, &cluster.api, "default", &["web.yaml".to_string()]).candidates
    }

    #[test]
    fn commands_flags_types_and_names() {
        let mut cluster = Cluster::new(Config::default());
        cluster
            .api
            .create(serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "web-0", "namespace": "default"},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}}))
            .expect("pod");
        assert_eq!(c("kub", &cluster), ["kubectl"]);
        assert_eq!(
            c("kubectl ap", &cluster),
            ["api-resources", "api-versions", "apply"]
        );
        assert_eq!(c("kubectl apply -f w", &cluster), ["web.yaml"]);
        assert!(c("kubectl get --wa", &cluster).contains(&"--watch".to_string()));
        assert_eq!(c("kubectl get statefulsets", &cluster), ["statefulsets"]);
        assert!(c("kubectl get st", &cluster).contains(&"sts".to_string()));
        assert_eq!(c("kubectl delete pod w", &cluster), ["web-0"]);
        assert_eq!(c("kubectl delete pod/w", &cluster), ["pod/web-0"]);
        assert_eq!(
            c("kubectl -n kube-system delete pod w", &cluster),
            Vec::<String>::new()
        );
        assert_eq!(c("kubectl exec -it w", &cluster), ["web-0"]);
        assert_eq!(c("kubectl exec web-0 -- l", &cluster), Vec::<String>::new());
        assert_eq!(c("sim fail-node node-", &cluster).len(), 3);
        assert_eq!(c("echo hi | kubectl ge", &cluster), ["get"]);
        let r = complete("kubectl get po", &cluster.api, "default", &[]);
        assert_eq!(r.start, "kubectl get ".len());
        assert_eq!(
            common_prefix(&["pods".into(), "podtemplates".into(), "po".into()]),
            "po"
        );
    }
}
