//! `gamelake generate`: deterministic RAWG-shaped data at any size, for benchmarks and scale
//! tests. It lives in the binary, not the library: it is a tool for measuring gamelake, not
//! part of what gamelake offers a program.
//!
//! Every distribution comes from the recorded pages: each generated game is a recorded game
//! drawn at random (with the seed), so platforms, stores, genres and tags per game (with their
//! real popularity and up to 125 tags), null rates, ratings, name lengths and non-ASCII names
//! keep their real joint distribution. Each gets a new id (1..=N) and slug, and an `updated`
//! drawn from the recorded ones. A "next day" delta changes x% of the games (later `updated`,
//! another game's rating, genres and tags) and adds y% new ones. Which games change is
//! `--churn`: every game alike, or as the recorded games did ([`Churn::Recorded`]): RAWG's
//! updates fall mostly on its oldest ids (its popular games), so a game's chance follows the
//! share of the recorded games in its tenth of the ids that were updated in the recorded
//! data's last year.
//!
//! Output is list pages in RAWG's envelope (`page-NNNNN.json`, 40 games a page), which
//! `gamelake ingest --source DIR` takes in. Same seed, same bytes.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::Duration;
use gamelake::ingest::model::Game;
use gamelake::ingest::parse::parse_page_owned;
use gamelake::ingest::{DEFAULT_SOURCE, archived_pages};

use crate::args::{Churn, GenerateArgs};

/// Tenths of the ids: what [`Churn::Recorded`] weighs a game's chance of changing by.
const TENTHS: usize = 10;

/// `gamelake generate`: the pages, and the delta when asked for.
pub fn run(args: &GenerateArgs) -> Result<()> {
    for (what, v) in [
        ("--delta-changed", args.delta_changed.unwrap_or(0.0)),
        ("--delta-new", args.delta_new),
    ] {
        if !(0.0..=1.0).contains(&v) {
            bail!("{what} must be between 0 and 1, got {v}");
        }
    }
    let dirs: Vec<&Path> = args.from.iter().map(PathBuf::as_path).collect();
    let sampler = Sampler::from_recorded(&dirs)
        .with_context(|| format!("reading recorded pages from {:?}", args.from))?;
    let base = sampler.games(args.games, args.seed);
    let pages = write_pages(&base, &args.out)?;
    eprintln!(
        "generate: {} games in {pages} pages under {}",
        args.games,
        args.out.display()
    );
    if let (Some(changed), Some(days)) = (args.delta_changed, args.days) {
        return write_days(&sampler, base, changed, args, days);
    }
    if let Some(changed) = args.delta_changed {
        let size = DeltaSize::of(base.len(), changed, args.delta_new);
        let delta = sampler.delta(&base, size, args.churn, args.seed);
        let dir = PathBuf::from(format!("{}-delta", args.out.display()));
        let pages = write_pages(&delta, &dir)?;
        eprintln!(
            "generate: delta of {} games in {pages} pages under {}",
            delta.len(),
            dir.display()
        );
    }
    Ok(())
}

/// `days` daily deltas, each over the games as the days before left them (changed games
/// replaced, new ones added), in `OUT-day-NNN`. The shares are of those games, so the deltas
/// grow with them, or with `--steady-days` of the first day's games, so every day's delta
/// is the same size.
fn write_days(
    sampler: &Sampler,
    mut games: Vec<Game<'static>>,
    changed: f64,
    args: &GenerateArgs,
    days: usize,
) -> Result<()> {
    let mut total = 0;
    let first = games.len();
    for day in 1..=days {
        let base = if args.steady_days { first } else { games.len() };
        let size = DeltaSize::of(base, changed, args.delta_new);
        let delta = sampler.delta(&games, size, args.churn, args.seed + day as u64);
        let dir = PathBuf::from(format!("{}-day-{day:03}", args.out.display()));
        write_pages(&delta, &dir)?;
        total += delta.len();
        for g in delta {
            // Ids run 1..=n without gaps: a game's index is its id less one.
            match usize::try_from(g.id - 1).ok().filter(|&i| i < games.len()) {
                Some(i) => games[i] = g,
                None => games.push(g),
            }
        }
    }
    eprintln!(
        "generate: {days} daily deltas ({total} games) under {}-day-NNN",
        args.out.display()
    );
    Ok(())
}

/// How many games a delta changes and adds.
#[derive(Debug, Clone, Copy)]
pub struct DeltaSize {
    /// Games changed (drawn from the base without repeats, at most all of them).
    pub changed: usize,
    /// New games.
    pub new: usize,
}

impl DeltaSize {
    /// The shares `changed` and `new` of `games` games, rounded.
    pub fn of(games: usize, changed: f64, new: f64) -> Self {
        let share = |s: f64| ((games as f64) * s).round() as usize;
        DeltaSize {
            changed: share(changed),
            new: share(new),
        }
    }
}

/// Recorded games to draw from.
#[derive(Debug, Clone)]
pub struct Sampler {
    games: Vec<Game<'static>>,
    /// For each tenth of the recorded games by id, the share of them updated in the last
    /// year of the recorded data ([`Churn::Recorded`]).
    recent_by_tenth: [f64; TENTHS],
}

impl Sampler {
    /// Reads every `page-*.json` under the given folders.
    pub fn from_recorded(dirs: &[&Path]) -> Result<Self> {
        let mut games = Vec::new();
        for dir in dirs {
            for path in archived_pages(dir)? {
                let bytes =
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                games.extend(parse_page_owned(&bytes, &path.display().to_string())?.games);
            }
        }
        if games.is_empty() {
            bail!("no recorded games to draw from in {dirs:?}");
        }
        let recent_by_tenth = recent_by_tenth(&games);
        Ok(Self {
            games,
            recent_by_tenth,
        })
    }

    fn draw(&self, rng: &mut fastrand::Rng) -> &Game<'static> {
        &self.games[rng.usize(..self.games.len())]
    }

    /// `n` games with ids 1..=n.
    pub fn games(&self, n: usize, seed: u64) -> Vec<Game<'static>> {
        let mut rng = fastrand::Rng::with_seed(seed);
        (1..=n as i64)
            .map(|id| {
                let mut g = self.draw(&mut rng).clone();
                g.slug = format!("{}-{id}", g.slug).into();
                g.id = id;
                g.updated = self.draw(&mut rng).updated;
                g
            })
            .collect()
    }

    /// A next-day delta over `base` (ids 1..=n in order): `size.changed` of its games
    /// changed, chosen as `churn` says, and `size.new` added (ids after the largest in `base`).
    pub fn delta(
        &self,
        base: &[Game<'static>],
        size: DeltaSize,
        churn: Churn,
        seed: u64,
    ) -> Vec<Game<'static>> {
        let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed_de17a);
        let DeltaSize {
            changed: n_changed,
            new: n_new,
        } = size;
        let latest = base.iter().map(|g| g.updated).max();
        let mut out = Vec::with_capacity(n_changed + n_new);
        for i in self.pick_changed(base.len(), n_changed, churn, &mut rng) {
            let mut g = base[i].clone();
            let other = self.draw(&mut rng);
            g.updated = latest.unwrap_or(g.updated) + Duration::days(1);
            g.rating = other.rating;
            g.ratings_count = other.ratings_count;
            g.genres = other.genres.clone();
            g.tags = other.tags.clone();
            out.push(g);
        }
        let next_id = base.iter().map(|g| g.id).max().unwrap_or(0) + 1;
        out.extend(self.games(n_new, seed ^ 0x0e11).into_iter().map(|mut g| {
            g.id += next_id - 1;
            g.slug = format!("{}-new", g.slug).into();
            g.updated = latest.unwrap_or(g.updated) + Duration::days(1);
            g
        }));
        out
    }

    /// `n` distinct indices below `len` (at most `len` of them), chosen as `churn` says.
    fn pick_changed(
        &self,
        len: usize,
        n: usize,
        churn: Churn,
        rng: &mut fastrand::Rng,
    ) -> std::collections::BTreeSet<usize> {
        let total: f64 = self.recent_by_tenth.iter().sum();
        let weighted = churn == Churn::Recorded && total > 0.0 && len >= TENTHS;
        // A tenth can run out of games; past this many weighted draws the rest are uniform.
        let mut weighted_draws = if weighted { n.saturating_mul(100) } else { 0 };
        let mut picked = std::collections::BTreeSet::new();
        while picked.len() < n.min(len) {
            if weighted_draws == 0 {
                picked.insert(rng.usize(..len));
                continue;
            }
            weighted_draws -= 1;
            let mut x = rng.f64() * total;
            let tenth = self
                .recent_by_tenth
                .iter()
                .position(|&w| {
                    let here = x < w;
                    x -= w;
                    here
                })
                .unwrap_or(TENTHS - 1);
            picked.insert(rng.usize(tenth * len / TENTHS..(tenth + 1) * len / TENTHS));
        }
        picked
    }
}

/// For each tenth of `games` by id, the share of them updated within a year of the newest
/// `updated` among them.
fn recent_by_tenth(games: &[Game<'_>]) -> [f64; TENTHS] {
    let mut shares = [0.0; TENTHS];
    let Some(newest) = games.iter().map(|g| g.updated).max() else {
        return shares;
    };
    let since = newest - Duration::days(365);
    let mut by_id: Vec<(i64, bool)> = games.iter().map(|g| (g.id, g.updated >= since)).collect();
    by_id.sort_unstable();
    for (tenth, share) in shares.iter_mut().enumerate() {
        let part = &by_id[tenth * by_id.len() / TENTHS..(tenth + 1) * by_id.len() / TENTHS];
        if !part.is_empty() {
            *share = part.iter().filter(|(_, recent)| *recent).count() as f64 / part.len() as f64;
        }
    }
    shares
}

/// Writes games as list pages (40 a page) into `dir`; returns the number of pages.
pub fn write_pages(games: &[Game<'_>], dir: &Path) -> Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let pages = games.len().div_ceil(40);
    // Links as RAWG writes them; a replay server rewrites the host to itself.
    let link = |page: usize| {
        (1..=pages)
            .contains(&page)
            .then(|| format!("{DEFAULT_SOURCE}/games?page={page}"))
    };
    for (i, chunk) in games.chunks(40).enumerate() {
        let body = serde_json::json!({
            "count": games.len(),
            "next": link(i + 2),
            "previous": link(i),
            "results": chunk,
        });
        let path = dir.join(format!("page-{:05}.json", i + 1));
        let text = serde_json::to_vec(&body)?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampler() -> Sampler {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/rawg");
        Sampler::from_recorded(&[&root.join("games-released-2015")]).expect("recorded pages")
    }

    #[test]
    fn same_seed_same_games_other_seed_other_games() {
        let s = sampler();
        let a = s.games(500, 7);
        assert_eq!(a, s.games(500, 7));
        assert_ne!(a, s.games(500, 8));
        let ids: std::collections::BTreeSet<i64> = a.iter().map(|g| g.id).collect();
        assert_eq!(ids.len(), 500);
        assert_eq!((ids.first(), ids.last()), (Some(&1), Some(&500)));
    }

    #[test]
    fn distributions_follow_the_recorded_data() {
        let s = sampler();
        let share = |games: &[Game], f: &dyn Fn(&Game) -> bool| {
            games.iter().filter(|g| f(g)).count() as f64 / games.len() as f64
        };
        let generated = s.games(20_000, 1);
        let esrb_null = |g: &Game| g.esrb_rating.is_none();
        let no_platforms = |g: &Game| g.platforms.is_none();
        let non_ascii = |g: &Game| !g.name.is_ascii();
        for (what, f) in [
            ("esrb null", &esrb_null as &dyn Fn(&Game) -> bool),
            ("platforms null", &no_platforms),
            ("non-ASCII name", &non_ascii),
        ] {
            let (real, fake) = (share(&s.games, f), share(&generated, f));
            assert!(
                (real - fake).abs() < 0.02,
                "{what}: recorded {real:.3}, generated {fake:.3}"
            );
        }
        let tags = |games: &[Game]| {
            let counts: Vec<usize> = games
                .iter()
                .map(|g| g.tags.as_ref().map_or(0, Vec::len))
                .collect();
            let mean = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
            (mean, counts.into_iter().max().unwrap_or(0))
        };
        let ((real_mean, real_max), (fake_mean, fake_max)) = (tags(&s.games), tags(&generated));
        assert!(
            (real_mean - fake_mean).abs() / real_mean < 0.05,
            "tags per game: recorded {real_mean:.2}, generated {fake_mean:.2}"
        );
        assert!(
            fake_max * 10 >= real_max * 9,
            "long tag lists are lost: {fake_max} of {real_max}"
        );
    }

    #[test]
    fn a_delta_changes_and_adds_the_asked_shares_and_round_trips_as_pages() {
        let s = sampler();
        let base = s.games(2_000, 3);
        let delta = s.delta(
            &base,
            DeltaSize::of(base.len(), 0.01, 0.005),
            Churn::Uniform,
            3,
        );
        let new: Vec<&Game> = delta.iter().filter(|g| g.id > 2_000).collect();
        assert_eq!((delta.len(), new.len()), (30, 10));
        let latest = base.iter().map(|g| g.updated).max().expect("max");
        assert!(delta.iter().all(|g| g.updated > latest));

        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(write_pages(&base, dir.path()).expect("write"), 50);
        let first = std::fs::read(dir.path().join("page-00001.json")).expect("page");
        let page = gamelake::ingest::parse::parse_page(&first, "page-00001.json").expect("parse");
        assert_eq!(page.games, base[..40].to_vec());
    }

    #[test]
    fn recorded_churn_falls_on_the_ids_the_recorded_updates_fell_on() {
        let s = sampler();
        let total: f64 = s.recent_by_tenth.iter().sum();
        let oldest_fifth = (s.recent_by_tenth[0] + s.recent_by_tenth[1]) / total;
        // The recorded data's own skew, which the test relies on: most of a year's updates
        // are to the oldest fifth of the ids.
        assert!(
            oldest_fifth > 0.5,
            "recorded shares {:?}",
            s.recent_by_tenth
        );
        let base = s.games(20_000, 5);
        let size = DeltaSize::of(base.len(), 0.02, 0.0);
        let share_in_oldest_fifth = |churn| {
            let delta = s.delta(&base, size, churn, 5);
            let ids: std::collections::BTreeSet<i64> = delta.iter().map(|g| g.id).collect();
            assert_eq!(
                (delta.len(), ids.len()),
                (400, 400),
                "{churn:?}: 400 distinct games"
            );
            ids.iter().filter(|&&id| id <= 4_000).count() as f64 / 400.0
        };
        let recorded = share_in_oldest_fifth(Churn::Recorded);
        assert!(
            (recorded - oldest_fifth).abs() < 0.08,
            "recorded churn: {recorded:.2} of the changes in the oldest fifth, the data {oldest_fifth:.2}"
        );
        let uniform = share_in_oldest_fifth(Churn::Uniform);
        assert!(
            (uniform - 0.2).abs() < 0.06,
            "uniform churn: {uniform:.2} in the oldest fifth"
        );
    }

    #[test]
    fn steady_days_change_and_add_as_many_games_every_day() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("pages");
        let pages_of = |day: usize| {
            let d = PathBuf::from(format!("{}-day-{day:03}", out.display()));
            std::fs::read_dir(d).expect("day folder").count()
        };
        let mut args = GenerateArgs {
            games: 4_000,
            seed: 1,
            out: out.clone(),
            delta_changed: Some(0.05),
            days: Some(3),
            delta_new: 0.05,
            steady_days: true,
            from: Vec::new(),
            churn: Churn::Uniform,
        };
        let s = sampler();
        // 200 changed and 200 new a day: 10 pages each day, steady.
        write_days(&s, s.games(4_000, 1), 0.05, &args, 3).expect("days");
        assert_eq!((1..=3).map(pages_of).collect::<Vec<_>>(), [10, 10, 10]);
        // Shares of the games as they grow: 4,000, 4,200, 4,410 games.
        args.steady_days = false;
        write_days(&s, s.games(4_000, 1), 0.05, &args, 3).expect("days");
        assert_eq!((1..=3).map(pages_of).collect::<Vec<_>>(), [10, 11, 12]);
    }
}
