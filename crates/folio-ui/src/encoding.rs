//! Content-coding negotiation (`Accept-Encoding`, RFC 9110 §12.5.3) over the precompressed
//! copies an asset has.

use http::HeaderMap;

use crate::assets::Asset;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The `Content-Encoding` value; `None` for identity.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Identity => None,
        }
    }

    /// The suffix that keeps each representation's strong ETag distinct: a gzip body is not
    /// byte-for-byte the identity body, so it must not share its strong validator.
    pub fn etag_suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => ".br",
            Encoding::Gzip => ".gz",
            Encoding::Identity => "",
        }
    }

    fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
            Encoding::Identity => "identity",
        }
    }
}

/// The quality (0..=1000) the client gives `coding`, from the `Accept-Encoding` header values.
/// Absent header: only identity is acceptable. `*` covers codings not listed. Identity is
/// acceptable unless refused explicitly (`identity;q=0`, or `*;q=0` without an identity entry).
fn quality(accept: &[(String, u16)], present: bool, coding: Encoding) -> u16 {
    if !present {
        return if coding == Encoding::Identity { 1000 } else { 0 };
    }
    if let Some((_, q)) = accept.iter().find(|(name, _)| name == coding.token()) {
        return *q;
    }
    // x-gzip is an old alias of gzip that some clients still send.
    if coding == Encoding::Gzip {
        if let Some((_, q)) = accept.iter().find(|(name, _)| name == "x-gzip") {
            return *q;
        }
    }
    if let Some((_, q)) = accept.iter().find(|(name, _)| name == "*") {
        return *q;
    }
    if coding == Encoding::Identity {
        1000
    } else {
        0
    }
}

/// Parses `gzip;q=0.8, br` into (lower-cased coding, quality in thousandths). A malformed
/// q-value counts as 0, so a garbled header never turns on a coding by accident.
fn parse(headers: &HeaderMap) -> (Vec<(String, u16)>, bool) {
    let values: Vec<&str> =
        headers.get_all(http::header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).collect();
    let present = !values.is_empty();
    let mut out = Vec::new();
    for item in values.iter().flat_map(|v| v.split(',')) {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        let mut q = 1000;
        for param in parts {
            if let Some((key, value)) = param.split_once('=') {
                if key.trim().eq_ignore_ascii_case("q") {
                    q = parse_q(value.trim()).unwrap_or(0);
                }
            }
        }
        out.push((name, q));
    }
    (out, present)
}

/// RFC 9110 qvalue: `0`, `0.x..`, `1`, `1.000`, at most three decimals.
fn parse_q(raw: &str) -> Option<u16> {
    let (int, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The best representation of `asset` for these request headers: the highest quality among the
/// copies it has, ties going to the smaller copy (brotli, then gzip).
pub fn choose(headers: &HeaderMap, asset: &Asset) -> Encoding {
    let (accept, present) = parse(headers);
    let mut best = (Encoding::Identity, quality(&accept, present, Encoding::Identity));
    for (coding, available) in
        [(Encoding::Gzip, asset.gzip.is_some()), (Encoding::Brotli, asset.brotli.is_some())]
    {
        let q = quality(&accept, present, coding);
        if available && q > 0 && q >= best.1 {
            best = (coding, q);
        }
    }
    // When identity is refused and nothing else is available, identity is still sent: RFC 9110
    // allows it, and a 406 for a static file helps no one.
    best.0
}

/// The body bytes of `asset` in `encoding` (which [`choose`] only picks when present).
pub fn body(asset: &Asset, encoding: Encoding) -> &'static [u8] {
    match encoding {
        Encoding::Brotli => asset.brotli.unwrap_or(asset.identity),
        Encoding::Gzip => asset.gzip.unwrap_or(asset.identity),
        Encoding::Identity => asset.identity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_values() {
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("0.125"), Some(125));
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("1.5"), None);
        assert_eq!(parse_q("0.1234"), None);
        assert_eq!(parse_q("abc"), None);
    }
}
