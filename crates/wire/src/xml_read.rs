//! A small, strict reader for the XML bodies of S3 requests (`CompleteMultipartUpload`,
//! `Delete`): elements, attributes, text, CDATA, comments and the XML declaration.
//!
//! Document type declarations are refused outright, so no entity can be declared and none
//! expanded; only the five predefined entities and character references are decoded.
//! Size, depth and element count are bounded. Namespace prefixes are dropped from names.

use std::fmt;

/// Bounds on what [`parse`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest document, in bytes.
    pub max_bytes: usize,
    /// The deepest element nesting (the root is depth 1).
    pub max_depth: usize,
    /// The most elements in the document.
    pub max_elements: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024,
            max_depth: 16,
            max_elements: 4096,
        }
    }
}

/// Why a document was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Larger than [`Limits::max_bytes`].
    #[error("the document exceeds {0} bytes")]
    TooLarge(usize),
    /// Deeper than [`Limits::max_depth`] or with more than [`Limits::max_elements`].
    #[error("the document is nested too deeply or has too many elements")]
    TooComplex,
    /// Not well-formed, or using what this reader refuses (DTDs, unknown entities).
    #[error("malformed XML at byte {at}: {what}")]
    Malformed {
        /// Byte offset of the problem.
        at: usize,
        /// What was wrong.
        what: &'static str,
    },
}

/// An element: its local name, its child elements and its text (character data and CDATA
/// directly inside it, concatenated).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// The name without any namespace prefix.
    pub name: String,
    /// Attributes by local name, in document order.
    pub attributes: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// The text directly inside.
    pub text: String,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.name)
    }
}

/// Reads a document and returns its root element.
pub fn parse(input: &[u8], limits: &Limits) -> Result<Element, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge(limits.max_bytes));
    }
    let text = std::str::from_utf8(input).map_err(|e| XmlError::Malformed {
        at: e.valid_up_to(),
        what: "not UTF-8",
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let offset = input.len() - text.len();
    let mut r = Reader {
        s: text,
        pos: 0,
        offset,
        elements: 0,
        limits,
    };
    if r.rest().starts_with("<?xml") {
        r.skip_past("?>", "unterminated XML declaration")?;
    }
    r.misc()?;
    if !r.rest().starts_with('<') {
        return Err(r.err("no root element"));
    }
    let root = r.element(1)?;
    r.misc()?;
    if r.pos != r.s.len() {
        return Err(r.err("content after the root element"));
    }
    Ok(root)
}

struct Reader<'a> {
    s: &'a str,
    pos: usize,
    offset: usize,
    elements: usize,
    limits: &'a Limits,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn err(&self, what: &'static str) -> XmlError {
        XmlError::Malformed {
            at: self.offset + self.pos,
            what,
        }
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start_matches(is_xml_space).len();
    }

    fn skip_past(&mut self, end: &str, what: &'static str) -> Result<&'a str, XmlError> {
        let rest = self.rest();
        let i = rest.find(end).ok_or_else(|| self.err(what))?;
        self.pos += i + end.len();
        Ok(rest.get(..i).unwrap_or(""))
    }

    /// Whitespace, comments and processing instructions outside the root.
    fn misc(&mut self) -> Result<(), XmlError> {
        loop {
            self.skip_ws();
            let rest = self.rest();
            if rest.starts_with("<!--") {
                self.comment()?;
            } else if rest.starts_with("<!") {
                return Err(self.err("document type declarations are not accepted"));
            } else if rest.starts_with("<?") {
                return Err(self.err("processing instructions are not accepted"));
            } else {
                return Ok(());
            }
        }
    }

    fn comment(&mut self) -> Result<(), XmlError> {
        self.pos += 4;
        let body = self.skip_past("-->", "unterminated comment")?;
        if body.contains("--") {
            return Err(self.err("`--` inside a comment"));
        }
        Ok(())
    }

    fn name(&mut self) -> Result<String, XmlError> {
        let rest = self.rest();
        let len = rest
            .find(|c: char| is_xml_space(c) || matches!(c, '/' | '>' | '=' | '<'))
            .unwrap_or(rest.len());
        let name = rest.get(..len).unwrap_or("");
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == ':')
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'));
        if !valid {
            return Err(self.err("invalid name"));
        }
        self.pos += len;
        Ok(name.rsplit(':').next().unwrap_or(name).to_owned())
    }

    fn element(&mut self, depth: usize) -> Result<Element, XmlError> {
        if depth > self.limits.max_depth {
            return Err(XmlError::TooComplex);
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(XmlError::TooComplex);
        }
        self.pos += 1; // '<'
        let start = self.pos;
        let qualified_end = {
            let rest = self.rest();
            rest.find(|c: char| is_xml_space(c) || matches!(c, '/' | '>'))
                .unwrap_or(rest.len())
        };
        let qualified = self.s.get(start..start + qualified_end).unwrap_or("");
        let mut el = Element {
            name: self.name()?,
            ..Element::default()
        };
        loop {
            let had_space = {
                let before = self.pos;
                self.skip_ws();
                self.pos > before
            };
            let rest = self.rest();
            if rest.starts_with("/>") {
                self.pos += 2;
                return Ok(el);
            }
            if rest.starts_with('>') {
                self.pos += 1;
                break;
            }
            if !had_space {
                return Err(self.err("expected whitespace before an attribute"));
            }
            let name = self.name()?;
            self.skip_ws();
            if !self.rest().starts_with('=') {
                return Err(self.err("expected `=` after an attribute name"));
            }
            self.pos += 1;
            self.skip_ws();
            let quote = match self.rest().chars().next() {
                Some(q @ ('"' | '\'')) => q,
                _ => return Err(self.err("expected a quoted attribute value")),
            };
            self.pos += 1;
            let raw = self.skip_past(
                if quote == '"' { "\"" } else { "'" },
                "unterminated attribute value",
            )?;
            if raw.contains('<') {
                return Err(self.err("`<` in an attribute value"));
            }
            let value = self.unescape(raw)?;
            if el.attributes.iter().any(|(n, _)| *n == name) {
                return Err(self.err("duplicate attribute"));
            }
            el.attributes.push((name, value));
        }
        // Content.
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return Err(self.err("unclosed element"));
            }
            if let Some(after) = rest.strip_prefix("</") {
                let len = after
                    .find('>')
                    .ok_or_else(|| self.err("unterminated end tag"))?;
                let closing = after
                    .get(..len)
                    .unwrap_or("")
                    .trim_end_matches(is_xml_space);
                if closing != qualified {
                    return Err(self.err("mismatched end tag"));
                }
                self.pos += 2 + len + 1;
                return Ok(el);
            }
            if rest.starts_with("<!--") {
                self.comment()?;
            } else if rest.starts_with("<![CDATA[") {
                self.pos += 9;
                let data = self.skip_past("]]>", "unterminated CDATA section")?;
                el.text.push_str(data);
            } else if rest.starts_with("<!") {
                return Err(self.err("declarations are not accepted inside elements"));
            } else if rest.starts_with("<?") {
                return Err(self.err("processing instructions are not accepted"));
            } else if rest.starts_with('<') {
                let child = self.element(depth + 1)?;
                el.children.push(child);
            } else {
                let len = rest.find('<').unwrap_or(rest.len());
                let raw = rest.get(..len).unwrap_or("");
                if raw.contains("]]>") {
                    return Err(self.err("`]]>` in text"));
                }
                let text = self.unescape(raw)?;
                self.pos += len;
                el.text.push_str(&text);
            }
        }
    }

    /// Decodes the predefined entities and character references; any other `&` is an error.
    fn unescape(&self, raw: &str) -> Result<String, XmlError> {
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(i) = rest.find('&') {
            out.push_str(rest.get(..i).unwrap_or(""));
            let after = rest.get(i + 1..).unwrap_or("");
            let end = after
                .find(';')
                .ok_or_else(|| self.err("unterminated entity reference"))?;
            let entity = after.get(..end).unwrap_or("");
            let c = match entity {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let code = if let Some(hex) = entity.strip_prefix("#x") {
                        u32::from_str_radix(hex, 16).ok()
                    } else if let Some(dec) = entity.strip_prefix('#') {
                        dec.parse::<u32>().ok()
                    } else {
                        return Err(self.err("unknown entity"));
                    };
                    code.and_then(char::from_u32)
                        .filter(|c| is_xml_char(*c))
                        .ok_or_else(|| self.err("invalid character reference"))?
                }
            };
            out.push(c);
            rest = after.get(end + 1..).unwrap_or("");
        }
        out.push_str(rest);
        if !out.chars().all(is_xml_char) {
            return Err(self.err("a character XML does not allow"));
        }
        Ok(out)
    }
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Element, XmlError> {
        parse(s.as_bytes(), &Limits::default())
    }

    fn malformed(s: &str) -> bool {
        matches!(p(s), Err(XmlError::Malformed { .. }))
    }

    #[test]
    fn reads_a_complete_multipart_upload_body() {
        let doc = p(r#"<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <!-- parts -->
  <Part><ETag>&quot;abc&quot;</ETag><PartNumber>1</PartNumber></Part>
  <Part><ETag><![CDATA["d<e>f"]]></ETag><PartNumber>2</PartNumber></Part>
</CompleteMultipartUpload>"#)
        .unwrap();
        assert_eq!(doc.name, "CompleteMultipartUpload");
        assert_eq!(
            doc.attributes,
            [(
                "xmlns".to_owned(),
                "http://s3.amazonaws.com/doc/2006-03-01/".to_owned()
            )]
        );
        let parts: Vec<_> = doc.children_named("Part").collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].child_text("ETag"), Some("\"abc\""));
        assert_eq!(parts[1].child_text("ETag"), Some("\"d<e>f\""));
        assert_eq!(parts[1].child_text("PartNumber"), Some("2"));
    }

    #[test]
    fn decodes_references_and_drops_prefixes() {
        let doc = p("<s3:Delete xmlns:s3='x'><Object><Key>a&amp;b&#47;&#x263A;</Key></Object><Quiet/></s3:Delete>").unwrap();
        assert_eq!(doc.name, "Delete");
        assert_eq!(doc.children[0].child_text("Key"), Some("a&b/\u{263a}"));
        assert!(doc.child("Quiet").is_some());
    }

    #[test]
    fn refuses_malformed_documents() {
        for bad in [
            "",
            "   ",
            "text",
            "<a>",
            "<a></b>",
            "<a><b></a></b>",
            "<a></a><b></b>",
            "<a></a>trailing",
            "<a x=1></a>",
            "<a x='1' x='2'></a>",
            "<a x='1'y='2'></a>",
            "<a>&unknown;</a>",
            "<a>&#0;</a>",
            "<a>&amp</a>",
            "<a>]]></a>",
            "<1a></1a>",
            "<a><!-- a -- b --></a>",
            "<a><?pi x?></a>",
            "<a x='<'></a>",
            "<a>\u{1}</a>",
        ] {
            assert!(malformed(bad), "accepted {bad:?}");
        }
        assert!(matches!(
            parse(b"<a>\xff</a>", &Limits::default()),
            Err(XmlError::Malformed { .. })
        ));
    }

    #[test]
    fn refuses_entity_declarations() {
        let billion_laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<Delete><Object><Key>&lol2;</Key></Object></Delete>"#;
        assert!(malformed(billion_laughs));
        let external =
            r#"<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Delete>&x;</Delete>"#;
        assert!(malformed(external));
        assert!(malformed("<Delete><!ENTITY x 'y'></Delete>"));
        assert!(malformed("<Delete>&x;</Delete>"));
    }

    #[test]
    fn enforces_limits() {
        let limits = Limits {
            max_bytes: 100,
            max_depth: 3,
            max_elements: 5,
        };
        let big = format!("<a>{}</a>", "x".repeat(200));
        assert_eq!(parse(big.as_bytes(), &limits), Err(XmlError::TooLarge(100)));
        assert!(parse(b"<a><b><c/></b></a>", &limits).is_ok());
        assert_eq!(
            parse(b"<a><b><c><d/></c></b></a>", &limits),
            Err(XmlError::TooComplex)
        );
        assert_eq!(
            parse(b"<a><b/><b/><b/><b/><b/></a>", &limits),
            Err(XmlError::TooComplex)
        );
        // Deep nesting fails on the limit, not the stack.
        let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
        let roomy = Limits {
            max_bytes: 1 << 20,
            ..Limits::default()
        };
        assert_eq!(parse(deep.as_bytes(), &roomy), Err(XmlError::TooComplex));
    }
}
