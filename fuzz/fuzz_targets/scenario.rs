//! Scenario files: loaded or refused with located errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roleplay_engine::scenario::Scenario;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Scenario::parse(text);
    }
});
