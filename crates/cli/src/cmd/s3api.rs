//! `roleplay s3api OPERATION --flags`: every operation of S3's model with the aws CLI's flags
//! (as `sts`/`iam`, from the model), its streaming arguments (`--body FILE` for a streaming
//! upload, the positional `outfile` a streaming answer is written to), the rest-xml protocol
//! (`aws::rest_xml`), automatic pagination, and the aws CLI's output and error texts.
#![allow(
    clippy::disallowed_methods,
    reason = "s3api reads --body files and writes outfiles"
)]

use super::service;
use super::{Globals, fail, output, usage_error};
use crate::aws::model::{self, Kind};
use crate::aws::{CallError, OsIo};
use serde_json::Value;

pub fn run(globals: &Globals, argv: &[String], io: &OsIo) -> i32 {
    let Some(model) = model::get("s3") else {
        return usage_error("argument command: Invalid choice: 's3api'");
    };
    let (operation, op, flags) = match service::operation(model, argv) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let input = op.input.as_deref().and_then(|i| model.shape(i));
    // A streaming answer goes to the positional `outfile`; a streaming input is a file name.
    let output_shape = op.output.as_deref().and_then(|o| model.shape(o));
    let streaming_out = output_shape
        .and_then(|s| s.payload.as_deref())
        .filter(|p| {
            output_shape
                .and_then(|s| s.members.iter().find(|(n, _)| n == p))
                .is_some_and(|(_, r)| r.streaming)
        })
        .map(str::to_owned);
    let streaming_in = input.and_then(|s| {
        s.members
            .iter()
            .find(|(_, r)| {
                r.streaming && model.shape(&r.shape).is_some_and(|m| m.kind == Kind::Blob)
            })
            .map(|(n, r)| (n.clone(), r.cli.clone().unwrap_or_default()))
    });
    let paginator = if globals.no_paginate {
        None
    } else {
        model.paginators.get(operation)
    };
    let parsed = match service::parse_flags(
        model,
        input,
        flags,
        paginator.is_some(),
        streaming_out.is_some(),
    ) {
        Ok(p) => p,
        Err(e) => return service::flag_failure(e),
    };
    let outfile = match (&streaming_out, parsed.positionals.as_slice()) {
        (Some(_), [file]) => Some(file.clone()),
        (Some(_), []) => return usage_error("the following arguments are required: outfile"),
        (_, extra) if !extra.is_empty() => {
            let extra = extra.get(1..).unwrap_or_default();
            eprintln!("{}\nUnknown options: {}", super::usage(), extra.join(", "));
            return super::EXIT_ERROR;
        }
        _ => None,
    };
    let mut params = parsed.params;
    let body =
        match streaming_in.and_then(|(member, flag)| params.remove(&member).map(|v| (flag, v))) {
            Some((flag, Value::String(path))) => match std::fs::read(&path) {
                Ok(bytes) => Some(bytes),
                Err(_) => {
                    return fail(&format!(
                        "Error parsing parameter '--{flag}': Blob values must be a path to a file."
                    ));
                }
            },
            _ => None,
        };
    let session = match super::session(globals, io) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let result = if let Some(path) = &outfile {
        let mut file = Outfile {
            path: path.clone(),
            file: None,
        };
        session
            .s3_call(operation, &Value::Object(params), body, Some(&mut file))
            .and_then(|answer| {
                file.open()
                    .map_err(|e| CallError::Response(format!("[Errno 2] {e}: '{path}'")))?;
                Ok(output::Answer::Single(answer))
            })
    } else {
        match paginator {
            Some(p) => service::paginate(
                &|params| session.s3_call(operation, &Value::Object(params.clone()), None, None),
                p,
                &mut params,
                &parsed.paging,
            ),
            None => session
                .s3_call(operation, &Value::Object(params), body, None)
                .map(output::Answer::Single),
        }
    };
    match result {
        Ok(result) => output::print(&session, globals, operation, without(result, streaming_out)),
        Err(e) => fail(&e),
    }
}

/// The outfile, created only when the answer's body arrives (as the aws CLI, a failed call
/// leaves an existing file as it was).
struct Outfile {
    path: String,
    file: Option<std::fs::File>,
}

impl Outfile {
    fn open(&mut self) -> std::io::Result<&mut std::fs::File> {
        if self.file.is_none() {
            self.file = Some(std::fs::File::create(&self.path)?);
        }
        self.file
            .as_mut()
            .ok_or_else(|| std::io::Error::other("outfile not open"))
    }
}

impl std::io::Write for Outfile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.open()?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

/// The answer without its streaming member (written to the outfile instead).
fn without(answer: output::Answer, member: Option<String>) -> output::Answer {
    match (answer, member) {
        (output::Answer::Single(mut json), Some(m)) => {
            json.remove(&m);
            output::Answer::Single(json)
        }
        (answer, _) => answer,
    }
}
