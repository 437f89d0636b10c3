//! A message's state as a coloured badge, shared by the message browser and the dashboard.

use leptos::prelude::*;

/// Coloured by what the lab must do: green done, red act, amber wait, grey blocked on an order.
#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let class = match status.as_str() {
        "delivered" => "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
        "failed" | "dead_letter" => "bg-red-50 text-red-700 ring-red-600/20",
        "pending" | "retrying" => "bg-amber-50 text-amber-800 ring-amber-600/20",
        _ => "bg-slate-100 text-slate-600 ring-slate-500/20",
    };
    // `stored`: a message kept with no destination configured; it is not on its way.
    let label = match status.as_str() {
        "stored" => "stored, not sent".to_string(),
        s => s.replace('_', " "),
    };
    view! {
        <span class=format!("inline-flex items-center whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {class}")>
            {label}
        </span>
    }
}
