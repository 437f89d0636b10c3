//! The LIMS deliveries table: state, attempts, the last HTTP answer and, for a dead letter,
//! the LIMS's own reason and (for operators) a Reprocess button.

use super::{Empty, StatusBadge, Th};
use crate::api::ReprocessLims;
use crate::model::LimsDelivery;
use leptos::prelude::*;

#[component]
pub fn LimsTable(
    deliveries: Vec<LimsDelivery>,
    /// Owned by the page, so its outcome survives each data refresh.
    reprocess: ServerAction<ReprocessLims>,
    csrf: String,
    /// Shows the button to admins and engineers; the server checks the role again.
    can_reprocess: bool,
) -> impl IntoView {
    let refused = move || {
        reprocess.value().get().and_then(Result::err).map(|e| {
            view! {
                <p role="alert" class="mx-6 mt-3 rounded-md bg-red-50 px-4 py-2 text-sm text-red-700">
                    {e.to_string()}
                </p>
            }
        })
    };
    if deliveries.is_empty() {
        return view! { <Empty text="No LIMS deliveries yet." /> }.into_any();
    }
    view! {
        {refused}
        <div class="overflow-x-auto">
            <table id="lims" class="min-w-full divide-y divide-slate-100 text-sm">
                <thead class="bg-slate-50">
                    <tr>
                        <Th>"Sample"</Th>
                        <Th>"Run"</Th>
                        <Th>"Mapping"</Th>
                        <Th>"Status"</Th>
                        <Th>"Attempts"</Th>
                        <Th>"HTTP"</Th>
                        <Th>"Last error / LIMS answer"</Th>
                        <Th>""</Th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {deliveries.into_iter().map(|d| {
                        let dead = d.status == "dead_letter";
                        let button = (dead && can_reprocess)
                            .then(|| view! { <ReprocessButton id=d.id csrf=csrf.clone() reprocess /> });
                        let body = d.response_body.clone().filter(|b| dead && !b.is_empty()).map(|b| view! {
                            <pre data-testid="lims-answer" class="mt-1 max-h-32 max-w-md overflow-auto whitespace-pre-wrap rounded bg-slate-50 p-2 font-mono text-xs text-slate-700">
                                {b}
                            </pre>
                        });
                        let (sample, status) = (d.sample_id.clone().unwrap_or_default(), d.status.clone());
                        let http = d.last_status.map(|s| s.to_string()).unwrap_or_else(|| "—".into());
                        view! {
                            <tr
                                class="align-top hover:bg-slate-50 target:bg-amber-50"
                                id=format!("delivery-{}", d.id)
                                data-delivery=d.id.to_string()
                                data-sample=sample
                                data-status=status
                            >
                                <td class="px-4 py-2 font-mono">{d.sample_id.unwrap_or_else(|| "(run)".into())}</td>
                                <td class="px-4 py-2 font-mono text-xs">{d.run_id}</td>
                                <td class="whitespace-nowrap px-4 py-2 text-slate-600">
                                    {d.mapping}
                                    <span class="ml-1 text-slate-400">{format!("→ {}", d.destination)}</span>
                                </td>
                                <td class="px-4 py-2"><StatusBadge status=d.status /></td>
                                <td class="px-4 py-2 tabular-nums">{d.attempts}</td>
                                <td class="px-4 py-2 tabular-nums">{http}</td>
                                <td class="px-4 py-2 text-red-700">
                                    <p class="max-w-md">{d.last_error.unwrap_or_default()}</p>
                                    {body}
                                </td>
                                <td class="px-4 py-2 text-right">{button}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn ReprocessButton(id: i64, csrf: String, reprocess: ServerAction<ReprocessLims>) -> impl IntoView {
    view! {
        <ActionForm action=reprocess>
            <input type="hidden" name="id" value=id.to_string() />
            <input type="hidden" name="csrf" value=csrf />
            <button
                type="submit"
                class="rounded-md bg-white px-2.5 py-1 text-xs font-medium text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
            >
                "Reprocess"
            </button>
        </ActionForm>
    }
}
