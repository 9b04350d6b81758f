//! The browser side of sessions: where the page boots from (a share link in the URL fragment,
//! the autosave in localStorage, or nothing), saving, exporting and importing files, and the
//! share link and embed snippet. `session` does the encoding; this module only moves text.
//!
//! `boot_info` runs on the page's main thread (it reads the URL and localStorage); `boot_from`
//! in the engine worker, which owns the state.
//!
//! It must never leave the page blank: a saved session that cannot be read boots a fresh
//! cluster with a notice offering "export raw" and "reset", and autosave stays off until the
//! user chooses, so the unreadable text is not overwritten.

use crate::frame::Boot;
use crate::session::Snapshot;
use crate::state::{Notice, State};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// The autosave.
pub const KEY: &str = "kubeplay.session";
/// The autosave as it was before a shared session replaced it.
pub const BACKUP_KEY: &str = "kubeplay.session.before-share";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// What the URL asks for: `#embed`, `#autoplay`, `#s=<data>` (also as `?embed=1`), joined
/// with `&`.
pub struct Location {
    pub embed: bool,
    pub autoplay: bool,
    pub share: Option<String>,
}

pub fn location() -> Location {
    let loc = web_sys::window().map(|w| w.location());
    let hash = loc.as_ref().and_then(|l| l.hash().ok()).unwrap_or_default();
    let search = loc
        .as_ref()
        .and_then(|l| l.search().ok())
        .unwrap_or_default();
    let words: Vec<&str> = hash
        .trim_start_matches('#')
        .split('&')
        .chain(search.trim_start_matches('?').split('&'))
        .collect();
    let flag = |name: &str| {
        words
            .iter()
            .any(|w| *w == name || *w == format!("{name}=1") || *w == format!("{name}=true"))
    };
    Location {
        embed: flag("embed"),
        autoplay: flag("autoplay"),
        share: words
            .iter()
            .find_map(|w| w.strip_prefix("s="))
            .map(str::to_string),
    }
}

/// What the page gives the engine worker to boot from (main thread: the URL and storage).
/// Opening a share link keeps the visitor's own autosave aside first, and drops the fragment
/// so a reload restores the autosave (which goes on from the shared state).
pub fn boot_info() -> Boot {
    let loc = location();
    let storage = storage();
    if loc.share.is_some() && !loc.embed {
        if let Some(st) = &storage {
            if let Ok(Some(old)) = st.get_item(KEY) {
                let _ = st.set_item(BACKUP_KEY, &old);
            }
        }
        clear_fragment();
    }
    Boot {
        embed: loc.embed,
        autoplay: loc.autoplay,
        saved: if loc.share.is_none() && !loc.embed {
            storage.and_then(|st| st.get_item(KEY).ok().flatten())
        } else {
            None
        },
        share: loc.share,
        perf: crate::perf::enabled(),
    }
}

/// The page's first state (in the engine worker).
pub fn boot_from(boot: &Boot) -> State {
    if let Some(data) = &boot.share {
        let mut s = match Snapshot::from_link_data(data) {
            Ok(snap) if boot.embed => State::scripted(&snap, boot.autoplay),
            Ok(snap) => {
                let steps = snap.journal.len();
                let mut s = State::from_snapshot(&snap);
                s.notice = Some(Notice::Info(format!(
                    "Opened a shared session ({steps} recorded inputs replayed). Your own previous session was kept under “{BACKUP_KEY}” in this browser's storage."
                )));
                s
            }
            Err(why) => {
                let mut s = State::new(1);
                s.notice = Some(Notice::Info(format!(
                    "This share link could not be opened: {why}."
                )));
                s
            }
        };
        s.embed = boot.embed;
        s.saving = !boot.embed;
        return s;
    }
    if boot.embed {
        let mut s = State::new(1);
        s.embed = true;
        s.saving = false;
        return s;
    }
    let Some(raw) = boot.saved.clone() else {
        return State::new(1);
    };
    match Snapshot::from_json(&raw) {
        Ok(snap) => State::from_snapshot(&snap),
        Err(why) => {
            let mut s = State::new(1);
            s.notice = Some(Notice::Unreadable { why, raw });
            s.saving = false;
            s
        }
    }
}

fn clear_fragment() {
    if let Some(w) = web_sys::window() {
        let path = w.location().pathname().unwrap_or_default();
        let search = w.location().search().unwrap_or_default();
        if let Ok(h) = w.history() {
            let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&format!("{path}{search}")));
        }
    }
}

/// Saves a session's text (a full quota is ignored: the page goes on without autosave).
pub fn save(json: &str) {
    if let Some(st) = storage() {
        let _ = st.set_item(KEY, json);
    }
}

/// Forgets the autosave (the user chose "reset" over an unreadable one).
pub fn forget() {
    if let Some(st) = storage() {
        let _ = st.remove_item(KEY);
    }
}

/// Offers `text` as a file download.
pub fn download(name: &str, mime: &str, text: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(a) = doc
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Reads the first file chosen in `input` and hands its text to `done`.
pub fn read_file(input: &web_sys::HtmlInputElement, done: Rc<dyn Fn(Result<String, String>)>) {
    let Some(file) = input.files().and_then(|f| f.get(0)) else {
        return;
    };
    let Ok(reader) = web_sys::FileReader::new() else {
        return;
    };
    let r = reader.clone();
    let onload =
        Closure::once(
            move |_: web_sys::Event| match r.result().ok().and_then(|v| v.as_string()) {
                Some(text) => done(Ok(text)),
                None => done(Err("the file is not text".into())),
            },
        );
    reader.set_onload(Some(onload.as_ref().unchecked_ref()));
    onload.forget();
    let _ = reader.read_as_text(&file);
}

/// The page's address without fragment or query.
fn page_url() -> String {
    web_sys::window()
        .and_then(|w| {
            let l = w.location();
            Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))
        })
        .unwrap_or_default()
}

/// The share-link data of a saved session's text.
pub fn link_data(json: &str) -> String {
    Snapshot::from_json(json)
        .map(|s| s.to_link_data())
        .unwrap_or_default()
}

/// A link that rebuilds this session.
pub fn share_link(json: &str) -> String {
    format!("{}#s={}", page_url(), link_data(json))
}

/// An <iframe> that plays this session's inputs step by step.
pub fn embed_snippet(json: &str) -> String {
    format!(
        "<iframe src=\"{}#embed&autoplay&s={}\" width=\"900\" height=\"560\" title=\"kubeplay\" style=\"border:1px solid #ccc;border-radius:8px\"></iframe>",
        page_url(),
        link_data(json)
    )
}
