//! `GradualRolloutActivation`: a sticky percentage rollout, bucketed exactly as Unleash's
//! `flexibleRollout`.

use novi_core::{
    Activation, ActivationClass, BuildError, Context, Decision, Definition, EvalError,
};
use serde_json::Value;

use crate::{bucketing::normalized_hash, context_value};

/// On for `percentage` percent of callers, the same callers every time.
///
/// Config: `{"percentage": 0..100, "stickiness": "userId" | "sessionId" | "default" | "random"
/// | <any context key>, "groupId": optional}`. `groupId` defaults to the activation's name.
///
/// The caller is on when `normalized_hash(groupId, value, 100, 0) <= percentage`, where
/// `value` is the context value the stickiness names: `default` takes `userId`, else
/// `sessionId`, else a random value; `random` always a random value. A caller without the named
/// value is off. This is Unleash's `flexibleRollout` (also registered under that name), so users
/// keep their buckets when they move; raising the percentage never turns a user off.
#[derive(Debug, Clone)]
pub struct GradualRolloutActivation {
    percentage: f64,
    stickiness: Stickiness,
    group_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stickiness {
    /// `userId`, else `sessionId`, else random.
    Default,
    /// A random value every time.
    Random,
    /// The value of this context key.
    Key(String),
}

impl Stickiness {
    pub(crate) fn parse(name: Option<&str>) -> Stickiness {
        match name {
            None | Some("default") | Some("") => Stickiness::Default,
            Some("random") => Stickiness::Random,
            Some(key) => Stickiness::Key(key.to_owned()),
        }
    }
}

impl GradualRolloutActivation {
    /// The bucket of the caller (1 to 100), or `None` when the stickiness value is missing.
    pub fn bucket(&self, ctx: &Context) -> Result<Option<u32>, EvalError> {
        let bucket = |key: &str| normalized_hash(&self.group_id, key, 100, 0);
        Ok(match &self.stickiness {
            Stickiness::Random => Some(bucket(&context_value::random_key())),
            Stickiness::Key(key) => context_value::text(ctx, key)?.map(|v| bucket(&v)),
            Stickiness::Default => match context_value::text(ctx, "userId")? {
                Some(user) => Some(bucket(&user)),
                None => match context_value::text(ctx, "sessionId")? {
                    Some(session) => Some(bucket(&session)),
                    None => Some(bucket(&context_value::random_key())),
                },
            },
        })
    }
}

impl Activation for GradualRolloutActivation {
    fn evaluate(&self, ctx: &Context) -> bool {
        self.decide(ctx).is_ok_and(|d| d.is_on())
    }

    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        Ok(Decision::from(self.bucket(ctx)?.is_some_and(|bucket| {
            f64::from(bucket) <= self.percentage
        })))
    }
}

impl ActivationClass for GradualRolloutActivation {
    const NAMES: &'static [&'static str] = &["GradualRolloutActivation", "flexibleRollout"];
    const EXPECTED: &'static str = r#"{"percentage": 0 to 100, "stickiness": "default" | "userId" | "sessionId" | "random" | a context key, "groupId": optional string}"#;
    const EXAMPLE: &'static str =
        r#"{"percentage": 25, "stickiness": "userId", "groupId": "new-checkout"}"#;

    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
        let config: serde_json::Map<String, Value> = def.parse_config()?;
        for key in config.keys() {
            if !["percentage", "rollout", "stickiness", "groupId"].contains(&key.as_str()) {
                return Err(def.invalid(format!("unknown key `{key}`")).into());
            }
        }
        // `rollout` is Unleash's name; numbers may come as strings, as Unleash stores them.
        let raw = config.get("percentage").or_else(|| config.get("rollout"));
        let percentage = match raw {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            None => return Err(def.invalid("missing `percentage`").into()),
            Some(_) => None,
        }
        .filter(|p| (0.0..=100.0).contains(p))
        .ok_or_else(|| {
            def.invalid(format!(
                "`percentage` {} is not a number from 0 to 100",
                raw.map(Value::to_string).unwrap_or_default()
            ))
        })?;
        let stickiness = match config.get("stickiness") {
            None => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(other) => {
                return Err(def
                    .invalid(format!("`stickiness` must be a string, not {other}"))
                    .into());
            }
        };
        let group_id = match config.get("groupId") {
            None => def.name().to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(def
                    .invalid(format!("`groupId` must be a string, not {other}"))
                    .into());
            }
        };
        Ok(GradualRolloutActivation {
            percentage,
            stickiness: Stickiness::parse(stickiness),
            group_id,
        })
    }
}

novi_core::register!(GradualRolloutActivation);
