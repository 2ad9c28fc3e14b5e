//! The benchmarks' third floor: what an uncached authenticated book read must do at the least
//! under Spin's model: the one-read floor's key-value batch (bench/baseline-kv), then a fresh
//! SQLite connection (Spin opens one per request, and its first statement parses the schema)
//! and one read of the book by primary key, answered as the row's JSON through the app's edge.
//! No token is checked and nothing is validated. Served over the app's state directory, so the
//! database, its schema and the row are the app's own.
#![cfg(target_arch = "wasm32")]

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::sqlite::{Connection, Value};
use spin_sdk::wit::wasi::keyvalue::{batch, store};

/// As many keys as `GET /api/books/{id}` reads ahead.
const KEYS: [&str; 3] = [
    "auth:session:floor000000000000000000000:floor000000000000000000000",
    "floor:data-version",
    "floor:book-cache:0000",
];

#[spin_sdk::http_component]
fn handle(req: IncomingRequest, out: ResponseOutparam) {
    let path = req.path_with_query().unwrap_or_default();
    let id = path.rsplit('/').next().unwrap_or_default().to_string();
    let keys: Vec<String> = KEYS.iter().map(|k| k.to_string()).collect();
    let kv = store::open("default").and_then(|bucket| batch::get_many(&bucket, &keys));
    let row = Connection::open_default().and_then(|db| {
        db.execute(
            "SELECT id, title, author, genre, isbn, published_year, pages, price_cents, language, description, \
             created_at, updated_at, created_by, version FROM books WHERE id = ?",
            &[Value::Text(id)],
        )
    });
    let (status, body) = match (kv, row) {
        (Ok(_), Ok(result)) if !result.rows.is_empty() => {
            let fields: Vec<String> = result
                .columns
                .iter()
                .zip(&result.rows[0].values)
                .map(|(column, value)| {
                    let json = match value {
                        Value::Integer(i) => i.to_string(),
                        Value::Text(t) => format!("{t:?}"),
                        _ => "null".to_string(),
                    };
                    format!("{column:?}:{json}")
                })
                .collect();
            (200, format!("{{{}}}", fields.join(",")).into_bytes())
        }
        (Ok(_), Ok(_)) => (404, b"no such book".to_vec()),
        _ => (500, b"store unavailable".to_vec()),
    };
    let response = http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body)
        .unwrap();
    folio_spin::edge::write_response(out.into_inner(), response, &http::Method::GET);
}
