//! Bearer tokens and the guard: an admin token guards every write route (and `/audit`), optional
//! client tokens guard the read and evaluation routes, as each route's entry in `ROUTES` says.
//! Tokens are compared in constant time, and only their labels are ever shown or logged.

use std::fmt;

use actix_web::{
    Error, HttpMessage, HttpRequest, HttpResponse,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, header},
    middleware::Next,
    web,
};
use subtle::ConstantTimeEq;

use crate::{
    error::ApiError,
    routes::{Access, MatchedRoute, Route},
    state::AppState,
};

/// The shortest token accepted: anything shorter is guessable.
pub const MIN_TOKEN_LEN: usize = 16;

/// A token and the label that names it in the audit log.
#[derive(Clone)]
pub struct Token {
    label: String,
    secret: Box<[u8]>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("label", &self.label)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Why a token was refused at start-up. The messages never quote the token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Too short to be secret.
    #[error("the token labelled `{0}` is shorter than {MIN_TOKEN_LEN} characters")]
    TooShort(String),
    /// A character that cannot travel in an `Authorization` header.
    #[error("the token labelled `{0}` holds whitespace or a control character")]
    BadCharacter(String),
}

impl Token {
    /// Reads `LABEL=SECRET`, or a bare `SECRET` labelled `default_label`. A label is 1 to 64
    /// ASCII letters, digits, `-`, `_` or `.`; anything else before the first `=`, or only `=`
    /// after it (base64 padding), makes the whole text the secret. A secret that holds `=`
    /// elsewhere must be given with its label (`admin=SECRET`).
    pub fn parse(spec: &str, default_label: &str) -> Result<Token, TokenError> {
        let (label, secret) = match spec.split_once('=') {
            Some((label, secret))
                if !secret.bytes().all(|b| b == b'=')
                    && (1..=64).contains(&label.len())
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
            {
                (label, secret)
            }
            _ => (default_label, spec),
        };
        if secret.len() < MIN_TOKEN_LEN {
            return Err(TokenError::TooShort(label.to_owned()));
        }
        if secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TokenError::BadCharacter(label.to_owned()));
        }
        Ok(Token {
            label: label.to_owned(),
            secret: secret.as_bytes().into(),
        })
    }

    /// Its label.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// The server's tokens. With no admin token, writes are open (and the server refuses to bind
/// beyond loopback unless told it may); with no client token, reads are open.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// Tokens that may do everything.
    pub admin: Vec<Token>,
    /// Tokens that may read and evaluate.
    pub client: Vec<Token>,
}

impl Tokens {
    /// The token sent, if it is one of ours: compared in constant time against every token.
    fn find(&self, sent: &[u8]) -> Option<(&Token, Role)> {
        let mut found = None;
        let all = self
            .admin
            .iter()
            .map(|t| (t, Role::Admin))
            .chain(self.client.iter().map(|t| (t, Role::Client)));
        for (token, role) in all {
            if bool::from(token.secret.ct_eq(sent)) && found.is_none() {
                found = Some((token, role));
            }
        }
        found
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Admin,
    Client,
}

/// Who made a request, as the audit log names them.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) label: String,
}

impl Caller {
    /// The caller of `req`: the label of the token it sent, or `anonymous` where writes are
    /// open.
    pub(crate) fn of(req: &HttpRequest) -> String {
        req.extensions()
            .get::<Caller>()
            .map_or_else(|| "anonymous".to_owned(), |c| c.label.clone())
    }
}

/// The token a request carries: `Authorization: Bearer …`, or `X-API-Key: …`.
fn sent_token(req: &ServiceRequest) -> Option<&[u8]> {
    let headers = req.headers();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.as_bytes();
        let scheme = value.get(..7)?;
        return scheme
            .eq_ignore_ascii_case(b"bearer ")
            .then(|| value[7..].trim_ascii());
    }
    headers.get("x-api-key").map(|v| v.as_bytes().trim_ascii())
}

/// Whether a browser sent `req` from a page of another site: `Sec-Fetch-Site` says so, or the
/// `Origin` differs from the `Host` the request was sent to. Programs (curl, the clients) send
/// neither header. Writes (admin routes, and event ingestion) from another site are refused
/// even where no token is set: a
/// page on the web cannot make a browser on the operator's machine write to a server on
/// loopback (the UI keeps its token in the tab, never in a cookie, so a token cannot ride along).
fn from_another_site(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"cross-site" | b"same-site");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|origin| origin.split_once("://"))
        .map(|(_, host)| host);
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok());
    match (origin_host, host) {
        (Some(origin_host), Some(host)) => !origin_host.eq_ignore_ascii_case(host),
        // `Origin: null` (a sandboxed or file page), or no `Host` to compare with.
        _ => true,
    }
}

/// Decides whether `req` may call a route that needs `access`, and notes the caller.
fn check(req: &ServiceRequest, access: Access) -> Result<(), ApiError> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(ApiError::Internal);
    };
    if matches!(access, Access::Admin | Access::Ingest)
        && !matches!(*req.method(), Method::GET | Method::HEAD)
        && from_another_site(req)
    {
        return Err(ApiError::Forbidden(
            "a write sent by another site's page is refused".to_owned(),
        ));
    }
    let tokens = &state.tokens;
    match access {
        Access::Open => return Ok(()),
        // Without client tokens, reads are open even when an admin token is set.
        Access::Read if tokens.client.is_empty() => return Ok(()),
        Access::Admin if tokens.admin.is_empty() => return Ok(()),
        // Ingestion stores data: open only on a server with no token at all.
        Access::Ingest if tokens.admin.is_empty() && tokens.client.is_empty() => return Ok(()),
        Access::Read | Access::Admin | Access::Ingest => {}
    }
    let sent = sent_token(req).ok_or(ApiError::Unauthorized)?;
    match tokens.find(sent) {
        Some((token, role))
            if role == Role::Admin || matches!(access, Access::Read | Access::Ingest) =>
        {
            req.extensions_mut().insert(Caller {
                label: token.label.clone(),
            });
            Ok(())
        }
        Some(_) => Err(ApiError::Forbidden(
            "a client token may read and evaluate, not write".to_owned(),
        )),
        None => Err(ApiError::Forbidden("the token is not valid".to_owned())),
    }
}

/// The middleware around every resource: it runs after routing, on the route that matched, so
/// whatever spelling of the path reached it (percent-encoded or not), access is decided by that
/// route's entry in [`ROUTES`](crate::ROUTES). It answers `OPTIONS` (204 with `Allow`), methods
/// the route does not declare (JSON 405 with `Allow`), 401 without a token and 403 with a
/// wrong one, before any handler.
pub(crate) async fn guard(
    route: &'static Route,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    req.extensions_mut().insert(MatchedRoute(route));
    let refused = match route.access(req.method().as_str()) {
        None => ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            path: req.path().to_owned(),
            allow: route.allow(),
        },
        Some(_) if req.method() == Method::OPTIONS => {
            let answer = HttpResponse::NoContent()
                .insert_header((header::ALLOW, route.allow()))
                .finish();
            return Ok(req.into_response(answer).map_into_right_body());
        }
        Some(access) => match check(&req, access) {
            Ok(()) => {
                return next
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_left_body);
            }
            Err(err) => err,
        },
    };
    Ok(req.error_response(refused).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_optional_and_secrets_stay_whole() {
        let t = Token::parse("ops=0123456789abcdef", "admin").unwrap();
        assert_eq!((t.label(), &*t.secret), ("ops", &b"0123456789abcdef"[..]));
        let t = Token::parse("0123456789abcdef", "admin").unwrap();
        assert_eq!(t.label(), "admin");
        // Base64 padding is part of the secret, not a label separator.
        let t = Token::parse("QUJDREVGR0hJSktMTU5PUA==", "admin").unwrap();
        assert_eq!(
            (t.label(), &*t.secret),
            ("admin", &b"QUJDREVGR0hJSktMTU5PUA=="[..])
        );
        assert!(matches!(
            Token::parse("ops=short", "admin"),
            Err(TokenError::TooShort(l)) if l == "ops"
        ));
        assert!(matches!(
            Token::parse("0123456789 abcdef", "admin"),
            Err(TokenError::BadCharacter(_))
        ));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let t = Token::parse("ops=0123456789abcdef", "admin").unwrap();
        let shown = format!(
            "{t:?} {:?}",
            Tokens {
                admin: vec![t.clone()],
                client: vec![]
            }
        );
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
        assert!(shown.contains("ops"));
    }
}
