//! Time controls: play/pause, speed, single step, settle now, the seed and reset.

use crate::state::SPEEDS;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub playing: bool,
    pub speed: f64,
    pub seed: u64,
    pub clock: AttrValue,
    pub idle: bool,
    pub on_toggle: Callback<()>,
    pub on_speed: Callback<f64>,
    pub on_step: Callback<()>,
    pub on_settle: Callback<()>,
    pub on_reset: Callback<u64>,
}

#[function_component(Controls)]
pub fn controls(p: &Props) -> Html {
    let seed_ref = use_node_ref();
    let toggle = p.on_toggle.reform(|_: MouseEvent| ());
    let step = p.on_step.reform(|_: MouseEvent| ());
    let settle = p.on_settle.reform(|_: MouseEvent| ());
    let reset = {
        let seed_ref = seed_ref.clone();
        let seed = p.seed;
        p.on_reset.reform(move |_: MouseEvent| {
            seed_ref
                .cast::<HtmlInputElement>()
                .and_then(|i| i.value().trim().parse::<u64>().ok())
                .unwrap_or(seed)
        })
    };
    html! {
        <div class="controls" role="toolbar" aria-label="time controls">
            <button class="primary" onclick={toggle} aria-pressed={p.playing.to_string()}
                title={if p.playing { "Pause the cluster's clock" } else { "Run the cluster's clock" }}>
                { if p.playing { "❚❚ Pause" } else { "▶ Play" } }
            </button>
            <div class="speeds" role="group" aria-label="speed">
                { for SPEEDS.iter().map(|&x| {
                    let on_speed = p.on_speed.clone();
                    let label = if x < 1.0 { "½×".to_string() } else { format!("{x}×") };
                    html! {
                        <button class={classes!("speed", (p.speed == x).then_some("on"))}
                            aria-pressed={(p.speed == x).to_string()}
                            onclick={move |_| on_speed.emit(x)}>{ label }</button>
                    }
                }) }
            </div>
            <button onclick={step} title="Jump to the next thing that will happen">{ "Step ›" }</button>
            <button onclick={settle} title="Run until nothing is left to do (at most 10 minutes of cluster time)">{ "Settle now »" }</button>
            <span class="clock" aria-label="cluster time">
                <span class="clock-label">{ "cluster time " }</span>
                <time>{ p.clock.clone() }</time>
                <span class={classes!("idle", p.idle.then_some("on"))}>
                    { if p.idle { " · settled" } else { " · working" } }
                </span>
            </span>
            <label class="seed">{ "seed " }
                <input ref={seed_ref} type="number" min="0" value={p.seed.to_string()} aria-label="seed" />
            </label>
            <button onclick={reset} title="Start a fresh cluster with this seed (files are kept)">{ "↺ Reset" }</button>
        </div>
    }
}
