//! The editor pane: file tabs, a YAML text area with line numbers, problems marked at their
//! line and column, and Apply (`kubectl apply -f <file>` in the active terminal).

use crate::view::YamlProblem;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub files: Vec<AttrValue>,
    pub active: usize,
    pub text: AttrValue,
    pub problems: Vec<YamlProblem>,
    pub on_select: Callback<usize>,
    pub on_edit: Callback<String>,
    pub on_new: Callback<()>,
    pub on_apply: Callback<()>,
}

#[function_component(Editor)]
pub fn editor(p: &Props) -> Html {
    let lines = p.text.split('\n').count().max(1);
    let bad_lines: Vec<usize> = p.problems.iter().filter_map(|x| x.line).collect();
    let oninput = p
        .on_edit
        .reform(|e: InputEvent| e.target_unchecked_into::<HtmlTextAreaElement>().value());
    let file_name = p.files.get(p.active).cloned().unwrap_or_default();
    html! {
        <section class="editor" aria-label="manifest editor">
            <div class="tabs" role="tablist" aria-label="files">
                { for p.files.iter().enumerate().map(|(i, name)| {
                    let select = p.on_select.clone();
                    html! {
                        <button role="tab" class={classes!("tab", (i == p.active).then_some("on"))}
                            aria-selected={(i == p.active).to_string()}
                            onclick={move |_| select.emit(i)}>{ name.clone() }</button>
                    }
                }) }
                <button class="tab add" title="New file" aria-label="new file"
                    onclick={p.on_new.reform(|_: MouseEvent| ())}>{ "+" }</button>
                <span class="spacer"></span>
                <button class="primary apply" onclick={p.on_apply.reform(|_: MouseEvent| ())}
                    title={format!("kubectl apply -f {file_name}")}>
                    { "Apply " }<code>{ format!("kubectl apply -f {file_name}") }</code>
                </button>
            </div>
            <div class="code">
                <pre class="gutter" aria-hidden="true">
                    { for (1..=lines).map(|n| html! {
                        <span class={classes!(bad_lines.contains(&n).then_some("bad"))}>{ format!("{n}\n") }</span>
                    }) }
                </pre>
                <textarea class="yaml" rows={(lines + 1).to_string()} wrap="off" spellcheck="false"
                    autocomplete="off" autocapitalize="off" aria-label={format!("{file_name} contents")}
                    value={p.text.clone()} {oninput} />
            </div>
            <div class={classes!("problems", p.problems.is_empty().then_some("ok"))} aria-live="polite">
                if p.problems.is_empty() {
                    <span>{ "✓ valid YAML" }</span>
                } else {
                    { for p.problems.iter().map(|x| html! {
                        <div class="problem">
                            <strong>{ match (x.line, x.column) {
                                (Some(l), Some(c)) => format!("⚠ line {l}, column {c}: "),
                                (Some(l), None) => format!("⚠ line {l}: "),
                                _ => "⚠ ".to_string(),
                            } }</strong>
                            { &x.message }
                        </div>
                    }) }
                }
            </div>
        </section>
    }
}
