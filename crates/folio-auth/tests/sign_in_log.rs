//! What the operator's log says about failed and throttled sign-ins: why each failed, which
//! account (when there is one) and a key of the address (never the address or the password), so
//! a password guessed on one account can be told from a list of addresses tried.

mod common;

use common::*;
use folio_native::TestApp;
use serde_json::Value;

fn events(app: &TestApp, username: &str, password: &str) -> Vec<Value> {
    let (_, lines) = folio_core::log::capture(|| password_grant(app, username, password));
    lines.into_iter().filter(|l| l["event"].as_str().is_some_and(|e| e.starts_with("sign_in"))).collect()
}

#[test]
fn failed_and_throttled_sign_ins_say_why_without_the_address() {
    let app = TestApp::new();
    assert_eq!(register(&app, "ann@example.com", PASSWORD).status(), 201);
    let wrong = events(&app, "Ann@Example.com", "not the password at all");
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert_eq!(wrong[0]["reason"], "wrong_password");
    assert!(wrong[0]["account"].is_string());
    let key = wrong[0]["address_key"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 16);

    let unknown = events(&app, "nobody@example.com", "not the password at all");
    assert_eq!(unknown[0]["reason"], "unknown_address");
    assert!(unknown[0]["account"].is_null());
    assert_ne!(unknown[0]["address_key"], key.as_str());

    for _ in 0..4 {
        events(&app, "ann@example.com", "still not the password");
    }
    let throttled = events(&app, "ann@example.com", PASSWORD);
    assert_eq!(throttled.len(), 1, "{throttled:?}");
    assert_eq!(throttled[0]["event"], "sign_in_throttled");
    assert_eq!(throttled[0]["reason"], "locked_out");
    assert_eq!(throttled[0]["address_key"], key.as_str(), "the same address, however it was typed");
    for line in wrong.iter().chain(&unknown).chain(&throttled) {
        let text = line.to_string();
        for secret in ["example.com", "ann@", "not the password", PASSWORD] {
            assert!(!text.to_lowercase().contains(&secret.to_lowercase()), "{secret} in {text}");
        }
    }
}
