//! `fermyon:spin/sqlite@2.0.0`, with Spin's semantics: `access-denied` for a database the
//! component was not granted, `no-such-database` for a granted label the host does not
//! know, `io(message)` for SQLite errors. Each `open` gets its own connection that lives as
//! long as the guest's handle, so `BEGIN` ... `COMMIT` across `execute` calls works, and a
//! transaction left open when the request ends is rolled back when the connection closes.

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::Connection;
use wasmtime::component::Resource;

use super::InstanceState;
use crate::bindings::fermyon::spin::sqlite::{Error, Host, HostConnection, QueryResult, RowResult, Value};
use crate::sqlite_db::Databases;

/// Spin's limit on connections per instance.
const MAX_OPEN_CONNECTIONS: u32 = 256;

/// Upper bound on a query result kept in host memory before it is copied into the guest.
const MAX_RESULT_BYTES: usize = 128 * 1024 * 1024;

/// The host object behind a guest's `connection` handle.
pub struct OpenConnection {
    connection: Connection,
}

impl Host for InstanceState {}

impl HostConnection for InstanceState {
    fn open(&mut self, database: String) -> Result<Resource<OpenConnection>, Error> {
        if !self.component.allowed_databases.contains(&database) {
            return Err(Error::AccessDenied);
        }
        let location = self.component.databases.location(&database).ok_or(Error::NoSuchDatabase)?.clone();
        if self.open_connections >= MAX_OPEN_CONNECTIONS {
            return Err(Error::Io("too many connections opened".into()));
        }
        let connection = crate::blocking::run(|| Databases::connect(&location)).map_err(Error::Io)?;
        let handle = self.table.push(OpenConnection { connection }).map_err(|e| Error::Io(e.to_string()))?;
        self.open_connections += 1;
        Ok(handle)
    }

    fn execute(
        &mut self,
        connection: Resource<OpenConnection>,
        statement: String,
        parameters: Vec<Value>,
    ) -> Result<QueryResult, Error> {
        let open = self.table.get(&connection).map_err(|_| Error::InvalidConnection)?;
        crate::blocking::run(|| execute(&open.connection, &statement, parameters))
    }

    fn drop(&mut self, connection: Resource<OpenConnection>) -> wasmtime::Result<()> {
        self.table.delete(connection)?;
        self.open_connections = self.open_connections.saturating_sub(1);
        Ok(())
    }
}

fn io(e: rusqlite::Error) -> Error {
    Error::Io(e.to_string())
}

/// Runs one statement and collects its rows, as Spin's in-process SQLite does.
pub fn execute(conn: &Connection, statement: &str, parameters: Vec<Value>) -> Result<QueryResult, Error> {
    let mut stmt = conn.prepare_cached(statement).map_err(io)?;
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let params = parameters.into_iter().map(|v| match v {
        Value::Integer(i) => SqlValue::Integer(i),
        Value::Real(r) => SqlValue::Real(r),
        Value::Text(t) => SqlValue::Text(t),
        Value::Blob(b) => SqlValue::Blob(b),
        Value::Null => SqlValue::Null,
    });
    let mut rows = stmt.query(rusqlite::params_from_iter(params)).map_err(io)?;
    let mut result_rows = Vec::new();
    let mut bytes = 0usize;
    while let Some(row) = rows.next().map_err(io)? {
        let mut values = Vec::with_capacity(columns.len());
        for index in 0..columns.len() {
            let value = match row.get_ref(index).map_err(io)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => Value::Integer(i),
                ValueRef::Real(r) => Value::Real(r),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            };
            bytes += value_size(&value);
            values.push(value);
        }
        if bytes > MAX_RESULT_BYTES {
            return Err(Error::Io(format!("query result exceeds limit of {MAX_RESULT_BYTES} bytes")));
        }
        result_rows.push(RowResult { values });
    }
    Ok(QueryResult { columns, rows: result_rows })
}

fn value_size(value: &Value) -> usize {
    std::mem::size_of::<Value>()
        + match value {
            Value::Text(t) => t.len(),
            Value::Blob(b) => b.len(),
            _ => 0,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_type_round_trips() {
        let conn = Connection::open_in_memory().unwrap();
        execute(&conn, "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)", vec![]).unwrap();
        let inserted = execute(
            &conn,
            "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
            vec![
                Value::Integer(-7),
                Value::Real(2.5),
                Value::Text("héllo".into()),
                Value::Blob(vec![0, 255]),
                Value::Null,
            ],
        )
        .unwrap();
        assert!(inserted.columns.is_empty() && inserted.rows.is_empty());
        let result = execute(&conn, "SELECT i, r, s, b, n FROM t", vec![]).unwrap();
        assert_eq!(result.columns, vec!["i", "r", "s", "b", "n"]);
        assert_eq!(result.rows.len(), 1);
        let values = &result.rows[0].values;
        assert!(matches!(values[0], Value::Integer(-7)));
        assert!(matches!(values[1], Value::Real(r) if r == 2.5));
        assert!(matches!(&values[2], Value::Text(s) if s == "héllo"));
        assert!(matches!(&values[3], Value::Blob(b) if b == &[0, 255]));
        assert!(matches!(values[4], Value::Null));
    }

    #[test]
    fn sql_errors_are_io_errors() {
        let conn = Connection::open_in_memory().unwrap();
        let err = execute(&conn, "SELEC nonsense", vec![]).unwrap_err();
        assert!(matches!(err, Error::Io(m) if m.contains("syntax error")));
    }
}
