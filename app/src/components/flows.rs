//! The flows, one row each, updated live: throughput over the last hour, rates, latency,
//! the queue, the destination's health, the mapping versions that run, and whether an
//! operator paused it. Operators (admin, engineer) pause and resume here; a pause holds the
//! queue, loses nothing, and is audited.

use super::{short_time, Sparkline};
use crate::api::SetFlowPaused;
use crate::model::live::{human_seconds, LiveFlow, LiveSnapshot};
use leptos::prelude::*;

/// What each flow carries, in a lab's words.
fn describe(flow: &str) -> &'static str {
    match flow {
        "vcf-to-lri" => "Results to the EHR (LRI over MLLP)",
        "vcf-to-fhir" => "Results to the FHIR server",
        "run-to-lims" => "Sequencing runs to the LIMS",
        "qc-to-lims" => "QC results to the LIMS",
        "orders-in" => "Orders from the EHR (ORM, OML)",
        _ => "",
    }
}

/// `0.02/s · 1/min · 12/h`, the second figure over the last 60 s.
fn rates(f: &LiveFlow) -> String {
    let per_second = f.per_second();
    let s = if per_second == 0.0 || per_second >= 0.1 {
        format!("{per_second:.1}")
    } else {
        format!("{per_second:.2}")
    };
    format!("{s}/s · {}/min · {}/h", f.last_minute, f.last_hour)
}

#[component]
pub fn FlowsPanel(
    snap: RwSignal<LiveSnapshot>,
    csrf: String,
    can_pause: bool,
    pause: ServerAction<SetFlowPaused>,
) -> impl IntoView {
    // A row is rebuilt only when its pause state changes (its button changes); its figures
    // update in place, so a click is never lost to a refresh.
    let keys = move || {
        snap.with(|s| {
            s.flows
                .iter()
                .map(|f| (f.flow.clone(), f.paused_by.is_some(), f.configured))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <ul id="flows" class="divide-y divide-slate-100">
            <li class="hidden gap-4 bg-slate-50 px-5 py-1.5 text-[11px] font-semibold uppercase tracking-wide text-slate-500 lg:grid lg:grid-cols-[minmax(0,1.9fr)_124px_minmax(0,1fr)_minmax(0,1.1fr)_minmax(0,1.1fr)_250px]">
                <span>"Flow · mapping that runs"</span>
                <span>"Last hour"</span>
                <span>"Rate"</span>
                <span>"Latency, source to ACK"</span>
                <span>"Queue"</span>
                <span>"State"</span>
            </li>
            <For each=keys key=|k| k.clone() let:k>
                <FlowRow name=k.0 snap csrf=csrf.clone() can_pause pause />
            </For>
        </ul>
    }
}

#[component]
fn FlowRow(
    name: String,
    snap: RwSignal<LiveSnapshot>,
    csrf: String,
    can_pause: bool,
    pause: ServerAction<SetFlowPaused>,
) -> impl IntoView {
    let key = name.clone();
    let f = Memo::new(move |_| {
        snap.with(|s| {
            s.flows
                .iter()
                .find(|f| f.flow == key)
                .cloned()
                .unwrap_or_default()
        })
    });
    let now = f.get_untracked();
    let paused = now.paused_by.is_some();
    let series = Signal::derive(move || f.with(|f| f.per_minute.clone()));
    let button = (can_pause && (now.configured || paused)).then(|| {
        let (label, value) = if paused {
            ("Resume", "false")
        } else {
            ("Pause", "true")
        };
        let flow = name.clone();
        view! {
            <ActionForm action=pause>
                <input type="hidden" name="flow" value=flow />
                <input type="hidden" name="paused" value=value />
                <input type="hidden" name="csrf" value=csrf />
                <button type="submit"
                    class="rounded-md bg-white px-2 py-0.5 text-xs font-medium text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50">
                    {label}
                </button>
            </ActionForm>
        }
    });
    let failing = move || f.with(|f| f.health.as_ref().and_then(|h| h.failing_since.clone()));
    let health = move || {
        f.with(|f| match &f.health {
            _ if !f.outbound => "inbound",
            Some(h) if h.failing_since.is_some() => "failing",
            Some(_) => "ok",
            None => "untried",
        })
    };
    let state = move || {
        f.with(|f| {
            if !f.configured {
                return (
                    "No destination configured".to_string(),
                    "bg-slate-100 text-slate-600",
                );
            }
            if let Some(by) = &f.paused_by {
                let by = by.trim_start_matches("user:");
                return (format!("Paused by {by}"), "bg-amber-100 text-amber-800");
            }
            match f.health.as_ref().and_then(|h| h.failing_since.as_ref()) {
                Some(since) => (
                    format!("Failing since {}", clock(since)),
                    "bg-red-100 text-red-800",
                ),
                None if !f.outbound => ("Receiving".to_string(), "bg-emerald-100 text-emerald-800"),
                None => ("Running".to_string(), "bg-emerald-100 text-emerald-800"),
            }
        })
    };
    // Under the badge: since when a flow is paused, else why its destination fails.
    let note = move || {
        f.with(|f| match &f.paused_at {
            Some(at) => Some(format!("since {}", clock(at))),
            None => f
                .health
                .as_ref()
                .filter(|h| h.failing_since.is_some())
                .and_then(|h| h.last_error.clone()),
        })
    };
    let mappings = move || {
        f.with(|f| {
            f.mappings
                .iter()
                .map(|m| {
                    let title = format!("active since {}", short_time(&m.activated_at));
                    view! {
                        <a href=m.href.clone() title=title data-mapping=m.label.clone()
                            class="hover:text-sky-700 hover:underline">
                            {m.label.clone()}
                            <span class="text-slate-400">{format!(" · since {}", day_time(&m.activated_at))}</span>
                        </a>
                    }
                })
                .collect_view()
        })
    };
    let queue = move || {
        f.with(|f| {
            if !f.outbound {
                return format!("{} received", f.received);
            }
            match f.oldest_queued_seconds {
                Some(age) if f.queued > 0 => {
                    format!("{} queued · oldest {}", f.queued, human_seconds(age))
                }
                _ => format!("{} queued", f.queued),
            }
        })
    };
    let totals = move || {
        f.with(|f| {
            let mut parts = Vec::new();
            if f.delivered > 0 || f.stored == 0 {
                parts.push(format!("{} delivered", f.delivered));
            }
            if f.dead_letters > 0 {
                parts.push(format!("{} dead", f.dead_letters));
            }
            if f.stored > 0 {
                parts.push(format!("{} stored, not sent", f.stored));
            }
            if !f.outbound {
                parts.clear();
            }
            parts.join(" · ")
        })
    };
    let latency = move || {
        f.with(|f| match (f.p50_seconds, f.p95_seconds) {
            (Some(p50), Some(p95)) => {
                format!("p50 {} · p95 {}", human_seconds(p50), human_seconds(p95))
            }
            _ if !f.outbound => "—".to_string(),
            _ => "no delivery in the last hour".to_string(),
        })
    };
    view! {
        <li class="grid grid-cols-2 items-center gap-x-4 gap-y-1 px-5 py-2 text-sm lg:grid-cols-[minmax(0,1.9fr)_124px_minmax(0,1fr)_minmax(0,1.1fr)_minmax(0,1.1fr)_250px]"
            data-flow=name.clone() data-paused=paused.to_string() data-health=health
            data-failing-since=failing>
            <div class="min-w-0">
                <p class="truncate">
                    <span class="font-mono text-xs font-semibold">{name.clone()}</span>
                    <span class="ml-2 text-xs text-slate-500">{describe(&name)}</span>
                </p>
                <p class="truncate text-xs text-slate-600">{mappings}</p>
            </div>
            <Sparkline values=series label="items" />
            <p class="text-xs tabular-nums text-slate-700" data-rate="">{move || f.with(rates)}</p>
            <p class="text-xs tabular-nums text-slate-700" data-latency="">{latency}</p>
            <div class="min-w-0 text-xs tabular-nums">
                <p class="text-slate-800" data-queued=move || f.with(|f| f.queued.to_string())>{queue}</p>
                <p class="truncate text-slate-500" data-delivered=move || f.with(|f| f.delivered.to_string())>{totals}</p>
            </div>
            <div class="flex min-w-0 items-center justify-end gap-2">
                <div class="min-w-0 text-right">
                    <span class=move || format!("inline-block max-w-[170px] truncate whitespace-nowrap rounded-full px-2 py-0.5 align-middle text-xs font-medium {}", state().1)
                        data-state="">
                        {move || state().0}
                    </span>
                    <p class=move || if paused { "max-w-[180px] truncate text-[11px] text-amber-800" } else { "max-w-[180px] truncate text-[11px] text-red-700" }
                        title=note>{note}</p>
                </div>
                {button}
            </div>
        </li>
    }
}

/// `2026-12-03T16:25:07.123Z` → `16:25:07Z`: today's failures and pauses by the clock.
fn clock(t: &str) -> String {
    let t = short_time(t);
    t.split_once(' ').map(|(_, c)| c.to_string()).unwrap_or(t)
}

/// `2026-12-03T16:25:07Z` → `12-03 16:25`.
fn day_time(t: &str) -> String {
    let t = short_time(t);
    t.get(5..16).map(str::to_string).unwrap_or(t)
}
