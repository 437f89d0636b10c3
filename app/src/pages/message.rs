//! `/messages/:id`: one message in full. What was sent (an ORU one segment per line, with
//! its OBX-4 groups marked, or the Bundle pretty-printed), what came back at each attempt,
//! what it was built from (the VCF, its SHA-256, the order and the mapping version), and for
//! operators: resend it as stored, or reprocess it into a new message.

use crate::api::messages::{get_message, ReprocessMessage, ResendMessage};
use crate::components::{short_time, SignedIn, StatusBadge, Th};
use crate::model::messages::MessageView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use std::time::Duration;

#[component]
pub fn MessagePage() -> impl IntoView {
    view! {
        <Title text="Message · GenoBridge" />
        <SignedIn page=|_me, csrf| view! { <Detail csrf /> } />
    }
}

#[component]
fn Detail(csrf: String) -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0))
    });
    let resend = ServerAction::<ResendMessage>::new();
    let reprocess = ServerAction::<ReprocessMessage>::new();
    // While the message is on its way, look again every 2 s so "pending" turns into what
    // the destination answered without a reload.
    let tick = RwSignal::new(0u64);
    let data = Resource::new(
        move || {
            (
                id.get(),
                tick.get(),
                resend.version().get(),
                reprocess.version().get(),
            )
        },
        |(id, _, _, _)| get_message(id),
    );
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                let pending = data
                    .get_untracked()
                    .and_then(|r| r.ok())
                    .is_some_and(|m| m.message.status == "pending");
                if pending {
                    tick.update(|t| *t += 1);
                }
            },
            Duration::from_secs(2),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <p class="text-sm"><a href="/messages" class="text-sky-700 hover:underline">"← All messages"</a></p>
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading the message…"</p> }>
            {move || {
                let csrf = csrf.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(m) => view! { <Message m csrf resend reprocess /> }.into_any(),
                        Err(e) => view! {
                            <p role="alert" class="rounded-md bg-red-50 px-4 py-3 text-sm text-red-700">{e.to_string()}</p>
                        }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn Message(
    m: MessageView,
    csrf: String,
    resend: ServerAction<ResendMessage>,
    reprocess: ServerAction<ReprocessMessage>,
) -> impl IntoView {
    let msg = m.message.clone();
    let flow = if msg.kind == "lri" {
        "VCF → HL7 v2 LRI ORU^R01 over MLLP"
    } else {
        "VCF → FHIR R4 Bundle"
    };
    let destination = if msg.destination == "none" {
        "none configured (stored, not sent)".to_string()
    } else {
        msg.destination.clone()
    };
    let mapping = match m.mapping_version {
        Some(v) => format!("{} v{v}", m.mapping_name),
        None if m.mapping_name.is_empty() => "(built before mappings were versioned)".into(),
        None => m.mapping_name.clone(),
    };
    let sha_short: String = m.mapping_sha256.chars().take(12).collect();
    let replaced = m.replaced_by.clone().map(|(id, cid)| {
        view! {
            <p class="rounded-md bg-sky-50 px-4 py-2 text-sm text-sky-900" data-replaced-by=id>
                "Replaced by "
                <a href=format!("/messages/{id}") class="font-mono font-medium underline">{cid}</a>
                ", built again with the active mapping."
            </p>
        }
    });
    let from = m.reprocessed_from.clone().map(|cid| {
        let attr = cid.clone();
        view! {
        <p class="rounded-md bg-slate-100 px-4 py-2 text-sm text-slate-700" data-reprocessed-from=attr>
            "Rebuilt from "<span class="font-mono">{cid}</span>" with the active mapping."
        </p>
    }});
    let siblings = m
        .siblings
        .iter()
        .map(|(id, kind, cid, status)| {
            view! {
                <li class="flex items-center justify-between py-1">
                    <a href=format!("/messages/{id}") class="font-mono text-sky-700 hover:underline">{cid.clone()}</a>
                    <span class="text-slate-500">{kind.to_uppercase()}" · "{status.replace('_', " ")}</span>
                </li>
            }
        })
        .collect_view();
    let preview = m.source_preview.clone().map(|p| {
        view! {
            <details class="border-t border-slate-100 px-6 py-3 text-sm">
                <summary class="cursor-pointer text-slate-600">"The VCF's first lines"</summary>
                <pre class="mt-2 max-h-64 overflow-auto rounded bg-slate-50 p-2 font-mono text-[11px] leading-4">{p}</pre>
            </details>
        }
    });
    let order = match (&m.placer_number, &m.filler_number) {
        (Some(p), Some(f)) => format!("placer {p} · filler {f}"),
        _ => "—".into(),
    };
    let file_now = match m.source_unchanged {
        Some(true) => "on disk, unchanged",
        Some(false) => "on disk, CHANGED since it was reported",
        None => "no longer on disk",
    };
    let records = format!(
        "{} read · {} reported · {} rejected",
        m.records_read, m.variants_reported, m.records_rejected
    );
    let (source_file, source_sha) = (m.source_file.clone(), m.source_sha256.clone());
    let test = m.test.clone().unwrap_or_else(|| "—".into());
    let key = m.idempotency_key.clone().unwrap_or_else(|| "—".into());
    let built = short_time(&m.created_at);
    let accession = m.accession.clone();
    let (for_actions, for_body, for_attempts) = (m.clone(), m.clone(), m);
    view! {
        <header class="flex flex-wrap items-start justify-between gap-4" id="message-header" data-status=msg.status.clone()>
            <div>
                <h1 class="font-mono text-2xl font-semibold tracking-tight" id="control-id">{msg.control_id.clone()}</h1>
                <p class="mt-1 text-sm text-slate-600">
                    {flow}" · sample "<span class="font-mono">{msg.sample_id.clone()}</span>
                    {accession.map(|a| view! { " · accession "<span class="font-mono">{a}</span> })}
                </p>
            </div>
            <div class="flex items-center gap-3">
                <StatusBadge status=msg.status.clone() />
                <Actions m=for_actions csrf resend reprocess />
            </div>
        </header>
        {replaced}
        {from}
        <div class="grid grid-cols-3 gap-6">
            <div class="col-span-2 space-y-6">
                <Panel title="Sent" subtitle=if msg.kind == "lri" { "One segment per line; OBX rows are banded by their OBX-4 group" } else { "The transaction Bundle, indented" }>
                    <Body m=for_body />
                </Panel>
                <Panel title="Delivery attempts" subtitle="Each attempt with the receiver's answer: the ACK as received, or the HTTP status and body">
                    <Attempts m=for_attempts />
                </Panel>
            </div>
            <aside class="space-y-6">
                <Panel title="Summary" subtitle="">
                    <dl class="grid grid-cols-3 gap-x-3 gap-y-2 px-6 py-4 text-sm">
                        <Term label="Destination" value=destination />
                        <Term label="Attempts" value=msg.attempts.to_string() />
                        <Term label="Built (UTC)" value=built />
                        <Term label="Updated (UTC)" value=short_time(&msg.updated_at) />
                        <Term label="Key" value=key />
                        <Term label="Mapping" value=format!("{mapping} · {sha_short}") />
                    </dl>
                    {msg.last_error.clone().map(|e| view! {
                        <p class="mx-6 mb-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700" id="last-error">{e}</p>
                    })}
                    {msg.held_by.clone().map(|by| view! {
                        <p class="mx-6 mb-4 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800">{format!("Waiting behind {by}: the destination keeps an accession's results in order.")}</p>
                    })}
                </Panel>
                <Panel title="Built from" subtitle="The input, its order and its siblings">
                    <dl class="grid grid-cols-3 gap-x-3 gap-y-2 px-6 py-4 text-sm">
                        <Term label="VCF" value=source_file />
                        <Term label="SHA-256" value=source_sha />
                        <Term label="Records" value=records />
                        <Term label="Order" value=order />
                        <Term label="Test" value=test />
                        <Term label="File now" value=file_now.to_string() />
                    </dl>
                    <ul class="border-t border-slate-100 px-6 py-3 text-sm" id="siblings">{siblings}</ul>
                    {preview}
                </Panel>
            </aside>
        </div>
    }
}

/// Resend and reprocess, for operators, each behind a confirmation.
#[component]
fn Actions(
    m: MessageView,
    csrf: String,
    resend: ServerAction<ResendMessage>,
    reprocess: ServerAction<ReprocessMessage>,
) -> impl IntoView {
    let id = m.message.id;
    let button = "rounded-md bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-sky-500";
    let resend_form = m.can_resend.then(|| {
        let csrf = csrf.clone();
        view! {
            <ActionForm action=resend attr:id="resend-form">
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="csrf" value=csrf />
                <button type="submit" class=button title="Send the stored message again, with the same control id">"Resend"</button>
            </ActionForm>
        }
    });
    let reprocess_form = m.can_reprocess.then(|| {
        view! {
            <ActionForm action=reprocess attr:id="reprocess-form">
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="csrf" value=csrf />
                <button type="submit" class="rounded-md bg-sky-700 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-sky-800 focus:outline-none focus:ring-2 focus:ring-sky-500"
                    title="Build it again from the VCF with the active mapping, under a new control id">
                    "Reprocess"
                </button>
            </ActionForm>
        }
    });
    let outcome = move || {
        let err = resend
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| reprocess.value().get().and_then(|r| r.err()));
        if let Some(e) = err {
            return view! { <p role="alert" class="text-sm text-red-700">{e.to_string()}</p> }
                .into_any();
        }
        match reprocess.value().get() {
            // The action outlives a navigation to the rebuilt message itself.
            Some(Ok(new_id)) if new_id != id => view! {
                <a href=format!("/messages/{new_id}") id="reprocessed-link" class="text-sm font-medium text-sky-700 underline">
                    {format!("Open the rebuilt message ({new_id}) →")}
                </a>
            }.into_any(),
            _ => ().into_any(),
        }
    };
    view! {
        <div class="flex items-center gap-2">
            {resend_form}
            {reprocess_form}
            {outcome}
        </div>
    }
}

/// The message body, or why it is not shown.
#[component]
fn Body(m: MessageView) -> impl IntoView {
    if m.body_hidden {
        return view! { <p class="px-6 py-4 text-sm text-slate-500">"The body holds patient data, which your role may not see."</p> }.into_any();
    }
    let Some(body) = m.body else {
        let when = m.pruned_at.map(|t| short_time(&t)).unwrap_or_default();
        return view! { <p class="px-6 py-4 text-sm text-slate-500">{format!("Emptied by the retention policy {when}; its delivery record and audit trail remain.")}</p> }.into_any();
    };
    if m.message.kind != "lri" {
        return view! { <pre id="message-body" class="max-h-[36rem] overflow-auto px-6 py-4 font-mono text-xs leading-5">{body}</pre> }.into_any();
    }
    let mut band = 0usize;
    let mut last_group = String::new();
    let lines = body
        .lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('|').collect();
            let segment = fields.first().copied().unwrap_or_default().to_string();
            let group = (segment == "OBX").then(|| fields.get(4).copied().unwrap_or_default().to_string());
            if let Some(g) = &group {
                if *g != last_group {
                    band += 1;
                    last_group = g.clone();
                }
            }
            let class = match (&group, band % 2) {
                (Some(_), 0) => "border-l-4 border-sky-400 bg-sky-50/60 pl-2",
                (Some(_), _) => "border-l-4 border-violet-400 bg-violet-50/60 pl-2",
                _ => "border-l-4 border-transparent pl-2",
            };
            let label = group.clone().filter(|g| !g.is_empty());
            view! {
                <div class=format!("flex gap-3 {class}") data-segment=segment data-obx4=group.unwrap_or_default()>
                    <span class="w-12 shrink-0 text-right text-[10px] text-slate-400">{label}</span>
                    <span class="whitespace-pre">{line.to_string()}</span>
                </div>
            }
        })
        .collect_view();
    view! {
        <div id="message-body" class="max-h-[36rem] overflow-auto px-4 py-4 font-mono text-xs leading-5">{lines}</div>
    }
    .into_any()
}

#[component]
fn Attempts(m: MessageView) -> impl IntoView {
    if m.attempts.is_empty() {
        let why = match m.message.status.as_str() {
            "stored" => "Not sent: no destination was configured when it was built.",
            "pending" => "Queued; no attempt yet.",
            _ => "No attempt was recorded (sent before attempts were kept).",
        };
        return view! { <p class="px-6 py-4 text-sm text-slate-500">{why}</p> }.into_any();
    }
    view! {
        <table id="attempts" class="min-w-full divide-y divide-slate-100 text-sm">
            <thead class="bg-slate-50">
                <tr><Th>"#"</Th><Th>"When (UTC)"</Th><Th>"Node"</Th><Th>"Outcome"</Th><Th>"Answer"</Th></tr>
            </thead>
            <tbody class="divide-y divide-slate-100">
                {m.attempts.into_iter().map(|a| {
                    let code = a.ack_code.clone().map(|c| format!("ACK {c}"))
                        .or(a.http_status.map(|s| format!("HTTP {s}")))
                        .unwrap_or_else(|| "no answer".into());
                    view! {
                        <tr data-attempt=a.attempt data-ack=a.ack_code.clone().unwrap_or_default() class="align-top">
                            <td class="px-4 py-2 tabular-nums">{a.attempt}</td>
                            <td class="px-4 py-2 whitespace-nowrap">{short_time(&a.at)}</td>
                            <td class="px-4 py-2 text-slate-600">{a.node}</td>
                            <td class="px-4 py-2"><StatusBadge status=a.status /></td>
                            <td class="px-4 py-2">
                                <span class="font-medium">{code}</span>
                                {a.error.map(|e| view! { <span class="block text-red-700">{e}</span> })}
                                {a.answer.map(|t| view! {
                                    <pre class="ack mt-1 max-h-40 overflow-auto whitespace-pre-wrap rounded bg-slate-50 p-2 font-mono text-[11px] leading-4">
                                        {t.replace('\r', "\n")}
                                    </pre>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Panel(title: &'static str, subtitle: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            <div class="border-b border-slate-100 px-6 py-3">
                <h2 class="text-base font-semibold">{title}</h2>
                {(!subtitle.is_empty()).then(|| view! { <p class="text-xs text-slate-500">{subtitle}</p> })}
            </div>
            {children()}
        </section>
    }
}

#[component]
fn Term(label: &'static str, value: String) -> impl IntoView {
    view! {
        <dt class="text-slate-500">{label}</dt>
        <dd class="col-span-2 break-all font-mono text-xs leading-5">{value}</dd>
    }
}
