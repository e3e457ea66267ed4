//! S3 request bodies (CompleteMultipartUpload, Delete, configurations) through the strict
//! reader: read within the limits or refused, never a panic, never an entity expanded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use roleplay_wire::xml_read::{Limits, parse};

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = parse(data, &Limits::default()) {
        // Nothing read can be larger than what was sent.
        fn size(e: &roleplay_wire::xml_read::Element) -> usize {
            e.name.len() + e.text.len() + e.children.iter().map(size).sum::<usize>()
        }
        assert!(size(&root) <= data.len());
    }
});
