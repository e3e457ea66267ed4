//! Statement positions agree with the parser: every document IAM accepts among the validation
//! vectors gets one span per statement, each starting just after a `{` and ending just after
//! the matching `}`, whether the document is written compactly or pretty-printed.

use roleplay_policy::{Policy, PolicyKind, Position, statement_spans};
use serde_json::Value;
use std::path::Path;

fn kind(name: &str) -> Option<PolicyKind> {
    Some(match name {
        "identity" | "managed" => PolicyKind::Identity,
        "resource" => PolicyKind::Resource,
        "trust" => PolicyKind::Trust,
        "boundary" => PolicyKind::PermissionsBoundary,
        "session" => PolicyKind::Session,
        _ => return None,
    })
}

/// The character just before `p`, counting lines and columns as the scanner does.
fn char_before(text: &str, p: Position) -> Option<char> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let line = text.split('\n').nth(usize::try_from(p.line).ok()? - 1)?;
    line.chars().nth(usize::try_from(p.column).ok()? - 2)
}

fn texts() -> Vec<(String, PolicyKind)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validation");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let entries: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for e in entries {
            let Some(k) = kind(e["kind"].as_str().unwrap_or("")) else {
                continue;
            };
            if !e["valid"].as_bool().unwrap_or(false) {
                continue;
            }
            match (e.get("text"), e.get("document")) {
                (Some(Value::String(t)), _) => out.push((t.clone(), k)),
                (_, Some(doc)) => {
                    out.push((doc.to_string(), k));
                    out.push((serde_json::to_string_pretty(doc).unwrap(), k));
                }
                _ => {}
            }
        }
    }
    out
}

#[test]
fn one_span_per_statement_of_every_accepted_document() {
    let texts = texts();
    assert!(texts.len() > 20, "only {} documents", texts.len());
    assert!(texts.iter().any(|(t, _)| t.lines().count() > 5));
    for (text, k) in texts {
        let policy = Policy::parse(&text, k).unwrap();
        let spans = statement_spans(&text);
        assert_eq!(spans.len(), policy.statements().len(), "{text}");
        for s in spans {
            assert_eq!(char_before(&text, s.start), Some('{'), "{s:?} in {text}");
            assert_eq!(char_before(&text, s.end), Some('}'), "{s:?} in {text}");
            assert!((s.start.line, s.start.column) < (s.end.line, s.end.column));
        }
    }
}
