//! A TCP forwarder on 127.0.0.1 that a test can take down and bring back on the same port:
//! the server behind it (SeaweedFS's S3 or its REST catalog) disappears for the process under
//! test exactly as a crashed or unplugged server would: open connections are cut and new ones
//! refused. The shared SeaweedFS keeps serving every other test meanwhile.

use std::io::ErrorKind;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Proxy {
    pub port: u16,
    down: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// Forwards a free port on 127.0.0.1 to `target` (a port on 127.0.0.1).
    pub fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let down = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (d, o) = (down.clone(), open.clone());
        std::thread::spawn(move || serve(Some(listener), port, target, d, o));
        Self { port, down, open }
    }

    /// Cuts every open connection and refuses new ones until [`Proxy::up`].
    pub fn down(&self) {
        self.down.store(true, Ordering::SeqCst);
        // The accept loop drops its listener within one poll.
        std::thread::sleep(Duration::from_millis(100));
        for s in self.open.lock().expect("lock").drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Accepts connections again, on the same port.
    pub fn up(&self) {
        self.down.store(false, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn serve(
    mut listener: Option<TcpListener>,
    port: u16,
    target: u16,
    down: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
) {
    loop {
        if down.load(Ordering::SeqCst) {
            listener = None;
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        if listener.is_none() {
            match TcpListener::bind(("127.0.0.1", port)) {
                Ok(l) => listener = Some(l),
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
            }
        }
        let Some(l) = &listener else {
            continue;
        };
        l.set_nonblocking(true).expect("nonblocking");
        match l.accept() {
            Ok((client, _)) => {
                let _ = client.set_nonblocking(false);
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let mut kept = open.lock().expect("lock");
                for s in [&client, &server] {
                    if let Ok(c) = s.try_clone() {
                        kept.push(c);
                    }
                }
                drop(kept);
                pipe(&client, &server);
                pipe(&server, &client);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => {}
        }
    }
}

/// Copies `from` into `to` on its own thread until either side closes.
fn pipe(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// An HTTP forwarder on 127.0.0.1 that does something else with every request whose path
/// ends with a given suffix ([`Rule`]) and passes every other request to the server behind
/// it: a catalog that lacks one route, or one whose answer to it is lost, made from a real
/// one; or, with [`Rule::Pass`], a real catalog whose requests are recorded. One request per
/// connection (it asks the server to close after answering), so each request is seen
/// ([`Gate::seen`]).
pub struct Gate {
    pub port: u16,
    caught: Arc<std::sync::atomic::AtomicUsize>,
    /// Every request it saw, as `METHOD path`, in order.
    seen: Arc<Mutex<Vec<String>>>,
}

/// What a [`Gate`] does with the requests it catches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Answers `404 Not Found`; the server never sees the request.
    Refuse,
    /// Lets the server apply the request, then cuts the connection without its answer.
    LoseAnswer,
    /// Forwards it as any other (the gate only counts it).
    Pass,
}

impl Gate {
    /// How many requests were caught.
    pub fn caught(&self) -> usize {
        self.caught.load(Ordering::SeqCst)
    }

    /// Every request seen so far, as `METHOD path` (no query), in order.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }
}

impl Proxy {
    /// A [`Gate`] in front of `target` that applies `rule` to paths ending in `suffix`.
    pub fn gate(target: u16, suffix: &'static str, rule: Rule) -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let caught = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (counter, log) = (caught.clone(), seen.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (counter, log) = (counter.clone(), log.clone());
                std::thread::spawn(move || gate_one(client, target, suffix, rule, &counter, &log));
            }
        });
        Gate { port, caught, seen }
    }
}

/// Serves one request of `client`: caught by `rule`, or forwarded with `Connection: close`.
fn gate_one(
    mut client: TcpStream,
    target: u16,
    suffix: &str,
    rule: Rule,
    caught: &std::sync::atomic::AtomicUsize,
    seen: &Mutex<Vec<String>>,
) {
    use std::io::{Read, Write};
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let path = text
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    let length: usize = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    if client.read_exact(&mut body).is_err() {
        return;
    }
    let method = text.split_whitespace().next().unwrap_or_default();
    seen.lock().expect("lock").push(format!("{method} {path}"));
    let catch = path.ends_with(suffix);
    if catch {
        caught.fetch_add(1, Ordering::SeqCst);
    }
    let catch = catch && rule != Rule::Pass;
    if catch && rule == Rule::Refuse {
        let answer = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\
                      Content-Length: 2\r\nConnection: close\r\n\r\n{}";
        let _ = client.write_all(answer.as_bytes());
        return;
    }
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", target)) else {
        return;
    };
    let mut forwarded: String = text
        .trim_end_matches("\r\n")
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    forwarded.push_str("Connection: close\r\n\r\n");
    if server.write_all(forwarded.as_bytes()).is_err() || server.write_all(&body).is_err() {
        return;
    }
    if catch {
        // The server applies the request and answers; the answer goes nowhere.
        let _ = std::io::copy(&mut server, &mut std::io::sink());
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let _ = std::io::copy(&mut server, &mut client);
}
