//! The row of headline numbers above the tables: what a lab lead checks first.

use crate::model::Dashboard;
use leptos::prelude::*;

/// A plain function rather than a component so it can borrow the data the tables then own.
pub fn stats(data: &Dashboard) -> impl IntoView {
    let count = |f: fn(&str) -> bool| data.messages.iter().filter(|m| f(&m.status)).count();
    let delivered = count(|s| s == "delivered");
    let failed = count(|s| matches!(s, "failed" | "dead_letter"));
    let queued = count(|s| matches!(s, "pending" | "retrying"));
    // The same list as the "Waiting for an order" card, so the two always agree.
    let awaiting_order = data.waiting.len();
    let (runs, quarantined) = (data.runs.len(), data.quarantine.len());
    let dead_letters = data
        .lims
        .iter()
        .filter(|d| d.status == "dead_letter")
        .count();
    let (failed_alert, quarantine_alert) = (failed > 0, quarantined > 0);
    view! {
        <dl id="stats" class="grid grid-cols-2 gap-4 sm:grid-cols-4 lg:grid-cols-7">
            <Stat label="Runs" value=runs alert=false />
            <Stat label="Delivered" value=delivered alert=false />
            <Stat label="Queued" value=queued alert=false />
            <Stat label="Failed" value=failed alert=failed_alert />
            <Stat label="Awaiting order" value=awaiting_order alert=false />
            <Stat label="Quarantined" value=quarantined alert=quarantine_alert />
            <Stat label="LIMS dead letters" value=dead_letters alert={dead_letters > 0} />
        </dl>
    }
}

#[component]
fn Stat(label: &'static str, value: usize, alert: bool) -> impl IntoView {
    let value_class = if alert {
        "mt-1 text-2xl font-semibold text-red-700"
    } else {
        "mt-1 text-2xl font-semibold"
    };
    view! {
        <div class="rounded-xl bg-white px-5 py-4 shadow-sm ring-1 ring-slate-200" data-stat=label>
            <dt class="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
            <dd class=value_class>{value}</dd>
        </div>
    }
}
