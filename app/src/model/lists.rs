//! A page of one of the console's lists (`/runs`, `/qc`, `/quarantine`, `/waiting`,
//! `/lims`), keyset-paged by id, newest first.

use serde::{Deserialize, Serialize};

/// Rows per page.
pub const PAGE_SIZE: i64 = 25;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// `?after=` cursor of the previous (newer) page, when there is one.
    pub newer: Option<i64>,
    /// `?before=` cursor of the next (older) page, when there is one.
    pub older: Option<i64>,
    /// Rows in the whole list.
    pub total: i64,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            rows: Vec::new(),
            newer: None,
            older: None,
            total: 0,
        }
    }
}

#[cfg(feature = "ssr")]
impl<T> Page<T> {
    /// A store page mapped row by row; the cursors are the first and last rows' ids.
    pub fn from_keyset<R: engine::store::Keyed>(
        p: engine::store::KeysetPage<R>,
        map: impl FnMut(R) -> T,
    ) -> Self {
        let newer = p.rows.first().filter(|_| p.newer).map(|r| r.key());
        let older = p.rows.last().filter(|_| p.older).map(|r| r.key());
        Page {
            rows: p.rows.into_iter().map(map).collect(),
            newer,
            older,
            total: p.total,
        }
    }
}
