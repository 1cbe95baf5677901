//! A throw-away PostgreSQL server for tests and benchmarks: `initdb` in a temporary folder,
//! `pg_ctl start` on a free loopback port, stopped and deleted when dropped. Uses the server
//! binaries of Debian's `postgresql` package (`/usr/lib/postgresql/<version>/bin`) or those on
//! `PATH`. PostgreSQL refuses to run as root; as root, the server runs as the `postgres` user
//! (created by the Debian package) through `runuser`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A running temporary server.
pub struct TempPostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// The folder with `initdb` and `pg_ctl`: the newest Debian server, else `PATH`.
fn server_bin() -> Result<PathBuf, String> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.retain(|b| b.join("initdb").is_file() && b.join("pg_ctl").is_file());
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(b) = versions.pop() {
        return Ok(b);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
        .ok_or_else(|| {
            "no PostgreSQL server binaries (initdb, pg_ctl): install Debian's `postgresql`".into()
        })
}

/// Whether this process runs as root (`/proc/self` belongs to the effective user).
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

impl TempPostgres {
    /// Starts a server; errors say what is missing or what the server printed.
    pub fn start() -> Result<Self, String> {
        let bin = server_bin()?;
        let as_postgres = is_root();
        let dir = std::env::temp_dir().join(format!(
            "fakescope-pg-{}",
            crate::keys::random_id(8).map_err(|e| e.to_string())?
        ));
        std::fs::create_dir_all(dir.join("data")).map_err(|e| e.to_string())?;
        let pg = TempPostgres {
            dir,
            bin,
            port: free_port()?,
            as_postgres,
        };
        if as_postgres {
            let (uid, gid) = postgres_user()?;
            for p in [pg.dir.clone(), pg.dir.join("data")] {
                std::os::unix::fs::chown(&p, Some(uid), Some(gid))
                    .map_err(|e| format!("cannot give {} to postgres: {e}", p.display()))?;
            }
        }
        let data = pg.dir.join("data");
        pg.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-A".as_ref(),
                "trust".as_ref(),
                "-U".as_ref(),
                "fakescope".as_ref(),
                "--no-sync".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
            ],
        )?;
        let log = pg.dir.join("server.log");
        pg.restart().map_err(|e| {
            let printed = std::fs::read_to_string(&log).unwrap_or_default();
            format!("{e}\n{printed}")
        })?;
        Ok(pg)
    }

    /// For tests: a server, or `None` after saying why `test` is skipped where the server
    /// binaries are missing. In CI (`$CI` set) a missing server fails instead.
    pub fn start_or_skip(test: &str) -> Option<Self> {
        match Self::start() {
            Ok(pg) => Some(pg),
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "{test}: PostgreSQL must run in CI: {e}"
                );
                eprintln!("skipped: {test}: {e} (scripts/install-deps installs it)");
                None
            }
        }
    }

    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<(), String> {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            // /usr/sbin is not on every root's PATH (a CI runner's, say).
            let runuser = ["/usr/sbin/runuser", "/sbin/runuser"]
                .into_iter()
                .find(|p| Path::new(p).is_file())
                .unwrap_or("runuser");
            let mut c = Command::new(runuser);
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} failed: {}{}",
                exe.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(())
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `name`, created when it does not exist yet.
    pub fn url(&self, name: &str) -> String {
        let admin = format!("postgres://fakescope@127.0.0.1:{}/postgres", self.port);
        if let Ok(mut c) = postgres::Client::connect(&admin, postgres::NoTls) {
            // An error here is "exists already"; a real problem shows at first use.
            let _ = c.batch_execute(&format!("CREATE DATABASE \"{name}\""));
        }
        format!("postgres://fakescope@127.0.0.1:{}/{name}", self.port)
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`).
    pub fn stop(&self) -> Result<(), String> {
        let data = self.dir.join("data");
        self.run(
            "pg_ctl",
            &[
                "stop".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                "immediate".as_ref(),
            ],
        )
    }

    /// Starts it (again, after [`TempPostgres::stop`]) on its port, waiting until it answers.
    pub fn restart(&self) -> Result<(), String> {
        let data = self.dir.join("data");
        let log = self.dir.join("server.log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.display()
        );
        self.run(
            "pg_ctl",
            &[
                "start".as_ref(),
                "-w".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
            ],
        )
    }

    /// The server's folder (its log is `server.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let _ = self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// The uid and gid of the `postgres` user, from /etc/passwd.
fn postgres_user() -> Result<(u32, u32), String> {
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| e.to_string())?;
    passwd
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 3 && f[0] == "postgres")
                .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
                .flatten()
        })
        .ok_or_else(|| {
            "running as root and there is no `postgres` user to run PostgreSQL as (Debian's postgresql package creates it)".into()
        })
}
