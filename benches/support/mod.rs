//! What the benchmarks share: running one stage of gamelake as its own process and reading
//! what it cost from the kernel, and printing the figures as a Markdown table.
//!
//! A process's peak RSS as the kernel reports it (`ru_maxrss`) includes the peak of the
//! process that spawned it, up to the `exec`: a benchmark that holds much in memory (the
//! sync benchmark's catalogue) would see its own size in every stage. Such a benchmark starts
//! a [`Launcher`] first, while it is small, and has it spawn and measure the stages.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// The binary under measurement.
pub const GAMELAKE: &str = env!("CARGO_BIN_EXE_gamelake");

/// What the kernel says one finished stage cost.
#[derive(Clone, Serialize, Deserialize)]
pub struct Cost {
    pub wall: f64,
    pub cpu: f64,
    pub peak_rss_mib: f64,
    /// Pages the process touched for the first time (minor page faults, `ru_minflt`): the
    /// memory a run asked of the kernel. On a virtual machine a first touch is dear and its
    /// cost varies from run to run, so this is a steadier measure of a run's work than its
    /// wall time.
    pub pages_touched: u64,
}

/// Runs `cmd` to completion with stdout to `out` and stderr to `log`; panics on failure.
pub fn measure(what: &str, cmd: &mut Command, out: &Path, log: &Path) -> Cost {
    let start = Instant::now();
    #[allow(clippy::zombie_processes)] // reaped by wait4 below
    let child = cmd
        .stdout(File::create(out).expect("stdout file"))
        .stderr(File::create(log).expect("log file"))
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: waits for the child we just spawned; `status` and `usage` outlive the call.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    // Reaped by wait4 already; `Child` must not wait again.
    std::mem::forget(child);
    let wall = start.elapsed().as_secs_f64();
    assert_eq!(rc, pid, "{what}: wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{what} failed: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Cost {
        wall,
        cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
        peak_rss_mib: usage.ru_maxrss as f64 / 1024.0,
        pages_touched: usage.ru_minflt as u64,
    }
}

/// The binary to run: [`GAMELAKE`], or a copy named by `GAMELAKE_BENCH_BIN` (so a long
/// benchmark can run while the tree is rebuilt).
pub fn binary() -> PathBuf {
    std::env::var_os("GAMELAKE_BENCH_BIN").map_or_else(|| PathBuf::from(GAMELAKE), PathBuf::from)
}

/// `gamelake` on `warehouse` with `args`, without an API key, and quiet unless
/// `GAMELAKE_BENCH_LOG` gives its `RUST_LOG` (`gamelake=debug`: each step's milliseconds in
/// the run's log, to see where a day's time went).
pub fn gamelake(warehouse: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    let log = std::env::var("GAMELAKE_BENCH_LOG").unwrap_or_else(|_| "warn".to_string());
    cmd.arg("--warehouse")
        .arg(warehouse)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RAWG_API_KEY")
        .env("RUST_LOG", log);
    cmd
}

/// The value after flag `name`.
pub fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The stages' figures as a Markdown table, headed by what they ran on.
pub fn print_rows(title: &str, rows: &[(String, Cost, String)]) {
    println!(
        "\n{title}, {} cores\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| stage | wall s | CPU s | peak RSS MiB | |");
    println!("| --- | ---: | ---: | ---: | --- |");
    for (what, c, note) in rows {
        println!(
            "| {what} | {:.2} | {:.2} | {:.0} | {note} |",
            c.wall, c.cpu, c.peak_rss_mib
        );
    }
}

/// One stage for a [`Launcher`]: `gamelake --warehouse <warehouse> <args>` with `env`,
/// output to `out` and `log`.
#[derive(Serialize, Deserialize)]
struct Job {
    what: String,
    warehouse: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    out: PathBuf,
    log: PathBuf,
}

/// A small process that spawns and measures stages for a large one (see the module docs):
/// this benchmark's own executable, started with `--launcher`.
pub struct Launcher {
    child: Child,
    to: ChildStdin,
    from: BufReader<ChildStdout>,
}

impl Launcher {
    /// Starts the launcher; call before the benchmark grows.
    pub fn start() -> Self {
        let mut child = Command::new(std::env::current_exe().expect("own executable"))
            .arg("--launcher")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the launcher");
        let to = child.stdin.take().expect("stdin");
        let from = BufReader::new(child.stdout.take().expect("stdout"));
        Self { child, to, from }
    }

    /// Runs `gamelake <args>` on `warehouse` with `env` to completion and returns its cost;
    /// its output goes to `<logs>/<what>.out` and `.log`.
    pub fn run(
        &mut self,
        what: &str,
        warehouse: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        logs: &Path,
    ) -> Cost {
        let job = Job {
            what: what.to_string(),
            warehouse: warehouse.to_path_buf(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            out: logs.join(format!("{what}.out")),
            log: logs.join(format!("{what}.log")),
        };
        let line = serde_json::to_string(&job).expect("job");
        writeln!(self.to, "{line}").expect("to the launcher");
        let mut answer = String::new();
        self.from.read_line(&mut answer).expect("from the launcher");
        serde_json::from_str(&answer)
            .unwrap_or_else(|_| panic!("{what} failed: see {}", job.log.display()))
    }

    /// The launcher's side: when this process was started with `--launcher`, runs jobs from
    /// standard input until it closes, then exits. Call first thing in `main`.
    pub fn serve_if_asked() {
        if !std::env::args().any(|a| a == "--launcher") {
            return;
        }
        for line in std::io::stdin().lock().lines() {
            let job: Job = serde_json::from_str(&line.expect("a job")).expect("job JSON");
            let args: Vec<&str> = job.args.iter().map(String::as_str).collect();
            let mut cmd = gamelake(&job.warehouse, &args);
            cmd.envs(job.env.iter().map(|(k, v)| (k, v)));
            let cost = measure(&job.what, &mut cmd, &job.out, &job.log);
            println!("{}", serde_json::to_string(&cost).expect("cost"));
        }
        std::process::exit(0);
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
