//! JSON strings: byte for byte what serde_json writes, and they read back as the text.

use proptest::prelude::*;
use roleplay_wire::json;

fn written(text: &str) -> Vec<u8> {
    let mut out = b"x".to_vec();
    json::string(&mut out, text);
    out.split_off(1)
}

#[test]
fn strings_are_escaped_as_serde_json_escapes_them() {
    for text in [
        "",
        "arn:aws:iam::123456789012:role/accounta",
        "a \"quoted\" \\ path",
        "tab\there\nnew line\r\u{8}\u{c}\u{0}\u{1f}\u{7f}",
        "ünïcødé ✓ 🦀 and a quote\" after sixteen bytes of text",
        "exactly sixteen!",
        "sixteen bytes..\"",
    ] {
        assert_eq!(
            String::from_utf8(written(text)).unwrap(),
            serde_json::to_string(text).unwrap(),
            "{text:?}"
        );
    }
}

/// Every position of the first escape, in strings long and short, behind plain ASCII or
/// bytes with the top bit set (which must not read as control characters).
#[test]
fn the_first_escape_is_found_wherever_it_is() {
    for filler in ['a', 'é', '\u{7f}', ' '] {
        for len in 0..40 {
            for at in 0..len {
                for special in ['"', '\\', '\n', '\u{1f}', '\u{0}'] {
                    let text: String = (0..len)
                        .map(|i| if i == at { special } else { filler })
                        .collect();
                    assert_eq!(
                        String::from_utf8(written(&text)).unwrap(),
                        serde_json::to_string(&text).unwrap(),
                        "{text:?}"
                    );
                }
            }
        }
    }
}

proptest! {
    #[test]
    fn any_string_matches_serde_json(text in any::<String>()) {
        let ours = written(&text);
        prop_assert_eq!(String::from_utf8(ours.clone()).unwrap(), serde_json::to_string(&text).unwrap());
        let back: String = serde_json::from_slice(&ours).unwrap();
        prop_assert_eq!(back, text);
    }

    #[test]
    fn control_heavy_strings_match_serde_json(text in "[\\x00-\\x20\"\\\\a-z✓]{0,80}") {
        prop_assert_eq!(String::from_utf8(written(&text)).unwrap(), serde_json::to_string(&text).unwrap());
    }
}
