//! A RAWG stand-in on 127.0.0.1, in two modes:
//! - replay: recorded list pages from a folder, their `next` links rewritten to itself;
//! - API: RAWG's `/games` over a catalogue held in memory, as strict as the live API: the
//!   `dates`, `updated` and `ordering` filters, `page_size` capped at 40, the true `count`,
//!   404 "Invalid page." past the end and past page 250, `/games/{id}` details (404 "Not
//!   found." for unknown ids), and a catalogue that tests change while a crawl runs.
//!
//! Faults are injected per page or per detail (status codes with `Retry-After`, stalls
//! mid-body). Every request is recorded so tests can check what was sent.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status (and `Retry-After: secs` if given) instead of the page.
    Status(u16, Option<u64>),
    /// Send the headers and half the body, then stall this long.
    Stall(Duration),
    /// Answer normally, but only once list page `n` has been asked for (or after 10 s):
    /// makes "the client asked ahead before this answer" certain, not a race.
    HoldUntilAsked(usize),
}

/// A change to the catalogue, applied once the server has answered so many requests.
type Change = Box<dyn FnOnce(&mut Vec<serde_json::Value>) + Send>;

#[derive(Default)]
struct State {
    faults: HashMap<usize, VecDeque<Fault>>,
    detail_faults: HashMap<i64, VecDeque<Fault>>,
    /// Detail bodies served instead of the synthesized one (malformed details).
    detail_bodies: HashMap<i64, String>,
    requests: Vec<String>,
    /// Successful answers left before every request gets a 500 (None: unlimited).
    budget: Option<usize>,
    /// Changes to apply after the given number of requests, in order.
    changes: Vec<(usize, Change)>,
}

/// What the server serves.
#[derive(Clone)]
enum Mode {
    /// Recorded pages, verbatim but for their `next` links.
    Pages(PathBuf),
    /// RAWG's API over a catalogue that tests may change (see the module docs).
    Api(Arc<Mutex<Vec<serde_json::Value>>>),
}

pub struct ReplayServer {
    pub base: String,
    state: Arc<Mutex<State>>,
    mode: Mode,
    task: tokio::task::JoinHandle<()>,
}

/// The game id of a detail request target (`/api/games/{id}?...`).
pub fn is_detail(target: &str) -> Option<i64> {
    let path = target.split('?').next()?;
    path.strip_prefix("/api/games/")?.parse().ok()
}

impl ReplayServer {
    /// Serves `dir/page-NNNN.json` (or `page-NNNNN.json`) as `/api/games?page=N`.
    pub async fn start(dir: PathBuf, required_key: Option<&str>) -> Self {
        Self::start_mode(Mode::Pages(dir), required_key).await
    }

    /// Serves RAWG's API over these games.
    pub async fn start_api(games: Vec<serde_json::Value>) -> Self {
        Self::start_mode(Mode::Api(Arc::new(Mutex::new(games))), None).await
    }

    /// Changes the catalogue now (API mode).
    pub fn change(&self, f: impl FnOnce(&mut Vec<serde_json::Value>)) {
        if let Mode::Api(games) = &self.mode {
            f(&mut games.lock().expect("lock"));
        }
    }

    /// Changes the catalogue once `after` requests have been answered (API mode): a change
    /// that happens while a crawl runs.
    pub fn change_after(
        &self,
        after: usize,
        f: impl FnOnce(&mut Vec<serde_json::Value>) + Send + 'static,
    ) {
        let mut st = self.state.lock().expect("lock");
        st.changes.push((after, Box::new(f)));
        st.changes.sort_by_key(|(n, _)| *n);
    }

    /// A fault for the next request of game `id`'s detail.
    pub fn inject_detail(&self, id: i64, fault: Fault) {
        self.state
            .lock()
            .expect("lock")
            .detail_faults
            .entry(id)
            .or_default()
            .push_back(fault);
    }

    /// Serves `body` as game `id`'s detail (a malformed one, say).
    pub fn detail_body(&self, id: i64, body: &str) {
        self.state
            .lock()
            .expect("lock")
            .detail_bodies
            .insert(id, body.to_string());
    }

    /// Requests for list pages (`/games?...`) and for details (`/games/{id}`) so far.
    pub fn counts(&self) -> (usize, usize) {
        let requests = self.requests();
        let details = requests.iter().filter(|r| is_detail(r).is_some()).count();
        (requests.len() - details, details)
    }

    /// After `n` more successful answers, answer every request with 500 (`None`: never).
    pub fn fail_after(&self, n: Option<usize>) {
        self.state.lock().expect("lock").budget = n;
    }

    async fn start_mode(mode: Mode, required_key: Option<&str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let base = format!("http://{}/api", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State::default()));
        let (st, b, key) = (
            state.clone(),
            base.clone(),
            required_key.map(str::to_string),
        );
        let served = mode.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let (st, b, mode, key) = (st.clone(), b.clone(), mode.clone(), key.clone());
                tokio::spawn(async move {
                    let _ = serve(sock, st, &b, &mode, key.as_deref()).await;
                });
            }
        });
        Self {
            base,
            state,
            mode: served,
            task,
        }
    }

    pub fn inject(&self, page: usize, fault: Fault) {
        self.state
            .lock()
            .expect("lock")
            .faults
            .entry(page)
            .or_default()
            .push_back(fault);
    }

    /// Request targets (path and query) in arrival order.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().expect("lock").requests.clone()
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Answers the requests of one connection, kept open between them as RAWG's servers do
/// (HTTP/1.1 keep-alive), until the client closes it or a fault ends it.
async fn serve(
    mut sock: TcpStream,
    state: Arc<Mutex<State>>,
    base: &str,
    mode: &Mode,
    key: Option<&str>,
) -> std::io::Result<()> {
    // Whole answers go out in one write; without this, Nagle's algorithm and delayed ACKs
    // can hold the tail of a kept-alive answer back by 40 ms.
    sock.set_nodelay(true)?;
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let end = loop {
            if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = sock.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            pending.extend_from_slice(&buf[..n]);
        };
        let head: Vec<u8> = pending.drain(..end).collect();
        if !answer(&mut sock, &head, &state, base, mode, key).await? {
            return sock.shutdown().await;
        }
    }
}

/// Waits until a list request for page `n` has arrived, or 10 s have passed.
async fn hold_until_asked(state: &Mutex<State>, n: usize) {
    let asked = |st: &State| {
        st.requests.iter().any(|t| {
            is_detail(t).is_none()
                && url::Url::parse(&format!("http://x{t}")).is_ok_and(|u| {
                    u.query_pairs()
                        .any(|(k, v)| k == "page" && v.parse() == Ok(n))
                })
        })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !asked(&state.lock().expect("lock")) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Answers one request; false when the connection must close after it.
async fn answer(
    sock: &mut TcpStream,
    head: &[u8],
    state: &Mutex<State>,
    base: &str,
    mode: &Mode,
    key: Option<&str>,
) -> std::io::Result<bool> {
    let head = String::from_utf8_lossy(head);
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let query: HashMap<String, String> = url::Url::parse(&format!("http://x{target}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let detail = is_detail(&target);
    let (fault, exhausted, body_override) = {
        let mut st = state.lock().expect("lock");
        st.requests.push(target.clone());
        let answered = st.requests.len();
        while st.changes.first().is_some_and(|(n, _)| *n < answered) {
            let (_, change) = st.changes.remove(0);
            if let Mode::Api(games) = mode {
                change(&mut games.lock().expect("lock"));
            }
        }
        let exhausted = match &mut st.budget {
            Some(0) => true,
            Some(n) => {
                *n -= 1;
                false
            }
            None => false,
        };
        let fault = match detail {
            Some(id) => st.detail_faults.get_mut(&id).and_then(VecDeque::pop_front),
            None => st.faults.get_mut(&page).and_then(VecDeque::pop_front),
        };
        let body = detail.and_then(|id| st.detail_bodies.get(&id).cloned());
        (fault, exhausted, body)
    };
    if exhausted {
        return respond(sock, 500, None, r#"{"detail": "budget exhausted"}"#).await;
    }
    if let Some(k) = key
        && query.get("key").map(String::as_str) != Some(k)
    {
        return respond(
            sock,
            401,
            None,
            r#"{"error": "The key parameter is not provided"}"#,
        )
        .await;
    }
    match fault {
        Some(Fault::Status(code, retry)) => {
            return respond(sock, code, retry, r#"{"detail": "injected"}"#).await;
        }
        Some(Fault::HoldUntilAsked(n)) => hold_until_asked(state, n).await,
        Some(Fault::Stall(d)) => {
            let header = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n{\"count\": 1, ";
            sock.write_all(header.as_bytes()).await?;
            tokio::time::sleep(d).await;
            return Ok(false);
        }
        None => {}
    }
    let body = match mode {
        // Recorded pages are numbered with 4 digits, generated ones (up to 25,000) with 5.
        // A replay has no details: RAWG's answer for an unknown id.
        Mode::Pages(_) if detail.is_some() => {
            return respond(sock, 404, None, r#"{"detail": "Not found."}"#).await;
        }
        // A replay is one query whose filters it ignores: a count probe (`page_size=1`) gets
        // that query's count, capped at what RAWG serves for one query, so the client plans
        // one window and then follows the replay's links.
        Mode::Pages(dir) if query.get("page_size").map(String::as_str) == Some("1") => {
            let first = tokio::fs::read(dir.join("page-00001.json"))
                .await
                .or(tokio::fs::read(dir.join("page-0001.json")).await)
                .unwrap_or_default();
            let count = serde_json::from_slice::<serde_json::Value>(&first)
                .ok()
                .and_then(|p| p["count"].as_i64());
            let body = match count {
                Some(c) => serde_json::json!({"count": c.min(10_000), "next": null, "previous": null, "results": []}).to_string(),
                None => String::from_utf8_lossy(&first).into_owned(),
            };
            return respond(sock, 200, None, &body).await;
        }
        Mode::Pages(dir) => {
            let (four, five) = (
                format!("page-{page:04}.json"),
                format!("page-{page:05}.json"),
            );
            let read = |name: String| tokio::fs::read(dir.join(name));
            match read(five).await {
                Ok(body) => Some(body),
                Err(_) => read(four).await.ok(),
            }
        }
        Mode::Api(games) => {
            let answer = {
                let games = games.lock().expect("lock");
                match detail {
                    Some(id) => Err(body_override.or_else(|| game_detail(&games, id))),
                    None => Ok(api_page(&games, &query, page, base).map(String::into_bytes)),
                }
            };
            match answer {
                Ok(page) => page,
                Err(Some(body)) => return respond(sock, 200, None, &body).await,
                Err(None) => {
                    return respond(sock, 404, None, r#"{"detail": "Not found."}"#).await;
                }
            }
        }
    };
    match body {
        Some(body) => respond_page(sock, &body, base).await,
        None => respond(sock, 404, None, r#"{"detail": "Invalid page."}"#).await,
    }
}

/// Sends a page with RAWG's own base URL (in its `next` and `previous` links) replaced by
/// ours. The page is copied once, into the answer: the benchmark's ingest shares two cores
/// with this server, whose work the real API would do elsewhere.
async fn respond_page(sock: &mut TcpStream, page: &[u8], base: &str) -> std::io::Result<bool> {
    const RAWG: &[u8] = b"https://api.rawg.io/api";
    let links: Vec<usize> = memchr::memmem::find_iter(page, RAWG).collect();
    let len = page.len() + links.len() * base.len() - links.len() * RAWG.len();
    let mut msg = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
    )
    .into_bytes();
    msg.reserve(len);
    let mut from = 0;
    for at in links {
        msg.extend_from_slice(&page[from..at]);
        msg.extend_from_slice(base.as_bytes());
        from = at + RAWG.len();
    }
    msg.extend_from_slice(&page[from..]);
    sock.write_all(&msg).await?;
    Ok(true)
}

/// One page of RAWG's `/games` answer over `games`, or `None` past the end (or page 250).
/// `ordering` takes RAWG's fields (`updated`, `released`, `added`, `name`, `id`; `-`
/// reverses), ties broken by id; without it games come by id.
fn api_page(
    games: &[serde_json::Value],
    query: &HashMap<String, String>,
    page: usize,
    base: &str,
) -> Option<String> {
    let range = |key: &str| {
        query.get(key).map(|r| {
            let (a, b) = r.split_once(',').expect("FROM,TO");
            (a.to_string(), b.to_string())
        })
    };
    let (dates, updated) = (range("dates"), range("updated"));
    let mut hits: Vec<&serde_json::Value> = games
        .iter()
        .filter(|g| {
            let within = |v: Option<&str>, r: &Option<(String, String)>| match r {
                None => true,
                Some((a, b)) => v.is_some_and(|v| v >= a.as_str() && v <= b.as_str()),
            };
            within(g["released"].as_str(), &dates)
                && within(g["updated"].as_str().map(|u| &u[..10]), &updated)
        })
        .collect();
    let ordering = query.get("ordering").map(String::as_str).unwrap_or("id");
    let (field, reverse) = match ordering.strip_prefix('-') {
        Some(f) => (f, true),
        None => (ordering, false),
    };
    hits.sort_by(|a, b| {
        let key = |g: &serde_json::Value| (g[field].to_string(), g["id"].as_i64());
        let numeric = |g: &serde_json::Value| g[field].as_f64();
        let ord = match (numeric(a), numeric(b)) {
            (Some(x), Some(y)) => x
                .partial_cmp(&y)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a["id"].as_i64().cmp(&b["id"].as_i64())),
            _ => key(a).cmp(&key(b)),
        };
        if reverse { ord.reverse() } else { ord }
    });
    let size: usize = query
        .get("page_size")
        .and_then(|p| p.parse().ok())
        .unwrap_or(20)
        .clamp(1, 40);
    let total = hits.len();
    if page == 0 || page > 250 || (page > 1 && (page - 1) * size >= total) {
        return None;
    }
    let results: Vec<&serde_json::Value> = hits
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    let next = (page * size < total).then(|| {
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| *k != "page" && *k != "key")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        pairs.sort();
        pairs.push(("page".into(), (page + 1).to_string()));
        let mut url = url::Url::parse(&format!("{base}/games")).expect("base");
        url.query_pairs_mut().extend_pairs(pairs);
        url.to_string()
    });
    Some(
        serde_json::json!({"count": total, "next": next, "previous": null, "results": results})
            .to_string(),
    )
}

/// A catalogue for API mode from the recorded pages (2016's 250 pages, then 2015's):
/// `recorded` games as RAWG answered them, then `copies` more, copied from 2015's under new
/// ids (50,000,000 and above) with `updated` moved back `shift_days` days (so no recorded
/// day grows past what RAWG serves for one query). The first `tba` copies have no release
/// date: a split by `dates` never finds them.
pub fn catalogue(
    recorded: usize,
    copies: usize,
    tba: usize,
    shift_days: i64,
) -> Vec<serde_json::Value> {
    let dir = |year: u32| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../shared/data/rawg/games-released-{year}"))
    };
    let pages = |year: u32, n: usize| {
        let mut games = Vec::new();
        for i in 1..=n.div_ceil(40).min(250) {
            let path = dir(year).join(format!("page-{i:04}.json"));
            let page: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).expect("recorded page"))
                    .expect("page json");
            games.extend(page["results"].as_array().expect("results").iter().cloned());
        }
        games.truncate(n);
        games
    };
    let mut games = pages(2016, recorded.min(10_000));
    games.extend(pages(2015, recorded.saturating_sub(10_000)));
    let donors = pages(2015, copies.min(10_000));
    for i in 0..copies {
        let mut g = donors[i % donors.len()].clone();
        let round = (i / donors.len()) as i64 + 1;
        g["id"] = (g["id"].as_i64().expect("id") + 50_000_000 * round).into();
        if shift_days != 0
            && let Some(updated) = g["updated"]
                .as_str()
                .and_then(|u| chrono::NaiveDateTime::parse_from_str(u, "%Y-%m-%dT%H:%M:%S").ok())
        {
            g["updated"] = (updated - chrono::Duration::days(shift_days))
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string()
                .into();
        }
        if i < tba {
            g["released"] = serde_json::Value::Null;
            g["tba"] = true.into();
        }
        games.push(g);
    }
    games
}

/// The recorded details (150 real `/games/{id}` answers), the source of the developers,
/// publishers and texts the stand-in gives each game.
fn recorded_details() -> &'static [serde_json::Value] {
    static DETAILS: std::sync::OnceLock<Vec<serde_json::Value>> = std::sync::OnceLock::new();
    DETAILS.get_or_init(|| {
        // Spelled here, not through `support::shared`: the benchmarks include this file alone.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/rawg/verbatim/game-details-150.json");
        serde_json::from_slice(&std::fs::read(&path).expect("recorded details"))
            .expect("details json")
    })
}

/// Game `id`'s detail: its list fields, with the developers, publishers and texts of one of
/// the recorded details (chosen by id, so the same game always gets the same ones).
fn game_detail(games: &[serde_json::Value], id: i64) -> Option<String> {
    let game = games.iter().find(|g| g["id"].as_i64() == Some(id))?;
    let recorded = recorded_details();
    let donor = &recorded[id.rem_euclid(recorded.len() as i64) as usize];
    let mut detail = game.clone();
    for field in [
        "developers",
        "publishers",
        "description",
        "description_raw",
        "website",
        "alternative_names",
        "name_original",
        "reddit_url",
        "metacritic_url",
    ] {
        detail[field] = donor[field].clone();
    }
    Some(detail.to_string())
}

/// Sends one whole answer and keeps the connection open (true).
async fn respond(
    sock: &mut TcpStream,
    code: u16,
    retry_after: Option<u64>,
    body: &str,
) -> std::io::Result<bool> {
    let reason = match code {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Error",
    };
    let retry = retry_after
        .map(|s| format!("Retry-After: {s}\r\n"))
        .unwrap_or_default();
    let msg = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{retry}\r\n{body}",
        body.len()
    );
    sock.write_all(msg.as_bytes()).await?;
    Ok(true)
}
