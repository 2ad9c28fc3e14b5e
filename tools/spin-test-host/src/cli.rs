//! Command-line arguments, parsed by hand: four flags do not justify a parser dependency in a
//! tool whose build time is dominated by wasmtime.

use std::net::SocketAddr;
use std::path::PathBuf;

pub const USAGE: &str = "\
spin-test-host: a Spin-compatible host for folio's tests and benchmarks (not a way to run the app)

USAGE:
    spin-test-host --manifest PATH/spin.toml [--listen 127.0.0.1:PORT] [--state-dir DIR]
                   [--runtime-config-file FILE] [--time-instantiation N]

OPTIONS:
    --manifest PATH             the application manifest (spin.toml, manifest version 2)
    --listen ADDR               loopback address to serve on [default: 127.0.0.1:3000];
                                port 0 picks a free port
    --state-dir DIR             where the default key-value store and SQLite database live
                                [default: .spin beside the manifest]
    --runtime-config-file FILE  Spin runtime configuration (key_value_store.*, sqlite_database.*)
    --time-instantiation N      do not serve: instantiate each component N times (as every
                                request does), print one JSON line of timings per component
                                and exit (bench/run.py reports them)

Application variables are read from SPIN_VARIABLE_<NAME> environment variables, as Spin does.
Once listening, the host prints `serving http://ADDR`.";

/// What the host was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub manifest: PathBuf,
    pub listen: SocketAddr,
    pub state_dir: Option<PathBuf>,
    pub runtime_config_file: Option<PathBuf>,
    /// Measure instantiation this many times per component instead of serving.
    pub time_instantiation: Option<u32>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CliError {
    #[error("help requested")]
    HelpRequested,
    #[error("missing required option --manifest")]
    MissingManifest,
    #[error("option {0} needs a value")]
    MissingValue(String),
    #[error("unknown argument {0:?}")]
    UnknownArgument(String),
    #[error("--listen {0:?} is not an address like 127.0.0.1:3000")]
    BadListenAddress(String),
    #[error("--time-instantiation {0:?} is not a count from 1 to 100000")]
    BadCount(String),
    #[error("--listen {0} is not a loopback address: this test host only serves loopback")]
    NotLoopback(SocketAddr),
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, CliError> {
    let mut manifest = None;
    let mut listen = "127.0.0.1:3000".to_owned();
    let mut state_dir = None;
    let mut runtime_config_file = None;
    let mut time_instantiation = None;

    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Err(CliError::HelpRequested);
        }
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.into())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline_value.clone().or_else(|| args.next()).ok_or_else(|| CliError::MissingValue(flag.clone()))
        };
        match flag.as_str() {
            "--manifest" | "-f" | "--from" => manifest = Some(PathBuf::from(value()?)),
            "--listen" => listen = value()?,
            "--state-dir" => state_dir = Some(PathBuf::from(value()?)),
            "--runtime-config-file" => runtime_config_file = Some(PathBuf::from(value()?)),
            "--time-instantiation" => {
                let raw = value()?;
                match raw.parse::<u32>() {
                    Ok(n) if (1..=100_000).contains(&n) => time_instantiation = Some(n),
                    _ => return Err(CliError::BadCount(raw)),
                }
            }
            _ => return Err(CliError::UnknownArgument(arg)),
        }
    }

    let listen: SocketAddr = listen.parse().map_err(|_| CliError::BadListenAddress(listen.clone()))?;
    if !listen.ip().is_loopback() {
        return Err(CliError::NotLoopback(listen));
    }
    Ok(Args {
        manifest: manifest.ok_or(CliError::MissingManifest)?,
        listen,
        state_dir,
        runtime_config_file,
        time_instantiation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Args, CliError> {
        parse(s.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn parses_every_option_in_both_spellings() {
        let args = parse_str(
            "--manifest app/spin.toml --listen=127.0.0.1:0 --state-dir s --runtime-config-file rc.toml",
        )
        .unwrap();
        assert_eq!(args.manifest, PathBuf::from("app/spin.toml"));
        assert_eq!(args.listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(args.state_dir, Some(PathBuf::from("s")));
        assert_eq!(args.runtime_config_file, Some(PathBuf::from("rc.toml")));
        assert_eq!(args.time_instantiation, None);
        assert_eq!(parse_str("--manifest a --time-instantiation 50").unwrap().time_instantiation, Some(50));
    }

    #[test]
    fn defaults_like_spin_up() {
        let args = parse_str("--manifest spin.toml").unwrap();
        assert_eq!(args.listen, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(args.state_dir, None);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(parse_str(""), Err(CliError::MissingManifest));
        assert_eq!(parse_str("--manifest"), Err(CliError::MissingValue("--manifest".into())));
        assert_eq!(parse_str("--manifest a --bogus"), Err(CliError::UnknownArgument("--bogus".into())));
        assert_eq!(
            parse_str("--manifest a --listen nowhere"),
            Err(CliError::BadListenAddress("nowhere".into()))
        );
        assert!(matches!(parse_str("--manifest a --listen 0.0.0.0:80"), Err(CliError::NotLoopback(_))));
        for bad in ["0", "-1", "many", "100001"] {
            assert_eq!(
                parse_str(&format!("--manifest a --time-instantiation {bad}")),
                Err(CliError::BadCount(bad.into()))
            );
        }
    }
}
