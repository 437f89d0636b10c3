//! Server-side sessions in the application's own database (SQLite or PostgreSQL), so a
//! restart or a second node keeps users signed in and a signed-out id is dead everywhere.

use axum::Router;
use engine::store::{Db, Store};
use std::net::SocketAddr;
use tower_sessions::{
    cookie::{time::Duration, SameSite},
    session_store::ExpiredDeletion,
    Expiry, SessionManagerLayer, SessionStore,
};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// Name of the session cookie.
pub const COOKIE: &str = "genobridge_session";
/// A session ends after this long without a request (a lab shift).
const IDLE_HOURS: i64 = 8;
/// How often expired sessions are purged from the database.
const PURGE_SECS: u64 = 15 * 60;

/// Wraps `app` in a session layer backed by the store's database.
pub async fn layer(app: Router, store: &Store, listen: SocketAddr) -> std::io::Result<Router> {
    // Plain http is only acceptable on loopback; anywhere else a TLS proxy must sit in front,
    // so the cookie is marked Secure.
    let secure = !listen.ip().is_loopback();
    Ok(match store.db() {
        Db::Sqlite(pool) => {
            let s = SqliteStore::new(pool.clone());
            s.migrate().await.map_err(std::io::Error::other)?;
            with_store(app, s, secure)
        }
        Db::Postgres(pool) => {
            let s = PostgresStore::new(pool.clone());
            s.migrate().await.map_err(std::io::Error::other)?;
            with_store(app, s, secure)
        }
    })
}

fn with_store<S>(app: Router, store: S, secure: bool) -> Router
where
    S: SessionStore + ExpiredDeletion + Clone,
{
    tokio::spawn(
        store
            .clone()
            .continuously_delete_expired(tokio::time::Duration::from_secs(PURGE_SECS)),
    );
    app.layer(
        SessionManagerLayer::new(store)
            .with_name(COOKIE)
            .with_http_only(true)
            .with_same_site(SameSite::Strict)
            .with_secure(secure)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(Duration::hours(IDLE_HOURS))),
    )
}
