//! `folio_core::long_write`: a busy answer beside an announced long write says how long to wait.

use folio_core::{long_write, serve, ApiError, Host, Request, Response};
use folio_native::{body_json, request, TestApp};

fn busy_handler(host: &Host, req: Request) -> Response {
    serve::serve(host, req, |_, _| Err(ApiError::busy()))
}

fn retry_after(e: &ApiError) -> u64 {
    match e {
        ApiError::Busy { retry_after_secs, .. } => *retry_after_secs,
        other => panic!("{other:?}"),
    }
}

fn detail(e: &ApiError) -> &str {
    match e {
        ApiError::Busy { detail, .. } => detail,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_busy_answer_says_how_long_an_announced_writer_has_left() {
    let app = TestApp::new();
    app.with_host(|host| {
        let explain = || long_write::explain_busy(host, ApiError::busy());
        // A notice in place of whatever was there: `ms` from now (negative: overdue).
        let say = |id: &str, what: &str, ms: i64| {
            host.kv.delete(long_write::KEY).unwrap();
            long_write::announce(host, id, what, ms);
        };
        // Nothing announced: the default answer.
        assert_eq!(retry_after(&explain()), 2);
        assert_eq!(detail(&explain()), "the database is busy with another write; retry shortly");
        say("a", "a generator run of 100000 books", 24_200);
        let e = explain();
        assert_eq!(retry_after(&e), 25);
        assert_eq!(
            detail(&e),
            "the database is busy with a generator run of 100000 books, expected to be done in about 25 s; retry then"
        );
        // Other errors pass untouched.
        assert!(matches!(long_write::explain_busy(host, ApiError::NotFound("x".into())), ApiError::NotFound(_)));
        // At most a minute, at least the default.
        say("b", "a long run", 600_000);
        assert_eq!(retry_after(&explain()), long_write::MAX_RETRY_AFTER_SECS);
        say("c", "a short run", 300);
        assert_eq!(retry_after(&explain()), 2);
        // Past its expected end: believed for a minute more, then taken to be gone.
        say("d", "a slow run", -10_000);
        assert_eq!(retry_after(&explain()), 2);
        assert!(detail(&explain()).contains("a slow run, which is taking longer than expected"));
        say("e", "a dead run", -61_000);
        assert!(!detail(&explain()).contains("dead run"));
        long_write::withdraw(host, "e");
        assert!(host.kv.get(long_write::KEY).unwrap().is_none(), "the last notice taken back empties the key");
    });
}

/// The race audit's overlapping runs: the second run deferred to the first's notice and never
/// said anything, and the first, done, deleted the only notice, so every `503` during the second
/// said two seconds. Each run's notice is its own now, queued behind the runs before it.
#[test]
fn overlapping_long_writes_are_each_announced_in_turn() {
    let app = TestApp::new();
    app.with_host(|host| {
        let now = host.clock.now_ms();
        let explain = || long_write::explain_busy(host, ApiError::busy());
        long_write::announce(host, "first", "the first run", 10_000);
        // The second waits for the first's lock: it expects to end 20 s after the first does.
        long_write::announce(host, "second", "the second run", 20_000);
        assert!(detail(&explain()).contains("the first run"), "the first holds the lock");
        assert_eq!(retry_after(&explain()), 10);
        long_write::withdraw(host, "first");
        let e = explain();
        assert!(detail(&e).contains("the second run"), "{}", detail(&e));
        assert_eq!(retry_after(&e), 30, "the second run's own time, counted from the first's end");
        // The second taking back its notice leaves a third's (announced meanwhile) in place.
        long_write::announce(host, "third", "the third run", 5_000);
        long_write::withdraw(host, "second");
        assert!(detail(&explain()).contains("the third run"));
        assert_eq!(host.clock.now_ms(), now);
        long_write::withdraw(host, "third");
        assert!(host.kv.get(long_write::KEY).unwrap().is_none());
        // A notice of an earlier build (one object, no id) is still read.
        host.kv
            .set(long_write::KEY, format!(r#"{{"what":"an old run","until_ms":{}}}"#, now + 4_000).as_bytes())
            .unwrap();
        assert!(detail(&explain()).contains("an old run"));
    });
}

#[test]
fn every_route_answers_a_busy_database_with_the_announced_wait() {
    let app = TestApp::new();
    app.with_host(|host| long_write::announce(host, "run", "a generator run of 50000 books", 12_000));
    let r = app.call(busy_handler, request("POST", "/api/books").body(vec![]).unwrap());
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "12");
    let body = body_json(&r);
    assert_eq!(body["type"], "/docs/problems#unavailable");
    assert!(body["detail"].as_str().unwrap().contains("generator run of 50000 books"), "{body}");
}
