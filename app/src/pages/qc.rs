//! `/qc`: every QC instrument export taken in, and what became of it. Keyset-paged, newest first, 25 a page
//! (`?before=ID` older, `?after=ID` newer).

use crate::api::lists::get_qc_page;
use crate::components::{cursor_from_query, pager_of, Card, QcTable, SignedIn};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn QcPage() -> impl IntoView {
    view! {
        <Title text="QC results · GenoBridge" />
        <SignedIn page=|_me, _csrf| view! { <List /> } />
    }
}

#[component]
fn List() -> impl IntoView {
    let cursor = cursor_from_query();
    let page = Resource::new(
        move || cursor.get(),
        |(before, after)| get_qc_page(before, after),
    );
    view! {
        <Card title="QC results" subtitle="qPCR, TapeStation, Fragment Analyzer, Qubit and configured exports from the QC folder">
            <Transition fallback=|| view! { <p class="px-6 py-4 text-sm text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => {
                            let pager = pager_of("/qc", &p);
                            view! { <QcTable files=p.rows /> {pager} }.into_any()
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
