//! Books benchmark: list, get and create per second, with p50 and p99, natively through the
//! real handler (routing, token check seam, validation, SQL on bundled SQLite), on a catalogue
//! of 1,000,000 books by default.
//!
//! ```text
//! cargo run --release -p folio-books --example books_bench -- [--books N] [--db PATH] [--iterations N]
//! ```
//!
//! The catalogue is generated once into `--db` (default `/tmp/folio-books-bench.db`) in one
//! transaction with multi-row INSERTs (the shared `store::insert_sql`), and reused by later runs
//! that ask for the same size. Every request opens a fresh connection, as each Spin request
//! gets a fresh instance. Results are for one thread; figures go to docs/books.md.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use folio_books::{
    model::{BookDraft, NewBook, PublishedYear},
    store,
};
use folio_core::{
    guard::{role_scopes, Authenticator, Principal},
    ApiResult, Clock, Host, Request, Response, Sql, Value,
};
use folio_native::{MapConfig, MemoryKv, NativeSql, OsRandom, SystemClock};

struct BenchAuth;

impl Authenticator for BenchAuth {
    fn authenticate_token(&self, _host: &Host, token: &str) -> ApiResult<Principal> {
        Ok(Principal {
            subject: "user-bench".into(),
            session_id: "s".into(),
            token_id: "t".into(),
            email: "bench@example.com".into(),
            role: token.into(),
            scopes: role_scopes("editor").unwrap().iter().map(|s| s.to_string()).collect(),
            expires_at: i64::MAX,
        })
    }
}

/// splitmix64: a tiny deterministic generator, so every run builds the same catalogue.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Search words: the first 48 of the generator's lorem-ipsum vocabulary, so queries hit the
/// generated descriptions.
const LOREM: &[&str] = folio_generator::vocab::LOREM.split_at(48).0;
const GENRES: [(&str, u64); 8] = [
    ("Fiction", 30),
    ("Mystery", 15),
    ("Romance", 14),
    ("Science fiction", 10),
    ("History", 10),
    ("Biography", 8),
    ("Poetry", 5),
    ("Travel", 8),
];
const LANGUAGES: [(&str, u64); 6] = [("en", 60), ("de", 10), ("fr", 10), ("es", 10), ("it", 5), ("ja", 5)];
const AUTHORS: u64 = 20_000;

fn words(rng: &mut Rng, n: usize) -> String {
    (0..n).map(|_| LOREM[rng.below(LOREM.len() as u64) as usize]).collect::<Vec<_>>().join(" ")
}

fn weighted<'a>(rng: &mut Rng, table: &[(&'a str, u64)]) -> &'a str {
    let total: u64 = table.iter().map(|(_, w)| w).sum();
    let mut pick = rng.below(total);
    for (name, w) in table {
        if pick < *w {
            return name;
        }
        pick -= w;
    }
    table[0].0
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// Author index with a skewed popularity: a few prolific authors, a long tail.
fn author(rng: &mut Rng) -> String {
    let i = (AUTHORS as f64 * rng.unit().powi(3)) as u64;
    format!("Author {i:05}")
}

fn draft(rng: &mut Rng, n: u64) -> BookDraft {
    let title_words = 2 + rng.below(4) as usize;
    let description_words = 10 + rng.below(20) as usize;
    BookDraft {
        title: capitalise(&words(rng, title_words)),
        author: author(rng),
        genre: weighted(rng, &GENRES).into(),
        isbn: valid_isbn(n),
        published_year: 2026 - (rng.unit().powi(2) * 300.0) as i64,
        pages: 50 + rng.below(900) as i64,
        price_cents: 99 + rng.below(5000) as i64,
        language: weighted(rng, &LANGUAGES).into(),
        description: capitalise(&words(rng, description_words)),
    }
}

fn valid_isbn(n: u64) -> String {
    folio_books::model::Isbn13::from_first_12(&format!("978{n:09}")).unwrap().as_str().to_string()
}

fn count(sql: &NativeSql) -> i64 {
    sql.execute("SELECT COUNT(*) AS n FROM books", &[])
        .ok()
        .and_then(|r| r.first().and_then(|r| r.i64("n")))
        .unwrap_or(0)
}

fn generate(path: &PathBuf, books: u64) {
    let _ = std::fs::remove_file(path);
    let sql = NativeSql::open(path).unwrap();
    folio_core::migrate::ensure(&sql).unwrap();
    let started = Instant::now();
    let max_year = PublishedYear::max_at(SystemClock.now_ms());
    let mut rng = Rng(42);
    let base_ms = SystemClock.now_ms() - books as i64 * 1000;
    let chunk = store::MAX_ROWS_PER_INSERT as u64;
    sql.execute("BEGIN IMMEDIATE", &[]).unwrap();
    let mut n = 0;
    while n < books {
        let rows = chunk.min(books - n);
        let mut params: Vec<Value> = Vec::with_capacity(rows as usize * store::COLUMNS.len());
        for i in n..n + rows {
            let d = draft(&mut rng, i);
            let book = NewBook::parse(&d, max_year).expect("generated books are valid");
            let now = folio_core::ports::rfc3339_ms(base_ms + i as i64 * 1000);
            params.extend(store::insert_params(
                &format!("{:016x}{i:010}", rng.next()),
                &book,
                &now,
                "user-gen",
            ));
        }
        sql.execute(&store::insert_sql(rows as usize), &params).unwrap();
        n += rows;
        if n % 100_000 == 0 {
            eprintln!("  {n} books, {:.1} s", started.elapsed().as_secs_f64());
        }
    }
    sql.execute("COMMIT", &[]).unwrap();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated {books} books in {:.1} s ({:.0} rows/s), database {:.0} MiB",
        started.elapsed().as_secs_f64(),
        books as f64 / started.elapsed().as_secs_f64(),
        size as f64 / 1_048_576.0
    );
}

struct Bench {
    path: PathBuf,
    kv: MemoryKv,
    config: MapConfig,
}

impl Bench {
    fn call(&self, req: Request) -> Response {
        let sql = NativeSql::open(&self.path).unwrap();
        let host =
            Host { sql: &sql, kv: &self.kv, clock: &SystemClock, random: &OsRandom, config: &self.config };
        folio_books::handle_with(&BenchAuth, &host, req)
    }

    fn get(&self, uri: &str) -> Response {
        let req =
            http::Request::builder().uri(uri).header("authorization", "Bearer editor").body(vec![]).unwrap();
        self.call(req)
    }
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let total: Duration = samples.iter().sum();
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "{name:<44} {:>8.0} req/s   p50 {:>8.3} ms   p99 {:>8.3} ms   ({} requests)",
        samples.len() as f64 / total.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        samples.len()
    );
}

fn time_gets(bench: &Bench, name: &str, uris: impl Iterator<Item = String>) {
    let mut samples = Vec::new();
    for uri in uris {
        let t = Instant::now();
        let r = bench.get(&uri);
        samples.push(t.elapsed());
        assert_eq!(r.status(), 200, "{uri}: {}", String::from_utf8_lossy(r.body()));
    }
    report(name, samples);
}

fn main() {
    let mut books: u64 = 1_000_000;
    let mut iterations: usize = 2000;
    let mut path = PathBuf::from("/tmp/folio-books-bench.db");
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--books", Some(v)) => books = v.parse().expect("--books N"),
            ("--iterations", Some(v)) => iterations = v.parse().expect("--iterations N"),
            ("--db", Some(v)) => path = PathBuf::from(v),
            _ => panic!("usage: books_bench [--books N] [--db PATH] [--iterations N]"),
        }
    }
    let existing = NativeSql::open(&path).ok().map(|s| count(&s)).unwrap_or(0);
    if existing != books as i64 {
        generate(&path, books);
    } else {
        println!("reusing {} with {books} books", path.display());
    }
    let bench = Bench { path: path.clone(), kv: MemoryKv::new(), config: MapConfig::new() };
    let sql = NativeSql::open(&path).unwrap();
    let ids: Vec<String> = sql
        .execute(
            "SELECT id FROM books WHERE rowid % ? = 0 LIMIT ?",
            &[Value::Integer((books as i64 / 10_000).max(1)), Value::Integer(10_000)],
        )
        .unwrap()
        .iter()
        .map(|r| r.string("id"))
        .collect();
    let top_author = sql
        .execute("SELECT author FROM books WHERE author = 'Author 00000' LIMIT 1", &[])
        .unwrap()
        .first()
        .map(|r| r.string("author"))
        .unwrap_or_default();
    drop(sql);
    let mut rng = Rng(7);
    let n = iterations;

    println!("single thread, fresh connection per request, {books} books:");
    time_gets(
        &bench,
        "GET /api/books/{id}",
        (0..n).map(|_| format!("/api/books/{}", ids[rng.below(ids.len() as u64) as usize])),
    );
    time_gets(&bench, "GET /api/books (default: -created_at, 20)", (0..n).map(|_| "/api/books".to_string()));
    // Following cursors: page k of a walk.
    let mut cursor: Option<String> = None;
    let mut samples = Vec::new();
    for _ in 0..n {
        let uri = match &cursor {
            Some(c) => format!("/api/books?sort=title&limit=20&cursor={c}"),
            None => "/api/books?sort=title&limit=20".to_string(),
        };
        let t = Instant::now();
        let r = bench.get(&uri);
        samples.push(t.elapsed());
        let b: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        cursor = b["next_cursor"].as_str().map(str::to_string);
    }
    report("GET /api/books?sort=title (walking cursors)", samples);
    time_gets(
        &bench,
        "GET ?genre=Poetry&sort=-price_cents",
        (0..n).map(|_| "/api/books?genre=Poetry&sort=-price_cents".to_string()),
    );
    time_gets(
        &bench,
        "GET ?author=<most prolific>&sort=title",
        (0..n).map(|_| format!("/api/books?author={}&sort=title", top_author.replace(' ', "%20"))),
    );
    time_gets(
        &bench,
        "GET ?language=ja&sort=published_year",
        (0..n).map(|_| "/api/books?language=ja&sort=published_year".to_string()),
    );
    time_gets(
        &bench,
        "GET ?year_min=1990&year_max=1995&sort=title",
        (0..n).map(|_| "/api/books?year_min=1990&year_max=1995&sort=title".to_string()),
    );
    time_gets(
        &bench,
        "GET ?year_min=1800&year_max=1800 (rare)&sort=title",
        (0..n / 10).map(|_| "/api/books?year_min=1800&year_max=1800&sort=title".to_string()),
    );
    time_gets(
        &bench,
        "GET ?q=<2 words> (default sort)",
        (0..n / 10).map(|_| {
            let mut r = Rng(rng.next());
            format!("/api/books?q={}%20{}", LOREM[r.below(48) as usize], LOREM[r.below(48) as usize])
        }),
    );
    time_gets(
        &bench,
        "GET ?q=<3 words>&sort=title",
        (0..n / 10).map(|_| {
            let mut r = Rng(rng.next());
            format!(
                "/api/books?q={}%20{}%20{}&sort=title",
                LOREM[r.below(48) as usize],
                LOREM[r.below(48) as usize],
                LOREM[r.below(48) as usize]
            )
        }),
    );
    time_gets(
        &bench,
        "GET ?genre=Travel&count=true",
        (0..n / 10).map(|_| "/api/books?genre=Travel&count=true".to_string()),
    );
    time_gets(
        &bench,
        "GET ?count=true (whole catalogue)",
        (0..20).map(|_| "/api/books?count=true".to_string()),
    );

    let mut samples = Vec::new();
    let max_year = PublishedYear::max_at(SystemClock.now_ms());
    for i in 0..n as u64 {
        let d = draft(&mut rng, 900_000_000 + i);
        NewBook::parse(&d, max_year).unwrap();
        let body = serde_json::json!({
            "title": d.title, "author": d.author, "genre": d.genre, "isbn": d.isbn,
            "published_year": d.published_year, "pages": d.pages, "price_cents": d.price_cents,
            "language": d.language, "description": d.description,
        });
        let req = http::Request::builder()
            .method("POST")
            .uri("/api/books")
            .header("authorization", "Bearer editor")
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .unwrap();
        let t = Instant::now();
        let r = bench.call(req);
        samples.push(t.elapsed());
        assert_eq!(r.status(), 201, "{}", String::from_utf8_lossy(r.body()));
    }
    report("POST /api/books (one transaction each)", samples);
    // Put the catalogue back to its size, so the next run reuses it.
    let sql = NativeSql::open(&path).unwrap();
    sql.execute("DELETE FROM books WHERE created_by = 'user-bench'", &[]).unwrap();
}
