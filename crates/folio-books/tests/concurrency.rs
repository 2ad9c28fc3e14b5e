//! Optimistic concurrency under real contention: threads, each with its own connection to the
//! same database file, as concurrent Spin instances would have.

mod common;

use common::*;
use folio_native::TestApp;
use serde_json::json;

const WRITERS: usize = 8;

#[test]
fn concurrent_puts_with_the_same_etag_exactly_one_wins() {
    for round in 0..3 {
        let app = TestApp::new();
        let created = create(&app, &book(1));
        let uri = format!("/api/books/{}", created["id"].as_str().unwrap());
        let barrier = std::sync::Barrier::new(WRITERS);
        let results: Vec<(usize, u16)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..WRITERS)
                .map(|i| {
                    let (app, uri, barrier) = (&app, &uri, &barrier);
                    s.spawn(move || {
                        let mut b = book(1);
                        b["title"] = json!(format!("Writer {i}"));
                        let request = req("PUT", uri, "editor")
                            .header("content-type", "application/json")
                            .header("if-match", "\"v1\"")
                            .body(serde_json::to_vec(&b).unwrap())
                            .unwrap();
                        barrier.wait();
                        (i, send(app, request).status().as_u16())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<usize> = results.iter().filter(|(_, s)| *s == 200).map(|(i, _)| *i).collect();
        let losers = results.iter().filter(|(_, s)| *s == 412).count();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        assert_eq!(losers, WRITERS - 1, "round {round}: every other writer gets 412: {results:?}");
        let stored = body(&get(&app, &uri, "reader"));
        assert_eq!(stored["version"], 2, "exactly one write happened");
        assert_eq!(stored["title"], format!("Writer {}", winners[0]), "the winner's write is the one stored");
    }
}

#[test]
fn concurrent_patches_without_if_match_all_apply() {
    // Unconditional patches retry on a lost race instead of overwriting each other's read.
    let app = TestApp::new();
    let created = create(&app, &book(1));
    let uri = format!("/api/books/{}", created["id"].as_str().unwrap());
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let (app, uri) = (&app, &uri);
                s.spawn(move || {
                    merge_patch(app, uri, "editor", &json!({"pages": 10 + i}), None).status().as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(body(&get(&app, &uri, "reader"))["version"], 5, "four patches, four versions");
}
