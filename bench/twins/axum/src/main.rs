//! Folio's axum twin: `GET /api/books/{id}` and `GET /api/books` (a filtered list page or a
//! `q=` search, [`list`]) as the app answers them, natively, for the benchmark (bench/run.py;
//! bench/twins/README.md). Per request it verifies the EdDSA access token against the app's
//! JWKS, reads the token's session from Redis (one GET) and runs the app's SQL on the app's
//! SQLite file: the book by primary key, or the list's keyset page query.
//!
//! Configuration, from the environment: `FOLIO_URL` (the running app, for its JWKS),
//! `FOLIO_DB` (its `sqlite_db.db`, opened read-only), `FOLIO_REDIS` (`redis://127.0.0.1:PORT`),
//! `FOLIO_LISTEN` (default `127.0.0.1:8090`), `FOLIO_ISSUER` / `FOLIO_AUDIENCE` (the app's
//! defaults `folio` / `folio-api`).

mod list;

use std::{collections::HashMap, env, sync::Arc};

use anyhow::Context as _;

use axum::{
    extract::{FromRequestParts, Path, Query, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use jwt_simple::prelude::*;
use r2d2_sqlite::{
    rusqlite::{self, OpenFlags, OptionalExtension},
    SqliteConnectionManager,
};
use redis::AsyncCommands;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Clock skew tolerated on `exp` and `nbf`: the app's five seconds, not jwt-simple's 15 minutes.
const LEEWAY_SECS: u64 = 5;

const SELECT_COLUMNS: &str = "id, title, author, genre, isbn, published_year, pages, price_cents, language, \
     description, created_at, updated_at, created_by, version";

struct App {
    /// The app's signing keys by `kid`, fetched once at start-up.
    keys: HashMap<String, Ed25519PublicKey>,
    options: VerificationOptions,
    /// One multiplexed connection, cloned per request: requests pipeline over it.
    redis: redis::aio::MultiplexedConnection,
    db: r2d2::Pool<SqliteConnectionManager>,
}

/// The claims beyond the registered ones that the check needs.
#[derive(Serialize, Deserialize)]
struct FolioClaims {
    sid: String,
    scope: String,
}

/// What the app's session record says (crates/folio-tokens/src/session.rs); other fields are
/// ignored.
#[derive(Deserialize)]
struct Session {
    id: String,
    account_id: String,
    expires_at: i64,
    #[serde(default)]
    access: Vec<Vouched>,
}

#[derive(Deserialize)]
struct Vouched {
    hash: String,
}

impl Session {
    /// The session is live and lists this token's SHA-256 among those issued for it; compared
    /// in constant time, as the app does.
    fn vouches_for(&self, token: &str, now: i64) -> bool {
        let hash = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()));
        let listed = self
            .access
            .iter()
            .fold(subtle::Choice::from(0), |found, v| found | hash.as_bytes().ct_eq(v.hash.as_bytes()));
        now < self.expires_at && bool::from(listed)
    }
}

#[derive(Serialize)]
struct Book {
    id: String,
    title: String,
    author: String,
    genre: String,
    isbn: String,
    published_year: i64,
    pages: i64,
    price_cents: i64,
    language: String,
    description: String,
    created_at: String,
    updated_at: String,
    created_by: String,
    version: i64,
}

/// Errors as RFC 9457 problem details, like the app's (the benchmark measures only the 200s).
enum Problem {
    NoToken,
    InvalidToken,
    InsufficientScope,
    NotFound,
    /// A cursor that is not this query's.
    BadRequest,
    /// A query parameter out of range.
    Invalid(&'static str),
    Internal(String),
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let (status, title, challenge) = match &self {
            Problem::NoToken => (StatusCode::UNAUTHORIZED, "Unauthorized", Some("Bearer")),
            Problem::InvalidToken => {
                (StatusCode::UNAUTHORIZED, "Unauthorized", Some("Bearer error=\"invalid_token\""))
            }
            Problem::InsufficientScope => {
                (StatusCode::FORBIDDEN, "Forbidden", Some("Bearer error=\"insufficient_scope\""))
            }
            Problem::NotFound => (StatusCode::NOT_FOUND, "Not Found", None),
            Problem::BadRequest => (StatusCode::BAD_REQUEST, "Bad Request", None),
            Problem::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable Content", None),
            Problem::Internal(e) => {
                eprintln!("internal error: {e}");
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error", None)
            }
        };
        let mut body = serde_json::json!({"type": "about:blank", "title": title, "status": status.as_u16()});
        if let Problem::Invalid(detail) = self {
            body["detail"] = detail.into();
        }
        let mut response =
            (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response();
        if let Some(challenge) = challenge {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        response
    }
}

/// The caller's verified claims: the extractor every protected route takes.
struct Principal {
    scopes: String,
}

impl FromRequestParts<Arc<App>> for Principal {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Problem> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(Problem::NoToken)?;
        // The key named by `kid`; an Ed25519 key only verifies tokens whose `alg` is EdDSA.
        let kid = Token::decode_metadata(token).ok().and_then(|m| m.key_id().map(str::to_owned));
        let key = kid.and_then(|kid| app.keys.get(&kid)).ok_or(Problem::InvalidToken)?;
        let claims = key
            .verify_token::<FolioClaims>(token, Some(app.options.clone()))
            .map_err(|_| Problem::InvalidToken)?;
        // jwt-simple accepts a token without `exp`; the app does not.
        let (Some(_), Some(sub)) = (claims.expires_at, claims.subject.as_deref()) else {
            return Err(Problem::InvalidToken);
        };
        let sid = &claims.custom.sid;
        // One Redis GET: a logout deletes the record, and every token of the session is refused.
        let record: Option<Vec<u8>> = app
            .redis
            .clone()
            .get(format!("auth:session:{sub}:{sid}"))
            .await
            .map_err(|e| Problem::Internal(e.to_string()))?;
        let session: Option<Session> = record.and_then(|r| serde_json::from_slice(&r).ok());
        let now = Clock::now_since_epoch().as_secs() as i64;
        match session {
            Some(s) if s.id == *sid && s.account_id == sub && s.vouches_for(token, now) => {
                Ok(Principal { scopes: claims.custom.scope })
            }
            _ => Err(Problem::InvalidToken),
        }
    }
}

impl Principal {
    fn require(&self, scope: &str) -> Result<(), Problem> {
        self.scopes.split_whitespace().any(|s| s == scope).then_some(()).ok_or(Problem::InsufficientScope)
    }
}

async fn get_book(
    State(app): State<Arc<App>>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    principal.require("read:books")?;
    // A primary-key read of a local file takes microseconds, less than handing it to a blocking
    // thread would, so it runs here on the runtime's thread.
    let book = {
        let conn = app.db.get().map_err(|e| Problem::Internal(e.to_string()))?;
        let mut statement = conn
            .prepare_cached(&format!("SELECT {SELECT_COLUMNS} FROM books WHERE id = ?"))
            .map_err(|e| Problem::Internal(e.to_string()))?;
        statement.query_row([&id], book_from_row).optional().map_err(|e| Problem::Internal(e.to_string()))?
    }
    .ok_or(Problem::NotFound)?;
    let etag = format!("\"v{}\"", book.version);
    let cache = [(header::ETAG, etag.clone()), (header::CACHE_CONTROL, "private, no-cache".to_owned())];
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == etag))
    {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((cache, Json(book)).into_response())
}

async fn list_books(
    State(app): State<Arc<App>>,
    principal: Principal,
    Query(params): Query<list::Params>,
) -> Result<Response, Problem> {
    principal.require("read:books")?;
    // A page is a millisecond or two of SQLite; it runs on the runtime's thread, as the book read.
    let conn = app.db.get().map_err(|e| Problem::Internal(e.to_string()))?;
    let page = list::page(&conn, params)?;
    Ok(([(header::CACHE_CONTROL, "private, no-cache")], Json(page)).into_response())
}

fn book_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Book> {
    Ok(Book {
        id: row.get(0)?,
        title: row.get(1)?,
        author: row.get(2)?,
        genre: row.get(3)?,
        isbn: row.get(4)?,
        published_year: row.get(5)?,
        pages: row.get(6)?,
        price_cents: row.get(7)?,
        language: row.get(8)?,
        description: row.get(9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
        created_by: row.get(12)?,
        version: row.get(13)?,
    })
}

/// The app's public signing keys from its JWKS, by `kid`.
fn fetch_keys(app_url: &str) -> anyhow::Result<HashMap<String, Ed25519PublicKey>> {
    #[derive(Deserialize)]
    struct Jwks {
        keys: Vec<Jwk>,
    }
    #[derive(Deserialize)]
    struct Jwk {
        kid: String,
        crv: String,
        x: String,
    }
    let url = format!("{app_url}/.well-known/jwks.json");
    let text = ureq::get(&url)
        .call()
        .and_then(|response| response.into_body().read_to_string())
        .with_context(|| format!("fetching the app's keys from {url}"))?;
    let jwks: Jwks = serde_json::from_str(&text).with_context(|| format!("{url} is not a JWKS"))?;
    jwks.keys
        .into_iter()
        .filter(|k| k.crv == "Ed25519")
        .map(|k| {
            let key = URL_SAFE_NO_PAD
                .decode(&k.x)
                .map_err(anyhow::Error::from)
                .and_then(|x| Ed25519PublicKey::from_bytes(&x).map_err(anyhow::Error::from))
                .with_context(|| format!("key {} of {url}", k.kid))?;
            Ok((k.kid, key))
        })
        .collect()
}

/// The environment variable `name`, else `default`.
fn var(name: &str, default: Option<&str>) -> anyhow::Result<String> {
    env::var(name).ok().or(default.map(str::to_owned)).with_context(|| format!("{name} must be set"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let keys = fetch_keys(&var("FOLIO_URL", None)?)?;
    let options = VerificationOptions {
        allowed_issuers: Some(HashSet::from([var("FOLIO_ISSUER", Some("folio"))?])),
        allowed_audiences: Some(HashSet::from([var("FOLIO_AUDIENCE", Some("folio-api"))?])),
        time_tolerance: Some(Duration::from_secs(LEEWAY_SECS)),
        ..Default::default()
    };
    let redis_url = var("FOLIO_REDIS", None)?;
    let redis = async { redis::Client::open(redis_url.as_str())?.get_multiplexed_async_connection().await }
        .await
        .with_context(|| format!("connecting to Redis at {redis_url}"))?;
    // Read-only: the twin never writes the app's catalogue.
    let db_path = var("FOLIO_DB", None)?;
    let manager = SqliteConnectionManager::file(&db_path)
        .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX);
    let db = r2d2::Pool::new(manager).with_context(|| format!("opening {db_path}"))?;
    let app = Arc::new(App { keys, options, redis, db });
    let router = Router::new()
        .route("/api/books", get(list_books))
        .route("/api/books/{id}", get(get_book))
        .with_state(app);
    let listen = var("FOLIO_LISTEN", Some("127.0.0.1:8090"))?;
    let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("listening on {listen}"))?;
    axum::serve(listener, router).await.context("serving")?;
    Ok(())
}
