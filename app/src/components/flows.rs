//! The outbound flows, one line each: what is queued, and whether an operator paused it.
//! Operators (admin, engineer) pause and resume here; a pause holds the queue, loses
//! nothing, and is audited.

use super::short_time;
use crate::api::SetFlowPaused;
use crate::model::FlowState;
use leptos::prelude::*;

/// What each flow carries, in a lab's words.
fn describe(flow: &str) -> &'static str {
    match flow {
        "vcf-to-lri" => "Results to the EHR (HL7 v2 LRI over MLLP)",
        "vcf-to-fhir" => "Results to the FHIR server",
        "run-to-lims" => "Sequencing runs to the LIMS",
        "qc-to-lims" => "QC results to the LIMS",
        _ => "",
    }
}

#[component]
pub fn FlowsPanel(
    flows: Vec<FlowState>,
    csrf: String,
    can_pause: bool,
    pause: ServerAction<SetFlowPaused>,
) -> impl IntoView {
    view! {
        <ul id="flows" class="divide-y divide-slate-100">
            {flows.into_iter().map(|f| {
                let paused = f.paused_by.is_some();
                let state = match (&f.paused_by, &f.paused_at) {
                    _ if !f.configured => "No destination configured".to_string(),
                    (Some(by), Some(at)) => format!(
                        "Paused by {} since {}",
                        by.trim_start_matches("user:"),
                        short_time(at)
                    ),
                    _ => "Running".to_string(),
                };
                let badge = if !f.configured {
                    "rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-600"
                } else if paused {
                    "rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800"
                } else {
                    "rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800"
                };
                let button = (can_pause && (f.configured || paused)).then(|| {
                    let (label, value) = if paused { ("Resume", "false") } else { ("Pause", "true") };
                    let (flow, csrf) = (f.flow.clone(), csrf.clone());
                    view! {
                        <ActionForm action=pause>
                            <input type="hidden" name="flow" value=flow />
                            <input type="hidden" name="paused" value=value />
                            <input type="hidden" name="csrf" value=csrf />
                            <button type="submit"
                                class="rounded-md bg-white px-2.5 py-1 text-xs font-medium text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50">
                                {label}
                            </button>
                        </ActionForm>
                    }
                });
                view! {
                    <li class="flex items-center gap-4 px-6 py-3 text-sm"
                        data-flow=f.flow.clone() data-paused=paused.to_string()>
                        <span class="w-32 font-mono text-xs">{f.flow.clone()}</span>
                        <span class="flex-1 text-slate-600">{describe(&f.flow)}</span>
                        <span class="tabular-nums text-slate-600" data-queued=f.queued.to_string()>
                            {format!("{} queued", f.queued)}
                        </span>
                        <span class=badge>{state}</span>
                        {button}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
