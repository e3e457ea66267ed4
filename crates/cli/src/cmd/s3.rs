//! `roleplay s3 ls|cp|mv|rm|mb|rb|presign|sync`: the aws CLI's high-level S3 commands, with its
//! output lines (`upload: ./f to s3://b/f`, `make_bucket: b`, `ls`'s columns) and exit codes
//! (1 when a transfer fails, 255 for a failed listing). Files above 8 MiB go up in 8 MiB
//! parts; downloads stream to disk.
#![allow(
    clippy::disallowed_methods,
    reason = "the s3 commands read and write local files"
)]

use super::{Globals, fail, usage_error};
use crate::aws::s3::{Listed, S3Request, encode};
use crate::aws::{CallError, OsIo, Session};
use roleplay_wire::xml_read::{self, Limits};
use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// Parts of multipart uploads, and the size above which an upload is multipart (the aws
/// CLI's `multipart_threshold` and `multipart_chunksize`).
const PART_SIZE: usize = 8 * 1024 * 1024;

const LIST_LIMITS: Limits = Limits {
    max_bytes: 64 * 1024 * 1024,
    max_depth: 16,
    max_elements: 1_000_000,
};

#[derive(Default)]
struct Flags {
    recursive: bool,
    delete: bool,
    human_readable: bool,
    summarize: bool,
    force: bool,
    expires_in: u32,
    paths: Vec<String>,
}

fn flags(argv: &[String]) -> Result<Flags, String> {
    let mut f = Flags {
        expires_in: 3600,
        ..Flags::default()
    };
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--recursive" => f.recursive = true,
            "--human-readable" => f.human_readable = true,
            "--summarize" => f.summarize = true,
            "--force" => f.force = true,
            "--delete" => f.delete = true,
            "--no-progress" | "--only-show-errors" | "--quiet" => {}
            "--expires-in" => {
                let v = it
                    .next()
                    .ok_or("argument --expires-in: expected one argument")?;
                f.expires_in = v
                    .parse()
                    .map_err(|_| format!("argument --expires-in: invalid int value: '{v}'"))?;
            }
            other if other.starts_with("--") => return Err(format!("Unknown options: {other}")),
            path => f.paths.push(path.to_owned()),
        }
    }
    Ok(f)
}

/// `s3://bucket/key` → (bucket, key).
fn s3_path(p: &str) -> Option<(String, String)> {
    let rest = p.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    Some((bucket.to_owned(), key.to_owned()))
}

pub fn run(globals: &Globals, argv: &[String], io: &OsIo) -> i32 {
    let Some((command, rest)) = argv.split_first() else {
        return usage_error("the following arguments are required: operation");
    };
    let f = match flags(rest) {
        Ok(f) => f,
        Err(e) => return usage_error(&e),
    };
    let session = match super::session(globals, io) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let s = S3 { session: &session };
    match (command.as_str(), f.paths.as_slice()) {
        ("ls", []) => s.ls_buckets(),
        ("ls", [path]) => s.ls(path, &f),
        ("cp" | "mv", [src, dst]) => s.copy(src, dst, &f, command == "mv"),
        ("rm", [path]) => s.rm(path, &f),
        ("mb", [path]) => s.mb(path),
        ("rb", [path]) => s.rb(path, &f),
        ("presign", [path]) => s.presign(path, f.expires_in),
        ("sync", [src, dst]) => s.sync(src, dst, f.delete),
        ("ls" | "cp" | "mv" | "rm" | "mb" | "rb" | "presign" | "sync", _) => {
            usage_error("the following arguments are required: paths")
        }
        (other, _) => usage_error(&format!(
            "argument operation: Invalid choice: '{other}' (ls, cp, mv, rm, mb, rb, presign, sync)"
        )),
    }
}

struct S3<'a> {
    session: &'a Session<'a>,
}

impl S3<'_> {
    fn request(&self, method: &'static str, bucket: &str, key: Option<&str>) -> S3Request {
        S3Request {
            method,
            bucket: Some(bucket.to_owned()),
            key: key.map(str::to_owned),
            ..S3Request::default()
        }
    }

    fn ls_buckets(&self) -> i32 {
        let req = S3Request {
            method: "GET",
            ..S3Request::default()
        };
        let body = match self.session.s3(&req, "ListBuckets") {
            Ok(r) => r.body,
            Err(e) => return fail(&e),
        };
        let Ok(root) = xml_read::parse(&body, &LIST_LIMITS) else {
            return fail(&"Unable to parse response, invalid XML received");
        };
        let mut out = String::new();
        if let Some(buckets) = root.child("Buckets") {
            for b in buckets.children_named("Bucket") {
                out.push_str(&format!(
                    "{} {}\n",
                    last_modified(b.child_text("CreationDate").unwrap_or_default()),
                    b.child_text("Name").unwrap_or_default()
                ));
            }
        }
        print(&out);
        0
    }

    fn list(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: bool,
        page: impl FnMut(Listed),
    ) -> Result<(), CallError> {
        self.session.s3_list(bucket, prefix, delimiter, page)
    }

    fn ls(&self, path: &str, f: &Flags) -> i32 {
        let Some((bucket, key)) = s3_path(path)
            .or_else(|| Some((path.to_owned(), String::new())))
            .filter(|(b, _)| !b.is_empty())
        else {
            return self.ls_buckets();
        };
        let (mut total, mut bytes, mut first_empty, mut pages) = (0u64, 0u64, false, 0);
        let result = self.list(&bucket, &key, !f.recursive, |listed| {
            pages += 1;
            let mut out = String::new();
            if listed.prefixes.is_empty() && listed.objects.is_empty() {
                first_empty |= pages == 1;
                return;
            }
            for p in &listed.prefixes {
                let name = p.rsplit('/').nth(1).unwrap_or_default();
                out.push_str(&format!("{:>30} {name}/\n", "PRE"));
            }
            for (k, modified, size) in &listed.objects {
                total += 1;
                bytes += size;
                let name = if f.recursive {
                    k.as_str()
                } else {
                    k.rsplit('/').next().unwrap_or_default()
                };
                let size = if f.human_readable {
                    human_size(*size)
                } else {
                    size.to_string()
                };
                out.push_str(&format!("{} {size:>10} {name}\n", last_modified(modified)));
            }
            print(&out);
        });
        if let Err(e) = result {
            return fail(&e);
        }
        if f.summarize {
            let size = if f.human_readable {
                human_size(bytes)
            } else {
                bytes.to_string()
            };
            print(&format!(
                "\nTotal Objects: {total}\n   Total Size: {size}\n"
            ));
        }
        i32::from(!key.is_empty() && first_empty)
    }

    fn copy(&self, src: &str, dst: &str, f: &Flags, mv: bool) -> i32 {
        let verb = if mv { "move" } else { "" };
        match (s3_path(src), s3_path(dst)) {
            (None, Some((bucket, key))) if f.recursive => {
                let mut files = Vec::new();
                walk(Path::new(src), &mut files);
                files.sort();
                let mut code = 0;
                for file in files {
                    let rel = file
                        .strip_prefix(src)
                        .unwrap_or(&file)
                        .to_string_lossy()
                        .trim_start_matches('/')
                        .to_owned();
                    let key = join_key(&key, &rel);
                    code = code.max(self.upload(
                        &file.to_string_lossy(),
                        &bucket,
                        &key,
                        if mv { verb } else { "upload" },
                        mv,
                    ));
                }
                code
            }
            (None, Some((bucket, key))) => {
                let key = if key.is_empty() || key.ends_with('/') {
                    join_key(&key, &basename(src))
                } else {
                    key
                };
                self.upload(src, &bucket, &key, if mv { verb } else { "upload" }, mv)
            }
            (Some((bucket, prefix)), None) if f.recursive => {
                let mut keys = Vec::new();
                if let Err(e) = self.list(&bucket, &prefix, false, |l| {
                    keys.extend(l.objects.into_iter().map(|o| o.0))
                }) {
                    return fail(&e);
                }
                let mut code = 0;
                for key in keys {
                    let rel = key
                        .strip_prefix(&prefix)
                        .unwrap_or(&key)
                        .trim_start_matches('/');
                    let target = Path::new(dst).join(rel);
                    code = code.max(self.download(
                        &bucket,
                        &key,
                        &target.to_string_lossy(),
                        if mv { verb } else { "download" },
                        mv,
                    ));
                }
                code
            }
            (Some((bucket, key)), None) => {
                let target = if dst == "-" {
                    dst.to_owned()
                } else if Path::new(dst).is_dir() || dst.ends_with('/') {
                    Path::new(dst)
                        .join(basename(&key))
                        .to_string_lossy()
                        .into_owned()
                } else {
                    dst.to_owned()
                };
                self.download(
                    &bucket,
                    &key,
                    &target,
                    if mv { verb } else { "download" },
                    mv,
                )
            }
            (Some((sb, sk)), Some((db, dk))) => {
                let dk = if dk.is_empty() || dk.ends_with('/') {
                    join_key(&dk, &basename(&sk))
                } else {
                    dk
                };
                self.copy_object(&sb, &sk, &db, &dk, if mv { verb } else { "copy" }, mv)
            }
            (None, None) => usage_error("Error: Invalid argument type"),
        }
    }

    fn upload(&self, src: &str, bucket: &str, key: &str, verb: &str, mv: bool) -> i32 {
        let shown = format!("{} to s3://{bucket}/{key}", local_display(src));
        let result = if src == "-" {
            let mut body = Vec::new();
            std::io::stdin()
                .read_to_end(&mut body)
                .map_err(|e| CallError::Response(e.to_string()))
                .and_then(|_| self.put(bucket, key, body))
        } else {
            self.upload_file(src, bucket, key)
        };
        match result {
            Ok(()) => {
                if mv && src != "-" {
                    let _ = std::fs::remove_file(src);
                }
                if src != "-" {
                    print(&format!("{verb}: {shown}\n"));
                }
                0
            }
            Err(e) => transfer_failed(verb, &shown, &e),
        }
    }

    fn put(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), CallError> {
        let mut req = self.request("PUT", bucket, Some(key));
        req.headers
            .push(("content-type".into(), content_type(key).into()));
        req.body = body;
        self.session.s3(&req, "PutObject").map(|_| ())
    }

    fn upload_file(&self, src: &str, bucket: &str, key: &str) -> Result<(), CallError> {
        let io_err = |e: std::io::Error| CallError::Response(format!("{src}: {e}"));
        let mut file = std::fs::File::open(src).map_err(io_err)?;
        let size = file.metadata().map_err(io_err)?.len();
        if size <= PART_SIZE as u64 {
            let mut body = Vec::new();
            file.read_to_end(&mut body).map_err(io_err)?;
            return self.put(bucket, key, body);
        }
        let mut create = self.request("POST", bucket, Some(key));
        create.query = vec![("uploads".into(), String::new())];
        create
            .headers
            .push(("content-type".into(), content_type(key).into()));
        let body = self.session.s3(&create, "CreateMultipartUpload")?.body;
        let upload_id = xml_read::parse(&body, &LIST_LIMITS)
            .ok()
            .and_then(|r| r.child_text("UploadId").map(str::to_owned))
            .ok_or_else(|| {
                CallError::Response("CreateMultipartUpload answered without an UploadId".into())
            })?;
        let mut parts = Vec::new();
        let progress = Progress::new(size);
        let mut sent = 0u64;
        let result = (|| {
            for number in 1.. {
                let mut chunk = Vec::with_capacity(PART_SIZE);
                (&mut file)
                    .take(PART_SIZE as u64)
                    .read_to_end(&mut chunk)
                    .map_err(io_err)?;
                if chunk.is_empty() {
                    break;
                }
                sent += chunk.len() as u64;
                let mut part = self.request("PUT", bucket, Some(key));
                part.query = vec![
                    ("partNumber".into(), number.to_string()),
                    ("uploadId".into(), upload_id.clone()),
                ];
                part.body = chunk;
                let r = self.session.s3(&part, "UploadPart")?;
                let etag = r
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("etag"))
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                parts.push((number, etag));
                progress.show(sent);
            }
            let mut xml = String::from("<CompleteMultipartUpload>");
            for (n, etag) in &parts {
                xml.push_str(&format!(
                    "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag></Part>",
                    xml_escape(etag)
                ));
            }
            xml.push_str("</CompleteMultipartUpload>");
            let mut complete = self.request("POST", bucket, Some(key));
            complete.query = vec![("uploadId".into(), upload_id.clone())];
            complete.body = xml.into_bytes();
            self.session
                .s3(&complete, "CompleteMultipartUpload")
                .map(|_| ())
        })();
        progress.done();
        if result.is_err() {
            let mut abort = self.request("DELETE", bucket, Some(key));
            abort.query = vec![("uploadId".into(), upload_id)];
            let _ = self.session.s3(&abort, "AbortMultipartUpload");
        }
        result
    }

    fn download(&self, bucket: &str, key: &str, target: &str, verb: &str, mv: bool) -> i32 {
        let shown = format!("s3://{bucket}/{key} to {}", local_display(target));
        let req = self.request("GET", bucket, Some(key));
        let result = if target == "-" {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            self.session.s3_to(&req, "GetObject", &mut lock).map(|_| ())
        } else {
            let path = Path::new(target);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                let _ = std::fs::create_dir_all(dir);
            }
            let tmp = path.with_extension(format!("{}.roleplay-part", std::process::id()));
            let written = std::fs::File::create(&tmp)
                .map_err(|e| CallError::Response(format!("{target}: {e}")))
                .and_then(|mut file| self.session.s3_to(&req, "GetObject", &mut file).map(|_| ()));
            match written.and_then(|()| {
                std::fs::rename(&tmp, path)
                    .map_err(|e| CallError::Response(format!("{target}: {e}")))
            }) {
                Ok(()) => Ok(()),
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    Err(e)
                }
            }
        };
        match result {
            Ok(()) => {
                if mv
                    && let Err(e) = self
                        .session
                        .s3(&self.request("DELETE", bucket, Some(key)), "DeleteObject")
                {
                    return transfer_failed(verb, &shown, &e);
                }
                if target != "-" {
                    print(&format!("{verb}: {shown}\n"));
                }
                0
            }
            Err(e) => transfer_failed(verb, &shown, &e),
        }
    }

    fn copy_object(&self, sb: &str, sk: &str, db: &str, dk: &str, verb: &str, mv: bool) -> i32 {
        let shown = format!("s3://{sb}/{sk} to s3://{db}/{dk}");
        let mut req = self.request("PUT", db, Some(dk));
        req.headers.push((
            "x-amz-copy-source".into(),
            format!("{}/{}", encode(sb, false), encode(sk, true)),
        ));
        let mut result = self.session.s3(&req, "CopyObject").map(|_| ());
        if mv && result.is_ok() {
            result = self
                .session
                .s3(&self.request("DELETE", sb, Some(sk)), "DeleteObject")
                .map(|_| ());
        }
        match result {
            Ok(()) => {
                print(&format!("{verb}: {shown}\n"));
                0
            }
            Err(e) => transfer_failed(verb, &shown, &e),
        }
    }

    fn rm(&self, path: &str, f: &Flags) -> i32 {
        let Some((bucket, key)) = s3_path(path) else {
            return usage_error("Error: Invalid argument type");
        };
        let keys = if f.recursive {
            let mut keys = Vec::new();
            if let Err(e) = self.list(&bucket, &key, false, |l| {
                keys.extend(l.objects.into_iter().map(|o| o.0))
            }) {
                return fail(&e);
            }
            keys
        } else {
            vec![key]
        };
        keys.iter()
            .map(|key| self.delete_object(&bucket, key))
            .max()
            .unwrap_or(0)
    }

    /// DeleteObject with the aws CLI's `delete:` line; 1 when it fails.
    fn delete_object(&self, bucket: &str, key: &str) -> i32 {
        let shown = format!("s3://{bucket}/{key}");
        match self
            .session
            .s3(&self.request("DELETE", bucket, Some(key)), "DeleteObject")
        {
            Ok(_) => {
                print(&format!("delete: {shown}\n"));
                0
            }
            Err(e) => transfer_failed("delete", &shown, &e),
        }
    }

    fn mb(&self, path: &str) -> i32 {
        let bucket = s3_path(path).map_or_else(|| path.to_owned(), |(b, _)| b);
        let mut req = self.request("PUT", &bucket, None);
        if let Some(region) = self.session.region().filter(|r| *r != "us-east-1") {
            req.body = format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{region}</LocationConstraint></CreateBucketConfiguration>"
            )
            .into_bytes();
        }
        match self.session.s3(&req, "CreateBucket") {
            Ok(_) => {
                print(&format!("make_bucket: {bucket}\n"));
                0
            }
            Err(e) => {
                eprintln!("make_bucket failed: s3://{bucket} {e}");
                1
            }
        }
    }

    fn rb(&self, path: &str, f: &Flags) -> i32 {
        let bucket = s3_path(path).map_or_else(|| path.to_owned(), |(b, _)| b);
        if f.force {
            let force = Flags {
                recursive: true,
                ..Flags::default()
            };
            if self.rm(&format!("s3://{bucket}/"), &force) != 0 {
                return 1;
            }
        }
        match self
            .session
            .s3(&self.request("DELETE", &bucket, None), "DeleteBucket")
        {
            Ok(_) => {
                print(&format!("remove_bucket: {bucket}\n"));
                0
            }
            Err(e) => {
                eprintln!("remove_bucket failed: s3://{bucket} {e}");
                1
            }
        }
    }

    /// `sync SRC DST [--delete]` between a folder and a bucket prefix (either way): a file is
    /// copied when the other side lacks it, its size differs, or the source is newer (the
    /// aws CLI's default comparison); downloads take the object's time as their mtime.
    fn sync(&self, src: &str, dst: &str, delete: bool) -> i32 {
        let (dir, bucket, prefix, up) = match (s3_path(src), s3_path(dst)) {
            (None, Some((b, p))) => (src, b, p, true),
            (Some((b, p)), None) => (dst, b, p, false),
            _ => return usage_error("sync needs a local folder and an s3:// prefix"),
        };
        let remote = match self.remote_index(&bucket, &prefix) {
            Ok(r) => r,
            Err(e) => return fail(&e),
        };
        let local = local_index(Path::new(dir));
        let (from, to) = if up {
            (&local, &remote)
        } else {
            (&remote, &local)
        };
        let mut code = 0;
        for (rel, (size, time)) in from {
            if to.get(rel).is_some_and(|(s, t)| s == size && time <= t) {
                continue;
            }
            let path = Path::new(dir).join(rel).to_string_lossy().into_owned();
            let key = join_key(&prefix, rel);
            let done = if up {
                self.upload(&path, &bucket, &key, "upload", false)
            } else {
                let done = self.download(&bucket, &key, &path, "download", false);
                let when = std::time::UNIX_EPOCH
                    + std::time::Duration::from_secs(u64::try_from(*time).unwrap_or(0));
                if let Ok(file) = std::fs::File::options().write(true).open(&path) {
                    let _ = file.set_modified(when);
                }
                done
            };
            code = code.max(done);
        }
        if !delete {
            return code;
        }
        for rel in to.keys().filter(|k| !from.contains_key(*k)) {
            if up {
                code = code.max(self.delete_object(&bucket, &join_key(&prefix, rel)));
            } else {
                let path = Path::new(dir).join(rel);
                match std::fs::remove_file(&path) {
                    Ok(()) => print(&format!(
                        "delete: {}\n",
                        local_display(&path.to_string_lossy())
                    )),
                    Err(e) => {
                        eprintln!("delete failed: {} {e}", path.display());
                        code = 1;
                    }
                }
            }
        }
        code
    }

    /// Key (relative to the prefix) → (size, last-modified seconds).
    fn remote_index(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<BTreeMap<String, (u64, i64)>, CallError> {
        let dir = if prefix.is_empty() || prefix.ends_with('/') {
            prefix.to_owned()
        } else {
            format!("{prefix}/")
        };
        let mut out = BTreeMap::new();
        self.list(bucket, &dir, false, |page| {
            for (key, modified, size) in page.objects {
                let rel = key.strip_prefix(&dir).unwrap_or(&key).to_owned();
                let when = time::OffsetDateTime::parse(
                    &modified,
                    &time::format_description::well_known::Rfc3339,
                )
                .map_or(0, |t| t.unix_timestamp());
                if !rel.is_empty() && !rel.ends_with('/') {
                    out.insert(rel, (size, when));
                }
            }
        })?;
        Ok(out)
    }

    fn presign(&self, path: &str, expires: u32) -> i32 {
        let Some((bucket, key)) = s3_path(path) else {
            return usage_error("Error: Invalid argument type");
        };
        match self.session.s3_presign(&bucket, &key, expires) {
            Ok(url) => {
                print(&format!("{url}\n"));
                0
            }
            Err(e) => fail(&e),
        }
    }
}

fn transfer_failed(verb: &str, shown: &str, e: &CallError) -> i32 {
    let verb = if verb.is_empty() { "move" } else { verb };
    eprintln!("{verb} failed: {shown} {e}");
    1
}

fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// `2026-11-27T23:20:39.000Z` → `2026-11-27 23:20:39` (UTC).
fn last_modified(text: &str) -> String {
    let t = text.replace('T', " ");
    format!("{:<19}", t.get(..19).unwrap_or(&t))
}

/// awscli's `human_readable_size`.
fn human_size(size: u64) -> String {
    if size == 1 {
        return "1 Byte".to_owned();
    }
    if size < 1024 {
        return format!("{size} Bytes");
    }
    let mut value = size as f64;
    for unit in ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"] {
        value /= 1024.0;
        if value < 1024.0 || unit == "EiB" {
            return format!("{value:.1} {unit}");
        }
    }
    format!("{size} Bytes")
}

fn basename(p: &str) -> String {
    p.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn join_key(prefix: &str, name: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        format!("{prefix}{name}")
    } else {
        format!("{prefix}/{name}")
    }
}

/// awscli's `relative_path`: the folder relative to the working directory, then the name.
fn local_display(path: &str) -> String {
    if path == "-" {
        return path.to_owned();
    }
    let p = Path::new(path);
    let absolute = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (Some(dir), Some(name), Ok(cwd)) = (
        absolute.parent(),
        absolute.file_name(),
        std::env::current_dir(),
    ) else {
        return path.to_owned();
    };
    let dir: Vec<_> = dir.components().collect();
    let cwd: Vec<_> = cwd.components().collect();
    let common = dir.iter().zip(&cwd).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..cwd.len() {
        rel.push("..");
    }
    for c in dir.iter().skip(common) {
        rel.push(c);
    }
    if rel.as_os_str().is_empty() {
        rel.push(".");
    }
    rel.join(name).to_string_lossy().into_owned()
}

/// Relative path (with `/`) → (size, mtime seconds) of every file under `dir`.
fn local_index(dir: &Path) -> BTreeMap<String, (u64, i64)> {
    let mut files = Vec::new();
    walk(dir, &mut files);
    files
        .into_iter()
        .filter_map(|f| {
            let meta = f.metadata().ok()?;
            let mtime = meta
                .modified()
                .ok()
                .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
            let rel = f
                .strip_prefix(dir)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            Some((rel, (meta.len(), mtime)))
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// A few common types by extension (the aws CLI guesses with Python's `mimetypes`).
fn content_type(key: &str) -> &'static str {
    let ext = key
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" => "text/plain",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "csv" => "text/csv",
        "json" => "application/json",
        "js" => "text/javascript",
        "xml" => "application/xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        _ => "binary/octet-stream",
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A one-line progress display for multipart uploads, on a terminal only.
struct Progress {
    total: u64,
    on: bool,
}

impl Progress {
    fn new(total: u64) -> Progress {
        use std::io::IsTerminal as _;
        Progress {
            total,
            on: std::io::stderr().is_terminal(),
        }
    }

    fn show(&self, sent: u64) {
        if self.on {
            eprint!(
                "\rCompleted {} / {} with 1 file(s) remaining",
                human_size(sent),
                human_size(self.total)
            );
        }
    }

    fn done(&self) {
        if self.on {
            eprint!("\r{:60}\r", "");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_columns_as_awscli() {
        assert_eq!(
            last_modified("2026-11-27T23:20:39.000Z"),
            "2026-11-27 23:20:39"
        );
        assert_eq!(human_size(22), "22 Bytes");
        assert_eq!(human_size(1), "1 Byte");
        assert_eq!(human_size(10 * 1024 * 1024), "10.0 MiB");
        assert_eq!(s3_path("s3://b/a/k"), Some(("b".into(), "a/k".into())));
        assert_eq!(join_key("a/", "f"), "a/f");
        assert_eq!(join_key("", "f"), "f");
    }
}
