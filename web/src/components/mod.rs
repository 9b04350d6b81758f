//! The page's components. Each renders plain view data passed as props and reports user
//! intent as callbacks; none of them reads or changes the cluster.

pub mod cluster;
pub mod controls;
pub mod editor;
pub mod events;
pub mod sets;
pub mod terminal;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Runs `f` at the start of the frame after the next one is painted (two animation frames
/// from now): work that may lag a frame behind the picture (the event list) then shares no
/// frame with the picture's own changes.
fn after_next_paint(f: impl FnOnce() + 'static) {
    let Some(w) = web_sys::window() else {
        return f();
    };
    let next = Closure::once_into_js(f);
    let w2 = w.clone();
    let first = Closure::once_into_js(move || {
        let _ = w2.request_animation_frame(next.unchecked_ref());
    });
    let _ = w.request_animation_frame(first.unchecked_ref());
}

/// `value` as of one frame later: a new value is shown in the frame after the one that
/// paints the rest of its change (the first value at once). Only the newest value waits: a
/// hidden tab, where animation frames do not run, holds one value, not one per change.
#[hook]
pub fn use_next_frame<T: Clone + PartialEq + 'static>(value: &T) -> T {
    let shown = use_state_eq(|| value.clone());
    // The newest value not shown yet; Some while a frame is requested.
    let waiting = use_mut_ref(|| None::<T>);
    {
        let shown = shown.clone();
        use_effect_with(value.clone(), move |v| {
            let requested = waiting.borrow_mut().replace(v.clone()).is_some();
            if !requested {
                after_next_paint(move || {
                    if let Some(v) = waiting.borrow_mut().take() {
                        shown.set(v);
                    }
                });
            }
        });
    }
    (*shown).clone()
}
