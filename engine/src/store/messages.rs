//! The message browser's reads: a search over outbound messages by what an operator knows
//! (run, sample, accession, dates, flow, state, destination, and for roles allowed to see
//! PHI the patient's MRN or name), keyset-paged by id; one message in full with its
//! report, its order's identifiers and every delivery attempt; and the two ways to send it
//! again (resend as stored, or a rebuilt replacement that points at it).

use super::{reports::MESSAGE_COLUMNS, with_pool, MessageRow, Result, Store, StoreError};
use serde::{Deserialize, Serialize};

/// Most rows one page may hold.
pub const MAX_PAGE: i64 = 200;

/// A search. Empty fields do not filter; dates are `YYYY-MM-DD` or RFC 3339 (UTC), both
/// inclusive.
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct MessageQuery {
    pub run: Option<String>,
    pub sample: Option<String>,
    pub accession: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `vcf-to-lri` or `vcf-to-fhir`.
    pub flow: Option<String>,
    /// `pending`, `delivered`, `dead_letter`, `stored` or `replaced`.
    pub status: Option<String>,
    pub destination: Option<String>,
    /// PHI: the caller checks the role and audits the search.
    pub mrn: Option<String>,
    /// PHI: family name, or given and family name, any case.
    pub patient: Option<String>,
    /// Keyset cursor: messages older than this id (the next page).
    pub before: Option<i64>,
    /// Keyset cursor: messages newer than this id (the previous page).
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

/// Why a query was refused, naming the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct QueryError {
    pub field: &'static str,
    pub reason: String,
}

impl MessageQuery {
    /// True when the search names a patient: it needs a PHI role and is audited.
    pub fn searches_phi(&self) -> bool {
        some(&self.mrn).is_some() || some(&self.patient).is_some()
    }

    /// Refuses values that cannot match anything meaningful, naming the field.
    pub fn check(&self) -> std::result::Result<(), QueryError> {
        for (field, v) in [("from", &self.from), ("to", &self.to)] {
            if let Some(v) = some(v) {
                if !is_date_or_time(v) {
                    return Err(QueryError {
                        field,
                        reason: format!("{v:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"),
                    });
                }
            }
        }
        if let Some(f) = some(&self.flow) {
            if kind_of_flow(f).is_none() {
                return Err(QueryError {
                    field: "flow",
                    reason: format!("{f:?} is not a message flow (vcf-to-lri, vcf-to-fhir)"),
                });
            }
        }
        if let Some(s) = some(&self.status) {
            if !STATUSES.contains(&s) {
                return Err(QueryError {
                    field: "status",
                    reason: format!("{s:?} is not one of {}", STATUSES.join(", ")),
                });
            }
        }
        if self.before.is_some() && self.after.is_some() {
            return Err(QueryError {
                field: "before",
                reason: "give before or after, not both".into(),
            });
        }
        Ok(())
    }

    fn page_size(&self) -> i64 {
        self.limit.unwrap_or(25).clamp(1, MAX_PAGE)
    }
}

/// The states a message can be in.
pub const STATUSES: [&str; 5] = ["pending", "delivered", "dead_letter", "stored", "replaced"];

/// The message kind a flow sends.
pub fn kind_of_flow(flow: &str) -> Option<&'static str> {
    match flow {
        "vcf-to-lri" => Some("lri"),
        "vcf-to-fhir" => Some("fhir"),
        _ => None,
    }
}

/// A filter's value, trimmed; `None` when it is empty.
pub(super) fn some(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `YYYY-MM-DD` or an RFC 3339 time: what the searches' date bounds take.
pub(super) fn is_date_or_time(v: &str) -> bool {
    use time::format_description::well_known::Rfc3339;
    let date = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(v, &date).is_ok() || time::OffsetDateTime::parse(v, &Rfc3339).is_ok()
}

/// One page of results, newest first, with the cursors of its neighbours.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct MessagePage {
    pub rows: Vec<MessageRow>,
    /// `after` for the previous (newer) page; none on the first page.
    pub newer: Option<i64>,
    /// `before` for the next (older) page; none on the last page.
    pub older: Option<i64>,
}

/// One delivery attempt, as recorded when it ended.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct AttemptRow {
    pub attempt: i64,
    pub at: String,
    pub node: String,
    /// What the attempt left the message as: `pending` (to retry), `delivered`, `dead_letter`.
    pub status: String,
    pub ack_code: Option<String>,
    pub http_status: Option<i64>,
    pub error: Option<String>,
    /// The ACK as received, or the HTTP answer's body (cut to 4 KiB).
    pub answer: Option<String>,
}

/// A message in full. `body` holds PHI: whoever shows it audits the view, and it is never
/// serialised.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MessageDetail {
    pub row: MessageRow,
    /// Never serialised: it holds PHI, and only the console shows it (audited).
    #[serde(skip_serializing, default)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub body: String,
    pub created_at: String,
    pub idempotency_key: Option<String>,
    /// Set once retention emptied the body.
    pub pruned_at: Option<String>,
    pub last_status: Option<i64>,
    pub response_body: Option<String>,
    pub report: ReportSource,
    pub order: Option<OrderIds>,
    /// The message this one was rebuilt from, and the one that replaced it.
    pub reprocessed_from: Option<String>,
    pub replaced_by: Option<(i64, String)>,
    /// The report's other messages: id, kind, control id, status.
    pub siblings: Vec<(i64, String, String, String)>,
    pub attempts: Vec<AttemptRow>,
}

/// The input a message was built from.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct ReportSource {
    pub report_id: i64,
    pub source_file: String,
    pub source_sha256: String,
    pub accession: Option<String>,
    pub records_read: i64,
    pub variants_reported: i64,
    pub records_rejected: i64,
    pub created_at: String,
}

/// The order's identifiers, not the patient's (those are in the message body).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct OrderIds {
    pub accession: String,
    pub placer_number: String,
    pub filler_number: String,
    pub test_code: String,
    pub test_name: String,
    pub received_at: String,
}

/// A value bound to a search's SQL.
pub(super) enum Bind {
    Text(String),
    Int(i64),
}

/// A search's WHERE clauses and their values, numbered as they are added.
#[derive(Default)]
pub(super) struct Filters {
    pub(super) clauses: Vec<String>,
    pub(super) binds: Vec<Bind>,
}

impl Filters {
    /// A clause whose `?` is `v`.
    pub(super) fn one(&mut self, clause: &str, v: Bind) {
        self.all(clause, vec![v]);
    }

    /// A clause whose `?` is the first value, `?2` the second, and so on.
    pub(super) fn all(&mut self, clause: &str, values: Vec<Bind>) {
        let first = self.binds.len() + 1;
        let mut c = clause.to_string();
        for i in (2..=values.len()).rev() {
            c = c.replace(&format!("?{i}"), &format!("${}", first + i - 1));
        }
        self.clauses.push(c.replace('?', &format!("${first}")));
        self.binds.extend(values);
    }
}

impl Store {
    /// One page of a search, newest first.
    pub async fn search_messages(&self, q: &MessageQuery) -> Result<MessagePage> {
        q.check()
            .map_err(|e| StoreError::Invalid(format!("message search: {e}")))?;
        let mut f = Filters::default();
        if let Some(v) = some(&q.sample) {
            f.one("r.sample_id = ?", Bind::Text(v.into()));
        }
        if let Some(v) = some(&q.accession) {
            f.one("r.accession = ?", Bind::Text(v.into()));
        }
        if let Some(v) = some(&q.run) {
            f.one(
                "r.sample_id IN (SELECT rs.sample_id FROM run_samples rs JOIN runs ru ON ru.id = rs.run_pk WHERE ru.run_id = ?)",
                Bind::Text(v.into()),
            );
        }
        if let Some(v) = some(&q.from) {
            f.one("m.created_at >= ?", Bind::Text(v.into()));
        }
        if let Some(v) = some(&q.to) {
            // '~' sorts after every character of a time, so a bare date takes its whole day.
            f.one("m.created_at <= ?", Bind::Text(format!("{v}~")));
        }
        if let Some(k) = some(&q.flow).and_then(kind_of_flow) {
            f.one("m.kind = ?", Bind::Text(k.into()));
        }
        if let Some(v) = some(&q.status) {
            f.one("m.status = ?", Bind::Text(v.into()));
        }
        if let Some(v) = some(&q.destination) {
            f.one("m.destination = ?", Bind::Text(v.into()));
        }
        if let Some(v) = some(&q.mrn) {
            f.one(
                "r.order_pk IN (SELECT o.id FROM orders o WHERE o.patient_mrn = ?)",
                Bind::Text(v.into()),
            );
        }
        if let Some(v) = some(&q.patient) {
            // A family name, or given names then a family name; each branch uses the index
            // on LOWER(patient_family).
            match v.rsplit_once(' ') {
                None => f.one(
                    "r.order_pk IN (SELECT o.id FROM orders o WHERE LOWER(o.patient_family) = LOWER(?))",
                    Bind::Text(v.into()),
                ),
                Some((given, family)) => f.all(
                    "r.order_pk IN (SELECT o.id FROM orders o WHERE LOWER(o.patient_family) = LOWER(?) \
                     OR (LOWER(o.patient_family) = LOWER(?2) AND LOWER(o.patient_given) = LOWER(?3)))",
                    vec![
                        Bind::Text(v.into()),
                        Bind::Text(family.trim().into()),
                        Bind::Text(given.trim().into()),
                    ],
                ),
            }
        }
        let newer_page = q.after.is_some();
        if let Some(id) = q.before {
            f.one("m.id < ?", Bind::Int(id));
        }
        if let Some(id) = q.after {
            f.one("m.id > ?", Bind::Int(id));
        }
        let size = q.page_size();
        let order = if newer_page { "ASC" } else { "DESC" };
        let filter = if f.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", f.clauses.join(" AND "))
        };
        let binds = f.binds;
        // One extra row says whether there is a page beyond this one.
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN reports r ON r.id = m.report_pk \
             {filter} ORDER BY m.id {order} LIMIT {}",
            size + 1
        );
        let mut rows: Vec<MessageRow> = with_pool!(self, p => {
            let mut query = sqlx::query_as(&sql);
            for b in &binds {
                query = match b {
                    Bind::Text(s) => query.bind(s.clone()),
                    Bind::Int(i) => query.bind(*i),
                };
            }
            query.fetch_all(p).await?
        });
        let more = rows.len() as i64 > size;
        rows.truncate(size as usize);
        if newer_page {
            rows.reverse();
        }
        let (first, last) = (rows.first().map(|r| r.id), rows.last().map(|r| r.id));
        let (newer, older) = if newer_page {
            (first.filter(|_| more), last)
        } else {
            (first.filter(|_| q.before.is_some()), last.filter(|_| more))
        };
        Ok(MessagePage { rows, newer, older })
    }

    /// A message in full, or `None`.
    pub async fn message_detail(&self, id: i64) -> Result<Option<MessageDetail>> {
        let Some(row) = self.message(id).await? else {
            return Ok(None);
        };
        type Extra = (
            String,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<i64>,
        );
        let (body, created_at, idempotency_key, pruned_at, last_status, response_body, from): Extra =
            with_pool!(self, p => sqlx::query_as(
                "SELECT body, created_at, idempotency_key, pruned_at, last_status, response_body, reprocessed_from \
                 FROM messages WHERE id = $1")
                .bind(id).fetch_one(p).await?);
        let report: ReportSource = with_pool!(self, p => sqlx::query_as(
            "SELECT id AS report_id, source_file, source_sha256, accession, records_read, variants_reported, \
             records_rejected, created_at FROM reports WHERE id = $1")
            .bind(row.report_pk).fetch_one(p).await?);
        let order: Option<OrderIds> = with_pool!(self, p => sqlx::query_as(
            "SELECT o.accession, o.placer_number, o.filler_number, o.test_code, o.test_name, o.received_at \
             FROM orders o JOIN reports r ON r.order_pk = o.id WHERE r.id = $1")
            .bind(row.report_pk).fetch_optional(p).await?);
        let reprocessed_from: Option<String> = match from {
            Some(f) => {
                with_pool!(self, p => sqlx::query_scalar("SELECT control_id FROM messages WHERE id = $1")
                .bind(f).fetch_optional(p).await?)
            }
            None => None,
        };
        let replaced_by: Option<(i64, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, control_id FROM messages WHERE reprocessed_from = $1 ORDER BY id DESC LIMIT 1")
            .bind(id).fetch_optional(p).await?);
        let siblings = with_pool!(self, p => sqlx::query_as(
            "SELECT id, kind, control_id, status FROM messages WHERE report_pk = $1 AND id <> $2 ORDER BY id")
            .bind(row.report_pk).bind(id).fetch_all(p).await?);
        let attempts = self.message_attempts(id).await?;
        Ok(Some(MessageDetail {
            row,
            body,
            created_at,
            idempotency_key,
            pruned_at,
            last_status,
            response_body,
            report,
            order,
            reprocessed_from,
            replaced_by,
            siblings,
            attempts,
        }))
    }

    /// A message's delivery attempts, oldest first.
    pub async fn message_attempts(&self, id: i64) -> Result<Vec<AttemptRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT attempt, at, node, status, ack_code, http_status, error, answer FROM message_attempts \
             WHERE message_id = $1 ORDER BY id")
            .bind(id).fetch_all(p).await?))
    }

    /// Queues a delivered or dead-lettered message again exactly as stored: the same body,
    /// MSH-10 and idempotency key, so a receiver that has it drops the copy. Returns false
    /// when it cannot be resent (never sent anywhere, already queued, or its body pruned).
    pub async fn resend_message(&self, id: i64) -> Result<bool> {
        let now = super::now();
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE messages SET status = 'pending', attempts = 0, next_attempt_ms = 0, updated_at = $1 \
             WHERE id = $2 AND status IN ('delivered', 'dead_letter') AND idempotency_key IS NOT NULL \
             AND pruned_at IS NULL")
            .bind(&now).bind(id).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Marks a message as replaced by a rebuilt one, so it is neither sent nor holds the
    /// messages behind it. Returns false when it is queued or already replaced: a message
    /// on its way is not replaced under it.
    pub async fn mark_replaced(&self, id: i64) -> Result<bool> {
        let now = super::now();
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE messages SET status = 'replaced', updated_at = $1 \
             WHERE id = $2 AND status IN ('delivered', 'dead_letter', 'stored')")
            .bind(&now).bind(id).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// How many messages of a kind a report has, replaced ones included: the next
    /// replacement's number.
    pub async fn message_count(&self, report_pk: i64, kind: &str) -> Result<i64> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE report_pk = $1 AND kind = $2")
            .bind(report_pk).bind(kind).fetch_one(p).await?))
    }
}

impl Store {
    /// Records that `new_id` was rebuilt from `from_id`.
    pub async fn link_replacement(&self, new_id: i64, from_id: i64) -> Result<()> {
        with_pool!(self, p => sqlx::query("UPDATE messages SET reprocessed_from = $1 WHERE id = $2")
            .bind(from_id).bind(new_id).execute(p).await.map(|_| ())?);
        Ok(())
    }
}
