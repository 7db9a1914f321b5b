//! Which `Host` a request may name: the defence against DNS rebinding. A web page on
//! `attacker.example` whose name its owner points at 127.0.0.1 would otherwise reach a server
//! bound to loopback, with the browser's blessing, and write to it when writes are open.

use actix_web::{
    Error, HttpResponse,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header,
    middleware::Next,
    web,
};

use crate::{error::ApiError, state::AppState};

/// The names a loopback server always answers to, whatever the port.
const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// The `Host` names a server answers to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    /// `None`: any name (a server bound beyond loopback with no `--allowed-host`).
    names: Option<Vec<String>>,
}

impl AllowedHosts {
    /// Any name.
    pub fn any() -> AllowedHosts {
        AllowedHosts { names: None }
    }

    /// The loopback names (`localhost`, `127.0.0.1`, `[::1]`) and `extra`, with any port. Names
    /// compare without case, and without a final dot.
    pub fn loopback_and(extra: impl IntoIterator<Item = impl AsRef<str>>) -> AllowedHosts {
        let mut names: Vec<String> = LOOPBACK_NAMES.iter().map(|n| (*n).to_owned()).collect();
        names.extend(extra.into_iter().map(|n| normalize(n.as_ref())));
        AllowedHosts { names: Some(names) }
    }

    /// Whether a request naming `host` (a `Host` header: a name, an IPv4 address or a bracketed
    /// IPv6 address, with an optional port) is answered.
    pub fn allows(&self, host: &str) -> bool {
        let Some(names) = &self.names else {
            return true;
        };
        let name = normalize(strip_port(host));
        names.contains(&name)
    }

    /// Whether every name is answered.
    pub fn is_any(&self) -> bool {
        self.names.is_none()
    }
}

/// `host` without its `:port`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // `[::1]:8080`: the port follows the bracket.
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    host.rsplit_once(':').map_or(host, |(name, _port)| name)
}

fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The middleware: a request whose `Host` (or, without one, its URI's authority) the server
/// does not answer to gets a JSON 421 before anything else runs. A request that names no host at
/// all (HTTP/1.0 tools) is answered: browsers always name one.
pub(crate) async fn check(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let refused = req.app_data::<web::Data<AppState>>().and_then(|state| {
        let host = match req.headers().get(header::HOST) {
            Some(value) => Some(value.to_str().unwrap_or("\u{fffd}").to_owned()),
            None => req.uri().authority().map(|a| a.as_str().to_owned()),
        }?;
        (!state.allowed_hosts().allows(&host)).then_some(host)
    });
    match refused {
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        Some(host) => {
            let err = ApiError::HostNotAllowed(host);
            let answer: HttpResponse = actix_web::ResponseError::error_response(&err);
            Ok(req.into_response(answer).map_into_right_body())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_with_any_port_and_the_names_given() {
        let hosts = AllowedHosts::loopback_and(["flags.example.com"]);
        for host in [
            "localhost",
            "localhost:8080",
            "LOCALHOST:1",
            "localhost.:80",
            "127.0.0.1",
            "127.0.0.1:18091",
            "[::1]",
            "[::1]:8080",
            "flags.example.com",
            "Flags.Example.Com:443",
        ] {
            assert!(hosts.allows(host), "{host}");
        }
        for host in [
            "attacker.example:18091",
            "attacker.example",
            "127.0.0.2:8080",
            "localhost.attacker.example",
            "[::2]:80",
            "",
            "example.com",
        ] {
            assert!(!hosts.allows(host), "{host}");
        }
        assert!(AllowedHosts::any().allows("anything:1"));
    }
}
