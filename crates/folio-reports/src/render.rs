//! Turning a computed report into a response: JSON or CSV, with the entity tag and the caching
//! headers.

use anyhow::Context as _;
use folio_core::{http_util, ApiError, ApiResult, Response};
use std::borrow::Cow;

use http::{header, HeaderValue, StatusCode};
use sha2::{Digest, Sha256};

use crate::{compute::ReportData, params::Format};

pub const CSV: &str = "text/csv; charset=utf-8; header=present";

/// The entity tag of one representation of a report: it changes exactly when the data
/// version, the parameters or the format change, or a new build answers in another shape.
pub fn etag(canonical: &str, version: &str, format: Format) -> String {
    etag_of_shape(canonical, version, format, crate::compute::SHAPE)
}

fn etag_of_shape(canonical: &str, version: &str, format: Format, shape: u32) -> String {
    let mut hasher = Sha256::new();
    for part in [version, canonical, format.as_str(), &shape.to_string()] {
        // Length-prefixed, so that no two different tuples hash the same text.
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let hex = hex::encode(&digest[..16]);
    http_util::strong_etag(&format!("r-{hex}"))
}

/// Headers every report answer carries, 200 or 304: clients may keep the report but must
/// revalidate (cheap: a 304 needs no computation); the answer varies with `Accept` and with
/// who asks.
pub fn add_caching_headers(response: &mut Response, etag: Option<&str>) {
    let headers = response.headers_mut();
    match etag.and_then(|e| HeaderValue::from_str(e).ok()) {
        Some(value) => {
            headers.insert(header::ETAG, value);
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
        }
        None => {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    headers.insert(header::VARY, HeaderValue::from_static("Accept, Authorization"));
}

/// The report in the requested format.
pub fn report(data: &ReportData, format: Format, name: &str) -> ApiResult<Response> {
    match format {
        Format::Json => Ok(http_util::json(StatusCode::OK, &data.json())),
        Format::Csv => {
            let body = csv_bytes(data)?;
            http::Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, CSV)
                .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"folio-{name}.csv\""))
                .body(body)
                .context("the CSV response")
                .map_err(ApiError::Internal)
        }
    }
}

/// RFC 4180: header row first, CRLF line ends, fields quoted when they need it; text cells
/// defused against formula injection ([`defuse`]).
fn csv_bytes(data: &ReportData) -> ApiResult<Vec<u8>> {
    let table = data.table();
    let text: Vec<bool> = table.header.iter().map(|h| table.text_columns.contains(h)).collect();
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    writer.write_record(&table.header).context("the CSV header").map_err(ApiError::Internal)?;
    for row in &table.rows {
        let cells =
            row.iter().zip(&text).map(|(cell, &is_text)| if is_text { defuse(cell) } else { cell.into() });
        writer
            .write_record(cells.collect::<Vec<Cow<str>>>().iter().map(|c| c.as_bytes()))
            .context("a CSV row")
            .map_err(ApiError::Internal)?;
    }
    writer.into_inner().context("the CSV report").map_err(ApiError::Internal)
}

/// A text cell as a spreadsheet may safely open it (OWASP, CSV injection): one that begins
/// with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula, so it gets a
/// leading `'`, which spreadsheets show as text and do not display. Every other cell is kept
/// as it is; the JSON representation is never altered.
pub fn defuse(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_follows_the_shape_of_the_answer() {
        let tag = |shape| etag_of_shape("summary", "v1", Format::Json, shape);
        assert_ne!(tag(1), tag(2), "a build that answers in another shape must not confirm an old copy");
        assert_eq!(etag("summary", "v1", Format::Json), tag(crate::compute::SHAPE));
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_is_prefixed() {
        for formula in ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "=HYPERLINK(\"http://x\")"] {
            assert_eq!(defuse(formula), format!("'{formula}"), "{formula:?}");
        }
        for plain in ["Ursula K. Le Guin", "", "1+1", " =1", "'quoted", "a=b", "Science-Fiction"] {
            assert_eq!(defuse(plain), plain, "{plain:?}");
        }
    }
}
