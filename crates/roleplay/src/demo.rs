//! `roleplay demo`: the how-to, step by step, against an in-memory server started in this
//! process with the built-in scenario. Every answer printed is a real signed request through
//! the client's own API, as `roleplay sts|iam|s3` would send it.

use anyhow::{Context as _, Result};
use roleplay_cli::aws::s3::Listed;
use roleplay_cli::aws::{Json, OsIo, Session};
use roleplay_cli::{Args, Env, Fs};
use roleplay_server::{build_app, serve};
use std::collections::BTreeMap;
use std::io::Write as _;

const CONFIG_PATH: &str = "/roleplay-demo/config";
const CREDENTIALS_PATH: &str = "/roleplay-demo/credentials";

const CREDENTIALS: &str = "\
[account-a]
aws_access_key_id = AKIARZKVVYOZRFFXKTQN
aws_secret_access_key = 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
";

/// Account roots, for looking at the setup (not part of the how-to's files).
const ROOTS: &str = "
[a-root]
aws_access_key_id = AKIARZKVVYOZUEQH746Y
aws_secret_access_key = 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

[b-root]
aws_access_key_id = AKIAVA2BPY5AXIX6EA6Q
aws_secret_access_key = 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
";

fn config(url: &str) -> String {
    format!(
        "[profile account-a]\nregion = us-east-1\nendpoint_url = {url}\n\n\
         [profile accountb]\nrole_arn = arn:aws:iam::345345345345:role/accounta\nsource_profile = account-a\nregion = us-east-1\nendpoint_url = {url}\n\n\
         [profile a-root]\nregion = us-east-1\nendpoint_url = {url}\n\n\
         [profile b-root]\nregion = us-east-1\nendpoint_url = {url}\n"
    )
}

/// Runs the walk-through; the server stops when it ends.
pub fn run() -> Result<()> {
    let (scenario, _) = super::load_scenario(None)?;
    let (state, timeouts) = super::build_state(&scenario, None, false, 20.0)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .context("listening on 127.0.0.1")?;
    let url = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(serve(listener, build_app(state), timeouts, async {
        let _ = stopped.await;
    }));
    let result = walk(&url);
    let _ = stop.send(());
    let _ = runtime.block_on(server);
    result
}

fn walk(url: &str) -> Result<()> {
    let env: BTreeMap<String, String> = [
        ("AWS_CONFIG_FILE", CONFIG_PATH),
        ("AWS_SHARED_CREDENTIALS_FILE", CREDENTIALS_PATH),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let files: BTreeMap<String, String> = [
        (CONFIG_PATH.to_owned(), config(url)),
        (CREDENTIALS_PATH.to_owned(), format!("{CREDENTIALS}{ROOTS}")),
    ]
    .into_iter()
    .collect();
    // No home folder: nothing is written to the real ~/.aws/cli/cache.
    let io = OsIo::new(None, false);
    let demo = Demo {
        env: &env,
        fs: &files,
        io: &io,
    };
    demo.steps(url)
}

struct Demo<'a> {
    env: &'a dyn Env,
    fs: &'a dyn Fs,
    io: &'a OsIo,
}

fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

fn step(n: u32, title: &str) {
    say(&format!("\n== Step {n}: {title}\n"));
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_owned()
            } else {
                format!("    {l}\n")
            }
        })
        .collect()
}

impl Demo<'_> {
    fn session(&self, profile: &str) -> Result<Session<'_>> {
        let args = Args {
            profile: Some(profile.to_owned()),
            ..Args::default()
        };
        Session::new(self.env, self.fs, self.io, args).map_err(|e| anyhow::anyhow!("{e}"))
    }

    fn call(
        &self,
        profile: &str,
        service: &str,
        op: &str,
        params: serde_json::Value,
    ) -> Result<Json> {
        self.session(profile)?
            .call(service, op, &params)
            .map(|o| o.result)
            .map_err(|e| anyhow::anyhow!("{e}"))
    }

    fn steps(&self, url: &str) -> Result<()> {
        say(&format!(
            "roleplay demo: an in-memory server at {url} holds the how-to's two accounts.\n\
             Account A (123123123123) has the user alice; account B (345345345345) has the role\n\
             `accounta` and the bucket account-b-data. alice will reach B's bucket through the role."
        ));

        step(
            1,
            "the role's trust policy says who may assume it (B's side)",
        );
        let role = self.call(
            "b-root",
            "iam",
            "GetRole",
            serde_json::json!({"RoleName": "accounta"}),
        )?;
        if let Some(doc) = role
            .get("Role")
            .and_then(|r| r.get("AssumeRolePolicyDocument"))
        {
            say(&indent(&doc.pretty()));
        }
        say(
            "It names arn:aws:iam::123123123123:root: account A may delegate the role to its own\nusers. It does not let anyone in A assume it by itself.",
        );

        step(
            2,
            "the role's permission policy says what its sessions may do",
        );
        let attached = self.call(
            "b-root",
            "iam",
            "ListAttachedRolePolicies",
            serde_json::json!({"RoleName": "accounta"}),
        )?;
        let arns: Vec<String> = match attached.get("AttachedPolicies") {
            Some(Json::List(items)) => items
                .iter()
                .filter_map(|p| p.get("PolicyArn").and_then(Json::as_str).map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        for arn in arns {
            let policy = self.call(
                "b-root",
                "iam",
                "GetPolicy",
                serde_json::json!({"PolicyArn": arn}),
            )?;
            let version = policy
                .get("Policy")
                .and_then(|p| p.get("DefaultVersionId"))
                .and_then(Json::as_str)
                .unwrap_or("v1")
                .to_owned();
            let doc = self.call(
                "b-root",
                "iam",
                "GetPolicyVersion",
                serde_json::json!({"PolicyArn": arn, "VersionId": version}),
            )?;
            say(&format!("{arn}:"));
            if let Some(d) = doc.get("PolicyVersion").and_then(|v| v.get("Document")) {
                say(&indent(&d.pretty()));
            }
        }

        step(
            3,
            "alice's identity policy lets her ask for the role (A's side)",
        );
        let inline = self.call(
            "a-root",
            "iam",
            "GetUserPolicy",
            serde_json::json!({"UserName": "alice", "PolicyName": "assume-accounta"}),
        )?;
        if let Some(d) = inline.get("PolicyDocument") {
            say(&indent(&d.pretty()));
        }
        say("Across accounts both sides must allow: B's trust policy and A's identity policy.");

        step(
            4,
            "the profiles: alice's keys, and a profile that assumes the role with them",
        );
        say(&format!("~/.aws/credentials\n{}", indent(CREDENTIALS)));
        let config = config(url);
        let how_to: String = config
            .split("\n\n")
            .take(2)
            .collect::<Vec<_>>()
            .join("\n\n");
        say(&format!("~/.aws/config\n{}", indent(&how_to)));

        step(
            5,
            "the assumed identity (roleplay sts get-caller-identity --profile accountb)",
        );
        let who = self.call(
            "accountb",
            "sts",
            "GetCallerIdentity",
            serde_json::json!({}),
        )?;
        say(&indent(&who.pretty()));
        say(
            "roleplay signed an AssumeRole with alice's keys, then this call with the session it got.",
        );

        step(
            6,
            "the bucket listing (roleplay s3 ls s3://account-b-data --recursive --profile accountb)",
        );
        let session = self.session("accountb")?;
        let mut lines = String::new();
        session
            .s3_list("account-b-data", "", false, |page: Listed| {
                for (key, modified, size) in page.objects {
                    let when = modified.replace('T', " ");
                    lines.push_str(&format!(
                        "{} {size:>10} {key}\n",
                        when.get(..19).unwrap_or(&when)
                    ));
                }
            })
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        say(&indent(&lines));

        step(
            7,
            "a denial, and why (the role's session tries iam:CreateUser)",
        );
        match self.session("accountb")?.call(
            "iam",
            "CreateUser",
            &serde_json::json!({"UserName": "mallory"}),
        ) {
            Ok(_) => say("    (unexpectedly allowed)"),
            Err(e) => say(&indent(&e.to_string())),
        }
        say(
            "The role's only policy allows s3:*, nothing in IAM: no identity-based policy allows\n\
             the action, so it is denied. Every decision is logged; the server's explanation of\n\
             this one (`roleplay explain REQUEST_ID` prints the same for any request):\n",
        );
        let explained = self
            .session("accountb")?
            .get(&format!(
                "{url}/_roleplay/decisions?action=iam:CreateUser&decision=Deny&limit=1&format=text"
            ))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        say(&indent(&String::from_utf8_lossy(&explained.body)));

        say(
            "\nTry it yourself: `roleplay serve` prints these profiles for ~/.aws; then run the same\ncommands with `roleplay` or `aws`.",
        );
        Ok(())
    }
}
