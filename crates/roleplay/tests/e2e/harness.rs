//! A spawned server on a free loopback port, and a sandboxed `aws` CLI pointed at it.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// Root keys of the test accounts; the ids encode their accounts as AWS's do.
pub const A: &str = "123123123123";
pub const B: &str = "345345345345";
pub const C: &str = "333333333333";
pub const A_ROOT: (&str, &str) = (
    "AKIARZKVVYOZUEQH746Y",
    "Yt7Gbck+bq4JgYUL4uY8pez2aI37mbOqiywd2Jz1",
);
pub const B_ROOT: (&str, &str) = (
    "AKIAVA2BPY5AXIX6EA6Q",
    "6bJPw7rP+KQcDFcNQlX01dfLvZb8gkb6YlF9SQ1g",
);
pub const C_ROOT: (&str, &str) = (
    "AKIAU3HBXAVK6XRILAV5",
    "jd65HMd/mKe5j2VnoIWBrZRXz5S2uTXFDyx9Pib6",
);

/// Three accounts with nothing but their root keys.
pub fn three_accounts() -> String {
    let mut s = String::new();
    for (id, (k, secret)) in [(A, A_ROOT), (B, B_ROOT), (C, C_ROOT)] {
        s.push_str(&format!(
            "[[accounts]]\nid = \"{id}\"\nroot_access_key_id = \"{k}\"\nroot_secret_access_key = \"{secret}\"\n\n"
        ));
    }
    s
}

/// A running `roleplay serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Server {
    /// Starts the server on the scenario text, with the state in memory.
    pub fn start(scenario: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("scenario.toml"), scenario).unwrap();
        Self::spawn(dir, true, &[])
    }

    /// Starts the server on the scenario text, in memory, with extra `serve` arguments.
    pub fn start_with(scenario: &str, args: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("scenario.toml"), scenario).unwrap();
        Self::spawn(dir, true, args)
    }

    /// Starts the server with its store in `dir/data`.
    pub fn start_on_disk(dir: tempfile::TempDir) -> Server {
        Self::spawn(dir, false, &[])
    }

    /// What the server wrote to stderr (its JSON log lines), across restarts.
    /// The server's stderr so far. Request lines reach it in batches a few milliseconds
    /// after their responses, so this waits until the log stops growing.
    pub fn log(&self) -> String {
        let read =
            || std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default();
        let mut last = read();
        for _ in 0..40 {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let now = read();
            if now == last {
                break;
            }
            last = now;
        }
        last
    }

    fn spawn(dir: tempfile::TempDir, in_memory: bool, args: &[&str]) -> Server {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.path().join("stderr.log"))
            .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_roleplay"));
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--scenario")
            .arg(dir.path().join("scenario.toml"))
            .arg("--clock-control")
            .stdout(Stdio::piped())
            .args(args)
            .stderr(log);
        if in_memory {
            cmd.arg("--in-memory");
        } else {
            cmd.arg("--data-dir").arg(dir.path().join("data"));
        }
        let mut child = cmd.spawn().expect("the roleplay binary starts");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in the first line: {line:?}"));
        Server { child, port, dir }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Moves the server's clock forward.
    pub fn advance_clock(&self, seconds: i64) {
        let out = Command::new("python3")
            .arg("-c")
            .arg(format!(
                "import urllib.request; urllib.request.urlopen(urllib.request.Request('{}/_roleplay/clock?advance={seconds}', method='POST')).read()",
                self.endpoint()
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Kills the server the hard way and returns its folder.
    pub fn kill9(mut self) -> tempfile::TempDir {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The result of one `aws` command.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "aws failed: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or(Value::Null)
    }

    /// Asserts the CLI's service-error exit code (255) and AWS error code; returns the message.
    pub fn error(&self, code: &str) -> String {
        assert_eq!(
            self.code, 255,
            "expected {code}, got exit {}: {}{}",
            self.code, self.stdout, self.stderr
        );
        let marker = format!("An error occurred ({code})");
        assert!(
            self.stderr.contains(&marker),
            "expected {code}, got: {}",
            self.stderr
        );
        self.stderr.clone()
    }
}

/// A home folder with `~/.aws/config` and `~/.aws/credentials` for one server.
pub struct Sandbox {
    pub home: tempfile::TempDir,
    endpoint: String,
    config: String,
    credentials: String,
}

impl Sandbox {
    pub fn new(server: &Server) -> Sandbox {
        Sandbox {
            home: tempfile::tempdir().unwrap(),
            endpoint: server.endpoint(),
            config: String::new(),
            credentials: String::new(),
        }
    }

    fn config_path(&self) -> PathBuf {
        self.home.path().join("config")
    }

    fn credentials_path(&self) -> PathBuf {
        self.home.path().join("credentials")
    }

    fn write(&self) {
        std::fs::write(self.config_path(), &self.config).unwrap();
        std::fs::write(self.credentials_path(), &self.credentials).unwrap();
    }

    /// `[name]` in the credentials file and `[profile name]` pointing at the server.
    pub fn keys(&mut self, name: &str, key: &str, secret: &str) -> &mut Self {
        self.credentials.push_str(&format!(
            "[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n\n"
        ));
        self.config.push_str(&format!(
            "[profile {name}]\nregion = us-east-1\nendpoint_url = {}\n\n",
            self.endpoint
        ));
        self.write();
        self
    }

    /// A role profile: `role_arn` + `source_profile`, plus extra lines.
    pub fn role(&mut self, name: &str, role_arn: &str, source: &str, extra: &str) -> &mut Self {
        self.config.push_str(&format!(
            "[profile {name}]\nrole_arn = {role_arn}\nsource_profile = {source}\nregion = us-east-1\nendpoint_url = {}\n{extra}\n",
            self.endpoint
        ));
        self.write();
        self
    }

    /// A file in the sandbox, for `file://` arguments.
    pub fn file(&self, name: &str, text: &str) -> String {
        let p = self.home.path().join(name);
        std::fs::write(&p, text).unwrap();
        format!("file://{}", p.display())
    }

    /// Appends raw lines to the config file.
    pub fn config_lines(&mut self, text: &str) -> &mut Self {
        self.config.push_str(text);
        self.config.push('\n');
        self.write();
        self
    }

    /// The aws CLI's credential cache folder, `~/.aws/cli/cache`.
    pub fn cache_dir(&self) -> PathBuf {
        self.home.path().join(".aws").join("cli").join("cache")
    }

    /// Runs a program (`aws` or the roleplay binary) with only the sandbox's configuration.
    pub fn run(&self, program: &str, args: &[&str], env: &[(&str, String)]) -> Run {
        let mut cmd = Command::new(program);
        for (k, _) in std::env::vars() {
            if k.starts_with("AWS_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("HOME", self.home.path())
            .env("AWS_CONFIG_FILE", self.config_path())
            .env("AWS_SHARED_CREDENTIALS_FILE", self.credentials_path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("{program} is required for the end-to-end tests (pip install -r .ci/requirements.txt): {e}"));
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs `roleplay ARGS` (the client commands) with only the sandbox's configuration.
    pub fn roleplay(&self, args: &[&str]) -> Run {
        self.run(env!("CARGO_BIN_EXE_roleplay"), args, &[])
    }

    /// Runs `aws ARGS --output json` with only the sandbox's configuration.
    pub fn aws(&self, args: &[&str]) -> Run {
        self.aws_env(args, &[])
    }

    /// Runs `aws` with extra environment variables (e.g. session credentials), the endpoint
    /// and region given by the environment.
    pub fn aws_env(&self, args: &[&str], env: &[(&str, String)]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--output", "json"]);
        let mut vars: Vec<(&str, String)> = Vec::new();
        if !env.is_empty() {
            vars.push(("AWS_ENDPOINT_URL", self.endpoint.clone()));
            vars.push(("AWS_DEFAULT_REGION", "us-east-1".to_owned()));
        }
        vars.extend(env.iter().cloned());
        self.run("aws", &all, &vars)
    }
}

/// The `Credentials` of an assume-role or get-session-token answer, as environment variables.
pub fn session_env(answer: &Value) -> Vec<(&'static str, String)> {
    let c = &answer["Credentials"];
    vec![
        (
            "AWS_ACCESS_KEY_ID",
            c["AccessKeyId"].as_str().unwrap().to_owned(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY",
            c["SecretAccessKey"].as_str().unwrap().to_owned(),
        ),
        (
            "AWS_SESSION_TOKEN",
            c["SessionToken"].as_str().unwrap().to_owned(),
        ),
    ]
}
