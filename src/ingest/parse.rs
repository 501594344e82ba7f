//! Parsing RAWG list pages into typed games.
//!
//! A page is RAWG's envelope `{count, next, previous, results}`. Each game is checked against
//! [`crate::ingest::model::Game`]: unknown fields are ignored (detail responses and newer API
//! versions carry more), a field of the wrong type or a missing required field is an error that
//! names the page, the game id and the field path. This module never does I/O.

use serde::Deserialize;

use super::model::{Game, OverLimit, limits};

pub use crate::error::ParseError;

/// One parsed page; its games may borrow strings from the page's bytes.
#[derive(Debug)]
pub struct Page<'a> {
    /// The `next` link as RAWG sent it (absolute URL), if any.
    pub next: Option<String>,
    /// RAWG's total for the query, if sent.
    pub count: Option<i64>,
    /// The page's games within the size limits, in page order.
    pub games: Vec<Game<'a>>,
    /// The page's games over a size limit ([`super::model::limits`]), set aside.
    pub quarantined: Vec<Quarantined>,
}

/// A game over a size limit: valid, but not taken in. Kept with the reason, to be landed in
/// the quarantine and counted.
#[derive(Debug, Clone, PartialEq)]
pub struct Quarantined {
    /// RAWG's id.
    pub id: i64,
    /// The version's `updated`: the same version is not quarantined twice.
    pub updated: chrono::NaiveDateTime,
    /// The field over the limit.
    pub field: String,
    /// By how much.
    pub reason: String,
    /// The game's JSON as RAWG sent it (on the rare path that reads a page whole through the
    /// typed reader: as parsed, without the fields gamelake does not use).
    pub raw: String,
}

#[derive(Deserialize)]
struct Envelope {
    count: Option<i64>,
    next: Option<String>,
    results: Option<serde_json::Value>,
}

/// The envelope straight into typed games: the fast path for pages without problems.
#[derive(Deserialize)]
struct TypedEnvelope<'a> {
    count: Option<i64>,
    next: Option<String>,
    #[serde(borrow)]
    results: Vec<Game<'a>>,
}

/// Parses one page; `label` names it in errors (a file path or a redacted URL).
///
/// A page is first read straight into typed games. If anything is wrong with it, it is read
/// again through `serde_json::Value`, game by game, which is slower but can name the game
/// and the field at fault; that careful path decides what is accepted.
pub fn parse_page<'a>(bytes: &'a [u8], label: &str) -> Result<Page<'a>, ParseError> {
    check_size(bytes, label)?;
    // One UTF-8 check of the whole page is cheaper than serde_json's check of every string.
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Ok(page) = serde_json::from_str::<TypedEnvelope>(text)
        && page
            .results
            .iter()
            .all(|g| g.validate().is_ok() && g.over_limit().is_none())
    {
        return Ok(Page {
            next: page.next,
            count: page.count,
            games: page.results,
            quarantined: Vec::new(),
        });
    }
    parse_page_carefully(bytes, label)
}

/// A page over [`limits::PAGE_BYTES`] is refused whole: it cannot be a RAWG list page.
fn check_size(bytes: &[u8], label: &str) -> Result<(), ParseError> {
    if bytes.len() <= limits::PAGE_BYTES {
        return Ok(());
    }
    Err(ParseError::Page {
        page: label.to_string(),
        reason: format!(
            "{} MiB, over the limit of {} MiB for a list page",
            bytes.len() / (1024 * 1024),
            limits::PAGE_BYTES / (1024 * 1024)
        ),
    })
}

/// Parses one page into games that own their strings (slower: for keeping games beyond the
/// page's bytes, as the generator does). Accepts exactly what [`parse_page`] accepts.
pub fn parse_page_owned(bytes: &[u8], label: &str) -> Result<Page<'static>, ParseError> {
    check_size(bytes, label)?;
    parse_page_carefully(bytes, label)
}

fn parse_page_carefully(bytes: &[u8], label: &str) -> Result<Page<'static>, ParseError> {
    let page_err = |reason: String| ParseError::Page {
        page: label.to_string(),
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| page_err(format!("invalid UTF-8: {e}")))?;
    let envelope: Envelope = match serde_json::from_str(text) {
        Ok(envelope) => envelope,
        Err(e) => {
            // `serde_json::Value` refuses some pages the typed reader takes: values nested
            // more than 128 levels deep, or numbers out of range, in fields gamelake does
            // not use (the typed reader skips those unread, as the fast path does). Such a
            // page is taken if the typed reader reads it, so both paths accept the same pages.
            if let Some(page) = parse_typed_owned(text) {
                return Ok(page);
            }
            let start: String = text.trim_start().chars().take(40).collect();
            return Err(page_err(format!("{e} (body starts with {start:?})")));
        }
    };
    let results = match envelope.results {
        Some(serde_json::Value::Array(items)) => items,
        Some(other) => {
            return Err(page_err(format!(
                "`results` is {} instead of a list",
                json_kind(&other)
            )));
        }
        None => return Err(page_err("`results` is missing".to_string())),
    };
    let mut games = Vec::with_capacity(results.len());
    let mut quarantined = Vec::new();
    for (i, value) in results.into_iter().enumerate() {
        match parse_game(value, label, i)? {
            Parsed::Game(g) => games.push(*g),
            Parsed::Quarantined(q) => quarantined.push(q),
        }
    }
    Ok(Page {
        next: envelope.next,
        count: envelope.count,
        games,
        quarantined,
    })
}

/// The whole page read straight into owned typed games (a reader cannot lend strings), or
/// `None` when that fails or a game breaks a rule.
fn parse_typed_owned(text: &str) -> Option<Page<'static>> {
    #[derive(Deserialize)]
    struct Owned<'a> {
        count: Option<i64>,
        next: Option<String>,
        #[serde(borrow)]
        results: Vec<Game<'a>>,
    }
    let mut de = serde_json::Deserializer::from_reader(text.as_bytes());
    let page = Owned::<'static>::deserialize(&mut de).ok()?;
    de.end().ok()?;
    if !page.results.iter().all(|g| g.validate().is_ok()) {
        return None;
    }
    let (mut games, mut quarantined) = (Vec::new(), Vec::new());
    for game in page.results {
        match game.over_limit() {
            None => games.push(game),
            Some(OverLimit { field, reason }) => quarantined.push(Quarantined {
                id: game.id,
                updated: game.updated,
                field,
                reason,
                raw: serde_json::to_string(&game).ok()?,
            }),
        }
    }
    Some(Page {
        next: page.next,
        count: page.count,
        games,
        quarantined,
    })
}

/// What the careful path makes of one game.
enum Parsed {
    Game(Box<Game<'static>>),
    Quarantined(Quarantined),
}

/// A refusal's reason, at most a line a person reads: serde quotes the offending value,
/// which may be megabytes long.
fn short(reason: String) -> String {
    const HEAD: usize = 160;
    const TAIL: usize = 80;
    let n = reason.chars().count();
    if n <= HEAD + TAIL + 20 {
        return reason;
    }
    let head: String = reason.chars().take(HEAD).collect();
    let tail: String = reason.chars().skip(n - TAIL).collect();
    format!("{head}… ({} characters left out) …{tail}", n - HEAD - TAIL)
}

fn parse_game(value: serde_json::Value, label: &str, index: usize) -> Result<Parsed, ParseError> {
    let game = match value.get("id") {
        Some(serde_json::Value::Number(n)) => format!("id {n}"),
        Some(other) => format!("#{} (id is {})", index + 1, json_kind(other)),
        None => format!("#{} (no id)", index + 1),
    };
    let game_err = |field: String, reason: String| ParseError::Game {
        page: label.to_string(),
        game: game.clone(),
        field: short(field),
        reason: short(reason),
    };
    if !value.is_object() {
        return Err(game_err(
            ".".into(),
            format!("is {} instead of an object", json_kind(&value)),
        ));
    }
    // A clone, so a game over a limit can be kept as RAWG sent it (this is the slow path).
    let parsed: Game<'static> = serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let field = e.path().to_string();
        let reason = e.into_inner().to_string();
        game_err(field, reason)
    })?;
    parsed
        .validate()
        .map_err(|(field, reason)| game_err(field.to_string(), reason))?;
    Ok(match parsed.over_limit() {
        None => Parsed::Game(Box::new(parsed)),
        Some(OverLimit { field, reason }) => Parsed::Quarantined(Quarantined {
            id: parsed.id,
            updated: parsed.updated,
            field,
            reason,
            raw: value.to_string(),
        }),
    })
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/rawg");

    fn game_json(extra: &str) -> String {
        format!(
            r#"{{"count": 1, "next": null, "results": [{{"id": 7, "slug": "s", "name": "n",
            "updated": "2019-10-22T14:06:11", "released": null, "tba": true {extra}}}]}}"#
        )
    }

    #[test]
    fn a_recorded_page_parses_with_every_game() {
        let bytes = std::fs::read(format!("{SHARED}/games-released-2015/page-0001.json"))
            .expect("recorded page (../shared/data/rawg)");
        let page = parse_page(&bytes, "page-0001.json").expect("parse");
        assert_eq!(page.games.len(), 40);
        assert!(page.next.as_deref().unwrap_or("").contains("page=2"));
    }

    #[test]
    fn strings_borrow_the_page_unless_json_escaped_them() {
        use std::borrow::Cow;
        let text = game_json(r#", "background_image": "https://x/\u00e9.jpg""#)
            .replace(r#""name": "n""#, r#""name": "Caf\u00e9 \"Noir\"""#);
        let page = parse_page(text.as_bytes(), "p").expect("parse");
        let game = &page.games[0];
        assert!(matches!(game.slug.0, Cow::Borrowed("s")), "{:?}", game.slug);
        assert_eq!(game.name.as_str(), "Café \"Noir\"");
        assert!(matches!(game.name.0, Cow::Owned(_)));
        assert_eq!(game.background_image.as_deref(), Some("https://x/é.jpg"));
        // The careful path owns everything and agrees on every value.
        let owned = parse_page_owned(text.as_bytes(), "p").expect("parse");
        assert_eq!(owned.games, page.games);
    }

    #[test]
    fn verbatim_pages_and_details_with_extra_nesting_parse() {
        for file in [
            "verbatim/games-page-dates-platforms.json",
            "verbatim/games-search-doom.json",
        ] {
            let bytes = std::fs::read(format!("{SHARED}/{file}")).expect("verbatim page");
            parse_page(&bytes, file).expect(file);
        }
        let details: Vec<serde_json::Value> = serde_json::from_slice(
            &std::fs::read(format!("{SHARED}/verbatim/game-details-150.json")).expect("details"),
        )
        .expect("json");
        for (i, d) in details.into_iter().enumerate() {
            assert!(matches!(
                parse_game(d, "game-details-150.json", i),
                Ok(Parsed::Game(_))
            ));
        }
    }

    #[test]
    fn a_wrong_type_names_page_game_and_field() {
        let text = game_json(r#", "rating": "high""#);
        let err = parse_page(text.as_bytes(), "p9").expect_err("wrong type");
        let msg = err.to_string();
        assert!(
            msg.contains("p9") && msg.contains("id 7") && msg.contains("rating"),
            "{msg}"
        );
    }

    #[test]
    fn nested_wrong_types_name_the_path() {
        let text = game_json(r#", "genres": [{"id": "x", "name": "a", "slug": "a"}]"#);
        let msg = parse_page(text.as_bytes(), "p1")
            .expect_err("bad")
            .to_string();
        assert!(msg.contains("genres[0].id"), "{msg}");
    }

    #[test]
    fn null_lists_ints_for_floats_and_unknown_fields_are_accepted() {
        let text = game_json(
            r#", "platforms": null, "stores": null, "tags": null, "rating": 4, "brand_new": {"x": 1}"#,
        );
        let page = parse_page(text.as_bytes(), "p").expect("parse");
        assert_eq!(page.games[0].rating, 4.0);
        assert!(page.games[0].platforms.is_none());
    }

    #[test]
    fn a_game_over_a_limit_is_set_aside_naming_the_field() {
        let long = "g".repeat(limits::MEMBER_NAME + 1);
        let text = game_json(&format!(
            r#", "genres": [{{"id": 1, "name": "{long}", "slug": "g"}}]"#
        ));
        let page = parse_page(text.as_bytes(), "p").expect("taken");
        assert!(page.games.is_empty());
        assert_eq!(page.quarantined.len(), 1);
        let q = &page.quarantined[0];
        assert_eq!((q.id, q.field.as_str()), (7, "genres[0].name"));
        assert!(q.reason.contains("501 characters") && q.raw.contains(&long));
        // At the limit, taken.
        let ok = "g".repeat(limits::MEMBER_NAME);
        let text = game_json(&format!(
            r#", "genres": [{{"id": 1, "name": "{ok}", "slug": "g"}}]"#
        ));
        assert_eq!(
            parse_page(text.as_bytes(), "p").expect("taken").games.len(),
            1
        );
    }

    #[test]
    fn a_huge_value_is_cut_in_the_refusal() {
        let text = game_json(&format!(r#", "rating": "{}""#, "x".repeat(100_000)));
        let msg = parse_page(text.as_bytes(), "p")
            .expect_err("wrong type")
            .to_string();
        assert!(
            msg.len() < 400 && msg.contains("field `rating`") && msg.contains("expected f64"),
            "{} chars: {}",
            msg.len(),
            &msg[..msg.len().min(400)]
        );
    }

    #[test]
    fn deep_nesting_in_an_unused_field_is_taken_by_both_paths() {
        let deep = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
        let text = game_json(&format!(r#", "unused": {deep}"#));
        let fast = parse_page(text.as_bytes(), "p").expect("fast path");
        let owned = parse_page_owned(text.as_bytes(), "p").expect("careful path");
        assert_eq!(fast.games, owned.games);
        // Where a RAWG field is expected, both refuse, naming the page.
        let text = game_json(&format!(r#", "genres": {deep}"#));
        let msg = parse_page(text.as_bytes(), "p9")
            .expect_err("deep")
            .to_string();
        assert!(
            msg.starts_with("page p9") && msg.contains("recursion limit"),
            "{msg}"
        );
    }

    #[test]
    fn malformed_envelopes_are_named() {
        for (body, needle) in [
            ("<html>oops</html>", "body starts with \"<html>"),
            (r#"{"count": 1}"#, "`results` is missing"),
            (r#"{"results": {}}"#, "instead of a list"),
            (r#"{"results": [{"name": "x"}]}"#, "no id"),
            (
                r#"{"results": [{"id": "12", "name": "x"}]}"#,
                "id is a string",
            ),
        ] {
            let msg = parse_page(body.as_bytes(), "p")
                .expect_err(body)
                .to_string();
            assert!(msg.contains(needle), "{body}: {msg}");
        }
    }
}
