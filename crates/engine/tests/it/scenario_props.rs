//! The scenario loader never panics, on any text or on any mutation of a valid scenario, and
//! what it accepts it accepts again when written back out the same way.

use proptest::prelude::*;
use roleplay_engine::scenario::{BUILT_IN, Scenario};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = Scenario::parse(&text);
    }

    #[test]
    fn toml_shaped_noise_never_panics(text in "((\\[\\[?[a-z_.]{0,12}\\]\\]?|[a-z_]{1,12} = (\"[^\"\\n]{0,20}\"|[0-9]{1,13}|true|\\[\\]|\\{\\}|'''[^']{0,30}'''))\n){0,12}") {
        let _ = Scenario::parse(&text);
    }

    #[test]
    fn mutating_the_built_in_scenario_never_panics(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..3, "\\PC{0,4}"), 1..6)
    ) {
        let mut text: Vec<char> = BUILT_IN.chars().collect();
        for (at, kind, s) in edits {
            let i = at.index(text.len() + 1);
            match kind {
                0 => { text.splice(i..i, s.chars()); }
                1 => { let end = (i + s.len()).min(text.len()); text.drain(i..end); }
                _ => { let end = (i + s.chars().count()).min(text.len()); text.splice(i..end, s.chars()); }
            }
        }
        let text: String = text.into_iter().collect();
        if let Err(errors) = Scenario::parse(&text) {
            // Every refusal points at a line of the text.
            let lines = text.lines().count().max(1);
            for e in errors {
                prop_assert!(e.line >= 1 && e.line <= lines + 1, "line {} of {}", e.line, lines);
            }
        }
    }
}

#[test]
fn the_built_in_scenario_is_valid() {
    assert!(Scenario::parse(BUILT_IN).is_ok());
}
