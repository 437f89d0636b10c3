//! Sign-in lockout: after [`LOCK_AFTER`] consecutive failures a username is locked for
//! 30 s, doubling with each further failure up to an hour. Kept in the database, so every
//! node and a restart see the same lock; a username that does not exist locks the same way,
//! so a lock tells nothing about which accounts exist.

use super::{with_pool, Result, Store};

/// Failures before the first lock.
pub const LOCK_AFTER: i64 = 5;
const FIRST_LOCK_MS: i64 = 30_000;
const LONGEST_LOCK_MS: i64 = 3_600_000;

/// How long the lock after `failures` consecutive failures lasts (0: none yet).
pub fn lock_ms(failures: i64) -> i64 {
    if failures < LOCK_AFTER {
        return 0;
    }
    let doublings = (failures - LOCK_AFTER).min(20) as u32;
    FIRST_LOCK_MS
        .saturating_mul(1i64 << doublings)
        .min(LONGEST_LOCK_MS)
}

impl Store {
    /// When the username's lock ends (Unix ms), if it is locked at `now_ms`.
    pub async fn login_locked_until(&self, username: &str, now_ms: i64) -> Result<Option<i64>> {
        let until: Option<i64> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT locked_until_ms FROM login_failures WHERE username = $1")
            .bind(username).fetch_optional(p).await?);
        Ok(until.filter(|u| *u > now_ms))
    }

    /// Counts a failed sign-in; returns the consecutive failures and, when this failure
    /// locks the username, until when.
    pub async fn record_login_failure(
        &self,
        username: &str,
        now_ms: i64,
    ) -> Result<(i64, Option<i64>)> {
        let now = super::now();
        let failures: i64 = with_pool!(self, p => sqlx::query_scalar(
            "INSERT INTO login_failures (username, failures, locked_until_ms, updated_at) VALUES ($1, 1, 0, $2) \
             ON CONFLICT (username) DO UPDATE SET failures = login_failures.failures + 1, updated_at = $2 \
             RETURNING failures")
            .bind(username).bind(&now).fetch_one(p).await?);
        let lock = lock_ms(failures);
        if lock == 0 {
            return Ok((failures, None));
        }
        let until = now_ms + lock;
        with_pool!(self, p => sqlx::query(
            "UPDATE login_failures SET locked_until_ms = $1 WHERE username = $2")
            .bind(until).bind(username).execute(p).await.map(|_| ())?);
        Ok((failures, Some(until)))
    }

    /// A successful sign-in ends the count.
    pub async fn clear_login_failures(&self, username: &str) -> Result<()> {
        with_pool!(self, p => sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(username).execute(p).await.map(|_| ())?);
        Ok(())
    }
}
