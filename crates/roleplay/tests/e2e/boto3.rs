//! boto3 scenarios for multi-step flows, one Python script each in `python/`, every one run
//! against a fresh server on the built-in scenario. A script exits non-zero at its first
//! failed assertion and prints a JSON summary on success.
//!
//! A missing `python3` or boto3 is a failure, never a skip: `.ci/run` installs the pinned
//! clients from `.ci/requirements.txt`.

use crate::harness::Server;
use std::path::PathBuf;
use std::process::Command;

fn run_scenario(script: &str) {
    run_scenario_with(script, &[]);
}

/// Runs a script against a server started with extra `serve` arguments.
fn run_scenario_with(script: &str, serve_args: &[&str]) {
    let server = Server::start_with(roleplay_engine::scenario::BUILT_IN, serve_args);
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "e2e", "python", script]
        .iter()
        .collect();
    let mut cmd = Command::new("python3");
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .arg(&path)
        .arg(server.endpoint())
        .env("AWS_CONFIG_FILE", server.dir.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            server.dir.path().join("no-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 is required for the boto3 scenarios (with boto3 from .ci/requirements.txt): {e}")
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{stderr}\n{stdout}",
        out.status
    );
    let summary: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{script} printed no JSON summary ({e}):\n{stdout}"));
    assert_eq!(summary["ok"], true, "{stdout}");
    println!("{stdout}");
}

#[test]
fn session_tags() {
    run_scenario("session_tags.py");
}

#[test]
fn session_policies() {
    run_scenario("session_policies.py");
}

#[test]
fn role_chaining() {
    run_scenario("role_chaining.py");
}

#[test]
fn pagination() {
    run_scenario("pagination.py");
}

#[test]
fn multi_account_isolation() {
    run_scenario("isolation.py");
}

#[test]
fn s3_cross_account_matrix() {
    run_scenario("s3_matrix.py");
}

#[test]
fn policy_simulator_agrees_with_live_requests() {
    run_scenario("simulator.py");
}

#[test]
fn denial_texts_and_decision_log() {
    run_scenario("explain.py");
}

#[test]
fn idle_connections_closed_by_the_server_do_not_fail_boto3() {
    run_scenario_with("idle_connections.py", &["--io-timeout", "1"]);
}

#[test]
fn objects_are_answered_about_as_s3_answers() {
    run_scenario("objects.py");
}

#[test]
fn bucket_policies_see_the_request_headers_they_name() {
    run_scenario("s3_conditions.py");
}
