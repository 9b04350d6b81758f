//! The page clock: while playing, wall-clock time passes to the reducer as `Action::Tick`,
//! which advances the engine's virtual clock by elapsed × speed. The only place the page
//! reads wall time; the engine never does.

use crate::state::{Action, State};
use gloo_timers::callback::Interval;
use std::cell::Cell;
use std::rc::Rc;
use yew::prelude::*;

/// Milliseconds between ticks: 20 frames a second is smooth enough for tiles changing colour
/// and cheap enough for two cores.
const FRAME_MS: u32 = 50;

#[hook]
pub fn use_clock(playing: bool, dispatch: UseReducerDispatcher<State>) {
    use_effect_with(playing, move |&playing| {
        let interval = playing.then(|| {
            let last = Rc::new(Cell::new(js_sys::Date::now()));
            Interval::new(FRAME_MS, move || {
                let now = js_sys::Date::now();
                dispatch.dispatch(Action::Tick(now - last.replace(now)));
            })
        });
        move || drop(interval)
    });
}
