//! The strict XML reader of S3 request bodies: it never panics, whatever the bytes, and
//! reads back exactly what the writer wrote.

use proptest::prelude::*;
use roleplay_wire::s3_route::route;
use roleplay_wire::xml::XmlWriter;
use roleplay_wire::xml_read::{Element, Limits, parse};

/// A tree with text only on leaves, as S3's request documents are.
fn arb_element() -> impl Strategy<Value = Element> {
    let leaf = ("[A-Za-z][A-Za-z0-9]{0,7}", "[^\\p{Cc}]{0,16}").prop_map(|(name, text)| Element {
        name,
        text,
        ..Element::default()
    });
    leaf.prop_recursive(4, 32, 4, |inner| {
        (
            "[A-Za-z][A-Za-z0-9]{0,7}",
            proptest::collection::vec(inner, 1..4),
        )
            .prop_map(|(name, children)| Element {
                name,
                children,
                ..Element::default()
            })
    })
}

fn write(w: &mut XmlWriter, e: &Element) {
    if e.children.is_empty() {
        w.text_element(&e.name, &e.text);
    } else {
        w.element(&e.name, |w| {
            for c in &e.children {
                write(w, c);
            }
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes, &Limits::default());
    }

    #[test]
    fn markup_noise_never_panics(s in "(<[!?/]?[A-Za-z:]{0,4}( [a-z]{1,3}=\"[^\"]{0,3}\")?/?>|&[a-z#x0-9]{0,5};|<!\\[CDATA\\[|\\]\\]>|<!--|-->|<!DOCTYPE|[a-z <>&;]){0,40}") {
        let _ = parse(s.as_bytes(), &Limits::default());
    }

    #[test]
    fn what_the_writer_writes_the_reader_reads(root in arb_element(), declaration in any::<bool>()) {
        let mut w = if declaration { XmlWriter::with_declaration() } else { XmlWriter::new() };
        write(&mut w, &root);
        let doc = w.finish();
        let read = parse(doc.as_bytes(), &Limits::default()).unwrap();
        prop_assert_eq!(read, root);
    }

    #[test]
    fn the_s3_router_never_panics(
        method in "(GET|PUT|POST|DELETE|HEAD|[A-Z]{0,6})",
        host in proptest::option::of("[a-z0-9.:-]{0,24}"),
        path in "(/|%[0-9A-Fa-f]{0,2}|[a-z.]{0,6}|%2F|%00|\\.\\.){0,8}",
        query in proptest::collection::vec(("[a-zA-Z-]{0,10}", "[^&]{0,6}"), 0..4),
        copy in any::<bool>(),
    ) {
        let _ = route(&method, host.as_deref(), &path, &query, copy);
    }
}
