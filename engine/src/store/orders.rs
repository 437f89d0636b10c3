//! Orders received from the EHR. Reports take their patient and order fields from here.

use super::{with_pool, Result, Store};
use serde::{Deserialize, Serialize};

/// One order: synthetic patients only in demo data and tests.
#[derive(Clone, Debug, Default, Serialize, Deserialize, sqlx::FromRow)]
pub struct Order {
    #[serde(default)]
    pub id: i64,
    pub accession: String,
    pub sample_id: String,
    pub placer_number: String,
    pub filler_number: String,
    pub patient_mrn: String,
    pub patient_family: String,
    pub patient_given: String,
    /// YYYY-MM-DD
    pub birth_date: String,
    /// HL7 table 0001: F, M, O, U…
    pub sex: String,
    pub test_code: String,
    pub test_name: String,
    pub specimen_type: String,
    #[serde(default)]
    pub received_at: String,
}

const COLUMNS: &str =
    "id, accession, sample_id, placer_number, filler_number, patient_mrn, patient_family, \
    patient_given, birth_date, sex, test_code, test_name, specimen_type, received_at";

impl Store {
    /// Stores an order; a repeated accession replaces nothing and returns the existing id.
    pub async fn insert_order(&self, o: &Order) -> Result<i64> {
        let now = super::now();
        let inserted: Option<i64> = with_pool!(self, p => sqlx::query_scalar(
            "INSERT INTO orders (accession, sample_id, placer_number, filler_number, patient_mrn, patient_family, \
             patient_given, birth_date, sex, test_code, test_name, specimen_type, received_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT (accession) DO NOTHING RETURNING id")
            .bind(&o.accession).bind(&o.sample_id).bind(&o.placer_number).bind(&o.filler_number)
            .bind(&o.patient_mrn).bind(&o.patient_family).bind(&o.patient_given).bind(&o.birth_date)
            .bind(&o.sex).bind(&o.test_code).bind(&o.test_name).bind(&o.specimen_type).bind(&now)
            .fetch_optional(p).await?);
        match inserted {
            Some(id) => Ok(id),
            None => Ok(
                with_pool!(self, p => sqlx::query_scalar("SELECT id FROM orders WHERE accession = $1")
                .bind(&o.accession).fetch_one(p).await?),
            ),
        }
    }

    /// The order a report answers: its accession and its sample must both match, so a
    /// re-test of the same sample under a new accession never borrows the old order.
    pub async fn order_for(&self, accession: &str, sample_id: &str) -> Result<Option<Order>> {
        let sql = format!("SELECT {COLUMNS} FROM orders WHERE accession = $1 AND sample_id = $2");
        Ok(with_pool!(self, p => sqlx::query_as(&sql)
            .bind(accession).bind(sample_id).fetch_optional(p).await?))
    }

    /// The order a report is linked to.
    pub async fn order_of_report(&self, report_id: i64) -> Result<Option<Order>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM orders WHERE id = (SELECT order_pk FROM reports WHERE id = $1)"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&sql).bind(report_id).fetch_optional(p).await?))
    }
}
