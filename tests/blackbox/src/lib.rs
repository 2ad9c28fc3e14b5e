//! The black-box suite's harness: one running app per test binary, reached over HTTP.
//!
//! Which app: `FOLIO_BASE_URL` when set (any deployment); otherwise the suite starts one itself
//! from this checkout's `spin.toml` and built components with real `spin up`: the Spin CLI named
//! by `SPIN_BIN`, else `spin` on `PATH`. Without one the suite fails and says how to get it;
//! there is no stand-in host (one that routed differently from Spin once hid a bug that made the
//! app unusable). The started app gets a fresh state directory and is stopped when the test
//! process exits.
#![cfg(not(target_arch = "wasm32"))]

use std::{
    io::Read,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context};
pub use http::{header, Method, StatusCode};

/// The app under test.
pub struct App {
    pub base: String,
    /// What serves it: `external` or `spin`.
    pub served_by: &'static str,
    agent: ureq::Agent,
    // Held so the app lives as long as its owner; dropping the stdin end stops it (see `launch`).
    _guard: Option<Guard>,
    _state: Option<tempfile::TempDir>,
}

/// How to start a private app instance (see [`Instance`]).
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// A Spin runtime-config file (`--runtime-config-file`), e.g. to put the key-value store on Redis.
    pub runtime_config: Option<PathBuf>,
    /// Extra environment, e.g. `SPIN_VARIABLE_*`.
    pub env: Vec<(String, String)>,
}

type Guard = Mutex<(Child, ChildStdin)>;

/// Starts the app from this checkout with `state` as its state directory; returns its base URL,
/// what serves it, and the guard whose drop stops it.
fn launch(options: &Launch, state: &Path) -> anyhow::Result<(String, &'static str, Guard)> {
    let root = repo_root();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let manifest = root.join("spin.toml");
    let program = spin_binary()?;
    let served_by = "spin";
    let mut args: Vec<String> =
        vec!["up".into(), "--from".into(), manifest.display().to_string(), "--listen".into(), listen.clone()];
    args.extend(["--state-dir".into(), state.display().to_string()]);
    if let Some(rc) = &options.runtime_config {
        args.extend(["--runtime-config-file".into(), rc.display().to_string()]);
    }
    let log_path = state.join(format!("app-{port}.log"));
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating the app's log file {}", log_path.display()))?;
    // The app runs under a tiny shell that stops it when our end of its stdin closes, which
    // happens however this process exits: no orphaned servers after a failed run.
    let mut child = Command::new("sh")
        .env("SPIN_VARIABLE_ADMIN_EMAILS", ADMIN_EMAIL)
        // Every book read that misses stores its copy, so the suite's reads after writes go
        // through the read cache (docs/books.md) rather than by chance one time in eight.
        .env("SPIN_VARIABLE_BOOK_READ_CACHE_FILL_ONE_IN", "1")
        .envs(options.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .arg("-c")
        .arg("\"$@\" & pid=$!; read _; kill $pid 2>/dev/null; wait $pid")
        .arg("sh")
        .arg(&program)
        .args(&args)
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(log.try_clone().context("sharing the log file between stdout and stderr")?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", program.display()))?;
    let stdin = child.stdin.take().expect("piped stdin");
    let guard = Mutex::new((child, stdin));
    let base = format!("http://{listen}");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let probe = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .new_agent()
            .get(format!("{base}/api/health"))
            .call();
        if probe.is_ok() {
            break;
        }
        let exited = guard.lock().map(|mut g| matches!(g.0.try_wait(), Ok(Some(_)))).unwrap_or(true);
        if exited || Instant::now() > deadline {
            let mut log = String::new();
            let _ = std::fs::File::open(&log_path).and_then(|mut f| f.read_to_string(&mut log));
            bail!("{served_by} did not answer on {listen}; its log:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("black-box suite: {base} served by {served_by} ({})", program.display());
    Ok((base, served_by, guard))
}

fn stop(guard: Guard) {
    if let Ok((mut child, stdin)) = guard.into_inner() {
        drop(stdin);
        let _ = child.wait();
    }
}

/// A private app instance with its own state directory, which can be restarted over the same
/// state, e.g. to prove that data survives a restart.
pub struct Instance {
    pub app: App,
    options: Launch,
    state: tempfile::TempDir,
}

impl Instance {
    pub fn start(options: Launch) -> Instance {
        let state = tempfile::tempdir().expect("state directory");
        let (base, served_by, guard) = launch(&options, state.path()).unwrap_or_else(|e| panic!("{e:#}"));
        let app = App { base, served_by, agent: App::agent(), _guard: Some(guard), _state: None };
        Instance { app, options, state }
    }

    pub fn state_dir(&self) -> &Path {
        self.state.path()
    }

    /// What `component` has written to stderr so far (Spin keeps it in the state directory):
    /// the app's JSON log lines.
    pub fn log(&self, component: &str) -> String {
        std::fs::read_to_string(self.state.path().join("logs").join(format!("{component}_stderr.txt")))
            .unwrap_or_default()
    }

    /// The log lines `component` wrote for the request answered with `request_id`: the lines
    /// after the previous request's line, up to and including this request's. Meaningful when
    /// requests to the component are sent one at a time. Waits a little for Spin to write them.
    pub fn log_of_request(&self, component: &str, request_id: &str) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let lines = self.find_request_lines(component, request_id);
            if !lines.is_empty() || Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn find_request_lines(&self, component: &str, request_id: &str) -> Vec<serde_json::Value> {
        let mut current = Vec::new();
        for line in self.log(component).lines() {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let is_request = value["event"] == "request";
            let mine = is_request && value["request_id"] == request_id;
            current.push(value);
            if mine {
                return current;
            }
            if is_request {
                current.clear();
            }
        }
        Vec::new()
    }

    /// [`Instance::restart`] with `SPIN_VARIABLE_<name>` set to `value` from now on: an operator
    /// changing a variable of a running deployment.
    pub fn restart_with_variable(&mut self, name: &str, value: &str) {
        let key = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
        self.options.env.retain(|(k, _)| *k != key);
        self.options.env.push((key, value.to_string()));
        self.restart();
    }

    /// Stops the app and starts it again over the same state (on a new port).
    pub fn restart(&mut self) {
        self.restart_after(|_| {});
    }

    /// Stops the app, runs `between` on its state directory (an operator's restore, say), and
    /// starts it again over that state (on a new port).
    pub fn restart_after(&mut self, between: impl FnOnce(&Path)) {
        if let Some(guard) = self.app._guard.take() {
            stop(guard);
        }
        between(self.state.path());
        let (base, served_by, guard) =
            launch(&self.options, self.state.path()).unwrap_or_else(|e| panic!("{e:#}"));
        self.app = App { base, served_by, agent: App::agent(), _guard: Some(guard), _state: None };
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(guard) = self.app._guard.take() {
            stop(guard);
        }
    }
}

/// A response, fully read.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("status {} body is not JSON ({e}): {}", self.status, String::from_utf8_lossy(&self.body))
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts an RFC 9457 problem with this status, and returns its body.
    pub fn problem(&self, status: u16) -> serde_json::Value {
        assert_eq!(self.status, status, "expected a {status} problem, got: {}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "problem content type for {status}"
        );
        let body = self.json();
        assert_eq!(body["status"], status, "problem status member");
        for member in ["type", "title", "detail"] {
            assert!(body[member].is_string(), "problem member {member} missing: {body}");
        }
        body
    }
}

static APP: OnceLock<App> = OnceLock::new();

/// The account the self-started app makes administrator (`admin_emails`). Against an external
/// app (`FOLIO_BASE_URL`), set `FOLIO_ADMIN_EMAIL`/`FOLIO_ADMIN_PASSWORD` to an admin's login.
pub const ADMIN_EMAIL: &str = "admin@blackbox.test";
pub const PASSWORD: &str = "correct horse battery staple";

/// The app of this test process, started on first use.
pub fn app() -> &'static App {
    APP.get_or_init(|| App::start().unwrap_or_else(|e| panic!("could not start the app: {e:#}")))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The Spin CLI: `SPIN_BIN`, else `spin` on `PATH`.
pub fn spin_binary() -> anyhow::Result<PathBuf> {
    std::env::var_os("SPIN_BIN").map(PathBuf::from).or_else(|| find_on_path("spin")).ok_or_else(|| {
        anyhow!(
            "no Spin CLI: set SPIN_BIN or put `spin` on PATH (../shared/spin/install installs Spin 4.0.2; \
             elsewhere see https://spinframework.dev/install), or set FOLIO_BASE_URL to test a running app"
        )
    })
}

impl App {
    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .max_redirects(0)
            .build()
            .into()
    }

    fn start() -> anyhow::Result<App> {
        if let Ok(given) = std::env::var("FOLIO_BASE_URL") {
            // Paths are appended to it, so it must be an http(s) URL with nothing after its path.
            let url =
                url::Url::parse(&given).with_context(|| format!("FOLIO_BASE_URL is not a URL: {given:?}"))?;
            if !matches!(url.scheme(), "http" | "https") || url.query().is_some() || url.fragment().is_some()
            {
                bail!("FOLIO_BASE_URL must be an http or https URL without a query or fragment: {given:?}");
            }
            let base = url.as_str().trim_end_matches('/').to_string();
            eprintln!("black-box suite: testing {base} (external)");
            return Ok(App { base, served_by: "external", agent: Self::agent(), _guard: None, _state: None });
        }
        let state = tempfile::tempdir().context("creating the app's state directory")?;
        let (base, served_by, guard) = launch(&Launch::default(), state.path())?;
        Ok(App { base, served_by, agent: Self::agent(), _guard: Some(guard), _state: Some(state) })
    }

    /// Sends a request built with the `http` crate; the path is relative to the base URL.
    pub fn send(&self, req: http::Request<Vec<u8>>) -> Resp {
        let (mut parts, body) = req.into_parts();
        let url = format!("{}{}", self.base, parts.uri);
        parts.uri = url.parse().expect("valid URL");
        let req = http::Request::from_parts(parts, body);
        let mut response = self.agent.run(req).unwrap_or_else(|e| panic!("request failed: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .unwrap_or_else(|e| panic!("reading the body failed: {e}"));
        Resp { status, headers, body }
    }

    /// A request with optional headers and body.
    pub fn call(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut b = http::Request::builder().method(method).uri(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(body.to_vec()).expect("valid request"))
    }

    pub fn get(&self, path: &str) -> Resp {
        self.call("GET", path, &[], b"")
    }

    /// A JSON request, with a bearer token when given.
    pub fn json(&self, method: &str, path: &str, token: Option<&str>, body: &serde_json::Value) -> Resp {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("authorization", a.as_str()));
        }
        self.call(method, path, &headers, body.to_string().as_bytes())
    }
}

/// Tokens from the token endpoint.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub email: String,
}

/// A fresh e-mail address, unique within and across runs.
pub fn unique_email(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{nanos}-{}@blackbox.test", N.fetch_add(1, Ordering::SeqCst))
}

impl App {
    /// Registers `email` (tolerating an existing account) and signs in with the password grant.
    pub fn login(&self, email: &str) -> Tokens {
        let r = self.json(
            "POST",
            "/api/auth/register",
            None,
            &serde_json::json!({"email": email, "password": PASSWORD}),
        );
        assert!(r.status == 201 || r.status == 409, "register {email}: {} {}", r.status, r.text());
        self.password_grant(email, PASSWORD)
    }

    pub fn password_grant(&self, email: &str, password: &str) -> Tokens {
        let body =
            format!("grant_type=password&username={}&password={}", urlencode(email), urlencode(password));
        let r = self.call(
            "POST",
            "/api/auth/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "token for {email}: {}", r.text());
        let t = r.json();
        Tokens {
            access: t["access_token"].as_str().expect("access_token").to_string(),
            refresh: t["refresh_token"].as_str().expect("refresh_token").to_string(),
            email: email.to_string(),
        }
    }

    /// An administrator's tokens.
    pub fn admin(&self) -> Tokens {
        let email = std::env::var("FOLIO_ADMIN_EMAIL").unwrap_or_else(|_| ADMIN_EMAIL.to_string());
        match std::env::var("FOLIO_ADMIN_PASSWORD") {
            Ok(password) => self.password_grant(&email, &password),
            Err(_) => self.login(&email),
        }
    }

    /// A fresh account with `role`, set by the administrator.
    pub fn user_with_role(&self, role: &str) -> Tokens {
        let email = unique_email(role);
        let first = self.login(&email);
        let admin = self.admin();
        let me = self.with_token("GET", "/api/auth/me", &first.access).json();
        let id = me["account"]["id"].as_str().expect("account id").to_string();
        let r = self.json(
            "PATCH",
            &format!("/api/auth/users/{id}"),
            Some(&admin.access),
            &serde_json::json!({"role": role}),
        );
        assert_eq!(r.status, 200, "set role: {}", r.text());
        // Scopes are fixed in a token: sign in again for one that carries the new role.
        self.password_grant(&email, PASSWORD)
    }

    /// A request with only a bearer token.
    pub fn with_token(&self, method: &str, path: &str, token: &str) -> Resp {
        let auth = format!("Bearer {token}");
        self.call(method, path, &[("authorization", auth.as_str())], b"")
    }
}

/// Percent-encodes a form value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A valid, unique ISBN-13 (978 prefix, check digit computed).
pub fn unique_isbn() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as u64;
    let body = (seed.wrapping_mul(31).wrapping_add(N.fetch_add(1, Ordering::SeqCst) * 7919)) % 1_000_000_000;
    let digits = format!("978{body:09}");
    let sum: u32 = digits
        .chars()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).unwrap() * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

/// A valid book body with a unique ISBN.
pub fn book_body(title: &str) -> serde_json::Value {
    serde_json::json!({
        "title": title,
        "author": "Octavia Blackbox",
        "genre": "Science Fiction",
        "isbn": unique_isbn(),
        "published_year": 1993,
        "pages": 345,
        "price_cents": 1999,
        "language": "en",
        "description": "A test book."
    })
}

/// A redis-server on a free loopback port (Debian's `redis-server`), stopped on drop: the
/// key-value store of an app started with [`Redis::launch`], through Spin's own runtime config.
pub struct Redis {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Redis {
    pub fn start() -> Redis {
        let port = free_port();
        let dir = tempfile::tempdir().expect("redis directory");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is needed for this test (Debian package redis-server)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Redis { child, port, dir }
    }

    /// Runs `redis-cli` against this server and returns its output.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// How to start an app whose `default` key-value store is this server: a runtime config
    /// file (`--runtime-config-file`), as deploy/ does for production.
    pub fn launch(&self) -> Launch {
        let path = self.dir.path().join("runtime-config.toml");
        std::fs::write(
            &path,
            format!(
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:{}\"\n",
                self.port
            ),
        )
        .expect("runtime config written");
        Launch { runtime_config: Some(path), ..Launch::default() }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
