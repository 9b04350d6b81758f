//! Command-line flags as cobra/pflag parse them: `--name=value`, `--name value`, `-n value`,
//! `-nvalue`, bool flags (`--force`, `--force=false`), grouped short bools (`-it`), and `--`.
//! Errors use pflag's words: `unknown flag: --foo`, `flag needs an argument: --replicas`.

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagKind {
    Bool,
    Value,
    /// May repeat; values are collected (`-f a -f b`, `--selector`).
    Multi,
}

/// One flag a command accepts.
#[derive(Clone, Debug)]
pub struct FlagSpec {
    pub long: &'static str,
    pub short: Option<char>,
    pub kind: FlagKind,
}

pub const fn flag(long: &'static str, short: Option<char>, kind: FlagKind) -> FlagSpec {
    FlagSpec { long, short, kind }
}

/// The result of parsing: positional arguments, flag values, and everything after `--`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub positional: Vec<String>,
    pub values: BTreeMap<String, Vec<String>>,
    /// Arguments after a bare `--` (`kubectl exec web-0 -- sh -c ...`).
    pub rest: Option<Vec<String>>,
}

impl Parsed {
    pub fn has(&self, long: &str) -> bool {
        self.values.contains_key(long)
    }

    /// The last value given for a flag.
    pub fn value(&self, long: &str) -> Option<&str> {
        self.values
            .get(long)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    pub fn all(&self, long: &str) -> Vec<String> {
        self.values.get(long).cloned().unwrap_or_default()
    }

    /// A bool flag: present without value or with a true value.
    pub fn bool(&self, long: &str) -> bool {
        matches!(self.value(long), Some("true"))
    }
}

/// Parses `args` against `specs`. Flags may appear anywhere before `--`.
pub fn parse(args: &[String], specs: &[FlagSpec]) -> Result<Parsed, String> {
    let mut p = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            p.rest = Some(args[i + 1..].to_vec());
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let spec = specs
                .iter()
                .find(|s| s.long == name)
                .ok_or_else(|| format!("unknown flag: --{name}"))?;
            let value = match (spec.kind, inline) {
                (FlagKind::Bool, Some(v)) => match v.as_str() {
                    "true" | "1" | "t" | "T" | "TRUE" | "True" => "true".to_string(),
                    "false" | "0" | "f" | "F" | "FALSE" | "False" => "false".to_string(),
                    _ => {
                        return Err(format!(
                            "invalid argument \"{v}\" for \"--{name}\" flag: strconv.ParseBool: parsing \"{v}\": invalid syntax"
                        ))
                    }
                },
                (FlagKind::Bool, None) => "true".to_string(),
                (_, Some(v)) => v,
                (_, None) => {
                    i += 1;
                    args.get(i).cloned().ok_or_else(|| format!("flag needs an argument: --{name}"))?
                }
            };
            p.values
                .entry(spec.long.to_string())
                .or_default()
                .push(value);
        } else if a.len() > 1 && a.starts_with('-') && a != "-" {
            let chars: Vec<char> = a[1..].chars().collect();
            let mut j = 0;
            while j < chars.len() {
                let c = chars[j];
                let spec = specs
                    .iter()
                    .find(|s| s.short == Some(c))
                    .ok_or_else(|| format!("unknown shorthand flag: '{c}' in {a}"))?;
                match spec.kind {
                    FlagKind::Bool => {
                        p.values
                            .entry(spec.long.to_string())
                            .or_default()
                            .push("true".to_string());
                        j += 1;
                    }
                    _ => {
                        let rest: String = chars[j + 1..].iter().collect();
                        let value = if let Some(v) = rest.strip_prefix('=') {
                            v.to_string()
                        } else if !rest.is_empty() {
                            rest
                        } else {
                            i += 1;
                            args.get(i)
                                .cloned()
                                .ok_or_else(|| format!("flag needs an argument: '{c}' in -{c}"))?
                        };
                        p.values
                            .entry(spec.long.to_string())
                            .or_default()
                            .push(value);
                        break;
                    }
                }
            }
        } else {
            p.positional.push(a.clone());
        }
        i += 1;
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    const SPECS: &[FlagSpec] = &[
        flag("namespace", Some('n'), FlagKind::Value),
        flag("stdin", Some('i'), FlagKind::Bool),
        flag("tty", Some('t'), FlagKind::Bool),
        flag("selector", Some('l'), FlagKind::Value),
        flag("watch", Some('w'), FlagKind::Bool),
        flag("filename", Some('f'), FlagKind::Multi),
    ];

    #[test]
    fn parses_pflag_forms() {
        let p = parse(
            &s(&[
                "get",
                "pods",
                "-w",
                "-l",
                "app=nginx",
                "-nkube-system",
                "-f",
                "a",
                "--filename=b",
            ]),
            SPECS,
        )
        .unwrap();
        assert_eq!(p.positional, s(&["get", "pods"]));
        assert!(p.bool("watch"));
        assert_eq!(p.value("selector"), Some("app=nginx"));
        assert_eq!(p.value("namespace"), Some("kube-system"));
        assert_eq!(p.all("filename"), s(&["a", "b"]));
        let p = parse(
            &s(&["exec", "-it", "web-0", "--", "sh", "-c", "hostname"]),
            SPECS,
        )
        .unwrap();
        assert!(p.bool("stdin") && p.bool("tty"));
        assert_eq!(p.rest, Some(s(&["sh", "-c", "hostname"])));
        assert_eq!(
            parse(&s(&["--bogus"]), SPECS).unwrap_err(),
            "unknown flag: --bogus"
        );
        assert_eq!(
            parse(&s(&["-l"]), SPECS).unwrap_err(),
            "flag needs an argument: 'l' in -l"
        );
        assert!(!parse(&s(&["--watch=false"]), SPECS).unwrap().bool("watch"));
    }
}
