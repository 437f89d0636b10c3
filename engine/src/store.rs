//! Storage: one `Store` over embedded SQLite (the default) or PostgreSQL (multi-node).
//!
//! Both back ends run the same SQL text: SQLite accepts `$1` placeholders too, and the
//! schemas in `migrations/` keep the column types compatible (TEXT, 64-bit integers).

mod alerts;
mod anchors;
mod audit;
mod audit_query;
mod flows;
mod instruments;
mod lims;
mod lists;
mod live;
mod lockout;
mod mappings;
mod messages;
mod orders;
mod outbox;
mod ownership;
mod pauses;
mod reports;
mod retention;
mod runs;
mod users;

pub use alerts::{flows_of_queue, AlertRow, ClaimedNotice, DestinationHealth, NoticeRow};
pub use anchors::AuditAnchor;
pub use audit::{AuditEvent, AuditVerification, NewAuditEvent};
pub use audit_query::{AuditPage, AuditQuery, MAX_AUDIT_PAGE};
pub use flows::{FlowStats, Latency, LATENCY_BUCKETS};
pub use instruments::{InstrumentFileRow, InstrumentFileSummary, NewInstrumentFile};
pub use lims::{now_ms, Attempt, ClaimedLims, LimsDeliveryRow, NewLimsDelivery};
pub use lists::{Cursor, Keyed, KeysetPage, MAX_LIST_PAGE};
pub use live::{
    age_seconds, last_minutes, rfc3339_of_ms, seconds_ago, FailureRow, LiveTotals, QueueHead,
};
pub use lockout::{lock_ms, LOCK_AFTER};
pub use mappings::{GoldenFailure, GoldenResult, GoldenSample, MappingVersion};
pub use messages::{
    kind_of_flow, AttemptRow, MessageDetail, MessagePage, MessageQuery, OrderIds, QueryError,
    ReportSource,
};
pub use orders::Order;
pub use outbox::{ClaimRule, ClaimedMessage, FhirDeliveryRow};
pub use ownership::Ownership;
pub use pauses::{FlowPause, PAUSABLE_FLOWS};
pub use reports::{MessageRow, NewMessage, NewReport, QuarantineRow, ReportRow};
pub use retention::Pruned;
pub use runs::RunRow;
pub use users::{Role, User};

use sqlx::{postgres::PgPoolOptions, sqlite::SqliteConnectOptions, PgPool, SqlitePool};
use std::str::FromStr;

/// Runs one expression against whichever pool the store holds; `$p` names the pool.
macro_rules! with_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.db {
            $crate::store::Db::Sqlite($p) => $body,
            $crate::store::Db::Postgres($p) => $body,
        }
    };
}
pub(crate) use with_pool;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite:// or postgres://")]
    UnsupportedUrl(String),
    #[error("{0}")]
    Invalid(String),
    /// A workflow rule refused the request (role, state, signature, golden samples).
    #[error("{0}")]
    Refused(#[from] crate::mapping::versions::Refused),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A cheap-to-clone handle on the database (the pools are reference-counted).
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
}

impl Store {
    /// Opens (creating if needed) the database at `url` and applies the migrations.
    pub async fn open(url: &str) -> Result<Self> {
        let db = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(std::time::Duration::from_secs(10))
                .foreign_keys(true);
            Db::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(opts)
                    .await?,
            )
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // A database that is gone must answer a source with an error within seconds
            // (an order gets AE, "send it again"), not hold it for sqlx's default 30 s.
            Db::Postgres(
                PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(std::time::Duration::from_secs(5))
                    .connect(url)
                    .await?,
            )
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let store = Store { db };
        store.migrate().await?;
        store.ensure_default_mappings().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite(p) => sqlx::migrate!("../migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("../migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// The pool, for the session store and for tests.
    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }
}

/// Timestamps are stored as RFC 3339 UTC text so both back ends sort them the same way.
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
