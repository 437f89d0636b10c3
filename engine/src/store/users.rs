//! Users and roles. Passwords are stored as argon2id PHC strings only.

use super::{with_pool, Result, Store, StoreError};
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Engineer,
    Director,
    Inspector,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Engineer, Role::Director, Role::Inspector];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Engineer => "engineer",
            Role::Director => "director",
            Role::Inspector => "inspector",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    password_hash: String,
    role: String,
}

/// argon2id with the crate's defaults (19 MiB, 2 passes), which follow OWASP's advice.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("password hashing failed: {e}")))
}

impl Store {
    pub async fn create_user(&self, username: &str, password: &str, role: Role) -> Result<i64> {
        let hash = hash_password(password)?;
        let now = super::now();
        let id: i64 = with_pool!(self, p => sqlx::query_scalar(
            "INSERT INTO users (username, password_hash, role, created_at, full_name) VALUES ($1, $2, $3, $4, $1) RETURNING id")
            .bind(username).bind(&hash).bind(role.as_str()).bind(&now)
            .fetch_one(p).await?);
        Ok(id)
    }

    pub async fn user_count(&self) -> Result<i64> {
        Ok(
            with_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await?),
        )
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        let row: Option<UserRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, username, password_hash, role FROM users WHERE id = $1")
            .bind(id).fetch_optional(p).await?);
        Ok(row.and_then(|r| {
            Role::parse(&r.role).map(|role| User {
                id: r.id,
                username: r.username,
                role,
            })
        }))
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let row: Option<UserRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, username, password_hash, role FROM users WHERE username = $1")
            .bind(username).fetch_optional(p).await?);
        Ok(row.and_then(|r| {
            Role::parse(&r.role).map(|role| User {
                id: r.id,
                username: r.username,
                role,
            })
        }))
    }

    /// Checks a password. A missing user still costs one hash, so timing does not reveal
    /// which usernames exist.
    pub async fn verify_login(&self, username: &str, password: &str) -> Result<Option<User>> {
        let row: Option<UserRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, username, password_hash, role FROM users WHERE username = $1")
            .bind(username).fetch_optional(p).await?);
        let Some(row) = row else {
            let _ = hash_password(password);
            return Ok(None);
        };
        let parsed = PasswordHash::new(&row.password_hash)
            .map_err(|e| StoreError::Invalid(format!("stored hash for user {}: {e}", row.id)))?;
        if Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_err()
        {
            return Ok(None);
        }
        Ok(Role::parse(&row.role).map(|role| User {
            id: row.id,
            username: row.username,
            role,
        }))
    }
}
