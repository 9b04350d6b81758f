//! The page's state and everything that changes it: one `State`, one `enum Action`, one
//! reducer. The simulated cluster, the terminals (kubectl `Session`s) and the editor's files
//! live in a `World` that the reducer mutates in place. All of it lives in the engine worker
//! (`worker.rs`), which runs the reducer for the page's actions and its own clock ticks; the page
//! sees only the frames built from it (`view::*`, `frame.rs`).
//!
//! Why a `RefCell` inside a reducer: the `Cluster` is large and not `Clone`, so copying it on
//! every action (as a textbook reducer would) is out of the question. The reducer is still the
//! only code that mutates the world, and every action bumps `revision`, so renders stay a pure
//! function of (state, revision).
//!
//! This module must never touch the DOM, timers or storage: the worker owns the timer, the page
//! the DOM and storage.

use crate::session::{Snapshot, Ui};
use kubeplay_engine::{Cluster, Config};
use kubeplay_kubectl::bundled::WithUrls;
use kubeplay_kubectl::cmd::events::EventsWatch;
use kubeplay_kubectl::cmd::get::Watch;
use kubeplay_kubectl::context::MemFiles;
use kubeplay_kubectl::shell::Shell;
use kubeplay_kubectl::{cmd, Kubectl, Output, Session, Stream};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::Reducible;

/// The StatefulSet Basics manifest, preloaded as the first editor tab.
pub const WEB_YAML: &str = include_str!("../../static/examples/application/web/web.yaml");

/// How much scrollback a terminal keeps (segments, not lines).
const SCROLLBACK: usize = 4_000;
/// Wall milliseconds of controller work a clock tick may do before it leaves the rest to the
/// next tick. The reducer runs in the engine worker (`worker.rs`), off the page's main thread,
/// so this no longer shares a frame with drawing; it bounds how long the worker leaves typed
/// lines and clicks waiting (ticks come every 50 ms).
const ENGINE_BUDGET_MS: f64 = 20.0;
/// `sim settle` / "settle now" gives up after this much virtual time.
const SETTLE_MS: u64 = 10 * 60 * 1000;

/// What a piece of terminal text is, for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// The prompt and the command the user typed.
    Input,
    Stdout,
    Stderr,
    /// Notes from the page itself (`^C`, "session restarted").
    Note,
}

/// One terminal tab: a kubectl session plus what the screen shows.
pub struct Terminal {
    pub session: Session,
    /// Shared with the terminal component: it re-renders only when this changes (`Rc`'s
    /// equality is pointer equality first), and a write copies it only while a render holds it.
    pub scrollback: Rc<Vec<(LineKind, String)>>,
    pub history: Vec<String>,
    /// Position while browsing history with ↑/↓ (None: editing a fresh line).
    pub history_pos: Option<usize>,
    /// Lines typed so far of a command the shell says is not complete yet.
    pub pending: String,
    pub input: String,
    /// A `kubectl get -w` or `kubectl events -w` streaming as the page clock moves.
    pub watch: Option<Streaming>,
    /// Ctrl-R: (what is typed, the history entry it matches).
    pub search: Option<(String, Option<usize>)>,
    /// What was added to `scrollback` since the engine worker last sent it to the page
    /// (`take_screen`), so a tick sends new output, not the whole screen.
    screen_log: Vec<(LineKind, String)>,
    /// `scrollback` was replaced (cleared, a new terminal): the page needs all of it.
    screen_reset: bool,
}

/// What changed on a terminal's screen since the page last heard.
#[derive(Clone, Debug, PartialEq)]
pub enum ScreenChange {
    Same,
    /// Segments to add with `push_segment`.
    Append(Vec<(LineKind, String)>),
    /// The whole screen.
    Reset(Vec<(LineKind, String)>),
}

/// Adds `text` to a screen as a terminal does: joined to the last segment of the same kind,
/// the oldest segments dropped beyond `SCROLLBACK`. The worker and the page both apply it, so
/// the page's copy of a screen equals the worker's.
pub fn push_segment(screen: &mut Vec<(LineKind, String)>, kind: LineKind, text: &str) {
    if text.is_empty() {
        return;
    }
    match screen.last_mut() {
        Some((k, t)) if *k == kind => t.push_str(text),
        _ => screen.push((kind, text.to_string())),
    }
    if screen.len() > SCROLLBACK {
        let extra = screen.len() - SCROLLBACK;
        screen.drain(..extra);
    }
}

impl ScreenChange {
    /// Applies the change to the page's copy of a screen.
    pub fn apply(self, screen: &mut Rc<Vec<(LineKind, String)>>) {
        match self {
            ScreenChange::Same => {}
            ScreenChange::Reset(all) => *screen = Rc::new(all),
            ScreenChange::Append(segments) => {
                let s = Rc::make_mut(screen);
                for (kind, text) in &segments {
                    push_segment(s, *kind, text);
                }
            }
        }
    }
}

impl Terminal {
    fn new() -> Terminal {
        Terminal {
            session: Session::new(),
            scrollback: Rc::new(Vec::new()),
            history: Vec::new(),
            history_pos: None,
            pending: String::new(),
            input: String::new(),
            watch: None,
            search: None,
            screen_log: Vec::new(),
            screen_reset: true,
        }
    }

    /// Empties the screen (Ctrl-L, `clear`).
    fn reset_screen(&mut self) {
        self.scrollback = Rc::new(Vec::new());
        self.screen_log.clear();
        self.screen_reset = true;
    }

    /// What changed on the screen since the last call.
    pub fn take_screen(&mut self) -> ScreenChange {
        if std::mem::take(&mut self.screen_reset) {
            self.screen_log.clear();
            ScreenChange::Reset((*self.scrollback).clone())
        } else if self.screen_log.is_empty() {
            ScreenChange::Same
        } else {
            ScreenChange::Append(std::mem::take(&mut self.screen_log))
        }
    }

    /// The newest history entry before `before` containing `query`.
    fn find_back(&self, query: &str, before: usize) -> Option<usize> {
        (0..before.min(self.history.len()))
            .rev()
            .find(|&i| self.history.get(i).is_some_and(|h| h.contains(query)))
    }

    fn write(&mut self, kind: LineKind, text: &str) {
        if text.is_empty() {
            return;
        }
        push_segment(Rc::make_mut(&mut self.scrollback), kind, text);
        if !self.screen_reset {
            push_segment(&mut self.screen_log, kind, text);
        }
    }

    fn write_output(&mut self, out: &Output) {
        for (s, t) in &out.chunks {
            let kind = match s {
                Stream::Stdout => LineKind::Stdout,
                Stream::Stderr => LineKind::Stderr,
            };
            self.write(kind, t);
        }
    }

    /// The prompt the next line is typed at.
    pub fn prompt(&self) -> &str {
        if self.pending.is_empty() {
            self.session.prompt()
        } else {
            "> "
        }
    }
}

/// One input the user gave the cluster, as the journal records it.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// A line typed (or pasted, or run by a button) into terminal `t`.
    Line(usize, String),
    /// Ctrl-C in terminal `t`.
    Interrupt(usize),
    /// Ctrl-L in terminal `t`.
    Clear(usize),
    /// The workspace files as the next command saw them.
    Files(Vec<(String, String)>),
}

/// Everything the simulation owns: the cluster, the terminals and the workspace files.
///
/// The journal is what makes a session durable and shareable: the engine is deterministic, so
/// the seed plus every input with the virtual time it was given at rebuilds the same cluster,
/// terminals and history (`World::replay`). Time passing needs no entry: advancing the clock
/// to T fires the same timers in the same order however the advance is cut up.
pub struct World {
    pub cluster: Cluster,
    pub terminals: Vec<Terminal>,
    /// Editor tabs: (file name, text), in tab order. Terminal commands see them by name.
    pub files: Vec<(String, String)>,
    pub seed: u64,
    /// (virtual ms since the cluster started, input), in order.
    pub journal: Vec<(u64, Op)>,
    /// The files as last recorded in the journal.
    journal_files: Option<Vec<(String, String)>>,
}

impl World {
    pub fn new(seed: u64, files: Vec<(String, String)>) -> World {
        World {
            cluster: Cluster::new(Config {
                seed,
                ..Config::default()
            }),
            terminals: vec![Terminal::new(), Terminal::new()],
            files,
            seed,
            journal: Vec::new(),
            journal_files: None,
        }
    }

    /// Virtual milliseconds since the cluster started.
    pub fn elapsed_ms(&self) -> u64 {
        self.cluster
            .now()
            .0
            .saturating_sub(Config::default().start.0)
    }

    fn record(&mut self, op: Op) {
        self.finish_instant();
        let at = self.elapsed_ms();
        self.journal.push((at, op));
    }

    /// Rebuilds a world from a seed and a journal by giving the same inputs at the same
    /// virtual times, then lets the clock run to `now_ms`. `files` are the workspace's files
    /// now (the journal holds the ones earlier commands saw).
    pub fn replay(
        seed: u64,
        journal: &[(u64, Op)],
        files: Vec<(String, String)>,
        now_ms: u64,
    ) -> World {
        let mut w = World::new(seed, Vec::new());
        for (at, op) in journal {
            w.advance_to_elapsed(*at);
            w.apply(op);
        }
        w.advance_to_elapsed(now_ms);
        w.files = files;
        w
    }

    /// Moves the clock to `ms` after the start (never backwards) and lets watches print.
    pub fn advance_to_elapsed(&mut self, ms: u64) {
        let now = self.elapsed_ms();
        self.advance(ms.saturating_sub(now));
    }

    /// Gives one journal input (recording it again, so a replayed journal equals the original).
    pub fn apply(&mut self, op: &Op) {
        match op {
            Op::Line(t, line) => self.submit_line(*t, line),
            Op::Interrupt(t) => self.interrupt(*t),
            Op::Clear(t) => self.clear_screen(*t),
            Op::Files(files) => self.files = files.clone(),
        }
    }

    /// Tab: completes the word at the end of terminal `t`'s input, or lists the choices.
    pub fn complete(&mut self, t: usize) {
        let names: Vec<String> = self.files.iter().map(|(n, _)| n.clone()).collect();
        let World {
            cluster, terminals, ..
        } = self;
        let Some(term) = terminals.get_mut(t) else {
            return;
        };
        let line = term.input.clone();
        let c = kubeplay_kubectl::complete::complete(
            &line,
            &cluster.api,
            &term.session.namespace,
            &names,
        );
        let head = line.get(..c.start).unwrap_or("");
        let word = line.get(c.start..).unwrap_or("");
        match c.candidates.as_slice() {
            [] => {}
            [one] => {
                let space = if one.ends_with('=') || one.ends_with('/') {
                    ""
                } else {
                    " "
                };
                term.input = format!("{head}{one}{space}");
            }
            many => {
                let common = kubeplay_kubectl::complete::common_prefix(many);
                if common.len() > word.len() {
                    term.input = format!("{head}{common}");
                } else {
                    let prompt = term.prompt().to_string();
                    term.write(LineKind::Input, &format!("{prompt}{line}\n"));
                    term.write(LineKind::Note, &format!("{}\n", many.join("  ")));
                }
            }
        }
    }

    /// Ctrl-L.
    pub fn clear_screen(&mut self, t: usize) {
        // Before clearing: what the rest of the instant prints is cleared too, as in a replay.
        self.finish_instant();
        if let Some(term) = self.terminals.get_mut(t) {
            term.reset_screen();
            self.record(Op::Clear(t));
        }
    }

    fn mem_files(&self) -> MemFiles {
        MemFiles(self.files.iter().cloned().collect::<BTreeMap<_, _>>())
    }

    /// Feeds typed or pasted text to terminal `t`, one line at a time, as a terminal would.
    pub fn type_text(&mut self, t: usize, text: &str) {
        let text = text.replace("\r\n", "\n");
        for line in text.split('\n') {
            self.submit_line(t, line);
        }
    }

    fn submit_line(&mut self, t: usize, line: &str) {
        if t >= self.terminals.len() {
            return;
        }
        if self.journal_files.as_ref() != Some(&self.files) {
            self.journal_files = Some(self.files.clone());
            self.record(Op::Files(self.files.clone()));
        }
        self.record(Op::Line(t, line.to_string()));
        let files = self.mem_files();
        let files = WithUrls { inner: &files };
        let World {
            cluster, terminals, ..
        } = self;
        let Some(term) = terminals.get_mut(t) else {
            return;
        };
        if term.watch.is_some() {
            // A watch owns the terminal until Ctrl-C, as in a real shell; typed lines are
            // echoed but not run.
            term.write(LineKind::Input, &format!("{line}\n"));
            return;
        }
        let prompt = term.prompt().to_string();
        term.write(LineKind::Input, &format!("{prompt}{line}\n"));
        term.pending.push_str(line);
        term.pending.push('\n');
        if !Shell::is_complete(&term.pending) {
            return;
        }
        let src = std::mem::take(&mut term.pending);
        let src = src.trim_end_matches('\n');
        if src.trim().is_empty() {
            return;
        }
        if term.history.last().map(String::as_str) != Some(src) {
            term.history.push(src.to_string());
        }
        term.history_pos = None;
        if src.trim() == "clear" {
            term.reset_screen();
            return;
        }
        if let Some((verb, args)) = watch_args(src) {
            let mut k = Kubectl {
                cluster,
                namespace: term.session.namespace.clone(),
                files: &files,
                stdin: String::new(),
            };
            let started = match verb {
                WatchVerb::Get => {
                    Watch::start(&mut k, &args).map(|(w, out)| (Streaming::Get(w), out))
                }
                WatchVerb::Events => EventsWatch::begin(&mut k, &args).map(|mut w| {
                    // Its first poll prints the events there already are.
                    let mut out = Output::new();
                    w.poll(k.cluster, &mut out);
                    (Streaming::Events(w), out)
                }),
            };
            match started {
                Ok((w, out)) => {
                    term.write_output(&out);
                    term.watch = Some(w);
                }
                Err(e) => {
                    let mut out = Output::new();
                    cmd::report(&e, &mut out);
                    term.write_output(&out);
                }
            }
            return;
        }
        let (out, _code) = term.session.run_line(cluster, &files, src);
        term.write_output(&out);
        if term.session.exited() {
            term.session = Session::new();
            term.write(
                LineKind::Note,
                "[the shell exited; a new one was started]\n",
            );
        }
        // The command may have moved the clock (sleep, rollout status): other terminals'
        // watches catch up now.
        self.poll_watches();
    }

    /// Prints what every running watch saw since its last poll.
    pub fn poll_watches(&mut self) {
        let World {
            cluster, terminals, ..
        } = self;
        for term in terminals.iter_mut() {
            if let Some(w) = term.watch.as_mut() {
                let mut out = Output::new();
                w.poll(cluster, &mut out);
                term.write_output(&out);
            }
        }
    }

    /// Runs a command in terminal `t` as if typed (used by buttons and menus).
    pub fn run_command(&mut self, t: usize, command: &str) {
        if let Some(term) = self.terminals.get_mut(t) {
            if term.watch.is_some() {
                // Buttons must not be swallowed by a running watch: use the other terminal.
                let other = (0..self.terminals.len())
                    .find(|&i| i != t && self.terminals.get(i).is_some_and(|x| x.watch.is_none()));
                if let Some(o) = other {
                    self.submit_line(o, command);
                    return;
                }
                self.interrupt(t);
            }
        }
        self.submit_line(t, command);
    }

    /// Ctrl-C: stops a watch, or abandons the line being typed.
    pub fn interrupt(&mut self, t: usize) {
        if t < self.terminals.len() {
            self.record(Op::Interrupt(t));
        }
        if let Some(term) = self.terminals.get_mut(t) {
            let typed = std::mem::take(&mut term.input);
            if term.watch.take().is_some() {
                term.write(LineKind::Note, "^C\n");
            } else {
                let prompt = term.prompt().to_string();
                term.write(LineKind::Input, &format!("{prompt}{typed}"));
                term.write(LineKind::Note, "^C\n");
                term.pending.clear();
            }
            term.history_pos = None;
        }
    }

    /// Moves the clock toward `ms` after the start, stopping between two rounds of
    /// reconciles once `over_budget()` says this frame's share of time is used; returns
    /// whether `ms` was reached with nothing left to do.
    ///
    /// Why: at 200 pods one clock tick carries tens of milliseconds of controller work, and
    /// doing it all in one frame freezes the page. Cutting it up changes nothing the cluster
    /// does (`Cluster::advance_within`: the same reconciles in the same order at the same
    /// virtual times); only the virtual clock falls behind the wall clock while it is busy.
    /// Every input first finishes the instant (`record`), so the journal replays the same.
    pub fn advance_toward_elapsed(&mut self, ms: u64, over_budget: &dyn Fn() -> bool) -> bool {
        let target = Config::default().start.plus_ms(ms);
        let reached = self.cluster.advance_within(target, over_budget);
        self.poll_watches();
        reached
    }

    /// Finishes the work of the current instant that a budgeted advance left (inputs and
    /// pausing come only between whole instants, as a replay of the journal gives them).
    pub fn finish_instant(&mut self) {
        self.cluster.run_now();
        self.poll_watches();
    }

    /// Moves the virtual clock and lets watches print.
    pub fn advance(&mut self, ms: u64) {
        if ms > 0 {
            self.cluster.advance(ms);
        }
        self.poll_watches();
    }
}

/// A watch the page streams frame by frame.
pub enum Streaming {
    Get(Watch),
    Events(EventsWatch),
}

impl Streaming {
    pub fn poll(&mut self, cluster: &Cluster, out: &mut Output) {
        match self {
            Streaming::Get(w) => w.poll(cluster, out),
            Streaming::Events(w) => w.poll(cluster, out),
        }
    }
}

/// Which kubectl verb a streamed watch runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchVerb {
    Get,
    Events,
}

/// The verb and the arguments after it when a line is a plain `kubectl get ... -w` or
/// `kubectl events ... -w` the page can stream frame by frame. Anything with shell syntax
/// (pipes, quotes, `$`) runs through the shell instead, synchronously in virtual time like
/// the CLI.
pub fn watch_args(line: &str) -> Option<(WatchVerb, Vec<String>)> {
    if line.contains(|c: char| "|;&<>$`'\"(){}\\#\n".contains(c)) {
        return None;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.first() != Some(&"kubectl") {
        return None;
    }
    let verb = match words.get(1) {
        Some(&"get") => WatchVerb::Get,
        Some(&"events") => WatchVerb::Events,
        _ => return None,
    };
    let watching = words.iter().any(|w| {
        matches!(
            *w,
            "-w" | "--watch" | "--watch=true" | "-w=true" | "--watch-only" | "--watch-only=true"
        )
    });
    watching.then(|| (verb, words.iter().skip(2).map(|s| s.to_string()).collect()))
}

/// The whole page state. Cheap to clone: the world is shared.
#[derive(Clone)]
pub struct State {
    pub world: Rc<RefCell<World>>,
    /// Bumped by every action so components know the world changed.
    pub revision: u64,
    pub seed: u64,
    pub playing: bool,
    /// Virtual milliseconds per wall-clock millisecond.
    pub speed: f64,
    /// Fractions of a virtual millisecond not yet given to the cluster.
    carry_ms: f64,
    pub active_terminal: usize,
    pub active_file: usize,
    pub selection: Option<Selection>,
    /// Embedded in an <iframe>: minimal chrome, nothing saved.
    pub embed: bool,
    /// Inputs of a shared script not given yet (embed mode plays them step by step).
    pub script: Rc<Vec<(u64, Op)>>,
    /// How many of `script` have been given.
    pub script_pos: usize,
    /// Give the script's inputs as the clock reaches their times.
    pub autoplay: bool,
    /// A message over the page (an unreadable saved session, a shared session opened).
    pub notice: Option<Notice>,
    /// Autosave is on (off while an unreadable snapshot waits for the user's decision, and
    /// in embed mode).
    pub saving: bool,
}

/// A message shown over the page until dismissed.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// The saved session could not be read: why, and its raw text for "export raw".
    Unreadable {
        why: String,
        raw: String,
    },
    Info(String),
}

impl PartialEq for State {
    fn eq(&self, other: &State) -> bool {
        Rc::ptr_eq(&self.world, &other.world) && self.revision == other.revision
    }
}

/// What the user clicked in the cluster view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    Pod(String),
    Node(String),
}

pub const SPEEDS: &[f64] = &[0.5, 1.0, 2.0, 5.0, 10.0, 20.0];

impl State {
    pub fn new(seed: u64) -> State {
        State {
            world: Rc::new(RefCell::new(World::new(
                seed,
                vec![("web.yaml".to_string(), WEB_YAML.to_string())],
            ))),
            revision: 0,
            seed,
            playing: true,
            speed: 1.0,
            carry_ms: 0.0,
            active_terminal: 0,
            active_file: 0,
            selection: None,
            embed: false,
            script: Rc::new(Vec::new()),
            script_pos: 0,
            autoplay: false,
            notice: None,
            saving: true,
        }
    }

    /// The state a snapshot describes (replayed in full).
    pub fn from_snapshot(snap: &Snapshot) -> State {
        let mut s = State::new(snap.seed);
        s.world = Rc::new(RefCell::new(snap.replay()));
        s.apply_ui(&snap.ui);
        s
    }

    /// A shared session to play step by step: the files, the seed, and the journal as a
    /// script not yet given.
    pub fn scripted(snap: &Snapshot, autoplay: bool) -> State {
        let mut s = State::new(snap.seed);
        let files = snap
            .journal
            .iter()
            .find_map(|(_, op)| match op {
                Op::Files(f) => Some(f.clone()),
                _ => None,
            })
            .unwrap_or_else(|| snap.files.clone());
        s.world = Rc::new(RefCell::new(World::new(snap.seed, files)));
        s.script = Rc::new(snap.journal.clone());
        s.autoplay = autoplay;
        s.playing = autoplay;
        s
    }

    fn apply_ui(&mut self, ui: &Ui) {
        let w = self.world.borrow();
        self.speed = ui.speed.clamp(0.5, 20.0);
        self.playing = ui.playing;
        self.active_terminal = ui.active_terminal.min(w.terminals.len().saturating_sub(1));
        self.active_file = ui.active_file.min(w.files.len().saturating_sub(1));
        drop(w);
        let mut w = self.world.borrow_mut();
        for (term, input) in w.terminals.iter_mut().zip(&ui.inputs) {
            term.input = input.clone();
        }
    }

    pub fn ui(&self) -> Ui {
        Ui {
            speed: self.speed,
            playing: self.playing,
            active_terminal: self.active_terminal,
            active_file: self.active_file,
            inputs: self
                .world
                .borrow()
                .terminals
                .iter()
                .map(|t| t.input.clone())
                .collect(),
        }
    }

    /// The session as it would be saved now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::of(&self.world.borrow(), self.ui())
    }
}

/// Everything that changes the state. The page sends these to the engine worker as JSON.
pub enum Action {
    /// Wall-clock milliseconds passed while playing.
    Tick(f64),
    TogglePlay,
    SetSpeed(f64),
    /// Jump to the cluster's next timer.
    Step,
    Settle,
    /// A fresh cluster with this seed (files are kept, terminals start over).
    Reset(u64),
    SetInput(usize, String),
    /// Enter in terminal `t` (or a multi-line paste).
    Submit(usize),
    Paste(usize, String),
    HistoryPrev(usize),
    HistoryNext(usize),
    Interrupt(usize),
    ClearScreen(usize),
    SelectTerminal(usize),
    SelectFile(usize),
    EditFile(usize, String),
    NewFile,
    /// `kubectl apply -f <active file>` in the active terminal.
    Apply,
    /// Run a command line in the active terminal, echoed as if typed.
    Run(String),
    Select(Option<Selection>),
    /// Replace the session (an imported file).
    Load(Box<Snapshot>),
    /// An imported file's text: `Load` when it reads as a session, else `LoadFailed`.
    Import(String),
    /// An imported file could not be read.
    LoadFailed(String),
    DismissNotice,
    /// "Reset" on an unreadable snapshot: start fresh and save again.
    Discard,
    /// Give the shared script's next input now (jumping the clock to its time).
    NextStep,
    ToggleAutoplay,
    /// Tab in terminal `t`.
    Complete(usize),
    /// Ctrl-R: start a reverse history search, or look further back.
    SearchBack(usize),
    /// The search text changed.
    SetSearch(usize, String),
    /// Leave the search keeping the match in the input (`run`: and run it, as Enter does).
    AcceptSearch(usize, bool),
    /// Ctrl-G / Ctrl-C / Escape in a search: back to an empty line.
    CancelSearch(usize),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        s.revision += 1;
        let world = s.world.clone();
        let mut w = world.borrow_mut();
        match action {
            Action::Tick(wall_ms) => {
                if !s.playing || !(0.0..=5_000.0).contains(&wall_ms) {
                    // A background tab wakes up with a huge gap: don't jump minutes ahead.
                    return self;
                }
                let t0 = crate::perf::now();
                s.carry_ms += wall_ms * s.speed;
                let whole = s.carry_ms.floor();
                s.carry_ms -= whole;
                let target = w.elapsed_ms() + whole as u64;
                // Shared script inputs fall due on the way, at their own times.
                while s.autoplay {
                    let Some((at, op)) = s.script.get(s.script_pos).cloned() else {
                        break;
                    };
                    if at > target {
                        break;
                    }
                    w.advance_to_elapsed(at);
                    w.apply(&op);
                    s.script_pos += 1;
                }
                let over = || crate::perf::now() - t0 > ENGINE_BUDGET_MS;
                if !w.advance_toward_elapsed(target, &over) {
                    // Not reached: the rest is given in the next frames, but a backlog never
                    // grows past a second of wall time (the clock just runs slower meanwhile).
                    let behind = target.saturating_sub(w.elapsed_ms()) as f64;
                    s.carry_ms = (s.carry_ms + behind).min(1_000.0 * s.speed);
                }
                crate::perf::measure("kp:tick", t0);
            }
            Action::TogglePlay => {
                s.playing = !s.playing;
                if !s.playing {
                    // Paused, the picture must show a whole instant (as a reload would).
                    w.finish_instant();
                }
            }
            Action::SetSpeed(x) => s.speed = x.clamp(0.5, 20.0),
            Action::Step => {
                w.cluster.step_to_next_event();
                w.poll_watches();
            }
            Action::Settle => {
                w.cluster.settle(SETTLE_MS);
                w.poll_watches();
            }
            Action::Reset(seed) => {
                let files = std::mem::take(&mut w.files);
                *w = World::new(seed, files);
                s.seed = seed;
                s.selection = None;
                s.script = Rc::new(Vec::new());
                s.script_pos = 0;
                s.autoplay = false;
            }
            Action::SetInput(t, text) => {
                if let Some(term) = w.terminals.get_mut(t) {
                    term.input = text;
                }
            }
            Action::Submit(t) => {
                let text = w
                    .terminals
                    .get_mut(t)
                    .map(|term| std::mem::take(&mut term.input))
                    .unwrap_or_default();
                w.type_text(t, &text);
            }
            Action::Paste(t, text) => {
                // Every complete line runs; the last (unterminated) one stays in the input.
                let text = text.replace("\r\n", "\n");
                let (done, rest) = match text.rfind('\n') {
                    Some(i) => (&text[..i], &text[i + 1..]),
                    None => ("", text.as_str()),
                };
                let typed = w
                    .terminals
                    .get_mut(t)
                    .map(|term| std::mem::take(&mut term.input))
                    .unwrap_or_default();
                if !done.is_empty() || !typed.is_empty() {
                    w.type_text(t, &format!("{typed}{done}"));
                }
                if let Some(term) = w.terminals.get_mut(t) {
                    term.input = rest.to_string();
                }
            }
            Action::HistoryPrev(t) => {
                if let Some(term) = w.terminals.get_mut(t) {
                    let pos = match term.history_pos {
                        None => term.history.len().checked_sub(1),
                        Some(p) => Some(p.saturating_sub(1)),
                    };
                    if let Some(p) = pos {
                        if let Some(h) = term.history.get(p) {
                            term.input = h.clone();
                            term.history_pos = Some(p);
                        }
                    }
                }
            }
            Action::HistoryNext(t) => {
                if let Some(term) = w.terminals.get_mut(t) {
                    if let Some(p) = term.history_pos {
                        match term.history.get(p + 1) {
                            Some(h) => {
                                term.input = h.clone();
                                term.history_pos = Some(p + 1);
                            }
                            None => {
                                term.input.clear();
                                term.history_pos = None;
                            }
                        }
                    }
                }
            }
            Action::Interrupt(t) => w.interrupt(t),
            Action::ClearScreen(t) => w.clear_screen(t),
            Action::SelectTerminal(t) => {
                if t < w.terminals.len() {
                    s.active_terminal = t;
                }
            }
            Action::SelectFile(f) => {
                if f < w.files.len() {
                    s.active_file = f;
                }
            }
            Action::EditFile(f, text) => {
                if let Some(file) = w.files.get_mut(f) {
                    file.1 = text;
                }
            }
            Action::NewFile => {
                let mut n = w.files.len() + 1;
                while w
                    .files
                    .iter()
                    .any(|(name, _)| *name == format!("file{n}.yaml"))
                {
                    n += 1;
                }
                w.files.push((format!("file{n}.yaml"), String::new()));
                s.active_file = w.files.len() - 1;
            }
            Action::Apply => {
                if let Some((name, _)) = w.files.get(s.active_file) {
                    let line = format!("kubectl apply -f {name}");
                    w.run_command(s.active_terminal, &line);
                }
            }
            Action::Run(line) => w.run_command(s.active_terminal, &line),
            Action::Select(sel) => s.selection = sel,
            Action::Load(snap) => {
                drop(w);
                let mut fresh = State::from_snapshot(&snap);
                fresh.revision = s.revision;
                fresh.notice = Some(Notice::Info("Session imported.".into()));
                return Rc::new(fresh);
            }
            Action::Import(text) => {
                drop(w);
                let action = match Snapshot::from_json(&text) {
                    Ok(snap) => Action::Load(Box::new(snap)),
                    Err(why) => Action::LoadFailed(why),
                };
                return Rc::new(s).reduce(action);
            }
            Action::LoadFailed(why) => {
                s.notice = Some(Notice::Info(format!(
                    "That file could not be imported: {why}."
                )))
            }
            Action::DismissNotice => s.notice = None,
            Action::Discard => {
                s.notice = None;
                s.saving = !s.embed;
            }
            Action::NextStep => {
                if let Some((at, op)) = s.script.get(s.script_pos).cloned() {
                    w.advance_to_elapsed(at);
                    w.apply(&op);
                    s.script_pos += 1;
                    // Files are not a step of their own: give the input they were for too.
                    if matches!(op, Op::Files(_)) {
                        if let Some((at, op)) = s.script.get(s.script_pos).cloned() {
                            w.advance_to_elapsed(at);
                            w.apply(&op);
                            s.script_pos += 1;
                        }
                    }
                }
            }
            Action::Complete(t) => w.complete(t),
            Action::SearchBack(t) => {
                if let Some(term) = w.terminals.get_mut(t) {
                    let (q, at) = term.search.clone().unwrap_or_default();
                    let before = at.unwrap_or(term.history.len());
                    let found = if q.is_empty() && term.search.is_none() {
                        None
                    } else {
                        term.find_back(&q, before).or(at)
                    };
                    term.search = Some((q, found));
                }
            }
            Action::SetSearch(t, q) => {
                if let Some(term) = w.terminals.get_mut(t) {
                    let found = term.find_back(&q, term.history.len());
                    term.search = Some((q, found));
                }
            }
            Action::AcceptSearch(t, run) => {
                if let Some(term) = w.terminals.get_mut(t) {
                    if let Some((_, Some(i))) = term.search.take() {
                        term.input = term.history.get(i).cloned().unwrap_or_default();
                    }
                }
                if run {
                    let text = w
                        .terminals
                        .get_mut(t)
                        .map(|term| std::mem::take(&mut term.input))
                        .unwrap_or_default();
                    w.type_text(t, &text);
                }
            }
            Action::CancelSearch(t) => {
                if let Some(term) = w.terminals.get_mut(t) {
                    term.search = None;
                }
            }
            Action::ToggleAutoplay => {
                s.autoplay = !s.autoplay;
                if s.autoplay {
                    s.playing = true;
                }
            }
        }
        drop(w);
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(w: &World, t: usize) -> String {
        w.terminals[t]
            .scrollback
            .iter()
            .map(|(_, s)| s.as_str())
            .collect()
    }

    #[test]
    fn only_plain_get_watch_lines_stream() {
        assert_eq!(
            watch_args("kubectl get pods -w -l app=nginx"),
            Some((
                WatchVerb::Get,
                vec!["pods".into(), "-w".into(), "-l".into(), "app=nginx".into()]
            ))
        );
        assert_eq!(
            watch_args("kubectl events --for sts/web -w"),
            Some((
                WatchVerb::Events,
                vec!["--for".into(), "sts/web".into(), "-w".into()]
            ))
        );
        assert_eq!(watch_args("kubectl get pods"), None);
        assert_eq!(watch_args("kubectl get pods -w | grep web"), None);
        assert_eq!(watch_args("kubectl describe pods -w"), None);
    }

    #[test]
    fn a_watch_streams_as_the_clock_moves_and_ctrl_c_stops_it() {
        let mut w = World::new(1, vec![("web.yaml".into(), WEB_YAML.into())]);
        w.type_text(0, "kubectl get pods -w -l app=nginx");
        assert!(w.terminals[0].watch.is_some());
        w.type_text(1, "kubectl apply -f web.yaml");
        assert!(text(&w, 1).contains("statefulset.apps/web created"));
        for _ in 0..600 {
            w.advance(100);
        }
        let shown = text(&w, 0);
        let first_running = shown.find("web-0   1/1     Running").expect("web-0 runs");
        let web1 = shown.find("web-1").expect("web-1 appears");
        assert!(
            first_running < web1,
            "OrderedReady: web-0 Running before web-1:\n{shown}"
        );
        w.interrupt(0);
        assert!(w.terminals[0].watch.is_none());
        let before = text(&w, 0);
        w.type_text(1, "kubectl delete pod web-0");
        w.advance(60_000);
        assert_eq!(text(&w, 0), before, "a stopped watch prints nothing more");
    }

    #[test]
    fn an_events_watch_streams_new_events_until_ctrl_c() {
        let mut w = World::new(1, vec![("web.yaml".into(), WEB_YAML.into())]);
        w.type_text(0, "kubectl events --for sts/web -w");
        assert!(w.terminals[0].watch.is_some());
        w.type_text(1, "kubectl apply -f web.yaml");
        for _ in 0..300 {
            w.advance(100);
        }
        let shown = text(&w, 0);
        assert!(
            shown.contains("LAST SEEN   TYPE     REASON             OBJECT            MESSAGE"),
            "{shown}"
        );
        assert!(
            shown.contains("create Pod web-1 in StatefulSet web successful"),
            "{shown}"
        );
        w.interrupt(0);
        assert!(w.terminals[0].watch.is_none());
    }

    #[test]
    fn a_budgeted_advance_ends_where_an_unbudgeted_one_does() {
        let files = vec![("web.yaml".to_string(), WEB_YAML.to_string())];
        let mut whole = World::new(3, files.clone());
        let mut cut = World::new(3, files);
        whole.type_text(0, "kubectl apply -f web.yaml");
        cut.type_text(0, "kubectl apply -f web.yaml");
        whole.advance_to_elapsed(120_000);
        // A budget that is always used up: one round of reconciles per call.
        let mut calls = 0;
        while !cut.advance_toward_elapsed(120_000, &|| true) {
            calls += 1;
            assert!(calls < 100_000, "the budgeted advance makes progress");
        }
        assert!(calls > 3, "the advance was really cut up ({calls} calls)");
        assert_eq!(cut.elapsed_ms(), 120_000);
        let pods = |w: &World| {
            let mut c = w
                .cluster
                .api
                .store
                .list(kubeplay_engine::Kind::Pod, None)
                .map(|p| serde_json::to_string(&**p).unwrap_or_default())
                .collect::<Vec<_>>();
            c.sort();
            c
        };
        assert_eq!(pods(&cut), pods(&whole));
        assert_eq!(
            cut.cluster.api.store.resource_version(),
            whole.cluster.api.store.resource_version()
        );
    }

    #[test]
    fn a_screen_sent_as_changes_equals_the_screen() {
        let mut w = World::new(1, Vec::new());
        let mut copy = Rc::new(Vec::new());
        let sync = |w: &mut World, copy: &mut Rc<Vec<(LineKind, String)>>| {
            w.terminals[0].take_screen().apply(copy);
            assert_eq!(**copy, *w.terminals[0].scrollback);
        };
        sync(&mut w, &mut copy);
        w.type_text(0, "echo one");
        let change = w.terminals[0].take_screen();
        assert!(matches!(change, ScreenChange::Append(_)));
        change.apply(&mut copy);
        w.type_text(0, "echo two; echo three >&2");
        sync(&mut w, &mut copy);
        assert_eq!(w.terminals[0].take_screen(), ScreenChange::Same);
        w.clear_screen(0);
        w.type_text(0, "echo four");
        let change = w.terminals[0].take_screen();
        assert!(matches!(change, ScreenChange::Reset(_)));
        change.apply(&mut copy);
        w.type_text(0, "echo five");
        sync(&mut w, &mut copy);
    }

    #[test]
    fn continuation_lines_wait_for_a_complete_command() {
        let mut w = World::new(1, Vec::new());
        w.type_text(0, "for i in 1 2; do\necho $i\ndone");
        assert_eq!(text(&w, 0), "$ for i in 1 2; do\n> echo $i\n> done\n1\n2\n");
    }

    #[test]
    fn yaml_tabs_are_files_for_kubectl() {
        let mut w = World::new(1, vec![("bad.yaml".into(), "a: [\n".into())]);
        w.type_text(0, "kubectl apply -f bad.yaml");
        assert!(text(&w, 0).contains("error: error parsing bad.yaml"));
    }
}
