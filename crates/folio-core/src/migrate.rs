//! Schema migrations: the SQL files in `migrations/`, embedded at build time, applied once each,
//! in order, inside one transaction, and recorded in `schema_migrations`.
//!
//! Every request calls [`ensure`]. On a migrated database that is a single indexed read
//! (`SELECT MAX(version)`), because each WASIp2 request runs in a fresh instance with no memory of
//! the last.
//!
//! **A migration keeps the release before it working** (expand, then contract a release later:
//! add tables, columns with defaults and indexes; drop or rename only what no released build
//! reads any more). So a build that finds every one of its migrations applied and newer ones
//! besides (a later build on the same database: a rolling update's old pods, or a rollback)
//! serves as usual ([`Outcome::Newer`]) instead of refusing: refusing answered `500` on every
//! route that reads SQL until the old pods were gone, and left a rollback with no working pod.
//!
//! The slow path takes SQLite's write lock (`BEGIN IMMEDIATE`) and re-reads what is
//! applied under it, so two requests racing on a fresh database apply each migration once: the
//! loser waits for the lock, then finds nothing left to do.

use sha2::{Digest, Sha256};

use crate::sql::{Sql, SqlError, Value};

/// One embedded migration file.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// Every migration, in order.
pub fn all() -> &'static [Migration] {
    MIGRATIONS
}

/// The schema version this build expects.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// What a request answers, and health says, when the database is not persistent.
pub const NOT_PERSISTENT_DETAIL: &str = "the server is misconfigured: its SQLite database is in \
    memory, so every request opens a new, empty one and nothing is kept (spin up --from without \
    --state-dir does this); run spin up with --state-dir, or a runtime config that names a \
    database file or libSQL";

/// What a request answers, and health says, when a migration recorded in the database differs
/// from this build's: waiting does not fix it, an operator must.
pub const EDITED_DETAIL: &str = "the server is misconfigured: a migration recorded in its database \
    differs from this build's (migrations must never be edited); an operator must run the build \
    the database was migrated with, or restore the database";

/// What [`ensure`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The schema was already current: one read, nothing written.
    Current,
    /// These versions were applied now.
    Applied(Vec<u32>),
    /// Every migration of this build is applied, and newer ones too (up to `found`): a later
    /// build shares the database. Served as current (see the module's rule).
    Newer { found: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigrationError {
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error("migration {version} was applied with different contents; migrations must never be edited")]
    Edited { version: u32 },
    /// The database is in memory and forgotten after each request ([`Sql::memory_lasts_one_request`]).
    #[error("the SQLite database is in memory, a new one for every request")]
    NotPersistent,
}

impl MigrationError {
    /// What an operator is told when the database itself is what they must fix (`503`
    /// `misconfigured`, no `Retry-After`); `None` for a failure that may pass.
    pub fn operator_detail(&self) -> Option<&'static str> {
        match self {
            MigrationError::NotPersistent => Some(NOT_PERSISTENT_DETAIL),
            MigrationError::Edited { .. } => Some(EDITED_DETAIL),
            MigrationError::Sql(_) => None,
        }
    }
}

impl From<MigrationError> for crate::ApiError {
    fn from(e: MigrationError) -> Self {
        match (e.operator_detail(), e) {
            (Some(detail), _) => crate::ApiError::StoresMisconfigured(detail),
            (None, MigrationError::Sql(e)) => crate::ApiError::from_sql("migrations", e),
            (None, e) => crate::ApiError::Internal(anyhow::Error::new(e).context("migrations")),
        }
    }
}

/// Brings the schema up to date; cheap when it already is.
///
/// "Current" means as many migrations applied as this build embeds and the newest of them
/// applied: comparing only the highest version would miss a lower-numbered migration added
/// after a higher one was applied.
pub fn ensure(sql: &dyn Sql) -> Result<Outcome, MigrationError> {
    ensure_reading(sql, false).map(|(outcome, _)| outcome)
}

/// [`ensure`], and the database's identity (migrations/0013, [`crate::pairing`]) read by the
/// same statement when the schema is current: what a route checks the key-value store's pairing
/// against at no cost of its own. `None` for a database that has none.
pub fn ensure_identified(sql: &dyn Sql) -> Result<Option<String>, MigrationError> {
    match ensure_reading(sql, true)? {
        (_, Some(id)) => Ok(Some(id)),
        // Migrated just now (or without the table): read it on its own.
        (_, None) => database_identity(sql).map_err(Into::into),
    }
}

fn ensure_reading(sql: &dyn Sql, identity: bool) -> Result<(Outcome, Option<String>), MigrationError> {
    let latest = latest_version();
    match applied_summary(sql, identity) {
        Ok(applied) if applied.ours == MIGRATIONS.len() && applied.max == latest => {
            return Ok((Outcome::Current, applied.id))
        }
        Ok(applied) if applied.ours == MIGRATIONS.len() && applied.max > latest => {
            return Ok((Outcome::Newer { found: applied.max }, applied.id))
        }
        Ok(_) => {}
        Err(e) if e.is_missing_table() => {}
        Err(e) => return Err(e.into()),
    }
    migrate(sql, MIGRATIONS).map(|outcome| (outcome, None))
}

/// The database's random identity, once migration 13 has made it.
pub fn database_identity(sql: &dyn Sql) -> Result<Option<String>, SqlError> {
    match sql.execute("SELECT id FROM database_identity ORDER BY created_at LIMIT 1", &[]) {
        Ok(rows) => Ok(rows.first().and_then(|r| r.text("id").map(str::to_string))),
        Err(e) if e.is_missing_table() => Ok(None),
        Err(e) => Err(e),
    }
}

/// What the schema table holds, in one indexed read.
struct Applied {
    /// Applied migrations numbered up to this build's latest: this build's own.
    ours: usize,
    /// The highest applied version.
    max: u32,
    /// The database's identity, when asked for (a database older than migration 13 then fails
    /// the read as "no such table", and is migrated).
    id: Option<String>,
}

fn applied_summary(sql: &dyn Sql, identity: bool) -> Result<Applied, SqlError> {
    let statement = if identity {
        "SELECT COALESCE(SUM(version <= ?), 0) AS ours, COALESCE(MAX(version), 0) AS v,
                (SELECT id FROM database_identity ORDER BY created_at LIMIT 1) AS id
         FROM schema_migrations"
    } else {
        "SELECT COALESCE(SUM(version <= ?), 0) AS ours, COALESCE(MAX(version), 0) AS v FROM schema_migrations"
    };
    let rows = sql.execute(statement, &[Value::from(latest_version())])?;
    let row = rows.first();
    Ok(Applied {
        ours: row.and_then(|r| r.i64("ours")).unwrap_or(0) as usize,
        max: row.and_then(|r| r.i64("v")).unwrap_or(0) as u32,
        id: row.and_then(|r| r.text("id")).map(str::to_string),
    })
}

/// The highest applied version; errors with "no such table" on a fresh database.
pub fn current_version(sql: &dyn Sql) -> Result<u32, SqlError> {
    applied_summary(sql, false).map(|a| a.max)
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

/// Applies whatever of `migrations` is missing, under the write lock. First puts the database
/// in write-ahead-log mode ([`use_write_ahead_log`]), which a transaction cannot do.
pub fn migrate(sql: &dyn Sql, migrations: &[Migration]) -> Result<Outcome, MigrationError> {
    if use_write_ahead_log(sql) == JournalMode::Memory && sql.memory_lasts_one_request() {
        // Every request would migrate its own empty database, and nothing written would be
        // seen again: refused by name, not left to look like another failure (the stores'
        // pairing, which such a database never matches).
        crate::log::emit(serde_json::json!({"level": "error", "event": "database_not_persistent"}));
        return Err(MigrationError::NotPersistent);
    }
    crate::sql::begin_immediate(sql)?;
    let result = apply_missing(sql, migrations);
    match result {
        Ok(outcome) => match sql.execute("COMMIT", &[]) {
            Ok(_) => {
                // The one trace an operator has of when, and by which request, the schema
                // changed (the line carries the request's id).
                if let Outcome::Applied(versions) = &outcome {
                    crate::log::emit(serde_json::json!({"level": "info", "event": "schema_migrated",
                        "versions": versions, "schema_version": versions.last()}));
                }
                Ok(outcome)
            }
            Err(e) => {
                let _ = sql.execute("ROLLBACK", &[]);
                Err(e.into())
            }
        },
        Err(e) => {
            let _ = sql.execute("ROLLBACK", &[]);
            Err(e)
        }
    }
}

/// Switches the database to SQLite's write-ahead log, once: the mode is kept in the file, so
/// this runs only where migrations do (a fresh database, or one a new migration brings up).
///
/// Why: in the default rollback-journal mode a writer's commit locks readers out, and a
/// 100,000-book generator run holds its write for seconds, so every list page, report and book
/// read waited behind it. In WAL mode readers read the last committed state while a write goes
/// on, and a writer waits only for another writer. Best effort: an in-memory database answers
/// `memory` (reported, for [`migrate`] to judge), and a store that manages its own journal
/// (libSQL's server) may refuse the pragma; neither is an error here, the latter only noted in
/// the log.
fn use_write_ahead_log(sql: &dyn Sql) -> JournalMode {
    match sql.execute("PRAGMA journal_mode = WAL", &[]) {
        Ok(rows) => {
            let mode = rows.first().map(|r| r.string("journal_mode")).unwrap_or_default();
            if mode.eq_ignore_ascii_case("memory") {
                return JournalMode::Memory;
            }
            if !mode.eq_ignore_ascii_case("wal") {
                crate::log::warn("sqlite_journal_mode", &format!("the database kept journal mode {mode:?}"));
            }
        }
        Err(e) => crate::log::warn("sqlite_journal_mode", &e),
    }
    JournalMode::Other
}

#[derive(PartialEq, Eq)]
enum JournalMode {
    /// An in-memory database's only mode.
    Memory,
    Other,
}

fn apply_missing(sql: &dyn Sql, migrations: &[Migration]) -> Result<Outcome, MigrationError> {
    sql.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY NOT NULL,
            name       TEXT NOT NULL,
            checksum   TEXT NOT NULL,
            applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )",
        &[],
    )?;
    let rows = sql.execute("SELECT version, checksum FROM schema_migrations ORDER BY version", &[])?;
    let applied: Vec<(u32, String)> =
        rows.iter().map(|r| (r.i64("version").unwrap_or(0) as u32, r.string("checksum"))).collect();
    let mut done = Vec::new();
    for m in migrations {
        let sum = checksum(m.sql);
        if let Some((_, recorded)) = applied.iter().find(|(v, _)| *v == m.version) {
            if *recorded != sum {
                crate::log::emit(
                    serde_json::json!({"level": "error", "event": "migration_edited", "version": m.version}),
                );
                return Err(MigrationError::Edited { version: m.version });
            }
            continue;
        }
        for statement in split_statements(m.sql) {
            sql.execute(&statement, &[])?;
        }
        sql.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
            &[Value::from(m.version), Value::from(m.name), Value::from(sum)],
        )?;
        done.push(m.version);
    }
    Ok(if done.is_empty() { Outcome::Current } else { Outcome::Applied(done) })
}

/// Splits a SQL script into statements, because a host's `execute` takes one statement.
///
/// Respects quoted strings and identifiers, `--` and `/* */` comments, and `CREATE TRIGGER ...
/// BEGIN ... END;` bodies, whose inner semicolons do not end the statement.
pub fn split_statements(script: &str) -> Vec<String> {
    let bytes = script.as_bytes();
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    let mut depth = 0usize; // BEGIN ... END nesting inside a trigger body
    while i < bytes.len() {
        let c = bytes[i] as char;
        match c {
            '\'' | '"' | '`' | '[' => {
                let close = if c == '[' { ']' } else { c };
                let start = i;
                i += 1;
                while i < bytes.len() {
                    if bytes[i] as char == close {
                        // A doubled quote is an escaped quote inside the literal.
                        if close != ']' && i + 1 < bytes.len() && bytes[i + 1] as char == close {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
                current.push_str(&script[start..i]);
                continue;
            }
            '-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            '/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
                current.push(' ');
                continue;
            }
            ';' if depth == 0 => {
                push_statement(&mut statements, &current);
                current.clear();
                i += 1;
                continue;
            }
            _ => {}
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < bytes.len() && ((bytes[i] as char).is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &script[start..i];
            if word.eq_ignore_ascii_case("BEGIN") && is_trigger(&current) {
                depth += 1;
            } else if word.eq_ignore_ascii_case("END") && depth > 0 {
                depth -= 1;
            }
            current.push_str(word);
            continue;
        }
        // `i` is always on a character boundary: every branch above stops at ASCII bytes.
        let ch = script[i..].chars().next().unwrap_or(' ');
        current.push(ch);
        i += ch.len_utf8();
    }
    push_statement(&mut statements, &current);
    statements
}

fn is_trigger(statement: &str) -> bool {
    let words: Vec<String> = statement.split_whitespace().take(4).map(|w| w.to_ascii_uppercase()).collect();
    words.first().map(String::as_str) == Some("CREATE") && words.iter().any(|w| w == "TRIGGER")
}

fn push_statement(statements: &mut Vec<String>, statement: &str) {
    let trimmed = statement.trim();
    if !trimmed.is_empty() {
        statements.push(trimmed.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_migrations_are_in_increasing_order() {
        assert!(!all().is_empty());
        assert_eq!(all()[0].version, 1);
        assert!(all().windows(2).all(|w| w[0].version < w[1].version));
        assert_eq!(latest_version(), all().last().unwrap().version);
    }

    #[test]
    fn splits_statements_respecting_strings_comments_and_triggers() {
        let script = "CREATE TABLE a (x TEXT DEFAULT 'a;b'); -- comment; here\n\
            /* block; comment */ INSERT INTO a VALUES ('it''s; fine');\n\
            CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); UPDATE b SET y = 2; END;\n\
            SELECT \"weird;name\" FROM a";
        let statements = split_statements(script);
        assert_eq!(statements.len(), 4, "{statements:#?}");
        assert_eq!(statements[0], "CREATE TABLE a (x TEXT DEFAULT 'a;b')");
        assert!(statements[1].ends_with("VALUES ('it''s; fine')"));
        assert!(statements[2].starts_with("CREATE TRIGGER t") && statements[2].ends_with("END"));
        assert_eq!(statements[3], "SELECT \"weird;name\" FROM a");
    }

    #[test]
    fn keeps_non_ascii_text() {
        let statements = split_statements("INSERT INTO a VALUES ('naïve'); SELECT 'ü' || é");
        assert_eq!(statements, vec!["INSERT INTO a VALUES ('naïve')", "SELECT 'ü' || é"]);
    }
}
