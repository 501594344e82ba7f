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
}

pub struct ReplayServer {
    pub base: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl ReplayServer {
    /// Serves `dir/page-NNNN.json` as `/api/games?page=N`.
    pub async fn start(dir: PathBuf, required_key: Option<&str>) -> Self {
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
                let (st, b, dir, key) = (st.clone(), b.clone(), dir.clone(), key.clone());
                tokio::spawn(async move {
                    let _ = serve(sock, st, &b, &dir, key.as_deref()).await;
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

async fn serve(
    mut sock: TcpStream,
    state: Arc<Mutex<State>>,
    base: &str,
    dir: &std::path::Path,
    key: Option<&str>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let query: HashMap<String, String> = url::Url::parse(&format!("http://x{target}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let fault = {
        let mut st = state.lock().expect("lock");
        st.requests.push(target.clone());
        st.faults.get_mut(&page).and_then(VecDeque::pop_front)
    };
    if let Some(k) = key
        && query.get("key").map(String::as_str) != Some(k)
    {
        return respond(
            &mut sock,
            401,
            None,
            r#"{"error": "The key parameter is not provided"}"#,
        )
        .await;
    }
    match fault {
        Some(Fault::Status(code, retry)) => {
            return respond(&mut sock, code, retry, r#"{"detail": "injected"}"#).await;
        }
        Some(Fault::Stall(d)) => {
            let header = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n{\"count\": 1, ";
            sock.write_all(header.as_bytes()).await?;
            tokio::time::sleep(d).await;
            return Ok(());
        }
        None => {}
    }
    let file = dir.join(format!("page-{page:04}.json"));
    match tokio::fs::read_to_string(&file).await {
        Ok(body) => {
            let body = body.replace("https://api.rawg.io/api", base);
            respond(&mut sock, 200, None, &body).await
        }
        Err(_) => respond(&mut sock, 404, None, r#"{"detail": "Invalid page."}"#).await,
    }
}

async fn respond(
    sock: &mut TcpStream,
    code: u16,
    retry_after: Option<u64>,
    body: &str,
) -> std::io::Result<()> {
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
        "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{retry}Connection: close\r\n\r\n{body}",
        body.len()
    );
    sock.write_all(msg.as_bytes()).await?;
    sock.shutdown().await
}
