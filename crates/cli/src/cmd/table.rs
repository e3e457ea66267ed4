//! `--output table`: not rendered yet; refused with a clear message rather than printed in
//! another format.

pub const UNSUPPORTED: &str = "--output table is not supported by roleplay yet; use json or text";
