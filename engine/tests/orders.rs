//! Order intake over real MLLP sockets, on SQLite and PostgreSQL.
mod common;
use common::{config, ehr, nb6tk328_for, start_outbox, TestDb};
use engine::{
    delivery::{ack, mllp},
    messages::orders::parse_order,
    pipeline::{process_vcf, serve_orders, Engine, VcfOutcome},
};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const OML: &str =
    "MSH|^~\\&|EHR|HOSP|GenoBridge|LAB|20261125101500||OML^O21^OML_O21|MSG0001|P|2.5.1\r\
PID|1||SYN-4242^^^HOSP^MR||Doe-Synthetic^Jamie^Q||19750412|F\r\
ORC|NW|PL-4242^EHR|FI-4242^LAB|ACC-4242\r\
OBR|1|PL-4242^EHR|FI-4242^LAB|GB-HEREDITARY-CANCER^Hereditary cancer panel^L\r\
SPM|1|NB6TK328^LAB||119297000^Blood^SCT";

/// Sends one framed message over TCP and returns the ACK text.
async fn send(port: u16, text: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(&mllp::frame(text)).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), mllp::read_frame(&mut s, &mut buf))
        .await
        .unwrap()
        .unwrap()
        .unwrap()
}

#[test]
fn an_oml_becomes_an_order() {
    let o = parse_order(OML).unwrap();
    assert_eq!(
        (
            o.patient_mrn.as_str(),
            o.patient_family.as_str(),
            o.patient_given.as_str()
        ),
        ("SYN-4242", "Doe-Synthetic", "Jamie")
    );
    assert_eq!((o.birth_date.as_str(), o.sex.as_str()), ("1975-04-12", "F"));
    assert_eq!(
        (
            o.placer_number.as_str(),
            o.filler_number.as_str(),
            o.accession.as_str()
        ),
        ("PL-4242", "FI-4242", "ACC-4242")
    );
    assert_eq!(
        (
            o.sample_id.as_str(),
            o.test_code.as_str(),
            o.specimen_type.as_str()
        ),
        ("NB6TK328", "GB-HEREDITARY-CANCER", "Blood")
    );
}

#[test]
fn the_delimiters_declared_in_msh_are_respected() {
    // Same order, with # as the field separator, $ for components, * for repeats, @ as escape, ! for subcomponents.
    let custom = OML
        .replace('|', "#")
        .replace('^', "$")
        .replace("#~\\&#", "#$*@!#")
        .replace("MSH#$~\\&#", "MSH#$*@!#");
    let custom = custom.replacen("MSH#$#", "MSH#$*@!#", 1);
    let custom = custom.replace("Doe-Synthetic", "Doe@T@Synthetic"); // @T@ is the escaped subcomponent separator '!'
    let o = parse_order(&custom).unwrap_or_else(|e| panic!("{e:?}\n{custom}"));
    assert_eq!(o.patient_family, "Doe!Synthetic");
    assert_eq!(o.patient_given, "Jamie");
    assert_eq!(o.sample_id, "NB6TK328");
}

#[test]
fn bad_orders_name_the_field() {
    let e = parse_order(&OML.replace("|19750412|", "|19751332|")).unwrap_err();
    assert_eq!(e.code, "AE");
    assert!(e.reason.contains("PID-7"), "{}", e.reason);
    let e = parse_order(&OML.replace("SYN-4242^^^HOSP^MR", "")).unwrap_err();
    assert!(e.reason.contains("PID-3"), "{}", e.reason);
    let e = parse_order(&OML.replace("OML^O21^OML_O21", "ADT^A01^ADT_A01")).unwrap_err();
    assert_eq!(e.code, "AR");
}

#[tokio::test]
async fn orders_over_mllp_release_a_waiting_report() {
    for db in TestDb::both().await {
        let (ehr_port, seen) = ehr("AA").await;
        let tmp = tempfile::tempdir().unwrap();
        let engine = Engine::new(db.store.clone(), config(tmp.path(), ehr_port));
        start_outbox(&engine);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(serve_orders(
            engine.clone(),
            listener,
            std::future::pending(),
        ));

        // The VCF arrives first: its report waits, and nothing is sent.
        let vcf = nb6tk328_for(tmp.path(), "ACC-4242");
        assert!(matches!(
            process_vcf(&engine, &vcf).await,
            VcfOutcome::NeedsOrder { .. }
        ));
        assert!(seen.lock().unwrap().is_empty());

        // A refused order gets AE with the reason, and changes nothing.
        let refused = ack::parse_ack(&send(port, &OML.replace("|F\r", "|Q\r")).await).unwrap();
        assert_eq!(refused.code, "AE", "{}", db.backend);
        assert!(refused.text.contains("PID-8"), "{}", refused.text);
        assert_eq!(refused.control_id, "MSG0001");

        // An order for the same sample under another accession is stored, but does not
        // release the report.
        let other = OML.replace("|ACC-4242\r", "|ACC-7777\r");
        let stored = ack::parse_ack(&send(port, &other).await).unwrap();
        assert_eq!(stored.code, "AA", "{}: {}", db.backend, stored.text);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(seen.lock().unwrap().is_empty(), "{}", db.backend);

        // The order arrives: AA, and the waiting report is sent with the patient's fields.
        let accepted = ack::parse_ack(&send(port, OML).await).unwrap();
        assert_eq!(accepted.code, "AA", "{}: {}", db.backend, accepted.text);
        for _ in 0..200 {
            if !seen.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let got = seen.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "{}", db.backend);
        let oru = hl7_parser::Message::parse(&got[0]).unwrap();
        assert_eq!(oru.query("PID.3.1").unwrap().raw_value(), "SYN-4242");
        assert_eq!(oru.query("PID.5.1").unwrap().raw_value(), "Doe-Synthetic");
        assert_eq!(db.store.list_reports().await.unwrap()[0].status, "ready");

        // An accession already on file cannot be reused for another sample.
        let clash = OML.replace("SPM|1|NB6TK328^", "SPM|1|OTHER1^");
        let refused = ack::parse_ack(&send(port, &clash).await).unwrap();
        assert_eq!(refused.code, "AE", "{}", db.backend);
        assert!(refused.text.contains("another sample"), "{}", refused.text);
        db.cleanup().await;
    }
}

/// `orders-in` paused: an order is stored and answered AA, a VCF for it waits, nothing is
/// sent; once resumed, the scan links the report to its order and the ORU goes out.
#[tokio::test]
async fn a_paused_intake_keeps_orders_and_releases_their_reports_on_resume() {
    for db in TestDb::both().await {
        let (ehr_port, seen) = ehr("AA").await;
        let tmp = tempfile::tempdir().unwrap();
        let engine = Engine::new(db.store.clone(), config(tmp.path(), ehr_port));
        start_outbox(&engine);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(serve_orders(
            engine.clone(),
            listener,
            std::future::pending(),
        ));

        assert!(db.store.pause_flow("orders-in", "eng1").await.unwrap());
        let stored = ack::parse_ack(&send(port, OML).await).unwrap();
        assert_eq!(
            stored.code, "AA",
            "{}: a paused intake still takes the order",
            db.backend
        );
        assert!(db
            .store
            .order_for("ACC-4242", "NB6TK328")
            .await
            .unwrap()
            .is_some());
        let vcf = nb6tk328_for(tmp.path(), "ACC-4242");
        assert!(
            matches!(
                process_vcf(&engine, &vcf).await,
                VcfOutcome::NeedsOrder { .. }
            ),
            "{}: the report waits while intake is paused",
            db.backend
        );
        let audit = db.store.recent_audit(20).await.unwrap();
        let created = audit.iter().find(|e| e.action == "report.created").unwrap();
        assert!(
            created.detail.contains("order intake is paused"),
            "{}",
            created.detail
        );
        std::fs::create_dir_all(tmp.path().join("vcf")).unwrap();
        std::fs::create_dir_all(tmp.path().join("runs")).unwrap();
        tokio::spawn(engine::pipeline::run_forever(
            engine.clone(),
            std::future::pending(),
        ));
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            seen.lock().unwrap().is_empty(),
            "{}: nothing sent while paused",
            db.backend
        );

        assert!(db.store.resume_flow("orders-in").await.unwrap());
        for _ in 0..200 {
            if !seen.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(
            seen.lock().unwrap().len(),
            1,
            "{}: released on resume",
            db.backend
        );
        assert_eq!(db.store.list_reports().await.unwrap()[0].status, "ready");
        db.cleanup().await;
    }
}
