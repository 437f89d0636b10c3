//! The dashboard's smaller live cards: the connection indicator, the newest errors (each
//! linked to its message or LIMS delivery), the reports waiting for an order, and the
//! latest audit events for the roles that may read them.

use super::{short_time, StatusBadge};
use crate::model::live::LiveSnapshot;
use leptos::prelude::*;

/// The state of the browser's event stream. (The server renders `Connecting` only.)
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Rendered on the server, or opening: the figures are those of the first paint.
    Connecting,
    /// A snapshot arrived on the open stream.
    Live,
    /// The stream dropped; the browser is reconnecting.
    Reconnecting,
}

#[component]
pub fn LiveIndicator(link: RwSignal<Link>, snap: RwSignal<LiveSnapshot>) -> impl IntoView {
    let (label, dot) = (
        move || match link.get() {
            Link::Connecting => "Connecting…",
            Link::Live => "Live",
            Link::Reconnecting => "Reconnecting…",
        },
        move || match link.get() {
            Link::Live => "inline-block h-2 w-2 rounded-full bg-emerald-500",
            Link::Connecting => "inline-block h-2 w-2 rounded-full bg-slate-400",
            Link::Reconnecting => "inline-block h-2 w-2 animate-pulse rounded-full bg-amber-500",
        },
    );
    let state = move || match link.get() {
        Link::Connecting => "connecting",
        Link::Live => "live",
        Link::Reconnecting => "reconnecting",
    };
    view! {
        <p id="live" class="flex items-center gap-2 text-xs text-slate-500" data-live=state aria-live="polite">
            <span class=dot></span>
            <span class="font-medium text-slate-700">{label}</span>
            <span class="whitespace-nowrap">{move || snap.with(|s| format!("updated {}", short_time(&s.at).get(11..).unwrap_or_default()))}</span>
        </p>
    }
}

/// A small card with a title, a "see all" link and a list.
#[component]
fn Mini(
    title: &'static str,
    href: &'static str,
    more: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="flex min-h-0 flex-col overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            <div class="flex items-baseline justify-between border-b border-slate-100 px-4 py-2">
                <h2 class="text-sm font-semibold">{title}</h2>
                {if href.is_empty() {
                    view! { <span class="text-xs text-slate-500">{more}</span> }.into_any()
                } else {
                    view! { <a href=href class="text-xs font-medium text-sky-700 hover:underline">{more}</a> }.into_any()
                }}
            </div>
            {children()}
        </section>
    }
}

#[component]
pub fn RecentErrors(snap: RwSignal<LiveSnapshot>) -> impl IntoView {
    view! {
        <Mini title="Recent errors" href="/messages?status=dead_letter" more="Dead letters →">
            <ul id="errors" class="divide-y divide-slate-100 text-xs">
                {move || {
                    let errors = snap.with(|s| s.errors.clone());
                    if errors.is_empty() {
                        return view! { <li class="px-4 py-3 text-slate-500">"No failed delivery."</li> }.into_any();
                    }
                    errors.into_iter().map(|e| {
                        let (title, flow, status) = (e.error.clone(), e.flow.clone(), e.status.clone());
                        view! {
                            <li class="px-4 py-1" data-error-flow=flow data-error-status=status>
                                <a href=e.href class="flex items-center gap-2 hover:text-sky-700">
                                    <span class="shrink-0 font-mono">{e.subject}</span>
                                    <span class="shrink-0 text-slate-500">{e.flow}</span>
                                    <StatusBadge status=e.status />
                                    <span class="min-w-0 flex-1 truncate text-red-700" title=title>{e.error}</span>
                                    <span class="shrink-0 text-slate-500">{short_time(&e.at).get(11..).map(str::to_string).unwrap_or_default()}</span>
                                </a>
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ul>
        </Mini>
    }
}

#[component]
pub fn WaitingSummary(snap: RwSignal<LiveSnapshot>) -> impl IntoView {
    view! {
        <Mini title="Waiting for an order" href="/waiting" more="All waiting reports →">
            <ul id="waiting" class="divide-y divide-slate-100 text-xs">
                {move || {
                    let reports = snap.with(|s| s.waiting.clone());
                    if reports.is_empty() {
                        return view! { <li class="px-4 py-3 text-slate-500">"No report is waiting for an order."</li> }.into_any();
                    }
                    reports.into_iter().map(|r| {
                        let why = match &r.accession {
                            Some(a) => format!("No order yet for accession {a} and sample {}", r.sample_id),
                            None => "The file name carries no accession".to_string(),
                        };
                        view! {
                            <li class="px-4 py-1" data-report=r.id>
                                <p class="truncate text-amber-700">{why}</p>
                                <p class="truncate text-slate-500">{format!("{} · {}", r.source_file, short_time(&r.created_at))}</p>
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ul>
        </Mini>
    }
}

#[component]
pub fn LatestEvents(snap: RwSignal<LiveSnapshot>) -> impl IntoView {
    view! {
        <Mini title="Latest audit events" href="" more="Hash-chained, newest first">
            <ul id="audit" class="divide-y divide-slate-100 text-xs">
                {move || snap.with(|s| s.audit.clone()).unwrap_or_default().into_iter().map(|e| view! {
                    <li class="flex gap-2 px-4 py-1" data-audit=e.id>
                        <span class="shrink-0 text-slate-500">{short_time(&e.at).get(11..).map(str::to_string).unwrap_or_default()}</span>
                        <span class="shrink-0">{e.actor}</span>
                        <span class="shrink-0 font-medium">{e.action}</span>
                        <span class="min-w-0 truncate font-mono text-slate-600">{e.subject}</span>
                    </li>
                }).collect_view()}
            </ul>
        </Mini>
    }
}
