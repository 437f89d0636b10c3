//! Audit queries for inspectors: by run, sample, accession, message, mapping version,
//! user, event kind and date range, each indexed, keyset-paged by event id. An export is the
//! same query walked to its end.

use super::{
    messages::{is_date_or_time, some, Bind, Filters},
    with_pool, AuditEvent, Db, Result, Store, StoreError,
};
use serde::{Deserialize, Serialize};

/// Most events one page may hold (an export walks pages of this size).
pub const MAX_AUDIT_PAGE: i64 = 1000;

/// Filters; empty fields do not filter. Dates are `YYYY-MM-DD` or RFC 3339 (UTC), both
/// inclusive.
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct AuditQuery {
    pub run: Option<String>,
    pub sample: Option<String>,
    /// Events whose detail names this accession (reports, orders, LIMS documents).
    pub accession: Option<String>,
    /// Events about one outbound message (its `message_id`).
    pub message: Option<i64>,
    /// A mapping version by its body SHA-256: the events of what it built, and of its
    /// workflow.
    pub mapping_sha256: Option<String>,
    /// A username (`user:<name>` as actor), or `system`.
    pub user: Option<String>,
    /// An event kind, e.g. `message.delivered`; a trailing `.` takes a family (`phi.`).
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Keyset cursors: events older than `before` (the next page, newest first), or newer
    /// than `after` (the previous page).
    pub before: Option<i64>,
    pub after: Option<i64>,
    /// Oldest first instead (what an export and a timeline of one sample read).
    pub oldest_first: bool,
    pub limit: Option<i64>,
}

/// One page of events, with the cursors of its neighbours.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// The id to pass as `after` (newest-first pages) for the page before this one.
    pub newer: Option<i64>,
    /// The id to pass as `before` for the page after this one.
    pub older: Option<i64>,
}

impl AuditQuery {
    /// Refuses a date that cannot match anything, naming the field.
    pub fn check(&self) -> std::result::Result<(), String> {
        for (field, v) in [("from", &self.from), ("to", &self.to)] {
            if let Some(v) = some(v).filter(|v| !is_date_or_time(v)) {
                return Err(format!(
                    "{field}: {v:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"
                ));
            }
        }
        if self.before.is_some() && self.after.is_some() {
            return Err("before: give before or after, not both".into());
        }
        Ok(())
    }
}

const COLUMNS: &str = "id, at, actor, action, subject_kind, subject_id, detail, prev_hash, hash";

impl Store {
    /// One page of events matching `q`, newest first unless `oldest_first`.
    pub async fn query_audit(&self, q: &AuditQuery) -> Result<AuditPage> {
        q.check().map_err(StoreError::Invalid)?;
        let pg = matches!(self.db(), Db::Postgres(_));
        // The detail is JSON text: each field read here has an expression index.
        let field = |name: &str| {
            if pg {
                format!("((detail::jsonb) ->> '{name}')")
            } else {
                format!("json_extract(detail, '$.{name}')")
            }
        };
        let mut f = Filters::default();
        let text = |v: &str| Bind::Text(v.to_string());
        if let Some(v) = some(&q.sample) {
            f.one("(subject_kind = 'sample' AND subject_id = ?)", text(v));
        }
        if let Some(v) = some(&q.run) {
            f.one("(subject_kind = 'run' AND subject_id = ?)", text(v));
        }
        if let Some(v) = some(&q.accession) {
            f.one(&format!("{} = ?", field("accession")), text(v));
        }
        if let Some(id) = q.message {
            // SQLite's json_extract gives the number; PostgreSQL's ->> gives text.
            if pg {
                f.one(
                    &format!("{} = ?", field("message_id")),
                    Bind::Text(id.to_string()),
                );
            } else {
                f.one(&format!("{} = ?", field("message_id")), Bind::Int(id));
            }
        }
        if let Some(v) = some(&q.mapping_sha256) {
            f.one(&format!("{} = ?", field("mapping_sha256")), text(v));
        }
        if let Some(v) = some(&q.user) {
            let actor = if v == "system" {
                v.to_string()
            } else {
                format!("user:{}", v.trim_start_matches("user:"))
            };
            f.one("actor = ?", Bind::Text(actor));
        }
        if let Some(v) = some(&q.action) {
            match v.strip_suffix('.') {
                // A family: every action from "phi." up to "phi/" ('/' follows '.').
                Some(family) => f.all(
                    "(action >= ? AND action < ?2)",
                    vec![text(&format!("{family}.")), text(&format!("{family}/"))],
                ),
                None => f.one("action = ?", text(v)),
            }
        }
        if let Some(v) = some(&q.from) {
            f.one("at >= ?", text(v));
        }
        if let Some(v) = some(&q.to) {
            f.one("at <= ?", Bind::Text(format!("{v}~")));
        }
        let newer_page = q.after.is_some();
        let ascending = q.oldest_first != newer_page;
        if let Some(id) = q.before {
            let op = if q.oldest_first { ">" } else { "<" };
            f.one(&format!("id {op} ?"), Bind::Int(id));
        }
        if let Some(id) = q.after {
            let op = if q.oldest_first { "<" } else { ">" };
            f.one(&format!("id {op} ?"), Bind::Int(id));
        }
        let size = q.limit.unwrap_or(50).clamp(1, MAX_AUDIT_PAGE);
        let filter = if f.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", f.clauses.join(" AND "))
        };
        let order = if ascending { "ASC" } else { "DESC" };
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events {filter} ORDER BY id {order} LIMIT {}",
            size + 1
        );
        let mut events: Vec<AuditEvent> = with_pool!(self, p => {
            let mut query = sqlx::query_as(&sql);
            for b in &f.binds {
                query = match b {
                    Bind::Text(s) => query.bind(s.clone()),
                    Bind::Int(i) => query.bind(*i),
                };
            }
            query.fetch_all(p).await?
        });
        let more = events.len() as i64 > size;
        events.truncate(size as usize);
        if newer_page {
            events.reverse();
        }
        let (first, last) = (events.first().map(|e| e.id), events.last().map(|e| e.id));
        let (newer, older) = if newer_page {
            (first.filter(|_| more), last)
        } else {
            (first.filter(|_| q.before.is_some()), last.filter(|_| more))
        };
        Ok(AuditPage {
            events,
            newer,
            older,
        })
    }

    /// Every event matching `q`, oldest first, page by page: what an export writes.
    pub async fn audit_all(&self, q: &AuditQuery) -> Result<Vec<AuditEvent>> {
        let mut q = AuditQuery {
            oldest_first: true,
            limit: Some(MAX_AUDIT_PAGE),
            before: None,
            after: None,
            ..q.clone()
        };
        let mut out = Vec::new();
        loop {
            let page = self.query_audit(&q).await?;
            out.extend(page.events);
            match page.older {
                Some(id) => q.before = Some(id),
                None => return Ok(out),
            }
        }
    }
}

impl Store {
    /// A sample's lineage as the audit trail tells it, oldest first: the runs that carried
    /// it (run completed, samples registered, LIMS documents), its order, report, messages,
    /// delivery attempts and answers, and who viewed it.
    pub async fn sample_lineage(&self, sample: &str) -> Result<Vec<AuditEvent>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events WHERE (subject_kind = 'sample' AND subject_id = $1) \
             OR (subject_kind = 'run' AND subject_id IN (SELECT ru.run_id FROM runs ru \
             JOIN run_samples rs ON rs.run_pk = ru.id WHERE rs.sample_id = $1)) ORDER BY id LIMIT 5000"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&sql).bind(sample).fetch_all(p).await?))
    }
}
