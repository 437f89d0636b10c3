//! `/messages`: the message browser. The search lives in the URL (`?sample=…&status=…`), so
//! a result can be bookmarked or sent to a colleague, and the form works before hydration.
//! Results are keyset-paged, newest first; each row opens the message.

use crate::api::messages::search_messages;
use crate::components::{short_time, Card, Empty, SignedIn, StatusBadge, Th};
use crate::model::messages::MessageSearch;
use crate::model::Me;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn MessagesPage() -> impl IntoView {
    view! {
        <Title text="Messages · GenoBridge" />
        <SignedIn page=|me, _csrf| view! { <Browser me /> } />
    }
}

/// Roles that may search by MRN or name (the server checks too).
fn may_search_phi(role: &str) -> bool {
    matches!(role, "admin" | "engineer" | "director")
}

#[component]
fn Browser(me: Me) -> impl IntoView {
    let query = use_query_map();
    let search = Memo::new(move |_| {
        query.with(|q| {
            let s = |k: &str| q.get(k).unwrap_or_default();
            let n = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
            MessageSearch {
                run: s("run"),
                sample: s("sample"),
                accession: s("accession"),
                from: s("from"),
                to: s("to"),
                flow: s("flow"),
                status: s("status"),
                destination: s("destination"),
                mrn: s("mrn"),
                patient: s("patient"),
                before: n("before"),
                after: n("after"),
            }
        })
    });
    let results = Resource::new(move || search.get(), search_messages);
    let phi = may_search_phi(&me.role);
    view! {
        <div class="flex items-end justify-between">
            <div>
                <h1 class="text-2xl font-semibold tracking-tight">"Messages"</h1>
                <p class="text-sm text-slate-500">
                    "Every HL7 v2 LRI result and FHIR Bundle built for the EHR: find one by run, sample or accession, open it to see what was sent and what came back."
                </p>
            </div>
        </div>
        {move || view! { <SearchForm search=search.get() phi /> }}
        <Card title="Results" subtitle="Newest first. Open a message for its body, its input and every delivery attempt.">
            <Transition fallback=|| view! { <p class="px-6 py-6 text-sm text-slate-500">"Searching…"</p> }>
                {move || Suspend::new(async move {
                    let s = search.get_untracked();
                    match results.await {
                        Ok(page) if page.rows.is_empty() => view! {
                            <Empty text="No message matches this search." />
                        }.into_any(),
                        Ok(page) => {
                            let newer = page.newer.map(|id| s.href(Some(("after", id))));
                            let older = page.older.map(|id| s.href(Some(("before", id))));
                            let shown = page.rows.len();
                            view! {
                                <div class="overflow-x-auto">
                                    <table id="message-results" class="min-w-full divide-y divide-slate-100 text-sm">
                                        <thead class="bg-slate-50">
                                            <tr>
                                                <Th>"Control ID"</Th>
                                                <Th>"Flow"</Th>
                                                <Th>"Sample"</Th>
                                                <Th>"Destination"</Th>
                                                <Th>"Status"</Th>
                                                <Th>"Attempts"</Th>
                                                <Th>"Updated (UTC)"</Th>
                                                <Th>"Last error"</Th>
                                            </tr>
                                        </thead>
                                        <tbody class="divide-y divide-slate-100">
                                            {page.rows.into_iter().map(|m| {
                                                let href = format!("/messages/{}", m.id);
                                                let flow = if m.kind == "lri" { "VCF → LRI (MLLP)" } else { "VCF → FHIR" };
                                                let error = m.last_error.clone().unwrap_or_default();
                                                let title = error.clone();
                                                let held = m.held_by.clone().map(|by| format!("waiting behind {by}"));
                                                let destination = if m.destination == "none" { "none configured".to_string() } else { m.destination.clone() };
                                                view! {
                                                    <tr class="hover:bg-slate-50" data-message-id=m.id data-status=m.status.clone() data-sample=m.sample_id.clone()>
                                                        <td class="px-4 py-2 font-mono text-xs">
                                                            <a href=href class="font-medium text-sky-700 hover:underline">{m.control_id.clone()}</a>
                                                        </td>
                                                        <td class="px-4 py-2 whitespace-nowrap">{flow}</td>
                                                        <td class="px-4 py-2 font-mono">{m.sample_id.clone()}</td>
                                                        <td class="px-4 py-2 text-slate-600">{destination}</td>
                                                        <td class="px-4 py-2"><StatusBadge status=m.status.clone() /></td>
                                                        <td class="px-4 py-2 tabular-nums">{m.attempts}</td>
                                                        <td class="px-4 py-2 whitespace-nowrap text-slate-600">{short_time(&m.updated_at)}</td>
                                                        <td class="px-4 py-2 max-w-xs truncate text-red-700" title=title>
                                                            {held.map(|h| view! { <span class="block text-amber-700">{h}</span> })}
                                                            {error}
                                                        </td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <nav class="flex items-center justify-between border-t border-slate-100 px-6 py-3" aria-label="Pages" data-pager="">
                                    <p class="text-sm text-slate-500">{format!("{shown} on this page · newest first")}</p>
                                    <div class="flex gap-2">
                                        <PageLink href=newer label="← Newer" rel="prev" />
                                        <PageLink href=older label="Older →" rel="next" />
                                    </div>
                                </nav>
                            }.into_any()
                        }
                        Err(e) => view! {
                            <p role="alert" class="m-6 rounded-md bg-red-50 px-4 py-3 text-sm text-red-700">{e.to_string()}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </Card>
    }
}

#[component]
fn PageLink(href: Option<String>, label: &'static str, rel: &'static str) -> impl IntoView {
    match href {
        Some(href) => view! {
            <a href=href rel=rel data-page=rel class="rounded-md bg-white px-3 py-1 text-sm font-medium text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50">{label}</a>
        }.into_any(),
        None => view! {
            <span aria-disabled="true" class="rounded-md px-3 py-1 text-sm font-medium text-slate-300 ring-1 ring-inset ring-slate-200">{label}</span>
        }.into_any(),
    }
}

/// The search form: a plain GET form, so it works before hydration and its URL is the search.
#[component]
fn SearchForm(search: MessageSearch, phi: bool) -> impl IntoView {
    let input = "mt-1 block w-full rounded-md border-0 px-2.5 py-1.5 text-sm shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-sky-600";
    let label = "block text-xs font-medium text-slate-600";
    let field =
        move |name: &'static str, text: &'static str, value: String, placeholder: &'static str| {
            view! {
                <label class=label>
                    {text}
                    <input type="text" name=name value=value placeholder=placeholder class=input />
                </label>
            }
        };
    let select = move |name: &'static str,
                       text: &'static str,
                       value: String,
                       options: &'static [(&'static str, &'static str)]| {
        view! {
            <label class=label>
                {text}
                <select name=name class=input>
                    {options.iter().map(|(v, l)| view! { <option value=*v selected=value == *v>{*l}</option> }).collect_view()}
                </select>
            </label>
        }
    };
    let phi_fields = phi.then(|| {
        view! {
            <fieldset class="col-span-2 grid grid-cols-2 gap-3 rounded-md bg-amber-50 px-3 py-2 ring-1 ring-amber-200">
                <legend class="px-1 text-xs font-medium text-amber-800">"Patient (PHI: each search is recorded in the access log)"</legend>
                {field("mrn", "MRN", search.mrn.clone(), "e.g. SYN-730042")}
                {field("patient", "Patient name", search.patient.clone(), "family, or given family")}
            </fieldset>
        }
    });
    view! {
        <form method="get" action="/messages" id="message-search" role="search"
            class="grid grid-cols-6 gap-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
            {field("sample", "Sample", search.sample.clone(), "e.g. NB6TK328")}
            {field("accession", "Accession", search.accession.clone(), "e.g. ACC-1001")}
            {field("run", "Run", search.run.clone(), "run folder id")}
            {select("flow", "Flow", search.flow.clone(), &[("", "Any flow"), ("vcf-to-lri", "VCF → LRI (MLLP)"), ("vcf-to-fhir", "VCF → FHIR")])}
            {select("status", "Status", search.status.clone(), &[("", "Any status"), ("pending", "Pending"), ("delivered", "Delivered"), ("dead_letter", "Dead letter"), ("stored", "Stored, not sent"), ("replaced", "Replaced")])}
            {field("destination", "Destination", search.destination.clone(), "host:port or name")}
            <label class=label>
                "From (UTC)"
                <input type="date" name="from" value=search.from.clone() class=input />
            </label>
            <label class=label>
                "To (UTC)"
                <input type="date" name="to" value=search.to.clone() class=input />
            </label>
            {phi_fields}
            <div class="col-span-2 flex items-end justify-end gap-2">
                <a href="/messages" class="rounded-md px-3 py-1.5 text-sm font-medium text-slate-600 hover:bg-slate-100">"Clear"</a>
                <button type="submit" class="rounded-md bg-sky-700 px-4 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-sky-800 focus:outline-none focus:ring-2 focus:ring-sky-500">
                    "Search"
                </button>
            </div>
        </form>
    }
}
