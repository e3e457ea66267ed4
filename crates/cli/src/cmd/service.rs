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
    let Some((op_cli, flags)) = argv.split_first() else {
        return usage_error("the following arguments are required: operation");
    };
    let Some((operation, op)) = model.by_cli_name(op_cli) else {
        return usage_error(&format!(
            "argument operation: Invalid choice, valid choices are:\n\n{}",
            model
                .operations
                .values()
                .map(|o| o.cli.as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    };
    let paginator = if globals.no_paginate {
        None
    } else {
        model.paginators.get(operation)
    };
    let input = op.input.as_deref().and_then(|i| model.shape(i));
    let parsed = match parse_flags(model, input, flags, paginator.is_some()) {
        Ok(p) => p,
        Err(FlagError::Usage(e)) => return usage_error(&e),
        Err(FlagError::Unknown(e)) => {
            eprintln!("{}\nUnknown options: {e}", super::usage());
            return super::EXIT_ERROR;
        }
        Err(FlagError::Validation(e)) => return fail(&CallError::Validation(e)),
    };
    let session = match super::session(globals, io) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let mut params = parsed.params;
    let result = match paginator {
        Some(p) => paginate(
            &session,
            service,
            operation,
            p,
            &mut params,
            parsed.page_size,
            parsed.starting_token,
        ),
        None => session
            .call(service, operation, &Value::Object(params))
            .map(|o| o.result),
    };
    match result {
        Ok(result) => output::print(&session, globals, operation, result),
        Err(e) => fail(&e),
    }
}

struct Parsed {
    params: serde_json::Map<String, Value>,
    page_size: Option<i64>,
    starting_token: Option<String>,
}

enum FlagError {
    Usage(String),
    Unknown(String),
    Validation(String),
}

fn parse_flags(
    model: &Model,
    input: Option<&Shape>,
    flags: &[String],
    paginated: bool,
) -> Result<Parsed, FlagError> {
    let members: &[(String, Ref)] = input.map(|s| s.members.as_slice()).unwrap_or_default();
    let mut params = serde_json::Map::new();
    let mut parsed = Parsed {
        params: serde_json::Map::new(),
        page_size: None,
        starting_token: None,
    };
    let mut unknown = Vec::new();
    let mut i = 0;
    while let Some(flag) = flags.get(i) {
        i += 1;
        let Some(name) = flag.strip_prefix("--") else {
            unknown.push(flag.clone());
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
                "page-size" => parsed.page_size = Some(int(name, &v)?),
                "starting-token" => parsed.starting_token = Some(v),
                _ => {}
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
            unknown.extend(values);
            continue;
        }
        if let Some((m, _)) = name.strip_prefix("no-").and_then(bool_member) {
            params.insert(m.clone(), Value::Bool(false));
            unknown.extend(values);
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
                Kind::Integer | Kind::Long => Ok(Value::from(int(name, &v)?)),
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

/// All pages of a paginated operation, merged as the aws CLI's `build_full_result`: the
/// result keys first (concatenated), then the other members of the last page, without the
/// pagination tokens.
fn paginate(
    session: &crate::aws::Session<'_>,
    service: &str,
    operation: &str,
    p: &model::Paginator,
    params: &mut serde_json::Map<String, Value>,
    page_size: Option<i64>,
    starting_token: Option<String>,
) -> Result<Json, CallError> {
    if let (Some(limit), Some(size)) = (&p.limit_key, page_size) {
        params.insert(limit.clone(), size.into());
    }
    if let (Some(input), Some(token)) = (&p.input_token, starting_token) {
        params.insert(input.clone(), token.into());
    }
    let result_keys: Vec<String> = p
        .result_key
        .as_ref()
        .map(|k| k.keys().into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut merged: Vec<(String, Vec<Json>)> = result_keys
        .iter()
        .map(|k| (k.clone(), Vec::new()))
        .collect();
    let mut seen: Vec<bool> = vec![false; result_keys.len()];
    let mut rest: Vec<(String, Json)> = Vec::new();
    loop {
        let page = session
            .call(service, operation, &Value::Object(params.clone()))?
            .result;
        let Json::Object(members) = page else { break };
        let mut next = None;
        let mut more = p.more_results.is_none();
        rest.clear();
        for (k, v) in members {
            if let Some(i) = result_keys.iter().position(|r| *r == k) {
                if let (Json::List(items), Some((_, acc))) = (v, merged.get_mut(i)) {
                    acc.extend(items);
                }
                if let Some(s) = seen.get_mut(i) {
                    *s = true;
                }
            } else if Some(&k) == p.output_token.as_ref() {
                next = v.as_str().map(str::to_owned);
            } else if Some(&k) == p.more_results.as_ref() {
                more = v == Json::Bool(true);
            } else {
                rest.push((k, v));
            }
        }
        match (next, &p.input_token) {
            (Some(token), Some(input)) if more => {
                params.insert(input.clone(), token.into());
            }
            _ => break,
        }
    }
    let mut out: Vec<(String, Json)> = merged
        .into_iter()
        .zip(seen)
        .filter(|(_, s)| *s)
        .map(|((k, v), _)| (k, Json::List(v)))
        .collect();
    out.extend(rest);
    Ok(Json::Object(out))
}
