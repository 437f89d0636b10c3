//! `/qc`: every QC instrument export taken in, and what became of it. Keyset-paged, newest first, 25 a page
//! (`?before=ID` older, `?after=ID` newer).

use crate::api::lists::get_qc_page;
use crate::components::{PagedCard, QcTable, SignedIn};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn QcPage() -> impl IntoView {
    view! {
        <Title text="QC results · GenoBridge" />
        <SignedIn page=|_me, _csrf| view! {
            <PagedCard
                title="QC results"
                subtitle="qPCR, TapeStation, Fragment Analyzer, Qubit and configured exports from the QC folder"
                path="/qc"
                load=get_qc_page
                rows=|files| view! { <QcTable files /> }
            />
        } />
    }
}
