//! A PostgreSQL server of a test's own, on 127.0.0.1, which the test may stop and start again
//! (the shared server of `scripts/test` must stay up for the other tests).
//!
//! It runs the binaries of the newest PostgreSQL under `/usr/lib/postgresql` (or of
//! `NOVI_TEST_PG_BIN`, which `scripts/test` sets), with its data in a temporary folder, as the
//! `postgres` user when the tests run as root (PostgreSQL refuses to run as root).

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// A running (or stopped) throwaway PostgreSQL server, stopped and removed when dropped.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    running: bool,
}

impl Cluster {
    /// Creates a cluster (`initdb`, trust authentication for `postgres`) and starts it.
    pub fn start() -> Cluster {
        let bin = std::env::var_os("NOVI_TEST_PG_BIN")
            .map(PathBuf::from)
            .or_else(newest_installed)
            .expect("no PostgreSQL server binaries: run the tests with scripts/test, which installs them");
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            run(Command::new("chown").arg("postgres").arg(dir.path()));
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cluster = Cluster {
            bin,
            dir,
            port,
            running: false,
        };
        let data = cluster.data();
        run(cluster.as_postgres("initdb").arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
        ]));
        cluster.start_again();
        cluster
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast shutdown: open connections are closed) and waits until it is down.
    pub fn stop(&mut self) {
        run(self
            .as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"]));
        self.running = false;
    }

    /// Starts the stopped server again on the same port and waits until it accepts connections.
    pub fn start_again(&mut self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        run(self
            .as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"]));
        self.running = true;
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn as_postgres(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.running {
            let _ = self
                .as_postgres("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
    }
}

fn newest_installed() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| Path::new(bin).join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    // `id -u` keeps this crate free of `unsafe` and of a libc dependency.
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

#[track_caller]
fn run(command: &mut Command) -> Output {
    let out = command
        .output()
        .unwrap_or_else(|err| panic!("running {command:?}: {err}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
