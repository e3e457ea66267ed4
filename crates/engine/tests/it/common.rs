//! An engine over an in-memory store with the built-in scenario, and callers for it.

use roleplay_engine::iam::{Owner, Paging};
use roleplay_engine::scenario::{BUILT_IN, Scenario};
use roleplay_engine::session::TokenKey;
use roleplay_engine::{ApiError, Engine, ErrorCode, Identity, RequestInfo};
use roleplay_store::{Page, SqliteStore};
use roleplay_types::SeededIdGen;
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::datetime;

/// The root key of account B.
pub const B_ROOT_KEY: &str = "AKIAVA2BPY5AXIX6EA6Q";
pub const B: &str = "345345345345";
pub const NOW: OffsetDateTime = datetime!(2026-03-01 12:00:00 UTC);

pub struct Env {
    pub engine: Engine,
    pub root: Identity,
    pub info: RequestInfo,
}

pub fn info_at(now: OffsetDateTime) -> RequestInfo {
    RequestInfo {
        request_id: "test-request".into(),
        now,
        source_ip: None,
        region: "us-east-1".into(),
        secure: false,
        user_agent: None,
        s3_keys: Vec::new(),
    }
}

pub fn env() -> Env {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let engine = Engine::new(
        store,
        Arc::new(SeededIdGen::new(11)),
        TokenKey::from_master(&[7; 32]),
        NOW,
    )
    .unwrap();
    engine
        .apply_scenario(&Scenario::parse(BUILT_IN).unwrap(), NOW)
        .unwrap();
    let root = engine.authenticate(B_ROOT_KEY, None, NOW).unwrap().identity;
    Env {
        engine,
        root,
        info: info_at(NOW),
    }
}

impl Env {
    /// A new user of account B with an access key and, if given, one inline policy; the
    /// user's identity.
    pub fn user(&self, name: &str, policy: Option<&str>) -> Identity {
        let e = &self.engine;
        e.create_user(&self.root, &self.info, name, None, None, Vec::new())
            .unwrap();
        if let Some(doc) = policy {
            e.put_inline_policy(&self.root, &self.info, Owner::User, name, "p", doc)
                .unwrap();
        }
        let key = e
            .create_access_key(&self.root, &self.info, Some(name))
            .unwrap();
        e.authenticate(&key.key.id, None, NOW).unwrap().identity
    }
}

/// An identity policy allowing `action` on `*`.
pub fn allow(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

pub fn paging(max: usize, marker: Option<String>) -> Paging {
    Paging {
        path_prefix: None,
        marker,
        max_items: Some(max),
    }
}

/// Every item of a listing fetched one item per page, checking each page's shape.
pub fn one_by_one<T>(mut fetch: impl FnMut(Paging) -> Result<Page<T>, ApiError>) -> Vec<T> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let page = fetch(paging(1, marker.take())).unwrap();
        assert!(page.items.len() <= 1);
        assert_eq!(page.is_truncated, page.marker.is_some());
        out.extend(page.items);
        match page.marker {
            Some(m) => marker = Some(m),
            None => return out,
        }
    }
}

#[track_caller]
pub fn assert_error<T: std::fmt::Debug>(r: Result<T, ApiError>, code: ErrorCode, message: &str) {
    let e = r.expect_err("expected an error");
    assert_eq!(e.code, code, "{}", e.message);
    assert_eq!(e.message, message);
}

#[track_caller]
pub fn assert_denied<T: std::fmt::Debug>(r: Result<T, ApiError>, action: &str) {
    let e = r.expect_err("expected AccessDenied");
    assert_eq!(e.code, ErrorCode::AccessDenied, "{}", e.message);
    assert!(
        e.message
            .contains(&format!("not authorized to perform: {action} on resource")),
        "{}",
        e.message
    );
}
