//! Reports that wait for their order: shown so that nobody wonders where a result went.

use super::{short_time, Empty};
use crate::model::WaitingReport;
use leptos::prelude::*;

#[component]
pub fn WaitingList(reports: Vec<WaitingReport>) -> impl IntoView {
    if reports.is_empty() {
        return view! { <Empty text="No report is waiting for an order." /> }.into_any();
    }
    view! {
        <ul id="waiting" class="divide-y divide-slate-100">
            {reports.into_iter().map(|r| {
                let why = match &r.accession {
                    Some(a) => format!("No order yet for accession {a} and sample {}", r.sample_id),
                    None => "The file name carries no accession".to_string(),
                };
                view! {
                    <li class="flex items-start justify-between gap-4 px-6 py-3 text-sm" data-report=r.id>
                        <div class="min-w-0">
                            <p class="font-mono text-xs">{r.sample_id.clone()}</p>
                            <p class="mt-0.5 text-amber-700">{why}</p>
                            <p class="truncate text-xs text-slate-500">{r.source_file}</p>
                        </div>
                        <div class="shrink-0 text-right text-xs text-slate-500">
                            <p class="tabular-nums">{format!("{} variants", r.variants_reported)}</p>
                            <p>{short_time(&r.created_at)}</p>
                        </div>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
