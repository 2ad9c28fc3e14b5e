//! How much the generator may add: a cap on the catalogue, and a per-account hourly budget.
//!
//! `generate:books` comes with the default sign-up role (API.md: `editor`), so without limits
//! anyone who registers could add 100,000 books per request, each run about 185 MB of database
//! and seconds of SQLite's write lock (tens of seconds in a catalogue of a million books, while
//! sign-ins and writes wait out their busy budget and answer `503`), again and again. So:
//!
//! - `generator_max_books` (default 2,000,000): a run may not take the catalogue past it, for
//!   any role (`409`). It bounds the disk, and with it how often a run can hold the lock.
//! - `generator_books_per_hour` (default 500,000): what one account other than an administrator
//!   may generate in any hour (`429` with `Retry-After` until enough of its runs leave the hour;
//!   `403` when it is 0: runs are then the administrators' alone).
//!
//! Both are checked under the run's write lock (inside its transaction), so two runs racing
//! cannot both fit in the room that one of them leaves. The decisions are pure functions of
//! what the database says, tested without a host.

use folio_core::{
    settings::{both, GENERATOR_BOOKS_PER_HOUR as BOOKS_PER_HOUR, GENERATOR_MAX_BOOKS as MAX_BOOKS},
    sql::Value,
    ApiError, ConfigError, Host, Sql,
};

/// The budget's window.
pub const WINDOW_SECS: i64 = 3600;

/// The limits that apply to one caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_books: i64,
    /// `None` for administrators: the hourly budget is for accounts anyone can make.
    pub books_per_hour: Option<i64>,
}

impl Limits {
    /// The variables, read for a caller of `role`; the error names every bad one.
    pub fn from_host(host: &Host, role: &str) -> Result<Self, ConfigError> {
        let (max_books, per_hour) = both(MAX_BOOKS.read(host), BOOKS_PER_HOUR.read(host))?;
        Ok(Self { max_books, books_per_hour: (role != "admin").then_some(per_hour) })
    }
}

/// One earlier run of the caller's within the window: when (seconds since the epoch) and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentRun {
    pub at_secs: i64,
    pub inserted: i64,
}

/// Whether a run of `count` books fits: the catalogue holds `stored` books, and the caller's runs
/// in the last hour, oldest first, are `recent`. `now_secs` is the host's clock.
pub fn decide(
    limits: &Limits,
    stored: i64,
    recent: &[RecentRun],
    count: i64,
    now_secs: i64,
) -> Result<(), ApiError> {
    let room = (limits.max_books - stored).max(0);
    if count > room {
        return Err(ApiError::Conflict(format!(
            "the catalogue holds {stored} books and generator_max_books is {}: a run may add at most {room} more",
            limits.max_books
        )));
    }
    let Some(budget) = limits.books_per_hour else { return Ok(()) };
    if budget == 0 {
        return Err(ApiError::Forbidden(
            "generator runs are for administrators here (generator_books_per_hour is 0)".into(),
        ));
    }
    if count > budget {
        return Err(ApiError::validation(
            "count",
            format!(
                "must be at most {budget}: the most books an account other than an administrator may generate in an hour"
            ),
        ));
    }
    let generated: i64 = recent.iter().map(|r| r.inserted).sum();
    if generated + count <= budget {
        return Ok(());
    }
    let mut used = generated;
    // The run fits once enough of the oldest runs have left the window.
    let mut frees_at = now_secs + WINDOW_SECS;
    for run in recent {
        used -= run.inserted;
        if used + count <= budget {
            frees_at = run.at_secs + WINDOW_SECS;
            break;
        }
    }
    Err(ApiError::TooManyRequests {
        retry_after_secs: (frees_at - now_secs).max(1) as u64,
        detail: format!(
            "this account has generated {generated} books in the last hour and generator_books_per_hour is {budget}"
        ),
    })
}

/// Checks a run of `count` books by `account` against `limits`; call it under the write lock.
pub fn check(host: &Host, limits: &Limits, count: i64, account: &str) -> Result<(), ApiError> {
    let stored = count_books(host.sql)?;
    let now_ms = host.clock.now_ms();
    let now_secs = now_ms.div_euclid(1000);
    let recent = match limits.books_per_hour {
        Some(_) => recent_runs(host.sql, account, now_ms)?,
        None => Vec::new(),
    };
    decide(limits, stored, &recent, count, now_secs)
}

fn count_books(sql: &dyn Sql) -> Result<i64, ApiError> {
    let rows = sql.execute("SELECT COUNT(*) AS n FROM books", &[])?;
    Ok(rows.first().and_then(|r| r.i64("n")).unwrap_or(0))
}

/// The account's runs of the last hour, oldest first. `created_at` is RFC 3339 UTC text of one
/// fixed shape (`host.now_rfc3339`), so it compares as text and SQLite's `unixepoch` reads it.
fn recent_runs(sql: &dyn Sql, account: &str, now_ms: i64) -> Result<Vec<RecentRun>, ApiError> {
    // The same text shape as `created_at` (milliseconds), so the comparison is exact at the edge.
    let since = folio_core::ports::rfc3339_ms(now_ms - WINDOW_SECS * 1000);
    let now_secs = now_ms.div_euclid(1000);
    let rows = sql.execute(
        "SELECT CAST(strftime('%s', created_at) AS INTEGER) AS at_secs, inserted FROM generator_runs \
         WHERE created_by = ? AND created_at > ? ORDER BY created_at",
        &[Value::from(account), Value::from(since.as_str())],
    )?;
    Ok(rows
        .iter()
        .map(|r| RecentRun {
            at_secs: r.i64("at_secs").unwrap_or(now_secs),
            inserted: r.i64("inserted").unwrap_or(0),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EDITOR: Limits = Limits { max_books: 1_000, books_per_hour: Some(300) };
    const ADMIN: Limits = Limits { max_books: 1_000, books_per_hour: None };

    fn run(at_secs: i64, inserted: i64) -> RecentRun {
        RecentRun { at_secs, inserted }
    }

    #[test]
    fn the_catalogue_cap_applies_to_everyone() {
        decide(&ADMIN, 900, &[], 100, 0).expect("100 more fit under the cap");
        match decide(&ADMIN, 901, &[], 100, 0) {
            Err(ApiError::Conflict(m)) => assert!(m.contains("at most 99 more"), "{m}"),
            other => panic!("{other:?}"),
        }
        // A catalogue already past the cap (the cap lowered later) leaves no room, not a negative one.
        assert!(
            matches!(decide(&ADMIN, 5_000, &[], 1, 0), Err(ApiError::Conflict(m)) if m.contains("at most 0"))
        );
    }

    #[test]
    fn the_hourly_budget_counts_the_accounts_recent_runs() {
        decide(&EDITOR, 0, &[run(10, 100), run(20, 100)], 100, 30).expect("300 books fit the budget");
        match decide(&EDITOR, 0, &[run(10, 100), run(20, 150)], 100, 30) {
            // 250 used; 100 more fits once the first run (100) has left: at 10 + 3600.
            Err(ApiError::TooManyRequests { retry_after_secs, detail }) => {
                assert_eq!(retry_after_secs, 3580);
                assert!(detail.contains("250 books"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        // Both runs must leave before 250 fits.
        assert!(matches!(
            decide(&EDITOR, 0, &[run(10, 100), run(20, 150)], 250, 30),
            Err(ApiError::TooManyRequests { retry_after_secs: 3590, .. })
        ));
        decide(&ADMIN, 0, &[run(10, 100_000)], 900, 30).expect("administrators have no budget");
    }

    #[test]
    fn a_run_larger_than_the_budget_or_a_zero_budget_is_not_worth_retrying() {
        assert!(matches!(decide(&EDITOR, 0, &[], 301, 0), Err(ApiError::Validation(_))));
        let closed = Limits { max_books: 1_000, books_per_hour: Some(0) };
        assert!(matches!(decide(&closed, 0, &[], 1, 0), Err(ApiError::Forbidden(_))));
    }
}
