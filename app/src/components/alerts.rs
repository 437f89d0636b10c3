//! The open alerts, above everything else on the dashboard: an operator sees at once that
//! the EHR has stopped answering, and since when.

use super::short_time;
use crate::model::OpenAlert;
use leptos::prelude::*;

#[component]
pub fn AlertBanner(alerts: Vec<OpenAlert>) -> impl IntoView {
    (!alerts.is_empty()).then(|| {
        view! {
            <section id="alerts" role="alert" aria-label="Open alerts"
                class="rounded-xl bg-red-50 px-5 py-4 ring-1 ring-red-200">
                <h2 class="text-sm font-semibold text-red-800">
                    {format!("{} open alert{}", alerts.len(), if alerts.len() == 1 { "" } else { "s" })}
                </h2>
                <ul class="mt-2 space-y-1 text-sm text-red-900">
                    {alerts.into_iter().map(|a| {
                        let rule = a.rule.clone();
                        view! {
                        <li data-alert=rule>
                            <span class="font-semibold">{a.rule}</span>
                            " · "
                            {a.summary}
                            <span class="text-red-700">{format!(" (since {})", short_time(&a.fired_at))}</span>
                        </li>
                    }}).collect_view()}
                </ul>
            </section>
        }
    })
}
