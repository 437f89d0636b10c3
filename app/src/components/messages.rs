//! The messages table with its status filter. The filter runs in the browser only (it needs
//! hydration), which is what the end-to-end test uses to prove the page hydrated.

use super::{Empty, Th};
use crate::model::Message;
use leptos::prelude::*;

/// Status groups a user filters by. Pending and retrying are both "in progress".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Filter {
    #[default]
    All,
    Delivered,
    Failed,
    InProgress,
    /// Built and kept, with no destination configured to send it to.
    Stored,
}

impl Filter {
    const ALL: [Filter; 5] = [
        Filter::All,
        Filter::Delivered,
        Filter::Failed,
        Filter::InProgress,
        Filter::Stored,
    ];

    fn key(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::Delivered => "delivered",
            Filter::Failed => "failed",
            Filter::InProgress => "pending",
            Filter::Stored => "stored",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Filter::All => "All",
            Filter::Delivered => "Delivered",
            Filter::Failed => "Failed",
            Filter::InProgress => "Pending",
            Filter::Stored => "Stored, not sent",
        }
    }

    fn admits(self, status: &str) -> bool {
        match self {
            Filter::All => true,
            Filter::InProgress => matches!(status, "pending" | "retrying"),
            Filter::Failed => matches!(status, "failed" | "dead_letter"),
            f => f.key() == status,
        }
    }
}

#[component]
pub fn MessagesTable(
    messages: Vec<Message>,
    /// Owned by the page, not by this table, so the choice survives each data refresh.
    filter: RwSignal<Filter>,
) -> impl IntoView {
    let messages = StoredValue::new(messages);
    view! {
        <div class="flex flex-wrap gap-2 border-b border-slate-100 px-6 py-3" role="group" aria-label="Filter by status">
            {Filter::ALL.into_iter().map(|f| view! {
                <button
                    type="button"
                    data-filter=f.key()
                    aria-pressed=move || (filter.get() == f).to_string()
                    class=move || if filter.get() == f {
                        "rounded-full bg-sky-700 px-3 py-1 text-xs font-medium text-white"
                    } else {
                        "rounded-full bg-slate-100 px-3 py-1 text-xs font-medium text-slate-700 hover:bg-slate-200"
                    }
                    on:click=move |_| filter.set(f)
                >
                    {f.label()}
                    <span class="ml-1 opacity-70">
                        {messages.with_value(|m| m.iter().filter(|m| f.admits(&m.status)).count())}
                    </span>
                </button>
            }).collect_view()}
        </div>
        {move || {
            let f = filter.get();
            let rows: Vec<Message> = messages.with_value(|m| m.iter().filter(|m| f.admits(&m.status)).cloned().collect());
            if rows.is_empty() {
                return view! { <Empty text="No messages match." /> }.into_any();
            }
            view! {
                <div class="overflow-x-auto">
                    <table id="messages" class="min-w-full divide-y divide-slate-100 text-sm">
                        <thead class="bg-slate-50">
                            <tr>
                                <Th>"Sample"</Th>
                                <Th>"Kind"</Th>
                                <Th>"Control ID"</Th>
                                <Th>"Destination"</Th>
                                <Th>"Status"</Th>
                                <Th>"Attempts"</Th>
                                <Th>"Last error"</Th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-100">
                            {rows.into_iter().map(|m| {
                                let (sample, kind, status) = (m.sample_id.clone(), m.kind.clone(), m.status.clone());
                                let error = m.last_error.clone().unwrap_or_default();
                                let title = error.clone();
                                // An ordered destination keeps it behind its accession's
                                // earlier message: say which, so no one thinks it is lost.
                                let held = m.held_by.clone().map(|by| view! {
                                    <span class="block text-amber-700" data-held-by=by.clone()>
                                        {format!("waiting behind {by}")}
                                    </span>
                                });
                                view! {
                                <tr class="hover:bg-slate-50" data-sample=sample data-kind=kind data-status=status>
                                    <td class="px-4 py-2 font-mono">{m.sample_id}</td>
                                    <td class="px-4 py-2 font-medium">{m.kind.to_uppercase()}</td>
                                    <td class="px-4 py-2 font-mono text-xs">{m.control_id}</td>
                                    <td class="px-4 py-2 text-slate-600">{m.destination}</td>
                                    <td class="px-4 py-2"><StatusBadge status=m.status /></td>
                                    <td class="px-4 py-2 tabular-nums">{m.attempts}</td>
                                    <td class="px-4 py-2 max-w-xs truncate text-red-700" title=title>
                                        {held}
                                        {error}
                                    </td>
                                </tr>
                            }}).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

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
