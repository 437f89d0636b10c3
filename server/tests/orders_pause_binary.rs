//! Pausing order intake through the real binary: an admin pauses `orders-in` from the
//! console; python-hl7's client still gets AA for its order, but the report for it waits
//! and nothing reaches the EHR (python-hl7's MLLP server); on resume the ORU goes out.

mod common;

use common::{
    fleet::{
        drop_vcf, place_orders, received_in_order, start_receiver, start_seen, test_dir,
        write_config, Ports, TestDatabase,
    },
    tail,
    web::{call, passwords, sign_in},
    WAIT,
};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn a_paused_intake_answers_orders_and_releases_their_reports_on_resume() {
    let dir = test_dir();
    let root = dir.path();
    let db = TestDatabase::new("sqlite", root, "opause").await;
    let (_ehr, ehr_port) = start_receiver(root, 0, &[]);
    let ports = Ports::new(ehr_port);
    let config = write_config(root, &db.url, &ports, "node", "", "");
    let (_proc, _out, seen) = start_seen(root, &config, "node");
    let base = format!("http://127.0.0.1:{}", ports.web);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let admin = sign_in(&http, &base, "admin", &passwords(&seen)["admin"]).await;
    let pause = |paused: &str| {
        [
            ("flow", "orders-in".to_string()),
            ("paused", paused.to_string()),
            ("csrf", admin.csrf.clone()),
        ]
    };
    assert_eq!(
        call(&http, &base, "flow_pause", &admin.cookie, &pause("true"))
            .await
            .0,
        200
    );

    place_orders(ports.orders, "OP", 1);
    drop_vcf(root, "OP-00001", "");
    let log = root.join("received.tsv");
    let waiting = "SELECT COUNT(*) FROM reports WHERE status = 'needs_order'";
    let deadline = Instant::now() + WAIT;
    while db.count(waiting).await == 0 {
        assert!(
            Instant::now() < deadline,
            "the report never waited\n{}",
            tail(&root.join("serve-node.log"))
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        received_in_order(&log).is_empty(),
        "nothing is sent while intake is paused"
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM orders").await,
        1,
        "the order is stored"
    );

    assert_eq!(
        call(&http, &base, "flow_pause", &admin.cookie, &pause("false"))
            .await
            .0,
        200
    );
    while received_in_order(&log).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the report was never released\n{}",
            tail(&root.join("serve-node.log"))
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(received_in_order(&log)[0].accession, "OP-00001");
    let audited =
        "SELECT COUNT(*) FROM audit_events WHERE action IN ('flow.paused', 'flow.resumed')";
    assert_eq!(db.count(audited).await, 2);
    db.drop().await;
}
