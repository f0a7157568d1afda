//! Any text an admin types as a tier rule: parsing never panics or overflows the stack, an
//! error points inside the text, and a parsed rule evaluates and explains itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tier_rule::{Facts, explain, parse};

fuzz_target!(|text: &str| {
    match parse(text) {
        Err(error) => assert!(
            error.position <= text.chars().count(),
            "error position {} past the end of {text:?}",
            error.position
        ),
        Ok(expr) => {
            let facts = Facts {
                r: 3,
                f: 5,
                m: 1,
                spend_minor: i64::MAX,
                orders: i32::MIN,
                stage: None,
                tags: vec!["VIP".into(), String::new()],
            };
            // Rules are stored as their text and parsed where used, so a parsed rule need not
            // survive JSON (serde_json's default float parsing is off by an ulp for some
            // 16-digit thresholds: found here, harmless for rules).
            if let Some(expr) = &expr {
                let _ = expr.eval(&facts);
                let _ = expr.metrics();
            }
            let _ = explain(expr.as_ref(), &facts);
        }
    }
});
