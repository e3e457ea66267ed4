//! `roleplay sts|iam OPERATION --flags`: the operation, flags and value syntax of the aws
//! CLI, all from the service model: `xform_name` names, `--flag value` for scalars, several
//! values or JSON for lists, JSON or shorthand for structures and maps, `--x`/`--no-x` for
//! booleans, `file://` and `fileb://` values; botocore's client-side validation; automatic
//! pagination with the result keys merged.

use super::{Globals, fail, output, shorthand, usage_error};
use crate::aws::json::Json;
use crate::aws::model::{self, Kind, Model, Ref, Shape};
use crate::aws::{CallError, OsIo};
use serde_json::Value;

pub fn run(service: &str, globals: &Globals, argv: &[String], io: &OsIo) -> i32 {
    let Some(model) = model::get(service) else {
        return usage_error(&format!("argument command: Invalid choice: '{service}'"));
    };
    let (operation, op, flags) = match operation(model, argv) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let paginator = if globals.no_paginate {
        None
    } else {
        model.paginators.get(operation)
    };
    let input = op.input.as_deref().and_then(|i| model.shape(i));
    let parsed = match parse_flags(model, input, flags, paginator.is_some(), false) {
        Ok(p) => p,
        Err(e) => return flag_failure(e),
    };
    let session = match super::session(globals, io) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let mut params = parsed.params;
    let result = match paginator {
        Some(p) => paginate(
            &|params| {
                session
                    .call(service, operation, &Value::Object(params.clone()))
                    .map(|o| o.result)
            },
            p,
            &mut params,
            &parsed.paging,
        ),
        None => session
            .call(service, operation, &Value::Object(params))
            .map(|o| output::Answer::Single(o.result)),
    };
    match result {
        Ok(result) => output::print(&session, globals, operation, result),
        Err(e) => fail(&e),
    }
}

/// The operation named first on the command line, and the flags after it; else the exit
/// status of argparse's complaint.
pub(super) fn operation<'m, 'a>(
    model: &'m Model,
    argv: &'a [String],
) -> Result<(&'m str, &'m model::Operation, &'a [String]), i32> {
    let Some((op_cli, flags)) = argv.split_first() else {
        return Err(usage_error(
            "the following arguments are required: operation",
        ));
    };
    let Some((operation, op)) = model.by_cli_name(op_cli) else {
        return Err(usage_error(&format!(
            "argument operation: Invalid choice, valid choices are:\n\n{}",
            model
                .operations
                .values()
                .map(|o| o.cli.as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        )));
    };
    Ok((operation, op, flags))
}

/// Reports a command line that does not fit the operation, with the aws CLI's exit status.
pub(super) fn flag_failure(e: FlagError) -> i32 {
    match e {
        FlagError::Usage(e) => usage_error(&e),
        FlagError::Unknown(e) => {
            eprintln!("{}\nUnknown options: {e}", super::usage());
            super::EXIT_ERROR
        }
        FlagError::Validation(e) => fail(&CallError::Validation(e)),
        FlagError::Plain(e) => fail(&e),
    }
}

pub(super) struct Parsed {
    pub params: serde_json::Map<String, Value>,
    pub paging: Paging,
    /// Words that belong to no flag (the aws CLI's positional arguments, such as
    /// get-object's `outfile`), when the operation takes them.
    pub positionals: Vec<String>,
}

/// The aws CLI's pagination flags.
#[derive(Default)]
pub(super) struct Paging {
    page_size: Option<i64>,
    max_items: Option<i64>,
    starting_token: Option<String>,
}

pub(super) enum FlagError {
    /// A message printed as it is (exit 255).
    Plain(String),
    Usage(String),
    Unknown(String),
    Validation(String),
}

pub(super) fn parse_flags(
    model: &Model,
    input: Option<&Shape>,
    flags: &[String],
    paginated: bool,
    positional: bool,
) -> Result<Parsed, FlagError> {
    let members: &[(String, Ref)] = input.map(|s| s.members.as_slice()).unwrap_or_default();
    let mut params = serde_json::Map::new();
    let mut parsed = Parsed {
        params: serde_json::Map::new(),
        paging: Paging::default(),
        positionals: Vec::new(),
    };
    let mut unknown = Vec::new();
    let mut i = 0;
    while let Some(flag) = flags.get(i) {
        i += 1;
        let Some(name) = flag.strip_prefix("--") else {
            if positional {
                parsed.positionals.push(flag.clone());
            } else {
                unknown.push(flag.clone());
            }
            continue;
        };
        let mut values = Vec::new();
        while let Some(v) = flags.get(i).filter(|v| !v.starts_with("--")) {
            values.push(v.clone());
            i += 1;
        }
        if paginated && matches!(name, "page-size" | "starting-token" | "max-items") {
            let v = one(name, &values)?;
            match name {
                "page-size" => parsed.paging.page_size = Some(int(name, &v)?),
                "max-items" => parsed.paging.max_items = Some(int(name, &v)?),
                _ => parsed.paging.starting_token = Some(v),
            }
            continue;
        }
        let bool_member = |n: &str| {
            members
                .iter()
                .find(|(_, r)| r.cli.as_deref() == Some(n))
                .filter(|(_, r)| {
                    model
                        .shape(&r.shape)
                        .is_some_and(|s| s.kind == Kind::Boolean)
                })
        };
        if let Some((m, _)) = bool_member(name) {
            params.insert(m.clone(), Value::Bool(true));
            if positional {
                parsed.positionals.extend(values);
            } else {
                unknown.extend(values);
            }
            continue;
        }
        if let Some((m, _)) = name.strip_prefix("no-").and_then(bool_member) {
            params.insert(m.clone(), Value::Bool(false));
            if positional {
                parsed.positionals.extend(values);
            } else {
                unknown.extend(values);
            }
            continue;
        }
        let Some((member, r)) = members.iter().find(|(_, r)| r.cli.as_deref() == Some(name)) else {
            unknown.push(flag.clone());
            unknown.extend(values);
            continue;
        };
        let shape = model
            .shape(&r.shape)
            .ok_or_else(|| FlagError::Validation(format!("the model lacks {}", r.shape)))?;
        if positional && shape.kind != Kind::List && values.len() > 1 {
            parsed.positionals.extend(values.drain(1..));
        }
        let value = top_value(model, shape, name, &values)?;
        params.insert(member.clone(), value);
    }
    if !unknown.is_empty() {
        return Err(FlagError::Unknown(unknown.join(", ")));
    }
    if let Some(input) = input {
        let missing: Vec<String> = input
            .required
            .iter()
            .filter(|r| !params.contains_key(*r))
            .filter_map(|r| input.members.iter().find(|(n, _)| n == r))
            .filter_map(|(_, r)| r.cli.as_ref().map(|c| format!("--{c}")))
            .collect();
        if !missing.is_empty() {
            return Err(FlagError::Usage(format!(
                "the following arguments are required: {}",
                missing.join(", ")
            )));
        }
        let mut problems = Vec::new();
        validate(
            model,
            input,
            &Value::Object(params.clone()),
            "",
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(FlagError::Validation(problems.join("\n")));
        }
    }
    parsed.params = params;
    Ok(parsed)
}

fn one(name: &str, values: &[String]) -> Result<String, FlagError> {
    match values {
        [v] => Ok(v.clone()),
        [] => Err(FlagError::Usage(format!(
            "argument --{name}: expected one argument"
        ))),
        [_, rest @ ..] => Err(FlagError::Unknown(rest.join(", "))),
    }
}

fn int(name: &str, v: &str) -> Result<i64, FlagError> {
    v.trim()
        .parse()
        .map_err(|_| FlagError::Usage(format!("argument --{name}: invalid int value: '{v}'")))
}

/// `file://PATH` (text) and `fileb://PATH` (bytes) values, as the aws CLI reads them.
#[allow(
    clippy::disallowed_methods,
    reason = "file:// arguments are read from disk"
)]
fn param_file(name: &str, v: &str) -> Result<String, FlagError> {
    let read = |path: &str| {
        let path = crate::python::expand_path(
            path,
            &|n| crate::Env::var(&crate::os::OsEnv, n),
            crate::Env::home(&crate::os::OsEnv),
        );
        std::fs::read(&path).map_err(|e| {
            FlagError::Validation(format!(
                "Error parsing parameter '--{name}': Unable to load paramfile {v}: [Errno 2] {e}"
            ))
        })
    };
    if let Some(path) = v.strip_prefix("file://") {
        let bytes = read(path)?;
        return String::from_utf8(bytes).map_err(|_| {
            FlagError::Validation(format!(
                "Error parsing parameter '--{name}': Unable to load paramfile {v}: not UTF-8 text"
            ))
        });
    }
    if let Some(path) = v.strip_prefix("fileb://") {
        return Ok(String::from_utf8_lossy(&read(path)?).into_owned());
    }
    Ok(v.to_owned())
}

fn top_value(
    model: &Model,
    shape: &Shape,
    name: &str,
    values: &[String],
) -> Result<Value, FlagError> {
    let bad = |e: String| FlagError::Validation(format!("Error parsing parameter '--{name}': {e}"));
    match shape.kind {
        Kind::List => {
            let values: Vec<String> = values
                .iter()
                .map(|v| param_file(name, v))
                .collect::<Result<_, _>>()?;
            if values.is_empty() {
                return Err(FlagError::Usage(format!(
                    "argument --{name}: expected at least one argument"
                )));
            }
            if let [only] = values.as_slice()
                && only.trim_start().starts_with('[')
            {
                return serde_json::from_str(only)
                    .map_err(|e| bad(format!("Invalid JSON: {e}\nJSON received: {only}")));
            }
            let element = shape.member.as_ref().and_then(|m| model.shape(&m.shape));
            let mut items = Vec::new();
            for v in &values {
                match element {
                    Some(e) if matches!(e.kind, Kind::Structure | Kind::Map) => {
                        items.push(structured(model, e, v).map_err(bad)?)
                    }
                    Some(e) if values.len() == 1 => {
                        for part in shorthand::split_top(v) {
                            items.push(scalar(e.kind, &part).map_err(bad)?);
                        }
                    }
                    Some(e) => items.push(scalar(e.kind, v).map_err(bad)?),
                    None => items.push(Value::String(v.clone())),
                }
            }
            Ok(Value::Array(items))
        }
        Kind::Structure | Kind::Map => {
            let v = param_file(name, &one(name, values)?)?;
            structured(model, shape, &v).map_err(bad)
        }
        kind => {
            let v = param_file(name, &one(name, values)?)?;
            match kind {
                // Python's `int()` on the text; its complaint is the whole message.
                Kind::Integer | Kind::Long => scalar(kind, &v).map_err(FlagError::Plain),
                _ => scalar(kind, &v).map_err(bad),
            }
        }
    }
}

/// A structure or map value: JSON, or shorthand (`Key=a,Value=b`).
fn structured(model: &Model, shape: &Shape, v: &str) -> Result<Value, String> {
    if v.trim_start().starts_with('{') {
        return serde_json::from_str(v)
            .map_err(|e| format!("Invalid JSON: {e}\nJSON received: {v}"));
    }
    shorthand::parse(model, shape, v)
}

/// A scalar from text, typed by its shape.
pub(super) fn scalar(kind: Kind, v: &str) -> Result<Value, String> {
    match kind {
        Kind::Integer | Kind::Long => v
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("invalid literal for int() with base 10: '{v}'")),
        Kind::Float | Kind::Double => v
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("could not convert string to float: '{v}'")),
        Kind::Boolean => match v.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("Invalid value for boolean: '{v}'")),
        },
        _ => Ok(Value::String(v.to_owned())),
    }
}

/// botocore's `ParamValidator`: required members, minimum lengths and values.
fn validate(model: &Model, shape: &Shape, value: &Value, path: &str, problems: &mut Vec<String>) {
    let name = if path.is_empty() { "input" } else { path };
    match (shape.kind, value) {
        (Kind::Structure, Value::Object(map)) => {
            for r in &shape.required {
                if !map.contains_key(r) {
                    problems.push(format!("Missing required parameter in {name}: \"{r}\""));
                }
            }
            for (k, v) in map {
                if let Some((_, r)) = shape.members.iter().find(|(n, _)| n == k)
                    && let Some(s) = model.shape(&r.shape)
                {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    validate(model, s, v, &p, problems);
                }
            }
        }
        (Kind::List, Value::Array(items)) => {
            if let Some(min) = shape.min
                && (items.len() as f64) < min
            {
                problems.push(format!(
                    "Invalid length for parameter {name}, value: {}, valid min length: {min}",
                    items.len()
                ));
            }
            if let Some(e) = shape.member.as_ref().and_then(|m| model.shape(&m.shape)) {
                for (i, item) in items.iter().enumerate() {
                    validate(model, e, item, &format!("{path}[{i}]"), problems);
                }
            }
        }
        (Kind::String, Value::String(s)) => {
            if let Some(min) = shape.min
                && (s.chars().count() as f64) < min
            {
                problems.push(format!(
                    "Invalid length for parameter {name}, value: {}, valid min length: {min}",
                    s.chars().count()
                ));
            }
        }
        (Kind::Integer | Kind::Long, Value::Number(n)) => {
            if let (Some(min), Some(v)) = (shape.min, n.as_i64())
                && (v as f64) < min
            {
                problems.push(format!(
                    "Invalid value for parameter {name}, value: {v}, valid min value: {min}"
                ));
            }
        }
        _ => {}
    }
}

/// All pages of a paginated operation, merged as botocore's `PageIterator` and
/// `build_full_result` merge them: the result keys first (concatenated), then the other
/// members of the first page, without the pagination tokens; `--max-items` truncates and
/// leaves a `NextToken` (base64 of the service token and `boto_truncate_amount`) that
/// `--starting-token` resumes from.
/// One call of a paginated operation with the page's parameters.
pub(super) type PageCall<'a> =
    dyn Fn(&serde_json::Map<String, Value>) -> Result<Json, CallError> + 'a;

pub(super) fn paginate(
    call: &PageCall<'_>,
    p: &model::Paginator,
    params: &mut serde_json::Map<String, Value>,
    paging: &Paging,
) -> Result<output::Answer, CallError> {
    let inputs: Vec<String> = p
        .input_token
        .as_ref()
        .map(|k| k.keys().into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    // Output tokens are JMESPath expressions (`NextMarker || Contents[-1].Key`).
    let outputs: Vec<jmespath::Expression<'static>> = p
        .output_token
        .as_ref()
        .map(|k| k.keys())
        .unwrap_or_default()
        .into_iter()
        .map(jmespath::compile)
        .collect::<Result<_, _>>()
        .map_err(|e| CallError::Validation(format!("bad paginator token: {e}")))?;
    let token_members: Vec<String> = p
        .output_token
        .as_ref()
        .map(|k| k.keys())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| e.split("||").next())
        .map(|e| e.trim().to_owned())
        .collect();
    if let (Some(limit), Some(size)) = (&p.limit_key, paging.page_size) {
        params.insert(limit.clone(), size.into());
    }
    // The tokens of the page being read (null for the first), and where to start in it.
    let mut token: Vec<Value> = vec![Value::Null; inputs.len()];
    let mut skip = 0usize;
    if let Some(start) = &paging.starting_token {
        let (t, s) = decode_token(start, &inputs)
            .ok_or_else(|| CallError::Validation(format!("Bad starting token: {start}")))?;
        token = t;
        skip = s;
    }
    set_tokens(params, &inputs, &token);
    let result_keys: Vec<String> = p
        .result_key
        .as_ref()
        .map(|k| k.keys().into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let primary = result_keys.first().cloned().unwrap_or_default();
    let mut merged: Vec<(String, Vec<Json>)> = Vec::new();
    let mut pages: Vec<Json> = Vec::new();
    let mut first_rest: Option<Vec<(String, Json)>> = None;
    let mut total = 0usize;
    let mut resume: Option<(Vec<Value>, Option<usize>)> = None;
    let max_items = paging.max_items.and_then(|m| usize::try_from(m).ok());
    loop {
        let page = call(params)?;
        let page_value = page.to_value();
        let mut next: Vec<Value> = Vec::new();
        for e in &outputs {
            let found = e
                .search(page_value.clone())
                .map_err(|e| CallError::Response(e.to_string()))?;
            let v = serde_json::to_value(&*found).unwrap_or(Value::Null);
            next.push(if v == Value::String(String::new()) {
                Value::Null
            } else {
                v
            });
        }
        let Json::Object(members) = page else { break };
        let mut more = p.more_results.is_none();
        let mut rest = Vec::new();
        let mut lists: Vec<(String, Vec<Json>)> = Vec::new();
        for (k, v) in members {
            if result_keys.contains(&k) {
                if let Json::List(items) = v {
                    lists.push((k, items));
                }
            } else if token_members.contains(&k) {
            } else if Some(&k) == p.more_results.as_ref() {
                more = v == Json::Bool(true);
            } else {
                rest.push((k, v));
            }
        }
        if first_rest.is_none() {
            first_rest = Some(rest);
            // Resuming inside a page: the other result keys were printed with it before.
            for (k, items) in &mut lists {
                if *k == primary {
                    items.drain(..skip.min(items.len()));
                } else if paging.starting_token.is_some() {
                    items.clear();
                }
            }
        } else {
            skip = 0;
        }
        let count = lists
            .iter()
            .find(|(k, _)| *k == primary)
            .map_or(0, |(_, l)| l.len());
        let over = max_items.map_or(0, |m| (total + count).saturating_sub(m));
        if over > 0 {
            let keep = count - over;
            if let Some((_, l)) = lists.iter_mut().find(|(k, _)| *k == primary) {
                l.truncate(keep);
            }
            resume = Some((token.clone(), Some(keep + skip)));
        }
        // The text output prints page by page: the first with the other members.
        let mut text_page: Vec<(String, Json)> = if pages.is_empty() {
            let rest = first_rest.clone().unwrap_or_default();
            match &p.non_aggregate_keys {
                Some(keys) => keys
                    .iter()
                    .map(|k| {
                        let v = rest.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                        (k.clone(), v.unwrap_or(Json::Null))
                    })
                    .collect(),
                None => rest,
            }
        } else {
            Vec::new()
        };
        for k in &result_keys {
            let v = lists
                .iter()
                .find(|(n, _)| n == k)
                .map_or(Json::Null, |(_, l)| Json::List(l.clone()));
            text_page.push((k.clone(), v));
        }
        pages.push(Json::Object(text_page));
        for (k, items) in lists {
            match merged.iter_mut().find(|(m, _)| *m == k) {
                Some((_, acc)) => acc.extend(items),
                None => merged.push((k, items)),
            }
        }
        if over > 0 {
            break;
        }
        total += count;
        if !more || next.iter().all(Value::is_null) {
            break;
        }
        if max_items == Some(total) {
            resume = Some((next, None));
            break;
        }
        set_tokens(params, &inputs, &next);
        token = next;
    }
    let mut out: Vec<(String, Json)> = merged
        .into_iter()
        .map(|(k, v)| (k, Json::List(v)))
        .collect();
    let first_rest = first_rest.unwrap_or_default();
    match &p.non_aggregate_keys {
        // botocore's `non_aggregate_part`: those members of the first page, null if absent.
        Some(keys) => out.extend(keys.iter().map(|k| {
            let v = first_rest
                .iter()
                .find(|(n, _)| n == k)
                .map_or(Json::Null, |(_, v)| v.clone());
            (k.clone(), v)
        })),
        None => out.extend(first_rest),
    }
    let resume = resume.map(|(token, amount)| encode_token(&inputs, token, amount));
    if let Some(token) = &resume {
        out.push(("NextToken".to_owned(), Json::Str(token.clone())));
    }
    Ok(output::Answer::Paginated {
        full: Json::Object(out),
        pages,
        resume,
    })
}

/// The page's tokens as the input members they go back in (absent when null).
fn set_tokens(params: &mut serde_json::Map<String, Value>, inputs: &[String], tokens: &[Value]) {
    for (name, t) in inputs.iter().zip(tokens) {
        match t {
            Value::Null => params.remove(name),
            t => params.insert(name.clone(), t.clone()),
        };
    }
}

/// botocore's `TokenEncoder`: base64 of `json.dumps({INPUT_TOKEN: ..., "boto_truncate_amount": N})`.
fn encode_token(inputs: &[String], tokens: Vec<Value>, amount: Option<usize>) -> String {
    use base64::Engine as _;
    let mut map = serde_json::Map::new();
    for (name, t) in inputs.iter().zip(tokens) {
        map.insert(name.clone(), t);
    }
    if let Some(a) = amount {
        map.insert("boto_truncate_amount".to_owned(), a.into());
    }
    base64::engine::general_purpose::STANDARD.encode(crate::python::dumps(&map))
}

fn decode_token(text: &str, inputs: &[String]) -> Option<(Vec<Value>, usize)> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    let token = inputs
        .iter()
        .map(|i| value.get(i).cloned().unwrap_or(Value::Null))
        .collect();
    let skip = value
        .get("boto_truncate_amount")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    Some((token, skip))
}
