//! The console's list pages (runs, QC files, quarantine, reports waiting for an order,
//! LIMS deliveries), keyset-paged by id, newest first: `before` gives the next (older)
//! page, `after` the previous (newer) one. A row arriving meanwhile does not shift a page.

use super::{
    with_pool, InstrumentFileSummary, LimsDeliveryRow, QuarantineRow, ReportRow, Result, RunRow,
    Store,
};
use sqlx::{postgres::PgRow, sqlite::SqliteRow, FromRow};

/// Most rows one page may hold.
pub const MAX_LIST_PAGE: i64 = 200;

/// Where a page starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Rows older than this id (the next page).
    pub before: Option<i64>,
    /// Rows newer than this id (the previous page).
    pub after: Option<i64>,
    pub limit: i64,
}

/// One page, newest first, and whether there is more on either side.
#[derive(Clone, Debug, PartialEq)]
pub struct KeysetPage<T> {
    pub rows: Vec<T>,
    pub newer: bool,
    pub older: bool,
    /// Rows in the whole list.
    pub total: i64,
}

/// A row's key: its id.
pub trait Keyed {
    fn key(&self) -> i64;
}

macro_rules! keyed {
    ($($t:ty),*) => { $(impl Keyed for $t { fn key(&self) -> i64 { self.id } })* };
}
keyed!(
    RunRow,
    InstrumentFileSummary,
    QuarantineRow,
    ReportRow,
    LimsDeliveryRow
);

impl Store {
    /// Completed runs with their sample counts.
    pub async fn runs_page(&self, c: Cursor) -> Result<KeysetPage<RunRow>> {
        self.keyset(
            "SELECT r.id, r.run_id, r.flowcell, r.instrument, r.platform, r.status, r.detected_at, \
             (SELECT COUNT(*) FROM run_samples s WHERE s.run_pk = r.id) AS sample_count",
            "FROM runs r WHERE 1 = 1",
            "r.id",
            c,
        )
        .await
    }

    /// QC exports (and other instrument files), without their record trees.
    pub async fn qc_page(&self, c: Cursor) -> Result<KeysetPage<InstrumentFileSummary>> {
        self.keyset(
            "SELECT id, path, connector, status, warnings_json, quarantine_id, created_at",
            "FROM instrument_files WHERE 1 = 1",
            "id",
            c,
        )
        .await
    }

    pub async fn quarantine_page(&self, c: Cursor) -> Result<KeysetPage<QuarantineRow>> {
        self.keyset(
            "SELECT id, source, kind, reason, created_at",
            "FROM quarantine WHERE 1 = 1",
            "id",
            c,
        )
        .await
    }

    /// Reports in `needs_order`.
    pub async fn waiting_page(&self, c: Cursor) -> Result<KeysetPage<ReportRow>> {
        self.keyset(
            "SELECT id, sample_id, accession, source_file, status, records_read, variants_reported, \
             records_rejected, created_at",
            "FROM reports WHERE status = 'needs_order'",
            "id",
            c,
        )
        .await
    }

    /// LIMS deliveries, without their documents.
    pub async fn lims_page(&self, c: Cursor) -> Result<KeysetPage<LimsDeliveryRow>> {
        self.keyset(
            "SELECT id, idempotency_key, source_kind, run_id, sample_id, mapping, destination, status, \
             attempts, last_status, last_error, response_body, created_at, updated_at, mapping_sha256",
            "FROM lims_deliveries WHERE 1 = 1",
            "id",
            c,
        )
        .await
    }

    /// `select` and `from` (ending in a WHERE clause) are constants of this module; only
    /// the cursor comes from a user, and it is bound.
    async fn keyset<T>(
        &self,
        select: &str,
        from: &str,
        id: &str,
        c: Cursor,
    ) -> Result<KeysetPage<T>>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Keyed + Send + Unpin,
    {
        let limit = c.limit.clamp(1, MAX_LIST_PAGE);
        let (sql, bound) = match (c.after, c.before) {
            (Some(after), _) => (
                format!("{select} {from} AND {id} > $1 ORDER BY {id} ASC LIMIT $2"),
                after,
            ),
            (None, before) => (
                format!("{select} {from} AND {id} < $1 ORDER BY {id} DESC LIMIT $2"),
                before.unwrap_or(i64::MAX),
            ),
        };
        let mut rows: Vec<T> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(bound).bind(limit).fetch_all(p).await?);
        if c.after.is_some() {
            rows.reverse();
        }
        let exists = |op: &'static str, key: i64| {
            let sql =
                format!("SELECT COUNT(*) FROM (SELECT 1 {from} AND {id} {op} $1 LIMIT 1) AS x");
            async move {
                let n: i64 =
                    with_pool!(self, p => sqlx::query_scalar(&sql).bind(key).fetch_one(p).await?);
                Ok::<bool, super::StoreError>(n > 0)
            }
        };
        let (newer, older) = match (rows.first(), rows.last()) {
            (Some(first), Some(last)) => (
                exists(">", first.key()).await?,
                exists("<", last.key()).await?,
            ),
            // An empty page: past either end of the list.
            _ => (c.before.is_some(), c.after.is_some()),
        };
        let total_sql = format!("SELECT COUNT(*) {from}");
        let total: i64 = with_pool!(self, p => sqlx::query_scalar(&total_sql).fetch_one(p).await?);
        Ok(KeysetPage {
            rows,
            newer,
            older,
            total,
        })
    }
}
