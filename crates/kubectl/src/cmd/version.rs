//! `kubectl version [--client] [-o yaml|json]`: kubectl 1.33.1 against a 1.35.0 server.
//!
//! The client fields are what the real kubectl 1.33.1 binary prints. The two-minor skew makes
//! kubectl 1.33 print its skew warning on stderr, as it does against a real 1.35 server.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;

pub(crate) const SPECS: &[FlagSpec] = &[
    flag("client", None, FlagKind::Bool),
    flag("output", Some('o'), FlagKind::Value),
];

pub const CLIENT_VERSION: &str = "v1.33.1";
pub const SERVER_VERSION: &str = "v1.35.0";
const SKEW_WARNING: &str = "WARNING: version difference between client (1.33) and server (1.35) exceeds the supported minor version skew of +/-1";

/// (key, value) pairs in Go struct order: encoding/json and sigs.k8s.io/yaml both keep it.
fn client_info() -> Vec<(&'static str, &'static str)> {
    vec![
        ("major", "1"),
        ("minor", "33"),
        ("gitVersion", CLIENT_VERSION),
        ("gitCommit", "8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828"),
        ("gitTreeState", "clean"),
        ("buildDate", "2025-05-15T08:27:33Z"),
        ("goVersion", "go1.24.2"),
        ("compiler", "gc"),
        ("platform", "linux/amd64"),
    ]
}

/// The simulated server's version.Info. Build metadata a simulator cannot know (commit, build
/// date, Go version) is left out rather than invented.
fn server_info() -> Vec<(&'static str, &'static str)> {
    vec![
        ("major", "1"),
        ("minor", "35"),
        ("emulationMajor", "1"),
        ("emulationMinor", "35"),
        ("minCompatibilityMajor", "1"),
        ("minCompatibilityMinor", "34"),
        ("gitVersion", SERVER_VERSION),
        ("gitTreeState", "clean"),
        ("compiler", "gc"),
        ("platform", "linux/amd64"),
    ]
}

fn json_block(fields: &[(&str, &str)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("    \"{k}\": \"{v}\""))
        .collect();
    format!("{{\n{}\n  }}", body.join(",\n"))
}

fn yaml_block(fields: &[(&str, &str)]) -> String {
    // sigs.k8s.io/yaml sorts keys and quotes strings that would read as numbers or dates.
    let mut sorted = fields.to_vec();
    kubeplay_shell::sorting::sort(&mut sorted);
    sorted
        .iter()
        .map(|(k, v)| {
            let quoted = v.parse::<f64>().is_ok() || v.contains('T') && v.ends_with('Z');
            if quoted {
                format!("  {k}: \"{v}\"\n")
            } else {
                format!("  {k}: {v}\n")
            }
        })
        .collect()
}

pub fn run(_k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, SPECS).map_err(|m| super::flag_error("version", m))?;
    let client_only = p.bool("client");
    match p.value("output") {
        None | Some("") => {
            out.outln(format!("Client Version: {CLIENT_VERSION}"));
            out.outln("Kustomize Version: v5.6.0");
            if !client_only {
                out.outln(format!("Server Version: {SERVER_VERSION}"));
                out.errln(SKEW_WARNING);
            }
        }
        Some("json") => {
            let mut s = format!(
                "{{\n  \"clientVersion\": {},\n  \"kustomizeVersion\": \"v5.6.0\"",
                json_block(&client_info())
            );
            if !client_only {
                s.push_str(&format!(
                    ",\n  \"serverVersion\": {}",
                    json_block(&server_info())
                ));
            }
            s.push_str("\n}");
            out.outln(s);
            if !client_only {
                out.errln(SKEW_WARNING);
            }
        }
        Some("yaml") => {
            let mut s = format!(
                "clientVersion:\n{}kustomizeVersion: v5.6.0\n",
                yaml_block(&client_info())
            );
            if !client_only {
                s.push_str(&format!("serverVersion:\n{}", yaml_block(&server_info())));
            }
            out.out(format!("{s}\n"));
            if !client_only {
                out.errln(SKEW_WARNING);
            }
        }
        Some(_) => {
            return Err(CmdError::Plain(
                "--output must be 'yaml' or 'json'".to_string(),
            ))
        }
    }
    Ok(())
}

/// The text `kubectl` prints with no arguments.
pub fn usage() -> String {
    "kubectl controls the Kubernetes cluster manager.\n\n Find more information at: https://kubernetes.io/docs/reference/kubectl/\n".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_yaml_matches_kubectl_1_33_1() {
        // Captured from the real kubectl 1.33.1 binary: `kubectl version --client -o yaml`.
        let want = "clientVersion:\n  buildDate: \"2025-05-15T08:27:33Z\"\n  compiler: gc\n  gitCommit: 8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828\n  gitTreeState: clean\n  gitVersion: v1.33.1\n  goVersion: go1.24.2\n  major: \"1\"\n  minor: \"33\"\n  platform: linux/amd64\nkustomizeVersion: v5.6.0\n";
        assert_eq!(
            format!(
                "clientVersion:\n{}kustomizeVersion: v5.6.0\n",
                yaml_block(&client_info())
            ),
            want
        );
    }
}
