//! The live event list, newest first, in kubectl's words, in an aria-live region.
//!
//! Speed: at 200 pods a clock tick brings a dozen new events, and drawing them costs about as
//! much as the picture's own change; the list therefore follows the picture one frame later
//! (`use_next_frame`), so no frame carries both.

use crate::view::EventRow;
use std::rc::Rc;
use yew::prelude::*;

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
    html! {
        <section class="events" aria-label="events">
            <h2>{ "Events" }</h2>
            if events.is_empty() {
                <p class="muted">{ "No events yet. Apply a manifest to see the controllers at work." }</p>
            }
            <ol aria-live="polite" aria-relevant="additions">
                { for events.iter().map(|e| html! {
                    <EventItem key={e.uid.clone()} row={e.clone()} />
                }) }
            </ol>
        </section>
    }
}
