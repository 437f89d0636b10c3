//! A stand-in FHIR R4 server on 127.0.0.1, for tests (no FHIR server could be installed
//! from the registries this project can reach; see README, "FHIR REST").
//!
//! It answers as a FHIR server does, as far as GenoBridge's delivery needs:
//! - `POST <base>` with a `transaction` Bundle: every entry must be a `POST` create; an
//!   entry with `request.ifNoneExist` (an `identifier=system|value` search) is created
//!   only when nothing matches, and otherwise answered `200 OK` with the existing
//!   resource's location; two matches fail the whole transaction with 412. The answer is
//!   `200` with a `transaction-response` Bundle whose entries say `201 Created` (with a
//!   `location`) or `200 OK`. All or nothing: an error stores nothing.
//! - `POST <base>/<type>` (a plain create): `201` with a `Location` header, or `200` when
//!   its `If-None-Exist` header matches.
//! - anything it cannot read: `400` with an OperationOutcome.
//!
//! A script can make the n-th request (0-based) fail instead: a status with an
//! OperationOutcome (400, 503…), or a commit whose answer is then lost (a gateway's 504).
#![allow(dead_code)]

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// What the stand-in does with the n-th request.
#[derive(Clone, Debug)]
pub enum Answer {
    /// Process it as a FHIR server does.
    Process,
    /// Answer this status with an OperationOutcome carrying this diagnostics text; store
    /// nothing.
    Fail(u16, &'static str),
    /// Process and commit it, then answer this status as if a gateway lost the answer.
    CommitThenFail(u16),
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Default)]
pub struct Data {
    /// (resource type, server id, resource) in creation order.
    pub resources: Vec<(String, String, Value)>,
    pub received: Vec<Received>,
}

#[derive(Clone)]
struct Server {
    data: Arc<Mutex<Data>>,
    script: Arc<dyn Fn(usize) -> Answer + Send + Sync>,
}

pub struct FhirServer {
    /// `http://127.0.0.1:<port>/fhir`
    pub base: String,
    pub data: Arc<Mutex<Data>>,
}

impl FhirServer {
    /// How many resources of `resource_type` it holds.
    pub fn count(&self, resource_type: &str) -> usize {
        let d = self.data.lock().unwrap();
        d.resources
            .iter()
            .filter(|(t, _, _)| t == resource_type)
            .count()
    }

    pub fn total(&self) -> usize {
        self.data.lock().unwrap().resources.len()
    }

    pub fn received(&self) -> Vec<Received> {
        self.data.lock().unwrap().received.clone()
    }
}

/// Starts the stand-in on a free port of 127.0.0.1.
pub async fn start(script: impl Fn(usize) -> Answer + Send + Sync + 'static) -> FhirServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = Server {
        data: Arc::default(),
        script: Arc::new(script),
    };
    let data = server.data.clone();
    let app = Router::new()
        .route("/fhir", post(transaction))
        .route("/fhir/{resource_type}", post(create))
        .with_state(server);
    tokio::spawn(async move { axum::serve(listener, app).await });
    FhirServer {
        base: format!("http://127.0.0.1:{port}/fhir"),
        data,
    }
}

fn fhir_json(status: u16, body: Value, headers: &[(&'static str, String)]) -> Response {
    let mut r = (StatusCode::from_u16(status).unwrap(), body.to_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/fhir+json"),
    );
    for (name, value) in headers {
        h.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    r
}

pub fn operation_outcome(code: &str, diagnostics: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": "error", "code": code, "diagnostics": diagnostics }]
    })
}

fn issue_code(status: u16) -> &'static str {
    match status {
        400 | 422 => "invalid",
        404 => "not-found",
        409 | 412 => "conflict",
        408 | 503 | 504 => "transient",
        429 => "throttled",
        _ => "exception",
    }
}

/// Records the request and returns what the script says to do with it.
fn receive(s: &Server, path: String, headers: HeaderMap, body: &Bytes) -> Answer {
    let n = {
        let mut d = s.data.lock().unwrap();
        let body = serde_json::from_slice(body).unwrap_or(Value::Null);
        d.received.push(Received {
            path,
            headers,
            body,
        });
        d.received.len() - 1
    };
    (s.script)(n)
}

fn failure(status: u16, diagnostics: &str) -> Response {
    let retry = if status == 503 || status == 429 {
        vec![("retry-after", "0".to_string())]
    } else {
        vec![]
    };
    fhir_json(
        status,
        operation_outcome(issue_code(status), diagnostics),
        &retry,
    )
}

async fn transaction(State(s): State<Server>, headers: HeaderMap, body: Bytes) -> Response {
    let answer = receive(&s, "/fhir".into(), headers, &body);
    if let Answer::Fail(status, text) = answer {
        return failure(status, text);
    }
    let bundle: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return failure(400, &format!("the body is not JSON: {e}")),
    };
    if bundle["resourceType"] != "Bundle" || bundle["type"] != "transaction" {
        return failure(400, "POST to the base URL takes a transaction Bundle");
    }
    let mut d = s.data.lock().unwrap();
    let mut staged: Vec<(String, String, Value)> = Vec::new();
    let mut answers = Vec::new();
    for (i, entry) in bundle["entry"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let req = &entry["request"];
        let rt = entry["resource"]["resourceType"]
            .as_str()
            .unwrap_or_default();
        if req["method"] != "POST" || req["url"].as_str() != Some(rt) || rt.is_empty() {
            return failure(
                400,
                &format!("Bundle.entry[{i}]: only POST <type> is supported"),
            );
        }
        let existing = match req["ifNoneExist"].as_str() {
            Some(search) => match matches(&d.resources, &staged, rt, search) {
                Ok(found) => found,
                Err((status, text)) => {
                    return failure(status, &format!("Bundle.entry[{i}]: {text}"))
                }
            },
            None => None,
        };
        answers.push(match existing {
            Some(id) => json!({ "response": { "status": "200 OK", "location": format!("{rt}/{id}/_history/1") } }),
            None => {
                let id = (d.resources.len() + staged.len() + 1).to_string();
                let mut resource = entry["resource"].clone();
                resource["id"] = json!(id);
                staged.push((rt.to_string(), id.clone(), resource));
                json!({ "response": { "status": "201 Created", "location": format!("{rt}/{id}/_history/1") } })
            }
        });
    }
    d.resources.extend(staged);
    drop(d);
    if let Answer::CommitThenFail(status) = answer {
        return failure(status, "the upstream answer was lost");
    }
    fhir_json(
        200,
        json!({ "resourceType": "Bundle", "type": "transaction-response", "entry": answers }),
        &[],
    )
}

async fn create(
    State(s): State<Server>,
    Path(rt): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let condition = headers
        .get("if-none-exist")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let answer = receive(&s, format!("/fhir/{rt}"), headers, &body);
    if let Answer::Fail(status, text) = answer {
        return failure(status, text);
    }
    let mut resource: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return failure(400, &format!("the body is not JSON: {e}")),
    };
    if resource["resourceType"].as_str() != Some(rt.as_str()) {
        return failure(400, "resourceType does not match the URL");
    }
    let mut d = s.data.lock().unwrap();
    if let Some(search) = condition {
        match matches(&d.resources, &[], &rt, &search) {
            Ok(Some(id)) => {
                return fhir_json(
                    200,
                    json!({}),
                    &[("location", format!("{rt}/{id}/_history/1"))],
                )
            }
            Ok(None) => {}
            Err((status, text)) => return failure(status, &text),
        }
    }
    let id = (d.resources.len() + 1).to_string();
    resource["id"] = json!(id);
    d.resources.push((rt.clone(), id.clone(), resource.clone()));
    let location = format!("{rt}/{id}/_history/1");
    fhir_json(201, resource, &[("location", location)])
}

/// The id of the one resource of type `rt` that `search` (`identifier=system|value`)
/// finds, among stored and staged resources; 412 for more than one, 400 for a search it
/// does not support.
fn matches(
    stored: &[(String, String, Value)],
    staged: &[(String, String, Value)],
    rt: &str,
    search: &str,
) -> Result<Option<String>, (u16, String)> {
    let Some(wanted) = search.strip_prefix("identifier=") else {
        return Err((400, format!("unsupported search {search:?}")));
    };
    let wanted = percent_decode(wanted);
    let (system, value) = wanted.split_once('|').unwrap_or(("", wanted.as_str()));
    let found: Vec<&String> = stored
        .iter()
        .chain(staged)
        .filter(|(t, _, r)| {
            t == rt
                && r["identifier"].as_array().is_some_and(|ids| {
                    ids.iter().any(|i| {
                        i["value"] == value && (system.is_empty() || i["system"] == system)
                    })
                })
        })
        .map(|(_, id, _)| id)
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one).clone())),
        _ => Err((412, format!("{search}: more than one match"))),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
