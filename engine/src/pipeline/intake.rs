//! Order intake: an MLLP listener for ORM^O01 / OML^O21. An order is ACKed AA only once
//! it is stored; AE or AR carry the reason. Reports that were waiting for the order are
//! then built into messages and sent.

use super::Engine;
use crate::{
    delivery::{ack, mllp},
    messages::orders::parse_order,
    store::NewAuditEvent,
};
use serde_json::json;

/// Handles one received order message and returns the ACK to send back.
/// The flow of orders from the EHR, as it is paused and resumed.
pub const ORDERS_IN: &str = "orders-in";

pub async fn handle_order(engine: &Engine, text: &str) -> String {
    let store = &engine.store;
    let order = match parse_order(text) {
        Ok(o) => o,
        Err(e) => {
            engine
                .audit(NewAuditEvent::system(
                    "order.refused",
                    "message",
                    "inbound",
                    json!({ "code": e.code, "reason": e.reason }),
                ))
                .await;
            return ack::build_ack(text, e.code, &e.reason, &new_id());
        }
    };
    let stored = match store.insert_order(&order).await {
        Ok(_) => store.order_for(&order.accession, &order.sample_id).await,
        Err(e) => Err(e),
    };
    match stored {
        Ok(None) => {
            // insert_order keeps the first order of an accession; this one names another
            // sample, and silently linking either would put results on the wrong patient.
            let reason = "this accession is already on file for another sample";
            engine
                .audit(NewAuditEvent::system(
                    "order.refused",
                    "sample",
                    &order.sample_id,
                    json!({ "code": "AE", "accession": order.accession, "reason": reason }),
                ))
                .await;
            ack::build_ack(text, "AE", reason, &new_id())
        }
        Ok(Some(order)) => {
            let id = order.id;
            let detail =
                json!({ "order_id": id, "accession": order.accession, "test": order.test_code });
            engine
                .audit(NewAuditEvent::system(
                    "order.received",
                    "sample",
                    &order.sample_id,
                    detail,
                ))
                .await;
            // A paused `orders-in` flow stores and acknowledges the order (the EHR is not
            // asked to send it again) and releases nothing; the scan does once it resumes.
            if engine.store.flow_paused(ORDERS_IN).await.unwrap_or(false) {
                tracing::info!(
                    flow = ORDERS_IN,
                    order_id = id,
                    "order stored; intake paused, reports not released"
                );
            } else {
                super::vcfs::release_waiting(engine, &order).await;
            }
            ack::build_ack(text, "AA", "", &new_id())
        }
        Err(e) => {
            tracing::error!(error = %e, "storing an order failed");
            ack::build_ack(
                text,
                "AE",
                "the order could not be stored; send it again",
                &new_id(),
            )
        }
    }
}

fn new_id() -> String {
    format!("GBACK{}", uuid::Uuid::new_v4().simple())
}

/// Serves order intake on `listener` until `shutdown` resolves; an order already received
/// is stored and answered before its connection closes.
pub async fn serve_orders(
    engine: Engine,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    mllp::serve_until(
        listener,
        move |msg| {
            let engine = engine.clone();
            Box::pin(async move { handle_order(&engine, &msg).await })
        },
        shutdown,
    )
    .await
}
