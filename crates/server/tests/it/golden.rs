//! The golden harness: the app built in process over an in-memory store with the built-in
//! scenario, a fixed clock and seeded ids, so every byte it answers is reproducible.
//!
//! A case lives in `tests/golden/<svc>/<Operation>/<case>/`:
//!
//! - `request.http`: the request as sent — request line, headers (the signing headers as
//!   `sign_request` computed them at [`T0`]), a blank line, the form body;
//! - `response.http`: the status line, the `x-amzn-requestid` and `content-type` headers, a
//!   blank line and the exact body, followed by one newline that is not part of the body.
//!
//! Both are compared byte for byte. `BLESS=1 cargo test -p roleplay-server --test it` rewrites
//! them; review the diff as a claim about AWS before committing it.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use http_body_util::BodyExt;
use roleplay_engine::Engine;
use roleplay_engine::scenario::{BUILT_IN, Scenario};
use roleplay_engine::session::TokenKey;
use roleplay_server::{AppState, Clock, build_app};
use roleplay_sigv4::{
    Credentials, KeyCache, RequestView, SessionTokenMode, SigningParams, SigningSettings,
    sha256_hex, sign_request,
};
use roleplay_store::SqliteStore;
use roleplay_types::SeededIdGen;
use roleplay_wire::query::encode_form;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::datetime;
use tower::ServiceExt as _;

/// The instant of every golden: the clock of the server and the signing time of the client.
pub const T0: OffsetDateTime = datetime!(2026-11-27 12:00:00 UTC);

/// Long-term keys of the built-in scenario (`examples/cross-account-s3.toml`).
pub const A_ROOT: Keys = Keys::new(
    "AKIARZKVVYOZUEQH746Y",
    "Yt7Gbck+bq4JgYUL4uY8pez2aI37mbOqiywd2Jz1",
);
pub const B_ROOT: Keys = Keys::new(
    "AKIAVA2BPY5AXIX6EA6Q",
    "6bJPw7rP+KQcDFcNQlX01dfLvZb8gkb6YlF9SQ1g",
);
pub const ALICE: Keys = Keys::new(
    "AKIARZKVVYOZRFFXKTQN",
    "StVXxl2FXw4dQKGX4cS+09IfLqwY23yRVuaJel3Q",
);

/// An access key, its secret and, for temporary credentials, the session token.
#[derive(Debug, Clone)]
pub struct Keys {
    pub id: std::borrow::Cow<'static, str>,
    pub secret: std::borrow::Cow<'static, str>,
    pub token: Option<String>,
}

impl Keys {
    pub const fn new(id: &'static str, secret: &'static str) -> Keys {
        Keys {
            id: std::borrow::Cow::Borrowed(id),
            secret: std::borrow::Cow::Borrowed(secret),
            token: None,
        }
    }

    /// The same key id with another secret.
    pub fn with_secret(&self, secret: &'static str) -> Keys {
        Keys {
            secret: std::borrow::Cow::Borrowed(secret),
            ..self.clone()
        }
    }

    /// The `Credentials` of an `AssumeRole` or `GetSessionToken` answer.
    pub fn from_answer(body: &str) -> Keys {
        Keys {
            id: xml_text(body, "AccessKeyId").into(),
            secret: xml_text(body, "SecretAccessKey").into(),
            token: Some(xml_text(body, "SessionToken")),
        }
    }
}

/// The text of the first `<name>` element of `body`.
pub fn xml_text(body: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = body
        .find(&open)
        .unwrap_or_else(|| panic!("no <{name}> in {body}"))
        + open.len();
    let end = body[start..]
        .find(&format!("</{name}>"))
        .unwrap_or_else(|| panic!("no </{name}> in {body}"));
    body[start..start + end].to_owned()
}

/// A query-protocol request: the service, the form parameters after `Action` and `Version`,
/// and who signs it.
#[derive(Debug, Clone)]
pub struct Call {
    service: &'static str,
    form: Vec<(String, String)>,
    signer: Option<Keys>,
}

impl Call {
    /// An IAM action (`Version=2010-05-08`).
    pub fn iam(action: &str, params: &[(&str, &str)]) -> Call {
        Call::new("iam", action, "2010-05-08", params)
    }

    /// An STS action (`Version=2011-06-15`).
    pub fn sts(action: &str, params: &[(&str, &str)]) -> Call {
        Call::new("sts", action, "2011-06-15", params)
    }

    fn new(service: &'static str, action: &str, version: &str, params: &[(&str, &str)]) -> Call {
        let mut form = vec![
            ("Action".to_owned(), action.to_owned()),
            ("Version".to_owned(), version.to_owned()),
        ];
        form.extend(
            params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        Call {
            service,
            form,
            signer: None,
        }
    }

    /// Signed with `keys` at [`T0`], region `us-east-1`, as botocore signs.
    pub fn by(mut self, keys: &Keys) -> Call {
        self.signer = Some(keys.clone());
        self
    }
}

/// One exchange: the request as sent and the response as received.
#[derive(Debug)]
pub struct Exchange {
    pub request: String,
    pub status: u16,
    pub body: String,
    response: String,
}

/// The server under test.
pub struct Golden {
    app: Router,
}

impl Golden {
    /// The app over a fresh in-memory store holding the built-in scenario.
    pub fn new() -> Golden {
        let store = Arc::new(SqliteStore::open_in_memory().unwrap());
        let engine = Engine::new(
            store,
            Arc::new(SeededIdGen::new(1)),
            TokenKey::from_master(&[7; 32]),
            T0,
        )
        .unwrap();
        let scenario = Scenario::parse(BUILT_IN).unwrap();
        engine.apply_scenario(&scenario, T0).unwrap();
        let state = Arc::new(AppState {
            engine: Arc::new(engine),
            keys: KeyCache::default(),
            clock: Arc::new(Clock::fixed(T0)),
            ids: Arc::new(SeededIdGen::new(2)),
            clock_control: false,
        });
        Golden {
            app: build_app(state),
        }
    }

    /// Sends `call` and returns the exchange.
    pub async fn send(&self, call: &Call) -> Exchange {
        let host = format!("{}.amazonaws.com", call.service);
        let body = encode_form(call.form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), host),
            (
                "content-type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            ),
        ];
        if let Some(keys) = &call.signer {
            let payload_hash = sha256_hex(body.as_bytes());
            let refs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let view = RequestView {
                method: "POST",
                path: "/",
                query: "",
                headers: &refs,
                payload_hash: &payload_hash,
            };
            let signed = sign_request(
                &view,
                &SigningParams {
                    credentials: Credentials {
                        access_key_id: &keys.id,
                        secret_access_key: &keys.secret,
                        session_token: keys.token.as_deref(),
                    },
                    region: "us-east-1",
                    service: call.service,
                    time: T0,
                    settings: SigningSettings::QUERY,
                    session_token_mode: SessionTokenMode::Signed,
                },
            )
            .unwrap();
            headers.extend(signed.headers);
        }

        let mut request = String::from("POST / HTTP/1.1\n");
        for (k, v) in &headers {
            request.push_str(&format!("{k}: {v}\n"));
        }
        request.push('\n');
        request.push_str(&body);
        request.push('\n');

        let mut builder = Request::builder().method("POST").uri("/");
        for (k, v) in &headers {
            builder = builder.header(k, v);
        }
        let mut req = builder.body(Body::from(body)).unwrap();
        let peer: SocketAddr = "127.0.0.1:50000".parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(peer));
        let resp = self.app.clone().oneshot(req).await.unwrap();

        let status = resp.status();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("no {name} header"))
        };
        let mut response = format!(
            "HTTP/1.1 {} {}\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        response.push_str(&format!(
            "x-amzn-requestid: {}\n",
            header("x-amzn-requestid")
        ));
        response.push_str(&format!("content-type: {}\n", header("content-type")));
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8(bytes.to_vec()).unwrap();
        response.push('\n');
        response.push_str(&body);
        response.push('\n');
        Exchange {
            request,
            status: status.as_u16(),
            body,
            response,
        }
    }

    /// Sends a setup call that must succeed and returns its body.
    pub async fn ok(&self, call: &Call) -> String {
        let ex = self.send(call).await;
        assert_eq!(ex.status, 200, "setup call failed: {}", ex.body);
        ex.body
    }

    /// Sends `call` and compares the exchange with the golden files of `case`
    /// (`svc/Operation/case`), or rewrites them under `BLESS=1`.
    pub async fn assert_matches(&self, case: &str, call: &Call) -> Exchange {
        let ex = self.send(call).await;
        compare(case, "request.http", &ex.request);
        compare(case, "response.http", &ex.response);
        ex
    }
}

fn compare(case: &str, file: &str, actual: &str) {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "golden", case, file]
        .iter()
        .collect();
    if std::env::var_os("BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with BLESS=1 to create it, then review it",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{} differs from the golden (BLESS=1 rewrites it; review the diff first)\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}
