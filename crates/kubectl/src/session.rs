//! A terminal session: the shell, kubectl, in-pod commands and `sim` commands on one cluster.
//!
//! The page holds one `Cluster` and several `Session`s (terminals) on it; each call of
//! `run_line` borrows the cluster for one command line. A session owns its shell (variables,
//! `exit` state), its namespace and a small workspace of files that redirections write
//! (`kubectl get pods > out.txt; cat out.txt`). While a terminal is attached to a container
//! (`kubectl run -it ...`, `kubectl exec -it web-0 -- sh`), lines go to that container's shell
//! until it exits.
//!
//! The session never touches cluster state itself: kubectl goes through the API, in-pod
//! programs through the runtime, `sim` through the engine's hooks.

use crate::cmd;
use crate::context::{Files, Kubectl};
use crate::output::Output;
use crate::pod_shell::{io_err, io_into_output, io_out, AttachTarget, PodHost};
use crate::shell::{Env, Host, Io, Shell};
use kubeplay_engine::Cluster;
use std::collections::BTreeMap;

/// A terminal attached to a container's shell.
struct Attached {
    target: AttachTarget,
    shell: Shell,
    prompt: String,
}

/// One terminal's state: its shell, namespace, working files, and any attached container.
pub struct Session {
    shell: Shell,
    /// The context's namespace for kubectl.
    pub namespace: String,
    /// Files this terminal wrote (redirections); read before the outer `Files`.
    pub workspace: BTreeMap<String, String>,
    attached: Option<Attached>,
}

impl Default for Session {
    fn default() -> Session {
        Session::new()
    }
}

/// The outer files with the session's workspace laid over them.
struct Overlay<'a> {
    workspace: &'a BTreeMap<String, String>,
    base: &'a dyn Files,
}

impl Files for Overlay<'_> {
    fn read(&self, path: &str) -> Result<String, String> {
        let p = path.strip_prefix("./").unwrap_or(path);
        match self.workspace.get(p) {
            Some(s) => Ok(s.clone()),
            None => self.base.read(path),
        }
    }
}

/// The user's machine as the shell sees it: `kubectl`, `sim`, a few file tools.
struct SessionHost<'a> {
    cluster: &'a mut Cluster,
    files: &'a dyn Files,
    workspace: &'a mut BTreeMap<String, String>,
    /// The context's namespace; `kubectl config set-context --current --namespace=X` changes it.
    namespace: &'a mut String,
    /// Set when a kubectl command asked to attach this terminal to a container.
    attach: Option<AttachTarget>,
    /// `clear` was run: the front end should clear the screen.
    cleared: bool,
}

/// Commands the user's machine provides beyond the shell's builtins and text utilities
/// (`cat`, `grep`, `head` ... come from the shell and read files through `read_file`).
const MACHINE_TOOLS: &[&str] = &["kubectl", "sim", "clear", "hostname"];

impl SessionHost<'_> {
    fn read(&self, path: &str) -> Result<String, String> {
        Overlay {
            workspace: self.workspace,
            base: self.files,
        }
        .read(path)
    }

    fn kubectl(&mut self, args: &[String], stdin: &str, io: &mut Io) -> i32 {
        // What processes did on their own since the last command (a mehdb follower's sync)
        // shows in what this one reads (`kubectl logs`).
        self.cluster.runtime.catch_up(&self.cluster.api);
        let overlay = Overlay {
            workspace: self.workspace,
            base: self.files,
        };
        let mut k = Kubectl {
            cluster: self.cluster,
            namespace: self.namespace.to_string(),
            files: &overlay,
            stdin: stdin.to_string(),
        };
        let mut out = Output::new();
        let args = &cmd::global_flags_after_verb(args);
        let verb = args.first().map(String::as_str);
        let rest = args.get(1..).unwrap_or(&[]);
        // Only a terminal that is not in a pipe or loop attaches (a piped `-i` reads the pipe).
        let code = match verb {
            Some("exec") => match cmd::exec::run_attachable(&mut k, rest, &mut out, true) {
                Ok(a) => {
                    self.attach = a;
                    0
                }
                Err(e) => cmd::report(&e, &mut out),
            },
            Some("run") => match cmd::run::run_attachable(&mut k, rest, &mut out, true) {
                Ok(a) => {
                    self.attach = a;
                    0
                }
                Err(e) => cmd::report(&e, &mut out),
            },
            _ => cmd::run(&mut k, args, &mut out),
        };
        // The context's namespace is the terminal's kubeconfig: only `kubectl config` sets it.
        if verb == Some("config") {
            *self.namespace = k.namespace.clone();
        }
        // Controllers react to what the command wrote at once (within the same virtual
        // instant, as real ones do within milliseconds, S3.10), so the next command sees
        // their work, exactly as a client of `kubeplay serve` does.
        self.cluster.run_now();
        for (s, t) in out.chunks {
            io.chunks.push((to_shell_stream(s), t));
        }
        code
    }
}

fn to_shell_stream(s: crate::Stream) -> crate::shell::Stream {
    match s {
        crate::Stream::Stdout => crate::shell::Stream::Stdout,
        crate::Stream::Stderr => crate::shell::Stream::Stderr,
    }
}

impl Host for SessionHost<'_> {
    fn exec(&mut self, _env: &Env, args: &[String], stdin: &str, io: &mut Io) -> i32 {
        let Some(cmd) = args.first() else {
            return 0;
        };
        let rest = &args[1..];
        match cmd.as_str() {
            "kubectl" => self.kubectl(rest, stdin, io),
            "sim" => {
                let mut out = Output::new();
                let code = crate::sim::run(self.cluster, self.namespace.as_str(), rest, &mut out);
                for (s, t) in out.chunks {
                    io.chunks.push((to_shell_stream(s), t));
                }
                code
            }
            "clear" => {
                self.cleared = true;
                0
            }
            "sleep" => {
                let secs = rest.first().and_then(|s| s.parse::<f64>().ok());
                match secs {
                    Some(s) => {
                        self.sleep(s);
                        0
                    }
                    None => {
                        io_err(io, "sleep: invalid number\n");
                        1
                    }
                }
            }
            "hostname" => {
                io_out(io, "kubeplay\n");
                0
            }
            other => {
                io_err(io, format!("sh: {other}: not found\n"));
                127
            }
        }
    }

    fn sleep(&mut self, seconds: f64) {
        if seconds > 0.0 && seconds.is_finite() {
            self.cluster.advance((seconds * 1000.0) as u64);
        }
    }

    fn read_file(&mut self, path: &str) -> Result<String, String> {
        self.read(path)
            .map_err(|_| format!("can't open '{path}': No such file or directory"))
    }

    fn write_file(&mut self, path: &str, data: &str, append: bool) -> Result<(), String> {
        let p = path.strip_prefix("./").unwrap_or(path).to_string();
        if append {
            let mut old = self.read(&p).unwrap_or_default();
            old.push_str(data);
            self.workspace.insert(p, old);
        } else {
            self.workspace.insert(p, data.to_string());
        }
        Ok(())
    }

    fn has_command(&self, name: &str) -> bool {
        MACHINE_TOOLS.contains(&name)
    }
}

impl Session {
    pub fn new() -> Session {
        Session {
            shell: Shell::new(),
            namespace: "default".to_string(),
            workspace: BTreeMap::new(),
            attached: None,
        }
    }

    /// The prompt to show: `$ ` on the machine; inside an attached container, the default
    /// prompt of its shell for root: busybox `sh` shows the directory (`/ # `), dash (the `sh`
    /// of Debian and Ubuntu images) only `# `, and bash the Debian default PS1
    /// `root@<hostname>:/# `; the directory follows `cd`.
    pub fn prompt(&self) -> &str {
        match &self.attached {
            Some(att) => &att.prompt,
            None => "$ ",
        }
    }

    fn shell_prompt(cluster: &Cluster, target: &AttachTarget, cwd: &str) -> String {
        crate::pod_shell::interactive_prompt(
            &cluster.api,
            &target.namespace,
            &target.pod,
            &target.container,
            &target.shell,
            cwd,
        )
    }

    /// The container this terminal is attached to, if any.
    pub fn attached_to(&self) -> Option<&AttachTarget> {
        self.attached.as_ref().map(|a| &a.target)
    }

    /// True once the user's shell ran `exit` (the terminal should close).
    pub fn exited(&self) -> bool {
        self.shell.exited().is_some()
    }

    /// Runs one complete command line (check `Shell::is_complete` first for continuations).
    pub fn run_line(
        &mut self,
        cluster: &mut Cluster,
        files: &dyn Files,
        line: &str,
    ) -> (Output, i32) {
        let mut out = Output::new();
        if let Some(att) = self.attached.as_mut() {
            let code = match PodHost::new(
                cluster,
                &att.target.namespace,
                &att.target.pod,
                Some(&att.target.container),
            ) {
                Some(mut host) => {
                    let mut io = Io::default();
                    let code = att.shell.run(line, &mut host, &mut io);
                    io_into_output(io, &mut out);
                    code
                }
                None => {
                    // The pod went away under the terminal: the session ends like kubectl's.
                    out.errln("error: lost connection to pod");
                    self.attached = None;
                    return (out, 1);
                }
            };
            // The prompt follows `cd` (bash's `\w`, busybox's directory).
            att.prompt = Self::shell_prompt(cluster, &att.target, &att.shell.env.cwd);
            if att.shell.exited().is_some() {
                self.detach(cluster, &mut out);
            }
            return (out, code);
        }
        let mut host = SessionHost {
            cluster,
            files,
            workspace: &mut self.workspace,
            namespace: &mut self.namespace,
            attach: None,
            cleared: false,
        };
        let mut io = Io::default();
        let code = self.shell.run(line, &mut host, &mut io);
        let attach = host.attach.take();
        io_into_output(io, &mut out);
        if let Some(target) = attach {
            let prompt = Self::shell_prompt(cluster, &target, "/");
            let shell = crate::pod_shell::interactive_shell(
                &cluster.api,
                &target.namespace,
                &target.pod,
                &target.container,
                &target.shell,
            );
            self.attached = Some(Attached {
                target,
                shell,
                prompt,
            });
        }
        (out, code)
    }

    /// Ends the session's input (EOF): an attached shell exits, as it would on Ctrl-D.
    pub fn end(&mut self, cluster: &mut Cluster) -> Output {
        let mut out = Output::new();
        if self.attached.is_some() {
            self.detach(cluster, &mut out);
        }
        out
    }

    /// The attached shell is the container's main process: when it ends (`exit`, EOF), the
    /// container exits with its status and the pod completes under `restartPolicy: Never`.
    /// kubectl waits for that before `--rm` deletes the pod, as the real one does.
    fn detach(&mut self, cluster: &mut Cluster, out: &mut Output) {
        if let Some(att) = self.attached.take() {
            let t = &att.target;
            let code = att.shell.exited().unwrap_or(0);
            // kubectl waits for the exit code only when the pod will not restart the shell.
            let completes = cluster
                .api
                .try_get(kubeplay_engine::Kind::Pod, &t.namespace, &t.pod)
                .is_some_and(|p| {
                    matches!(
                        kubeplay_engine::object::get_str(p, &["spec", "restartPolicy"]),
                        Some("Never" | "OnFailure")
                    )
                });
            if completes
                && cluster
                    .sim_exit_container(&t.namespace, &t.pod, Some(&t.container), code)
                    .is_ok()
            {
                crate::sim::wait_until(cluster, 60_000, |c| {
                    c.api
                        .try_get(kubeplay_engine::Kind::Pod, &t.namespace, &t.pod)
                        .is_none_or(|p| {
                            matches!(
                                kubeplay_engine::object::get_str(p, &["status", "phase"]),
                                Some("Succeeded" | "Failed")
                            )
                        })
                });
            }
            if att.target.remove_on_exit {
                cmd::run::remove_pod(cluster, &att.target.namespace, &att.target.pod, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MemFiles;
    use kubeplay_engine::Config;

    #[test]
    fn unknown_commands_are_not_found_with_status_127() {
        let mut c = Cluster::new(Config::default());
        let mut s = Session::new();
        let (out, code) = s.run_line(&mut c, &MemFiles::default(), "frobnicate --now");
        assert_eq!(code, 127);
        assert_eq!(out.stderr(), "sh: frobnicate: not found\n");
    }

    #[test]
    fn redirected_output_lands_in_the_workspace() {
        let mut c = Cluster::new(Config::default());
        let mut s = Session::new();
        let files = MemFiles::default();
        let (_, code) = s.run_line(&mut c, &files, "sim seed > seed.txt");
        assert_eq!(code, 0);
        let (out, code) = s.run_line(&mut c, &files, "cat seed.txt");
        assert_eq!((out.stdout().as_str(), code), ("1\n", 0));
        let (out, code) = s.run_line(&mut c, &files, "cat nope.txt");
        assert_eq!(code, 1);
        assert!(out.stderr().contains("nope.txt"));
    }

    #[test]
    fn sleep_advances_the_cluster_clock() {
        let mut c = Cluster::new(Config::default());
        let t0 = c.now();
        let mut s = Session::new();
        s.run_line(&mut c, &MemFiles::default(), "sleep 5");
        assert_eq!(c.now().0 - t0.0, 5_000);
    }

    #[test]
    fn exec_into_a_missing_pod_is_not_found() {
        let mut c = Cluster::new(Config::default());
        let mut s = Session::new();
        let (out, code) = s.run_line(
            &mut c,
            &MemFiles::default(),
            "kubectl exec web-0 -- hostname",
        );
        assert_eq!(code, 1);
        assert_eq!(
            out.stderr(),
            "Error from server (NotFound): pods \"web-0\" not found\n"
        );
    }
}
