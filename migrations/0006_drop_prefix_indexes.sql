-- The three single-filter indexes of 0001 are covered by the filter × sort composites of 0002:
-- every list query orders by a sort column (default: created_at), so an author, genre or
-- language filter is served by `books_<filter>_<sort>`, and what else used them (counting the
-- matches of one filter, streaming the distinct authors of a report) reads any index led by
-- the same column just as well. Each of them cost every insert and update one more B-tree
-- write, every bulk run one more index build (about 0.15 s per 100,000 books), and every new
-- connection one more schema entry to parse. docs/generator.md and docs/reports.md have the
-- measurements before and after.
DROP INDEX IF EXISTS books_author;
DROP INDEX IF EXISTS books_genre;
DROP INDEX IF EXISTS books_language;
