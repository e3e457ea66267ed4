//! The aws CLI's output: `--query` (JMESPath) applied to the result, then `json`
//! (`json.dumps(indent=4)`, nothing for an empty object), `text` (awscli's `text.py`) or
//! `table`. The format comes from `--output`, `AWS_DEFAULT_OUTPUT`, the profile's `output`,
//! else json.

use super::{Globals, fail};
use crate::aws::Session;
use crate::aws::json::Json;
use std::io::Write as _;

/// What a command answered: one result, or the pages of a paginated operation.
pub enum Answer {
    Single(Json),
    Paginated {
        /// The pages merged (`build_full_result`), for json and table.
        full: Json,
        /// Each page as the text output prints it.
        pages: Vec<Json>,
        /// The `NextToken` left by `--max-items`.
        resume: Option<String>,
    },
}

pub fn print(session: &Session<'_>, globals: &Globals, operation: &str, answer: Answer) -> i32 {
    let format = globals
        .output
        .clone()
        .or_else(|| session.env().var("AWS_DEFAULT_OUTPUT"))
        .or_else(|| session.profile_value("output"))
        .unwrap_or_else(|| "json".to_owned());
    let queried = |result: &Json| match &globals.query {
        Some(q) => query(result, q).map_err(|e| format!("Bad value for --query {q}: {e}")),
        None => Ok(result.clone()),
    };
    // The text output of a paginated operation is page by page, the resume token last.
    let results: Vec<Json> = match (&answer, format.as_str()) {
        (Answer::Paginated { pages, resume, .. }, "text") => {
            let mut all = pages.clone();
            if let Some(token) = resume {
                all.push(Json::Object(vec![(
                    "NextToken".to_owned(),
                    Json::Object(vec![("NextToken".to_owned(), Json::Str(token.clone()))]),
                )]));
            }
            all
        }
        (Answer::Paginated { full, .. }, _) | (Answer::Single(full), _) => vec![full.clone()],
    };
    let mut text = String::new();
    for r in &results {
        match queried(r) {
            Ok(r) => text.push_str(&render(&format, operation, &r)),
            Err(e) => return fail(&e),
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    0
}

/// Renders a result in a format (`json`, `text`, `table`).
pub fn render(format: &str, operation: &str, result: &Json) -> String {
    match format {
        "table" => super::table::render(operation, result, terminal_width()),
        "text" => {
            let mut out = String::new();
            text(result, None, None, &mut out);
            out
        }
        _ => {
            if *result == Json::Object(Vec::new()) {
                String::new()
            } else {
                format!("{}\n", result.pretty())
            }
        }
    }
}

/// As awscli's `determine_terminal_width`: 80 unless standard output is a terminal, whose
/// width is taken from `COLUMNS`.
#[allow(clippy::disallowed_methods, reason = "the terminal's width")]
fn terminal_width() -> usize {
    use std::io::IsTerminal as _;
    if !std::io::stdout().is_terminal() {
        return 80;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(80)
}

/// A JMESPath expression over the result; objects keep the result's member order.
pub fn query(result: &Json, expression: &str) -> Result<Json, String> {
    let compiled = jmespath::compile(expression).map_err(|e| e.to_string())?;
    let found = compiled
        .search(result.to_value())
        .map_err(|e| e.to_string())?;
    let value = serde_json::to_value(&*found).map_err(|e| e.to_string())?;
    Ok(Json::from_value(&value, &result.key_order()))
}

/// awscli's `text.format_text`.
fn text(item: &Json, identifier: Option<&str>, scalar_keys: Option<&[String]>, out: &mut String) {
    match item {
        Json::Object(members) => text_dict(members, identifier, scalar_keys, out),
        Json::List(items) => text_list(items, identifier, out),
        scalar => {
            out.push_str(&scalar.python_str());
            out.push('\n');
        }
    }
}

fn is_scalar(v: &Json) -> bool {
    !matches!(v, Json::Object(_) | Json::List(_))
}

fn text_list(items: &[Json], identifier: Option<&str>, out: &mut String) {
    if items.is_empty() {
        return;
    }
    if items.iter().any(|e| matches!(e, Json::Object(_))) {
        let mut keys: Vec<String> = items
            .iter()
            .filter_map(|e| match e {
                Json::Object(m) => Some(m),
                _ => None,
            })
            .flat_map(|m| {
                m.iter()
                    .filter(|(_, v)| is_scalar(v))
                    .map(|(k, _)| k.clone())
            })
            .collect();
        keys.sort();
        keys.dedup();
        for e in items {
            text(e, identifier, Some(&keys), out);
        }
    } else if items.iter().any(|e| matches!(e, Json::List(_))) {
        let scalars: Vec<&Json> = items.iter().filter(|e| is_scalar(e)).collect();
        if !scalars.is_empty() {
            scalar_list(&scalars, identifier, out);
        }
        for e in items.iter().filter(|e| !is_scalar(e)) {
            text(e, identifier, None, out);
        }
    } else {
        scalar_list(&items.iter().collect::<Vec<_>>(), identifier, out);
    }
}

fn scalar_list(items: &[&Json], identifier: Option<&str>, out: &mut String) {
    match identifier {
        Some(id) => {
            for i in items {
                out.push_str(&format!("{}\t{}\n", id.to_uppercase(), i.python_str()));
            }
        }
        None => {
            out.push_str(
                &items
                    .iter()
                    .map(|i| i.python_str())
                    .collect::<Vec<_>>()
                    .join("\t"),
            );
            out.push('\n');
        }
    }
}

fn text_dict(
    members: &[(String, Json)],
    identifier: Option<&str>,
    scalar_keys: Option<&[String]>,
    out: &mut String,
) {
    let mut scalars: Vec<String> = Vec::new();
    let mut non_scalars: Vec<(&str, &Json)> = Vec::new();
    match scalar_keys {
        None => {
            let mut sorted: Vec<&(String, Json)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, v) in sorted {
                if is_scalar(v) {
                    scalars.push(v.python_str());
                } else {
                    non_scalars.push((k, v));
                }
            }
        }
        Some(keys) => {
            for k in keys {
                scalars.push(
                    members
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.python_str())
                        .unwrap_or_default(),
                );
            }
            let mut remaining: Vec<&(String, Json)> =
                members.iter().filter(|(n, _)| !keys.contains(n)).collect();
            remaining.sort_by(|a, b| a.0.cmp(&b.0));
            non_scalars.extend(remaining.into_iter().map(|(k, v)| (k.as_str(), v)));
        }
    }
    if !scalars.is_empty() {
        if let Some(id) = identifier {
            scalars.insert(0, id.to_uppercase());
        }
        out.push_str(&scalars.join("\t"));
        out.push('\n');
    }
    for (k, v) in non_scalars {
        text(v, Some(k), None, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_as_awscli() {
        let r = Json::Object(vec![
            (
                "Credentials".into(),
                Json::Object(vec![
                    ("AccessKeyId".into(), Json::Str("ASIA".into())),
                    ("Expiration".into(), Json::Str("e".into())),
                ]),
            ),
            (
                "AssumedRoleUser".into(),
                Json::Object(vec![("Arn".into(), Json::Str("arn".into()))]),
            ),
            ("PackedPolicySize".into(), Json::Int(3)),
        ]);
        assert_eq!(
            render("text", "AssumeRole", &r),
            "3\nASSUMEDROLEUSER\tarn\nCREDENTIALS\tASIA\te\n"
        );
        let users = Json::Object(vec![(
            "Users".into(),
            Json::List(vec![
                Json::Object(vec![
                    ("UserName".into(), Json::Str("a".into())),
                    ("Path".into(), Json::Str("/".into())),
                ]),
                Json::Object(vec![("UserName".into(), Json::Str("b".into()))]),
            ]),
        )]);
        assert_eq!(
            render("text", "ListUsers", &users),
            "USERS\t/\ta\nUSERS\t\tb\n"
        );
    }

    #[test]
    fn json_and_queries() {
        let r = Json::Object(vec![
            ("UserId".into(), Json::Str("u".into())),
            ("Account".into(), Json::Str("1".into())),
        ]);
        assert_eq!(
            render("json", "X", &query(&r, "Account").unwrap()),
            "\"1\"\n"
        );
        assert_eq!(render("json", "X", &Json::Object(vec![])), "");
        assert_eq!(render("text", "X", &query(&r, "Account").unwrap()), "1\n");
    }
}
