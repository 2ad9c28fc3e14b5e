//! The embedded files: what one served file is, and how a request path finds it.

/// One file of the UI as the server sends it, with its precompressed copies.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The URL path it is served at, e.g. `/index.html` or `/assets/app-1a2b3c4d5e/main.js`.
    pub path: &'static str,
    /// Hex SHA-256 prefix of `identity`: the opaque part of the strong ETag.
    pub etag: &'static str,
    /// Served from a content-hashed directory, so its bytes never change at this URL.
    pub immutable: bool,
    pub identity: &'static [u8],
    pub gzip: Option<&'static [u8]>,
    pub brotli: Option<&'static [u8]>,
}

/// A set of assets sorted by path.
#[derive(Debug, Clone, Copy)]
pub struct Catalog {
    assets: &'static [Asset],
}

impl Catalog {
    /// `assets` must be sorted by path (build.rs sorts them); checked in debug builds.
    pub fn new(assets: &'static [Asset]) -> Self {
        debug_assert!(assets.windows(2).all(|w| w[0].path < w[1].path), "assets not sorted by path");
        Self { assets }
    }

    /// The files embedded by build.rs from `static/`.
    pub fn embedded() -> Self {
        Self::new(crate::embedded::ASSETS)
    }

    pub fn get(&self, path: &str) -> Option<&'static Asset> {
        self.assets.binary_search_by(|a| a.path.cmp(path)).ok().map(|i| &self.assets[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static Asset> {
        self.assets.iter()
    }

    /// The served path of a bundle file given by its source path, e.g. `app/main.js` →
    /// `/assets/app-<hash>/main.js`.
    pub fn bundle_path(&self, bundle: &str, file: &str) -> Option<&'static str> {
        let prefix = format!("/assets/{bundle}-");
        let suffix = format!("/{file}");
        self.iter().map(|a| a.path).find(|p| {
            p.starts_with(&prefix)
                && p[prefix.len()..].split_once('/').is_some_and(|(_, rest)| format!("/{rest}") == suffix)
        })
    }
}
