//! The page's side of the engine worker (`worker.rs`): starting it, sending it actions
//! (`Link`), and the copy of what it last sent (`Page`), which the components draw.
//!
//! Typing must never wait for the worker: the command line, the Ctrl-R query and the editor
//! text are the page's own while actions are in flight (an older frame must not overwrite
//! what was typed since); once a frame says the worker handled every action sent, its values
//! are taken again (history, Tab completion and Enter change them there).
//!
//! Must never hold cluster state: everything here is a copy of a frame.

use crate::frame::{Boot, Frame, FromWorker, ToWorker};
use crate::state::{Action, LineKind, ScreenChange};
use crate::view::ClusterView;
use crate::{perf, storage};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// What the page shows: the newest frame plus what it carries only when it changes.
#[derive(Clone, Default)]
pub struct Page {
    /// The newest frame (its `view` and `files` moved out into the fields below).
    pub frame: Rc<Frame>,
    /// Shared with the picture's props: a frame without a new view clones no tiles.
    pub view: Rc<ClusterView>,
    pub screens: Vec<Rc<Vec<(LineKind, String)>>>,
    pub files: Vec<(String, String)>,
    /// Per terminal: the command line, the Ctrl-R query and whether a search runs, as shown.
    pub inputs: Vec<String>,
    pub queries: Vec<String>,
    pub searching: Vec<bool>,
    /// The newest action sent.
    pub sent: u64,
    /// The session's text as last saved by the worker, in embed mode only (its "Open in
    /// kubeplay" link). Export and share read `Link::saved` when clicked: a new autosave
    /// (twice a second while the clock runs) must not render the page again.
    pub saved: Rc<String>,
    /// A frame has arrived. The terminal takes input before that: what is typed is sent at
    /// once and waits, in order, in the worker's queue until its engine has booted (the
    /// worker script queues every message that arrives before the wasm is instantiated, and
    /// `Boot` is always the first one), so nothing typed is lost or reordered.
    pub ready: bool,
}

/// What an action changes on the page at once, before the worker answers.
pub enum Local {
    Nothing,
    Input(usize, String),
    Query(usize, String),
    /// A search starts (true) or ends with this command line (false).
    Search(usize, bool, Option<String>),
    File(usize, String),
}

pub enum PageMsg {
    Frame(Box<Frame>),
    Saved(Rc<String>),
    Sent(u64, Local),
}

fn slot<T: Default + Clone>(v: &mut Vec<T>, i: usize) -> Option<&mut T> {
    if v.len() <= i {
        v.resize(i + 1, T::default());
    }
    v.get_mut(i)
}

impl Reducible for Page {
    type Action = PageMsg;

    fn reduce(self: Rc<Self>, msg: PageMsg) -> Rc<Self> {
        let mut p = (*self).clone();
        match msg {
            PageMsg::Saved(json) => p.saved = json,
            PageMsg::Sent(seq, local) => {
                p.sent = seq;
                match local {
                    Local::Nothing => {}
                    Local::Input(t, s) => {
                        if let Some(x) = slot(&mut p.inputs, t) {
                            *x = s;
                        }
                    }
                    Local::Query(t, s) => {
                        if let Some(x) = slot(&mut p.queries, t) {
                            *x = s;
                        }
                    }
                    Local::Search(t, on, input) => {
                        if let Some(x) = slot(&mut p.searching, t) {
                            *x = on;
                        }
                        if on {
                            if let Some(x) = slot(&mut p.queries, t) {
                                x.clear();
                            }
                        }
                        if let (Some(s), Some(x)) = (input, slot(&mut p.inputs, t)) {
                            *x = s;
                        }
                    }
                    Local::File(f, s) => {
                        if let Some(x) = p.files.get_mut(f) {
                            x.1 = s;
                        }
                    }
                }
            }
            PageMsg::Frame(mut f) => {
                if let Some(delta) = f.view.take() {
                    p.view = Rc::new(delta.apply(&p.view));
                }
                let files = f.files.take();
                let caught_up = f.seq >= p.sent;
                p.screens.resize(f.terminals.len(), Rc::default());
                for (t, term) in f.terminals.iter_mut().enumerate() {
                    let screen = std::mem::replace(&mut term.screen, ScreenChange::Same);
                    if let Some(s) = p.screens.get_mut(t) {
                        screen.apply(s);
                    }
                }
                if caught_up {
                    p.inputs = f.terminals.iter().map(|t| t.input.clone()).collect();
                    p.searching = f.terminals.iter().map(|t| t.search.is_some()).collect();
                    p.queries = f
                        .terminals
                        .iter()
                        .map(|t| t.search.as_ref().map(|s| s.0.clone()).unwrap_or_default())
                        .collect();
                }
                if let Some(files) = files {
                    if caught_up || p.files.len() != files.len() {
                        p.files = files;
                    }
                }
                p.frame = Rc::new(*f);
                p.ready = true;
            }
        }
        Rc::new(p)
    }
}

/// The page's end of the worker.
pub struct Link {
    worker: Option<web_sys::Worker>,
    seq: Cell<u64>,
    page: UseReducerDispatcher<Page>,
    /// The session's text as last saved by the worker (export, share).
    pub saved: Rc<RefCell<Rc<String>>>,
    _on_message: Option<Closure<dyn FnMut(web_sys::MessageEvent)>>,
}

impl PartialEq for Link {
    fn eq(&self, other: &Link) -> bool {
        std::ptr::eq(self, other)
    }
}

/// The worker script's address, written into index.html by scripts/externalize-boot.mjs.
fn worker_url() -> Option<String> {
    web_sys::window()?
        .document()?
        .query_selector("meta[name=kubeplay-worker]")
        .ok()??
        .get_attribute("content")
}

impl Link {
    /// Starts the worker and boots it from the URL and the autosave.
    pub fn start(page: UseReducerDispatcher<Page>) -> Link {
        let boot: Boot = storage::boot_info();
        let d = page.clone();
        let saved: Rc<RefCell<Rc<String>>> = Rc::default();
        let keep = saved.clone();
        let embed = boot.embed;
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let Some(text) = e.data().as_string() else {
                    return;
                };
                let t0 = perf::start();
                let msg = crate::wire::read::<FromWorker>(&text);
                perf::measure("kp:read", t0);
                match msg {
                    Some(FromWorker::Frame(f)) => {
                        for (name, ms) in &f.perf {
                            perf::record(name, *ms);
                        }
                        d.dispatch(PageMsg::Frame(f));
                    }
                    Some(FromWorker::Save { json, persist }) => {
                        if persist {
                            storage::save(&json);
                        }
                        let json = Rc::new(json);
                        *keep.borrow_mut() = json.clone();
                        if embed {
                            d.dispatch(PageMsg::Saved(json));
                        }
                    }
                    None => {}
                }
            });
        // The boot script started it while the wasm compiled; else start it now.
        let started = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w, &"kubeplayWorker".into()).ok())
            .and_then(|w| w.dyn_into::<web_sys::Worker>().ok());
        let worker = started.or_else(|| {
            let url = worker_url()?;
            let opts = web_sys::WorkerOptions::new();
            opts.set_type(web_sys::WorkerType::Module);
            web_sys::Worker::new_with_options(&url, &opts).ok()
        });
        if let Some(w) = &worker {
            w.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            // The module this page runs, already compiled: the worker instantiates it too.
            let _ = w.post_message(&wasm_bindgen::module());
        }
        let link = Link {
            worker,
            seq: Cell::new(0),
            page,
            saved,
            _on_message: Some(on_message),
        };
        link.post(&ToWorker::Boot(boot));
        link
    }

    fn post(&self, msg: &ToWorker) {
        if let Some(w) = &self.worker {
            let _ = w.post_message(&crate::wire::write(msg).into());
        }
    }

    /// Sends an action to the worker, applying at once what it does to typed text.
    pub fn dispatch(&self, action: Action) {
        let seq = self.seq.get() + 1;
        self.seq.set(seq);
        let local = match &action {
            Action::SetInput(t, s) => Local::Input(*t, s.clone()),
            Action::SetSearch(t, s) => Local::Query(*t, s.clone()),
            Action::EditFile(f, s) => Local::File(*f, s.clone()),
            Action::Submit(t) | Action::Interrupt(t) => Local::Input(*t, String::new()),
            Action::SearchBack(t) => Local::Search(*t, true, None),
            Action::CancelSearch(t) | Action::AcceptSearch(t, true) => {
                Local::Search(*t, false, Some(String::new()))
            }
            Action::AcceptSearch(t, false) => Local::Search(*t, false, None),
            Action::Paste(t, text) => {
                let rest = text.replace("\r\n", "\n");
                let rest = rest.rsplit('\n').next().unwrap_or("").to_string();
                Local::Input(*t, rest)
            }
            _ => Local::Nothing,
        };
        self.page.dispatch(PageMsg::Sent(seq, local));
        self.post(&ToWorker::Act(seq, action));
    }
}
