//! A RAWG stand-in on 127.0.0.1: replays recorded list pages from a folder, rewriting their
//! `next` links to itself, with faults injected per page (status codes with `Retry-After`,
//! stalls mid-body). Every request is recorded so tests can check what was sent.

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
}

#[derive(Default)]
struct State {
    faults: HashMap<usize, VecDeque<Fault>>,
    requests: Vec<String>,
    /// Successful answers left before every request gets a 500 (None: unlimited).
    budget: Option<usize>,
}

/// What the server serves.
#[derive(Clone)]
enum Mode {
    /// Recorded pages, verbatim but for their `next` links.
    Pages(PathBuf),
    /// RAWG's `/games` over a set of games: `dates` and `updated` filters, 40 a page by id,
    /// the true `count`, and 404 past page 250, as RAWG does.
    Api(Arc<Vec<serde_json::Value>>),
}

pub struct ReplayServer {
    pub base: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl ReplayServer {
    /// Serves `dir/page-NNNN.json` (or `page-NNNNN.json`) as `/api/games?page=N`.
    pub async fn start(dir: PathBuf, required_key: Option<&str>) -> Self {
        Self::start_mode(Mode::Pages(dir), required_key).await
    }

    /// Serves RAWG's `/games` query API over these games.
    pub async fn start_api(games: Vec<serde_json::Value>) -> Self {
        Self::start_mode(Mode::Api(Arc::new(games)), None).await
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
        Self { base, state, task }
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
    let (fault, exhausted) = {
        let mut st = state.lock().expect("lock");
        st.requests.push(target.clone());
        let exhausted = match &mut st.budget {
            Some(0) => true,
            Some(n) => {
                *n -= 1;
                false
            }
            None => false,
        };
        (
            st.faults.get_mut(&page).and_then(VecDeque::pop_front),
            exhausted,
        )
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
        Mode::Api(games) => api_page(games, &query, page, base).map(String::into_bytes),
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
    hits.sort_by_key(|g| g["id"].as_i64());
    let total = hits.len();
    if page == 0 || page > 250 || (page > 1 && (page - 1) * 40 >= total) {
        return None;
    }
    let results: Vec<&serde_json::Value> =
        hits.into_iter().skip((page - 1) * 40).take(40).collect();
    let next = (page * 40 < total).then(|| {
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| *k != "page")
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
