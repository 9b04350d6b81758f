//! The playground page: an editor of YAML files, terminals running kubectl against a simulated
//! cluster, a live picture of that cluster, its events, and the controls of its clock — all in
//! WebAssembly, with no server.
//!
//! Shape (STYLE.md 8): `state` holds `State` + `enum Action` + the reducer (the only code that
//! changes the cluster), `view` turns the cluster into plain view data, `components` render that
//! data, and effects (the clock) live in hooks (`clock`).
//!
//! Architecture Invariant: the page talks to the cluster only through the engine's and
//! kubectl's public APIs; browser concerns (timers, storage, URL) stay in this crate.

mod clock;
mod components;
mod state;
mod view;

use components::cluster::ClusterPicture;
use components::controls::Controls;
use components::editor::Editor;
use components::events::Events;
use components::terminal::Terminal;
use state::{Action, Selection, State};
use yew::prelude::*;

const NAMESPACE: &str = "default";

#[derive(Properties, PartialEq)]
struct MenuProps {
    selection: Selection,
    /// One line of facts about the selected object.
    summary: AttrValue,
    node_cordoned: bool,
    on_run: Callback<String>,
    on_close: Callback<()>,
}

/// The actions for a clicked pod or node. Each runs the equivalent command in the active
/// terminal, so the user sees (and learns) the command.
#[function_component(Menu)]
fn menu(p: &MenuProps) -> Html {
    let item = |label: &str, hint: &str, cmd: String| {
        let run = p.on_run.clone();
        html! {
            <button onclick={move |_| run.emit(cmd.clone())} title={hint.to_string()}>{ label.to_string() }</button>
        }
    };
    let (title, items) = match &p.selection {
        Selection::Pod(n) => (
            format!("Pod {n}"),
            html! { <>
                { item("🗑 Delete", "kubectl delete pod (without waiting, to watch it terminate)", format!("kubectl delete pod {n} --wait=false")) }
                { item("💥 Crash container", "sim kill: the container exits, the kubelet restarts it", format!("sim kill {n}")) }
                { item("⇲ Evict", "sim evict: the Eviction API, as a node drain uses it", format!("sim evict {n}")) }
                { item("🔍 Describe", "kubectl describe pod", format!("kubectl describe pod {n}")) }
            </> },
        ),
        Selection::Node(n) => (
            format!("Node {n}"),
            html! { <>
                { item("⚡ Fail node", "sim fail-node: the kubelet stops reporting", format!("sim fail-node {n}")) }
                { item("✚ Recover node", "sim recover-node", format!("sim recover-node {n}")) }
                if p.node_cordoned {
                    { item("▶ Uncordon", "kubectl uncordon", format!("kubectl uncordon {n}")) }
                } else {
                    { item("⏸ Cordon", "kubectl cordon: no new pods here", format!("kubectl cordon {n}")) }
                }
                { item("🔍 Describe", "kubectl describe node", format!("kubectl describe node {n}")) }
            </> },
        ),
    };
    html! {
        <div class="menu" role="dialog" aria-label={title.clone()}>
            <div class="menu-head">
                <strong>{ title }</strong>
                <button class="close" aria-label="close menu" onclick={p.on_close.reform(|_: MouseEvent| ())}>{ "✕" }</button>
            </div>
            <p class="menu-summary">{ p.summary.clone() }</p>
            <div class="menu-items">{ items }</div>
        </div>
    }
}

#[function_component(App)]
fn app() -> Html {
    let state = use_reducer(|| State::new(1));
    clock::use_clock(state.playing, state.dispatcher());
    let d = state.dispatcher();
    let on = move |f: fn(()) -> Action| {
        let d = d.clone();
        Callback::from(move |_: ()| d.dispatch(f(())))
    };
    let d = state.dispatcher();

    let world = state.world.borrow();
    let view = view::cluster_view(&world.cluster, NAMESPACE);
    let t = state.active_terminal;
    let term = world.terminals.get(t);
    let (file_name, file_text) = world
        .files
        .get(state.active_file)
        .cloned()
        .unwrap_or_default();
    let problems = view::yaml_problems(&file_name, &file_text);

    let menu = state.selection.as_ref().map(|sel| {
        let (summary, cordoned) = match sel {
            Selection::Pod(n) => (
                view::describe_selection(&world.cluster, NAMESPACE, n)
                    .unwrap_or_else(|| format!("pod {n} is gone")),
                false,
            ),
            Selection::Node(n) => {
                let lane = view.lanes.iter().find(|l| &l.name == n);
                (
                    lane.map(|l| format!("{} · {}", l.name, l.status)).unwrap_or_default(),
                    lane.is_some_and(|l| l.unschedulable),
                )
            }
        };
        let run = {
            let d = d.clone();
            Callback::from(move |c: String| d.dispatch(Action::Run(c)))
        };
        let close = {
            let d = d.clone();
            Callback::from(move |_| d.dispatch(Action::Select(None)))
        };
        html! { <Menu selection={sel.clone()} summary={summary} node_cordoned={cordoned} on_run={run} on_close={close} /> }
    });

    html! {
        <div class="app">
            <header class="top">
                <div class="brand">
                    <span class="logo" aria-hidden="true">{ "⎈" }</span>
                    <h1>{ "kubeplay" }</h1>
                    <span class="tagline">{ "a Kubernetes cluster simulated in your browser" }</span>
                </div>
                <Controls playing={state.playing} speed={state.speed} seed={state.seed}
                    clock={AttrValue::from(view.clock.clone())} idle={view.idle}
                    on_toggle={on(|_| Action::TogglePlay)}
                    on_speed={{ let d = d.clone(); Callback::from(move |x| d.dispatch(Action::SetSpeed(x))) }}
                    on_step={on(|_| Action::Step)}
                    on_settle={on(|_| Action::Settle)}
                    on_reset={{ let d = d.clone(); Callback::from(move |s| d.dispatch(Action::Reset(s))) }} />
            </header>
            <main class="panes">
                <div class="left">
                    <Editor files={world.files.iter().map(|(n, _)| AttrValue::from(n.clone())).collect::<Vec<_>>()}
                        active={state.active_file} text={AttrValue::from(file_text.clone())} problems={problems}
                        on_select={{ let d = d.clone(); Callback::from(move |i| d.dispatch(Action::SelectFile(i))) }}
                        on_edit={{ let d = d.clone(); let f = state.active_file; Callback::from(move |s| d.dispatch(Action::EditFile(f, s))) }}
                        on_new={on(|_| Action::NewFile)}
                        on_apply={on(|_| Action::Apply)} />
                    <section class="terminals" aria-label="terminals">
                        <div class="tabs" role="tablist" aria-label="terminals">
                            { for world.terminals.iter().enumerate().map(|(i, x)| {
                                let d = d.clone();
                                html! {
                                    <button role="tab" class={classes!("tab", (i == t).then_some("on"))}
                                        aria-selected={(i == t).to_string()}
                                        onclick={move |_| d.dispatch(Action::SelectTerminal(i))}>
                                        { format!("Terminal {}", i + 1) }
                                        if x.watch.is_some() { <span class="watching" title="a watch is running">{ " ● watching" }</span> }
                                    </button>
                                }
                            }) }
                        </div>
                        if let Some(term) = term {
                            <Terminal key={t} index={t} scrollback={term.scrollback.clone()}
                                prompt={AttrValue::from(term.prompt())} input={AttrValue::from(term.input.clone())}
                                watching={term.watch.is_some()}
                                on_input={{ let d = d.clone(); Callback::from(move |s| d.dispatch(Action::SetInput(t, s))) }}
                                on_submit={{ let d = d.clone(); Callback::from(move |_| d.dispatch(Action::Submit(t))) }}
                                on_paste={{ let d = d.clone(); Callback::from(move |s| d.dispatch(Action::Paste(t, s))) }}
                                on_history={{ let d = d.clone(); Callback::from(move |up: bool| d.dispatch(if up { Action::HistoryPrev(t) } else { Action::HistoryNext(t) })) }}
                                on_interrupt={{ let d = d.clone(); Callback::from(move |_| d.dispatch(Action::Interrupt(t))) }}
                                on_clear={{ let d = d.clone(); Callback::from(move |_| d.dispatch(Action::ClearScreen(t))) }} />
                        }
                    </section>
                </div>
                <div class="right">
                    <section class="picture" aria-label="cluster view">
                        <h2>{ "Cluster" }<span class="legend">
                            <span class="chip pending">{ "… Pending" }</span>
                            <span class="chip creating">{ "↻ Creating" }</span>
                            <span class="chip running">{ "◐ Running, not ready" }</span>
                            <span class="chip ready">{ "✓ Ready" }</span>
                            <span class="chip terminating">{ "✕ Terminating" }</span>
                            <span class="chip failed">{ "! Failed" }</span>
                        </span></h2>
                        <ClusterPicture view={view.clone()} selection={state.selection.clone()}
                            on_select={{ let d = d.clone(); Callback::from(move |s| d.dispatch(Action::Select(s))) }} />
                        { for menu }
                        <p class="hint">{ "Click a pod or a node for actions. Every action runs the matching command in the active terminal." }</p>
                    </section>
                    <Events events={view.events.clone()} />
                </div>
            </main>
        </div>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
