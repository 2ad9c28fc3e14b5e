//! The read-through cache of `GET /api/books/{id}`: served from the key-value store while the
//! catalogue is unchanged, never older than an answered write.

mod common;

use std::cell::RefCell;

use common::*;
use folio_books::read_cache;
use folio_core::{
    catalog, read_ahead::ReadAhead, sql::Rows, Host, Kv, KvError, Sql, SqlError, Value as SqlValue,
};
use folio_native::{BrokenKv, OsRandom, TestApp};
use serde_json::json;

/// An app that stores a copy on every miss, so each test knows when one is stored.
fn app() -> TestApp {
    TestApp::new().with_var(read_cache::VARIABLE.name, "1")
}

/// The copy of book `id` in its slot, under the current data version.
fn entry(app: &TestApp, id: &str) -> Option<read_cache::CachedBook> {
    let version = app.with_host(|h| catalog::data_version(h).unwrap());
    let bytes = app.kv.get(&read_cache::key(id).unwrap()).unwrap()?;
    read_cache::decode(&bytes, &version, id)
}

/// Changes a title in SQL behind the API's back: no version bump, so only a cache hit can
/// still show the old one.
fn retitle_behind_the_api(app: &TestApp, id: &str, title: &str) {
    app.sql()
        .execute("UPDATE books SET title = ? WHERE id = ?", &[SqlValue::from(title), SqlValue::from(id)])
        .unwrap();
}

fn title_of(app: &TestApp, id: &str) -> String {
    let r = get(app, &format!("/api/books/{id}"), "reader");
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    body(&r)["title"].as_str().unwrap().to_string()
}

#[test]
fn a_repeated_read_comes_from_the_store_until_the_catalogue_changes() {
    let app = app();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    assert!(entry(&app, &id).is_none(), "a write fills nothing");

    let first = get(&app, &format!("/api/books/{id}"), "reader");
    assert!(entry(&app, &id).is_some(), "the first read fills the entry");
    retitle_behind_the_api(&app, &id, "Changed in SQL");
    let second = get(&app, &format!("/api/books/{id}"), "reader");
    assert_eq!(second.body(), first.body(), "the second read is the cached copy");
    for header in ["content-type", "etag", "cache-control"] {
        assert_eq!(second.headers()[header], first.headers()[header], "{header}");
    }

    // Any catalogue write retires every entry.
    app.with_host(|h| catalog::bump_data_version(h).unwrap());
    assert_eq!(title_of(&app, &id), "Changed in SQL");
}

#[test]
fn answers_conditional_reads_from_the_cached_tag() {
    let app = app();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let first = get(&app, &format!("/api/books/{id}"), "reader");
    let tag = first.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(tag, "\"v1\"");
    retitle_behind_the_api(&app, &id, "unseen");
    let r = send(
        &app,
        req("GET", &format!("/api/books/{id}"), "reader").header("if-none-match", &tag).body(vec![]).unwrap(),
    );
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["etag"], tag.as_str());
}

#[test]
fn every_write_through_the_api_is_visible_to_the_next_read() {
    let app = app();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let uri = format!("/api/books/{id}");
    assert_eq!(title_of(&app, &id), "Book 1");

    let mut replaced = book(1);
    replaced["title"] = json!("Replaced");
    assert_eq!(json_to(&app, "PUT", &uri, "editor", &replaced).status(), 200);
    assert_eq!(title_of(&app, &id), "Replaced");

    assert_eq!(merge_patch(&app, &uri, "editor", &json!({"title": "Patched"}), None).status(), 200);
    assert_eq!(title_of(&app, &id), "Patched");
    assert_eq!(get(&app, &uri, "reader").headers()["etag"], "\"v3\"");

    // Another book's write retires this book's entry too (one version for the catalogue).
    let other = create(&app, &book(2))["id"].as_str().unwrap().to_string();
    retitle_behind_the_api(&app, &id, "Seen after any write");
    assert_eq!(
        merge_patch(&app, &format!("/api/books/{other}"), "editor", &json!({"pages": 9}), None).status(),
        200
    );
    assert_eq!(title_of(&app, &id), "Seen after any write");
    assert!(entry(&app, &id).is_some());

    assert_eq!(send(&app, req("DELETE", &uri, "editor").body(vec![]).unwrap()).status(), 204);
    assert!(entry(&app, &id).is_none(), "a delete retires the copy");
    assert_eq!(get(&app, &uri, "reader").status(), 404);
    assert!(entry(&app, &id).is_none(), "a missing book is not cached");
}

/// A key-value store that lets a write slip in just before a read stores its entry: the
/// interleaving that a cache must survive (read the old row, a write commits and is answered,
/// then the old row is stored).
struct WriteBeforeFill<'a> {
    inner: &'a dyn Kv,
    write: RefCell<Option<Box<dyn FnOnce() + 'a>>>,
}

impl Kv for WriteBeforeFill<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        if key.starts_with(read_cache::KEY_PREFIX) {
            if let Some(write) = self.write.borrow_mut().take() {
                write();
            }
        }
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.inner.exists(key)
    }
    fn keys(&self) -> Result<Vec<String>, KvError> {
        self.inner.keys()
    }
}

/// A connection that lets a write slip in right after it has read a book: the interleaving
/// that breaks a cache which takes the version after reading (it would store the old row under
/// the new version).
struct WriteAfterRead<'a> {
    inner: &'a dyn Sql,
    write: RefCell<Option<Box<dyn FnOnce() + 'a>>>,
}

impl Sql for WriteAfterRead<'_> {
    fn execute(&self, statement: &str, params: &[SqlValue]) -> Result<Rows, SqlError> {
        let rows = self.inner.execute(statement, params)?;
        if statement.contains("FROM books WHERE id") {
            if let Some(write) = self.write.borrow_mut().take() {
                write();
            }
        }
        Ok(rows)
    }
}

/// Runs one `GET` of `uri` during which `write` happens, at the point `interleave` picks, then
/// checks what the racing read returned and that the next read sees the write.
fn race(interleave: &str) {
    let app = app();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let uri = format!("/api/books/{id}");
    let write = || {
        let r = merge_patch(&app, &uri, "editor", &json!({"title": "Written during the read"}), None);
        assert_eq!(r.status(), 200);
    };
    let sql = app.sql();
    let (kv, conn) = match interleave {
        "before the fill" => (
            WriteBeforeFill { inner: app.kv.as_ref(), write: RefCell::new(Some(Box::new(write))) },
            WriteAfterRead { inner: &sql, write: RefCell::new(None) },
        ),
        _ => (
            WriteBeforeFill { inner: app.kv.as_ref(), write: RefCell::new(None) },
            WriteAfterRead { inner: &sql, write: RefCell::new(Some(Box::new(write))) },
        ),
    };
    // Through a read-ahead, as under Spin: the version comes from the batch read at the start.
    let kv_ahead = ReadAhead::new(&kv);
    let host =
        Host { sql: &conn, kv: &kv_ahead, clock: app.clock.as_ref(), random: &OsRandom, config: &app.config };
    let racing = handler(&host, req("GET", &uri, "reader").body(vec![]).unwrap());
    assert_eq!(
        body(&racing)["title"],
        "Book 1",
        "{interleave}: the racing read saw the row before the write"
    );
    assert!(kv.write.borrow().is_none() && conn.write.borrow().is_none(), "{interleave}: the write ran");
    let raw = app.kv.get(&read_cache::key(&id).unwrap()).unwrap().expect("the racing read stored its row");
    assert!(
        String::from_utf8_lossy(&raw).contains("Book 1"),
        "{interleave}: the old row, under the old version"
    );

    assert_eq!(title_of(&app, &id), "Written during the read", "{interleave}");
}

#[test]
fn a_read_racing_a_write_never_caches_the_old_book_as_current() {
    race("after the SQL read");
    race("before the fill");
}

/// The stored version as it is (a version, a pending marker, or "0").
fn stored_version(app: &TestApp) -> String {
    app.with_host(|h| catalog::data_version(h).unwrap())
}

#[test]
fn a_store_without_a_version_gets_one_from_the_next_reader_vouching_for_what_sql_has_now() {
    // A store emptied while the database was kept (or a first start): the version is gone, and
    // the books changed meanwhile. The next reader publishes a version under the write lock and
    // caches what SQL holds now; never what was cached before.
    let app = app();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    assert_eq!(title_of(&app, &id), "Book 1");
    assert!(entry(&app, &id).is_some(), "cached under the create's version");
    app.kv.delete(catalog::DATA_VERSION_KEY).unwrap();
    retitle_behind_the_api(&app, &id, "Changed while the store was empty");
    assert_eq!(title_of(&app, &id), "Changed while the store was empty");
    let version = stored_version(&app);
    assert!(catalog::vouched(&version).is_some(), "the reader published a version: {version}");
    let cached: serde_json::Value = serde_json::from_slice(&entry(&app, &id).unwrap().json).unwrap();
    assert_eq!(cached["title"], "Changed while the store was empty", "cached under it: SQL's row");
}

#[test]
fn a_writer_killed_between_its_commit_and_its_publish_leaves_no_stale_answer() {
    // Issue 26's crash window: the commit landed, the replica died before publishing a version.
    let app = app();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    assert_eq!(title_of(&app, &id), "Book 1");
    assert!(entry(&app, &id).is_some());
    // What a writer does up to its commit, on its own connection, and no further.
    let writer = app.sql();
    app.with_host(|h| {
        let h = Host { sql: &writer, ..*h };
        folio_core::sql::transaction(&writer, || -> Result<(), folio_core::ApiError> {
            writer.execute(
                "UPDATE books SET title = 'Committed, then killed' WHERE id = ?",
                &[SqlValue::from(id.as_str())],
            )?;
            catalog::mark_pending(&h)?;
            Ok(())
        })
        .unwrap();
    });
    assert!(catalog::vouched(&stored_version(&app)).is_none(), "the marker stays: nobody published");
    assert_eq!(title_of(&app, &id), "Committed, then killed", "the cached copy is not served");
    assert!(catalog::vouched(&stored_version(&app)).is_some(), "the reader published a version");
    assert_eq!(title_of(&app, &id), "Committed, then killed");
}

#[test]
fn while_a_writer_holds_the_lock_readers_read_sql_and_neither_cache_nor_publish() {
    let app = app();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    assert_eq!(title_of(&app, &id), "Book 1");
    let writer = app.sql();
    writer.execute("BEGIN IMMEDIATE", &[]).unwrap();
    writer
        .execute("UPDATE books SET title = 'Not yet committed' WHERE id = ?", &[SqlValue::from(id.as_str())])
        .unwrap();
    app.with_host(|h| catalog::mark_pending(&Host { sql: &writer, ..*h }).unwrap());
    let marker = stored_version(&app);
    app.kv.delete(&read_cache::key(&id).unwrap()).unwrap();
    // The reader answers at once from SQL's committed state (the busy timeout is not waited).
    let started = std::time::Instant::now();
    assert_eq!(title_of(&app, &id), "Book 1");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(stored_version(&app), marker, "no version published past a writer holding the lock");
    assert!(app.kv.get(&read_cache::key(&id).unwrap()).unwrap().is_none(), "nothing cached");
    writer.execute("COMMIT", &[]).unwrap();
    // The writer died here, before publishing: the next reader does it.
    assert_eq!(title_of(&app, &id), "Not yet committed");
    assert!(catalog::vouched(&stored_version(&app)).is_some());
}

#[test]
fn a_write_that_cannot_mark_the_version_is_rolled_back() {
    // Without the marker the commit could leave caches vouching for the old row: refuse it.
    let app = app();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let sql = app.sql();
    let host =
        Host { sql: &sql, kv: &BrokenKv, clock: app.clock.as_ref(), random: &OsRandom, config: &app.config };
    let patch = req("PATCH", &format!("/api/books/{id}"), "admin")
        .header("content-type", "application/merge-patch+json")
        .body(br#"{"title":"Lost?"}"#.to_vec())
        .unwrap();
    let response = handler(&host, patch);
    assert!(response.status().is_server_error(), "{}", response.status());
    assert_eq!(title_of(&app, &id), "Book 1", "nothing committed");
}

#[test]
fn by_default_about_one_miss_in_eight_stores_a_copy() {
    let app = TestApp::new();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let misses = 400;
    let mut stored = 0;
    for _ in 0..misses {
        app.with_host(|h| catalog::bump_data_version(h).unwrap());
        assert_eq!(title_of(&app, &id), "Book 1");
        if entry(&app, &id).is_some() {
            stored += 1;
        }
    }
    // Binomial(400, 1/8): mean 50, standard deviation 6.6; the bounds are about 4.5 of them.
    assert!((20..=80).contains(&stored), "{stored} copies stored for {misses} misses");
}

#[test]
fn the_variable_turns_it_off_and_a_bad_value_is_a_configuration_error() {
    let app = TestApp::new().with_var(read_cache::VARIABLE.name, "0");
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    for _ in 0..20 {
        assert_eq!(title_of(&app, &id), "Book 1");
    }
    assert!(entry(&app, &id).is_none());
    retitle_behind_the_api(&app, &id, "Read from SQL");
    assert_eq!(title_of(&app, &id), "Read from SQL");

    for bad in ["sometimes", "-1", "1001", "2.5"] {
        let app = TestApp::new().with_var(read_cache::VARIABLE.name, bad);
        let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
        let (r, logged) = folio_core::log::capture(|| get(&app, &format!("/api/books/{id}"), "reader"));
        assert_eq!(r.status(), 503, "{bad}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body = folio_native::body_json(&r);
        assert_eq!(body["variables"][0]["name"], "book_read_cache_fill_one_in", "{body}");
        assert_eq!(body["variables"][0]["expected"], "an integer from 0 to 1000");
        assert!(!body.to_string().contains(&format!("\"{bad}")), "the value is not echoed: {body}");
        let said = logged.iter().filter(|l| l["event"] == "configuration_invalid").count();
        assert_eq!(said, 1, "logged once for the request: {logged:?}");
    }
}

#[test]
fn an_authenticated_read_makes_one_key_value_round_trip() {
    let app = app();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let uri = format!("/api/books/{id}");
    let read = |role: &str| counting_round_trips(&app, req("GET", &uri, role).body(vec![]).unwrap());
    // A miss: the session, the version and the (empty) slot in one batch, then SQL, then the
    // copy is stored (every miss here).
    assert_eq!(read("reader"), (200, 1, 1));
    // A hit: the same one batch, and nothing else.
    assert_eq!(read("reader"), (200, 1, 0));
    // No token: refused before anything is read.
    assert_eq!(read(""), (401, 0, 0));

    // Cache off: the session alone, then SQL; no cache key is read or written.
    let off = TestApp::new().with_var(read_cache::VARIABLE.name, "0");
    let id = create(&off, &book(2))["id"].as_str().unwrap().to_string();
    let uri = format!("/api/books/{id}");
    assert_eq!(counting_round_trips(&off, req("GET", &uri, "reader").body(vec![]).unwrap()), (200, 1, 0));
    assert!(off.kv.keys().unwrap().iter().all(|k| !k.starts_with(read_cache::KEY_PREFIX)));
}

#[test]
fn a_failing_store_or_a_damaged_entry_costs_only_the_cache() {
    let app = app();
    let id = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let uri = format!("/api/books/{id}");

    let sql = app.sql();
    let host =
        Host { sql: &sql, kv: &BrokenKv, clock: app.clock.as_ref(), random: &OsRandom, config: &app.config };
    let r = handler(&host, req("GET", &uri, "reader").body(vec![]).unwrap());
    assert_eq!(r.status(), 200);
    assert_eq!(body(&r)["title"], "Book 1");

    app.kv.set(&read_cache::key(&id).unwrap(), b"not an entry").unwrap();
    assert_eq!(title_of(&app, &id), "Book 1");
    assert!(entry(&app, &id).is_some(), "the damaged entry was replaced");
}

#[test]
fn books_sharing_a_slot_never_answer_for_each_other() {
    let app = app();
    let a = create(&app, &book(1))["id"].as_str().unwrap().to_string();
    let b = create(&app, &book(2))["id"].as_str().unwrap().to_string();
    // Put A's copy in B's slot, as a collision would.
    assert_eq!(title_of(&app, &a), "Book 1");
    let a_copy = app.kv.get(&read_cache::key(&a).unwrap()).unwrap().unwrap();
    app.kv.set(&read_cache::key(&b).unwrap(), &a_copy).unwrap();
    assert_eq!(title_of(&app, &b), "Book 2");
    assert!(entry(&app, &b).is_some(), "B took its slot over");
}

#[test]
fn the_cache_never_holds_more_keys_than_its_slots() {
    let app = app();
    let ids: Vec<String> =
        (0..300).map(|n| create(&app, &book(n))["id"].as_str().unwrap().to_string()).collect();
    for id in &ids {
        assert_eq!(get(&app, &format!("/api/books/{id}"), "reader").status(), 200);
    }
    let keys: Vec<String> =
        app.kv.keys().unwrap().into_iter().filter(|k| k.starts_with(read_cache::KEY_PREFIX)).collect();
    assert!(!keys.is_empty() && keys.len() <= 300);
    for k in &keys {
        let slot: u64 = k[read_cache::KEY_PREFIX.len()..].parse().unwrap();
        assert!(slot < read_cache::SLOTS, "{k}");
    }
}

#[test]
fn ids_that_no_book_can_have_skip_the_cache() {
    let app = app();
    create(&app, &book(1));
    for id in ["UPPER", "with%3Acolon", &"a".repeat(80)] {
        assert_eq!(get(&app, &format!("/api/books/{id}"), "reader").status(), 404, "{id}");
    }
    let cached: Vec<String> =
        app.kv.keys().unwrap().into_iter().filter(|k| k.starts_with(read_cache::KEY_PREFIX)).collect();
    assert!(cached.is_empty(), "{cached:?}");
}

#[test]
fn a_book_larger_than_the_copy_limit_is_served_but_not_stored() {
    // A description of 2,500 four-byte characters: 10 KB, past the 8 KiB a copy may take.
    let app = app();
    let mut big = book(1);
    big["description"] = json!("\u{1F4DA}".repeat(2_500));
    let id = create(&app, &big)["id"].as_str().unwrap().to_string();
    let r = get(&app, &format!("/api/books/{id}"), "reader");
    assert_eq!(r.status(), 200);
    assert!(r.body().len() > read_cache::MAX_PAYLOAD);
    assert!(entry(&app, &id).is_none(), "not stored");
    let small = create(&app, &book(2))["id"].as_str().unwrap().to_string();
    get(&app, &format!("/api/books/{small}"), "reader");
    assert!(entry(&app, &small).is_some(), "a book of ordinary size is stored");
}
