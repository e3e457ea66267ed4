//! Form bodies and query strings: decoded within the limits or refused, never a panic; what
//! decodes, its lists, structures and maps are read without a panic too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roleplay_wire::query::{Limits, Params};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(p) = Params::from_form(data, &limits) {
        let _ = p.action();
        for name in ["A", "Tags", "PolicyArns", "Key"] {
            let _ = p.list(name);
            let _ = p.map(name);
            if let Ok(members) = p.structs(name) {
                for m in members {
                    let _ = m.required("Key");
                }
            }
        }
    }
    let half = data.len() / 2;
    let (q, f) = data.split_at(half);
    let _ = Params::from_query_and_form(q, f, &limits);
});
