//! `/sources`: the fields a LIMS mapping can read, per instrument format, with their types
//! and example values from the newest input of each format. For admins and engineers: it is
//! where a mapping's `from` paths are looked up.

use crate::api::get_sources;
use crate::components::{Empty, SignedIn, Th};
use crate::model::SourceSchema;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SourcesPage() -> impl IntoView {
    view! {
        <Title text="Source fields · GenoBridge" />
        <SignedIn page=|_me, _csrf| view! { <Sources /> } />
    }
}

#[component]
fn Sources() -> impl IntoView {
    let sources = Resource::new_blocking(|| (), |_| get_sources());
    view! {
            <p class="text-sm text-slate-600">
                "Paths a mapping's " <code>"from"</code> " can name: dots between keys, "
                <code>"[]"</code> " for each element of a list. Examples are from the newest input of each format."
            </p>
            <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match sources.await {
                        Ok(list) if list.is_empty() => view! {
                            <Empty text="No input has been taken in yet: source fields appear once a run or QC export is recorded." />
                        }.into_any(),
                        Ok(list) => list.into_iter().map(|s| view! { <SourceCard source=s /> }).collect_view().into_any(),
                        Err(e) => view! {
                            <p role="alert" class="rounded-md bg-red-50 px-4 py-3 text-sm text-red-700">{e.to_string()}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
    }
}

#[component]
fn SourceCard(source: SourceSchema) -> impl IntoView {
    let SourceSchema {
        format,
        example_from,
        fields,
    } = source;
    let id = format.clone();
    let mappings_href = format!("/mappings?source={}", url_part(&format));
    let row_format = format.clone();
    view! {
        <section class="overflow-hidden rounded-lg bg-white shadow-sm ring-1 ring-slate-200" data-format=id>
            <div class="flex items-start justify-between gap-4 border-b border-slate-100 px-6 py-4">
                <div>
                    <h2 class="font-mono text-base font-semibold">{format}</h2>
                    <p class="text-sm text-slate-500">{format!("{} fields; examples from {example_from}", fields.len())}</p>
                </div>
                <a href=mappings_href data-testid="map-source" class="shrink-0 rounded-md bg-white px-3 py-1.5 text-sm font-medium text-sky-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-sky-500">
                    "Mappings that read this source →"
                </a>
            </div>
            <div class="overflow-x-auto">
                <table class="min-w-full divide-y divide-slate-100 text-sm">
                    <thead class="bg-slate-50">
                        <tr><Th>"Path"</Th><Th>"Type"</Th><Th>"Example"</Th><Th>""</Th></tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">
                        {fields.into_iter().map(|f| {
                            let path = f.path.clone();
                            let href = format!("/mappings?source={}&field={}", url_part(&row_format), url_part(&f.path));
                            view! {
                            <tr data-path=path>
                                <td class="px-4 py-1.5 font-mono text-xs">{f.path}</td>
                                <td class="px-4 py-1.5 text-slate-600">{f.ty}</td>
                                <td class="px-4 py-1.5 font-mono text-xs text-slate-700">{f.example}</td>
                                <td class="px-4 py-1.5 text-right">
                                    <a href=href class="whitespace-nowrap text-xs font-medium text-sky-700 hover:underline focus:outline-none focus:ring-2 focus:ring-sky-500">
                                        "Map this field"
                                    </a>
                                </td>
                            </tr>
                        }}).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// Percent-encodes a query-string value (paths hold `[]`, formats hold `-`).
pub fn url_part(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
