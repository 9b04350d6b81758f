//! The playground page. For now it boots the simulated cluster in WebAssembly and shows its
//! nodes; the full editor/terminal/cluster view is the browser issue's work.
//!
//! Architecture Invariant: the page talks to the cluster only through the engine's and
//! kubectl's public APIs; browser concerns (timers, storage, URL) stay in this crate.

use kubeplay_engine::{object, Cluster, Config, Kind, Selector};
use yew::prelude::*;

#[function_component(App)]
fn app() -> Html {
    let cluster = use_memo((), |_| Cluster::new(Config::default()));
    let nodes: Vec<String> = cluster
        .api
        .list(Kind::Node, None, &Selector::everything())
        .iter()
        .map(|n| object::name(n).to_string())
        .collect();
    html! {
        <main>
            <h1>{ "kubeplay" }</h1>
            <p class="lead">{ "A Kubernetes cluster simulated in your browser. The interactive playground is on its way; the engine is already running here:" }</p>
            <pre class="terminal" aria-label="cluster nodes">{ format!("nodes: {}", nodes.join(", ")) }</pre>
        </main>
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
