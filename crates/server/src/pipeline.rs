//! The request pipeline, in AWS's order: request id, roleplay's own endpoints, body limit,
//! authentication (SigV4 against the caller's secret), decoding, the operation, the response.
//! An unauthenticated request never reaches decoding or the store beyond the key lookup.

use crate::query::Failure;
use crate::{AppState, iam, s3, sts};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Limited};
use roleplay_engine::decisions::DecisionQuery;
use roleplay_engine::{Identity, RequestInfo};
use roleplay_sigv4::{RequestView, SigningSettings, parse, sha256_hex, verify};
use roleplay_wire::decisions::explain_text;
use roleplay_wire::envelope::{ErrorResponse, Fault, IAM_NAMESPACE, STS_NAMESPACE, query_error};
use roleplay_wire::query::{Limits, Params};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// Query-protocol bodies larger than this are refused before any work.
const MAX_QUERY_BODY: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Iam,
    Sts,
}

impl Service {
    fn namespace(self) -> &'static str {
        match self {
            Service::Iam => IAM_NAMESPACE,
            Service::Sts => STS_NAMESPACE,
        }
    }
}

fn request_id(state: &AppState) -> String {
    let mut b = [0u8; 16];
    state.ids.fill(&mut b);
    // A version-4 UUID, as IAM and STS request ids are.
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            id.push('-');
        }
        for nibble in [byte >> 4, byte & 0x0f] {
            id.push(char::from(
                HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    id
}

struct Outcome {
    status: u16,
    /// `text/xml` for AWS operations; roleplay's own answers may be JSON or plain text.
    content_type: &'static str,
    /// The error code, for failures.
    code: Option<String>,
    body: String,
    account: Option<String>,
    principal: Option<String>,
    operation: String,
}

/// The request's headers as text for SigV4: borrowed, unless a value is not UTF-8 and is
/// read lossily.
pub(crate) fn header_texts(
    headers: &axum::http::HeaderMap,
) -> Vec<(&str, std::borrow::Cow<'_, str>)> {
    headers
        .iter()
        .map(|(k, v)| {
            // Nearly every value is visible ASCII, which `to_str` checks faster than the
            // lossy decoder walks it.
            let text = v.to_str().map_or_else(
                |_| String::from_utf8_lossy(v.as_bytes()),
                std::borrow::Cow::Borrowed,
            );
            (k.as_str(), text)
        })
        .collect()
}

/// Handles every request.
pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let started = Instant::now();
    let rid = request_id(&state);
    let path = req.uri().path().to_owned();
    if path == "/_roleplay/health" {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"ok"}"#,
        )
            .into_response();
    }
    if path == "/_roleplay/clock" {
        return clock(&state, &req);
    }
    if path == "/_roleplay/decisions" {
        let is_get = req.method() == axum::http::Method::GET;
        let query = req.uri().query().unwrap_or_default().to_owned();
        return decisions(&state, is_get, &query).await;
    }
    if is_s3(&req) {
        let (expects, empty) = continue_expected(&req);
        let (parts, body) = req.into_parts();
        // Boxed: the S3 future is several KiB, and every layer above would move it whole.
        let (mut response, principal, operation) =
            Box::pin(s3::handle(&state, peer, parts, body, &rid)).await;
        if closes_after(expects, empty, response.status()) {
            response.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
        }
        let status = response.status().as_u16();
        tracing::info!(
            request_id = rid.as_str(),
            principal = principal.as_deref().unwrap_or("-"),
            operation = operation.as_str(),
            decision = match status {
                200..=299 => "allow",
                403 => "deny",
                _ => "-",
            },
            status,
            latency_us = started.elapsed().as_micros() as u64,
            "request"
        );
        return response;
    }
    let out = Box::pin(run(&state, peer, req, &rid)).await;
    let status = StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    tracing::info!(
        request_id = rid.as_str(),
        account = out.account.as_deref().unwrap_or("-"),
        principal = out.principal.as_deref().unwrap_or("-"),
        operation = out.operation.as_str(),
        decision = match (out.status, out.code.as_deref()) {
            (200, _) => "allow",
            (_, Some("AccessDenied")) => "deny",
            _ => "-",
        },
        code = out.code.as_deref().unwrap_or("-"),
        status = out.status,
        latency_us = started.elapsed().as_micros() as u64,
        "request"
    );
    let mut response = (status, out.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(out.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(&rid) {
        headers.insert("x-amzn-RequestId", v);
    }
    response
}

/// Whether the answer to `req` must close the connection: the request expected `100
/// Continue`, and either has no body or was answered without reading it (an error before
/// the body, such as a denial). S3 sends the interim response for an empty body; the HTTP
/// layer here sends the final response alone in both cases, as HTTP allows, and botocore
/// then parses the next answer on that pooled connection with this one's status line
/// (boto/botocore#3755): an empty upload stalled the next one until the read timeout, and
/// a denied upload made the next one fail with the denial's status. Closing costs the
/// client a reconnect.
fn closes_after(req_expects_continue: bool, body_empty: bool, status: StatusCode) -> bool {
    req_expects_continue && (body_empty || !status.is_success())
}

/// Whether `req` expects `100 Continue`, and whether it has no body.
fn continue_expected(req: &Request) -> (bool, bool) {
    let headers = req.headers();
    let expects = headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let empty = match headers.get(header::CONTENT_LENGTH) {
        Some(len) => len.as_bytes() == b"0",
        None => !headers.contains_key(header::TRANSFER_ENCODING),
    };
    (expects, empty)
}

/// `GET /_roleplay/decisions?request_id=&principal=&action=&decision=&since=&until=&limit=&format=`:
/// the decision log's records, as JSON (`{"decisions": [...]}`) or, with `format=text`, in
/// plain words.
async fn decisions(state: &Arc<AppState>, is_get: bool, query: &str) -> Response {
    let plain = |status: StatusCode, text: String| {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text,
        )
            .into_response()
    };
    if !is_get {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "use GET\n".into());
    }
    let Some(log) = state.engine.decision_log().cloned() else {
        return plain(StatusCode::NOT_FOUND, "the decision log is off\n".into());
    };
    let params = match Params::from_form(query.as_bytes(), &Limits::default()) {
        Ok(p) => p,
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("{e}\n")),
    };
    let known = [
        "request_id",
        "principal",
        "action",
        "decision",
        "since",
        "until",
        "limit",
        "format",
    ];
    if let Some((name, _)) = params.iter().find(|(n, _)| !known.contains(n)) {
        return plain(
            StatusCode::BAD_REQUEST,
            format!("unknown parameter {name}; known: {}\n", known.join(", ")),
        );
    }
    let get = |n: &str| params.get(n).map(str::to_owned);
    let limit = match params.get("limit").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=10_000).contains(&n) => n,
        Some(_) => return plain(StatusCode::BAD_REQUEST, "limit must be 1 to 10000\n".into()),
    };
    let text = match params.get("format") {
        None | Some("json") => false,
        Some("text") => true,
        Some(_) => return plain(StatusCode::BAD_REQUEST, "format is json or text\n".into()),
    };
    let query = DecisionQuery {
        request_id: get("request_id"),
        principal: get("principal"),
        action: get("action"),
        decision: get("decision"),
        since: get("since"),
        until: get("until"),
        limit,
    };
    // Searching reads the log files: keep it off the async workers.
    let found = tokio::task::spawn_blocking(move || log.search(&query)).await;
    let records = match found {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return plain(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
        Err(e) => return plain(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    };
    if text {
        let body: Vec<String> = records.iter().map(explain_text).collect();
        return plain(StatusCode::OK, body.join("\n"));
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "decisions": records }).to_string(),
    )
        .into_response()
}

/// `POST /_roleplay/clock?advance=SECONDS`: moves the clock forward, when enabled for tests.
fn clock(state: &AppState, req: &Request) -> Response {
    if !state.clock_control {
        return (StatusCode::NOT_FOUND, "clock control is not enabled").into_response();
    }
    let seconds = req
        .uri()
        .query()
        .and_then(|q| q.strip_prefix("advance="))
        .and_then(|s| s.parse::<i64>().ok());
    match seconds {
        Some(s) if s >= 0 => {
            state.clock.advance(s);
            (
                StatusCode::OK,
                format!("{{\"now\":\"{}\"}}", state.clock.now()),
            )
                .into_response()
        }
        _ => (StatusCode::BAD_REQUEST, "expected ?advance=SECONDS").into_response(),
    }
}

fn failure(service: Service, rid: &str, f: &Failure, operation: &str) -> Outcome {
    let fault = if f.status >= 500 {
        Fault::Receiver
    } else {
        Fault::Sender
    };
    Outcome {
        status: f.status,
        content_type: "text/xml",
        code: Some(f.code.clone()),
        body: query_error(&ErrorResponse {
            namespace: service.namespace(),
            fault,
            code: &f.code,
            message: &f.message,
            request_id: rid,
        }),
        account: None,
        principal: None,
        operation: operation.to_owned(),
    }
}

/// Whether a request is for S3: signed for the `s3` service, or unsigned and not a query
/// protocol call (no form body, no `Action`).
fn is_s3(req: &Request) -> bool {
    let scope_is_s3 =
        |s: &str| s.contains("/s3/aws4_request") || s.contains("%2Fs3%2Faws4_request");
    if let Some(auth) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        // `AWS key:signature` is S3's Signature Version 2, which S3 refuses by name.
        return scope_is_s3(auth) || auth.starts_with("AWS ");
    }
    let query = req.uri().query().unwrap_or("");
    if query.contains("X-Amz-Credential=") {
        return scope_is_s3(query);
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let query_protocol =
        query.contains("Action=") || (form && req.method() == axum::http::Method::POST);
    !query_protocol
}

/// STS operations; everything else signed for `iam` or unsigned goes to IAM's namespace.
fn service_of_action(action: Option<&str>) -> Service {
    match action {
        Some(
            "AssumeRole"
            | "AssumeRoleWithWebIdentity"
            | "AssumeRoleWithSAML"
            | "GetCallerIdentity"
            | "GetSessionToken"
            | "GetFederationToken"
            | "GetAccessKeyInfo"
            | "DecodeAuthorizationMessage",
        ) => Service::Sts,
        _ => Service::Iam,
    }
}

async fn run(state: &Arc<AppState>, peer: SocketAddr, req: Request, rid: &str) -> Outcome {
    let (parts, body) = req.into_parts();
    // A declared length over the limit is refused before waiting for a byte of it.
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_QUERY_BODY as u64) {
        let f = Failure::new("RequestEntityTooLarge", 413, "Request body is too large.");
        return failure(Service::Iam, rid, &f, "-");
    }
    let body = match Limited::new(body, MAX_QUERY_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            let f = if e.is::<http_body_util::LengthLimitError>() {
                Failure::new("RequestEntityTooLarge", 413, "Request body is too large.")
            } else if crate::conn::timed_out(e.as_ref()) {
                Failure::new(
                    "RequestTimeout",
                    400,
                    "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.",
                )
            } else {
                Failure::new(
                    "IncompleteBody",
                    400,
                    "The request body ended before the length given by its Content-Length header.",
                )
            };
            return failure(Service::Iam, rid, &f, "-");
        }
    };
    let headers = header_texts(&parts.headers);
    let header_refs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_ref())).collect();
    let payload_hash = sha256_hex(&body);
    let query = parts.uri.query().unwrap_or("");
    let view = RequestView {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query,
        headers: &header_refs,
        payload_hash: &payload_hash,
    };
    let settings = SigningSettings::QUERY;
    let claims = match parse(&view, &settings) {
        Ok(c) => c,
        Err(e) => {
            // Unsigned: answer in the namespace of the action asked for.
            let action = Params::from_query_and_form(query.as_bytes(), &body, &Limits::default())
                .ok()
                .and_then(|p| p.get("Action").map(str::to_owned));
            let service = service_of_action(action.as_deref());
            let op = action.unwrap_or_else(|| "-".into());
            return failure(service, rid, &Failure::from_sigv4(&e), &op);
        }
    };
    let service = match claims.scope.service() {
        "iam" => Service::Iam,
        "sts" => Service::Sts,
        other => {
            let f = Failure::new(
                "InvalidClientTokenId",
                403,
                format!("Credential should be scoped to correct service: '{other}'."),
            );
            return failure(Service::Iam, rid, &f, "-");
        }
    };

    let now = state.clock.now();
    // Inline, not on the blocking pool: one indexed read of a key, or a session token opened
    // in memory, costs less than handing the request to another thread and back
    // (BENCHMARKS.md).
    let auth = match state
        .engine
        .authenticate(claims.access_key_id(), claims.security_token(), now)
    {
        Ok(a) => a,
        Err(e) => {
            // The signature decides first: a wrong secret is SignatureDoesNotMatch only for
            // keys that exist.
            return failure(service, rid, &Failure::from(e), "-");
        }
    };
    let region = claims.scope.region().to_owned();
    if let Err(e) = verify(
        claims,
        &view,
        auth.secret.expose(),
        now,
        &state.keys,
        &settings,
    ) {
        let f = Failure::from_sigv4(&e);
        let mut out = failure(service, rid, &f, "-");
        out.account = Some(auth.identity.account.to_string());
        return out;
    }

    let params = match Params::from_query_and_form(query.as_bytes(), &body, &Limits::default()) {
        Ok(p) => p,
        Err(e) => return failure(service, rid, &Failure::from(e), "-"),
    };
    // roleplay's own signed call: "would this caller be allowed?".
    let what_if = parts.uri.path() == WHAT_IF_PATH;
    let action = match params.action() {
        _ if what_if => "roleplay:Explain".to_owned(),
        Ok(a) => a.to_owned(),
        Err(e) => return failure(service, rid, &Failure::from(e), "-"),
    };
    let info = RequestInfo {
        request_id: rid.to_owned(),
        now,
        source_ip: Some(peer.ip()),
        region,
        secure: false,
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        s3_keys: Vec::new(),
    };
    let identity = auth.identity;
    let account = identity.account.to_string();
    let principal = identity.arn();
    let engine = state.engine.clone();
    let rid_owned = rid.to_owned();
    let op = action.clone();
    let run = move || {
        if what_if {
            return explain(&engine, &identity, &info, &params);
        }
        dispatch(&engine, service, &identity, &info, &params, &op, &rid_owned)
            .map(|body| (body, "text/xml"))
    };
    // STS operations only read (a key's last use is written at most once a minute), so they
    // run inline too; IAM operations write and sync, and go to the blocking pool.
    let result = match service {
        Service::Sts => Ok(run()),
        Service::Iam => tokio::task::spawn_blocking(run).await,
    };
    let mut out = match result {
        Ok(Ok((body, content_type))) => Outcome {
            status: 200,
            content_type,
            code: None,
            body,
            account: None,
            principal: None,
            operation: action.clone(),
        },
        Ok(Err(f)) => failure(service, rid, &f, &action),
        Err(_) => failure(
            service,
            rid,
            &Failure::new("InternalFailure", 500, "An internal error occurred."),
            &action,
        ),
    };
    out.account = Some(account);
    out.principal = Some(principal);
    out
}

/// Where a signed request asks whether its caller may perform `ActionName` on `ResourceArn`.
pub const WHAT_IF_PATH: &str = "/_roleplay/explain";

/// The what-if check: the decision record as JSON, or in words with `Format=text`.
fn explain(
    engine: &roleplay_engine::Engine,
    identity: &Identity,
    info: &RequestInfo,
    params: &Params,
) -> Result<(String, &'static str), Failure> {
    let action = params.required("ActionName").map_err(Failure::from)?;
    let resource = params.optional("ResourceArn").unwrap_or("*");
    let record = engine
        .what_if(identity, info, action, resource)
        .map_err(Failure::from)?;
    match params.optional("Format") {
        Some("text") => Ok((explain_text(&record), "text/plain; charset=utf-8")),
        None | Some("json") => Ok((record.to_string(), "application/json")),
        Some(other) => Err(Failure::new(
            "ValidationError",
            400,
            format!("Format must be json or text, not {other}."),
        )),
    }
}

fn dispatch(
    engine: &roleplay_engine::Engine,
    service: Service,
    id: &Identity,
    info: &RequestInfo,
    params: &Params,
    action: &str,
    rid: &str,
) -> Result<String, Failure> {
    let name = match service {
        Service::Iam => "iam",
        Service::Sts => "sts",
    };
    if let Err(e) = engine.record_key_use(id, name, &info.region, info.now) {
        tracing::warn!(error = %e, "recording the access key's last use failed");
    }
    match service {
        Service::Iam => iam::handle(engine, id, info, params, action, rid),
        Service::Sts => sts::handle(engine, id, info, params, action, rid),
    }
}
