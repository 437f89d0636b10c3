//! `/lims`: every document sent (or to be sent) to the LIMS, with its state, attempts, the
//! LIMS's last answer and, for a dead letter, a Reprocess button for operators. Keyset-paged,
//! newest first, 25 a page (`?before=ID` older, `?after=ID` newer); the dashboard's recent
//! errors link to `/lims?before=ID+1#delivery-ID`, the page that starts with that delivery.

use crate::api::lists::get_lims_page;
use crate::api::ReprocessLims;
use crate::components::{cursor_from_query, pager_of, Card, LimsTable, SignedIn};
use crate::model::Me;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LimsPage() -> impl IntoView {
    view! {
        <Title text="LIMS deliveries · GenoBridge" />
        <SignedIn page=|me, csrf| view! { <List me csrf /> } />
    }
}

#[component]
fn List(me: Me, csrf: String) -> impl IntoView {
    let cursor = cursor_from_query();
    let reprocess = ServerAction::<ReprocessLims>::new();
    // A reprocess reloads the page's rows at once.
    let page = Resource::new(
        move || (cursor.get(), reprocess.version().get()),
        |((before, after), _)| get_lims_page(before, after),
    );
    let can_reprocess = matches!(me.role.as_str(), "admin" | "engineer");
    view! {
        <Card title="LIMS deliveries" subtitle="Run and sample documents posted to the LIMS; dead letters keep the LIMS's answer">
            <Transition fallback=|| view! { <p class="px-6 py-4 text-sm text-slate-500">"Loading…"</p> }>
                {move || {
                    let csrf = csrf.clone();
                    Suspend::new(async move {
                        match page.await {
                            Ok(p) => {
                                let pager = pager_of("/lims", &p);
                                view! {
                                    <LimsTable deliveries=p.rows reprocess csrf can_reprocess />
                                    {pager}
                                }.into_any()
                            }
                            Err(e) => view! {
                                <p role="alert" class="px-6 py-4 text-sm text-red-700">{e.to_string()}</p>
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
        </Card>
    }
}
