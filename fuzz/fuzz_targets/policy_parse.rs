//! Any text, as each kind of policy: parsed or refused with AWS's message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roleplay_policy::{Policy, PolicyKind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in [
        PolicyKind::Identity,
        PolicyKind::Resource,
        PolicyKind::Trust,
        PolicyKind::PermissionsBoundary,
        PolicyKind::Session,
    ] {
        if let Err(e) = Policy::parse(text, kind) {
            assert!(!e.aws_message().is_empty());
        }
    }
});
