//! Sign-in lockout through the real binary, on SQLite and PostgreSQL: five wrong passwords
//! lock the username, so the sixth attempt is refused (429) even with the right password,
//! without a password being tried; the lock and the refusal are audited; other users sign
//! in as before; an unknown username locks the same way (a lock tells nothing about which
//! accounts exist).

mod common;

use common::{
    fleet::{start_receiver, start_seen, test_dir, write_config, Ports, TestDatabase},
    web::{passwords, sign_in},
};

/// One sign-in attempt as the hydrated page makes it: the status and the body.
async fn attempt(http: &reqwest::Client, base: &str, user: &str, password: &str) -> (u16, String) {
    let login = http
        .get(format!("{base}/login"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = login.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let r = http
        .post(format!("{base}/api/login"))
        .header("Origin", base)
        .header("Cookie", &cookie)
        .form(&[
            ("username", user),
            ("password", password),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn five_failures_lock_a_username_and_it_is_audited() {
    for backend in ["sqlite", "postgres"] {
        let dir = test_dir();
        let root = dir.path();
        let db = TestDatabase::new(backend, root, "lockout").await;
        let (_ehr, ehr_port) = start_receiver(root, 0, &[]);
        let ports = Ports::new(ehr_port);
        let config = write_config(root, &db.url, &ports, "node", "", "");
        let (_proc, _out, seen) = start_seen(root, &config, "node");
        let pw = passwords(&seen);
        let base = format!("http://127.0.0.1:{}", ports.web);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();

        for _ in 0..5 {
            assert_eq!(
                attempt(&http, &base, "director", "wrong").await.0,
                401,
                "{backend}"
            );
        }
        let (status, body) = attempt(&http, &base, "director", &pw["director"]).await;
        assert_eq!(
            status, 429,
            "{backend}: locked even with the right password: {body}"
        );
        // The page shows the error's words: "too many failed sign-ins: try again in 30 s".
        let locked: serde_json::Value = serde_json::from_str(&body).unwrap();
        let wait = locked["Locked"]
            .as_i64()
            .unwrap_or_else(|| panic!("{body}"));
        assert!((1..=30).contains(&wait), "{body}");
        // Others are not locked out.
        sign_in(&http, &base, "engineer", &pw["engineer"]).await;
        // An unknown username locks the same way.
        for _ in 0..5 {
            assert_eq!(attempt(&http, &base, "nobody", "x").await.0, 401);
        }
        assert_eq!(attempt(&http, &base, "nobody", "x").await.0, 429);
        let count = |action: &str| {
            format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}' AND subject_id = 'director'")
        };
        assert_eq!(db.count(&count("login_failed")).await, 5, "{backend}");
        assert_eq!(db.count(&count("login_locked")).await, 1, "{backend}");
        assert_eq!(
            db.count(&count("login_refused_locked")).await,
            1,
            "{backend}"
        );
        assert_eq!(
            db.count(&count("login")).await,
            0,
            "{backend}: no sign-in while locked"
        );
        db.drop().await;
    }
}
