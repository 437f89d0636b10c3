//! The row of headline numbers: what a lab lead checks first. Each is the size of the list
//! it links to, or the sum of the flows below (delivered, queued, dead letters), from the
//! same snapshot, so a number and what it summarizes always agree.

use crate::model::live::LiveSnapshot;
use leptos::prelude::*;

#[component]
pub fn Totals(snap: RwSignal<LiveSnapshot>) -> impl IntoView {
    let t = move |f: fn(&crate::model::live::LiveTotals) -> i64| {
        Signal::derive(move || snap.with(|s| f(&s.totals)))
    };
    view! {
        <dl id="stats" class="grid grid-cols-4 gap-3 lg:grid-cols-8">
            <Stat label="Runs" href="/runs" value=t(|t| t.runs) alert=false />
            <Stat label="QC files" href="/qc" value=t(|t| t.qc_files) alert=false />
            <Stat label="Delivered" href="#flows" value=t(|t| t.delivered) alert=false />
            <Stat label="Queued" href="#flows" value=t(|t| t.queued) alert=false />
            <Stat label="Dead letters" href="#flows" value=t(|t| t.dead_letters) alert=true />
            <Stat label="Stored, not sent" href="/messages?status=stored" value=t(|t| t.stored) alert=false />
            <Stat label="Awaiting order" href="/waiting" value=t(|t| t.awaiting_order) alert=false />
            <Stat label="Quarantined" href="/quarantine" value=t(|t| t.quarantined) alert=true />
        </dl>
    }
}

/// One number; `alert` turns it red when it is not zero.
#[component]
fn Stat(label: &'static str, href: &'static str, value: Signal<i64>, alert: bool) -> impl IntoView {
    let class = move || {
        if alert && value.get() > 0 {
            "text-xl font-semibold tabular-nums text-red-700"
        } else {
            "text-xl font-semibold tabular-nums"
        }
    };
    view! {
        <a href=href class="block rounded-lg bg-white px-3 py-2 shadow-sm ring-1 ring-slate-200 hover:ring-sky-400"
            data-stat=label>
            <dt class="truncate text-[11px] font-medium uppercase text-slate-500">{label}</dt>
            <dd class=class>{move || value.get()}</dd>
        </a>
    }
}
