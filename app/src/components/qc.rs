//! QC instrument exports the watcher took in, and what became of each.

use super::{short_time, Empty, Th};
use crate::model::QcFile;
use leptos::prelude::*;

#[component]
pub fn QcTable(files: Vec<QcFile>) -> impl IntoView {
    if files.is_empty() {
        return view! { <Empty text="No QC export received yet." /> }.into_any();
    }
    view! {
        <div class="overflow-x-auto">
            <table id="qc" class="min-w-full divide-y divide-slate-100 text-sm">
                <thead class="bg-slate-50">
                    <tr>
                        <Th>"File"</Th>
                        <Th>"Instrument format"</Th>
                        <Th>"State"</Th>
                        <Th>"Warnings"</Th>
                        <Th>"Received"</Th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {files.into_iter().map(|f| {
                        let quarantined = f.status == "quarantined";
                        let (connector, status) = (f.connector.clone(), f.status.clone());
                        view! {
                            <tr class="hover:bg-slate-50" data-connector=connector data-status=status>
                                <td class="px-4 py-2 font-mono text-xs">{f.file}</td>
                                <td class="px-4 py-2">{f.connector}</td>
                                <td class="px-4 py-2" class:text-red-700=quarantined>{f.status}</td>
                                <td class="px-4 py-2 tabular-nums">{f.warnings}</td>
                                <td class="px-4 py-2 whitespace-nowrap text-slate-600">{short_time(&f.created_at)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
