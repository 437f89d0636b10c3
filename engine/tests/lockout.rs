//! Sign-in lockout on SQLite and PostgreSQL: five failures lock a username for 30 s, each
//! further failure doubles the lock up to an hour, and a success clears the count.

mod common;

use common::TestDb;
use engine::store::{lock_ms, LOCK_AFTER};

#[test]
fn the_lock_grows_and_is_capped() {
    assert_eq!(LOCK_AFTER, 5);
    assert_eq!(
        (lock_ms(4), lock_ms(5), lock_ms(6), lock_ms(7)),
        (0, 30_000, 60_000, 120_000)
    );
    assert_eq!(lock_ms(40), 3_600_000);
}

#[tokio::test]
async fn five_failures_lock_and_a_success_clears() {
    for db in TestDb::both().await {
        let s = &db.store;
        let t = 1_000_000;
        for n in 1..LOCK_AFTER {
            assert_eq!(
                s.record_login_failure("dir1", t).await.unwrap(),
                (n, None),
                "{}",
                db.backend
            );
            assert_eq!(s.login_locked_until("dir1", t).await.unwrap(), None);
        }
        assert_eq!(
            s.record_login_failure("dir1", t).await.unwrap(),
            (5, Some(t + 30_000))
        );
        assert_eq!(
            s.login_locked_until("dir1", t + 29_999).await.unwrap(),
            Some(t + 30_000)
        );
        assert_eq!(
            s.login_locked_until("dir1", t + 30_000).await.unwrap(),
            None,
            "it ends"
        );
        // The next failure after it ends locks for twice as long.
        let later = t + 40_000;
        assert_eq!(
            s.record_login_failure("dir1", later).await.unwrap(),
            (6, Some(later + 60_000))
        );
        // Another username is untouched; a success clears the count.
        assert_eq!(s.login_locked_until("eng1", later).await.unwrap(), None);
        s.clear_login_failures("dir1").await.unwrap();
        assert_eq!(s.login_locked_until("dir1", later).await.unwrap(), None);
        assert_eq!(
            s.record_login_failure("dir1", later).await.unwrap(),
            (1, None)
        );
        db.cleanup().await;
    }
}
