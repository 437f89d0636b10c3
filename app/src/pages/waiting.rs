//! `/waiting`: reports built but never sent without their order. Keyset-paged, newest first, 25 a page
//! (`?before=ID` older, `?after=ID` newer).

use crate::api::lists::get_waiting_page;
use crate::components::{PagedCard, SignedIn, WaitingList};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn WaitingPage() -> impl IntoView {
    view! {
        <Title text="Waiting for an order · GenoBridge" />
        <SignedIn page=|_me, _csrf| view! {
            <PagedCard
                title="Waiting for an order"
                subtitle="Reports are linked to their order by accession and sample, and never sent without one"
                path="/waiting"
                load=get_waiting_page
                rows=|reports| view! { <WaitingList reports /> }
            />
        } />
    }
}
