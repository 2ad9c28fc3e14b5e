//! Accounts stored under a key of an older normalisation rule (before NFKC, before the final
//! sigma) are re-keyed once, so a newcomer cannot register the same address spelled the current
//! way and take over its sign-ins (re-audit of 2026-12-07).

mod common;

use common::*;
use folio_core::{Sql, Value};
use folio_native::{OsRandom, TestApp};

/// An account as an older build stored it: `key` is the e-mail key of that time.
fn insert_legacy(app: &TestApp, id: &str, email: &str, key: &str, created_at: &str) {
    app.with_host(|h| folio_core::migrate::ensure(h.sql).unwrap());
    let hash = folio_auth::password::hash(&OsRandom, PASSWORD).unwrap();
    app.sql()
        .execute(
            "INSERT INTO accounts (id, email, email_normalized, name, password_hash, role, disabled, created_at, updated_at)
             VALUES (?, ?, ?, NULL, ?, 'editor', 0, ?, ?)",
            &[
                Value::from(id),
                Value::from(email),
                Value::from(key),
                Value::from(hash.as_str()),
                Value::from(created_at),
                Value::from(created_at),
            ],
        )
        .unwrap();
}

fn key_of(app: &TestApp, id: &str) -> String {
    let rows =
        app.sql().execute("SELECT email_normalized FROM accounts WHERE id = ?", &[Value::from(id)]).unwrap();
    rows.first().unwrap().string("email_normalized")
}

#[test]
fn an_address_stored_under_an_older_key_cannot_be_registered_again_the_current_way() {
    let app = TestApp::new();
    // Before 2026-12-07 a final capital sigma was stored as ς; before NFKC, decomposed letters.
    insert_legacy(
        &app,
        "sigmaaaaaaaaaaaaaaaaaaaaaa",
        "ΑΣ@legacy.test",
        "ας@legacy.test",
        "2026-11-01T00:00:00.000Z",
    );
    insert_legacy(
        &app,
        "nfkcaaaaaaaaaaaaaaaaaaaaaa",
        "jo\u{308}hn@legacy.test",
        "jo\u{308}hn@legacy.test",
        "2026-11-02T00:00:00.000Z",
    );
    assert_eq!(register(&app, "ασ@legacy.test", "a newcomer's password").status(), 409);
    assert_eq!(register(&app, "jöhn@legacy.test", "a newcomer's password").status(), 409);
    // The owners still sign in, however they type their address.
    for address in ["ΑΣ@legacy.test", "ασ@legacy.test", "jo\u{308}hn@legacy.test", "jöhn@LEGACY.test"] {
        assert_eq!(password_grant(&app, address, PASSWORD).status(), 200, "{address}");
    }
    assert_eq!(key_of(&app, "sigmaaaaaaaaaaaaaaaaaaaaaa"), "ασ@legacy.test");
}

#[test]
fn where_a_newcomer_already_shadowed_an_address_the_older_account_keeps_it() {
    let app = TestApp::new();
    insert_legacy(
        &app,
        "originalaaaaaaaaaaaaaaaaaa",
        "ΑΣ@legacy.test",
        "ας@legacy.test",
        "2026-11-01T00:00:00.000Z",
    );
    // Registered by the build that had the new rule and not the fix: the current key.
    insert_legacy(
        &app,
        "newcomeraaaaaaaaaaaaaaaaaa",
        "ασ@legacy.test",
        "ασ@legacy.test",
        "2026-12-07T06:00:00.000Z",
    );
    assert_eq!(password_grant(&app, "ασ@legacy.test", PASSWORD).status(), 200);
    let me = tokens_of(&app, &password_grant(&app, "ΑΣ@legacy.test", PASSWORD));
    assert_eq!(me.account_id, "originalaaaaaaaaaaaaaaaaaa", "the address signs in to its first account");
    assert_eq!(key_of(&app, "originalaaaaaaaaaaaaaaaaaa"), "ασ@legacy.test");
    assert!(key_of(&app, "newcomeraaaaaaaaaaaaaaaaaa").contains(' '), "no address reaches the later one");
}
