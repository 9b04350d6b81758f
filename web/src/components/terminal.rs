//! A terminal tab: scrollback, prompt and input line. Keys: Enter runs, ↑/↓ walk history,
//! Ctrl-C stops a watch or drops the line, Ctrl-L clears; a multi-line paste runs line by line.

use crate::state::LineKind;
use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub index: usize,
    pub scrollback: Vec<(LineKind, String)>,
    pub prompt: AttrValue,
    pub input: AttrValue,
    pub watching: bool,
    pub on_input: Callback<String>,
    pub on_submit: Callback<()>,
    pub on_paste: Callback<String>,
    pub on_history: Callback<bool>,
    pub on_interrupt: Callback<()>,
    pub on_clear: Callback<()>,
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
    let oninput = p
        .on_input
        .reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value());
    let onkeydown = {
        let (submit, history, interrupt, clear) = (
            p.on_submit.clone(),
            p.on_history.clone(),
            p.on_interrupt.clone(),
            p.on_clear.clone(),
        );
        Callback::from(move |e: KeyboardEvent| {
            let key = e.key();
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
                <label for={id.clone()} class="prompt">{ if p.watching { "" } else { p.prompt.as_str() } }</label>
                <input id={id} ref={input_ref} type="text" class="cmd" value={p.input.clone()}
                    autocomplete="off" autocapitalize="off" spellcheck="false"
                    aria-label={format!("terminal {} command line", p.index + 1)}
                    placeholder={if p.watching { "watching… press Ctrl-C to stop" } else { "kubectl get pods" }}
                    {oninput} {onkeydown} {onpaste} />
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
