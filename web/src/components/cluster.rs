//! The cluster picture (SVG): one lane per node, pods as tiles in their StatefulSet ordinal's
//! column (colour AND glyph AND text for the phase), PVCs as disks under the same column that
//! stay when the pod is gone, and the headless Service's per-pod DNS names, lit only while the
//! Service publishes the pod as ready. Tiles and lanes are buttons: they open the action menu.

use crate::state::Selection;
use crate::view::{ClusterView, PodTile};
use yew::prelude::*;

const LABEL_W: usize = 150;
const COL_W: usize = 132;
const HEAD_H: usize = 26;
const LANE_H: usize = 88;
const DISK_H: usize = 78;
const DNS_H: usize = 44;
const TILE_W: usize = 118;
const TILE_H: usize = 68;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub view: ClusterView,
    pub selection: Option<Selection>,
    pub on_select: Callback<Option<Selection>>,
}

fn activate(
    cb: &Callback<Option<Selection>>,
    sel: Selection,
) -> (Callback<MouseEvent>, Callback<KeyboardEvent>) {
    let a = cb.clone();
    let s = sel.clone();
    let b = cb.clone();
    (
        Callback::from(move |_: MouseEvent| a.emit(Some(s.clone()))),
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                b.emit(Some(sel.clone()));
            }
        }),
    )
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn pod_tile(p: &PodTile, selected: bool, cb: &Callback<Option<Selection>>) -> Html {
    let x = LABEL_W + p.column * COL_W + (COL_W - TILE_W) / 2;
    let y = HEAD_H + p.lane * LANE_H + (LANE_H - TILE_H) / 2;
    let (onclick, onkeydown) = activate(cb, Selection::Pod(p.name.clone()));
    let label = format!(
        "pod {}, {}, ready {}, restarts {}{}",
        p.name,
        p.status,
        p.ready,
        p.restarts,
        if p.ip.is_empty() {
            String::new()
        } else {
            format!(", IP {}", p.ip)
        }
    );
    html! {
        <g key={p.name.clone()} class={classes!("pod", p.look.class(), selected.then_some("selected"))}
            transform={format!("translate({x},{y})")} tabindex="0" role="button"
            aria-label={label.clone()} {onclick} {onkeydown}>
            <title>{ label }</title>
            <rect class="tile" width={TILE_W.to_string()} height={TILE_H.to_string()} rx="8" />
            <circle class="badge" cx="16" cy="17" r="10" />
            <text class="icon" x="16" y="21" text-anchor="middle">{ p.look.icon() }</text>
            <text class="name" x="32" y="22">{ truncate(&p.name, 11) }</text>
            <text class="status" x="10" y="42">{ truncate(&format!("{} {}", p.status, p.ready), 17) }</text>
            <text class="ip" x="10" y="59">{ if p.ip.is_empty() { "no IP yet".to_string() } else { p.ip.clone() } }
                { if p.restarts != "0" { format!(" ↻{}", p.restarts.split(' ').next().unwrap_or("")) } else { String::new() } }
            </text>
        </g>
    }
}

#[function_component(ClusterPicture)]
pub fn cluster_picture(p: &Props) -> Html {
    let v = &p.view;
    let cols = v.columns.len().max(3);
    let width = LABEL_W + cols * COL_W + 10;
    let lanes_h = v.lanes.len() * LANE_H;
    let disk_y = HEAD_H + lanes_h;
    let dns_y = disk_y + DISK_H;
    let height = dns_y + DNS_H;
    let col_x = |c: usize| LABEL_W + c * COL_W + COL_W / 2;
    let sel_pod = match &p.selection {
        Some(Selection::Pod(n)) => Some(n.as_str()),
        _ => None,
    };
    html! {
        <svg class="cluster" viewBox={format!("0 0 {width} {height}")} role="group"
            aria-label="cluster: nodes, pods, volumes and DNS names" preserveAspectRatio="xMinYMin meet">
            // Column headings: StatefulSet identities.
            { for v.columns.iter().enumerate().map(|(i, c)| html! {
                <text class="colhead" x={col_x(i).to_string()} y="17" text-anchor="middle">{ truncate(c, 16) }</text>
            }) }
            // Node lanes.
            { for v.lanes.iter().enumerate().map(|(i, lane)| {
                let y = HEAD_H + i * LANE_H;
                let real = !lane.name.starts_with('(');
                let selected = p.selection == Some(Selection::Node(lane.name.clone()));
                let class = classes!(
                    "lane",
                    (!lane.ready).then_some("notready"),
                    lane.unschedulable.then_some("cordoned"),
                    (!real).then_some("unscheduled"),
                    selected.then_some("selected"),
                );
                let head = if real {
                    let (onclick, onkeydown) = activate(&p.on_select, Selection::Node(lane.name.clone()));
                    html! {
                        <g class="nodehead" tabindex="0" role="button"
                            aria-label={format!("node {}, {}", lane.name, lane.status)} {onclick} {onkeydown}>
                            <rect class="nodebox" x="6" y={(y + 8).to_string()} width={(LABEL_W - 14).to_string()} height={(LANE_H - 16).to_string()} rx="6" />
                            <text class="nodename" x="18" y={(y + 34).to_string()}>{ if lane.ready { "▣ " } else { "⊘ " } }{ truncate(&lane.name, 14) }</text>
                            <text class="nodestatus" x="18" y={(y + 54).to_string()}>{ truncate(&lane.status, 22) }</text>
                        </g>
                    }
                } else {
                    html! {
                        <text class="nodename" x="18" y={(y + 48).to_string()}>{ &lane.name }</text>
                    }
                };
                html! {
                    <g class={class}>
                        <rect class="lanebg" x="2" y={(y + 2).to_string()} width={(width - 4).to_string()} height={(LANE_H - 4).to_string()} rx="8" />
                        { head }
                    </g>
                }
            }) }
            // Claims: the line from a pod to its disk, then the disk.
            { for v.claims.iter().filter(|d| d.attached).filter_map(|d| {
                let pod = v.pods.iter().find(|t| t.column == d.column)?;
                let x = col_x(d.column);
                let y1 = HEAD_H + pod.lane * LANE_H + (LANE_H + TILE_H) / 2;
                Some(html! {
                    <line class="mount" x1={x.to_string()} x2={x.to_string()} y1={y1.to_string()} y2={(disk_y + 14).to_string()} />
                })
            }) }
            <text class="rowhead" x="18" y={(disk_y + 34).to_string()}>{ "Volumes (PVC)" }</text>
            <text class="rowsub" x="18" y={(disk_y + 52).to_string()}>{ "outlive their pods" }</text>
            { for v.claims.iter().map(|d| {
                let cx = col_x(d.column);
                let top = disk_y + 14;
                let w = 92;
                let h = 30;
                let l = cx - w / 2;
                let label = format!("PersistentVolumeClaim {}, {}{}", d.name, d.phase,
                    if d.attached { ", mounted" } else { ", not mounted (retained)" });
                html! {
                    <g key={d.name.clone()} class={classes!("disk", d.phase.to_lowercase(), (!d.attached).then_some("detached"))}>
                        <title>{ label }</title>
                        <path class="cyl" d={format!("M{l},{t} a{rx},7 0 0,0 {w},0 v{h} a{rx},7 0 0,1 -{w},0 z", l = l, t = top + 7, rx = w / 2, w = w, h = h)} />
                        <ellipse class="cyltop" cx={cx.to_string()} cy={(top + 7).to_string()} rx={(w / 2).to_string()} ry="7" />
                        <text class="diskname" x={cx.to_string()} y={(top + 30).to_string()} text-anchor="middle">{ truncate(&d.name, 15) }</text>
                        <text class="diskstatus" x={cx.to_string()} y={(top + 56).to_string()} text-anchor="middle">
                            { format!("{} {}{}", d.phase, d.capacity, if d.attached { "" } else { " · kept" }) }
                        </text>
                    </g>
                }
            }) }
            <text class="rowhead" x="18" y={(dns_y + 26).to_string()}>{ "DNS (headless)" }</text>
            { for v.dns.iter().map(|d| {
                let cx = col_x(d.column);
                html! {
                    <g class={classes!("dns", d.lit.then_some("lit"))}>
                        <title>{ if d.lit { format!("{} resolves to {}", d.name, d.ip) } else { format!("{} does not resolve: the pod is not ready", d.name) } }</title>
                        <rect x={(cx - 60).to_string()} y={(dns_y + 8).to_string()} width="120" height="26" rx="13" />
                        <text x={cx.to_string()} y={(dns_y + 26).to_string()} text-anchor="middle">
                            { if d.lit { "● " } else { "○ " } }{ truncate(&d.name, 14) }
                        </text>
                    </g>
                }
            }) }
            // Pods last, so they sit above mount lines.
            { for v.pods.iter().map(|t| pod_tile(t, sel_pod == Some(t.name.as_str()), &p.on_select)) }
        </svg>
    }
}
