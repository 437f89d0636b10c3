//! `/quarantine`: the inputs that could not be processed, with the reason. Keyset-paged, newest first, 25 a page
//! (`?before=ID` older, `?after=ID` newer).

use crate::api::lists::get_quarantine_page;
use crate::components::{cursor_from_query, pager_of, Card, QuarantineList, SignedIn};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn QuarantinePage() -> impl IntoView {
    view! {
        <Title text="Quarantine · GenoBridge" />
        <SignedIn page=|_me, _csrf| view! { <List /> } />
    }
}

#[component]
fn List() -> impl IntoView {
    let cursor = cursor_from_query();
    let page = Resource::new(
        move || cursor.get(),
        |(before, after)| get_quarantine_page(before, after),
    );
    view! {
        <Card title="Quarantine" subtitle="Inputs that could not be processed: the file, what it was, and why">
            <Transition fallback=|| view! { <p class="px-6 py-4 text-sm text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => {
                            let pager = pager_of("/quarantine", &p);
                            view! { <QuarantineList items=p.rows /> {pager} }.into_any()
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
