//! How the messages between the page and the engine worker (`frame.rs`) are written as JSON:
//! positional arrays built and read through `serde_json::Value`, which the wasm already
//! carries. Why not `#[derive(Serialize, Deserialize)]`: the derived code is generic, one copy
//! per type and direction, and cost some 30 KiB of gzip for these twenty types; this is a few.
//!
//! Must never panic on any input: an unreadable message is `None` and is dropped.

use crate::frame::{
    Boot, Frame, FromWorker, ListDelta, MenuFacts, ScriptBar, TermFrame, ToWorker, ViewDelta,
};
use crate::state::{Action, LineKind, Notice, ScreenChange, Selection};
use crate::view::{ClaimDisk, DnsName, EventRow, NodeLane, PodLook, PodTile, SetRow};
use serde_json::{json, Value};
use std::rc::Rc;

pub trait Wire: Sized {
    fn to_wire(&self) -> Value;
    fn from_wire(v: &Value) -> Option<Self>;
}

/// A message as text.
pub fn write<T: Wire>(x: &T) -> String {
    x.to_wire().to_string()
}

/// A message from text.
pub fn read<T: Wire>(text: &str) -> Option<T> {
    T::from_wire(&serde_json::from_str::<Value>(text).ok()?)
}

impl Wire for String {
    fn to_wire(&self) -> Value {
        Value::String(self.clone())
    }
    fn from_wire(v: &Value) -> Option<Self> {
        v.as_str().map(str::to_string)
    }
}

impl Wire for bool {
    fn to_wire(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_wire(v: &Value) -> Option<Self> {
        v.as_bool()
    }
}

impl Wire for u64 {
    fn to_wire(&self) -> Value {
        json!(self)
    }
    fn from_wire(v: &Value) -> Option<Self> {
        v.as_u64()
    }
}

impl Wire for usize {
    fn to_wire(&self) -> Value {
        json!(self)
    }
    fn from_wire(v: &Value) -> Option<Self> {
        usize::try_from(v.as_u64()?).ok()
    }
}

impl Wire for i64 {
    fn to_wire(&self) -> Value {
        json!(self)
    }
    fn from_wire(v: &Value) -> Option<Self> {
        v.as_i64()
    }
}

impl Wire for f64 {
    fn to_wire(&self) -> Value {
        json!(self)
    }
    fn from_wire(v: &Value) -> Option<Self> {
        v.as_f64()
    }
}

impl<T: Wire> Wire for Option<T> {
    fn to_wire(&self) -> Value {
        self.as_ref().map_or(Value::Null, Wire::to_wire)
    }
    fn from_wire(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => Some(Some(T::from_wire(v)?)),
        }
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn to_wire(&self) -> Value {
        Value::Array(self.iter().map(Wire::to_wire).collect())
    }
    fn from_wire(v: &Value) -> Option<Self> {
        v.as_array()?.iter().map(T::from_wire).collect()
    }
}

impl<T: Wire> Wire for Rc<T> {
    fn to_wire(&self) -> Value {
        (**self).to_wire()
    }
    fn from_wire(v: &Value) -> Option<Self> {
        T::from_wire(v).map(Rc::new)
    }
}

impl<T: Wire> Wire for ListDelta<T> {
    fn to_wire(&self) -> Value {
        match self {
            ListDelta::Same => json!(0),
            ListDelta::Full(all) => json!([1, all.to_wire()]),
            ListDelta::At(at) => json!([2, at.to_wire()]),
            ListDelta::Keyed { order, items } => json!([3, order.to_wire(), items.to_wire()]),
        }
    }
    fn from_wire(v: &Value) -> Option<Self> {
        let arg = |i: usize| v.get(i).unwrap_or(&Value::Null);
        match v.as_u64().or_else(|| arg(0).as_u64())? {
            0 => Some(ListDelta::Same),
            1 => Some(ListDelta::Full(Wire::from_wire(arg(1))?)),
            2 => Some(ListDelta::At(Wire::from_wire(arg(1))?)),
            3 => Some(ListDelta::Keyed {
                order: Wire::from_wire(arg(1))?,
                items: Wire::from_wire(arg(2))?,
            }),
            _ => None,
        }
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn to_wire(&self) -> Value {
        Value::Array(vec![self.0.to_wire(), self.1.to_wire()])
    }
    fn from_wire(v: &Value) -> Option<Self> {
        match v.as_array()?.as_slice() {
            [a, b] => Some((A::from_wire(a)?, B::from_wire(b)?)),
            _ => None,
        }
    }
}

/// A struct as the array of its fields, in this order.
macro_rules! wire_struct {
    ($t:ident { $($f:ident),* $(,)? }) => {
        impl Wire for $t {
            fn to_wire(&self) -> Value {
                Value::Array(vec![$(self.$f.to_wire()),*])
            }
            fn from_wire(v: &Value) -> Option<Self> {
                let mut it = v.as_array()?.iter();
                Some($t { $($f: Wire::from_wire(it.next()?)?),* })
            }
        }
    };
}

wire_struct!(Boot {
    embed,
    autoplay,
    share,
    saved,
    perf
});
wire_struct!(TermFrame {
    screen,
    prompt,
    input,
    watching,
    search
});
wire_struct!(ScriptBar { steps, done, next });
wire_struct!(MenuFacts { summary, cordoned });
wire_struct!(Frame {
    seq,
    playing,
    speed,
    seed,
    embed,
    autoplay,
    active_terminal,
    active_file,
    selection,
    menu,
    notice,
    script,
    view,
    terminals,
    files,
    perf,
});
wire_struct!(PodTile {
    name,
    lane,
    column,
    status,
    ready,
    restarts,
    ip,
    look
});
wire_struct!(NodeLane {
    name,
    ready,
    unschedulable,
    status
});
wire_struct!(ClaimDisk {
    name,
    column,
    phase,
    capacity,
    attached
});
wire_struct!(DnsName {
    name,
    column,
    lit,
    ip
});
wire_struct!(EventRow {
    uid,
    age,
    warning,
    reason,
    object,
    message
});
wire_struct!(SetRow {
    name,
    replicas,
    ready,
    policy,
    waiting
});
wire_struct!(ViewDelta {
    sets,
    clock,
    lanes,
    columns,
    pods,
    claims,
    dns,
    events,
    idle
});

/// A fieldless enum as its index in `ALL`.
macro_rules! wire_index {
    ($t:ident [$($v:ident),* $(,)?]) => {
        impl Wire for $t {
            fn to_wire(&self) -> Value {
                const ALL: &[$t] = &[$($t::$v),*];
                json!(ALL.iter().position(|x| x == self).unwrap_or(0))
            }
            fn from_wire(v: &Value) -> Option<Self> {
                const ALL: &[$t] = &[$($t::$v),*];
                ALL.get(usize::from_wire(v)?).copied()
            }
        }
    };
}

wire_index!(LineKind[Input, Stdout, Stderr, Note]);
wire_index!(PodLook[Pending, Creating, Running, Ready, Terminating, Failed, Completed]);

impl Wire for ScreenChange {
    fn to_wire(&self) -> Value {
        match self {
            ScreenChange::Same => json!(0),
            ScreenChange::Append(s) => json!([1, s.to_wire()]),
            ScreenChange::Reset(s) => json!([2, s.to_wire()]),
        }
    }
    fn from_wire(v: &Value) -> Option<Self> {
        match (v.get(0).and_then(Value::as_u64), v.get(1)) {
            (Some(1), Some(s)) => Some(ScreenChange::Append(Wire::from_wire(s)?)),
            (Some(2), Some(s)) => Some(ScreenChange::Reset(Wire::from_wire(s)?)),
            _ => Some(ScreenChange::Same),
        }
    }
}

impl Wire for Selection {
    fn to_wire(&self) -> Value {
        match self {
            Selection::Pod(n) => json!(["pod", n]),
            Selection::Node(n) => json!(["node", n]),
        }
    }
    fn from_wire(v: &Value) -> Option<Self> {
        let (kind, name) = <(String, String)>::from_wire(v)?;
        match kind.as_str() {
            "pod" => Some(Selection::Pod(name)),
            "node" => Some(Selection::Node(name)),
            _ => None,
        }
    }
}

impl Wire for Notice {
    fn to_wire(&self) -> Value {
        match self {
            Notice::Unreadable { why, raw } => json!(["unreadable", why, raw]),
            Notice::Info(text) => json!(["info", text]),
        }
    }
    fn from_wire(v: &Value) -> Option<Self> {
        let s = |i: usize| v.get(i).and_then(Value::as_str).map(str::to_string);
        match s(0)?.as_str() {
            "unreadable" => Some(Notice::Unreadable {
                why: s(1)?,
                raw: s(2)?,
            }),
            "info" => Some(Notice::Info(s(1)?)),
            _ => None,
        }
    }
}

impl Wire for ToWorker {
    fn to_wire(&self) -> Value {
        match self {
            ToWorker::Boot(b) => json!(["boot", b.to_wire()]),
            ToWorker::Act(seq, a) => json!(["act", seq, a.to_wire()]),
        }
    }
    fn from_wire(v: &Value) -> Option<Self> {
        match v.get(0)?.as_str()? {
            "boot" => Some(ToWorker::Boot(Boot::from_wire(v.get(1)?)?)),
            "act" => Some(ToWorker::Act(
                v.get(1)?.as_u64()?,
                Action::from_wire(v.get(2)?)?,
            )),
            _ => None,
        }
    }
}

impl Wire for FromWorker {
    fn to_wire(&self) -> Value {
        match self {
            FromWorker::Frame(f) => json!(["frame", f.to_wire()]),
            FromWorker::Save { json, persist } => json!(["save", json, persist]),
        }
    }
    fn from_wire(v: &Value) -> Option<Self> {
        match v.get(0)?.as_str()? {
            "frame" => Some(FromWorker::Frame(Box::new(Frame::from_wire(v.get(1)?)?))),
            "save" => Some(FromWorker::Save {
                json: String::from_wire(v.get(1)?)?,
                persist: bool::from_wire(v.get(2)?)?,
            }),
            _ => None,
        }
    }
}

impl Wire for Action {
    fn to_wire(&self) -> Value {
        use Action::*;
        match self {
            Tick(ms) => json!(["tick", ms]),
            TogglePlay => json!(["toggle-play"]),
            SetSpeed(x) => json!(["speed", x]),
            Step => json!(["step"]),
            Settle => json!(["settle"]),
            Reset(seed) => json!(["reset", seed]),
            SetInput(t, s) => json!(["input", t, s]),
            Submit(t) => json!(["submit", t]),
            Paste(t, s) => json!(["paste", t, s]),
            HistoryPrev(t) => json!(["history-prev", t]),
            HistoryNext(t) => json!(["history-next", t]),
            Interrupt(t) => json!(["interrupt", t]),
            ClearScreen(t) => json!(["clear", t]),
            SelectTerminal(t) => json!(["terminal", t]),
            SelectFile(f) => json!(["file", f]),
            EditFile(f, s) => json!(["edit", f, s]),
            NewFile => json!(["new-file"]),
            Apply => json!(["apply"]),
            Run(line) => json!(["run", line]),
            Select(sel) => json!(["select", sel.to_wire()]),
            // The page never sends a decoded snapshot: it sends the file's text (`Import`).
            Load(_) => json!(["nothing"]),
            Import(text) => json!(["import", text]),
            LoadFailed(why) => json!(["load-failed", why]),
            DismissNotice => json!(["dismiss"]),
            Discard => json!(["discard"]),
            NextStep => json!(["next-step"]),
            ToggleAutoplay => json!(["toggle-autoplay"]),
            Complete(t) => json!(["complete", t]),
            SearchBack(t) => json!(["search-back", t]),
            SetSearch(t, s) => json!(["search", t, s]),
            AcceptSearch(t, run) => json!(["accept-search", t, run]),
            CancelSearch(t) => json!(["cancel-search", t]),
        }
    }

    fn from_wire(v: &Value) -> Option<Self> {
        use Action::*;
        let arg = |i: usize| v.get(i).unwrap_or(&Value::Null);
        let t = || usize::from_wire(arg(1));
        let text = || String::from_wire(arg(2));
        Some(match v.get(0)?.as_str()? {
            "tick" => Tick(f64::from_wire(arg(1))?),
            "toggle-play" => TogglePlay,
            "speed" => SetSpeed(f64::from_wire(arg(1))?),
            "step" => Step,
            "settle" => Settle,
            "reset" => Reset(u64::from_wire(arg(1))?),
            "input" => SetInput(t()?, text()?),
            "submit" => Submit(t()?),
            "paste" => Paste(t()?, text()?),
            "history-prev" => HistoryPrev(t()?),
            "history-next" => HistoryNext(t()?),
            "interrupt" => Interrupt(t()?),
            "clear" => ClearScreen(t()?),
            "terminal" => SelectTerminal(t()?),
            "file" => SelectFile(t()?),
            "edit" => EditFile(t()?, text()?),
            "new-file" => NewFile,
            "apply" => Apply,
            "run" => Run(String::from_wire(arg(1))?),
            "select" => Select(Wire::from_wire(arg(1))?),
            "import" => Import(String::from_wire(arg(1))?),
            "load-failed" => LoadFailed(String::from_wire(arg(1))?),
            "dismiss" => DismissNotice,
            "discard" => Discard,
            "next-step" => NextStep,
            "toggle-autoplay" => ToggleAutoplay,
            "complete" => Complete(t()?),
            "search-back" => SearchBack(t()?),
            "search" => SetSearch(t()?, text()?),
            "accept-search" => AcceptSearch(t()?, bool::from_wire(arg(2))?),
            "cancel-search" => CancelSearch(t()?),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{cluster_view, ClusterView};
    use kubeplay_engine::{Cluster, Config};

    #[test]
    fn a_frame_reads_back_as_written() {
        let mut c = Cluster::new(Config::default());
        let files = kubeplay_kubectl::context::MemFiles(
            [("web.yaml".to_string(), crate::state::WEB_YAML.to_string())]
                .into_iter()
                .collect(),
        );
        let files = kubeplay_kubectl::bundled::WithUrls { inner: &files };
        kubeplay_kubectl::Session::new().run_line(&mut c, &files, "kubectl apply -f web.yaml");
        c.settle(600_000);
        let frame = Frame {
            seq: 7,
            selection: Some(Selection::Pod("web-0".into())),
            notice: Some(Notice::Unreadable {
                why: "w".into(),
                raw: "r".into(),
            }),
            view: ViewDelta::between(&ClusterView::default(), &cluster_view(&c, "default")),
            files: Some(vec![("a.yaml".into(), "x: 1\n".into())]),
            perf: vec![("kp:tick".into(), 1.5)],
            ..Frame::default()
        };
        assert!(
            matches!(&frame.view, Some(ViewDelta { pods: ListDelta::Keyed { items, .. }, .. }) if !items.is_empty())
        );
        let back: Option<FromWorker> = read(&write(&FromWorker::Frame(Box::new(frame.clone()))));
        match back {
            Some(FromWorker::Frame(f)) => assert_eq!(*f, frame),
            _ => panic!("the frame did not read back"),
        }
    }

    #[test]
    fn actions_read_back_and_junk_is_dropped() {
        let a = ToWorker::Act(3, Action::AcceptSearch(1, true));
        match read::<ToWorker>(&write(&a)) {
            Some(ToWorker::Act(3, Action::AcceptSearch(1, true))) => {}
            _ => panic!("the action did not read back"),
        }
        assert!(read::<ToWorker>("[\"act\", 1, [\"paste\", 0]]").is_none());
        assert!(read::<ToWorker>("{").is_none());
        assert!(read::<FromWorker>("[\"frame\", [1, 2]]").is_none());
    }
}
