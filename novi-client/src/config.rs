//! Where the database URL comes from, in Python Novi's spirit but explicit.
//!
//! In order: an explicit URL, `NOVI_DATABASE_URL`, `DATABASE_URL`, the `[database] url` key
//! of `novi.ini` in the working directory (read as Python's `configparser` reads it, the URL
//! in SQLAlchemy's dialect), else `sqlite://novi.db`.

use std::{collections::HashMap, fmt, io, path::Path};

use crate::url::{DatabaseUrl, UnsupportedScheme, UrlDialect};

/// Environment variable read first.
pub const NOVI_DATABASE_URL: &str = "NOVI_DATABASE_URL";
/// Environment variable read second.
pub const DATABASE_URL: &str = "DATABASE_URL";
/// The file read third, in the working directory.
pub const NOVI_INI: &str = "novi.ini";
/// The URL used when nothing else names one.
pub const DEFAULT_URL: &str = "sqlite://novi.db";

/// Where the database URL was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    /// Passed by the caller.
    Explicit,
    /// An environment variable.
    Environment(&'static str),
    /// `novi.ini`.
    IniFile,
    /// Nothing named one: `sqlite://novi.db`.
    Default,
}

impl fmt::Display for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlSource::Explicit => f.write_str("the explicit URL"),
            UrlSource::Environment(var) => write!(f, "${var}"),
            UrlSource::IniFile => f.write_str("novi.ini [database] url"),
            UrlSource::Default => f.write_str("the default"),
        }
    }
}

/// Why no usable database URL could be found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `novi.ini` exists but could not be read.
    #[error("reading {path}")]
    ReadIni {
        /// The file.
        path: String,
        /// The IO error.
        #[source]
        source: io::Error,
    },
    /// `novi.ini` is not valid.
    #[error("{path} line {line}: {problem}")]
    MalformedIni {
        /// The file.
        path: String,
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A value in `novi.ini` cannot be interpolated.
    #[error("{path} [database] url: {problem}")]
    BadIniValue {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// The URL names no backend Novi knows.
    #[error("the database URL from {source_name} is not usable")]
    Url {
        /// Where the URL came from.
        source_name: UrlSource,
        /// Why.
        #[source]
        source: UnsupportedScheme,
    },
}

/// Resolves the database URL: `explicit`, then the environment, then `novi.ini` in the working
/// directory, then the default.
pub fn resolve_database_url(
    explicit: Option<&str>,
) -> Result<(DatabaseUrl, UrlSource), ConfigError> {
    resolve_with(explicit, |var| std::env::var(var).ok(), Path::new(NOVI_INI))
}

/// [`resolve_database_url`] with the environment and the ini path given, for tests.
pub fn resolve_with(
    explicit: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
    ini: &Path,
) -> Result<(DatabaseUrl, UrlSource), ConfigError> {
    let rust = |url: &str, source_name: UrlSource| {
        DatabaseUrl::parse(url, UrlDialect::Rust)
            .map(|url| (url, source_name.clone()))
            .map_err(|source| ConfigError::Url {
                source_name,
                source,
            })
    };
    if let Some(url) = explicit {
        return rust(url, UrlSource::Explicit);
    }
    for var in [NOVI_DATABASE_URL, DATABASE_URL] {
        if let Some(url) = env(var).filter(|url| !url.trim().is_empty()) {
            return rust(&url, UrlSource::Environment(var));
        }
    }
    match std::fs::read_to_string(ini) {
        Ok(text) => {
            let path = ini.display().to_string();
            let ini_file =
                IniFile::parse(&text).map_err(|(line, problem)| ConfigError::MalformedIni {
                    path: path.clone(),
                    line,
                    problem,
                })?;
            if let Some(url) = ini_file
                .get("database", "url")
                .map_err(|problem| ConfigError::BadIniValue { path, problem })?
            {
                return DatabaseUrl::parse(&url, UrlDialect::SqlAlchemy)
                    .map(|url| (url, UrlSource::IniFile))
                    .map_err(|source| ConfigError::Url {
                        source_name: UrlSource::IniFile,
                        source,
                    });
            }
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(ConfigError::ReadIni {
                path: ini.display().to_string(),
                source,
            });
        }
    }
    rust(DEFAULT_URL, UrlSource::Default)
}

/// An ini file as Python's `configparser` reads one: `[section]` headers, `key = value` or
/// `key: value` pairs (keys case-insensitive), `#` and `;` comment lines, indented
/// continuation lines, a `[DEFAULT]` section, and `%(key)s` / `%%` interpolation.
#[derive(Debug, Default)]
struct IniFile {
    sections: HashMap<String, HashMap<String, String>>,
}

impl IniFile {
    fn parse(text: &str) -> Result<IniFile, (usize, String)> {
        let mut ini = IniFile::default();
        let mut section: Option<String> = None;
        // The option being read and the indentation of its line: a later line indented
        // deeper continues its value, as in configparser.
        let mut last_key: Option<(String, usize)> = None;
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            let indent = raw.len() - raw.trim_start().len();
            if let (Some(section), Some((key, key_indent))) = (&section, &last_key)
                && indent > *key_indent
            {
                if let Some(value) = ini.sections.get_mut(section).and_then(|s| s.get_mut(key)) {
                    value.push('\n');
                    value.push_str(trimmed);
                }
                continue;
            }
            // configparser reads `[name]` at the start of the line and ignores what follows.
            if let Some(rest) = trimmed.strip_prefix('[') {
                let Some(close) = rest.rfind(']') else {
                    return Err((line_no, format!("unclosed section header `{trimmed}`")));
                };
                let name = &rest[..close];
                if name.is_empty() {
                    return Err((line_no, "an empty section name `[]`".to_owned()));
                }
                if ini.sections.contains_key(name) && name != "DEFAULT" {
                    return Err((line_no, format!("section `{name}` appears twice")));
                }
                ini.sections.entry(name.to_owned()).or_default();
                section = Some(name.to_owned());
                last_key = None;
                continue;
            }
            let Some(section) = &section else {
                return Err((line_no, "a key before any [section] header".to_owned()));
            };
            let Some(at) = trimmed.find(['=', ':']) else {
                return Err((line_no, format!("`{trimmed}` is not `key = value`")));
            };
            let key = trimmed[..at].trim().to_lowercase();
            if key.is_empty() {
                return Err((line_no, "a value without a key".to_owned()));
            }
            let value = trimmed[at + 1..].trim().to_owned();
            let keys = ini.sections.entry(section.clone()).or_default();
            if keys.insert(key.clone(), value).is_some() {
                return Err((line_no, format!("key `{key}` appears twice in [{section}]")));
            }
            last_key = Some((key, indent));
        }
        Ok(ini)
    }

    /// The interpolated value of `key` in `section` (or `[DEFAULT]`), as configparser's
    /// `BasicInterpolation` gives it. Messages name keys, never values (they hold passwords).
    fn get(&self, section: &str, key: &str) -> Result<Option<String>, String> {
        let lookup = |key: &str| {
            self.sections
                .get(section)
                .and_then(|s| s.get(key))
                .or_else(|| self.sections.get("DEFAULT").and_then(|s| s.get(key)))
        };
        let Some(raw) = lookup(key) else {
            return Ok(None);
        };
        let mut out = String::with_capacity(raw.len());
        self.interpolate(&lookup, key, raw, 1, &mut out)?;
        Ok(Some(out))
    }

    fn interpolate<'a>(
        &self,
        lookup: &impl Fn(&str) -> Option<&'a String>,
        key: &str,
        raw: &str,
        depth: usize,
        out: &mut String,
    ) -> Result<(), String> {
        // configparser's MAX_INTERPOLATION_DEPTH.
        if depth > 10 {
            return Err(format!(
                "the value of `{key}` interpolates more than 10 levels deep"
            ));
        }
        let mut rest = raw;
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            if let Some(after) = rest.strip_prefix("%%") {
                out.push('%');
                rest = after;
            } else if let Some(after) = rest.strip_prefix("%(") {
                let Some((name, after)) = after.split_once(")s") else {
                    return Err(format!("bad interpolation syntax in the value of `{key}`"));
                };
                let name = name.to_lowercase();
                let value = lookup(&name).ok_or_else(|| {
                    format!("the value of `{key}` refers to `%({name})s`, which is not set")
                })?;
                self.interpolate(lookup, &name, value, depth + 1, out)?;
                rest = after;
            } else {
                return Err(format!(
                    "`%` must be followed by `%` or `(` in the value of `{key}` (write a literal % as %%, as Python's configparser requires)"
                ));
            }
        }
        out.push_str(rest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::Backend;

    fn resolve(
        explicit: Option<&str>,
        env: &[(&str, &str)],
        ini: Option<&str>,
    ) -> Result<(Backend, String, UrlSource), String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("novi.ini");
        if let Some(text) = ini {
            std::fs::write(&path, text).unwrap();
        }
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        resolve_with(explicit, |var| env.get(var).cloned(), &path)
            .map(|(url, source)| (url.backend(), url.target().to_owned(), source))
            .map_err(|err| {
                let mut text = err.to_string();
                if let Some(source) = std::error::Error::source(&err) {
                    text = format!("{text}: {source}");
                }
                text.replace(&path.display().to_string(), "novi.ini")
            })
    }

    #[test]
    fn order_is_explicit_env_ini_default() {
        let ini = Some("[database]\nurl=sqlite:///from_ini.db\necho=False\n");
        let env = [
            (NOVI_DATABASE_URL, "sqlite://novi_env.db"),
            (DATABASE_URL, "sqlite://env.db"),
        ];
        assert_eq!(
            resolve(Some("postgres://h/db"), &env, ini),
            Ok((
                Backend::Postgres,
                "postgres://h/db".into(),
                UrlSource::Explicit
            ))
        );
        assert_eq!(
            resolve(None, &env, ini),
            Ok((
                Backend::Sqlite,
                "novi_env.db".into(),
                UrlSource::Environment(NOVI_DATABASE_URL)
            ))
        );
        assert_eq!(
            resolve(None, &env[1..], ini),
            Ok((
                Backend::Sqlite,
                "env.db".into(),
                UrlSource::Environment(DATABASE_URL)
            ))
        );
        assert_eq!(
            resolve(None, &[], ini),
            Ok((Backend::Sqlite, "from_ini.db".into(), UrlSource::IniFile))
        );
        assert_eq!(
            resolve(None, &[], None),
            Ok((Backend::Sqlite, "novi.db".into(), UrlSource::Default))
        );
        assert_eq!(
            resolve(None, &[], Some("[other]\nx = 1\n")),
            Ok((Backend::Sqlite, "novi.db".into(), UrlSource::Default))
        );
    }

    #[test]
    fn python_novi_ini_is_read_like_configparser() {
        assert_eq!(
            resolve(
                None,
                &[],
                Some(include_str!("../tests/fixtures/python-novi.ini"))
            ),
            Ok((Backend::Sqlite, "novi.db".into(), UrlSource::IniFile))
        );
        let ini = "# comment\n[DEFAULT]\nhost = db.internal\n\n[database]\nURL: postgresql+psycopg2://novi:p%%40ss@%(host)s/flags\n  ; not a continuation: a comment\necho = True\n";
        assert_eq!(
            resolve(None, &[], Some(ini)),
            Ok((
                Backend::Postgres,
                "postgresql://novi:p%40ss@db.internal/flags".into(),
                UrlSource::IniFile
            ))
        );
    }

    #[test]
    fn malformed_ini_is_an_error() {
        for (ini, message) in [
            (
                "url = x\n",
                "novi.ini line 1: a key before any [section] header",
            ),
            (
                "[database\nurl = x\n",
                "novi.ini line 1: unclosed section header `[database`",
            ),
            (
                "[database]\njust words\n",
                "novi.ini line 2: `just words` is not `key = value`",
            ),
            (
                "[database]\nurl = a\nurl = b\n",
                "novi.ini line 3: key `url` appears twice in [database]",
            ),
            (
                "[database]\nurl = postgres://u:p%40@h/db\n",
                "novi.ini [database] url: `%` must be followed by `%` or `(` in the value of `url` (write a literal % as %%, as Python's configparser requires)",
            ),
            (
                "[database]\nurl = %(a)s\na = %(url)s\n",
                "novi.ini [database] url: the value of `url` interpolates more than 10 levels deep",
            ),
            (
                "[database]\nurl = oracle://h/db\n",
                "the database URL from novi.ini [database] url is not usable: unsupported database URL scheme `oracle` (use sqlite://, postgres://, postgresql:// or mysql://)",
            ),
        ] {
            assert_eq!(
                resolve(None, &[], Some(ini)),
                Err(message.to_owned()),
                "{ini}"
            );
        }
    }
}
