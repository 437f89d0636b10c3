//! The mapping screens' server functions, over HTTP against the real binary: for each one,
//! which roles are allowed and which refused, that a missing or wrong CSRF token is refused,
//! that an author cannot sign their own version, and the 21 CFR 11.200 rule that the first
//! signature of a session needs the user name as well as the password.

mod common;

use common::free_port;
use engine::store::Store;
use serde_json::Value;
use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const NAME: &str = "vcf-report";

struct Server {
    child: Child,
    base: String,
    passwords: HashMap<String, String>,
    db_url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `serve --demo` with nothing to watch: only the web console and its demo users.
fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in ["runs", "vcf", "data"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let port = free_port();
    let db_url = format!("sqlite://{}", root.join("gb.db").display());
    let config = format!(
        r#"database_url = "{db_url}"
listen = "127.0.0.1:{port}"
site_root = "{site}"
data_dir = "{data}"
[watch]
runs_dir = "{runs}"
vcf_dir = "{vcf}"
[lri_destination]
host = "127.0.0.1"
port = {ehr}
[demo]
ehr_listener = false
lims_listener = false
"#,
        site = root.join("site").display(),
        data = root.join("data").display(),
        runs = root.join("runs").display(),
        vcf = root.join("vcf").display(),
        ehr = free_port(),
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
        db_url,
        _dir: dir,
    }
}

struct Session {
    cookie: String,
    csrf: String,
}

fn cookie_of(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("set-cookie")?
        .to_str()
        .ok()?
        .split(';')
        .next()
        .map(str::to_string)
}

async fn sign_in(http: &reqwest::Client, s: &Server, user: &str) -> Session {
    let login = http
        .get(format!("{}/login", s.base))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    let cookie = cookie_of(&login).expect("the login page sets a session cookie");
    let html = login.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the login page carries a CSRF token")
        .to_string();
    let signed = http
        .post(format!("{}/api/login", s.base))
        .header("Accept", "text/html")
        .header("Origin", &s.base)
        .header("Cookie", &cookie)
        .form(&[
            ("username", user),
            ("password", s.passwords[user].as_str()),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 302);
    let cookie = cookie_of(&signed).expect("a new session id at login");
    let session: Value = post(http, s, &cookie, "session", &[]).await.1;
    assert_eq!(session["user"]["username"], user);
    Session {
        cookie,
        csrf: session["csrf"].as_str().unwrap().to_string(),
    }
}

/// Posts a server function's form; its status and JSON answer.
async fn post(
    http: &reqwest::Client,
    s: &Server,
    cookie: &str,
    endpoint: &str,
    form: &[(&str, String)],
) -> (u16, Value) {
    let r = http
        .post(format!("{}/api/{endpoint}", s.base))
        .header("Origin", &s.base)
        .header("Cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn f(k: &'static str, v: impl ToString) -> (&'static str, String) {
    (k, v.to_string())
}

/// A copy of the active report mapping with one changed description, imported as `author`.
async fn new_draft(store: &Store, author: &str, description: &str) -> i64 {
    let user = store.user_by_username(author).await.unwrap().unwrap();
    let active = store.active_mapping(NAME).await.unwrap().unwrap();
    let mut m = active.mapping().unwrap();
    m.description = description.to_string();
    store
        .create_mapping_draft(&user, "test.toml", &m.to_toml())
        .await
        .unwrap()
        .version
}

#[tokio::test]
async fn mapping_server_functions_check_role_csrf_and_authorship() {
    let s = start();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(format!("{}/health", s.base)).send().await.is_err() {
        assert!(Instant::now() < deadline, "no /health");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let store = Store::open(&s.db_url).await.unwrap();
    let mut who = HashMap::new();
    for role in ["admin", "engineer", "director", "inspector"] {
        who.insert(role, sign_in(&http, &s, role).await);
    }

    // Reading: every role; nobody signed out.
    for (role, sess) in &who {
        let (status, list) = post(&http, &s, &sess.cookie, "mappings", &[]).await;
        assert_eq!(status, 200, "{role} reads the list");
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&NAME), "{names:?}");
        let (status, _) = post(&http, &s, &sess.cookie, "mapping", &[f("name", NAME)]).await;
        assert_eq!(status, 200, "{role} reads a mapping");
    }
    for endpoint in ["mappings", "mapping", "mapping_diff"] {
        let (status, _) = post(
            &http,
            &s,
            "",
            endpoint,
            &[f("name", NAME), f("from", 1), f("to", 1)],
        )
        .await;
        assert_eq!(status, 401, "{endpoint} signed out");
    }
    let (_, filtered) = post(
        &http,
        &s,
        &who["engineer"].cookie,
        "mappings",
        &[f("source", "quantstudio")],
    )
    .await;
    assert_eq!(filtered.as_array().unwrap().len(), 1, "{filtered}");

    // v2 by the engineer. Submit: engineer and admin; director and inspector refused.
    let v2 = new_draft(&store, "engineer", "v2: clearer description").await;
    let submit = |csrf: &str| vec![f("name", NAME), f("version", v2), f("csrf", csrf)];
    for role in ["director", "inspector"] {
        let sess = &who[role];
        let (status, _) = post(
            &http,
            &s,
            &sess.cookie,
            "mapping_submit",
            &submit(&sess.csrf),
        )
        .await;
        assert_eq!(status, 403, "{role} may not submit");
    }
    let eng = &who["engineer"];
    let (status, _) = post(&http, &s, &eng.cookie, "mapping_submit", &submit("")).await;
    assert_eq!(status, 403, "no CSRF token");
    let (status, _) = post(&http, &s, &eng.cookie, "mapping_submit", &submit("wrong")).await;
    assert_eq!(status, 403, "a wrong CSRF token");
    let (status, body) = post(&http, &s, &eng.cookie, "mapping_submit", &submit(&eng.csrf)).await;
    assert_eq!(status, 200, "{body}");
    // The admin may submit too: a second draft, v3, by the director (who may write drafts).
    let v3 = new_draft(&store, "director", "v3: by the director").await;
    let adm = &who["admin"];
    let (status, body) = post(
        &http,
        &s,
        &adm.cookie,
        "mapping_submit",
        &[f("name", NAME), f("version", v3), f("csrf", &adm.csrf)],
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // The list says who waits on whom.
    let (_, list) = post(&http, &s, &eng.cookie, "mappings", &[]).await;
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == NAME)
        .unwrap();
    assert_eq!(
        row["waiting"],
        "v3 submitted by director, awaiting another director"
    );

    // What the page offers each role for v2: sign only to the director, and for v3 (their
    // own) disabled with the reason.
    let detail = |role: &'static str, v: i64| {
        let (http, s, cookie) = (&http, &s, who[role].cookie.clone());
        async move {
            post(
                http,
                s,
                &cookie,
                "mapping",
                &[f("name", NAME), f("version", v)],
            )
            .await
            .1
        }
    };
    let version = |d: &Value, v: i64| -> Value {
        d["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["version"] == v)
            .unwrap()
            .clone()
    };
    let d = detail("director", v2).await;
    assert_eq!(
        version(&d, v2)["can_sign"],
        serde_json::json!({ "Ok": null })
    );
    assert!(version(&d, v3)["can_sign"]["Err"]
        .as_str()
        .unwrap()
        .contains("you wrote or edited this version"));
    for role in ["engineer", "admin", "inspector"] {
        let d = detail(role, v2).await;
        assert_eq!(version(&d, v2)["can_sign"], Value::Null, "{role}");
    }
    assert!(detail("engineer", v2).await["audit"].is_null());
    assert!(detail("inspector", v2).await["audit"].is_array());

    // The diff between v1 and v2: the description only.
    let (status, diff) = post(
        &http,
        &s,
        &who["inspector"].cookie,
        "mapping_diff",
        &[f("name", NAME), f("from", 1), f("to", v2)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        diff,
        serde_json::json!([{ "kind": "changed", "key": "description",
            "old": serde_json::to_string(&store.mapping_version(NAME, 1).await.unwrap().unwrap().mapping().unwrap().description).unwrap(),
            "new": "\"v2: clearer description\"" }])
    );

    // Signing: directors only.
    let sign = |v: i64, username: &str, password: &str, csrf: &str| {
        vec![
            f("name", NAME),
            f("version", v),
            f("approve", true),
            f("meaning", "approved for clinical use"),
            f("username", username),
            f("password", password),
            f("csrf", csrf),
        ]
    };
    for role in ["admin", "engineer", "inspector"] {
        let sess = &who[role];
        let (status, _) = post(
            &http,
            &s,
            &sess.cookie,
            "mapping_sign",
            &sign(v2, role, &s.passwords[role], &sess.csrf),
        )
        .await;
        assert_eq!(status, 403, "{role} may not sign");
    }
    let dir = &who["director"];
    let pw = s.passwords["director"].clone();
    let (status, _) = post(
        &http,
        &s,
        &dir.cookie,
        "mapping_sign",
        &sign(v2, "director", &pw, ""),
    )
    .await;
    assert_eq!(status, 403, "no CSRF token");
    // The author rule, on the server too.
    let (status, body) = post(
        &http,
        &s,
        &dir.cookie,
        "mapping_sign",
        &sign(v3, "director", &pw, &dir.csrf),
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body.to_string()
            .contains("you wrote or edited this version"),
        "{body}"
    );
    // 21 CFR 11.200: the session's first signature needs the user name.
    let (status, body) = post(
        &http,
        &s,
        &dir.cookie,
        "mapping_sign",
        &sign(v2, "", &pw, &dir.csrf),
    )
    .await;
    assert_eq!(status, 403);
    assert!(body.to_string().contains("user name"), "{body}");
    let (status, body) = post(
        &http,
        &s,
        &dir.cookie,
        "mapping_sign",
        &sign(v2, "admin", &pw, &dir.csrf),
    )
    .await;
    assert_eq!(status, 403, "someone else's name: {body}");
    let (status, body) = post(
        &http,
        &s,
        &dir.cookie,
        "mapping_sign",
        &sign(v2, "director", "wrong password", &dir.csrf),
    )
    .await;
    assert_eq!(status, 403);
    assert!(body.to_string().contains("password is wrong"), "{body}");
    assert_eq!(
        store
            .mapping_version(NAME, v2)
            .await
            .unwrap()
            .unwrap()
            .state,
        engine::mapping::versions::State::Submitted,
        "a refused signature changes nothing"
    );
    let (status, body) = post(
        &http,
        &s,
        &dir.cookie,
        "mapping_sign",
        &sign(v2, "director", &pw, &dir.csrf),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let d = detail("director", v2).await;
    assert!(d["signed_in_session"].as_bool().unwrap());
    let v = version(&d, v2);
    assert_eq!(v["state"], "approved");
    assert_eq!(v["signatures"][0]["printed_name"], "Demo Director");
    assert_eq!(v["signatures"][0]["meaning"], "approved for clinical use");
    assert_eq!(v["signatures"][0]["sha256"], v["sha256"]);

    // Activate: director and admin; engineer and inspector refused.
    let activate = |csrf: &str| vec![f("name", NAME), f("version", v2), f("csrf", csrf)];
    for role in ["engineer", "inspector"] {
        let sess = &who[role];
        let (status, _) = post(
            &http,
            &s,
            &sess.cookie,
            "mapping_activate",
            &activate(&sess.csrf),
        )
        .await;
        assert_eq!(status, 403, "{role} may not activate");
    }
    let (status, _) = post(&http, &s, &adm.cookie, "mapping_activate", &activate("")).await;
    assert_eq!(status, 403, "no CSRF token");
    let (status, body) = post(
        &http,
        &s,
        &adm.cookie,
        "mapping_activate",
        &activate(&adm.csrf),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Roll back to v1 as the director.
    let (status, body) = post(
        &http,
        &s,
        &dir.cookie,
        "mapping_activate",
        &[f("name", NAME), f("version", 1), f("csrf", &dir.csrf)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let actions: Vec<String> = store
        .audit_for("mapping", NAME)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.actor, e.action))
        .collect();
    for want in [
        "user:engineer mapping.submit",
        "user:admin mapping.submit",
        "user:director mapping.signature_refused",
        "user:director mapping.approve",
        "user:admin mapping.activate",
        "user:director mapping.rollback",
    ] {
        assert!(actions.iter().any(|a| a == want), "{want} in {actions:?}");
    }
    // The second signing of the session may leave the user name out.
    let v4 = new_draft(&store, "engineer", "v4").await;
    store
        .submit_mapping(
            &store.user_by_username("engineer").await.unwrap().unwrap(),
            NAME,
            v4,
        )
        .await
        .unwrap();
    let mut reject = sign(v4, "", &pw, &dir.csrf);
    reject[2] = f("approve", false);
    reject[3] = f("meaning", "the description says nothing");
    let (status, body) = post(&http, &s, &dir.cookie, "mapping_sign", &reject).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        store
            .mapping_version(NAME, v4)
            .await
            .unwrap()
            .unwrap()
            .state,
        engine::mapping::versions::State::Rejected
    );
}
