//! Structured log lines: one JSON object per line on stderr, which Spin collects per component.

use std::{cell::RefCell, io::Write};

thread_local! {
    /// The lines of a [`capture`] in progress on this thread.
    static CAPTURED: RefCell<Option<Vec<Vec<u8>>>> = const { RefCell::new(None) };
    /// The request being served on this thread (`serve`): its id and when it began.
    static REQUEST: RefCell<Option<RequestContext>> = const { RefCell::new(None) };
}

/// What ties an event line to its request: the `X-Request-Id` the answer carries, and the
/// request's `ts` (when it began), the two members every request line has.
#[derive(Debug)]
struct RequestContext {
    request_id: String,
    ts: String,
}

/// Runs `f` as the serving of one request: every line [`emit`] writes meanwhile that does not
/// say so itself gets the request's `request_id` and `ts`, so an operator can find the request
/// of a `store_unavailable` cause or a `sign_in_failed` event, and when it happened.
pub fn within_request<T>(request_id: &str, ts: &str, f: impl FnOnce() -> T) -> T {
    let context = RequestContext { request_id: request_id.to_string(), ts: ts.to_string() };
    let outer = REQUEST.with(|r| r.borrow_mut().replace(context));
    let result = f();
    REQUEST.with(|r| *r.borrow_mut() = outer);
    result
}

/// Writes `line` and its newline to stderr with a single write. `eprintln!("{}", value)` would
/// format a JSON value piece by piece into unbuffered stderr, and in a Wasm guest every piece
/// is a host call and a system call: about seventy per request line, measured with `strace -c`
/// on the project's former test host (docs/benchmarks.md has the effect on throughput).
/// Inside [`within_request`], an object without `request_id` or `ts` gets the request's.
pub fn emit(line: impl serde::Serialize) {
    // Logging must never fail a request: a closed stderr loses the line, nothing else.
    let _ = REQUEST.with(|r| {
        // Outside a request (the benchmarks' floors) the line is written as it is, unconverted.
        let context = r.borrow();
        let Some(context) = context.as_ref() else {
            return write_line(&mut std::io::stderr().lock(), &line);
        };
        match serde_json::to_value(&line) {
            Ok(serde_json::Value::Object(mut members)) => {
                members.entry("request_id").or_insert_with(|| context.request_id.as_str().into());
                members.entry("ts").or_insert_with(|| context.ts.as_str().into());
                write_line(&mut std::io::stderr().lock(), &members)
            }
            _ => write_line(&mut std::io::stderr().lock(), &line),
        }
    });
}

/// Writes a line that already names its request (the request line itself), as it is.
pub(crate) fn emit_as_is(line: impl serde::Serialize) {
    let _ = write_line(&mut std::io::stderr().lock(), &line);
}

/// Runs `f` and returns, beside its result, the lines it logged on this thread (they still go
/// to stderr too): for tests that pin what a request logs, and how often.
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<serde_json::Value>) {
    let outer = CAPTURED.with(|c| c.borrow_mut().replace(Vec::new()));
    let result = f();
    let lines = CAPTURED.with(|c| std::mem::replace(&mut *c.borrow_mut(), outer)).unwrap_or_default();
    (result, lines.iter().filter_map(|l| serde_json::from_slice(l).ok()).collect())
}

fn write_line(out: &mut impl Write, line: &impl serde::Serialize) -> std::io::Result<()> {
    let mut text = serde_json::to_vec(line).map_err(std::io::Error::other)?;
    text.push(b'\n');
    CAPTURED.with(|c| {
        if let Some(lines) = c.borrow_mut().as_mut() {
            lines.push(text.clone());
        }
    });
    out.write_all(&text)
}

/// A warning that something failed without failing the request (a cache that could not be read
/// or written, say): the event's name and its cause.
pub fn warn(event: &str, cause: &dyn std::fmt::Display) {
    emit(serde_json::json!({"level": "warn", "event": event, "cause": cause.to_string()}));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records each write it is given.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl Write for Writes {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn capture_returns_the_lines_of_its_closure_only() {
        emit(serde_json::json!({"event": "before"}));
        let (n, lines) = capture(|| {
            emit(serde_json::json!({"event": "one"}));
            let (_, inner) = capture(|| emit(serde_json::json!({"event": "nested"})));
            assert_eq!(inner.len(), 1);
            emit(serde_json::json!({"event": "two"}));
            7
        });
        assert_eq!(n, 7);
        let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
        assert_eq!(events, ["one", "two"]);
    }

    #[test]
    fn event_lines_within_a_request_name_it() {
        let (_, lines) = capture(|| {
            emit(serde_json::json!({"event": "outside"}));
            within_request("rid-1", "2026-12-07T01:00:00.000Z", || {
                emit(serde_json::json!({"event": "inside"}));
                emit(serde_json::json!({"event": "own", "request_id": "mine", "ts": "then"}));
            });
            emit(serde_json::json!({"event": "after"}));
        });
        assert!(lines[0].get("request_id").is_none());
        assert_eq!(lines[1]["request_id"], "rid-1");
        assert_eq!(lines[1]["ts"], "2026-12-07T01:00:00.000Z");
        assert_eq!((lines[2]["request_id"].as_str(), lines[2]["ts"].as_str()), (Some("mine"), Some("then")));
        assert!(lines[3].get("request_id").is_none(), "the request's context ends with it");
    }

    #[test]
    fn a_line_is_one_write_of_json_and_a_newline() {
        let mut out = Writes::default();
        let line =
            serde_json::json!({"level": "info", "event": "request", "status": 200, "nested": {"a": [1, 2]}});
        write_line(&mut out, &line).unwrap();
        assert_eq!(out.0.len(), 1, "one write per line");
        let text = String::from_utf8(out.0.remove(0)).unwrap();
        assert!(text.ends_with('\n') && !text[..text.len() - 1].contains('\n'));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), line);
    }
}
