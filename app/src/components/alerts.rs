//! The open alerts, above everything else on the dashboard: an operator sees at once that
//! the EHR has stopped answering, and since when. One line each, at most three, so the
//! dashboard still fits one screen.

use super::short_time;
use crate::model::live::LiveSnapshot;
use leptos::prelude::*;

/// How many alerts are listed; the rest are counted.
const SHOWN: usize = 3;

#[component]
pub fn AlertBanner(snap: RwSignal<LiveSnapshot>) -> impl IntoView {
    move || {
        let alerts = snap.with(|s| s.alerts.clone());
        (!alerts.is_empty()).then(|| {
            let more = alerts.len().saturating_sub(SHOWN);
            view! {
                <section id="alerts" role="alert" aria-label="Open alerts"
                    class="flex gap-4 rounded-lg bg-red-50 px-4 py-2 text-sm ring-1 ring-red-200">
                    <h2 class="shrink-0 font-semibold text-red-800">
                        {format!("{} open alert{}", alerts.len(), if alerts.len() == 1 { "" } else { "s" })}
                    </h2>
                    <ul class="min-w-0 flex-1 space-y-0.5 text-red-900">
                        {alerts.into_iter().take(SHOWN).map(|a| {
                            let rule = a.rule.clone();
                            view! {
                                <li data-alert=rule class="truncate">
                                    <span class="font-semibold">{a.rule}</span>
                                    " · "
                                    {a.summary}
                                    <span class="text-red-700">{format!(" (since {})", short_time(&a.fired_at))}</span>
                                </li>
                            }
                        }).collect_view()}
                        {(more > 0).then(|| view! { <li class="text-red-700">{format!("and {more} more")}</li> })}
                    </ul>
                </section>
            }
        })
    }
}
