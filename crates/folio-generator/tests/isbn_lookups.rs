//! Uniqueness against stored ISBNs is checked in bulk, not one query per book.

mod common;

use common::{handler, post_run};
use folio_core::Sql;
use folio_generator::{book::BookStream, insert::ROWS_PER_STATEMENT, isbn::Resolver};
use folio_native::TestApp;

#[test]
fn repeating_a_seed_resolves_every_collision_with_a_few_bulk_queries() {
    let app = TestApp::new();
    assert_eq!(app.call(handler, post_run(r#"{"count": 3000, "seed": 12}"#, "editor")).status(), 201);
    // Every book of seed 12 now draws a stored ISBN.
    let sql = app.sql();
    let mut books = BookStream::new(12);
    let mut resolver = Resolver::new(&sql);
    let batch = books.take(3000.min(ROWS_PER_STATEMENT), &mut resolver).unwrap();
    // One IN query for the drawn ISBNs, one for their successors; a rare successor that is
    // also taken costs one range query more.
    assert!(resolver.queries <= 4, "{} queries for one batch", resolver.queries);
    for book in &batch {
        let n = sql
            .execute("SELECT COUNT(*) AS n FROM books WHERE isbn = ?", &[book.isbn.as_str().into()])
            .unwrap();
        assert_eq!(n.first().unwrap().i64("n"), Some(0), "{} is stored already", book.isbn);
    }
}
