//! The HTTP edge under Spin (crates/folio-spin/src/edge.rs): every component writes a body of up
//! to 1 MiB before it hands the response to Spin, declares its length, and streams a larger
//! one; it reads at most one byte past the 64 KiB limit of a request body, however it is sent.
//! Speed is measured by bench/run.py; these check that nothing is lost or mangled on the way.

use std::io::{Read, Write};
use std::net::TcpStream;

use folio_blackbox::app;

fn static_file(path: &str) -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../static/").to_string() + path)
        .expect("static file")
}

/// The asset's hashed URL, as the docs page names it.
fn swagger_bundle_url() -> String {
    let page = app().get("/docs").text();
    let end = page.find("swagger-ui-bundle.js\"").expect("the docs page names the Swagger UI bundle")
        + "swagger-ui-bundle.js".len();
    let start = page[..end].rfind('"').expect("quoted") + 1;
    let url = page[start..end].to_string();
    assert!(url.starts_with("/assets/swagger-ui-"), "{url}");
    url
}

#[test]
fn bodies_over_and_under_a_mebibyte_arrive_whole_on_one_kept_alive_connection() {
    let url = swagger_bundle_url();
    let file = static_file("assets/swagger-ui/swagger-ui-bundle.js");
    assert!(file.len() > 1024 * 1024, "the uncompressed bundle is the >1 MiB case: {}", file.len());
    // The same agent keeps its connection: each answer must end where its length says, or the
    // next one on the connection would be garbled.
    for round in 0..3 {
        for encoding in ["identity", "gzip", "br"] {
            let r = app().call("GET", &url, &[("accept-encoding", encoding)], b"");
            assert_eq!(r.status, 200, "round {round} {encoding}");
            assert_eq!(r.header("content-length"), Some(r.body.len().to_string().as_str()), "{encoding}");
            if encoding == "identity" {
                assert!(r.body == file, "round {round}: the 1.7 MB body differs from the file");
            } else {
                assert_eq!(r.header("content-encoding"), Some(encoding));
                assert!(r.body.len() < file.len() && r.body.len() > 100_000, "{encoding}: {}", r.body.len());
            }
        }
        let health = app().get("/api/health");
        assert_eq!(health.status, 200, "a small answer between the large ones, round {round}");
    }
}

#[test]
fn every_component_declares_the_length_of_what_it_sends() {
    for path in
        ["/api/health", "/.well-known/jwks.json", "/api/books", "/api/generator/runs", "/api/reports", "/"]
    {
        let r = app().get(path);
        assert_eq!(
            r.header("content-length"),
            Some(r.body.len().to_string().as_str()),
            "{path} ({}, {})",
            r.status,
            r.header("x-folio-component").unwrap_or("?")
        );
    }
    let head = app().call("HEAD", "/", &[], b"");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

/// A `HEAD` answer says how long the `GET`'s body is (RFC 9110 §9.3.2: a client sizes a download
/// by it) and sends none, on every component, the streamed >1 MiB asset included; the agent's
/// kept-alive connection then carries a whole `GET`, so no body byte was sent after all.
#[test]
fn head_answers_declare_the_get_length_and_send_no_body() {
    let bundle = swagger_bundle_url();
    for path in ["/api/health", "/.well-known/jwks.json", "/api/books", "/api/reports", "/", bundle.as_str()]
    {
        let get = app().get(path);
        let head = app().call("HEAD", path, &[], b"");
        assert_eq!(head.status, get.status, "{path}");
        assert!(head.body.is_empty(), "{path}");
        assert_eq!(head.header("content-length"), Some(get.body.len().to_string().as_str()), "{path}");
        let again = app().get(path);
        assert_eq!(again.body.len(), get.body.len(), "{path}: the GET after the HEAD on its connection");
    }
    // A `304` has no representation of its own to size: no length is made up for it.
    let etag = app().get("/").header("etag").expect("the UI's page has an ETag").to_string();
    let not_modified = app().call("HEAD", "/", &[("if-none-match", &etag)], b"");
    assert_eq!(not_modified.status, 304);
    assert_eq!(not_modified.header("content-length"), None);
}

/// One raw HTTP/1.1 exchange; returns the status line and the head of the answer.
fn raw_exchange(request: &[u8]) -> String {
    let addr = app().base.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    // The server may answer and close before the whole body is sent: that is the point.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if answer.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn an_oversized_body_without_a_declared_length_is_413() {
    // Chunked, so only reading it shows its size: 1 MiB in 64 KiB chunks.
    let chunk = vec![b' '; 64 * 1024];
    let mut request =
        b"POST /api/auth/register HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            .to_vec();
    for _ in 0..16 {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let answer = raw_exchange(&request);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.to_lowercase().contains("content-type: application/problem+json"), "{answer}");
}

#[test]
fn a_body_at_the_limit_is_read_whole() {
    // 64 KiB exactly, of JSON whitespace around an object: read whole, it is a valid (if weak)
    // registration; truncated, it would be malformed JSON (400).
    let mut body = vec![b' '; 64 * 1024];
    let json = br#"{"email":"edge-limit@blackbox.test","password":"short"}"#;
    body[..json.len()].copy_from_slice(json);
    let r = app().call("POST", "/api/auth/register", &[("content-type", "application/json")], &body);
    assert_eq!(r.problem(422)["errors"][0]["field"], "password", "{}", r.text());
}

#[test]
fn a_get_with_a_body_is_answered_and_the_next_request_on_the_connection_too() {
    // Components do not read GET bodies (they mean nothing in the contract); the server must
    // still answer, and keep the connection usable: the body is skipped, not taken for the next
    // request.
    let addr = app().base.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let first = b"GET /api/books HTTP/1.1\r\nhost: x\r\ncontent-length: 20\r\n\r\nGET /nope HTTP/1.1\r\n";
    let second = b"GET /api/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    stream.write_all(first).unwrap();
    stream.write_all(second).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    let statuses: Vec<&str> = answer.lines().filter(|l| l.starts_with("HTTP/1.1 ")).collect();
    assert_eq!(statuses.first().copied(), Some("HTTP/1.1 401 Unauthorized"), "{answer}");
    if let Some(second_status) = statuses.get(1) {
        // hyper may close instead of draining an unread body; if it answered, it answered the
        // second request, not the body's bytes.
        assert!(
            second_status.starts_with("HTTP/1.1 200") || second_status.starts_with("HTTP/1.1 503"),
            "{answer}"
        );
    }
    assert!(statuses.len() <= 2, "the body was taken for a request: {answer}");
}

/// `depth` nested arrays (or objects under "a") around 1, as JSON text.
fn nested(depth: usize, objects: bool) -> String {
    if objects {
        format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
    } else {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }
}

#[test]
fn the_deepest_json_a_route_accepts_fits_the_components_stack() {
    // Every component links a 128 KiB shadow stack (.cargo/config.toml): nothing may recurse past
    // it. serde_json parses up to 128 levels and refuses more with 400; the walks after parsing
    // (duplicate members, JSON merge patch, validation) go no deeper than what was parsed. So the
    // deepest body each route accepts as JSON is answered with a 4xx, never a trap's 500.
    let admin = app().admin();
    let book = app().json(
        "POST",
        "/api/books",
        Some(&admin.access),
        &serde_json::json!({"title": "Deep", "author": "A", "genre": "G", "isbn": "9780306406157",
            "published_year": 2000, "pages": 1, "price_cents": 1, "language": "en"}),
    );
    let book_path = match book.status {
        201 => format!("/api/books/{}", book.json()["id"].as_str().unwrap()),
        _ => {
            // The ISBN may be taken by an earlier run against an external app: any book will do.
            let list = app().with_token("GET", "/api/books?limit=1", &admin.access).json();
            format!("/api/books/{}", list["items"][0]["id"].as_str().expect("a book to patch"))
        }
    };
    let bearer = format!("Bearer {}", admin.access);
    let routes: [(&str, &str, &str); 6] = [
        ("POST", "/api/books", "application/json"),
        ("PUT", &book_path, "application/json"),
        ("PATCH", &book_path, "application/merge-patch+json"),
        ("PATCH", "/api/auth/me", "application/merge-patch+json"),
        ("POST", "/api/generator/runs", "application/json"),
        ("POST", "/api/auth/token", "application/json"),
    ];
    for (method, path, content_type) in routes {
        for objects in [false, true] {
            for (depth, why) in [(126, "accepted by the parser"), (5000, "refused by the parser")] {
                let body = format!(r#"{{"title": {}}}"#, nested(depth, objects));
                let r = app().call(
                    method,
                    path,
                    &[("authorization", &bearer), ("content-type", content_type)],
                    body.as_bytes(),
                );
                assert!(
                    (400..500).contains(&r.status),
                    "{method} {path}, {depth} levels of {} ({why}): {} {}",
                    if objects { "objects" } else { "arrays" },
                    r.status,
                    r.text()
                );
            }
        }
    }
    // The book is as it was: none of that was written.
    assert_eq!(app().with_token("GET", &book_path, &admin.access).status, 200);
}

/// Reads one HTTP/1.1 response with a `Content-Length` from `stream`: its head, and its body as
/// far as the server sent it before closing.
fn read_response(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let mut data = Vec::new();
    let mut buf = [0u8; 16384];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return (String::from_utf8_lossy(&data).into_owned(), Vec::new()),
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap())
        })
        .expect("a Content-Length");
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    (head, body)
}

/// A GET that carries a body, as `requests.get(url, data=...)` on a session sends it (headers,
/// then the body a moment later), second on its kept-alive connection: its answer arrives whole.
/// Left unread, the body made Spin reset the connection while an answer over 64 KiB (the OpenAPI
/// document) was in flight, cut at 65,536 bytes.
#[test]
fn a_large_answer_to_a_get_with_a_body_arrives_whole_on_a_kept_alive_connection() {
    let addr = app().base.trim_start_matches("http://").to_string();
    for round in 0..3 {
        let mut stream = TcpStream::connect(&addr).expect("connect");
        stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
        stream.write_all(b"GET /api/openapi.json HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
        let (_, whole) = read_response(&mut stream);
        assert!(whole.len() > 64 * 1024, "the document is the large case: {}", whole.len());
        stream.write_all(b"GET /api/openapi.json HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\n\r\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        stream.write_all(b"x").unwrap();
        let (head, body) = read_response(&mut stream);
        assert!(head.starts_with("HTTP/1.1 200"), "round {round}: {head}");
        assert_eq!(body.len(), whole.len(), "round {round}: the answer was cut");
    }
    // A GET body over the 64 KiB limit is `413`, as on every route: a small answer, not a large
    // one cut by the bytes left unread.
    let mut stream = TcpStream::connect(&addr).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let body = vec![b'x'; 200 * 1024];
    let head = format!("GET /api/openapi.json HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n", body.len());
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(&body);
    let (head, problem) = read_response(&mut stream);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(
        String::from_utf8_lossy(&problem).contains("\"status\":413"),
        "{}",
        String::from_utf8_lossy(&problem)
    );
}
