//! Server functions of the live dashboard's first paint and of the paged list pages
//! (`/runs`, `/qc`, `/quarantine`, `/waiting`, `/lims`). All read-only, for every signed-in
//! role; the LIMS reprocess button stays `reprocess_lims`.

use crate::error::AppError;
use crate::model::lists::Page;
use crate::model::live::LiveSnapshot;
use crate::model::{LimsDelivery, QcFile, Quarantined, Run, WaitingReport};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::auth;

/// The dashboard's snapshot, for the server-rendered first paint; after hydration the page
/// follows `GET /api/live` (server-sent events).
#[server(endpoint = "live_snapshot")]
pub async fn get_live() -> Result<LiveSnapshot, AppError> {
    use engine::store::Role;
    let (user, _session, store) = auth::require_role(&Role::ALL).await?;
    let rules = use_context::<crate::model::DeliveryRules>().unwrap_or_default();
    let snapshot = crate::live::snapshot(&store, &rules)
        .await
        .map_err(auth::internal)?;
    Ok(crate::live::for_role(snapshot, &user.role))
}

#[cfg(feature = "ssr")]
fn cursor(before: Option<i64>, after: Option<i64>) -> engine::store::Cursor {
    engine::store::Cursor {
        before,
        after,
        limit: crate::model::lists::PAGE_SIZE,
    }
}

#[server(endpoint = "runs_page")]
pub async fn get_runs_page(before: Option<i64>, after: Option<i64>) -> Result<Page<Run>, AppError> {
    use engine::store::Role;
    let (_user, _session, store) = auth::require_role(&Role::ALL).await?;
    let page = store
        .runs_page(cursor(before, after))
        .await
        .map_err(auth::internal)?;
    Ok(Page::from_keyset(page, |r| Run {
        run_id: r.run_id,
        flowcell: r.flowcell,
        instrument: r.instrument,
        platform: r.platform,
        sample_count: r.sample_count,
        detected_at: r.detected_at,
    }))
}

#[server(endpoint = "qc_page")]
pub async fn get_qc_page(
    before: Option<i64>,
    after: Option<i64>,
) -> Result<Page<QcFile>, AppError> {
    use engine::store::Role;
    let (_user, _session, store) = auth::require_role(&Role::ALL).await?;
    let page = store
        .qc_page(cursor(before, after))
        .await
        .map_err(auth::internal)?;
    Ok(Page::from_keyset(page, QcFile::from_row))
}

#[server(endpoint = "quarantine_page")]
pub async fn get_quarantine_page(
    before: Option<i64>,
    after: Option<i64>,
) -> Result<Page<Quarantined>, AppError> {
    use engine::store::Role;
    let (_user, _session, store) = auth::require_role(&Role::ALL).await?;
    let page = store
        .quarantine_page(cursor(before, after))
        .await
        .map_err(auth::internal)?;
    Ok(Page::from_keyset(page, |q| Quarantined {
        id: q.id,
        source: q.source,
        kind: q.kind,
        reason: q.reason,
        created_at: q.created_at,
    }))
}

/// Reports built but waiting for their order (`needs_order`).
#[server(endpoint = "waiting_page")]
pub async fn get_waiting_page(
    before: Option<i64>,
    after: Option<i64>,
) -> Result<Page<WaitingReport>, AppError> {
    use engine::store::Role;
    let (_user, _session, store) = auth::require_role(&Role::ALL).await?;
    let page = store
        .waiting_page(cursor(before, after))
        .await
        .map_err(auth::internal)?;
    Ok(Page::from_keyset(page, |r| WaitingReport {
        id: r.id,
        sample_id: r.sample_id,
        accession: r.accession,
        source_file: crate::model::file_name(&r.source_file),
        variants_reported: r.variants_reported,
        created_at: r.created_at,
    }))
}

#[server(endpoint = "lims_page")]
pub async fn get_lims_page(
    before: Option<i64>,
    after: Option<i64>,
) -> Result<Page<LimsDelivery>, AppError> {
    use engine::store::Role;
    let (_user, _session, store) = auth::require_role(&Role::ALL).await?;
    let page = store
        .lims_page(cursor(before, after))
        .await
        .map_err(auth::internal)?;
    Ok(Page::from_keyset(page, |d| LimsDelivery {
        id: d.id,
        run_id: d.run_id,
        sample_id: d.sample_id,
        mapping: d.mapping,
        destination: d.destination,
        status: d.status,
        attempts: d.attempts,
        last_status: d.last_status,
        last_error: d.last_error,
        response_body: d.response_body,
        updated_at: d.updated_at,
    }))
}
