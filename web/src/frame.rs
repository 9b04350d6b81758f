//! The messages between the page (the browser's main thread) and the engine worker, as JSON
//! strings through `postMessage` (written and read by `wire.rs`).
//!
//! Why a worker: at 200 pods one clock tick is tens of milliseconds of controller work plus
//! the view read from the cluster; on the main thread that work shared frames with drawing and
//! the page stuttered. The worker (`worker.rs`) owns the `State` (cluster, terminals, files,
//! journal) and runs the reducer; the page only sends `Action`s and draws the `Frame`s it gets
//! back.
//!
//! Must stay plain data: no DOM, no cluster. A frame carries what changed (a screen's new
//! output, the pod tiles that changed: `ViewDelta`) rather than everything, so a tick costs
//! the page a small parse and touches only the tiles it names.

use crate::state::{Action, Notice, ScreenChange, Selection};
use crate::view::{ClaimDisk, ClusterView, DnsName, EventRow, NodeLane, PodTile, SetRow};
use std::collections::BTreeMap;
use std::rc::Rc;

/// What the page knows at start-up that the worker cannot read (the URL, localStorage).
#[derive(Clone, Debug, Default)]
pub struct Boot {
    pub embed: bool,
    pub autoplay: bool,
    /// A share link's data (`#s=`).
    pub share: Option<String>,
    /// The autosave's text.
    pub saved: Option<String>,
    /// `?perf`: the worker forwards its timings to the page.
    pub perf: bool,
}

pub enum ToWorker {
    Boot(Boot),
    /// An action, numbered by the page (frames say which they include).
    Act(u64, Action),
}

pub enum FromWorker {
    Frame(Box<Frame>),
    /// The session as it would be saved now (`persist`: write it to localStorage).
    Save {
        json: String,
        persist: bool,
    },
}

/// One terminal as the page draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct TermFrame {
    pub screen: ScreenChange,
    pub prompt: String,
    pub input: String,
    pub watching: bool,
    /// Ctrl-R: (what is typed, the history entry it matches, or "").
    pub search: Option<(String, String)>,
}

impl Default for TermFrame {
    fn default() -> TermFrame {
        TermFrame {
            screen: ScreenChange::Same,
            prompt: "$ ".into(),
            input: String::new(),
            watching: false,
            search: None,
        }
    }
}

/// The shared script's progress (embed mode).
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptBar {
    pub steps: usize,
    pub done: usize,
    pub next: Option<String>,
}

/// The facts the action menu of a selected pod or node shows.
#[derive(Clone, Debug, PartialEq)]
pub struct MenuFacts {
    pub summary: String,
    pub cordoned: bool,
}

/// Everything the page draws, after the worker handled actions up to `seq`.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub seq: u64,
    pub playing: bool,
    pub speed: f64,
    pub seed: u64,
    pub embed: bool,
    pub autoplay: bool,
    pub active_terminal: usize,
    pub active_file: usize,
    pub selection: Option<Selection>,
    pub menu: Option<MenuFacts>,
    pub notice: Option<Notice>,
    pub script: Option<ScriptBar>,
    /// What changed in the cluster view since the previous frame; None: nothing.
    pub view: Option<ViewDelta>,
    pub terminals: Vec<TermFrame>,
    /// The editor's files; None: the same as in the previous frame.
    pub files: Option<Vec<(String, String)>>,
    /// `?perf` timings of the worker's own work since the previous frame (name, ms).
    pub perf: Vec<(String, f64)>,
}

impl Default for Frame {
    fn default() -> Frame {
        Frame {
            seq: 0,
            playing: true,
            speed: 1.0,
            seed: 1,
            embed: false,
            autoplay: false,
            active_terminal: 0,
            active_file: 0,
            selection: None,
            menu: None,
            notice: None,
            script: None,
            view: None,
            terminals: vec![TermFrame::default(), TermFrame::default()],
            files: None,
            perf: Vec::new(),
        }
    }
}

/// An item of a list the page keeps between frames, known by a key (a pod's name, an event's
/// uid).
pub trait Keyed {
    fn key(&self) -> &str;
}

impl Keyed for PodTile {
    fn key(&self) -> &str {
        &self.name
    }
}

impl Keyed for ClaimDisk {
    fn key(&self) -> &str {
        &self.name
    }
}

impl Keyed for DnsName {
    fn key(&self) -> &str {
        &self.name
    }
}

impl Keyed for EventRow {
    fn key(&self) -> &str {
        &self.uid
    }
}

/// How a list changed since the previous frame.
#[derive(Clone, Debug, PartialEq)]
pub enum ListDelta<T> {
    Same,
    /// Every item (the first frame, or keys that are not unique).
    Full(Vec<T>),
    /// The same keys in the same order; these indices hold new items.
    At(Vec<(usize, T)>),
    /// The keys in their new order, and the items that are new or changed (any other key
    /// keeps its item from the previous frame).
    Keyed {
        order: Vec<String>,
        items: Vec<T>,
    },
}

impl<T: Keyed + Eq> ListDelta<Rc<T>> {
    /// What turns `old` into `new`.
    pub fn between(old: &[Rc<T>], new: &[Rc<T>]) -> Self {
        if old.len() == new.len() && old.iter().zip(new).all(|(a, b)| a.key() == b.key()) {
            let at: Vec<(usize, Rc<T>)> = old
                .iter()
                .zip(new)
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .map(|(i, (_, b))| (i, b.clone()))
                .collect();
            return if at.is_empty() {
                ListDelta::Same
            } else {
                ListDelta::At(at)
            };
        }
        let before = key_index(&mut old.iter().map(|x| x.key()));
        let after = key_index(&mut new.iter().map(|x| x.key()));
        match (before, after) {
            (Some(before), Some(_)) => ListDelta::Keyed {
                order: new.iter().map(|x| x.key().to_string()).collect(),
                items: new
                    .iter()
                    .filter(|x| before.get(x.key()).and_then(|&i| old.get(i)) != Some(x))
                    .cloned()
                    .collect(),
            },
            _ => ListDelta::Full(new.to_vec()),
        }
    }

    /// `old` changed as this says: unchanged items keep their allocation.
    pub fn apply(&self, old: &[Rc<T>]) -> Vec<Rc<T>> {
        match self {
            ListDelta::Same => old.to_vec(),
            ListDelta::Full(all) => all.clone(),
            ListDelta::At(at) => {
                let mut out = old.to_vec();
                for (i, x) in at {
                    if let Some(slot) = out.get_mut(*i) {
                        *slot = x.clone();
                    }
                }
                out
            }
            ListDelta::Keyed { order, items } => {
                // Positions in `old`, then in `items` (after `old.len()`), which win.
                let mut at: BTreeMap<&str, usize> = BTreeMap::new();
                for (i, x) in old.iter().chain(items).enumerate() {
                    at.insert(x.key(), i);
                }
                order
                    .iter()
                    .filter_map(|k| {
                        let i = *at.get(k.as_str())?;
                        old.get(i).or_else(|| items.get(i - old.len())).cloned()
                    })
                    .collect()
            }
        }
    }
}

/// Each key's position, or None when a key repeats. Not generic over the item type: one
/// copy of the map's code in the wasm serves every list.
fn key_index<'a>(keys: &mut dyn Iterator<Item = &'a str>) -> Option<BTreeMap<&'a str, usize>> {
    let mut at = BTreeMap::new();
    for (i, k) in keys.enumerate() {
        if at.insert(k, i).is_some() {
            return None;
        }
    }
    Some(at)
}

/// What changed in the cluster view: each field None (or `Same`) when it did not.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewDelta {
    pub sets: Option<Vec<SetRow>>,
    pub clock: Option<String>,
    pub lanes: Option<Vec<NodeLane>>,
    pub columns: Option<Rc<Vec<String>>>,
    pub pods: ListDelta<Rc<PodTile>>,
    pub claims: ListDelta<Rc<ClaimDisk>>,
    pub dns: ListDelta<Rc<DnsName>>,
    pub events: ListDelta<Rc<EventRow>>,
    pub idle: Option<bool>,
}

fn changed<T: PartialEq + Clone>(old: &T, new: &T) -> Option<T> {
    (old != new).then(|| new.clone())
}

fn or<T: Clone>(new: &Option<T>, old: &T) -> T {
    new.as_ref().unwrap_or(old).clone()
}

impl ViewDelta {
    /// What turns `old` into `new`; None when they are the same.
    pub fn between(old: &ClusterView, new: &ClusterView) -> Option<ViewDelta> {
        let d = ViewDelta {
            sets: changed(&old.sets, &new.sets),
            clock: changed(&old.clock, &new.clock),
            lanes: changed(&old.lanes, &new.lanes),
            columns: changed(&old.columns, &new.columns),
            pods: ListDelta::between(&old.pods, &new.pods),
            claims: ListDelta::between(&old.claims, &new.claims),
            dns: ListDelta::between(&old.dns, &new.dns),
            events: ListDelta::between(&old.events, &new.events),
            idle: changed(&old.idle, &new.idle),
        };
        let same = ViewDelta {
            sets: None,
            clock: None,
            lanes: None,
            columns: None,
            pods: ListDelta::Same,
            claims: ListDelta::Same,
            dns: ListDelta::Same,
            events: ListDelta::Same,
            idle: None,
        };
        (d != same).then_some(d)
    }

    /// `old` changed as this says.
    pub fn apply(&self, old: &ClusterView) -> ClusterView {
        ClusterView {
            sets: or(&self.sets, &old.sets),
            clock: or(&self.clock, &old.clock),
            lanes: or(&self.lanes, &old.lanes),
            columns: or(&self.columns, &old.columns),
            pods: self.pods.apply(&old.pods),
            claims: self.claims.apply(&old.claims),
            dns: self.dns.apply(&old.dns),
            events: self.events.apply(&old.events),
            idle: self.idle.unwrap_or(old.idle),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::PodLook;

    fn pod(name: &str, status: &str) -> Rc<PodTile> {
        Rc::new(PodTile {
            name: name.into(),
            lane: 0,
            column: 0,
            status: status.into(),
            ready: "0/1".into(),
            restarts: "0".into(),
            ip: String::new(),
            look: PodLook::Pending,
        })
    }

    #[test]
    fn a_list_delta_names_only_what_changed_and_keeps_the_rest() {
        let a = vec![pod("web-0", "Pending"), pod("web-1", "Pending")];
        let b = vec![a[0].clone(), pod("web-1", "Running")];
        let d = ListDelta::between(&a, &b);
        assert_eq!(d, ListDelta::At(vec![(1, b[1].clone())]));
        let got = d.apply(&a);
        assert_eq!(got, b);
        assert!(
            Rc::ptr_eq(&got[0], &a[0]),
            "an unchanged tile keeps its allocation"
        );
        assert_eq!(ListDelta::between(&b, &b), ListDelta::Same);

        // A pod added in the middle and one gone: the order, and only the new tile.
        let c = vec![pod("web-0", "Pending"), pod("web-00", "Pending")];
        let d = ListDelta::between(&b, &c);
        match &d {
            ListDelta::Keyed { order, items } => {
                assert_eq!(order, &["web-0", "web-00"]);
                assert_eq!(items.len(), 1);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(d.apply(&b), c);

        // Keys that are not unique: everything.
        let dup = vec![pod("x", "Pending"), pod("x", "Running")];
        assert_eq!(ListDelta::between(&a, &dup), ListDelta::Full(dup.clone()));
        assert_eq!(ListDelta::between(&a, &dup).apply(&a), dup);
    }

    #[test]
    fn a_view_delta_rebuilds_the_view() {
        let a = ClusterView {
            clock: "00:00:01".into(),
            pods: vec![pod("web-0", "Pending")],
            ..ClusterView::default()
        };
        let b = ClusterView {
            clock: "00:00:02".into(),
            pods: vec![pod("web-0", "Running"), pod("web-1", "Pending")],
            ..ClusterView::default()
        };
        assert_eq!(ViewDelta::between(&a, &a), None);
        let d = ViewDelta::between(&a, &b).expect("changed");
        assert_eq!(d.apply(&a), b);
        let first = ViewDelta::between(&ClusterView::default(), &b).expect("changed");
        assert_eq!(first.apply(&ClusterView::default()), b);
    }
}
