//! Runs table and quarantine list.

use super::{short_time, Empty, Th};
use crate::model::{Quarantined, Run};
use leptos::prelude::*;

#[component]
pub fn RunsTable(runs: Vec<Run>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <Empty text="No runs detected yet." /> }.into_any();
    }
    view! {
        <div class="overflow-x-auto">
            <table id="runs" class="min-w-full divide-y divide-slate-100 text-sm">
                <thead class="bg-slate-50">
                    <tr>
                        <Th>"Run"</Th>
                        <Th>"Flowcell"</Th>
                        <Th>"Instrument"</Th>
                        <Th>"Samples"</Th>
                        <Th>"Detected"</Th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {runs.into_iter().map(|r| { let id = r.run_id.clone(); view! {
                        <tr class="hover:bg-slate-50" data-run=id>
                            <td class="px-4 py-2 font-mono text-xs">{r.run_id}</td>
                            <td class="px-4 py-2 font-mono">{r.flowcell}</td>
                            <td class="px-4 py-2">
                                {r.instrument}
                                <span class="ml-1 text-slate-500">{format!("({})", r.platform)}</span>
                            </td>
                            <td class="px-4 py-2 tabular-nums">{r.sample_count}</td>
                            <td class="px-4 py-2 whitespace-nowrap text-slate-600">{short_time(&r.detected_at)}</td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}

#[component]
pub fn QuarantineList(items: Vec<Quarantined>) -> impl IntoView {
    if items.is_empty() {
        return view! { <Empty text="Nothing in quarantine." /> }.into_any();
    }
    view! {
        <ul id="quarantine" class="divide-y divide-slate-100">
            {items.into_iter().map(|q| view! {
                <li class="flex items-start justify-between gap-4 px-6 py-3 text-sm">
                    <div class="min-w-0">
                        <p class="truncate font-mono text-xs">{q.source}</p>
                        <p class="mt-0.5 text-red-700">{q.reason}</p>
                    </div>
                    <div class="shrink-0 text-right text-xs text-slate-500">
                        <p class="uppercase">{q.kind}</p>
                        <p>{short_time(&q.created_at)}</p>
                    </div>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}
