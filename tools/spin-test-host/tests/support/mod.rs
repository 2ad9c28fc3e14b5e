//! Test support: builds the test guest, writes a manifest around it, starts the host as a
//! real process, and talks HTTP to it with a tiny client (no HTTP client crate, to keep the
//! host's build small).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::Duration;

/// Builds `test-guest` for wasm32-wasip2 once per test binary and returns the .wasm path.
pub fn guest_wasm() -> &'static Path {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        // A target directory of its own: sharing the host's would wait on the lock that
        // the running `cargo test` holds.
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("guest-target");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--release", "--locked", "--target", "wasm32-wasip2"])
            .arg("--manifest-path")
            .arg(manifest_dir.join("test-guest/Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .status()
            .expect("run cargo build for the test guest");
        assert!(
            status.success(),
            "building the test guest failed (is the wasm32-wasip2 target installed? `rustup target add wasm32-wasip2`)"
        );
        target.join("wasm32-wasip2/release/spin_test_host_guest.wasm")
    })
}

/// A fresh directory under the cargo test temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("host-tests")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The manifest the host tests use: the same guest mounted as several components with
/// different grants and routes.
pub fn write_test_app(dir: &Path) -> PathBuf {
    let wasm = guest_wasm().display().to_string();
    std::fs::create_dir_all(dir.join("static/nested")).unwrap();
    std::fs::write(dir.join("static/hello.txt"), "hello from a mounted file").unwrap();
    std::fs::write(dir.join("static/nested/deep.txt"), "deep").unwrap();
    std::fs::write(dir.join("not-mounted.txt"), "secret").unwrap();
    std::fs::write(
        dir.join("runtime-config.toml"),
        "[key_value_store.other]\ntype = \"spin\"\npath = \"state-other/other_kv.db\"\n",
    )
    .unwrap();
    let manifest = format!(
        r#"spin_manifest_version = 2

[application]
name = "host-tests"

[variables]
greeting = {{ default = "hello" }}
api_key = {{ required = true, secret = true }}

[[trigger.http]]
route = "/guest/..."
component = "guest"

[[trigger.http]]
route = "/guest/deeper/..."
component = "deeper"

[[trigger.http]]
route = "/exact"
component = "exact"

[[trigger.http]]
route = "/restricted/..."
component = "restricted"

[[trigger.http]]
route = "/items/:item_id/..."
component = "deeper"

[component.guest]
source = {wasm:?}
key_value_stores = ["default", "other"]
sqlite_databases = ["default"]
files = ["static/**"]
[component.guest.variables]
component_name = "guest"
message = "{{{{ greeting }}}}, world"
key = "key={{{{api_key}}}}"

[component.deeper]
source = {wasm:?}
[component.deeper.variables]
component_name = "deeper"

[component.exact]
source = {wasm:?}
[component.exact.variables]
component_name = "exact"

[component.restricted]
source = {wasm:?}
[component.restricted.variables]
component_name = "restricted"
"#
    );
    let path = dir.join("spin.toml");
    std::fs::write(&path, manifest).unwrap();
    path
}

/// A running `spin-test-host` process, killed when dropped.
pub struct Host {
    child: Child,
    pub addr: SocketAddr,
    stderr: mpsc::Receiver<String>,
}

pub struct HostCommand {
    command: Command,
}

impl HostCommand {
    pub fn new(manifest: &Path, state_dir: &Path) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_spin-test-host"));
        command
            .arg("--manifest")
            .arg(manifest)
            .args(["--listen", "127.0.0.1:0"])
            .arg("--state-dir")
            .arg(state_dir)
            // Compiled components are cached per test run, not in the shared temp dir.
            .env("SPIN_TEST_HOST_CACHE_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile-cache"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Self { command }
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    /// Starts the host and waits for its `serving http://...` line.
    pub fn start(mut self) -> Result<Host, String> {
        let mut child = self.command.spawn().expect("spawn spin-test-host");
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (err_tx, err_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if err_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (addr_tx, addr_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if !sent {
                    if let Some(addr) = line.strip_prefix("serving http://") {
                        let _ = addr_tx.send(addr.parse::<SocketAddr>().unwrap());
                        sent = true;
                    }
                }
            }
        });
        match addr_rx.recv_timeout(Duration::from_secs(120)) {
            Ok(addr) => Ok(Host { child, addr, stderr: err_rx }),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                let errors: Vec<String> = err_rx.try_iter().collect();
                Err(format!("host did not start (exit {status:?}): {}", errors.join("\n")))
            }
        }
    }
}

impl Host {
    pub fn get(&self, path: &str) -> HttpResponse {
        request(self.addr, "GET", path, &[], b"")
    }

    pub fn post(&self, path: &str, body: &[u8]) -> HttpResponse {
        request(self.addr, "POST", path, &[], body)
    }

    pub fn json(&self, method: &str, path: &str, body: &[u8]) -> serde_json::Value {
        let response = request(self.addr, method, path, &[], body);
        assert_eq!(response.status, 200, "{method} {path}: {response:?}");
        serde_json::from_slice(&response.body)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {response:?}"))
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.try_iter().collect()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A minimal HTTP/1.1 exchange over a fresh connection (`Connection: close`).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).expect("connect to host");
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    parse_response(&raw)
}

/// Sends `raw` as it is (for requests the helper above would not produce) and reads the
/// answer until the server closes the connection.
pub fn raw_request(addr: SocketAddr, raw: &[u8]) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).expect("connect to host");
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    stream.write_all(raw).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read response");
    parse_response(&answer)
}

fn parse_response(raw: &[u8]) -> HttpResponse {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("response has a header section");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked { dechunk(rest) } else { rest.to_vec() };
    HttpResponse { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}
