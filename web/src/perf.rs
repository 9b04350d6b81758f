//! Optional timing of the page's own work, for the e2e speed test: with `?perf` in the URL, the
//! clock tick's engine advance, the view read from the cluster and the whole render are written
//! as User Timing measures (`kp:tick`, `kp:view`, `kp:render`, `kp:read`) that the test reads back and a
//! Chromium trace shows. Without the flag nothing is recorded (measures pile up in the browser's
//! buffer, so an ordinary session must not make them).
//!
//! The engine worker's measures (`kp:tick`, `kp:view`, `kp:cluster-view`, `kp:explain`) are
//! kept in the worker (`take`), sent with the next frame, and recorded on the page (`record`)
//! when it arrives, so the page's timeline holds them all.
//!
//! Must never influence what the page does: it only reads the wall clock.

use std::cell::Cell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn perf_now() -> f64;
    #[wasm_bindgen(js_namespace = performance, js_name = measure)]
    fn perf_measure(name: &str, options: &JsValue);
}

thread_local! {
    static ON: Cell<Option<bool>> = const { Cell::new(None) };
    /// Whether this thread is the page (it has a `window`). Asked once: in the worker,
    /// `web_sys::window()` throws and catches an exception each time it is called.
    static IN_WINDOW: Cell<Option<bool>> = const { Cell::new(None) };
    /// In the worker: measures not yet sent to the page.
    static TAKEN: std::cell::RefCell<Vec<(String, f64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether timing is on (`?perf` in the page's URL).
pub fn enabled() -> bool {
    on()
}

/// The worker has no URL of its own: the page tells it.
pub fn set_enabled(b: bool) {
    ON.with(|on| on.set(Some(b)));
}

/// The worker's measures since the last call.
pub fn take() -> Vec<(String, f64)> {
    TAKEN.with(|t| std::mem::take(&mut *t.borrow_mut()))
}

/// Records a measure the worker took, ending now.
pub fn record(name: &str, duration: f64) {
    if !on() {
        return;
    }
    let now = perf_now();
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"start".into(), &(now - duration).into());
    let _ = js_sys::Reflect::set(&opts, &"end".into(), &now.into());
    perf_measure(name, &opts);
}

fn on() -> bool {
    ON.with(|on| match on.get() {
        Some(b) => b,
        None => {
            let b = web_sys::window()
                .and_then(|w| w.location().search().ok())
                .is_some_and(|s| s.contains("perf"));
            on.set(Some(b));
            b
        }
    })
}

/// The wall time now (ms): `performance.now()`. Only the clock tick's budget and these
/// measures read it; the cluster never does.
pub fn now() -> f64 {
    perf_now()
}

/// The wall time now (ms), or 0 when timing is off.
pub fn start() -> f64 {
    if on() {
        perf_now()
    } else {
        0.0
    }
}

/// Records `name` as the span from `since` (a `start()`) to now.
pub fn measure(name: &str, since: f64) {
    if !on() {
        return;
    }
    let in_window = IN_WINDOW.with(|w| match w.get() {
        Some(b) => b,
        None => {
            let b = web_sys::window().is_some();
            w.set(Some(b));
            b
        }
    });
    if !in_window {
        let d = perf_now() - since;
        TAKEN.with(|t| t.borrow_mut().push((name.to_string(), d)));
        return;
    }
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"start".into(), &since.into());
    let _ = js_sys::Reflect::set(&opts, &"end".into(), &perf_now().into());
    perf_measure(name, &opts);
}
