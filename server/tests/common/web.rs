//! Signing in to the console over real HTTP as a browser does (the login form's CSRF
//! token, the session cookie rotated at login), and calling the REST routes and server
//! functions with that session.

use serde_json::Value;
use std::collections::HashMap;

/// A signed-in session: its cookie and CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// The passwords a first start prints: `demo user ROLE password: …`.
pub fn passwords(lines: &[String]) -> HashMap<String, String> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("demo user "))
        .filter_map(|rest| rest.split_once(" password: "))
        .map(|(u, p)| (u.to_string(), p.trim().to_string()))
        .collect()
}

fn cookie_of(r: &reqwest::Response) -> String {
    let value = r.headers().get("set-cookie").expect("a session cookie");
    value
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

pub async fn sign_in(http: &reqwest::Client, base: &str, user: &str, password: &str) -> Session {
    let login = http
        .get(format!("{base}/login"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    let cookie = cookie_of(&login);
    let html = login.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the login page carries a CSRF token")
        .to_string();
    let signed = http
        .post(format!("{base}/api/login"))
        .header("Accept", "text/html")
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
    assert_eq!(signed.status(), 302, "login as {user}");
    let cookie = cookie_of(&signed);
    let session: Value = call(http, base, "session", &cookie, &[]).await.1;
    assert_eq!(session["user"]["username"], user);
    Session {
        cookie,
        csrf: session["csrf"].as_str().unwrap().to_string(),
    }
}

/// `GET base+path` with the session cookie (none: anonymous): status and body as JSON
/// (`Null` when it is not JSON).
pub async fn get(http: &reqwest::Client, base: &str, path: &str, cookie: &str) -> (u16, Value) {
    let r = http
        .get(format!("{base}{path}"))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A server function, `POST /api/ENDPOINT` with a form, as the hydrated page calls it.
pub async fn call(
    http: &reqwest::Client,
    base: &str,
    endpoint: &str,
    cookie: &str,
    form: &[(&str, String)],
) -> (u16, Value) {
    let r = http
        .post(format!("{base}/api/{endpoint}"))
        .header("Origin", base)
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
