//! Times SQL statements (one per stdin line) against a database, printing each plan: the tool
//! behind the index choices in docs/reports.md.
//!
//! Usage: time_sql DB < statements.sql

use std::{io::BufRead, time::Instant};

use folio_core::Sql;
use folio_native::NativeSql;

fn main() {
    let path = std::env::args().nth(1).expect("usage: time_sql DB < statements");
    for line in std::io::stdin().lock().lines() {
        let statement = line.expect("stdin");
        let statement = statement.trim();
        if statement.is_empty() || statement.starts_with("--") {
            continue;
        }
        let sql = NativeSql::open(std::path::Path::new(&path)).expect("database opens");
        println!("{statement}");
        if let Ok(plan) = sql.execute(&format!("EXPLAIN QUERY PLAN {statement}"), &[]) {
            for row in plan.iter() {
                println!("    plan: {}", row.string("detail"));
            }
        }
        let started = Instant::now();
        match sql.execute(statement, &[]) {
            Ok(rows) => println!(
                "    {:.1} ms, {} rows, first: {:?}",
                started.elapsed().as_secs_f64() * 1000.0,
                rows.len(),
                rows.rows.first()
            ),
            Err(e) => println!("    error: {e}"),
        }
    }
}
