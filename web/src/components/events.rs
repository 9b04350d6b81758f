//! The live event list, newest first, in kubectl's words, in an aria-live region.

use crate::view::EventRow;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub events: Vec<EventRow>,
}

#[function_component(Events)]
pub fn events(p: &Props) -> Html {
    html! {
        <section class="events" aria-label="events">
            <h2>{ "Events" }</h2>
            if p.events.is_empty() {
                <p class="muted">{ "No events yet. Apply a manifest to see the controllers at work." }</p>
            }
            <ol aria-live="polite" aria-relevant="additions">
                { for p.events.iter().map(|e| html! {
                    <li key={e.uid.clone()} class={classes!(e.warning.then_some("warning"))}>
                        <span class="age">{ &e.age }</span>
                        <span class="reason">{ if e.warning { "⚠ " } else { "" } }{ &e.reason }</span>
                        <span class="object">{ &e.object }</span>
                        <span class="message">{ &e.message }</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}
