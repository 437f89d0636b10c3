//! The badge of a mapping version's state, the same on every screen.

use leptos::prelude::*;

fn colours(state: &str) -> &'static str {
    match state {
        "active" => "bg-emerald-50 text-emerald-800 ring-emerald-600/30",
        "approved" => "bg-sky-50 text-sky-800 ring-sky-600/30",
        "submitted" => "bg-amber-50 text-amber-800 ring-amber-600/30",
        "rejected" => "bg-red-50 text-red-800 ring-red-600/30",
        "draft" => "bg-slate-50 text-slate-700 ring-slate-500/30",
        _ => "bg-slate-50 text-slate-500 ring-slate-400/30",
    }
}

/// `v2 submitted`, coloured by state.
#[component]
pub fn VersionBadge(version: i64, state: String) -> impl IntoView {
    let class = format!(
        "inline-flex items-center gap-1 rounded-md px-2 py-0.5 text-xs font-medium ring-1 ring-inset {}",
        colours(&state)
    );
    let data_state = state.clone();
    view! {
        <span class=class data-version=version.to_string() data-state=data_state>
            <span class="font-semibold tabular-nums">{format!("v{version}")}</span>
            {state}
        </span>
    }
}
