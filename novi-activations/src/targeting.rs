//! Targeting: environments, user lists and IP ranges.

use std::net::IpAddr;

use novi_core::{
    Activation, ActivationClass, BuildError, Context, Decision, Definition, EvalError,
};
use serde::Deserialize;

use crate::context_value;

/// On in the listed environments.
///
/// Config: `{"environments": ["production", "staging"]}`. Context: `environment`, compared
/// exactly; absent means off.
#[derive(Debug, Clone)]
pub struct EnvironmentActivation {
    environments: Vec<String>,
}

impl Activation for EnvironmentActivation {
    fn evaluate(&self, ctx: &Context) -> bool {
        self.decide(ctx).is_ok_and(|d| d.is_on())
    }

    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        let env = context_value::text(ctx, "environment")?;
        Ok(Decision::from(env.is_some_and(|env| {
            self.environments.iter().any(|e| *e == *env)
        })))
    }
}

impl ActivationClass for EnvironmentActivation {
    const NAMES: &'static [&'static str] = &["EnvironmentActivation"];
    const EXPECTED: &'static str = r#"{"environments": [non-empty list of names]}"#;
    const EXAMPLE: &'static str = r#"{"environments": ["staging", "dev"]}"#;

    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Config {
            environments: Vec<String>,
        }
        let Config { environments } = def.parse_config()?;
        if environments.is_empty() {
            return Err(def.invalid("no environments").into());
        }
        Ok(EnvironmentActivation { environments })
    }
}

/// On for the listed users (an allow-list).
///
/// Config: `{"contextKey": "userId", "values": ["u-1", "u-2"], "caseInsensitive": false}`.
/// `contextKey` defaults to `userId`; numbers in the context compare as their text.
#[derive(Debug, Clone)]
pub struct UserListActivation {
    context_key: String,
    values: Vec<String>,
    case_insensitive: bool,
}

impl Activation for UserListActivation {
    fn evaluate(&self, ctx: &Context) -> bool {
        self.decide(ctx).is_ok_and(|d| d.is_on())
    }

    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        let Some(value) = context_value::text(ctx, &self.context_key)? else {
            return Ok(Decision::OFF);
        };
        let on = if self.case_insensitive {
            self.values.iter().any(|v| eq_ignore_case(v, &value))
        } else {
            self.values.iter().any(|v| *v == *value)
        };
        Ok(Decision::from(on))
    }
}

/// Unicode case-insensitive equality, without allocating.
pub(crate) fn eq_ignore_case(a: &str, b: &str) -> bool {
    a == b
        || a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
}

impl ActivationClass for UserListActivation {
    const NAMES: &'static [&'static str] = &["UserListActivation", "userWithId"];
    const EXPECTED: &'static str = r#"{"contextKey": string (default "userId"), "values": [strings], "caseInsensitive": boolean (default false)}"#;
    const EXAMPLE: &'static str = r#"{"values": ["user-7", "user-42"]}"#;

    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        struct Config {
            #[serde(default = "user_id")]
            context_key: String,
            values: Vec<String>,
            #[serde(default)]
            case_insensitive: bool,
        }
        fn user_id() -> String {
            "userId".to_owned()
        }
        let config: Config = def.parse_config()?;
        if config.context_key.is_empty() {
            return Err(def.invalid("`contextKey` is empty").into());
        }
        Ok(UserListActivation {
            context_key: config.context_key,
            values: config.values,
            case_insensitive: config.case_insensitive,
        })
    }
}

/// On for callers whose `remoteAddress` is in one of the ranges.
///
/// Config: `{"cidrs": ["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"]}` (a plain address is a
/// range of one). IPv4 and IPv6; an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) matches IPv4
/// ranges. An absent address is off; one that does not parse is an evaluation error.
#[derive(Debug, Clone)]
pub struct IpRangeActivation {
    ranges: Vec<Cidr>,
}

/// An IP network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix.parse::<u8>().ok()?)),
            None => (text.trim(), None),
        };
        let network: IpAddr = addr.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { network, prefix })
    }

    pub(crate) fn contains(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) if self.network.is_ipv4() => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => return false,
            },
            other => other,
        };
        match (self.network, addr) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
    }
}

impl Activation for IpRangeActivation {
    fn evaluate(&self, ctx: &Context) -> bool {
        self.decide(ctx).is_ok_and(|d| d.is_on())
    }

    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        let Some(text) = context_value::text(ctx, "remoteAddress")? else {
            return Ok(Decision::OFF);
        };
        let addr: IpAddr = text.trim().parse().map_err(|_| {
            EvalError::invalid_value("remoteAddress", format!("`{text}` is not an IP address"))
        })?;
        Ok(Decision::from(
            self.ranges.iter().any(|range| range.contains(addr)),
        ))
    }
}

impl ActivationClass for IpRangeActivation {
    const NAMES: &'static [&'static str] = &["IpRangeActivation"];
    const EXPECTED: &'static str =
        r#"{"cidrs": [non-empty list of "address/prefix" or addresses]}"#;
    const EXAMPLE: &'static str = r#"{"cidrs": ["10.0.0.0/8", "2001:db8::/32"]}"#;

    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Config {
            cidrs: Vec<String>,
        }
        let Config { cidrs } = def.parse_config()?;
        if cidrs.is_empty() {
            return Err(def.invalid("no ranges").into());
        }
        let ranges = cidrs
            .iter()
            .map(|text| {
                Cidr::parse(text).ok_or_else(|| def.invalid(format!("`{text}` is not an IP range")))
            })
            .collect::<Result<_, _>>()?;
        Ok(IpRangeActivation { ranges })
    }
}

novi_core::register!(EnvironmentActivation);
novi_core::register!(UserListActivation);
novi_core::register!(IpRangeActivation);
