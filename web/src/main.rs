//! The playground page: an editor of YAML files, terminals running kubectl against a simulated
//! cluster, a live picture of that cluster, its events, and the controls of its clock — all in
//! WebAssembly, with no server.
//!
//! Shape (STYLE.md 8): `state` holds `State` + `enum Action` + the reducer (the only code that
//! changes the cluster), `view` turns the cluster into plain view data, `components` render that
//! data.
//!
//! Two threads, one wasm module: the engine worker (`worker`) owns the `State`, runs the
//! reducer and the clock, and sends `frame::Frame`s; the page (this file and `page`) sends
//! `Action`s and draws frames, so a busy cluster never holds up a frame. `main` starts the page
//! only in a window: in the worker, instantiating the module must do nothing more.
//!
//! Architecture Invariant: the page talks to the cluster only through the engine's and
//! kubectl's public APIs; browser concerns (timers, storage, URL) stay in this crate.

mod components;
mod frame;
mod page;
mod perf;
mod session;
mod state;
mod storage;
mod view;
mod wire;
mod worker;

use components::cluster::ClusterPicture;
use components::controls::Controls;
use components::editor::Editor;
use components::events::Events;
use components::sets::Sets;
use components::terminal::Terminal;
use page::{Link, Page};
use state::{Action, Notice, Selection};
use std::rc::Rc;
use yew::prelude::*;

/// The namespace the picture shows (the tutorials' namespace).
pub(crate) const NAMESPACE: &str = "default";

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
                { item("⌦ Delete", "kubectl delete pod (without waiting, to watch it terminate)", format!("kubectl delete pod {n} --wait=false")) }
                { item("⚠ Crash container", "sim kill: the container exits, the kubelet restarts it", format!("sim kill {n}")) }
                { item("⇲ Evict", "sim evict: the Eviction API, as a node drain uses it", format!("sim evict {n}")) }
                { item("☰ Describe", "kubectl describe pod", format!("kubectl describe pod {n}")) }
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
                    { item("⊘ Cordon", "kubectl cordon: no new pods here", format!("kubectl cordon {n}")) }
                }
                { item("☰ Describe", "kubectl describe node", format!("kubectl describe node {n}")) }
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

#[derive(Properties, PartialEq)]
struct NoticeProps {
    notice: Notice,
    on_dismiss: Callback<()>,
    on_discard: Callback<()>,
}

/// A message over the page; for an unreadable saved session, the way out.
#[function_component(NoticeBar)]
fn notice_bar(p: &NoticeProps) -> Html {
    match &p.notice {
        Notice::Info(text) => html! {
            <div class="notice" role="status">
                <span>{ text.clone() }</span>
                <button onclick={p.on_dismiss.reform(|_: MouseEvent| ())}>{ "OK" }</button>
            </div>
        },
        Notice::Unreadable { why, raw } => {
            let raw = raw.clone();
            let export = Callback::from(move |_: MouseEvent| {
                storage::download("kubeplay-session-raw.txt", "text/plain", &raw)
            });
            let discard = p.on_discard.reform(|_: MouseEvent| {
                storage::forget();
            });
            html! {
                <div class="notice bad" role="alertdialog" aria-label="saved session unreadable">
                    <span>{ format!("Your saved session could not be read: {why}. The page started a fresh cluster and is not saving over it until you choose.") }</span>
                    <button onclick={export}>{ "Export raw" }</button>
                    <button onclick={discard}>{ "Reset (discard it)" }</button>
                </div>
            }
        }
    }
}

#[derive(Properties, PartialEq)]
struct ShareProps {
    link: AttrValue,
    embed: AttrValue,
    on_close: Callback<()>,
}

#[function_component(ShareBox)]
fn share_box(p: &ShareProps) -> Html {
    let select = Callback::from(|e: FocusEvent| {
        use wasm_bindgen::JsCast;
        if let Some(t) = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
        {
            t.select();
        }
    });
    html! {
        <div class="menu share" role="dialog" aria-label="share this session">
            <div class="menu-head">
                <strong>{ "Share this session" }</strong>
                <button class="close" aria-label="close" onclick={p.on_close.reform(|_: MouseEvent| ())}>{ "✕" }</button>
            </div>
            <label>{ "Link (files, commands and seed, compressed in the fragment — nothing is uploaded)" }
                <textarea class="share-link" readonly=true rows="3" value={p.link.clone()} onfocus={select.clone()} />
            </label>
            <label>{ "Embed (plays the commands step by step)" }
                <textarea class="share-embed" readonly=true rows="3" value={p.embed.clone()} onfocus={select} />
            </label>
        </div>
    }
}

/// The page's callbacks, made once: a component whose props did not change is not rendered
/// again, and a fresh `Callback` (compared by pointer) on every clock tick would defeat that
/// for every pane.
#[derive(Clone)]
struct Cbs {
    toggle: Callback<()>,
    speed: Callback<f64>,
    step: Callback<()>,
    settle: Callback<()>,
    reset: Callback<u64>,
    select_file: Callback<usize>,
    new_file: Callback<()>,
    apply: Callback<()>,
    run: Callback<String>,
    select: Callback<Option<Selection>>,
    close_menu: Callback<()>,
    dismiss: Callback<()>,
    discard: Callback<()>,
}

impl Cbs {
    fn new(d: &Rc<Link>) -> Cbs {
        let to = |f: fn(()) -> Action| {
            let d = d.clone();
            Callback::from(move |_: ()| d.dispatch(f(())))
        };
        let with = |f: fn(u64) -> Action| {
            let d = d.clone();
            Callback::from(move |x: u64| d.dispatch(f(x)))
        };
        Cbs {
            toggle: to(|_| Action::TogglePlay),
            speed: {
                let d = d.clone();
                Callback::from(move |x| d.dispatch(Action::SetSpeed(x)))
            },
            step: to(|_| Action::Step),
            settle: to(|_| Action::Settle),
            reset: with(Action::Reset),
            select_file: {
                let d = d.clone();
                Callback::from(move |i| d.dispatch(Action::SelectFile(i)))
            },
            new_file: to(|_| Action::NewFile),
            apply: to(|_| Action::Apply),
            run: {
                let d = d.clone();
                Callback::from(move |c: String| d.dispatch(Action::Run(c)))
            },
            select: {
                let d = d.clone();
                Callback::from(move |s| d.dispatch(Action::Select(s)))
            },
            close_menu: to(|_| Action::Select(None)),
            dismiss: to(|_| Action::DismissNotice),
            discard: to(|_| Action::Discard),
        }
    }
}

/// Terminal `t`'s callbacks, made once per terminal shown.
#[derive(Clone)]
struct TermCbs {
    input: Callback<String>,
    submit: Callback<()>,
    paste: Callback<String>,
    history: Callback<bool>,
    interrupt: Callback<()>,
    clear: Callback<()>,
    complete: Callback<()>,
    search_back: Callback<()>,
    search_input: Callback<String>,
    search_accept: Callback<bool>,
    search_cancel: Callback<()>,
}

impl TermCbs {
    fn new(d: &Rc<Link>, t: usize) -> TermCbs {
        let to = |f: fn(usize) -> Action| {
            let d = d.clone();
            Callback::from(move |_: ()| d.dispatch(f(t)))
        };
        let text = |f: fn(usize, String) -> Action| {
            let d = d.clone();
            Callback::from(move |x: String| d.dispatch(f(t, x)))
        };
        let flag = |f: fn(usize, bool) -> Action| {
            let d = d.clone();
            Callback::from(move |x: bool| d.dispatch(f(t, x)))
        };
        TermCbs {
            input: text(Action::SetInput),
            submit: to(Action::Submit),
            paste: text(Action::Paste),
            history: flag(|t, up| {
                if up {
                    Action::HistoryPrev(t)
                } else {
                    Action::HistoryNext(t)
                }
            }),
            interrupt: to(Action::Interrupt),
            clear: to(Action::ClearScreen),
            complete: to(Action::Complete),
            search_back: to(Action::SearchBack),
            search_input: text(Action::SetSearch),
            search_accept: flag(Action::AcceptSearch),
            search_cancel: to(Action::CancelSearch),
        }
    }
}

#[function_component(App)]
fn app() -> Html {
    let t0 = perf::start();
    use_effect(move || perf::measure("kp:render", t0));
    let page = use_reducer(Page::default);
    let link = (*use_memo((), |_| Rc::new(Link::start(page.dispatcher())))).clone();
    let sharing = use_state(|| None::<(AttrValue, AttrValue)>);
    let frame = page.frame.clone();
    let cbs = (*use_memo((), |_| Cbs::new(&link))).clone();
    let tcbs = (*use_memo(frame.active_terminal, |&t| TermCbs::new(&link, t))).clone();
    let on_edit = (*use_memo(frame.active_file, |&f| {
        let d = link.clone();
        Callback::from(move |s| d.dispatch(Action::EditFile(f, s)))
    }))
    .clone();
    let d = link.clone();
    let on = move |f: fn(()) -> Action| {
        let d = d.clone();
        Callback::from(move |_: ()| d.dispatch(f(())))
    };
    let d = link.clone();

    let view = &page.view;
    let t = frame.active_terminal;
    let term = frame.terminals.get(t);
    let (file_name, file_text) = page
        .files
        .get(frame.active_file)
        .cloned()
        .unwrap_or_default();
    // Parsing the file is only needed when it changes, not on every clock tick.
    let problems = (*use_memo((file_name.clone(), file_text.clone()), |(n, t)| {
        view::yaml_problems(n, t)
    }))
    .clone();

    let menu = frame.selection.as_ref().zip(frame.menu.as_ref()).map(|(sel, facts)| {
        html! { <Menu selection={sel.clone()} summary={AttrValue::from(facts.summary.clone())} node_cordoned={facts.cordoned} on_run={cbs.run.clone()} on_close={cbs.close_menu.clone()} /> }
    });

    let saved = page.saved.clone();
    let full_link = use_memo((frame.embed, saved.clone()), |(embed, saved)| {
        if *embed {
            format!("./#s={}", storage::link_data(saved))
        } else {
            String::new()
        }
    });
    let session_bar = if frame.embed {
        let full = (*full_link).clone();
        html! { <a class="open-full" href={full} target="_blank" rel="noopener">{ "Open in kubeplay ↗" }</a> }
    } else {
        let export = {
            let saved = link.saved.clone();
            Callback::from(move |_: MouseEvent| {
                let saved = saved.borrow().clone();
                storage::download("kubeplay-session.json", "application/json", &saved)
            })
        };
        let import = {
            let d = d.clone();
            Callback::from(move |e: Event| {
                let d = d.clone();
                let input: web_sys::HtmlInputElement = e.target_unchecked_into();
                storage::read_file(
                    &input,
                    Rc::new(move |r: Result<String, String>| match r {
                        Ok(text) => d.dispatch(Action::Import(text)),
                        Err(why) => d.dispatch(Action::LoadFailed(why)),
                    }),
                );
                input.set_value("");
            })
        };
        let share = {
            let saved = link.saved.clone();
            let sharing = sharing.clone();
            Callback::from(move |_: MouseEvent| {
                let saved = saved.borrow().clone();
                sharing.set(Some((
                    storage::share_link(&saved).into(),
                    storage::embed_snippet(&saved).into(),
                )))
            })
        };
        html! {
            <div class="session" role="group" aria-label="session">
                <button onclick={share} title="A link that rebuilds this cluster: files, commands and seed">{ "↗ Share" }</button>
                <button onclick={export} title="Download this session as a file">{ "⤓ Export" }</button>
                <label class="button" title="Open a session file">{ "⤒ Import" }
                    <input type="file" accept=".json,application/json" class="visually-hidden" aria-label="import a session file" onchange={import} />
                </label>
            </div>
        }
    };
    let script_bar = frame.script.clone().map(|bar| {
        let (done, n, next) = (bar.done, bar.steps, bar.next);
        html! {
            <div class="script" role="group" aria-label="shared script">
                <span class="step-count">{ format!("step {done}/{n}") }</span>
                if let Some(next) = next {
                    <code class="next">{ next }</code>
                    <button class="primary" onclick={on(|_| Action::NextStep).reform(|_: MouseEvent| ())}>{ "Run next ›" }</button>
                } else {
                    <span>{ "all steps given" }</span>
                }
                <button aria-pressed={frame.autoplay.to_string()} onclick={on(|_| Action::ToggleAutoplay).reform(|_: MouseEvent| ())}>
                    { if frame.autoplay { "❚❚ Autoplay on" } else { "▶ Autoplay" } }
                </button>
            </div>
        }
    });
    let notice = frame.notice.clone().map(|n| html! {
        <NoticeBar notice={n} on_dismiss={cbs.dismiss.clone()} on_discard={cbs.discard.clone()} />
    });
    let share_box = (*sharing).clone().map(|(link, embed)| {
        let sharing = sharing.clone();
        html! { <ShareBox {link} {embed} on_close={Callback::from(move |_| sharing.set(None))} /> }
    });

    html! {
        <div class={classes!("app", frame.embed.then_some("embed"))} data-engine={if page.ready { "ready" } else { "starting" }}>
            <header class="top">
                <div class="brand">
                    <span class="logo" aria-hidden="true">{ "⎈" }</span>
                    <h1>{ "kubeplay" }</h1>
                    <span class="tagline">{ "a Kubernetes cluster simulated in your browser" }</span>
                </div>
                <Controls playing={frame.playing} speed={frame.speed} seed={frame.seed}
                    clock={AttrValue::from(view.clock.clone())} idle={view.idle}
                    on_toggle={cbs.toggle.clone()}
                    on_speed={cbs.speed.clone()}
                    on_step={cbs.step.clone()}
                    on_settle={cbs.settle.clone()}
                    on_reset={cbs.reset.clone()} />
                { session_bar }
            </header>
            { for notice }
            { for share_box }
            { for script_bar }
            <main class="panes">
                <div class="left">
                    <Editor files={page.files.iter().map(|(n, _)| AttrValue::from(n.clone())).collect::<Vec<_>>()}
                        active={frame.active_file} text={AttrValue::from(file_text.clone())} problems={problems}
                        on_select={cbs.select_file.clone()}
                        on_edit={on_edit}
                        on_new={cbs.new_file.clone()}
                        on_apply={cbs.apply.clone()} />
                    <section class="terminals" aria-label="terminals">
                        <div class="tabs" role="tablist" aria-label="terminals">
                            { for frame.terminals.iter().enumerate().map(|(i, x)| {
                                let d = d.clone();
                                html! {
                                    <button role="tab" class={classes!("tab", (i == t).then_some("on"))}
                                        aria-selected={(i == t).to_string()}
                                        onclick={move |_| d.dispatch(Action::SelectTerminal(i))}>
                                        { format!("Terminal {}", i + 1) }
                                        if x.watching { <span class="watching" title="a watch is running">{ " ● watching" }</span> }
                                    </button>
                                }
                            }) }
                        </div>
                        // The terminal takes input before the worker's first frame (the
                        // worker queues what arrives before it is ready, in order), so the
                        // page is interactive while the engine still boots.
                        <Terminal key={t} index={t} scrollback={page.screens.get(t).cloned().unwrap_or_default()}
                            prompt={AttrValue::from(term.map_or("$ ", |term| term.prompt.as_str()).to_string())}
                            input={AttrValue::from(page.inputs.get(t).cloned().unwrap_or_default())}
                            watching={term.is_some_and(|term| term.watching)}
                            on_input={tcbs.input.clone()}
                            on_submit={tcbs.submit.clone()}
                            on_paste={tcbs.paste.clone()}
                            on_history={tcbs.history.clone()}
                            on_interrupt={tcbs.interrupt.clone()}
                            on_clear={tcbs.clear.clone()}
                            search={page.searching.get(t).copied().unwrap_or(false).then(|| (
                                AttrValue::from(page.queries.get(t).cloned().unwrap_or_default()),
                                AttrValue::from(term.and_then(|term| term.search.as_ref()).map(|s| s.1.clone()).unwrap_or_default()),
                            ))}
                            on_complete={tcbs.complete.clone()}
                            on_search_back={tcbs.search_back.clone()}
                            on_search_input={tcbs.search_input.clone()}
                            on_search_accept={tcbs.search_accept.clone()}
                            on_search_cancel={tcbs.search_cancel.clone()} />
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
                        <Sets sets={view.sets.clone()} on_run={cbs.run.clone()} />
                        <ClusterPicture view={view.clone()} selection={frame.selection.clone()}
                            on_select={cbs.select.clone()} />
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
    // The engine worker instantiates this module too: there, the page must not start.
    if web_sys::window().is_some() {
        yew::Renderer::<App>::new().render();
    }
}
