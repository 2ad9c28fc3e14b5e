//! Benchmark: every report over a large catalogue, natively through the real handler, uncached
//! (the data version is bumped before each call) and cached. Run through bench/reports/run.sh;
//! results are written down in docs/reports.md.
//!
//! Usage: bench_reports [BOOKS] [--explain] [--db PATH]
//!        bench_reports --insert-cost [BOOKS]   (bulk-insert time with and without the reports index)
//!
//! With `--db PATH` the seeded database is kept at PATH and reused by later runs (seeding a
//! million books through the schema's triggers and indexes takes minutes).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;
use folio_core::{catalog, Host};
use folio_native::{ManualClock, MapConfig, MemoryKv, NativeSql, OsRandom};

const URIS: &[&str] = &[
    "/api/reports/summary",
    "/api/reports/summary?language=de",
    "/api/reports/summary?year_min=2000",
    "/api/reports/summary?author=Author%20004",
    "/api/reports/genres",
    "/api/reports/genres?year_min=1990&year_max=2010",
    "/api/reports/genres?language=de",
    "/api/reports/authors",
    "/api/reports/authors?limit=100",
    "/api/reports/authors?genre=Fiction",
    "/api/reports/authors?year_min=2000",
    "/api/reports/authors?language=de&limit=100",
    "/api/reports/years",
    "/api/reports/years?bucket=decade",
    "/api/reports/years?language=en&year_min=1950",
    "/api/reports/years?genre=Fiction&language=en&bucket=decade",
    "/api/reports/prices",
    "/api/reports/prices?buckets=50",
    "/api/reports/prices?genre=Fiction&language=en",
    "/api/reports/prices?year_min=2000",
    "/api/reports/prices?author=Author%20004",
    "/api/reports/prices?language=de",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let explain = args.iter().any(|a| a == "--explain");
    if args.iter().any(|a| a == "--insert-cost") {
        insert_cost(if count == 1_000_000 { 100_000 } else { count });
        return;
    }

    let db = match args.iter().position(|a| a == "--db") {
        Some(i) => std::path::PathBuf::from(args.get(i + 1).expect("--db needs a path")),
        None => std::env::temp_dir().join(format!("folio-bench-reports-{}.db", std::process::id())),
    };
    let app = Bench { db, kv: MemoryKv::new(), clock: ManualClock::now(), config: MapConfig::new() };
    let existing = app.with_host(|host| {
        folio_core::migrate::ensure(host.sql).unwrap();
        host.sql
            .execute("SELECT COUNT(*) AS n FROM books", &[])
            .unwrap()
            .first()
            .and_then(|r| r.i64("n"))
            .unwrap_or(0)
    });
    if existing as usize != count {
        assert_eq!(existing, 0, "{} holds {existing} books, not {count}: remove it", app.db.display());
        let started = Instant::now();
        // Generated and inserted in slices so that the books never sit in memory all at once.
        let slice = 100_000;
        for (i, start) in (0..count).step_by(slice).enumerate() {
            let books: Vec<Book> = generate(1000 + i as u64, slice.min(count - start))
                .into_iter()
                .map(|mut b| {
                    b.id = format!("{i}-{}", b.id);
                    b
                })
                .collect();
            app.with_host(|host| insert(host, &books));
        }
        println!(
            "seeded {count} books in {:.1} s (direct SQL, 50-row statements, one transaction per 100,000)",
            started.elapsed().as_secs_f64()
        );
    } else {
        println!("reusing {} with {count} books", app.db.display());
    }

    if explain {
        print_plans(&app);
    }

    println!("{:<52} {:>12} {:>12} {:>12}", "request", "uncached ms", "cached ms", "cached p95");
    for uri in URIS {
        let uncached: Vec<Duration> = (0..5)
            .map(|_| {
                app.with_host(|host| catalog::bump_data_version(host).unwrap());
                time(&app, uri)
            })
            .collect();
        time(&app, uri); // warm the cache under the current version
        let cached: Vec<Duration> = (0..200).map(|_| time(&app, uri)).collect();
        println!(
            "{uri:<52} {:>12.1} {:>12.3} {:>12.3}",
            ms(quantile(&uncached, 0.5)),
            ms(quantile(&cached, 0.5)),
            ms(quantile(&cached, 0.95))
        );
    }
}

/// The app as Spin serves it: a fresh SQLite connection per request, one shared store.
struct Bench {
    db: std::path::PathBuf,
    kv: MemoryKv,
    clock: ManualClock,
    config: MapConfig,
}

impl Bench {
    fn with_host<T>(&self, f: impl FnOnce(&Host) -> T) -> T {
        let sql = NativeSql::open(&self.db).expect("database opens");
        let host =
            Host { sql: &sql, kv: &self.kv, clock: &self.clock, random: &OsRandom, config: &self.config };
        f(&host)
    }

    fn call(&self, req: folio_core::Request) -> folio_core::Response {
        self.with_host(|host| handler(host, req))
    }
}

fn time(app: &Bench, uri: &str) -> Duration {
    let started = Instant::now();
    let r = app.call(get(uri));
    let elapsed = started.elapsed();
    assert_eq!(r.status(), 200, "{uri}: {}", String::from_utf8_lossy(r.body()));
    elapsed
}

fn quantile(samples: &[Duration], q: f64) -> Duration {
    let mut s = samples.to_vec();
    s.sort();
    s[((s.len() - 1) as f64 * q).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The query plans of the statements the handler really runs for each benchmarked request:
/// a SQL port that prints `EXPLAIN QUERY PLAN` before running each report statement.
struct Explaining<'a>(&'a NativeSql);

impl folio_core::Sql for Explaining<'_> {
    fn execute(
        &self,
        statement: &str,
        params: &[folio_core::Value],
    ) -> Result<folio_core::Rows, folio_core::SqlError> {
        if statement.contains("FROM books") || statement.contains("FROM (SELECT") {
            println!("  {}", statement.split_whitespace().collect::<Vec<_>>().join(" "));
            let plan = self.0.execute(&format!("EXPLAIN QUERY PLAN {statement}"), params)?;
            for row in plan.iter() {
                println!("      {}", row.string("detail"));
            }
        }
        self.0.execute(statement, params)
    }
}

fn print_plans(app: &Bench) {
    for uri in URIS {
        println!("{uri}");
        app.with_host(|host| catalog::bump_data_version(host).unwrap());
        let sql = NativeSql::open(&app.db).expect("database opens");
        let explaining = Explaining(&sql);
        let host =
            Host { sql: &explaining, kv: &app.kv, clock: &app.clock, random: &OsRandom, config: &app.config };
        assert_eq!(handler(&host, get(uri)).status(), 200);
    }
}

/// What the reports' covering index costs a bulk insert (the generator's 100,000-row run): the
/// same books into a fresh database with and without it.
fn insert_cost(count: usize) {
    let books = generate(77, count);
    for with_index in [false, true, false, true] {
        let db =
            std::env::temp_dir().join(format!("folio-bench-insert-{}-{with_index}.db", std::process::id()));
        let app = Bench {
            db: db.clone(),
            kv: MemoryKv::new(),
            clock: ManualClock::now(),
            config: MapConfig::new(),
        };
        app.with_host(|host| {
            folio_core::migrate::ensure(host.sql).unwrap();
            if !with_index {
                host.sql.execute("DROP INDEX books_reports", &[]).unwrap();
            }
        });
        let started = Instant::now();
        app.with_host(|host| insert(host, &books));
        println!(
            "insert {count} books, reports index {}: {:.2} s",
            if with_index { "present" } else { "absent " },
            started.elapsed().as_secs_f64()
        );
        let _ = std::fs::remove_file(&db);
    }
}
