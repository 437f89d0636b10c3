//! `GET /api/openapi.json` on the real binary (`serve --demo` with the fixture run, a
//! broken VCF and the stand-in EHR and LIMS), judged three ways:
//!
//! - **Coverage.** Every path given to `.route(`, `.route_service(`, `.nest(` or
//!   `.nest_service(` in any file under `server/src/web/`, and every `#[utoipa::path]`
//!   there, is in the document or in [`NOT_REST`], each exclusion with its reason. The
//!   Leptos server functions (`#[server(endpoint = …)]` under `app/src/`) are the console's
//!   RPC and must not be documented; each must still answer on the router.
//! - **Behaviour.** Every documented operation is called without a session (a secured one
//!   answers 401, an open one 200) and as the admin; the answers' statuses are documented.
//! - **Validity**, by tools that are not our code (tests/peers/check_openapi.py):
//!   openapi-spec-validator validates the document; openapi-core checks every request
//!   against its operation and every answer (status, content type, body) against its
//!   schema. A broken document and a body that breaks its schema must both be refused.

mod common;

use common::{fixtures, free_port, peer, python};
use serde_json::{json, Value};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// Plain routes that are not part of the REST API, and why.
const NOT_REST: &[(&str, &str)] = &[(
    "/pkg/{wanted}",
    "the hydration script's wasm under its other file name (web/assets.rs), a static file",
)];

/// Values for path and query parameters that have no `example` in the document.
const PARAM_VALUES: &[(&str, &str)] = &[
    ("name", "vcf-report"),
    ("version", "1"),
    ("from", "1"),
    ("to", "1"),
    // The first message of the fresh database: the test waits for the feeds to fill first.
    ("id", "1"),
];

/// A change to a message row that its schema must refuse.
type Mutation = fn(&mut Value);

/// The name of the session cookie (server/src/web/session.rs).
const COOKIE: &str = "genobridge_session";

struct Server {
    child: Child,
    base: String,
    passwords: HashMap<String, String>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `serve --demo`: the fixture run for the LIMS, a VCF that fails, both stand-ins.
fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in ["runs", "vcf", "data"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("vcf/broken.vcf"), "##fileformat=VCFv4.2\n").unwrap();
    let (port, ehr, lims) = (free_port(), free_port(), free_port());
    let config = format!(
        r#"database_url = "sqlite://{db}"
listen = "127.0.0.1:{port}"
site_root = "{site}"
data_dir = "{data}"
[watch]
runs_dir = "{runs}"
vcf_dir = "{vcf}"
qc_dir = "{qc}"
poll_interval_ms = 100
settle_ms = 0
[lri_destination]
host = "127.0.0.1"
port = {ehr}
[lims]
poll_interval_ms = 50
[lims.destination]
url = "http://127.0.0.1:{lims}/api/v1/samples"
max_attempts = 2
backoff_base_ms = 10
[[lims.mappings]]
name = "sample-registration"
source = "illumina-run-folder"
per = "samples[]"
sample_id = "samples[].sample_id"
key_extra = ["samples[].lane"]
fields = [
  {{ to = "sample.external_id", from = "samples[].sample_id" }},
  {{ to = "sample.lane", from = "samples[].lane" }},
]
[demo]
fixtures_dir = "{fixtures}"
ehr_listener = true
lims_listener = true
"#,
        db = root.join("gb.db").display(),
        site = root.join("site").display(),
        data = root.join("data").display(),
        runs = root.join("runs").display(),
        vcf = root.join("vcf").display(),
        qc = root.join("qc").display(),
        fixtures = fixtures().display(),
    );
    let path = root.join("genobridge.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_genobridge"))
        .args(["serve", "--demo", "--config"])
        .arg(&path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut passwords = HashMap::new();
    let stdout = child.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("demo user ") {
            if let Some((user, pw)) = rest.split_once(" password: ") {
                passwords.insert(user.to_string(), pw.trim().to_string());
            }
        }
        if line.starts_with("GenoBridge listening on") {
            break;
        }
    }
    assert_eq!(passwords.len(), 4, "the server printed its demo passwords");
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        passwords,
        _dir: dir,
    }
}

/// Signs `user` in through the console's login form (see `common::web`).
async fn sign_in(http: &reqwest::Client, s: &Server, user: &str) -> common::web::Session {
    let session = common::web::sign_in(http, &s.base, user, &s.passwords[user]).await;
    assert!(
        session.cookie.starts_with(&format!("{COOKIE}=")),
        "{}",
        session.cookie
    );
    session
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The text of `path` without its whole-line comments (doc comments show `.route("…")`).
fn code_of(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first argument of each call to `needle` in `code`: the text up to the first `,` or
/// `)` outside brackets.
fn first_arguments<'a>(code: &'a str, needle: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices(needle) {
        let rest = &code[at + needle.len()..];
        let mut depth = 0i32;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth > 0 => depth -= 1,
                ',' | ')' if depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        out.push(rest[..end].trim());
    }
    out
}

/// The first string literal in `expr`.
fn literal(expr: &str) -> Option<&str> {
    let start = expr.find('"')? + 1;
    let len = expr[start..].find('"')?;
    Some(&expr[start..start + len])
}

/// Every route path registered by hand and every `#[utoipa::path]` path in the web
/// module, each with the file it is in.
fn source_routes() -> Vec<(String, String)> {
    let server = common::manifest_dir();
    let mut files = vec![server.join("src/web.rs")];
    rust_files(&server.join("src/web"), &mut files);
    let mut out = Vec::new();
    for file in files {
        let code = code_of(&file);
        let name = file.strip_prefix(&server).unwrap().display().to_string();
        for needle in [".route(", ".route_service(", ".nest(", ".nest_service("] {
            for arg in first_arguments(&code, needle) {
                let path = literal(arg).unwrap_or_else(|| {
                    panic!("{name}: {needle}{arg}, …): write the path as a string literal")
                });
                out.push((name.clone(), path.to_string()));
            }
        }
        for (at, _) in code.match_indices("#[utoipa::path(") {
            // `get, path = "/api/…", …`: the `path` argument (not `context_path`).
            let attr = &code[at..];
            let path = attr
                .match_indices("path = ")
                .find(|(i, _)| {
                    let before = attr[..*i].chars().last().unwrap_or(' ');
                    !(before.is_alphanumeric() || before == '_')
                })
                .and_then(|(i, _)| literal(&attr[i..]))
                .unwrap_or_else(|| panic!("{name}: a #[utoipa::path] without `path = \"…\"`"));
            out.push((name.clone(), path.to_string()));
        }
    }
    out
}

/// Whether the item after an attribute (`rest`) is a function, past further attributes.
fn on_a_function(rest: &str) -> bool {
    let mut rest = rest.trim_start();
    while rest.starts_with("#[") {
        rest = rest[rest.find(']').map_or(rest.len(), |i| i + 1)..].trim_start();
    }
    ["pub ", "pub(", "async ", "fn "]
        .iter()
        .any(|k| rest.starts_with(k))
}

/// Every Leptos server function's path (`/api/<endpoint>`) under `app/src/`.
fn server_functions() -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(&common::manifest_dir().join("../app/src"), &mut files);
    let mut out = BTreeSet::new();
    for file in files {
        let code = code_of(&file);
        for needle in ["#[server(", "#[leptos::server("] {
            for (at, _) in code.match_indices(needle) {
                let end = at + code[at..].find(")]").unwrap();
                let attr = &code[at..end];
                if !on_a_function(&code[end + 2..]) {
                    continue; // an argument's attribute: `#[server(default)] limit: usize`
                }
                let endpoint = attr
                    .split_once("endpoint = ")
                    .and_then(|(_, r)| literal(r))
                    .unwrap_or_else(|| {
                        panic!(
                            "{}: {attr}: give the server function an endpoint, so its path is known",
                            file.display()
                        )
                    });
                out.insert(format!("/api/{endpoint}"));
            }
        }
        assert!(
            !code.contains("#[server]") && !code.contains("#[leptos::server]"),
            "{}: a server function without an endpoint",
            file.display()
        );
    }
    out
}

/// `path` with each `{param}` replaced by its example, and the query string of the
/// operation's required query parameters.
fn url_of(path: &str, op: &Value, made: &[(&str, String)]) -> String {
    let mut known: HashMap<&str, &str> = PARAM_VALUES.iter().copied().collect();
    known.extend(made.iter().map(|(k, v)| (*k, v.as_str())));
    let value = |p: &Value| -> String {
        let name = p["name"].as_str().unwrap();
        match p.get("example").or_else(|| p["schema"].get("example")) {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => known
                .get(name)
                .unwrap_or_else(|| {
                    panic!("{path}: parameter {name:?} has no example: add one to PARAM_VALUES")
                })
                .to_string(),
        }
    };
    let mut url = path.to_string();
    let mut query = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        let name = p["name"].as_str().unwrap();
        match p["in"].as_str() {
            Some("path") => url = url.replace(&format!("{{{name}}}"), &value(p)),
            Some("query") if p["required"] == true => query.push(format!("{name}={}", value(p))),
            _ => {}
        }
    }
    if !query.is_empty() {
        url = format!("{url}?{}", query.join("&"));
    }
    url
}

/// Calls `url`; the exchange as check_openapi.py reads it.
async fn exchange(http: &reqwest::Client, base: &str, url: &str, cookie: Option<&str>) -> Value {
    let mut req = http.get(format!("{base}{url}"));
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    json!({
        "method": "get",
        "url": format!("{base}{url}"),
        "status": status,
        "content_type": content_type,
        "body": r.text().await.unwrap(),
        "signed_in": cookie.is_some(),
    })
}

/// Makes an audit export through the console's server function; returns its id.
async fn make_export(http: &reqwest::Client, s: &Server, who: &common::web::Session) -> String {
    let form = [("csrf", who.csrf.clone())];
    let (_, export) = common::web::call(http, &s.base, "audit_export", &who.cookie, &form).await;
    export["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no export: {export}"))
        .to_string()
}

/// check_openapi.py's verdict: Ok(its summary) or Err(its errors).
fn judge(document: &Value, exchanges: &[Value]) -> Result<Value, String> {
    let mut child = Command::new(python())
        .arg(peer("check_openapi.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = json!({ "document": document, "cookie": COOKIE, "exchanges": exchanges });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Polls `url` as `cookie` until its JSON list has a row: the engine works in the
/// background, and an empty list would check no row schema.
async fn wait_for_rows(http: &reqwest::Client, s: &Server, url: &str, cookie: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let x = exchange(http, &s.base, url, Some(cookie)).await;
        let rows: Value = serde_json::from_str(x["body"].as_str().unwrap()).unwrap_or_default();
        if rows.as_array().is_some_and(|r| !r.is_empty()) {
            return;
        }
        assert!(Instant::now() < deadline, "{url} stayed empty: {x}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_openapi_document_covers_every_rest_route_and_validates() {
    let s = start();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Served without a session, as JSON.
    let r = http
        .get(format!("{}/api/openapi.json", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let doc: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let paths = doc["paths"].as_object().expect("the document has paths");

    // Coverage: every route written in the web module is documented or excluded.
    let routes = source_routes();
    assert!(
        routes.iter().any(|(_, p)| p == "/api/messages"),
        "the scan finds the routes: {routes:?}"
    );
    let excluded: BTreeMap<&str, &str> = NOT_REST.iter().copied().collect();
    let missing: Vec<String> = routes
        .iter()
        .filter(|(_, p)| !paths.contains_key(p) && !excluded.contains_key(p.as_str()))
        .map(|(f, p)| format!("{p} ({f})"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from /api/openapi.json: {missing:?}. Add them through \
         OpenApiRouter::routes(routes!(handler)) with #[utoipa::path] (see \
         server/src/web/openapi.rs), or, if they are not REST, to NOT_REST with a reason"
    );
    for (p, why) in NOT_REST {
        assert!(
            routes.iter().any(|(_, r)| r == p),
            "NOT_REST lists {p} ({why}), which no longer exists: remove it"
        );
        assert!(!paths.contains_key(*p), "{p} is excluded but documented");
    }

    // The console's server functions: RPC, left out of the document, but each is routed.
    let rpc = server_functions();
    assert!(rpc.contains("/api/login"), "the scan finds them: {rpc:?}");
    for p in &rpc {
        assert!(
            paths.get(p).is_none_or(|item| item.get("post").is_none()),
            "the server function {p} is documented"
        );
        let x = exchange(&http, &s.base, p, None).await;
        assert_ne!(
            x["status"], 404,
            "the server function {p} is not routed: {x}"
        );
    }

    // Behaviour: each operation without a session, then as the admin, after the demo's
    // engine has produced rows for the feeds.
    let admin = sign_in(&http, &s, "admin").await;
    for feed in ["/api/messages", "/api/lims", "/api/quarantine"] {
        wait_for_rows(&http, &s, feed, &admin.cookie).await;
    }
    // Values that exist only once made: an audit export, made as the console makes one.
    let made = [
        ("export", make_export(&http, &s, &admin).await),
        ("file", "manifest.json".to_string()),
    ];
    let mut exchanges = Vec::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert_eq!(
                method, "get",
                "{method} {path}: only GET operations are exercised yet: extend this test"
            );
            let url = url_of(path, op, &made);
            let secured = op.get("security").is_some();
            let anonymous = exchange(&http, &s.base, &url, None).await;
            let expected = if secured { 401 } else { 200 };
            assert_eq!(
                anonymous["status"], expected,
                "{url} without a session: {anonymous}"
            );
            let signed = exchange(&http, &s.base, &url, Some(&admin.cookie)).await;
            assert_eq!(signed["status"], 200, "{url} as the admin: {signed}");
            exchanges.push(anonymous);
            exchanges.push(signed);
        }
    }
    for p in ["/api/messages", "/api/mappings", "/health", "/metrics"] {
        assert!(paths.contains_key(p), "{p} is documented");
    }

    // Validity, judged by openapi-spec-validator and openapi-core.
    let verdict = judge(&doc, &exchanges).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(verdict["openapi"], doc["openapi"]);
    assert_eq!(verdict["checked"], exchanges.len());

    // The judges can say no: a document without `info`; a message row whose id is text,
    // one without its id, one with a field the document does not name.
    let mut broken = doc.clone();
    broken.as_object_mut().unwrap().remove("info");
    assert!(
        judge(&broken, &[]).is_err(),
        "a document without info validates"
    );
    let messages = exchanges
        .iter()
        .find(|x| x["signed_in"] == true && x["url"].as_str().unwrap().ends_with("/api/messages"))
        .unwrap();
    let rows: Value = serde_json::from_str(messages["body"].as_str().unwrap()).unwrap();
    let mutants: [(&str, Mutation); 3] = [
        ("a text id", |row| row["id"] = json!("not a number")),
        ("no id", |row| {
            row.as_object_mut().unwrap().remove("id");
        }),
        ("an undocumented field", |row| {
            row["patient_name"] = json!("DOE^JANE")
        }),
    ];
    for (what, mutate) in mutants {
        let mut rows = rows.clone();
        mutate(&mut rows[0]);
        let mut wrong = messages.clone();
        wrong["body"] = json!(rows.to_string());
        let refused = judge(&doc, &[wrong]).expect_err(what);
        assert!(refused.contains("/api/messages"), "{what}: {refused}");
    }
}
