//! A session as text: the seed, the workspace files, the journal of inputs with their virtual
//! times and the clock — everything `World::replay` needs to rebuild the same cluster — plus a
//! few page settings. The same JSON is the autosave in localStorage, the exported file, and
//! (deflated, base64url) the share link's fragment.
//!
//! Pure code: no DOM, no storage, tested natively. Reading must never panic on any input: a
//! snapshot written by another version, cut short or edited by hand gives an `Err` with words.

use crate::state::{Op, World};
use serde_json::{json, Value};

/// Format version written in every snapshot; readers refuse versions they do not know.
pub const VERSION: u64 = 1;
/// A share link or import may not inflate beyond this (a deflate bomb is an error, not a hang).
const MAX_INFLATED: usize = 8 << 20;

/// Page settings restored with a session.
#[derive(Clone, Debug, PartialEq)]
pub struct Ui {
    pub speed: f64,
    pub playing: bool,
    pub active_terminal: usize,
    pub active_file: usize,
    /// What was typed but not yet run, per terminal.
    pub inputs: Vec<String>,
}

impl Default for Ui {
    fn default() -> Ui {
        Ui {
            speed: 1.0,
            playing: true,
            active_terminal: 0,
            active_file: 0,
            inputs: Vec::new(),
        }
    }
}

/// A decoded session, ready to replay.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub seed: u64,
    pub files: Vec<(String, String)>,
    pub journal: Vec<(u64, Op)>,
    /// Virtual ms since the cluster started.
    pub now_ms: u64,
    pub ui: Ui,
}

fn files_json(files: &[(String, String)]) -> Value {
    Value::Array(files.iter().map(|(n, t)| json!([n, t])).collect())
}

fn op_json(at: u64, op: &Op) -> Value {
    match op {
        Op::Line(t, line) => json!([at, "line", t, line]),
        Op::Interrupt(t) => json!([at, "interrupt", t]),
        Op::Clear(t) => json!([at, "clear", t]),
        Op::Files(f) => json!([at, "files", files_json(f)]),
    }
}

impl Snapshot {
    pub fn of(world: &World, ui: Ui) -> Snapshot {
        Snapshot {
            seed: world.seed,
            files: world.files.clone(),
            journal: world.journal.clone(),
            now_ms: world.elapsed_ms(),
            ui,
        }
    }

    pub fn to_json(&self) -> String {
        let v = json!({
            "kubeplay": VERSION,
            "seed": self.seed,
            "files": files_json(&self.files),
            "journal": self.journal.iter().map(|(at, op)| op_json(*at, op)).collect::<Vec<_>>(),
            "now": self.now_ms,
            "ui": {
                "speed": self.ui.speed,
                "playing": self.ui.playing,
                "terminal": self.ui.active_terminal,
                "file": self.ui.active_file,
                "inputs": self.ui.inputs,
            },
        });
        v.to_string()
    }

    pub fn from_json(text: &str) -> Result<Snapshot, String> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("it is not valid JSON ({e})"))?;
        match v.get("kubeplay").and_then(Value::as_u64) {
            Some(VERSION) => {}
            Some(n) => {
                return Err(format!(
                    "it was written by format version {n}, this page reads version {VERSION}"
                ))
            }
            None => {
                return Err("it is not a kubeplay session (no \"kubeplay\" version field)".into())
            }
        }
        let seed = v
            .get("seed")
            .and_then(Value::as_u64)
            .ok_or("the seed is missing")?;
        let files = read_files(v.get("files")).ok_or("the files are unreadable")?;
        let mut journal = Vec::new();
        for (i, e) in v
            .get("journal")
            .and_then(Value::as_array)
            .ok_or("the journal is missing")?
            .iter()
            .enumerate()
        {
            journal
                .push(read_op(e).ok_or_else(|| format!("journal entry {} is unreadable", i + 1))?);
        }
        if journal.windows(2).any(|w| w[0].0 > w[1].0) {
            return Err("the journal goes back in time".into());
        }
        let now_ms = v.get("now").and_then(Value::as_u64).unwrap_or(0);
        let ui = v.get("ui");
        let get = |k: &str| ui.and_then(|u| u.get(k));
        let ui = Ui {
            speed: get("speed").and_then(Value::as_f64).unwrap_or(1.0),
            playing: get("playing").and_then(Value::as_bool).unwrap_or(true),
            active_terminal: get("terminal").and_then(Value::as_u64).unwrap_or(0) as usize,
            active_file: get("file").and_then(Value::as_u64).unwrap_or(0) as usize,
            inputs: get("inputs")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|s| s.as_str().unwrap_or("").to_string())
                        .collect()
                })
                .unwrap_or_default(),
        };
        Ok(Snapshot {
            seed,
            files,
            journal,
            now_ms,
            ui,
        })
    }

    /// Rebuilds the world this snapshot describes.
    pub fn replay(&self) -> World {
        World::replay(self.seed, &self.journal, self.files.clone(), self.now_ms)
    }

    /// The share-link form: deflated JSON in base64url (the URL-safe alphabet, no padding).
    pub fn to_link_data(&self) -> String {
        let json = self.to_json();
        base64url_encode(&miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9))
    }

    pub fn from_link_data(data: &str) -> Result<Snapshot, String> {
        let bytes =
            base64url_decode(data).ok_or("the link is cut short or mangled (bad base64)")?;
        let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_INFLATED)
            .map_err(|_| "the link is cut short or mangled (bad deflate data)".to_string())?;
        let text =
            String::from_utf8(json).map_err(|_| "the link's text is not UTF-8".to_string())?;
        Snapshot::from_json(&text)
    }
}

fn read_files(v: Option<&Value>) -> Option<Vec<(String, String)>> {
    v?.as_array()?
        .iter()
        .map(|f| {
            Some((
                f.get(0)?.as_str()?.to_string(),
                f.get(1)?.as_str()?.to_string(),
            ))
        })
        .collect()
}

fn read_op(e: &Value) -> Option<(u64, Op)> {
    let at = e.get(0)?.as_u64()?;
    let t = || e.get(2).and_then(Value::as_u64).map(|t| t as usize);
    let op = match e.get(1)?.as_str()? {
        "line" => Op::Line(t()?, e.get(3)?.as_str()?.to_string()),
        "interrupt" => Op::Interrupt(t()?),
        "clear" => Op::Clear(t()?),
        "files" => Op::Files(read_files(e.get(2))?),
        _ => return None,
    };
    Some((at, op))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::WEB_YAML;

    fn screen(w: &World, t: usize) -> String {
        w.terminals[t]
            .scrollback
            .iter()
            .map(|(_, s)| s.as_str())
            .collect()
    }

    fn played() -> World {
        let mut w = World::new(7, vec![("web.yaml".into(), WEB_YAML.into())]);
        w.type_text(0, "kubectl get pods -w -l app=nginx");
        w.type_text(1, "kubectl apply -f web.yaml");
        for _ in 0..300 {
            w.advance(97);
        }
        w.files[0].1 = WEB_YAML.replace("replicas: 2", "replicas: 3");
        w.type_text(1, "kubectl apply -f web.yaml");
        w.advance(12_345);
        w.interrupt(0);
        w.type_text(1, "kubectl delete pod web-0 --wait=false");
        w.advance(40_000);
        w.type_text(1, "kubectl get pods,pvc -o wide");
        w
    }

    #[test]
    fn a_replayed_journal_rebuilds_the_same_cluster_and_terminals() {
        let w = played();
        let snap = Snapshot::from_json(&Snapshot::of(&w, Ui::default()).to_json()).expect("reads");
        let r = snap.replay();
        assert_eq!(r.elapsed_ms(), w.elapsed_ms());
        assert_eq!(r.journal, w.journal);
        assert_eq!(r.files, w.files);
        assert_eq!(screen(&r, 1), screen(&w, 1));
        assert_eq!(screen(&r, 0), screen(&w, 0));
        assert_eq!(r.terminals[1].history, w.terminals[1].history);
        let dump = |w: &World| {
            let objs: Vec<String> = w
                .cluster
                .api
                .store
                .list(kubeplay_engine::Kind::Pod, None)
                .map(|p| p.to_string())
                .collect();
            objs
        };
        assert_eq!(dump(&r), dump(&w));
        assert!(screen(&r, 1).contains("web-2"), "{}", screen(&r, 1));
    }

    #[test]
    fn share_links_round_trip_and_are_compact() {
        let w = played();
        let snap = Snapshot::of(&w, Ui::default());
        let link = snap.to_link_data();
        assert!(link
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(
            link.len() < snap.to_json().len() / 2,
            "{} vs {}",
            link.len(),
            snap.to_json().len()
        );
        assert_eq!(Snapshot::from_link_data(&link), Ok(snap));
    }

    #[test]
    fn unreadable_snapshots_say_why() {
        for (text, why) in [
            ("", "not valid JSON"),
            ("{\"kubeplay\": 99}", "format version 99"),
            ("[]", "not a kubeplay session"),
            ("{\"kubeplay\": 1, \"seed\": 1, \"files\": [], \"journal\": [[5, \"rm -rf\"]]}", "journal entry 1"),
            ("{\"kubeplay\": 1, \"seed\": 1, \"files\": [], \"journal\": [[5, \"clear\", 0], [4, \"clear\", 0]]}", "back in time"),
        ] {
            let e = Snapshot::from_json(text).expect_err(text);
            assert!(e.contains(why), "{text}: {e}");
        }
        assert!(Snapshot::from_link_data("!!!").is_err());
        assert!(Snapshot::from_link_data("AAAA").is_err());
    }

    #[test]
    fn base64url_round_trips() {
        for n in 0..20u8 {
            let bytes: Vec<u8> = (0..n)
                .map(|i| i.wrapping_mul(37).wrapping_add(200))
                .collect();
            assert_eq!(base64url_decode(&base64url_encode(&bytes)), Some(bytes));
        }
        assert_eq!(base64url_encode(b"hi?"), "aGk_");
    }
}
