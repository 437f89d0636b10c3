//! The message browser through the real binary, with peers that are not our code:
//! python-hl7's client places the orders and python-hl7's MLLP server is the EHR, which
//! refuses accession MB-00001's first message (AE). Over real HTTP: the REST search and a
//! message's record with the EHR's ACK; the PHI search refused to an inspector and audited
//! for an admin; the body hidden from the inspector and audited for the admin; resend under
//! the same MSH-10; reprocess into a new control id that the EHR accepts; and operators
//! only, with CSRF.

mod common;

use common::{
    fleet::{
        drop_vcfs, place_orders, received, start_receiver, start_seen, test_dir, write_config,
        Ports, TestDatabase,
    },
    tail,
    web::{call, get, passwords, sign_in},
    WAIT,
};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Polls a REST path until `done` holds.
async fn until(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    cookie: &str,
    what: &str,
    log: &std::path::Path,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, body) = get(http, base, path, cookie).await;
        if status == 200 && done(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{what} never happened; last {path}: {status} {body}\n{}",
            tail(log)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn rows(page: &Value) -> Vec<Value> {
    page["rows"].as_array().cloned().unwrap_or_default()
}

fn status_of(page: &Value, accession_id: i64) -> String {
    rows(page)
        .iter()
        .find(|r| r["id"] == accession_id)
        .map(|r| r["status"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn search_open_resend_and_reprocess_through_the_binary() {
    let dir = test_dir();
    let root = dir.path();
    let db = TestDatabase::new("sqlite", root, "messages").await;
    let (_ehr, ehr_port) = start_receiver(root, 0, &["MB-00001"]);
    let ports = Ports::new(ehr_port);
    let config = write_config(root, &db.url, &ports, "web", "", "");
    let (_proc, _out, seen) = start_seen(root, &config, "web");
    let pw = passwords(&seen);
    let base = format!("http://127.0.0.1:{}", ports.web);
    let log = root.join("serve-web.log");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let admin = sign_in(&http, &base, "admin", &pw["admin"]).await;
    let inspector = sign_in(&http, &base, "inspector", &pw["inspector"]).await;

    place_orders(ports.orders, "MB", 2);
    drop_vcfs(root, "MB", 2, "");
    let lri = "/api/messages/search?flow=vcf-to-lri";
    let page = until(
        &http,
        &base,
        lri,
        &admin.cookie,
        "both ORUs answered",
        &log,
        |p| {
            let r = rows(p);
            r.len() == 2 && r.iter().all(|m| m["status"] != "pending")
        },
    )
    .await;
    let by_status = |s: &str| rows(&page).into_iter().find(|m| m["status"] == s).unwrap();
    let (dead, delivered) = (by_status("dead_letter"), by_status("delivered"));
    let (dead_id, ok_id) = (
        dead["id"].as_i64().unwrap(),
        delivered["id"].as_i64().unwrap(),
    );

    // The record of the refused ORU: the EHR's own ACK, and no body.
    let (status, record) = get(
        &http,
        &base,
        &format!("/api/messages/{dead_id}"),
        &admin.cookie,
    )
    .await;
    assert_eq!(status, 200);
    let attempt = &record["attempts"][0];
    assert_eq!(attempt["ack_code"], "AE", "{record}");
    assert!(
        attempt["answer"].as_str().unwrap().contains("MSA|AE|"),
        "{record}"
    );
    assert!(
        record.get("body").is_none(),
        "a record never carries the body"
    );
    assert_eq!(record["report"]["accession"], "MB-00001");
    let text = record.to_string();
    for phi in ["Synthetic-Testperson", "SYN-730042", "19850614"] {
        assert!(!text.contains(phi), "the record carries {phi}");
    }
    assert_eq!(
        get(&http, &base, "/api/messages/999999", &admin.cookie)
            .await
            .0,
        404
    );

    // Search by accession: its ORU and its Bundle (stored: no FHIR destination).
    let (_, acc) = get(
        &http,
        &base,
        "/api/messages/search?accession=MB-00002",
        &inspector.cookie,
    )
    .await;
    let kinds: Vec<_> = rows(&acc)
        .iter()
        .map(|r| (r["kind"].clone(), r["status"].clone()))
        .collect();
    assert_eq!(kinds.len(), 2, "{acc}");
    assert!(kinds.contains(&("fhir".into(), "stored".into())), "{acc}");
    assert_eq!(
        get(
            &http,
            &base,
            "/api/messages/search?from=yesterday",
            &admin.cookie
        )
        .await
        .0,
        400
    );
    assert_eq!(get(&http, &base, "/api/messages/search", "").await.0, 401);

    // PHI: an inspector may not search by MRN; an admin may, and it is audited first.
    let mrn = "/api/messages/search?mrn=SYN-730042";
    assert_eq!(get(&http, &base, mrn, &inspector.cookie).await.0, 403);
    let (status, found) = get(&http, &base, mrn, &admin.cookie).await;
    assert_eq!((status, rows(&found).len()), (200, 4), "{found}");
    let search_form = [("q[mrn]", "SYN-730042".to_string())];
    let (status, _) = call(
        &http,
        &base,
        "messages_search",
        &inspector.cookie,
        &search_form,
    )
    .await;
    assert_eq!(status, 403, "the console's search refuses it too");
    assert_eq!(db.count("SELECT COUNT(*) FROM audit_events WHERE action = 'phi.search' AND actor = 'user:admin'").await, 1);

    // The body: hidden from the inspector (no event), shown to the admin (an event).
    let id_form = |id: i64| [("id", id.to_string())];
    let (status, view) = call(
        &http,
        &base,
        "message_detail",
        &inspector.cookie,
        &id_form(dead_id),
    )
    .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        (view["body"].clone(), view["body_hidden"].clone()),
        (Value::Null, Value::Bool(true))
    );
    assert_eq!(view["can_reprocess"], false);
    let (_, view) = call(
        &http,
        &base,
        "message_detail",
        &admin.cookie,
        &id_form(dead_id),
    )
    .await;
    assert!(view["body"].as_str().unwrap().starts_with("MSH|"), "{view}");
    assert_eq!(
        (view["can_resend"].clone(), view["can_reprocess"].clone()),
        (Value::Bool(true), Value::Bool(true))
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM audit_events WHERE action = 'phi.viewed'")
            .await,
        1
    );

    // Resend: operators only, with the CSRF token; the same MSH-10 arrives again.
    let with_csrf = |id: i64, csrf: &str| [("id", id.to_string()), ("csrf", csrf.to_string())];
    let (status, _) = call(
        &http,
        &base,
        "message_resend",
        &inspector.cookie,
        &with_csrf(ok_id, &inspector.csrf),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = call(
        &http,
        &base,
        "message_resend",
        &admin.cookie,
        &with_csrf(ok_id, "forged"),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = call(
        &http,
        &base,
        "message_resend",
        &admin.cookie,
        &with_csrf(ok_id, &admin.csrf),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let control = delivered["control_id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + WAIT;
    while received(&root.join("received.tsv"))
        .get(&control)
        .map_or(0, Vec::len)
        < 2
    {
        assert!(
            Instant::now() < deadline,
            "the resend never arrived\n{}",
            tail(&log)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let copies = &received(&root.join("received.tsv"))[&control];
    assert_eq!(
        copies[0], copies[1],
        "a resend is byte for byte the first send"
    );

    // Reprocess the refused ORU: a new control id pointing at the original, accepted.
    let (status, new_id) = call(
        &http,
        &base,
        "message_reprocess",
        &admin.cookie,
        &with_csrf(dead_id, &admin.csrf),
    )
    .await;
    assert_eq!(status, 200, "{new_id}");
    let new_id = new_id.as_i64().expect("the new message's id");
    let page = until(
        &http,
        &base,
        lri,
        &admin.cookie,
        "the rebuilt ORU delivered",
        &log,
        |p| status_of(p, new_id) == "delivered",
    )
    .await;
    assert_eq!(status_of(&page, dead_id), "replaced");
    let (_, rebuilt) = get(
        &http,
        &base,
        &format!("/api/messages/{new_id}"),
        &admin.cookie,
    )
    .await;
    let original = dead["control_id"].as_str().unwrap();
    assert_eq!(rebuilt["reprocessed_from"], original);
    assert_eq!(rebuilt["row"]["control_id"], format!("{original}2"));
    assert_eq!(rebuilt["attempts"][0]["ack_code"], "AA");
    assert!(received(&root.join("received.tsv")).contains_key(&format!("{original}2")));
    for action in ["message.resent", "message.reprocessed"] {
        let sql = format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = '{action}' AND actor = 'user:admin'"
        );
        assert_eq!(db.count(&sql).await, 1, "{action}");
    }
    db.drop().await;
}
