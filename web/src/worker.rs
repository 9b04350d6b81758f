//! The engine worker: the same wasm module as the page, instantiated a second time in a module
//! Web Worker (`worker-*.js`, written by scripts/externalize-boot.mjs, imports the glue and
//! calls `worker_receive` for each message). It owns the `State` — cluster, kubectl sessions,
//! files, journal — runs the reducer for the page's actions and for its own clock ticks, reads
//! the cluster view, and posts back `Frame`s and autosave texts (`frame.rs`).
//!
//! Must never touch the DOM or storage (a worker has neither): the page writes what it is sent.

use crate::frame::{Boot, FromWorker, MenuFacts, ScriptBar, TermFrame, ToWorker};
use crate::state::{Action, Op, Selection, State};
use crate::view::{self, ClusterView};
use crate::{perf, storage, NAMESPACE};
use gloo_timers::callback::Interval;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use yew::Reducible;

#[wasm_bindgen]
extern "C" {
    /// The worker's own `postMessage` (to the page).
    #[wasm_bindgen(js_name = postMessage)]
    fn post_message(msg: &str);
}

/// Milliseconds between clock ticks: 20 a second is smooth enough for tiles changing colour.
const FRAME_MS: u32 = 50;
/// While the clock runs, the autosave is written at most this often (every input is saved at
/// once).
const SAVE_EVERY_MS: f64 = 500.0;

/// The view key: the picture changes only when the store does, or a shown second turns.
type ViewKey = (u64, u64, bool);

struct Host {
    state: Rc<State>,
    /// The page's last action handled.
    seq: u64,
    clock: Option<Interval>,
    last_tick: f64,
    view: Option<(ViewKey, ClusterView)>,
    /// The tiles and event rows of the last view built, reused for unchanged objects.
    view_memo: view::ViewMemo,
    /// The view and files as last sent.
    sent_view: Option<ClusterView>,
    sent_files: Option<Vec<(String, String)>>,
    /// "Why": (store revision, when, each set's text).
    why: (u64, f64, Vec<Option<String>>),
    saved_revision: u64,
    saved_at: f64,
}

thread_local! {
    static HOST: RefCell<Option<Host>> = const { RefCell::new(None) };
}

/// One message from the page.
#[wasm_bindgen]
pub fn worker_receive(msg: String) {
    let Some(msg) = crate::wire::read::<ToWorker>(&msg) else {
        return;
    };
    HOST.with(|h| {
        let mut h = h.borrow_mut();
        match msg {
            ToWorker::Boot(boot) => {
                let host = h.insert(Host::new(&boot));
                // The first frame first: the page takes input once it has one.
                host.sync_clock();
                host.send_frame();
                host.save();
            }
            ToWorker::Act(seq, action) => {
                let Some(host) = h.as_mut() else {
                    return;
                };
                host.seq = seq;
                host.state = host.state.clone().reduce(action);
                // Saved before the frame, so what the page shows is in its export and share.
                host.save();
                host.sync_clock();
                host.send_frame();
            }
        }
    });
}

fn tick() {
    HOST.with(|h| {
        let mut h = h.borrow_mut();
        let Some(host) = h.as_mut() else {
            return;
        };
        let now = js_sys::Date::now();
        let wall = now - std::mem::replace(&mut host.last_tick, now);
        let before = host.state.revision;
        host.state = host.state.clone().reduce(Action::Tick(wall));
        if host.state.revision != before {
            if now - host.saved_at >= SAVE_EVERY_MS {
                host.save();
            }
            host.send_frame();
        }
    });
}

impl Host {
    fn new(boot: &Boot) -> Host {
        perf::set_enabled(boot.perf);
        let state = Rc::new(storage::boot_from(boot));
        Host {
            state,
            seq: 0,
            clock: None,
            last_tick: js_sys::Date::now(),
            view: None,
            view_memo: view::ViewMemo::default(),
            sent_view: None,
            sent_files: None,
            why: (u64::MAX, 0.0, Vec::new()),
            saved_revision: u64::MAX,
            saved_at: 0.0,
        }
    }

    /// Runs the clock while playing.
    fn sync_clock(&mut self) {
        match (self.state.playing, self.clock.is_some()) {
            (true, false) => {
                self.last_tick = js_sys::Date::now();
                self.clock = Some(Interval::new(FRAME_MS, tick));
            }
            (false, true) => self.clock = None,
            _ => {}
        }
    }

    /// Posts the session's text when it changed (the page writes it if saving is on).
    fn save(&mut self) {
        if self.state.revision == self.saved_revision {
            return;
        }
        self.saved_revision = self.state.revision;
        self.saved_at = js_sys::Date::now();
        let msg = FromWorker::Save {
            json: self.state.snapshot().to_json(),
            persist: self.state.saving,
        };
        post_message(&crate::wire::write(&msg));
    }

    fn send_frame(&mut self) {
        let t0 = perf::start();
        let view = self.cluster_view();
        let st = self.state.clone();
        let mut w = st.world.borrow_mut();
        // Only what changed: at 200 pods the whole view is some 40 KB of JSON, and reading
        // it cost the page more than a millisecond on every tick.
        let before = self.sent_view.take().unwrap_or_default();
        let view_delta = crate::frame::ViewDelta::between(&before, &view);
        self.sent_view = Some(view);
        let files = (self.sent_files.as_ref() != Some(&w.files)).then(|| {
            self.sent_files = Some(w.files.clone());
            w.files.clone()
        });
        let terminals = w
            .terminals
            .iter_mut()
            .map(|t| TermFrame {
                screen: t.take_screen(),
                prompt: t.prompt().to_string(),
                input: t.input.clone(),
                watching: t.watch.is_some(),
                search: t.search.as_ref().map(|(q, i)| {
                    (
                        q.clone(),
                        i.and_then(|i| t.history.get(i))
                            .cloned()
                            .unwrap_or_default(),
                    )
                }),
            })
            .collect();
        let menu = st.selection.as_ref().map(|sel| match sel {
            Selection::Pod(n) => MenuFacts {
                summary: view::describe_selection(&w.cluster, NAMESPACE, n)
                    .unwrap_or_else(|| format!("pod {n} is gone")),
                cordoned: false,
            },
            Selection::Node(n) => {
                let lane = self
                    .sent_view
                    .as_ref()
                    .and_then(|v| v.lanes.iter().find(|l| &l.name == n));
                MenuFacts {
                    summary: lane
                        .map(|l| format!("{} · {}", l.name, l.status))
                        .unwrap_or_default(),
                    cordoned: lane.is_some_and(|l| l.unschedulable),
                }
            }
        });
        drop(w);
        perf::measure("kp:view", t0);
        let frame = crate::frame::Frame {
            seq: self.seq,
            playing: st.playing,
            speed: st.speed,
            seed: st.seed,
            embed: st.embed,
            autoplay: st.autoplay,
            active_terminal: st.active_terminal,
            active_file: st.active_file,
            selection: st.selection.clone(),
            menu,
            notice: st.notice.clone(),
            script: script_bar(&st),
            view: view_delta,
            terminals,
            files,
            perf: perf::take(),
        };
        post_message(&crate::wire::write(&FromWorker::Frame(Box::new(frame))));
    }

    /// The cluster picture with each set's "why".
    fn cluster_view(&mut self) -> ClusterView {
        let st = self.state.clone();
        let world = st.world.borrow();
        let key = (
            world.cluster.api.store.resource_version(),
            world.cluster.now().0 / 1000,
            world.cluster.is_idle(),
        );
        let mut view = match &self.view {
            Some((k, v)) if *k == key => v.clone(),
            _ => {
                let t = perf::start();
                let v = view::cluster_view_memo(&world.cluster, NAMESPACE, &mut self.view_memo);
                perf::measure("kp:cluster-view", t);
                self.view = Some((key, v.clone()));
                v
            }
        };
        // "Why" replans every set over all its pods: while the clock runs, at most every
        // 300 ms (every 3 s at 200 pods); paused or settled, at once (a settled cluster
        // sends no further frames, so a skipped replan would stay).
        let why = &mut self.why;
        let now = js_sys::Date::now();
        let rv = key.0;
        let every = 300.0 * (view.pods.len() as f64 / 20.0).max(1.0);
        if why.0 != rv
            && (!st.playing
                || world.cluster.is_idle()
                || now - why.1 >= every
                || why.2.len() != view.sets.len())
        {
            let t = perf::start();
            view::explain_sets(&world.cluster, NAMESPACE, &mut view.sets);
            perf::measure("kp:explain", t);
            *why = (
                rv,
                now,
                view.sets.iter().map(|s| s.waiting.clone()).collect(),
            );
        } else {
            for (s, w) in view.sets.iter_mut().zip(&why.2) {
                s.waiting = w.clone();
            }
        }
        view
    }
}

fn script_bar(st: &State) -> Option<ScriptBar> {
    if st.script.is_empty() {
        return None;
    }
    let steps = |ops: &mut dyn Iterator<Item = &(u64, Op)>| {
        ops.filter(|(_, op)| !matches!(op, Op::Files(_))).count()
    };
    Some(ScriptBar {
        steps: steps(&mut st.script.iter()),
        done: steps(&mut st.script.iter().take(st.script_pos)),
        next: st
            .script
            .iter()
            .skip(st.script_pos)
            .find_map(|(_, op)| match op {
                Op::Line(_, l) => Some(l.clone()),
                Op::Interrupt(_) => Some("^C".to_string()),
                Op::Clear(_) => Some("clear".to_string()),
                Op::Files(_) => None,
            }),
    })
}
