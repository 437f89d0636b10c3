//! Which node scans the watched folders. On PostgreSQL N nodes share one database, and
//! exactly one of them at a time owns the folders: it holds a session-level advisory lock
//! on a connection of its own. PostgreSQL releases the lock when that connection ends, so
//! when the owner dies another node's next try takes over. SQLite has one node, which
//! always owns them.

use super::{Db, Result, Store};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

/// Held while this node owns what it was taken for; dropping it gives it up.
pub struct Ownership {
    conn: Option<PgConnection>,
}

impl Ownership {
    /// False once the connection holding the lock is gone (the database restarted, the
    /// network dropped): the lock went with it, and another node may own the folders now.
    pub async fn still_held(&mut self) -> bool {
        match &mut self.conn {
            None => true,
            Some(c) => sqlx::query("SELECT 1").execute(&mut *c).await.is_ok(),
        }
    }
}

/// The advisory lock's key for a name: the first 8 bytes of its SHA-256.
fn lock_key(name: &str) -> i64 {
    let h = Sha256::digest(format!("genobridge-owner-v1:{name}").as_bytes());
    i64::from_be_bytes(h[..8].try_into().expect("8 bytes"))
}

impl Store {
    /// Tries to own `name` (e.g. the watched folders); `None` while another node does.
    pub async fn try_own(&self, name: &str) -> Result<Option<Ownership>> {
        let pool = match self.db() {
            Db::Sqlite(_) => return Ok(Some(Ownership { conn: None })),
            Db::Postgres(p) => p,
        };
        let mut conn = pool.acquire().await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(lock_key(name))
            .fetch_one(&mut *conn)
            .await?;
        if !got {
            return Ok(None);
        }
        // Detached: the lock lives as long as this connection, which must never go back
        // to the pool, where another task could hold the lock without knowing it.
        Ok(Some(Ownership {
            conn: Some(conn.detach()),
        }))
    }
}
