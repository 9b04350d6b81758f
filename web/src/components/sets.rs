//! StatefulSets above the picture: each with its replica handle (a slider: drag it, or focus
//! it and use the arrow keys; releasing runs `kubectl scale` in the active terminal) and
//! "why" — what its controller is waiting for, in words, from the engine's own plan.

use crate::view::SetRow;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub sets: Vec<SetRow>,
    /// Runs a command line in the active terminal.
    pub on_run: Callback<String>,
}

#[function_component(Sets)]
pub fn sets(p: &Props) -> Html {
    if p.sets.is_empty() {
        return html! {};
    }
    html! {
        <ul class="sets" aria-label="StatefulSets">
            { for p.sets.iter().map(|s| {
                let name = s.name.clone();
                let run = p.on_run.clone();
                let onchange = Callback::from(move |e: Event| {
                    let v = e.target_unchecked_into::<HtmlInputElement>().value();
                    if let Ok(n) = v.parse::<u32>() {
                        run.emit(format!("kubectl scale statefulset {name} --replicas={n}"));
                    }
                });
                let max = (s.replicas * 2).max(10);
                let why = match &s.waiting {
                    Some(w) => format!("{w} — podManagementPolicy {}", s.policy),
                    None if s.ready == s.replicas => format!("waiting for nothing — {}/{} Ready", s.ready, s.replicas),
                    None => format!("nothing the controller can do now — {}/{} Ready", s.ready, s.replicas),
                };
                html! {
                    <li key={s.name.clone()} class="set">
                        <span class="set-name">{ format!("statefulset/{}", s.name) }</span>
                        <label class="replicas">
                            <span>{ format!("replicas {}", s.replicas) }</span>
                            <input type="range" class="replica-handle" min="0" max={max.to_string()} step="1"
                                value={s.replicas.to_string()}
                                aria-label={format!("replicas of statefulset {}", s.name)}
                                aria-valuetext={format!("{} replicas", s.replicas)}
                                {onchange} />
                        </label>
                        <span class="why" aria-live="polite"><strong>{ "Why: " }</strong>{ why }</span>
                    </li>
                }
            }) }
        </ul>
    }
}
