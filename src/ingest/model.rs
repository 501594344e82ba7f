//! The RAWG game as gamelake keeps it: the fields of `/api/games` list results, with RAWG's
//! nesting (lists of structs for platforms, stores, genres, tags, ratings; structs for
//! `esrb_rating` and `added_by_status`).
//!
//! Required: `id`, `name`, `slug`, `updated`. Counts RAWG may omit default to 0; lists may be
//! `null` and stay `null` (the raw layer keeps what RAWG sent; the ETL treats null as empty).
//! Unknown fields are ignored. The field order here is the raw parquet column order.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// `{id, name, slug}`: genres, platforms, stores, ESRB ratings.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PlatformEntry {
    pub platform: Named,
    #[serde(default)]
    pub released_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ParentPlatformEntry {
    pub platform: Named,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct StoreEntry {
    /// The game-store link id (detail responses only).
    #[serde(default)]
    pub id: Option<i64>,
    pub store: Named,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub games_count: Option<i64>,
    #[serde(default)]
    pub image_background: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Rating {
    pub id: i64,
    pub title: String,
    pub count: i64,
    pub percent: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AddedByStatus {
    #[serde(default)]
    pub yet: Option<i64>,
    #[serde(default)]
    pub owned: Option<i64>,
    #[serde(default)]
    pub beaten: Option<i64>,
    #[serde(default)]
    pub toplay: Option<i64>,
    #[serde(default)]
    pub dropped: Option<i64>,
    #[serde(default)]
    pub playing: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Screenshot {
    pub id: i64,
    pub image: Option<String>,
}

/// One game of a list page.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Game {
    pub id: i64,
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub released: Option<NaiveDate>,
    #[serde(default)]
    pub tba: bool,
    #[serde(default)]
    pub background_image: Option<String>,
    #[serde(default)]
    pub rating: f64,
    #[serde(default)]
    pub rating_top: i32,
    #[serde(default)]
    pub ratings: Option<Vec<Rating>>,
    #[serde(default)]
    pub ratings_count: i64,
    #[serde(default)]
    pub reviews_text_count: i64,
    #[serde(default)]
    pub added: i64,
    #[serde(default)]
    pub added_by_status: Option<AddedByStatus>,
    #[serde(default)]
    pub metacritic: Option<i32>,
    #[serde(default)]
    pub playtime: i32,
    #[serde(default)]
    pub suggestions_count: i64,
    pub updated: NaiveDateTime,
    #[serde(default)]
    pub reviews_count: i64,
    #[serde(default)]
    pub esrb_rating: Option<Named>,
    #[serde(default)]
    pub platforms: Option<Vec<PlatformEntry>>,
    #[serde(default)]
    pub parent_platforms: Option<Vec<ParentPlatformEntry>>,
    #[serde(default)]
    pub stores: Option<Vec<StoreEntry>>,
    #[serde(default)]
    pub genres: Option<Vec<Named>>,
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
    #[serde(default)]
    pub short_screenshots: Option<Vec<Screenshot>>,
}

impl Game {
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
