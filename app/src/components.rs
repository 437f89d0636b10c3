//! Presentational pieces shared by the pages.

mod alerts;
mod flows;
mod lims;
mod live;
mod mapping_state;
mod messages;
mod pager;
mod qc;
mod runs;
mod shell;
mod sparkline;
mod stats;
mod waiting;

pub use alerts::AlertBanner;
pub use flows::FlowsPanel;
pub use lims::LimsTable;
pub use live::{LatestEvents, Link, LiveIndicator, RecentErrors, WaitingSummary};
pub use mapping_state::VersionBadge;
pub use messages::StatusBadge;
pub use pager::{cursor_from_query, pager_of, PagedCard};
pub use qc::QcTable;
pub use runs::{QuarantineList, RunsTable};
pub use shell::SignedIn;
pub use sparkline::Sparkline;
pub use stats::Totals;
pub use waiting::WaitingList;

use leptos::prelude::*;

#[component]
pub fn Brand() -> impl IntoView {
    view! {
        <a href="/" class="flex items-center gap-2">
            <span class="grid h-8 w-8 place-items-center rounded-lg bg-sky-700 text-sm font-bold text-white">
                "GB"
            </span>
            <span class="text-lg font-semibold tracking-tight">"GenoBridge"</span>
        </a>
    }
}

/// A titled white panel.
#[component]
pub fn Card(title: &'static str, subtitle: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            <div class="border-b border-slate-100 px-6 py-4">
                <h2 class="text-base font-semibold">{title}</h2>
                <p class="text-sm text-slate-500">{subtitle}</p>
            </div>
            {children()}
        </section>
    }
}

/// A table header cell.
#[component]
pub fn Th(children: Children) -> impl IntoView {
    view! {
        <th class="px-4 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
            {children()}
        </th>
    }
}

/// The "nothing here yet" line shown instead of an empty table.
#[component]
pub fn Empty(text: &'static str) -> impl IntoView {
    view! { <p class="px-6 py-6 text-sm text-slate-500">{text}</p> }
}

/// `2026-11-25T12:13:14.123Z` → `2026-11-25 12:13:14Z`: readable, still unambiguous UTC.
pub fn short_time(t: &str) -> String {
    let t = t.replacen('T', " ", 1);
    match t.find('.') {
        Some(dot) => format!("{}Z", &t[..dot]),
        None => t,
    }
}
