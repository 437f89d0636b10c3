//! `/quarantine`: the inputs that could not be processed, with the reason. Keyset-paged, newest first, 25 a page
//! (`?before=ID` older, `?after=ID` newer).

use crate::api::lists::get_quarantine_page;
use crate::components::{PagedCard, QuarantineList, SignedIn};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn QuarantinePage() -> impl IntoView {
    view! {
        <Title text="Quarantine · GenoBridge" />
        <SignedIn page=|_me, _csrf| view! {
            <PagedCard
                title="Quarantine"
                subtitle="Inputs that could not be processed: the file, what it was, and why"
                path="/quarantine"
                load=get_quarantine_page
                rows=|items| view! { <QuarantineList items /> }
            />
        } />
    }
}
