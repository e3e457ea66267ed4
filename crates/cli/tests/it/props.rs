//! Properties: the parser and the whole resolution never panic on arbitrary text.

use proptest::prelude::*;
use roleplay_cli::config::{Args, parse::parse};
use std::collections::BTreeMap;

fn ini_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "\\[[a-z \"'-]{0,12}\\]",
        "[ \t]{0,3}[a-zA-Z_]{0,10}[ ]?[=:][ ]?[a-z0-9:/ =\"'-]{0,20}",
        "[ \t]{1,4}[a-z_ =]{0,12}",
        "[#;].{0,10}",
        ".{0,20}",
    ];
    prop::collection::vec(line, 0..20).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #[test]
    fn parser_never_panics_on_any_text(text in ".*") {
        let _ = parse(&text);
    }

    #[test]
    fn resolution_never_panics_on_ini_like_text(config in ini_like(), credentials in ini_like(), profile in prop::option::of("[a-z-]{1,8}")) {
        let env: BTreeMap<String, String> = [("HOME".to_owned(), "/h".to_owned())].into();
        let files: BTreeMap<String, String> = [
            ("/h/.aws/config".to_owned(), config),
            ("/h/.aws/credentials".to_owned(), credentials),
        ].into();
        let loaded = roleplay_cli::config::load(&env, &files);
        let args = Args { profile, ..Args::default() };
        let _ = roleplay_cli::config::resolve(&loaded, &env, &args);
        let _ = roleplay_cli::doctor::check(&env, &files, None, time::macros::datetime!(2026-11-27 22:00 UTC));
    }
}
