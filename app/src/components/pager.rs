//! Previous and next links of a keyset-paged list, and where the page stands.

use crate::model::lists::Page;
use leptos::prelude::*;

#[component]
pub fn Pager(
    /// The page's path, e.g. `/runs`.
    path: &'static str,
    newer: Option<i64>,
    older: Option<i64>,
    /// Rows on this page, and in the whole list.
    shown: usize,
    total: i64,
) -> impl IntoView {
    let link = "rounded-md bg-white px-3 py-1 text-sm font-medium text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50";
    let off =
        "rounded-md px-3 py-1 text-sm font-medium text-slate-300 ring-1 ring-inset ring-slate-200";
    view! {
        <nav class="flex items-center justify-between border-t border-slate-100 px-6 py-3" aria-label="Pages" data-pager="">
            <p class="text-sm text-slate-500">{format!("{shown} on this page · {total} in all · newest first")}</p>
            <div class="flex gap-2">
                {match newer {
                    Some(id) => view! { <a href=format!("{path}?after={id}") rel="prev" class=link data-page="newer">"← Newer"</a> }.into_any(),
                    None => view! { <span class=off aria-disabled="true">"← Newer"</span> }.into_any(),
                }}
                {match older {
                    Some(id) => view! { <a href=format!("{path}?before={id}") rel="next" class=link data-page="older">"Older →"</a> }.into_any(),
                    None => view! { <span class=off aria-disabled="true">"Older →"</span> }.into_any(),
                }}
            </div>
        </nav>
    }
}

/// The page's cursors from the query string: `?before=ID` or `?after=ID`.
pub fn cursor_from_query() -> Memo<(Option<i64>, Option<i64>)> {
    let query = leptos_router::hooks::use_query_map();
    Memo::new(move |_| {
        query.with(|q| {
            let num = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
            (num("before"), num("after"))
        })
    })
}

/// `Pager` for a loaded page.
pub fn pager_of<T>(path: &'static str, page: &Page<T>) -> impl IntoView {
    view! { <Pager path newer=page.newer older=page.older shown=page.rows.len() total=page.total /> }
}

/// A list page's card: the page of rows the URL's cursor names, loaded by `load` (a list
/// server function), drawn by `rows`, with the pager under it.
#[component]
pub fn PagedCard<T, L, Fut, R, V>(
    title: &'static str,
    subtitle: &'static str,
    /// The page's path, for the pager's links.
    path: &'static str,
    load: L,
    rows: R,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    L: Fn(Option<i64>, Option<i64>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Page<T>, crate::error::AppError>> + Send + 'static,
    R: Fn(Vec<T>) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let cursor = cursor_from_query();
    let page = Resource::new(
        move || cursor.get(),
        move |(before, after)| load(before, after),
    );
    view! {
        <super::Card title subtitle>
            <Transition fallback=|| view! { <p class="px-6 py-4 text-sm text-slate-500">"Loading…"</p> }>
                {move || {
                    let rows = rows.clone();
                    Suspend::new(async move {
                        match page.await {
                            Ok(p) => {
                                let pager = pager_of(path, &p);
                                view! { {rows(p.rows)} {pager} }.into_any()
                            }
                            Err(e) => view! {
                                <p role="alert" class="px-6 py-4 text-sm text-red-700">{e.to_string()}</p>
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
        </super::Card>
    }
}
