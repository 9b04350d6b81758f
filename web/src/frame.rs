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
//! output, a new cluster view) rather than everything, so a tick costs the page a small parse.

use crate::state::{Action, Notice, ScreenChange, Selection};
use crate::view::ClusterView;

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
    /// None: the same as in the previous frame.
    pub view: Option<ClusterView>,
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
