//! Alert mails through the real binary: python-hl7's MLLP server is the EHR and refuses
//! accession AM-00001 (AE); aiosmtpd (tests/peers/smtp_log_server.py) is the mail relay.
//! The dead letter fires the rule once, one mail reaches the on-call address with the rule
//! and what was seen (and no PHI), and the send is audited. A configuration that names no
//! recipient is refused at start with the setting named.

mod common;

use common::{
    fleet::{
        drop_vcfs, place_orders, start_peer, start_receiver, start_seen, test_dir, write_config,
        Ports, TestDatabase,
    },
    peer, python, tail, WAIT,
};
use serde_json::Value;
use std::{
    process::Command,
    time::{Duration, Instant},
};

fn alerts(smtp: u16, to: &str) -> String {
    format!(
        r#"[alerts]
evaluate_interval_ms = 200
email = {{ smtp_host = "127.0.0.1", smtp_port = {smtp}, security = "none", from = "GenoBridge <genobridge@lab.test>", to = [{to}], timeout_ms = 3000 }}
[[alerts.rules]]
name = "ehr-refusals"
when = "dead_letters"
queue = "lri"
count = 1
within = "1h"
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_letter_mails_the_on_call_address_once() {
    let dir = test_dir();
    let root = dir.path();
    let mails = root.join("mails.jsonl");
    let mut relay = Command::new(python());
    relay.arg(peer("smtp_log_server.py")).arg(&mails);
    let (_relay, smtp) = start_peer(relay, "the SMTP relay");
    let (_ehr, ehr_port) = start_receiver(root, 0, &["AM-00001"]);

    // No recipient: refused at start, naming the setting.
    let ports = Ports::new(ehr_port);
    let db = TestDatabase::new("sqlite", root, "mail").await;
    let bad = write_config(root, &db.url, &ports, "bad", "", &alerts(smtp, ""));
    let out = Command::new(env!("CARGO_BIN_EXE_genobridge"))
        .args(["serve", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("alerts.email.to"), "{err}");

    let config = write_config(
        root,
        &db.url,
        &ports,
        "node",
        "",
        &alerts(smtp, r#""oncall@lab.test""#),
    );
    let (_proc, _out, _) = start_seen(root, &config, "node");
    place_orders(ports.orders, "AM", 2);
    drop_vcfs(root, "AM", 2, "");

    let deadline = Instant::now() + WAIT;
    let sent: Vec<Value> = loop {
        let text = std::fs::read_to_string(&mails).unwrap_or_default();
        let sent: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if !sent.is_empty() {
            break sent;
        }
        assert!(
            Instant::now() < deadline,
            "no alert mail\n{}",
            tail(&root.join("serve-node.log"))
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mail = &sent[0];
    assert_eq!(mail["to"], serde_json::json!(["oncall@lab.test"]));
    assert_eq!(mail["from"], "genobridge@lab.test");
    assert_eq!(mail["subject"], "[FIRING] GenoBridge alert ehr-refusals");
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("Condition: dead_letters"), "{text}");
    for phi in ["Synthetic-Testperson", "SYN-730042", "19850614", "Robin"] {
        assert!(!text.contains(phi), "the mail carries {phi}");
    }
    // Once per episode: nothing more while the condition holds.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again = std::fs::read_to_string(&mails).unwrap().lines().count();
    assert_eq!(again, 1, "one mail per episode");
    let notified = db
        .count("SELECT COUNT(*) FROM audit_events WHERE action = 'alert.notified' AND detail LIKE '%\"channel\":\"email\"%'")
        .await;
    assert_eq!(notified, 1, "the mail is audited");
    db.drop().await;
}
