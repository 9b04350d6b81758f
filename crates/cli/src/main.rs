//! The native `kubeplay` command: an interactive prompt on a fresh simulated cluster, or a
//! script runner (`kubeplay run [--seed N] [--echo] FILE|-`) whose output is byte-identical
//! for the same seed. Files named in commands are read from the current directory; URLs come
//! from the bundled copies (works offline). This binary holds no simulation logic of its own.

use kubeplay_engine::{Cluster, Config};
use kubeplay_kubectl::bundled::WithUrls;
use kubeplay_kubectl::context::Files;
use kubeplay_kubectl::shell::Shell;
use kubeplay_kubectl::{Output, Session, Stream};
use std::io::{BufRead, IsTerminal, Read, Write};

/// The real file system, relative to the working directory.
struct DiskFiles;

impl Files for DiskFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("open {path}: no such file or directory"),
            _ => format!("open {path}: {e}"),
        })
    }
}

const USAGE: &str = "Usage:\n  kubeplay                               interactive prompt on a fresh cluster\n  kubeplay run [--seed N] [--echo] FILE|-  run a script; --echo prints each command as `$ cmd`\n  kubeplay serve [--port P] [--address A] [--seed N] [--speed X] [--kubeconfig FILE] [--clock-control]\n                                         serve the Kubernetes API for the real kubectl\n";

/// The host's current time, read once to start `kubeplay serve`'s virtual clock.
#[allow(clippy::disallowed_methods)] // the one deliberate wall-clock read: a start time passed in
fn wall_clock_now() -> Option<kubeplay_engine::Time> {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_millis();
    u64::try_from(ms).ok().map(kubeplay_engine::Time)
}

/// `kubeplay serve`: the Kubernetes API over HTTP (crate kubeplay-apiserver) plus a kubeconfig.
fn serve(args: &[String]) -> i32 {
    let mut port: u16 = 0;
    let mut address = "127.0.0.1".to_string();
    let mut kubeconfig = "kubeplay.kubeconfig".to_string();
    let mut opts = kubeplay_apiserver::Options::default();
    let mut i = 0;
    while i < args.len() {
        let (flag, inline) = match args[i].split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (args[i].clone(), None),
        };
        if flag == "--clock-control" {
            opts.control = true;
            i += 1;
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                i += 1;
                match args.get(i) {
                    Some(v) => v.clone(),
                    None => {
                        eprintln!("kubeplay serve: flag needs an argument: {flag}");
                        return 2;
                    }
                }
            }
        };
        let bad = |what: &str| {
            eprintln!("kubeplay serve: invalid {what} \"{value}\"");
            2
        };
        match flag.as_str() {
            "--port" => match value.parse() {
                Ok(p) => port = p,
                Err(_) => return bad("port"),
            },
            "--address" => address = value.clone(),
            "--seed" => match value.parse() {
                Ok(s) => opts.seed = s,
                Err(_) => return bad("seed"),
            },
            "--speed" => match value.parse::<f64>() {
                Ok(s) if s >= 0.0 && s.is_finite() => opts.speed = s,
                _ => return bad("speed"),
            },
            "--kubeconfig" => kubeconfig = value.clone(),
            other => {
                eprintln!("kubeplay serve: unknown flag: {other}");
                return 2;
            }
        }
        i += 1;
    }
    let addr: std::net::SocketAddr = match format!("{address}:{port}").parse() {
        Ok(a) => a,
        Err(_) => match format!("[{address}]:{port}").parse() {
            Ok(a) => a,
            Err(_) => {
                eprintln!("kubeplay serve: invalid address \"{address}\"");
                return 2;
            }
        },
    };
    // The virtual clock starts now, so the real kubectl's AGE columns (computed from the
    // cluster's clock) and creation timestamps read like a real cluster's. The engine never
    // reads the wall clock itself; this is the one place it is passed in.
    opts.start = wall_clock_now();
    let result = kubeplay_apiserver::run_blocking(addr, &opts, |bound| {
        let url = format!("http://{bound}");
        if let Err(e) = std::fs::write(&kubeconfig, kubeplay_apiserver::kubeconfig(&url)) {
            eprintln!("kubeplay serve: writing {kubeconfig}: {e}");
        }
        println!("Serving the Kubernetes API of a simulated cluster on {url}");
        println!("kubeconfig written to {kubeconfig}; try:\n  kubectl --kubeconfig {kubeconfig} get nodes");
        let _ = std::io::stdout().flush();
    });
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("kubeplay serve: {e}");
            1
        }
    }
}

fn write_output(out: &Output, merged: bool) {
    let mut so = std::io::stdout().lock();
    let mut se = std::io::stderr().lock();
    for (s, t) in &out.chunks {
        let _ = match (s, merged) {
            (Stream::Stderr, false) => se.write_all(t.as_bytes()),
            _ => so.write_all(t.as_bytes()),
        };
    }
    let _ = so.flush();
    let _ = se.flush();
}

/// Runs a whole script and returns (transcript output, exit status of the last command).
pub fn run_script(
    seed: u64,
    script: &str,
    echo: bool,
    files: &dyn Files,
) -> Result<(Output, i32), String> {
    let mut cluster = Cluster::new(Config {
        seed,
        ..Config::default()
    });
    let mut session = Session::new();
    let files = WithUrls { inner: files };
    let commands = Shell::split_commands(script)?;
    let mut all = Output::new();
    let mut status = 0;
    for cmd in commands {
        if echo {
            let mut lines = cmd.lines();
            let prompt = session.prompt();
            if let Some(first) = lines.next() {
                all.out(format!("{prompt}{first}\n"));
            }
            for l in lines {
                all.out(format!("> {l}\n"));
            }
        }
        let (out, code) = session.run_line(&mut cluster, &files, &cmd);
        all.append(out);
        status = code;
        if session.exited() {
            break;
        }
    }
    all.append(session.end(&mut cluster));
    Ok((all, status))
}

fn interactive() -> i32 {
    let mut cluster = Cluster::new(Config::default());
    let mut session = Session::new();
    let disk = DiskFiles;
    let files = WithUrls { inner: &disk };
    let tty = std::io::stdin().is_terminal();
    let stdin = std::io::stdin();
    let mut buf = String::new();
    let mut status = 0;
    let prompt = |p: &str| {
        if tty {
            print!("{p}");
            let _ = std::io::stdout().flush();
        }
    };
    prompt(session.prompt());
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        buf.push_str(&line);
        buf.push('\n');
        if !Shell::is_complete(&buf) {
            prompt("> ");
            continue;
        }
        let src = std::mem::take(&mut buf);
        let (out, code) = session.run_line(&mut cluster, &files, src.trim_end_matches('\n'));
        write_output(&out, false);
        status = code;
        if session.exited() {
            return status;
        }
        prompt(session.prompt());
    }
    write_output(&session.end(&mut cluster), false);
    status
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        None => interactive(),
        Some("run") => {
            let mut seed = 1u64;
            let mut echo = false;
            let mut file = None;
            let mut i = 1;
            while i < args.len() {
                match args[i].as_str() {
                    "--echo" => echo = true,
                    "--seed" => {
                        i += 1;
                        match args.get(i).and_then(|s| s.parse().ok()) {
                            Some(s) => seed = s,
                            None => {
                                eprintln!("kubeplay: --seed needs a number");
                                std::process::exit(2);
                            }
                        }
                    }
                    s if s.starts_with("--seed=") => match s[7..].parse() {
                        Ok(v) => seed = v,
                        Err(_) => {
                            eprintln!("kubeplay: --seed needs a number");
                            std::process::exit(2);
                        }
                    },
                    other => file = Some(other.to_string()),
                }
                i += 1;
            }
            let Some(file) = file else {
                eprint!("{USAGE}");
                std::process::exit(2);
            };
            let script = if file == "-" {
                let mut s = String::new();
                let _ = std::io::stdin().read_to_string(&mut s);
                s
            } else {
                match std::fs::read_to_string(&file) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("kubeplay: {file}: {e}");
                        std::process::exit(2);
                    }
                }
            };
            match run_script(seed, &script, echo, &DiskFiles) {
                Ok((out, code)) => {
                    write_output(&out, echo);
                    code
                }
                Err(e) => {
                    eprintln!("kubeplay: {e}");
                    2
                }
            }
        }
        Some("serve") => serve(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            0
        }
        Some(other) => {
            eprintln!("kubeplay: unknown command \"{other}\"");
            eprint!("{USAGE}");
            2
        }
    };
    std::process::exit(code);
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeplay_kubectl::context::MemFiles;

    #[test]
    fn same_seed_gives_byte_identical_output() {
        let script =
            "sim seed\nkubectl version\nsim advance 30s\nkubectl exec web-0 -- hostname\nnope\n";
        let a = run_script(7, script, true, &MemFiles::default()).unwrap();
        let b = run_script(7, script, true, &MemFiles::default()).unwrap();
        assert_eq!(a.0.combined(), b.0.combined());
        assert!(a
            .0
            .combined()
            .starts_with("$ sim seed\n7\n$ kubectl version\nClient Version: v1.33.1\n"));
        assert_eq!(a.1, 127);
    }
}
