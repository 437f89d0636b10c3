//! `/`: the operations dashboard. Signed-out visitors are redirected to `/login` (a 302 during
//! SSR). After hydration the data refreshes every few seconds without a reload.

use crate::api::{get_dashboard, ReprocessLims, SetFlowPaused};
use crate::components::{
    stats, AlertBanner, AuditTable, Card, Filter, FlowsPanel, LimsTable, MessagesTable, QcTable,
    QuarantineList, RunsTable, SignedIn, WaitingList,
};
use crate::model::Me;
use leptos::prelude::*;
use leptos_meta::Title;
use std::time::Duration;

/// How often the hydrated page polls for fresh data.
const REFRESH: Duration = Duration::from_secs(3);

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard · GenoBridge" />
        <SignedIn page=|me, csrf| view! { <Console me csrf /> } />
    }
}

/// The data cards, inside the navigation shell.
#[component]
fn Console(me: Me, csrf: String) -> impl IntoView {
    let tick = RwSignal::new(0u64);
    let filter = RwSignal::new(Filter::All);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t += 1), REFRESH) {
            on_cleanup(move || handle.clear());
        }
    });
    let reprocess = ServerAction::<ReprocessLims>::new();
    let pause = ServerAction::<SetFlowPaused>::new();
    // A reprocess or a pause refreshes the data at once instead of at the next tick.
    let data = Resource::new(
        move || (tick.get(), reprocess.version().get(), pause.version().get()),
        |_| get_dashboard(),
    );
    let can_reprocess = matches!(me.role.as_str(), "admin" | "engineer");
    let lims_csrf = csrf.clone();
    view! {
            <p class="flex items-center gap-2 text-xs text-slate-500">
                <span class="inline-block h-2 w-2 rounded-full bg-emerald-500"></span>
                "Live: refreshes every few seconds"
            </p>
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading data…"</p> }>
                {move || {
                    let csrf = lims_csrf.clone();
                    let flow_csrf = lims_csrf.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(d) => {
                                let stats = stats(&d);
                                let audit = d.audit.map(|events| view! {
                                    <Card title="Audit trail" subtitle="Newest events first; each is hash-chained to the one before">
                                        <AuditTable events />
                                    </Card>
                                });
                                view! {
                                    <AlertBanner alerts=d.alerts />
                                    {stats}
                                    <Card title="Flows" subtitle="Outbound queues; a paused flow keeps queueing and sends nothing until it is resumed">
                                        <FlowsPanel flows=d.flows csrf=flow_csrf can_pause=can_reprocess pause />
                                    </Card>
                                    <Card title="Sequencing runs" subtitle="Completed run folders picked up by the watcher">
                                        <RunsTable runs=d.runs />
                                    </Card>
                                    <Card title="Messages" subtitle="HL7 v2 LRI and FHIR results sent towards the EHR">
                                        <MessagesTable messages=d.messages filter />
                                    </Card>
                                    <Card title="LIMS deliveries" subtitle="Run and sample documents posted to the LIMS; dead letters keep the LIMS's answer">
                                        <LimsTable deliveries=d.lims reprocess csrf can_reprocess />
                                    </Card>
                                    <Card title="QC results" subtitle="qPCR, TapeStation, Fragment Analyzer, Qubit and configured exports from the QC folder">
                                        <QcTable files=d.qc />
                                    </Card>
                                    <Card title="Waiting for an order" subtitle="Reports are linked to their order by accession and sample, and never sent without one">
                                        <WaitingList reports=d.waiting />
                                    </Card>
                                    <Card title="Quarantine" subtitle="Inputs that could not be processed">
                                        <QuarantineList items=d.quarantine />
                                    </Card>
                                    {audit}
                                }.into_any()
                            }
                            Err(e) => view! {
                                <p role="alert" class="rounded-md bg-red-50 px-4 py-3 text-sm text-red-700">
                                    {e.to_string()}
                                </p>
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
    }
}
