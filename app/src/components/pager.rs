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
