//! `/mappings`: every mapping with its source, its active version, its newest versions and
//! who is waiting on whom. `?source=` narrows it to one source (the `/sources` page's "map
//! this field" links here, with `&field=`).

use crate::api::mappings::get_mappings;
use crate::components::{Card, SignedIn, Th, VersionBadge};
use crate::model::mappings::MappingRow;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn MappingsPage() -> impl IntoView {
    view! {
        <Title text="Mappings · GenoBridge" />
        <SignedIn page=|_me, _csrf| view! { <MappingList /> } />
    }
}

#[component]
fn MappingList() -> impl IntoView {
    let query = use_query_map();
    let source = move || query.read().get("source").filter(|s| !s.is_empty());
    let field = move || query.read().get("field").filter(|s| !s.is_empty());
    let rows = Resource::new_blocking(source, get_mappings);
    view! {
        <div class="flex items-end justify-between gap-4">
            <div>
                <h1 class="text-xl font-semibold">"Mappings"</h1>
                <p class="mt-1 max-w-3xl text-sm text-slate-600">
                    "Which source field feeds which LIMS field or report component. A change is a new version: an engineer submits it, a director signs it, a director or admin activates it."
                </p>
            </div>
        </div>
        {move || source().map(|s| view! {
            <div id="source-filter" class="flex items-center justify-between gap-4 rounded-lg bg-sky-50 px-4 py-3 text-sm text-sky-900 ring-1 ring-sky-200">
                <p>
                    "Mappings that read " <code class="font-semibold">{s.clone()}</code>
                    {field().map(|f| view! {
                        ". To map " <code class="font-semibold">{f}</code>
                        ", open the mapping and create a new draft from it (export, edit, "
                        <code>"genobridge mapping import"</code> "); the visual editor is not built yet."
                    })}
                </p>
                <a href="/mappings" class="shrink-0 font-medium text-sky-800 underline">"Show all"</a>
            </div>
        })}
        <Card title="All mappings" subtitle="Newest versions first; the one in green runs now">
            <Suspense fallback=|| view! { <p class="px-6 py-6 text-sm text-slate-500">"Loading mappings…"</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(list) if list.is_empty() => view! { <NoMappings filtered=source().is_some() /> }.into_any(),
                        Ok(list) => view! { <Table rows=list /> }.into_any(),
                        Err(e) => view! {
                            <p role="alert" class="m-6 rounded-md bg-red-50 px-4 py-3 text-sm text-red-700">{e.to_string()}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </Card>
    }
}

#[component]
fn NoMappings(filtered: bool) -> impl IntoView {
    let text = if filtered {
        "No mapping reads this source yet. Start from a default: export one with genobridge mapping export, change its source and rules, and import it as a new draft."
    } else {
        "No mappings yet. A new database starts with the shipped defaults as active version 1; import one with genobridge mapping import FILE."
    };
    view! { <p id="no-mappings" class="px-6 py-10 text-center text-sm text-slate-500">{text}</p> }
}

#[component]
fn Table(rows: Vec<MappingRow>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto">
            <table id="mappings" class="min-w-full divide-y divide-slate-100 text-sm">
                <thead class="bg-slate-50">
                    <tr>
                        <Th>"Mapping"</Th>
                        <Th>"Kind"</Th>
                        <Th>"Source"</Th>
                        <Th>"Active"</Th>
                        <Th>"Newest versions"</Th>
                        <Th>"Waiting on"</Th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {rows.into_iter().map(|r| {
                        let href = format!("/mappings/{}", r.name);
                        view! {
                            <tr data-mapping=r.name.clone() class="hover:bg-slate-50">
                                <td class="px-4 py-3">
                                    <a href=href class="font-mono font-semibold text-sky-700 hover:underline focus:outline-none focus:ring-2 focus:ring-sky-500">{r.name.clone()}</a>
                                </td>
                                <td class="px-4 py-3 text-slate-600">{if r.kind == "report" { "Report (LRI + FHIR)" } else { "LIMS" }}</td>
                                <td class="px-4 py-3 font-mono text-xs">{r.source.clone()}</td>
                                <td class="px-4 py-3 tabular-nums">
                                    {match r.active {
                                        Some(v) => view! { <span class="font-medium">{format!("v{v}")}</span> }.into_any(),
                                        None => view! { <span class="text-slate-400">"none"</span> }.into_any(),
                                    }}
                                </td>
                                <td class="px-4 py-3">
                                    <div class="flex flex-wrap gap-1">
                                        {r.recent.into_iter().map(|v| view! { <VersionBadge version=v.version state=v.state /> }).collect_view()}
                                    </div>
                                </td>
                                <td class="px-4 py-3" data-testid="waiting">
                                    {match r.waiting {
                                        Some(w) => view! { <span class="font-medium text-amber-800">{w}</span> }.into_any(),
                                        None => view! { <span class="text-slate-400">"Nothing pending"</span> }.into_any(),
                                    }}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
