//! The recent audit events, for the roles allowed to read them.

use super::{short_time, Empty, Th};
use crate::model::AuditEntry;
use leptos::prelude::*;

#[component]
pub fn AuditTable(events: Vec<AuditEntry>) -> impl IntoView {
    if events.is_empty() {
        return view! { <Empty text="No audit events yet." /> }.into_any();
    }
    view! {
        <div class="max-h-96 overflow-auto">
            <table id="audit" class="min-w-full divide-y divide-slate-100 text-sm">
                <thead class="sticky top-0 bg-slate-50">
                    <tr>
                        <Th>"#"</Th>
                        <Th>"At"</Th>
                        <Th>"Actor"</Th>
                        <Th>"Action"</Th>
                        <Th>"Subject"</Th>
                        <Th>"Hash"</Th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {events.into_iter().map(|e| view! {
                        <tr class="hover:bg-slate-50">
                            <td class="px-4 py-2 tabular-nums text-slate-500">{e.id}</td>
                            <td class="px-4 py-2 whitespace-nowrap text-slate-600">{short_time(&e.at)}</td>
                            <td class="px-4 py-2">{e.actor}</td>
                            <td class="px-4 py-2 font-medium">{e.action}</td>
                            <td class="px-4 py-2 font-mono text-xs">{e.subject}</td>
                            <td class="px-4 py-2 font-mono text-xs text-slate-500">{e.short_hash}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}
