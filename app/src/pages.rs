//! One module per route.

mod audit;
mod dashboard;
mod lims;
mod login;
mod mapping;
mod mappings;
mod message;
mod messages;
mod qc;
mod quarantine;
mod runs;
pub(crate) mod sources;
mod waiting;

pub use audit::AuditPage;
pub use dashboard::DashboardPage;
pub use lims::LimsPage;
pub use login::LoginPage;
pub use mapping::MappingPage;
pub use mappings::MappingsPage;
pub use message::MessagePage;
pub use messages::MessagesPage;
pub use qc::QcPage;
pub use quarantine::QuarantinePage;
pub use runs::RunsPage;
pub use sources::SourcesPage;
pub use waiting::WaitingPage;

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <div class="mx-auto max-w-md py-24 text-center">
            <p class="text-sm font-semibold text-sky-700">"404"</p>
            <h1 class="mt-2 text-2xl font-semibold">"Page not found"</h1>
            <a href="/" class="mt-6 inline-block text-sm font-medium text-sky-700 hover:underline">
                "Back to the dashboard"
            </a>
        </div>
    }
}
