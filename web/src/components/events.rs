//! The live event list, newest first, in kubectl's words, in an aria-live region.
//!
//! Speed: at 200 pods a clock tick brings a dozen new events, and drawing them costs about as
//! much as the picture's own change; the list therefore follows the picture one frame later
//! (`use_next_frame`), so no frame carries both. Only the rows the pane can show, and a few
//! more, are in the DOM (the pane shows some six of the forty at 1400×900, and every row drawn
//! is style, layout and paint on each tick that shifts the list); scrolling towards the end,
//! or a taller pane, brings the rest. New events arrive at the top, so what aria-live
//! announces is the same.

use crate::view::EventRow;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Rows drawn before the pane has been measured, and beyond what it shows.
const SPARE_ROWS: usize = 6;
/// The shortest row's height in CSS pixels (one line of `.82rem` text and its padding):
/// dividing the pane's height by it over-counts rows, never under-counts.
const MIN_ROW_PX: i32 = 18;
/// How close to the end of the drawn rows a scroll brings all of them.
const NEAR_END_PX: i32 = 120;

/// The rows a pane of this height can show, plus the spare ones.
fn rows_for(el: &web_sys::Element) -> usize {
    (el.client_height().max(0) / MIN_ROW_PX) as usize + SPARE_ROWS
}

#[derive(Properties, PartialEq)]
pub struct Props {
    /// Rows shared with the view: an unchanged row compares by pointer and is not rendered again.
    pub events: Vec<Rc<EventRow>>,
}

#[derive(Properties, PartialEq)]
struct RowProps {
    row: Rc<EventRow>,
}

#[function_component(EventItem)]
fn event_item(p: &RowProps) -> Html {
    let e = &p.row;
    html! {
        <li class={classes!(e.warning.then_some("warning"))}>
            <span class="age">{ &e.age }</span>
            <span class="reason">{ if e.warning { "⚠ " } else { "" } }{ &e.reason }</span>
            <span class="object">{ &e.object }</span>
            <span class="message">{ &e.message }</span>
        </li>
    }
}

#[function_component(Events)]
pub fn events(p: &Props) -> Html {
    let events = super::use_next_frame(&p.events);
    let pane = use_node_ref();
    // How many rows are drawn: what the pane shows and a few more, all once scrolled near the end.
    let limit = use_state_eq(|| 3 * SPARE_ROWS);
    {
        let (pane, limit) = (pane.clone(), limit.clone());
        use_effect_with((), move |_| {
            let measure = move || {
                if let Some(el) = pane.cast::<web_sys::Element>() {
                    let rows = rows_for(&el);
                    limit.set((*limit).max(rows));
                }
            };
            measure();
            // A taller window shows more rows (without this, a pane with no scrollbar would
            // never grow its list).
            let on_resize = Closure::<dyn Fn()>::new(measure);
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w
                    .add_event_listener_with_callback("resize", on_resize.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = &window {
                    let _ = w.remove_event_listener_with_callback(
                        "resize",
                        on_resize.as_ref().unchecked_ref(),
                    );
                }
                drop(on_resize);
            }
        });
    }
    let onscroll = {
        let limit = limit.clone();
        Callback::from(move |e: Event| {
            let Some(el) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            if el.scroll_top() + el.client_height() + NEAR_END_PX >= el.scroll_height() {
                limit.set(usize::MAX);
            } else {
                limit.set((*limit).max(rows_for(&el)));
            }
        })
    };
    html! {
        <section class="events" aria-label="events" ref={pane} {onscroll}>
            <h2>{ "Events" }</h2>
            if events.is_empty() {
                <p class="muted">{ "No events yet. Apply a manifest to see the controllers at work." }</p>
            }
            <ol aria-live="polite" aria-relevant="additions">
                { for events.iter().take(*limit).map(|e| html! {
                    <EventItem key={e.uid.clone()} row={e.clone()} />
                }) }
            </ol>
        </section>
    }
}
