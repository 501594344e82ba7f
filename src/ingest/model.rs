//! The RAWG game as gamelake keeps it: the fields of `/api/games` list results, with RAWG's
//! nesting (lists of structs for platforms, stores, genres, tags, ratings; structs for
//! `esrb_rating` and `added_by_status`).
//!
//! Required: `id`, `name`, `slug`, `updated`. Counts RAWG may omit default to 0; lists may be
//! `null` and stay `null` (the raw layer keeps what RAWG sent; the ETL treats null as empty).
//! Unknown fields are ignored. The field order here is the raw parquet column order, which
//! [`crate::raw::raw_schema`] describes (the lander builds columns from these fields in that
//! order, and its tests compare the result with what arrow-json makes of the same games).
//!
//! Strings are [`Text`]: parsed from a page, they borrow its bytes (a page holds ~70 strings
//! per game, and an allocation for each was the ingest's largest single cost); parsed through
//! `serde_json::Value` or made by hand they are owned (`Game<'static>`).

use std::borrow::Cow;
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// A string of a game: borrowed from the page it was parsed from where JSON needed no
/// unescaping, owned otherwise.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Text<'a>(pub Cow<'a, str>);

impl Text<'_> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl From<String> for Text<'_> {
    fn from(s: String) -> Self {
        Text(Cow::Owned(s))
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Self {
        Text(Cow::Borrowed(s))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// `{id, name, slug}`: genres, platforms, stores, ESRB ratings.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Named<'a> {
    /// RAWG's id.
    pub id: i64,
    /// Display name.
    #[serde(borrow)]
    pub name: Text<'a>,
    /// URL slug.
    #[serde(borrow)]
    pub slug: Text<'a>,
}

/// A platform a game is on (`platforms[]`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PlatformEntry<'a> {
    /// The platform.
    #[serde(borrow)]
    pub platform: Named<'a>,
    /// When the game came out there, as RAWG writes it.
    #[serde(default, borrow)]
    pub released_at: Option<Text<'a>>,
}

/// A platform family (`parent_platforms[]`: PC, PlayStation, ...).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ParentPlatformEntry<'a> {
    /// The family.
    #[serde(borrow)]
    pub platform: Named<'a>,
}

/// A store that sells the game (`stores[]`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct StoreEntry<'a> {
    /// The game-store link id (detail responses only).
    #[serde(default)]
    pub id: Option<i64>,
    /// The store.
    #[serde(borrow)]
    pub store: Named<'a>,
}

/// A user tag (`tags[]`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Tag<'a> {
    /// RAWG's id.
    pub id: i64,
    /// Display name.
    #[serde(borrow)]
    pub name: Text<'a>,
    /// URL slug.
    #[serde(borrow)]
    pub slug: Text<'a>,
    /// The tag's language (`eng`, `rus`, ...).
    #[serde(default, borrow)]
    pub language: Option<Text<'a>>,
    /// Games RAWG tags with it.
    #[serde(default)]
    pub games_count: Option<i64>,
    /// A background image URL.
    #[serde(default, borrow)]
    pub image_background: Option<Text<'a>>,
}

/// One rating title's votes (`ratings[]`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Rating<'a> {
    /// RAWG's id of the title.
    pub id: i64,
    /// `exceptional`, `recommended`, `meh` or `skip`.
    #[serde(borrow)]
    pub title: Text<'a>,
    /// Votes.
    pub count: i64,
    /// Share of the game's votes, in percent.
    pub percent: f64,
}

/// How many users list the game in each state (`added_by_status`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddedByStatus {
    /// Wish to play.
    #[serde(default)]
    pub yet: Option<i64>,
    /// Own it.
    #[serde(default)]
    pub owned: Option<i64>,
    /// Have beaten it.
    #[serde(default)]
    pub beaten: Option<i64>,
    /// Plan to play.
    #[serde(default)]
    pub toplay: Option<i64>,
    /// Gave up.
    #[serde(default)]
    pub dropped: Option<i64>,
    /// Are playing.
    #[serde(default)]
    pub playing: Option<i64>,
}

/// A screenshot (`short_screenshots[]`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Screenshot<'a> {
    /// RAWG's id.
    pub id: i64,
    /// Image URL.
    #[serde(borrow)]
    pub image: Option<Text<'a>>,
}

/// One game of a list page.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Game<'a> {
    /// RAWG's id.
    pub id: i64,
    /// URL slug.
    #[serde(borrow)]
    pub slug: Text<'a>,
    /// Title.
    #[serde(borrow)]
    pub name: Text<'a>,
    /// Release date; none when unknown.
    #[serde(default)]
    pub released: Option<NaiveDate>,
    /// To be announced.
    #[serde(default)]
    pub tba: bool,
    /// Cover image URL.
    #[serde(default, borrow)]
    pub background_image: Option<Text<'a>>,
    /// Average rating, 0 to 5.
    #[serde(default)]
    pub rating: f64,
    /// The highest rating title's value.
    #[serde(default)]
    pub rating_top: i32,
    /// Votes per rating title.
    #[serde(default, borrow)]
    pub ratings: Option<Vec<Rating<'a>>>,
    /// Ratings given.
    #[serde(default)]
    pub ratings_count: i64,
    /// Text reviews.
    #[serde(default)]
    pub reviews_text_count: i64,
    /// Users who added the game.
    #[serde(default)]
    pub added: i64,
    /// Users per list state.
    #[serde(default)]
    pub added_by_status: Option<AddedByStatus>,
    /// Metacritic score, if any.
    #[serde(default)]
    pub metacritic: Option<i32>,
    /// Average playtime in hours.
    #[serde(default)]
    pub playtime: i32,
    /// Similar games RAWG suggests.
    #[serde(default)]
    pub suggestions_count: i64,
    /// When RAWG last changed the game: what change data capture follows.
    pub updated: NaiveDateTime,
    /// Reviews.
    #[serde(default)]
    pub reviews_count: i64,
    /// ESRB rating, if any.
    #[serde(default, borrow)]
    pub esrb_rating: Option<Named<'a>>,
    /// Platforms.
    #[serde(default, borrow)]
    pub platforms: Option<Vec<PlatformEntry<'a>>>,
    /// Platform families.
    #[serde(default, borrow)]
    pub parent_platforms: Option<Vec<ParentPlatformEntry<'a>>>,
    /// Stores.
    #[serde(default, borrow)]
    pub stores: Option<Vec<StoreEntry<'a>>>,
    /// Genres.
    #[serde(default, borrow)]
    pub genres: Option<Vec<Named<'a>>>,
    /// Tags.
    #[serde(default, borrow)]
    pub tags: Option<Vec<Tag<'a>>>,
    /// Screenshots.
    #[serde(default, borrow)]
    pub short_screenshots: Option<Vec<Screenshot<'a>>>,
}

/// The sizes a game may have: a game over one is valid JSON but no real RAWG game
/// (real ones stay far below: names up to ~150 characters, up to ~130 tags), and taking it in
/// would carry megabytes into every table and report. It is quarantined, not dropped
/// (`ingest`, `raw/quarantine/`).
pub mod limits {
    /// Characters in a game's `name` or `slug`.
    pub const NAME: usize = 1_000;
    /// Characters in a URL (`background_image`, screenshots, tag images).
    pub const URL: usize = 2_000;
    /// Characters in the name or slug of a platform, store, genre, tag, rating or ESRB rating.
    pub const MEMBER_NAME: usize = 500;
    /// Entries in one of a game's lists (tags, genres, platforms, stores, ratings,
    /// screenshots).
    pub const LIST: usize = 1_000;
    /// Bytes of one list page: larger is not a RAWG page (40 games take ~200 KB).
    pub const PAGE_BYTES: usize = 32 * 1024 * 1024;
}

/// A field over a size limit ([`limits`]): which, and by how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverLimit {
    /// The field's path, e.g. `tags[3].name`.
    pub field: String,
    /// By how much, e.g. "1200 characters, over the limit of 500".
    pub reason: String,
}

/// `text` over `max` characters: the field (named only then) and by how much.
fn over_chars(field: impl FnOnce() -> String, text: &str, max: usize) -> Option<OverLimit> {
    // Bytes bound characters: most strings need no count.
    if text.len() <= max {
        return None;
    }
    let n = text.chars().count();
    (n > max).then(|| OverLimit {
        field: field(),
        reason: format!("{n} characters, over the limit of {max}"),
    })
}

/// Member `i` of list `field` with a name or slug over [`limits::MEMBER_NAME`].
fn over_member(field: &str, i: usize, m: &Named<'_>) -> Option<OverLimit> {
    over_chars(
        || format!("{field}[{i}].name"),
        &m.name.0,
        limits::MEMBER_NAME,
    )
    .or_else(|| {
        over_chars(
            || format!("{field}[{i}].slug"),
            &m.slug.0,
            limits::MEMBER_NAME,
        )
    })
}

/// The first of `members` over a limit.
fn first_member_over<'m, 'a: 'm>(
    field: &str,
    members: impl Iterator<Item = &'m Named<'a>>,
) -> Option<OverLimit> {
    members
        .enumerate()
        .find_map(|(i, m)| over_member(field, i, m))
}

impl Game<'_> {
    /// The first size limit ([`limits`]) this game is over: the field and by how much.
    /// Runs on every game of every page: nothing is allocated unless a limit is crossed.
    pub fn over_limit(&self) -> Option<OverLimit> {
        self.text_over_limit()
            .or_else(|| self.list_over_limit())
            .or_else(|| self.tag_over_limit())
            .or_else(|| self.member_over_limit())
            .or_else(|| self.item_over_limit())
    }

    fn text_over_limit(&self) -> Option<OverLimit> {
        over_chars(|| "name".into(), &self.name.0, limits::NAME)
            .or_else(|| over_chars(|| "slug".into(), &self.slug.0, limits::NAME))
            .or_else(|| {
                self.background_image
                    .as_ref()
                    .and_then(|u| over_chars(|| "background_image".into(), &u.0, limits::URL))
            })
    }

    fn list_over_limit(&self) -> Option<OverLimit> {
        let n = |l: Option<usize>| l.unwrap_or(0);
        let lists = [
            ("tags", n(self.tags.as_ref().map(Vec::len))),
            ("genres", n(self.genres.as_ref().map(Vec::len))),
            ("platforms", n(self.platforms.as_ref().map(Vec::len))),
            (
                "parent_platforms",
                n(self.parent_platforms.as_ref().map(Vec::len)),
            ),
            ("stores", n(self.stores.as_ref().map(Vec::len))),
            ("ratings", n(self.ratings.as_ref().map(Vec::len))),
            (
                "short_screenshots",
                n(self.short_screenshots.as_ref().map(Vec::len)),
            ),
        ];
        lists.iter().find_map(|(field, len)| {
            (*len > limits::LIST).then(|| OverLimit {
                field: field.to_string(),
                reason: format!("{len} entries, over the limit of {}", limits::LIST),
            })
        })
    }

    fn tag_over_limit(&self) -> Option<OverLimit> {
        self.tags.iter().flatten().enumerate().find_map(|(i, t)| {
            over_chars(|| format!("tags[{i}].name"), &t.name.0, limits::MEMBER_NAME)
                .or_else(|| {
                    over_chars(|| format!("tags[{i}].slug"), &t.slug.0, limits::MEMBER_NAME)
                })
                .or_else(|| {
                    t.image_background.as_ref().and_then(|u| {
                        over_chars(|| format!("tags[{i}].image_background"), &u.0, limits::URL)
                    })
                })
        })
    }

    fn member_over_limit(&self) -> Option<OverLimit> {
        first_member_over("genres", self.genres.iter().flatten())
            .or_else(|| {
                first_member_over(
                    "platforms",
                    self.platforms.iter().flatten().map(|p| &p.platform),
                )
            })
            .or_else(|| {
                first_member_over(
                    "parent_platforms",
                    self.parent_platforms.iter().flatten().map(|p| &p.platform),
                )
            })
            .or_else(|| first_member_over("stores", self.stores.iter().flatten().map(|s| &s.store)))
            .or_else(|| first_member_over("esrb_rating", self.esrb_rating.iter()))
    }

    /// Rating titles and screenshot URLs.
    fn item_over_limit(&self) -> Option<OverLimit> {
        let mut ratings = self.ratings.iter().flatten().enumerate();
        let screenshots = self.short_screenshots.iter().flatten().enumerate();
        ratings
            .find_map(|(i, r)| {
                over_chars(
                    || format!("ratings[{i}].title"),
                    &r.title.0,
                    limits::MEMBER_NAME,
                )
            })
            .or_else(|| {
                screenshots
                    .filter_map(|(i, s)| s.image.as_ref().map(|u| (i, u)))
                    .find_map(|(i, u)| {
                        over_chars(
                            || format!("short_screenshots[{i}].image"),
                            &u.0,
                            limits::URL,
                        )
                    })
            })
    }

    /// Checks what types alone cannot. Returns the offending field and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.id <= 0 {
            return Err(("id", format!("must be a positive integer, got {}", self.id)));
        }
        if !self.rating.is_finite() {
            return Err(("rating", "is not a finite number".to_string()));
        }
        Ok(())
    }
}
