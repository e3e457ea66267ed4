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
