//! Serves the embedded UI natively over plain HTTP/1.1, through the very handler the component
//! runs, for working on the UI and for browser tests while no Spin host is at hand:
//!
//!     cargo run -p folio-ui --example serve -- 127.0.0.1:8081
//!
//! One connection at a time, `Connection: close`: a development tool, not a server. API paths
//! get the component's 404, as under Spin; tests/browser/support/mock-api.mjs can sit in front.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use folio_core::Host;
use folio_native::{BrokenKv, BrokenSql, MapConfig, OsRandom, SystemClock};

fn main() {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8081".to_string());
    let listener = TcpListener::bind(&address).expect("bind");
    eprintln!("folio-ui serving on http://{address}");
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else { continue };
        let mut builder = http::Request::builder().method(method).uri(target);
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
                builder = builder.header(name.trim(), value.trim());
            }
        }
        let mut body = vec![0; length.min(1 << 20)];
        let _ = reader.read_exact(&mut body);
        let Ok(request) = builder.body(body) else { continue };
        let host = Host {
            sql: &BrokenSql,
            kv: &BrokenKv,
            clock: &SystemClock,
            random: &OsRandom,
            config: &MapConfig::new(),
        };
        let response = folio_ui::handle(&host, request);
        let mut head = format!(
            "HTTP/1.1 {} {}\r\n",
            response.status().as_u16(),
            response.status().canonical_reason().unwrap_or("")
        );
        for (name, value) in response.headers() {
            head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap_or("")));
        }
        let declared = if method == "HEAD" { 0 } else { response.body().len() };
        head.push_str(&format!("content-length: {declared}\r\nconnection: close\r\n\r\n"));
        let _ = stream.write_all(head.as_bytes());
        if method != "HEAD" {
            let _ = stream.write_all(response.body());
        }
    }
}
