//! `folio_core::long_write`: a busy answer beside an announced long write says how long to wait.

use folio_core::{long_write, serve, ApiError, Clock, Host, Request, Response};
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
        let now = host.clock.now_ms();
        let explain = || long_write::explain_busy(host, ApiError::busy());
        // A notice in place of whatever was there.
        let say = |what: &str, until_ms: i64| {
            long_write::withdraw(host);
            assert!(long_write::announce(host, what, until_ms));
        };
        // Nothing announced: the default answer.
        assert_eq!(retry_after(&explain()), 2);
        assert_eq!(detail(&explain()), "the database is busy with another write; retry shortly");
        say("a generator run of 100000 books", now + 24_200);
        let e = explain();
        assert_eq!(retry_after(&e), 25);
        assert_eq!(
            detail(&e),
            "the database is busy with a generator run of 100000 books, expected to be done in about 25 s; retry then"
        );
        // Other errors pass untouched.
        assert!(matches!(long_write::explain_busy(host, ApiError::NotFound("x".into())), ApiError::NotFound(_)));
        // At most a minute, at least the default.
        say("a long run", now + 600_000);
        assert_eq!(retry_after(&explain()), long_write::MAX_RETRY_AFTER_SECS);
        say("a short run", now + 300);
        assert_eq!(retry_after(&explain()), 2);
        // Past its expected end: believed for a minute more, then taken to be gone.
        say("a slow run", now - 10_000);
        assert_eq!(retry_after(&explain()), 2);
        assert!(detail(&explain()).contains("a slow run, which is taking longer than expected"));
        say("a dead run", now - 61_000);
        assert!(!detail(&explain()).contains("dead run"));
        long_write::withdraw(host);
        assert!(host.kv.get(long_write::KEY).unwrap().is_none());
        // A second long write does not replace the notice of one still believed.
        assert!(long_write::announce(host, "the first run", now + 30_000));
        assert!(!long_write::announce(host, "a second run", now + 90_000));
        assert!(detail(&explain()).contains("the first run"));
        say("a dead run", now - 61_000);
        assert!(long_write::announce(host, "a new run", now + 5_000), "a notice no longer believed is replaced");
    });
}

#[test]
fn every_route_answers_a_busy_database_with_the_announced_wait() {
    let app = TestApp::new();
    let now = app.clock.now_ms();
    app.with_host(|host| long_write::announce(host, "a generator run of 50000 books", now + 12_000));
    let r = app.call(busy_handler, request("POST", "/api/books").body(vec![]).unwrap());
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "12");
    let body = body_json(&r);
    assert_eq!(body["type"], "/docs/problems#unavailable");
    assert!(body["detail"].as_str().unwrap().contains("generator run of 50000 books"), "{body}");
}
