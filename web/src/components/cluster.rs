//! The cluster picture (SVG): one lane per node, pods as tiles in their StatefulSet ordinal's
//! column (colour AND glyph AND text for the phase), PVCs as disks under the same column that
//! stay when the pod is gone, and the headless Service's per-pod DNS names, lit only while the
//! Service publishes the pod as ready. Tiles and lanes are buttons: they open the action menu.
//!
//! Two layouts. Up to `DENSE_FROM` columns, one column per StatefulSet ordinal with the pod over
//! its disk over its DNS name. Beyond that (a 200-replica set would be 26 000 units wide and
//! shrink to unreadable specks), a dense grid: small tiles wrapping inside each node lane in
//! ordinal order, and the disks and DNS names as rows of labelled chips, all at readable size.
//!
//! Speed: every pod tile, disk and DNS name is its own keyed component with plain-data props,
//! so a clock tick re-renders only the tiles whose pod changed (a 200-pod picture otherwise
//! rebuilds and diffs some 1 400 SVG nodes twenty times a second).

use crate::state::Selection;
use crate::view::{ClaimDisk, ClusterView, DnsName, NodeLane, PodTile};
use std::rc::Rc;
use yew::prelude::*;

const LABEL_W: usize = 150;
const COL_W: usize = 132;
const HEAD_H: usize = 26;
const LANE_H: usize = 88;
const DISK_H: usize = 78;
const DNS_H: usize = 44;
const TILE_W: usize = 118;
const TILE_H: usize = 68;

/// More columns than this switch to the dense grid.
const DENSE_FROM: usize = 10;
/// The dense grid: node label width, cell pitch, cells per row.
const D_LABEL_W: usize = 120;
const D_CELL_W: usize = 66;
const D_CELL_H: usize = 30;
const D_PER_ROW: usize = 10;
const D_LANE_PAD: usize = 10;
const D_MIN_LANE_H: usize = 72;
const D_ROWHEAD_H: usize = 26;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub view: Rc<ClusterView>,
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

#[derive(Properties, PartialEq)]
struct TileProps {
    /// Shared with the view: an unchanged tile compares by pointer.
    tile: Rc<PodTile>,
    x: usize,
    y: usize,
    dense: bool,
    selected: bool,
    on_select: Callback<Option<Selection>>,
}

fn pod_label(p: &PodTile) -> String {
    format!(
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
    )
}

/// One pod: colour AND glyph AND text for its phase; the full facts in its label.
#[function_component(PodTileView)]
fn pod_tile(p: &TileProps) -> Html {
    let t = &p.tile;
    let (onclick, onkeydown) = activate(&p.on_select, Selection::Pod(t.name.clone()));
    let label = pod_label(t);
    let class = classes!("pod", t.look.class(), p.selected.then_some("selected"));
    if p.dense {
        // Two drawn objects and no transform: the rect is the button (its title the full
        // facts), the text (glyph and name) lets clicks through. At 200 pods every node more
        // is 200 more to diff, lay out, pre-paint and paint each time the picture changes.
        let (x, y) = (p.x, p.y);
        return html! {
            <>
                <rect {class} x={x.to_string()} y={y.to_string()} width={(D_CELL_W - 4).to_string()} height={(D_CELL_H - 4).to_string()} rx="5"
                    tabindex="0" role="button" aria-label={label.clone()} {onclick} {onkeydown}>
                    <title>{ label }</title>
                </rect>
                <text class="podname" x={(x + 4).to_string()} y={(y + 17).to_string()}>{ format!("{} {}", t.look.icon(), truncate(&t.name, 7)) }</text>
            </>
        };
    }
    let transform = format!("translate({},{})", p.x, p.y);
    html! {
        <g {class} {transform} tabindex="0" role="button" aria-label={label.clone()} {onclick} {onkeydown}>
            <title>{ label }</title>
            <rect class="tile" width={TILE_W.to_string()} height={TILE_H.to_string()} rx="8" />
            <circle class="badge" cx="16" cy="17" r="10" />
            <text class="icon" x="16" y="21" text-anchor="middle">{ t.look.icon() }</text>
            <text class="name" x="32" y="22">{ truncate(&t.name, 11) }</text>
            <text class="status" x="10" y="42">{ truncate(&format!("{} {}", t.status, t.ready), 17) }</text>
            <text class="ip" x="10" y="59">{ if t.ip.is_empty() { "no IP yet".to_string() } else { t.ip.clone() } }
                { if t.restarts != "0" { format!(" ↻{}", t.restarts.split(' ').next().unwrap_or("")) } else { String::new() } }
            </text>
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct DiskProps {
    disk: Rc<ClaimDisk>,
    /// Centre of the disk's top.
    cx: usize,
    top: usize,
    /// The dense grid's chip label (its column), or None for the full cylinder.
    chip: Option<AttrValue>,
}

#[function_component(DiskView)]
fn disk_view(p: &DiskProps) -> Html {
    let d = &p.disk;
    let label = format!(
        "PersistentVolumeClaim {}, {}{}",
        d.name,
        d.phase,
        if d.attached {
            ", mounted"
        } else {
            ", not mounted (retained)"
        }
    );
    let class = classes!(
        "disk",
        d.phase.to_lowercase(),
        (!d.attached).then_some("detached")
    );
    let (cx, top) = (p.cx, p.top);
    if let Some(chip) = &p.chip {
        // A flat chip, one rect (titled) and one text: no group, no cylinder path and ellipse.
        let w = D_CELL_W - 4;
        return html! {
            <>
                <rect {class} x={(cx - w / 2).to_string()} y={top.to_string()} width={w.to_string()} height="20" rx="4">
                    <title>{ label }</title>
                </rect>
                <text class="diskname" x={cx.to_string()} y={(top + 14).to_string()} text-anchor="middle">{ chip.clone() }</text>
            </>
        };
    }
    let w = 92;
    let h = 30;
    let l = cx - w / 2;
    html! {
        <g {class}>
            <title>{ label }</title>
            <path class="cyl" d={format!("M{l},{t} a{rx},7 0 0,0 {w},0 v{h} a{rx},7 0 0,1 -{w},0 z", t = top + 7, rx = w / 2)} />
            <ellipse class="cyltop" cx={cx.to_string()} cy={(top + 7).to_string()} rx={(w / 2).to_string()} ry="7" />
            <text class="diskname" x={cx.to_string()} y={(top + 30).to_string()} text-anchor="middle">{ truncate(&d.name, 15) }</text>
            <text class="diskstatus" x={cx.to_string()} y={(top + 56).to_string()} text-anchor="middle">
                { format!("{} {}{}", d.phase, d.capacity, if d.attached { "" } else { " · kept" }) }
            </text>
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct DnsProps {
    dns: Rc<DnsName>,
    cx: usize,
    top: usize,
    dense: bool,
}

#[function_component(DnsView)]
fn dns_view(p: &DnsProps) -> Html {
    let d = &p.dns;
    let (cx, top) = (p.cx, p.top);
    let title = if d.lit {
        format!("{} resolves to {}", d.name, d.ip)
    } else {
        format!("{} does not resolve: the pod is not ready", d.name)
    };
    let dot = match (d.lit, p.dense) {
        (true, false) => "● ",
        (false, false) => "○ ",
        (true, true) => "●",
        (false, true) => "○",
    };
    if p.dense {
        // One text (titled): the glyph and the colour say whether the name resolves.
        return html! {
            <text class={classes!("dnsname", d.lit.then_some("lit"))} x={cx.to_string()} y={(top + 14).to_string()} text-anchor="middle">
                <title>{ title }</title>
                { format!("{dot}{}", truncate(d.name.split('.').next().unwrap_or(""), 7)) }
            </text>
        };
    }
    let (w, h, n) = (120, 26, 14);
    html! {
        <g class={classes!("dns", d.lit.then_some("lit"))}>
            <title>{ title }</title>
            <rect x={(cx - w / 2).to_string()} y={top.to_string()} width={w.to_string()} height={h.to_string()} rx={(h / 2).to_string()} />
            <text x={cx.to_string()} y={(top + h / 2 + 4).to_string()} text-anchor="middle">
                { dot }{ truncate(&d.name, n) }
            </text>
        </g>
    }
}

/// The centre x and top y of chip `k` of a dense row block starting at `top`.
fn dense_chip(k: usize, top: usize, pitch_h: usize) -> (usize, usize) {
    (
        D_LABEL_W + (k % D_PER_ROW) * D_CELL_W + (D_CELL_W - 4) / 2,
        top + (k / D_PER_ROW) * pitch_h,
    )
}

#[function_component(ClusterPicture)]
pub fn cluster_picture(p: &Props) -> Html {
    let v = &p.view;
    if v.columns.len() > DENSE_FROM {
        return dense_picture(p);
    }
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
            { for v.lanes.iter().enumerate().map(|(i, lane)| lane_view(&p.selection, &p.on_select, lane, (HEAD_H + i * LANE_H, LANE_H), LABEL_W, width)) }
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
            { for v.claims.iter().map(|d| html! {
                <DiskView key={d.name.clone()} disk={d.clone()} cx={col_x(d.column)} top={disk_y + 14} chip={None::<AttrValue>} />
            }) }
            <text class="rowhead" x="18" y={(dns_y + 26).to_string()}>{ "DNS (headless)" }</text>
            { for v.dns.iter().map(|d| html! {
                <DnsView key={d.name.clone()} dns={d.clone()} cx={col_x(d.column)} top={dns_y + 8} dense=false />
            }) }
            // Pods last, so they sit above mount lines.
            { for v.pods.iter().map(|t| {
                let x = LABEL_W + t.column * COL_W + (COL_W - TILE_W) / 2;
                let y = HEAD_H + t.lane * LANE_H + (LANE_H - TILE_H) / 2;
                html! {
                    <PodTileView key={t.name.clone()} tile={t.clone()} {x} {y} dense=false
                        selected={sel_pod == Some(t.name.as_str())} on_select={p.on_select.clone()} />
                }
            }) }
        </svg>
    }
}

/// A node lane's background and its clickable head (or the "(not scheduled)" label).
fn lane_view(
    selection: &Option<Selection>,
    on_select: &Callback<Option<Selection>>,
    lane: &NodeLane,
    (y, h): (usize, usize),
    label_w: usize,
    width: usize,
) -> Html {
    let real = !lane.name.starts_with('(');
    let selected = *selection == Some(Selection::Node(lane.name.clone()));
    let class = classes!(
        "lane",
        (!lane.ready).then_some("notready"),
        lane.unschedulable.then_some("cordoned"),
        (!real).then_some("unscheduled"),
        selected.then_some("selected"),
    );
    let mid = y + h / 2;
    let bh = h.saturating_sub(16).min(72);
    let head = if real {
        let (onclick, onkeydown) = activate(on_select, Selection::Node(lane.name.clone()));
        html! {
            <g class="nodehead" tabindex="0" role="button"
                aria-label={format!("node {}, {}", lane.name, lane.status)} {onclick} {onkeydown}>
                <rect class="nodebox" x="6" y={(mid - bh / 2).to_string()} width={(label_w - 14).to_string()} height={bh.to_string()} rx="6" />
                <text class="nodename" x="18" y={(mid - 5).to_string()}>{ if lane.ready { "▣ " } else { "⊘ " } }{ truncate(&lane.name, (label_w - 38) / 8) }</text>
                <text class="nodestatus" x="18" y={(mid + 13).to_string()}>{ truncate(&lane.status, (label_w - 18) / 6) }</text>
            </g>
        }
    } else {
        html! {
            <text class="nodename" x="18" y={(mid + 4).to_string()}>{ &lane.name }</text>
        }
    };
    html! {
        <g key={lane.name.clone()} {class}>
            <rect class="lanebg" x="2" y={(y + 2).to_string()} width={(width - 4).to_string()} height={(h - 4).to_string()} rx="8" />
            { head }
        </g>
    }
}

/// The dense grid's width in SVG units (every block of it has this viewBox width, so all are
/// drawn at one scale).
const D_WIDTH: usize = D_LABEL_W + D_PER_ROW * D_CELL_W + 8;

#[derive(Properties, PartialEq)]
struct DenseLaneProps {
    lane: NodeLane,
    /// The lane's pods in ordinal (column) order.
    pods: Vec<Rc<PodTile>>,
    selection: Option<Selection>,
    on_select: Callback<Option<Selection>>,
}

/// One node's lane of the dense grid, its own SVG: a lane whose pods did not change is not
/// rendered again, and one scrolled out of view is neither laid out nor painted (CSS
/// `content-visibility: auto` on `.dense-block`).
#[function_component(DenseLane)]
fn dense_lane(p: &DenseLaneProps) -> Html {
    let rows = p.pods.len().div_ceil(D_PER_ROW);
    let h = (rows * D_CELL_H + 2 * D_LANE_PAD).max(D_MIN_LANE_H);
    let sel_pod = match &p.selection {
        Some(Selection::Pod(n)) => Some(n.as_str()),
        _ => None,
    };
    html! {
        <div class="dense-block">
            <svg viewBox={format!("0 0 {D_WIDTH} {h}")} preserveAspectRatio="xMinYMin meet">
                { lane_view(&p.selection, &p.on_select, &p.lane, (0, h), D_LABEL_W, D_WIDTH) }
                { for p.pods.iter().enumerate().map(|(k, t)| {
                    let x = D_LABEL_W + (k % D_PER_ROW) * D_CELL_W;
                    let y = D_LANE_PAD + (k / D_PER_ROW) * D_CELL_H + 2;
                    html! {
                        <PodTileView key={t.name.clone()} tile={t.clone()} {x} {y} dense=true
                            selected={sel_pod == Some(t.name.as_str())} on_select={p.on_select.clone()} />
                    }
                }) }
            </svg>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct DenseDisksProps {
    /// In column (ordinal) order.
    claims: Vec<Rc<ClaimDisk>>,
    columns: Rc<Vec<String>>,
}

/// The dense grid's disks: chips labelled with their column (ordinal).
#[function_component(DenseDisks)]
fn dense_disks(p: &DenseDisksProps) -> Html {
    const DISK_PITCH: usize = 26;
    let rows = p.claims.len().div_ceil(D_PER_ROW).max(1);
    let h = D_ROWHEAD_H + rows * DISK_PITCH + 8;
    let col_label = |c: usize| -> AttrValue {
        AttrValue::from(truncate(
            p.columns.get(c).map(String::as_str).unwrap_or(""),
            7,
        ))
    };
    html! {
        <div class="dense-block">
            <svg viewBox={format!("0 0 {D_WIDTH} {h}")} preserveAspectRatio="xMinYMin meet">
                <text class="rowhead" x="18" y="17">{ "Volumes (PVC)" }</text>
                <text class="rowsub" x="140" y="17">{ "outlive their pods; dashed: kept, not mounted" }</text>
                { for p.claims.iter().enumerate().map(|(k, d)| {
                    let (cx, top) = dense_chip(k, D_ROWHEAD_H, DISK_PITCH);
                    html! { <DiskView key={d.name.clone()} disk={d.clone()} {cx} {top} chip={Some(col_label(d.column))} /> }
                }) }
            </svg>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct DenseDnsProps {
    /// In column (ordinal) order.
    dns: Vec<Rc<DnsName>>,
}

/// The dense grid's DNS names.
#[function_component(DenseDns)]
fn dense_dns(p: &DenseDnsProps) -> Html {
    const DNS_PITCH: usize = 24;
    let rows = p.dns.len().div_ceil(D_PER_ROW).max(1);
    let h = D_ROWHEAD_H + rows * DNS_PITCH + 4;
    html! {
        <div class="dense-block">
            <svg viewBox={format!("0 0 {D_WIDTH} {h}")} preserveAspectRatio="xMinYMin meet">
                <text class="rowhead" x="18" y="17">{ "DNS (headless)" }</text>
                <text class="rowsub" x="140" y="17">{ "● resolves (pod Ready) · ○ does not" }</text>
                { for p.dns.iter().enumerate().map(|(k, d)| {
                    let (cx, top) = dense_chip(k, D_ROWHEAD_H, DNS_PITCH);
                    html! { <DnsView key={d.name.clone()} dns={d.clone()} {cx} {top} dense=true /> }
                }) }
            </svg>
        </div>
    }
}

/// The dense grid for many columns (see the module docs): a block per node lane, then one
/// for the disks and one for the DNS names.
fn dense_picture(p: &Props) -> Html {
    let v = &p.view;
    // Each lane's pods in ordinal (column) order, wrapping every D_PER_ROW.
    let mut by_lane: Vec<Vec<Rc<PodTile>>> = vec![Vec::new(); v.lanes.len()];
    for t in &v.pods {
        if let Some(l) = by_lane.get_mut(t.lane) {
            l.push(t.clone());
        }
    }
    for l in &mut by_lane {
        l.sort_by_key(|t| t.column);
    }
    // Disks and DNS names in column (ordinal) order.
    let mut claims: Vec<Rc<ClaimDisk>> = v.claims.clone();
    claims.sort_by_key(|d| d.column);
    let mut dns: Vec<Rc<DnsName>> = v.dns.clone();
    dns.sort_by_key(|d| d.column);
    html! {
        <div class="cluster dense" role="group" aria-label="cluster: nodes, pods, volumes and DNS names">
            <p class="dense-head">{ format!("{} pods in ordinal order, wrapped in each node's lane", v.pods.len()) }</p>
            { for v.lanes.iter().zip(by_lane).map(|(lane, pods)| html! {
                <DenseLane key={lane.name.clone()} lane={lane.clone()} {pods}
                    selection={p.selection.clone()} on_select={p.on_select.clone()} />
            }) }
            <DenseDisks claims={claims} columns={v.columns.clone()} />
            <DenseDns {dns} />
        </div>
    }
}
