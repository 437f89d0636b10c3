//! `/audit`: the inspector's page (inspectors, directors, admins). The chain's status with
//! a "Verify now", an export of what the filters select (files with their SHA-256, to
//! re-check with scripts/audit_recheck.py), and either a sample's lineage drawn as a chain
//! of steps (`?sample=…`) or the filtered timeline, keyset-paged.

use crate::api::audit::{
    audit_timeline, get_chain_status, sample_lineage, ExportAudit, VerifyChain,
};
use crate::components::{short_time, Card, Empty, SignedIn, Th};
use crate::model::audit::{AuditRow, AuditSearch, ChainStatus};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <Title text="Audit trail · GenoBridge" />
        <SignedIn page=|_me, csrf| view! { <Inspector csrf /> } />
    }
}

#[component]
fn Inspector(csrf: String) -> impl IntoView {
    let query = use_query_map();
    let search = Memo::new(move |_| {
        query.with(|q| {
            let s = |k: &str| q.get(k).unwrap_or_default();
            let n = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
            AuditSearch {
                sample: s("sample"),
                run: s("run"),
                accession: s("accession"),
                user: s("user"),
                action: s("action"),
                from: s("from"),
                to: s("to"),
                before: n("before"),
                after: n("after"),
            }
        })
    });
    let verify = ServerAction::<VerifyChain>::new();
    let status = Resource::new(move || verify.version().get(), |_| get_chain_status());
    let export_csrf = csrf.clone();
    view! {
        <div>
            <h1 class="text-2xl font-semibold tracking-tight">"Audit trail"</h1>
            <p class="text-sm text-slate-500">
                "Every step from the sequencer to the EHR, who did it and who looked at patient data; each event is hash-chained to the one before it."
            </p>
        </div>
        <div class="grid grid-cols-2 gap-6">
            <Card title="Chain" subtitle="The newest event, the newest anchor, and the last full verification">
                <Transition fallback=|| view! { <p class="px-6 py-4 text-sm text-slate-500">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match status.await {
                            Ok(s) => view! { <Status s /> }.into_any(),
                            Err(e) => view! { <p role="alert" class="px-6 py-4 text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
                <ActionForm action=verify attr:id="verify-form" attr:class="border-t border-slate-100 px-6 py-3">
                    <input type="hidden" name="csrf" value=csrf />
                    <button type="submit" class="rounded-md bg-sky-700 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-sky-800">
                        "Verify the whole chain now"
                    </button>
                </ActionForm>
            </Card>
            {move || view! { <Export search=search.get() csrf=export_csrf.clone() /> }}
        </div>
        {move || view! { <Filters search=search.get() /> }}
        {move || {
            let s = search.get();
            if s.sample.trim().is_empty() {
                view! { <Timeline search=s /> }.into_any()
            } else {
                view! { <Lineage sample=s.sample.trim().to_string() /> }.into_any()
            }
        }}
    }
}

#[component]
fn Status(s: ChainStatus) -> impl IntoView {
    let verdict = match (s.verified_ok, &s.verified_at) {
        (Some(true), Some(at)) => view! {
            <p class="text-emerald-700" data-verified="intact">{format!("Intact, verified {} by {}", short_time(at), s.verified_by.clone().unwrap_or_default())}</p>
        }.into_any(),
        (Some(false), Some(at)) => view! {
            <p class="font-semibold text-red-700" data-verified="broken">{format!("BROKEN, found {}: {}", short_time(at), s.verified_detail.clone().unwrap_or_default())}</p>
        }.into_any(),
        _ => view! { <p class="text-slate-500" data-verified="never">"Not verified from the console yet"</p> }.into_any(),
    };
    view! {
        <dl class="grid grid-cols-3 gap-x-3 gap-y-2 px-6 py-4 text-sm" id="chain-status">
            <dt class="text-slate-500">"Head"</dt>
            <dd class="col-span-2 break-all font-mono text-xs" data-head=s.head_id.unwrap_or(0)>
                {match (&s.head_id, &s.head_hash) {
                    (Some(id), Some(h)) => format!("event {id} · {h}"),
                    _ => "no events".into(),
                }}
            </dd>
            <dt class="text-slate-500">"Last anchor"</dt>
            <dd class="col-span-2 break-all font-mono text-xs">
                {match &s.anchor {
                    Some((id, h, at)) => format!("event {id} at {} · {}", short_time(at), &h[..h.len().min(16)]),
                    None => "none yet (hourly, or genobridge audit anchor)".into(),
                }}
            </dd>
            <dt class="text-slate-500">"Verification"</dt>
            <dd class="col-span-2">{verdict}</dd>
        </dl>
    }
}

#[component]
fn Export(search: AuditSearch, csrf: String) -> impl IntoView {
    let export = ServerAction::<ExportAudit>::new();
    let fields = search
        .pairs()
        .into_iter()
        .map(|(k, v)| view! { <input type="hidden" name=format!("q[{k}]") value=v.to_string() /> })
        .collect_view();
    let what = if search.pairs().is_empty() {
        "the whole trail".to_string()
    } else {
        search
            .pairs()
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <Card title="Export" subtitle="CSV and JSON with a manifest of counts, ids, the chain head and each file's SHA-256">
            <ActionForm action=export attr:id="export-form" attr:class="flex items-center justify-between gap-3 px-6 py-4">
                {fields}
                <input type="hidden" name="csrf" value=csrf />
                <p class="text-sm text-slate-600">{format!("Selected: {what}")}</p>
                <button type="submit" class="rounded-md bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50">
                    "Export"
                </button>
            </ActionForm>
            {move || match export.value().get() {
                Some(Ok(x)) => view! {
                    <ul id="export-files" class="border-t border-slate-100 px-6 py-3 text-sm" data-events=x.events>
                        {x.files.iter().map(|(name, sha)| view! {
                            <li class="flex items-center justify-between gap-3 py-0.5">
                                <a href=format!("/api/audit/exports/{}/{name}", x.id) download="" class="font-medium text-sky-700 hover:underline" data-file=name.clone()>{name.clone()}</a>
                                <span class="truncate font-mono text-[11px] text-slate-500">{sha.clone()}</span>
                            </li>
                        }).collect_view()}
                        <li class="pt-1 text-xs text-slate-500">{format!("{} events. Re-check: python3 audit_recheck.py FOLDER (README, For inspectors)", x.events)}</li>
                    </ul>
                }.into_any(),
                Some(Err(e)) => view! { <p role="alert" class="px-6 pb-4 text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                None => ().into_any(),
            }}
        </Card>
    }
}

#[component]
fn Filters(search: AuditSearch) -> impl IntoView {
    let input = "mt-1 block w-full rounded-md border-0 px-2.5 py-1.5 text-sm shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-sky-600";
    let label = "block text-xs font-medium text-slate-600";
    let field = move |name: &'static str,
                      text: &'static str,
                      value: String,
                      kind: &'static str,
                      hint: &'static str| {
        view! {
            <label class=label>
                {text}
                <input type=kind name=name value=value placeholder=hint class=input />
            </label>
        }
    };
    view! {
        <form method="get" action="/audit" id="audit-filters" role="search"
            class="grid grid-cols-8 gap-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
            {field("sample", "Sample (lineage)", search.sample.clone(), "text", "e.g. NB6TK328")}
            {field("run", "Run", search.run.clone(), "text", "run folder id")}
            {field("accession", "Accession", search.accession.clone(), "text", "")}
            {field("user", "User", search.user.clone(), "text", "name, or system")}
            {field("action", "Event kind", search.action.clone(), "text", "e.g. phi.")}
            {field("from", "From (UTC)", search.from.clone(), "date", "")}
            {field("to", "To (UTC)", search.to.clone(), "date", "")}
            <div class="flex items-end justify-end gap-2">
                <a href="/audit" class="rounded-md px-2 py-1.5 text-sm text-slate-600 hover:bg-slate-100">"Clear"</a>
                <button type="submit" class="rounded-md bg-sky-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-sky-800">"Show"</button>
            </div>
        </form>
    }
}

/// The most telling fields of an event's detail, for one line.
fn gist(detail: &str) -> String {
    let Ok(serde_json::Value::Object(d)) = serde_json::from_str::<serde_json::Value>(detail) else {
        return detail.chars().take(160).collect();
    };
    const KEYS: [&str; 14] = [
        "control_id",
        "status",
        "ack_code",
        "http_status",
        "mapping",
        "mapping_sha256",
        "sha256",
        "accession",
        "destination",
        "attempt",
        "error",
        "reason",
        "viewed",
        "result",
    ];
    KEYS.iter()
        .filter_map(|k| d.get(*k).filter(|v| !v.is_null()).map(|v| (k, v)))
        .map(|(k, v)| {
            let v = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            let v = if k.ends_with("sha256") {
                v.chars().take(12).collect()
            } else {
                v
            };
            format!("{k} {v}")
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

#[component]
fn Lineage(sample: String) -> impl IntoView {
    let title = format!("Lineage of sample {sample}");
    let steps = Resource::new(move || sample.clone(), sample_lineage);
    view! {
        <section class="rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            <div class="border-b border-slate-100 px-6 py-4">
                <h2 class="text-base font-semibold">{title}</h2>
                <p class="text-sm text-slate-500">"Oldest first: the run that carried it, its order, report, the mapping version that built each message, every delivery attempt and the EHR's answer, and who viewed it"</p>
            </div>
            <Transition fallback=|| view! { <p class="px-6 py-4 text-sm text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match steps.await {
                        Ok(rows) if rows.is_empty() => view! { <Empty text="No event names this sample." /> }.into_any(),
                        Ok(rows) => view! {
                            <ol id="lineage" class="relative ml-10 border-l-2 border-sky-200 py-4 pr-6">
                                {rows.into_iter().map(|r| view! { <Step r /> }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(e) => view! { <p role="alert" class="px-6 py-4 text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Step(r: AuditRow) -> impl IntoView {
    let dot = match r.stage.as_str() {
        "EHR answer" if r.action.ends_with("dead_letter") => "bg-red-500",
        "EHR answer" => "bg-emerald-500",
        "PHI access" => "bg-amber-500",
        "Message built" => "bg-violet-500",
        _ => "bg-sky-500",
    };
    let gist = gist(&r.detail);
    view! {
        <li class="relative mb-3 ml-6" data-stage=r.stage.clone() data-action=r.action.clone()>
            <span class=format!("absolute -left-[31px] top-1.5 h-3 w-3 rounded-full ring-4 ring-white {dot}")></span>
            <div class="flex flex-wrap items-baseline gap-x-3 text-sm">
                <span class="font-semibold">{r.stage.clone()}</span>
                <span class="font-mono text-xs text-slate-600">{r.action.clone()}</span>
                <span class="text-xs text-slate-500">{short_time(&r.at)}</span>
                <span class="text-xs text-slate-500">{r.actor.clone()}</span>
                <span class="font-mono text-[10px] text-slate-400" title=r.hash.clone()>{format!("#{}", r.id)}</span>
            </div>
            <p class="truncate text-xs text-slate-600" title=r.detail.clone()>{gist}</p>
        </li>
    }
}

#[component]
fn Timeline(search: AuditSearch) -> impl IntoView {
    let s = search.clone();
    let page = Resource::new(move || search.clone(), audit_timeline);
    view! {
        <Card title="Timeline" subtitle="Newest first, 50 a page; give a sample above for its lineage">
            <Transition fallback=|| view! { <p class="px-6 py-4 text-sm text-slate-500">"Loading…"</p> }>
                {move || {
                    let s = s.clone();
                    Suspend::new(async move {
                        match page.await {
                            Ok(p) if p.events.is_empty() => view! { <Empty text="No event matches." /> }.into_any(),
                            Ok(p) => {
                                let newer = p.newer.map(|id| s.href(Some(("after", id))));
                                let older = p.older.map(|id| s.href(Some(("before", id))));
                                view! {
                                    <table id="audit-timeline" class="min-w-full divide-y divide-slate-100 text-sm">
                                        <thead class="bg-slate-50"><tr><Th>"#"</Th><Th>"When (UTC)"</Th><Th>"Who"</Th><Th>"What"</Th><Th>"Subject"</Th><Th>"Detail"</Th></tr></thead>
                                        <tbody class="divide-y divide-slate-100">
                                            {p.events.into_iter().map(|e| {
                                                let gist = gist(&e.detail);
                                                view! {
                                                    <tr data-event=e.id data-action=e.action.clone()>
                                                        <td class="px-4 py-1.5 font-mono text-xs text-slate-400" title=e.hash.clone()>{e.id}</td>
                                                        <td class="px-4 py-1.5 whitespace-nowrap text-xs">{short_time(&e.at)}</td>
                                                        <td class="px-4 py-1.5 text-xs">{e.actor.clone()}</td>
                                                        <td class="px-4 py-1.5 font-mono text-xs">{e.action.clone()}</td>
                                                        <td class="px-4 py-1.5 font-mono text-xs">{e.subject.clone()}</td>
                                                        <td class="max-w-md truncate px-4 py-1.5 text-xs text-slate-600" title=e.detail.clone()>{gist}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                    <nav class="flex justify-end gap-2 border-t border-slate-100 px-6 py-3" aria-label="Pages">
                                        {newer.map(|h| view! { <a href=h data-page="prev" class="rounded-md px-3 py-1 text-sm ring-1 ring-slate-300">"← Newer"</a> })}
                                        {older.map(|h| view! { <a href=h data-page="next" class="rounded-md px-3 py-1 text-sm ring-1 ring-slate-300">"Older →"</a> })}
                                    </nav>
                                }.into_any()
                            }
                            Err(e) => view! { <p role="alert" class="px-6 py-4 text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </Card>
    }
}
