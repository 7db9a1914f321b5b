//! Database URLs: which backend, and what to hand its driver.
//!
//! Two dialects are read. URLs given to Novi directly (an argument, `NOVI_DATABASE_URL`,
//! `DATABASE_URL`) follow the Rust convention of sqlx and Diesel: what follows `sqlite://` is
//! the path, so `sqlite://novi.db` is relative and `sqlite:///tmp/n.db` absolute; a URL with no
//! scheme is a SQLite path. URLs read from Python Novi's `novi.ini` are SQLAlchemy's:
//! `sqlite:///novi.db` is relative, `sqlite:////abs/n.db` absolute, and driver suffixes
//! (`postgresql+psycopg2://`, `mysql+pymysql://`) are dropped.

use std::fmt;

/// The database engines Novi speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite, compiled in.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
}

impl Backend {
    /// The Cargo feature of `novi-client` that compiles this backend in.
    pub fn feature(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }

    /// Whether this build of `novi-client` has the backend.
    pub fn is_compiled_in(self) -> bool {
        match self {
            Backend::Sqlite => cfg!(feature = "sqlite"),
            Backend::Postgres => cfg!(feature = "postgres"),
            Backend::Mysql => cfg!(feature = "mysql"),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::Mysql => "MySQL",
        })
    }
}

/// How a URL is written: the Rust convention, or SQLAlchemy's (from `novi.ini`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlDialect {
    /// `sqlite://relative.db`, `sqlite:///absolute.db`, or a plain path.
    Rust,
    /// `sqlite:///relative.db`, `sqlite:////absolute.db`, `postgresql+psycopg2://…`.
    SqlAlchemy,
}

/// A database URL, parsed: the backend and what its driver is given.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    /// A file path or `:memory:` for SQLite; the URL itself for the servers.
    target: String,
}

/// A URL names no backend Novi knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported database URL scheme `{scheme}` (use sqlite://, postgres://, postgresql:// or mysql://)"
)]
pub struct UnsupportedScheme {
    /// The scheme found.
    pub scheme: String,
}

impl DatabaseUrl {
    /// Parses `url` written in `dialect`.
    pub fn parse(url: &str, dialect: UrlDialect) -> Result<DatabaseUrl, UnsupportedScheme> {
        let url = url.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            // No scheme: a SQLite file path (or `:memory:`).
            return Ok(DatabaseUrl::sqlite(url));
        };
        let base = match dialect {
            UrlDialect::SqlAlchemy => scheme.split('+').next().unwrap_or(scheme),
            UrlDialect::Rust => scheme,
        };
        match base.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(DatabaseUrl::sqlite(match dialect {
                UrlDialect::Rust => rest,
                // SQLAlchemy: `sqlite://` + `/` + path; an empty path is an in-memory database.
                UrlDialect::SqlAlchemy => rest.strip_prefix('/').unwrap_or(rest),
            })),
            "postgres" | "postgresql" => Ok(DatabaseUrl {
                backend: Backend::Postgres,
                target: format!("{base}://{rest}"),
            }),
            "mysql" | "mariadb" => Ok(DatabaseUrl {
                backend: Backend::Mysql,
                target: format!("mysql://{rest}"),
            }),
            _ => Err(UnsupportedScheme {
                scheme: scheme.to_owned(),
            }),
        }
    }

    fn sqlite(path: &str) -> DatabaseUrl {
        DatabaseUrl {
            backend: Backend::Sqlite,
            target: if path.is_empty() { ":memory:" } else { path }.to_owned(),
        }
    }

    /// The backend the URL names.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What the driver is given: a SQLite path, or the server URL.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The URL with any password replaced by `***`, for messages and logs: the password of
    /// the user information (whatever characters it holds) and query parameters such as
    /// `password=`.
    pub fn redacted(&self) -> String {
        if self.backend == Backend::Sqlite {
            return format!("sqlite://{}", self.target);
        }
        let Some((scheme, rest)) = self.target.split_once("://") else {
            return "<a database URL>".to_owned();
        };
        // The user information ends at the last `@`: a password may hold `/`, `?` or `@` when
        // its owner did not percent-encode it. (An `@` in the query makes this hide too much,
        // never too little.)
        let (userinfo, after_userinfo) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (host_and_path, query) =
            after_userinfo.split_at(after_userinfo.find('?').unwrap_or(after_userinfo.len()));
        let mut out = format!("{scheme}://");
        if let Some(userinfo) = userinfo {
            match userinfo.split_once(':') {
                Some((user, _password)) => out.push_str(&format!("{user}:***@")),
                None => out.push_str(&format!("{userinfo}@")),
            }
        }
        out.push_str(host_and_path);
        if let Some(params) = query.strip_prefix('?') {
            let params: Vec<String> = params
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((name, _)) if is_secret_param(name) => format!("{name}=***"),
                    _ => param.to_owned(),
                })
                .collect();
            out.push('?');
            out.push_str(&params.join("&"));
        }
        out
    }
}

fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "password", "passwd", "pwd", "pass", "secret", "token", "key",
    ]
    .iter()
    .any(|secret| name.contains(secret))
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(url: &str, dialect: UrlDialect, backend: Backend, target: &str) {
        let parsed = DatabaseUrl::parse(url, dialect).unwrap();
        assert_eq!(
            (parsed.backend(), parsed.target()),
            (backend, target),
            "{url}"
        );
    }

    #[test]
    fn rust_convention() {
        use Backend::*;
        let d = UrlDialect::Rust;
        check("sqlite://novi.db", d, Sqlite, "novi.db");
        check("sqlite:///tmp/n.db", d, Sqlite, "/tmp/n.db");
        check("novi.db", d, Sqlite, "novi.db");
        check("/var/lib/novi.db", d, Sqlite, "/var/lib/novi.db");
        check(":memory:", d, Sqlite, ":memory:");
        check("sqlite://", d, Sqlite, ":memory:");
        check(
            "postgres://u:p@h:5432/db",
            d,
            Postgres,
            "postgres://u:p@h:5432/db",
        );
        check("postgresql://h/db", d, Postgres, "postgresql://h/db");
        check("mysql://u@h/db", d, Mysql, "mysql://u@h/db");
        check("  MYSQL://u@h/db ", d, Mysql, "mysql://u@h/db");
        assert_eq!(
            DatabaseUrl::parse("oracle://h/db", d)
                .unwrap_err()
                .to_string(),
            "unsupported database URL scheme `oracle` (use sqlite://, postgres://, postgresql:// or mysql://)"
        );
        assert!(DatabaseUrl::parse("postgresql+psycopg2://h/db", d).is_err());
    }

    #[test]
    fn sqlalchemy_convention() {
        use Backend::*;
        let d = UrlDialect::SqlAlchemy;
        check("sqlite:///novi.db", d, Sqlite, "novi.db");
        check("sqlite:////abs/n.db", d, Sqlite, "/abs/n.db");
        check("sqlite://", d, Sqlite, ":memory:");
        check("sqlite+pysqlite:///novi.db", d, Sqlite, "novi.db");
        check(
            "postgresql+psycopg2://u:p@h/db",
            d,
            Postgres,
            "postgresql://u:p@h/db",
        );
        check(
            "mysql+pymysql://u:p@h:3306/db",
            d,
            Mysql,
            "mysql://u:p@h:3306/db",
        );
        check(
            "mariadb+mariadbconnector://u@h/db",
            d,
            Mysql,
            "mysql://u@h/db",
        );
    }

    #[test]
    fn redacts_passwords_whatever_they_hold() {
        let redacted = |url: &str| {
            DatabaseUrl::parse(url, UrlDialect::Rust)
                .unwrap()
                .redacted()
        };
        for (url, shown) in [
            ("postgres://u:s3c/ret@h/db", "postgres://u:***@h/db"),
            ("postgres://u:s3c?ret@h/db", "postgres://u:***@h/db"),
            ("postgres://u:a@b@h/db", "postgres://u:***@h/db"),
            (
                "mysql://u:p:q@h:3306/db?ssl_mode=required",
                "mysql://u:***@h:3306/db?ssl_mode=required",
            ),
            (
                "postgres://h/db?user=u&password=s3cret&sslmode=require&sslpassword=x",
                "postgres://h/db?user=u&password=***&sslmode=require&sslpassword=***",
            ),
        ] {
            assert_eq!(redacted(url), shown, "{url}");
            assert!(!redacted(url).contains("s3c") && !redacted(url).contains("ret@"));
        }
    }

    #[test]
    fn redacts_passwords() {
        let redacted = |url: &str| {
            DatabaseUrl::parse(url, UrlDialect::Rust)
                .unwrap()
                .redacted()
        };
        assert_eq!(
            redacted("postgres://novi:s3cr3t@db:5432/flags"),
            "postgres://novi:***@db:5432/flags"
        );
        assert_eq!(
            redacted("mysql://novi:p@ss@db/flags"),
            "mysql://novi:***@db/flags"
        );
        assert_eq!(
            redacted("postgres://novi@db/flags?x=1"),
            "postgres://novi@db/flags?x=1"
        );
        assert_eq!(redacted("postgres://db/flags"), "postgres://db/flags");
        assert_eq!(redacted("novi.db"), "sqlite://novi.db");
        let debug = format!(
            "{:?}",
            DatabaseUrl::parse("postgres://a:b@c/d", UrlDialect::Rust).unwrap()
        );
        assert!(!debug.contains(":b@"));
    }
}
