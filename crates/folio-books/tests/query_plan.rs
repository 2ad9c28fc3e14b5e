//! Every list filter and sort is served by an index: `EXPLAIN QUERY PLAN` of the exact SQL the
//! list route runs shows no scan of the whole table, and no sort of every row where an index
//! can deliver the order.

use folio_books::{
    cursor::{Position, SortValue},
    listing::{ListQuery, Sort},
    store::SELECT_COLUMNS,
};
use folio_core::{http_util::Query, Sql};
use folio_native::NativeSql;

fn plan(sql: &NativeSql, statement: &str, params: &[folio_core::Value]) -> Vec<String> {
    let rows = sql.execute(&format!("EXPLAIN QUERY PLAN {statement}"), params).unwrap();
    rows.iter().map(|r| r.string("detail")).collect()
}

fn query(pairs: &[(&str, &str)]) -> ListQuery {
    ListQuery::parse(&Query::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()))
        .unwrap()
}

/// A full scan of books is a `SCAN books` step that does not walk an index.
fn full_scans(plan: &[String]) -> Vec<&String> {
    plan.iter()
        .filter(|d| d.starts_with("SCAN books") && !d.contains("INDEX") && !d.contains("VIRTUAL TABLE"))
        .collect()
}

#[test]
fn every_filter_and_sort_uses_an_index() {
    let sql = NativeSql::in_memory();
    folio_core::migrate::ensure(&sql).unwrap();
    let filters: [&[(&str, &str)]; 9] = [
        &[],
        &[("author", "A")],
        &[("genre", "G")],
        &[("language", "en")],
        &[("year_min", "1990")],
        &[("year_min", "1990"), ("year_max", "2000")],
        &[("q", "word")],
        &[("genre", "G"), ("language", "en")],
        &[("author", "A"), ("genre", "G"), ("year_max", "2000"), ("q", "x")],
    ];
    for filter in filters {
        for sort in Sort::all() {
            let mut pairs = filter.to_vec();
            let name = sort.name();
            pairs.push(("sort", &name));
            let mut q = query(&pairs);
            let after = Position {
                s: name.clone(),
                f: q.fingerprint(),
                k: if matches!(sort.key.column(), "published_year" | "price_cents") {
                    SortValue::Int(5)
                } else {
                    SortValue::Text("m".into())
                },
                i: "id".into(),
            };
            let has_fts = filter.iter().any(|(k, _)| *k == "q");
            for (cursor, dense) in [(None, false), (Some(&after), false), (None, true), (Some(&after), true)]
            {
                if dense && !has_fts {
                    continue;
                }
                q.filters.search_dense = dense;
                let (statement, params) = q.page_sql(cursor, SELECT_COLUMNS);
                let p = plan(&sql, &statement, &params);
                let context = format!("{filter:?} {name} cursor={} dense={dense}: {p:#?}", cursor.is_some());
                assert!(full_scans(&p).is_empty(), "full scan: {context}");
                assert!(
                    p.iter().any(|d| d.contains("INDEX") || d.contains("PRIMARY KEY")),
                    "no index: {context}"
                );
                // Walking a whole index is allowed only for the sort's own index: it yields rows
                // in order and stops after `limit` matches.
                let sort_index = match sort.key.column() {
                    "title" => "books_title",
                    "published_year" => "books_year",
                    "price_cents" => "books_price",
                    _ => "books_created",
                };
                for step in p.iter().filter(|d| d.starts_with("SCAN books ")) {
                    assert!(
                        step.ends_with(&format!("INDEX {sort_index}")),
                        "index walk not in sort order: {context}"
                    );
                }
                // An equality filter is searched through an index (which also holds the order).
                let equalities: Vec<&str> = filter
                    .iter()
                    .map(|(k, _)| *k)
                    .filter(|k| matches!(*k, "author" | "genre" | "language"))
                    .collect();
                if !equalities.is_empty() && (!has_fts || dense) {
                    assert!(
                        p.iter().any(|d| d.starts_with("SEARCH books USING")
                            && equalities.iter().any(|c| d.contains(&format!("({c}=?")))),
                        "filter not searched by index: {context}"
                    );
                }
                // A later page seeks straight to its first row on the whole key, the sort value
                // *and* the id, so a page deep inside a run of equal values (the 100,000 books of
                // one generator run share a created_at) reads `limit` entries, not every tie
                // before it. An index that ends in the rowid instead of the id could seek on the
                // value alone (tried, 2026-12-03: docs/books.md). A year range sorted by year
                // seeks on the range instead, and walks the ties of the cursor's year.
                let year_range = filter.iter().any(|(k, _)| k.starts_with("year_"));
                if cursor.is_some()
                    && (!has_fts || dense)
                    && !(year_range && name.ends_with("published_year"))
                {
                    let column = sort.key.column();
                    assert!(
                        p.iter()
                            .any(|d| d.starts_with("SEARCH books USING")
                                && d.contains(&format!("({column},id)"))),
                        "the cursor does not seek on ({column}, id): {context}"
                    );
                }
                // Only a sparse text search sorts its matches; everything else, dense searches
                // included, reads in index order.
                if !has_fts || dense {
                    assert!(!p.iter().any(|d| d.contains("TEMP B-TREE")), "rows sorted: {context}");
                }
            }
            let (statement, params) = q.count_sql();
            let p = plan(&sql, &statement, &params);
            assert!(full_scans(&p).is_empty() || filter.is_empty(), "count full scan: {filter:?} {p:#?}");
        }
    }
}
