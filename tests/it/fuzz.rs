//! The page parser under mutation: recorded pages with bytes flipped, cut short, fields of
//! another type, values nested deep, numbers out of range. The parser sees untrusted bytes
//! from the network; whatever it is given, it must not panic or hang, must agree with its
//! owning twin, and every refusal must be one short line that names the page (and, for a
//! game, the game and the field).
//!
//! Deterministic: the cases come from a fixed seed (`GAMELAKE_FUZZ_SEED` and
//! `GAMELAKE_FUZZ_CASES` run others). An input that ever broke the parser is kept in
//! `tests/corpus/` with its expectation in `bad_input.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gamelake::ingest::parse::{ParseError, parse_page, parse_page_owned};
use serde_json::Value;

use crate::support;

/// Longest refusal line accepted: a line a person reads, whatever the input held.
const MAX_LINE: usize = 600;

fn recorded_pages() -> Vec<(String, Vec<u8>)> {
    let mut pages = Vec::new();
    for dir in [support::pages_2015(), support::pages_2016()] {
        for i in (1..=250).step_by(5) {
            let path = dir.join(format!("page-{i:04}.json"));
            pages.push((
                path.display().to_string(),
                std::fs::read(&path).expect("recorded page"),
            ));
        }
    }
    pages
}

/// A value of another JSON type than `v`.
fn other_type(rng: &mut fastrand::Rng, v: &Value) -> Value {
    let choices = [
        Value::Null,
        Value::Bool(true),
        Value::from(rng.i64(..)),
        Value::from(-0.5),
        Value::from("text"),
        serde_json::json!([1, "two", null]),
        serde_json::json!({"id": "x"}),
    ];
    loop {
        let c = choices[rng.usize(..choices.len())].clone();
        if std::mem::discriminant(&c) != std::mem::discriminant(v) {
            return c;
        }
    }
}

/// A random game and one of its fields (a path into nested lists and objects too).
fn pick_field<'a>(rng: &mut fastrand::Rng, page: &'a mut Value) -> Option<&'a mut Value> {
    let n = page.get("results")?.as_array()?.len();
    if n == 0 {
        return None;
    }
    // A JSON pointer, walked down one to three levels below a game.
    let mut pointer = format!("/results/{}", rng.usize(..n));
    for _ in 0..rng.usize(1..=3) {
        let step = match page.pointer(&pointer)? {
            Value::Object(map) if !map.is_empty() => map
                .keys()
                .nth(rng.usize(..map.len()))?
                .replace('~', "~0")
                .replace('/', "~1"),
            Value::Array(items) if !items.is_empty() => rng.usize(..items.len()).to_string(),
            _ => break,
        };
        pointer = format!("{pointer}/{step}");
    }
    page.pointer_mut(&pointer)
}

/// One mutation of `bytes`, and what it was (for the failure message).
fn mutate(rng: &mut fastrand::Rng, bytes: &[u8]) -> (Vec<u8>, &'static str) {
    match rng.u8(..6) {
        0 => {
            let mut b = bytes.to_vec();
            for _ in 0..rng.usize(1..=8) {
                let i = rng.usize(..b.len());
                b[i] = match rng.u8(..3) {
                    0 => b[i] ^ (1 << rng.u8(..8)),
                    1 => {
                        let json = b"{}[]\":,\\0-e.ntfu";
                        json[rng.usize(..json.len())]
                    }
                    _ => rng.u8(..),
                };
            }
            (b, "bytes flipped")
        }
        1 => (bytes[..rng.usize(..bytes.len())].to_vec(), "truncated"),
        kind => {
            let mut page: Value = serde_json::from_slice(bytes).expect("recorded page is JSON");
            let what = match kind {
                2 => {
                    if let Some(f) = pick_field(rng, &mut page) {
                        *f = other_type(rng, f);
                    }
                    "a field of another type"
                }
                3 => {
                    if let Some(f) = pick_field(rng, &mut page) {
                        *f = Value::String(String::new()); // replaced by the nesting below
                    }
                    "nested deep"
                }
                4 => {
                    if let Some(f) = pick_field(rng, &mut page) {
                        *f = Value::String("\u{1}HUGE\u{1}".into());
                    }
                    "a number out of range"
                }
                _ => {
                    if let Some(f) = pick_field(rng, &mut page) {
                        *f = Value::String("x".repeat(rng.usize(10_000..200_000)));
                    }
                    "a long string"
                }
            };
            let text = page.to_string();
            let text = match kind {
                3 => {
                    let depth = rng.usize(100..20_000);
                    text.replacen(
                        "\"\"",
                        &format!("{}1{}", "[".repeat(depth), "]".repeat(depth)),
                        1,
                    )
                }
                4 => {
                    let huge = [
                        "1e400",
                        "-1e400",
                        "18446744073709551616",
                        "-99999999999999999999999999",
                        "123456789012345678901234567890.5",
                    ][rng.usize(..5)];
                    text.replacen("\"\\u0001HUGE\\u0001\"", huge, 1)
                }
                _ => text,
            };
            (text.into_bytes(), what)
        }
    }
}

/// What one parse came to: games taken and quarantined, or the refusal's text.
fn outcome(bytes: &[u8], label: &str) -> Result<(usize, usize), (String, bool)> {
    parse_page(bytes, label)
        .map(|p| (p.games.len(), p.quarantined.len()))
        .map_err(|e| (e.to_string(), matches!(e, ParseError::Game { .. })))
}

#[test]
fn mutated_pages_are_refused_in_one_line_or_taken_never_a_panic() {
    let cases: usize = std::env::var("GAMELAKE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let seed: u64 = std::env::var("GAMELAKE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261203);
    let pages = Arc::new(recorded_pages());
    let current = Arc::new(AtomicUsize::new(0));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let (p, c) = (pages.clone(), current.clone());
    // The cases run on their own thread so a hang shows as a failure, not a stuck CI run.
    std::thread::spawn(move || {
        let mut rng = fastrand::Rng::with_seed(seed);
        let (mut refused, mut taken) = (0usize, 0usize);
        let mut failures = Vec::new();
        for case in 0..cases {
            c.store(case, Ordering::Relaxed);
            let (label, bytes) = &p[rng.usize(..p.len())];
            let (mutated, what) = mutate(&mut rng, bytes);
            let name = format!("case {case} ({what}) of {label}");
            let fast = std::panic::catch_unwind(|| outcome(&mutated, label));
            let owned = std::panic::catch_unwind(|| {
                parse_page_owned(&mutated, label)
                    .map(|p| (p.games.len(), p.quarantined.len()))
                    .map_err(|e| e.to_string())
            });
            match (fast, owned) {
                (Err(_), _) | (_, Err(_)) => failures.push(format!("{name}: panicked")),
                (Ok(fast), Ok(owned)) => {
                    if fast.as_ref().map_err(|(m, _)| m) != owned.as_ref() {
                        let cut = |r: Result<&(usize, usize), &String>| {
                            format!("{r:?}").chars().take(200).collect::<String>()
                        };
                        failures.push(format!(
                            "{name}: the two parsers disagree: {} against {}",
                            cut(fast.as_ref().map_err(|(m, _)| m)),
                            cut(owned.as_ref())
                        ));
                    }
                    match fast {
                        Ok(_) => taken += 1,
                        Err((line, is_game)) => {
                            refused += 1;
                            let names_game = !is_game
                                || (line.contains(", game ") && line.contains(": field `"));
                            if line.contains('\n')
                                || line.len() > MAX_LINE
                                || !line.starts_with(&format!("page {label}"))
                                || !names_game
                            {
                                let shown: String = line.chars().take(300).collect();
                                failures.push(format!(
                                    "{name}: refusal is not one short line naming page, game \
                                     and field ({} chars): {shown}",
                                    line.len()
                                ));
                            }
                        }
                    }
                }
            }
        }
        let _ = done_tx.send((refused, taken, failures));
    });
    let (refused, taken, failures) = match done_rx.recv_timeout(Duration::from_secs(300)) {
        Ok(done) => done,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
            "the parser hung on case {} (seed {seed})",
            current.load(Ordering::Relaxed)
        ),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!(
            "the fuzz loop itself failed at case {} (seed {seed})",
            current.load(Ordering::Relaxed)
        ),
    };
    println!("fuzz: {cases} cases (seed {seed}): {refused} refused, {taken} taken");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    assert!(
        refused > cases / 2 && taken > 0,
        "the mutations no longer reach the parser: {refused} refused, {taken} taken"
    );
}
