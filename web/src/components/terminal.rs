//! A terminal tab: scrollback, prompt and input line. Keys: Enter runs, ↑/↓ walk history,
//! Tab completes (commands, flags, types, names), Ctrl-R searches history backwards, Ctrl-C
//! stops a watch or drops the line, Ctrl-L clears; a multi-line paste runs line by line.

use crate::state::LineKind;
use std::rc::Rc;
use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub index: usize,
    pub scrollback: Rc<Vec<(LineKind, String)>>,
    pub prompt: AttrValue,
    pub input: AttrValue,
    pub watching: bool,
    pub on_input: Callback<String>,
    pub on_submit: Callback<()>,
    pub on_paste: Callback<String>,
    pub on_history: Callback<bool>,
    pub on_interrupt: Callback<()>,
    pub on_clear: Callback<()>,
    /// Ctrl-R in progress: (what is typed, the history entry it matches).
    pub search: Option<(AttrValue, AttrValue)>,
    pub on_complete: Callback<()>,
    pub on_search_back: Callback<()>,
    pub on_search_input: Callback<String>,
    /// Leave the search with its match (true: run it).
    pub on_search_accept: Callback<bool>,
    pub on_search_cancel: Callback<()>,
}

#[function_component(Terminal)]
pub fn terminal(p: &Props) -> Html {
    let screen = use_node_ref();
    let input_ref = use_node_ref();
    // Keep the newest output in view.
    {
        let screen = screen.clone();
        let size: usize = p.scrollback.iter().map(|(_, t)| t.len()).sum();
        use_effect_with(size, move |_| {
            if let Some(el) = screen.cast::<HtmlElement>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    let searching = p.search.is_some();
    let oninput = if searching {
        p.on_search_input
            .reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value())
    } else {
        p.on_input
            .reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value())
    };
    let onkeydown = {
        let (submit, history, interrupt, clear) = (
            p.on_submit.clone(),
            p.on_history.clone(),
            p.on_interrupt.clone(),
            p.on_clear.clone(),
        );
        let (complete, back, accept, cancel) = (
            p.on_complete.clone(),
            p.on_search_back.clone(),
            p.on_search_accept.clone(),
            p.on_search_cancel.clone(),
        );
        Callback::from(move |e: KeyboardEvent| {
            let key = e.key();
            if e.ctrl_key() && (key == "r" || key == "R") {
                e.prevent_default();
                back.emit(());
                return;
            }
            if searching {
                match key.as_str() {
                    "Enter" => accept.emit(true),
                    "Escape" | "ArrowUp" | "ArrowDown" | "ArrowLeft" | "ArrowRight" | "Tab" => {
                        accept.emit(false)
                    }
                    "c" | "C" | "g" | "G" if e.ctrl_key() => cancel.emit(()),
                    _ => return,
                }
                e.prevent_default();
                return;
            }
            if key == "Tab" && !e.shift_key() {
                e.prevent_default();
                complete.emit(());
                return;
            }
            if e.ctrl_key() && (key == "c" || key == "C") {
                // With text selected, Ctrl-C copies; otherwise it is the terminal's interrupt.
                let selected = e
                    .target_dyn_into::<HtmlInputElement>()
                    .and_then(|i| Some(i.selection_start().ok()?? != i.selection_end().ok()??))
                    .unwrap_or(false);
                if !selected {
                    e.prevent_default();
                    interrupt.emit(());
                }
                return;
            }
            match key.as_str() {
                "Enter" => {
                    e.prevent_default();
                    submit.emit(());
                }
                "ArrowUp" => {
                    e.prevent_default();
                    history.emit(true);
                }
                "ArrowDown" => {
                    e.prevent_default();
                    history.emit(false);
                }
                "l" | "L" if e.ctrl_key() => {
                    e.prevent_default();
                    clear.emit(());
                }
                _ => {}
            }
        })
    };
    let onpaste = {
        let paste = p.on_paste.clone();
        Callback::from(move |e: Event| {
            let Ok(ce) = e.clone().dyn_into_clipboard() else {
                return;
            };
            let text = ce
                .clipboard_data()
                .and_then(|d| d.get_data("text/plain").ok())
                .unwrap_or_default();
            if text.contains('\n') {
                e.prevent_default();
                paste.emit(text);
            }
        })
    };
    let focus = {
        let input_ref = input_ref.clone();
        Callback::from(move |_: MouseEvent| {
            // Clicking the screen types into the terminal, unless the user is selecting text.
            let selecting = web_sys::window()
                .and_then(|w| w.get_selection().ok().flatten())
                .is_some_and(|s| !s.is_collapsed());
            if !selecting {
                if let Some(i) = input_ref.cast::<HtmlInputElement>() {
                    let _ = i.focus();
                }
            }
        })
    };
    let id = format!("term-input-{}", p.index);
    html! {
        <div class="terminal" onclick={focus}>
            <pre class="screen" ref={screen} aria-live="polite" aria-label={format!("terminal {} output", p.index + 1)}>
                { for p.scrollback.iter().map(|(k, t)| html! {
                    <span class={match k {
                        LineKind::Input => "in",
                        LineKind::Stdout => "out",
                        LineKind::Stderr => "err",
                        LineKind::Note => "note",
                    }}>{ t }</span>
                }) }
            </pre>
            <div class="prompt-line">
                <label for={id.clone()} class="prompt">{
                    match &p.search {
                        Some(_) => "(reverse-i-search)",
                        None if p.watching => "",
                        None => p.prompt.as_str(),
                    }
                }</label>
                <input id={id} ref={input_ref} type="text" class="cmd"
                    value={p.search.as_ref().map(|s| s.0.clone()).unwrap_or_else(|| p.input.clone())}
                    autocomplete="off" autocapitalize="off" spellcheck="false"
                    aria-label={format!("terminal {} command line", p.index + 1)}
                    placeholder={if p.watching { "watching… press Ctrl-C to stop" } else { "kubectl get pods" }}
                    {oninput} {onkeydown} {onpaste} />
                if let Some((_, found)) = &p.search {
                    <span class="search-match" aria-live="polite">{ if found.is_empty() { "no match".into() } else { found.clone() } }</span>
                }
            </div>
        </div>
    }
}

/// `Event` → `ClipboardEvent` without pulling in wasm-bindgen's cast traits at call sites.
trait AsClipboard {
    fn dyn_into_clipboard(self) -> Result<web_sys::ClipboardEvent, Event>;
}

impl AsClipboard for Event {
    fn dyn_into_clipboard(self) -> Result<web_sys::ClipboardEvent, Event> {
        use wasm_bindgen::JsCast;
        self.dyn_into::<web_sys::ClipboardEvent>()
    }
}
