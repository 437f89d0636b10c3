//! `/waiting`: reports built but never sent without their order. Keyset-paged, newest first, 25 a page
//! (`?before=ID` older, `?after=ID` newer).

use crate::api::lists::get_waiting_page;
use crate::components::{cursor_from_query, pager_of, Card, SignedIn, WaitingList};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn WaitingPage() -> impl IntoView {
    view! {
        <Title text="Waiting for an order · GenoBridge" />
        <SignedIn page=|_me, _csrf| view! { <List /> } />
    }
}

#[component]
fn List() -> impl IntoView {
    let cursor = cursor_from_query();
    let page = Resource::new(
        move || cursor.get(),
        |(before, after)| get_waiting_page(before, after),
    );
    view! {
        <Card title="Waiting for an order" subtitle="Reports are linked to their order by accession and sample, and never sent without one">
            <Transition fallback=|| view! { <p class="px-6 py-4 text-sm text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => {
                            let pager = pager_of("/waiting", &p);
                            view! { <WaitingList reports=p.rows /> {pager} }.into_any()
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
