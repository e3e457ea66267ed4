//! The XML writer: escaping, list styles, optional elements.

use roleplay_wire::xml::{XmlWriter, escape_attribute, escape_text};

#[test]
fn escapes_the_five_special_characters_in_text() {
    let mut w = XmlWriter::new();
    w.text_element("V", r#"<a href="x">Tom & 'Jerry'</a>"#);
    assert_eq!(
        w.finish(),
        "<V>&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;</V>"
    );
}

#[test]
fn escapes_attribute_values() {
    let mut w = XmlWriter::new();
    w.element_with_attributes("E", &[("xmlns", "a\"b<&>'\n")], |_| {});
    assert_eq!(
        w.finish(),
        "<E xmlns=\"a&quot;b&lt;&amp;&gt;&apos;&#xA;\"></E>"
    );
}

#[test]
fn control_characters_never_reach_the_document_raw() {
    let all_controls: String = (0u8..0x20).map(char::from).collect();
    let text = escape_text(&all_controls);
    assert!(text.starts_with(
        "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\t\n\u{FFFD}\u{FFFD}&#xD;"
    ));
    assert!(
        text.chars()
            .all(|c| c == '\t' || c == '\n' || !c.is_control())
    );
    assert!(
        escape_attribute(&all_controls)
            .chars()
            .all(|c| !c.is_control())
    );
}

#[test]
fn non_ascii_passes_through() {
    assert_eq!(escape_text("naïve 名前 😀"), "naïve 名前 😀");
}

#[test]
fn member_and_flattened_lists() {
    let mut w = XmlWriter::new();
    w.text_member_list("ClientIDList", ["a", "b"])
        .text_member_list("Empty", Vec::<String>::new())
        .flattened_list("Contents", ["k1", "k2"], |w, key| {
            w.text_element("Key", key);
        })
        .flattened_list("None", Vec::<&str>::new(), |_, _| {});
    assert_eq!(
        w.finish(),
        concat!(
            "<ClientIDList><member>a</member><member>b</member></ClientIDList>",
            "<Empty></Empty>",
            "<Contents><Key>k1</Key></Contents><Contents><Key>k2</Key></Contents>"
        )
    );
}

#[test]
fn optional_elements_are_skipped_when_absent() {
    let mut w = XmlWriter::new();
    w.optional_text_element("Description", None)
        .optional_text_element("Path", Some("/"))
        .optional_display_element("MaxItems", None::<u32>)
        .optional_display_element("PackedPolicySize", Some(6))
        .empty_element("Blank");
    assert_eq!(
        w.finish(),
        "<Path>/</Path><PackedPolicySize>6</PackedPolicySize><Blank/>"
    );
}

#[test]
fn s3_documents_start_with_the_declaration() {
    let mut w = XmlWriter::with_declaration();
    w.element_with_attributes(
        "ListAllMyBucketsResult",
        &[("xmlns", roleplay_wire::envelope::S3_NAMESPACE)],
        |w| {
            w.element("Buckets", |w| {
                w.flattened_list("Bucket", ["b1"], |w, b| {
                    w.text_element("Name", b).timestamp_millis_element(
                        "CreationDate",
                        time::macros::datetime!(2026-11-27 19:43:17.5 UTC),
                    );
                });
            });
        },
    );
    assert_eq!(
        String::from_utf8(w.into_bytes()).unwrap(),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            r#"<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#,
            "<Buckets><Bucket><Name>b1</Name><CreationDate>2026-11-27T19:43:17.500Z</CreationDate></Bucket></Buckets>",
            "</ListAllMyBucketsResult>"
        )
    );
}

/// The escaper as a plain rule per character: what the byte-scanning one must equal.
fn escape_reference(text: &str, attribute: bool) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&apos;".to_owned(),
            '\r' => "&#xD;".to_owned(),
            '\n' if attribute => "&#xA;".to_owned(),
            '\t' if attribute => "&#x9;".to_owned(),
            '\n' | '\t' => c.to_string(),
            '\u{FFFE}' | '\u{FFFF}' => "\u{FFFD}".to_owned(),
            c if c < ' ' => "\u{FFFD}".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

proptest::proptest! {
    #[test]
    fn escaping_is_the_per_character_rule(
        text in proptest::string::string_regex(
            "([a-z<>&\"'\\t\\n\\r\\x00-\\x1f]|\u{FFFD}|\u{FFFE}|\u{FFFF}|\u{EFBF}|é|😀|ｿ){0,40}"
        ).unwrap()
    ) {
        proptest::prop_assert_eq!(escape_text(&text), escape_reference(&text, false));
        proptest::prop_assert_eq!(escape_attribute(&text), escape_reference(&text, true));
    }

    #[test]
    fn escaping_any_text_is_the_per_character_rule(text in ".{0,64}") {
        proptest::prop_assert_eq!(escape_text(&text), escape_reference(&text, false));
        proptest::prop_assert_eq!(escape_attribute(&text), escape_reference(&text, true));
    }
}
