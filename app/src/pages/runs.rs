//! `/runs`: every completed sequencing run the watcher recorded. Keyset-paged, newest first, 25 a page
//! (`?before=ID` older, `?after=ID` newer).

use crate::api::lists::get_runs_page;
use crate::components::{cursor_from_query, pager_of, Card, RunsTable, SignedIn};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RunsPage() -> impl IntoView {
    view! {
        <Title text="Sequencing runs · GenoBridge" />
        <SignedIn page=|_me, _csrf| view! { <List /> } />
    }
}

#[component]
fn List() -> impl IntoView {
    let cursor = cursor_from_query();
    let page = Resource::new(
        move || cursor.get(),
        |(before, after)| get_runs_page(before, after),
    );
    view! {
        <Card title="Sequencing runs" subtitle="Completed run folders picked up by the watcher, with their sample counts">
            <Transition fallback=|| view! { <p class="px-6 py-4 text-sm text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => {
                            let pager = pager_of("/runs", &p);
                            view! { <RunsTable runs=p.rows /> {pager} }.into_any()
                        }
                        Err(e) => view! {
                            <p role="alert" class="px-6 py-4 text-sm text-red-700">{e.to_string()}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </Card>
    }
}
