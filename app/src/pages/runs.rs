//! `/runs`: every completed sequencing run the watcher recorded. Keyset-paged, newest first, 25 a page
//! (`?before=ID` older, `?after=ID` newer).

use crate::api::lists::get_runs_page;
use crate::components::{PagedCard, RunsTable, SignedIn};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RunsPage() -> impl IntoView {
    view! {
        <Title text="Sequencing runs · GenoBridge" />
        <SignedIn page=|_me, _csrf| view! {
            <PagedCard
                title="Sequencing runs"
                subtitle="Completed run folders picked up by the watcher, with their sample counts"
                path="/runs"
                load=get_runs_page
                rows=|runs| view! { <RunsTable runs /> }
            />
        } />
    }
}
