//! `VariantActivation`: sticky, weighted variants with payloads, chosen exactly as Unleash
//! chooses them.

use std::sync::Arc;

use novi_core::{
    Activation, ActivationClass, BuildError, Context, Decision, Definition, EvalError, Payload,
    PayloadKind, Variant,
};
use serde::Deserialize;

use crate::{
    bucketing::{VARIANT_SEED, normalized_hash},
    context_value,
    rollout::Stickiness,
};

/// Always on, and chooses a variant for the caller.
///
/// Config:
/// `{"variants": [{"name": "blue", "weight": 50, "payload": {"type": "string" | "json" |
/// "number", "value": "…"}, "overrides": [{"contextName": "userId", "values": ["u-1"]}]}, …],
/// "stickiness": "default" | "random" | <context key>, "groupId": optional}`.
///
/// A caller whose context matches a variant's override gets that variant. Otherwise the
/// variant is `normalized_hash(groupId, value, total weight, 86028157)` over the cumulative
/// weights, where `value` is the stickiness value (`default`: `userId`, else `sessionId`, else
/// `remoteAddress`, else random; a named key that is missing: random), as in Unleash. Unleash's
/// variant seed keeps the variant a user gets independent of whether a rollout admits them.
/// `groupId` defaults to the activation's name (Unleash uses the feature's name). `hashSeed`
/// (default 86028157) may be set to 0 to keep the assignments of Unleash SDKs that predate
/// the variant seed (client specification before October 2023).
#[derive(Debug, Clone)]
pub struct VariantActivation {
    variants: Vec<WeightedVariant>,
    total_weight: u32,
    stickiness: Stickiness,
    group_id: String,
    hash_seed: u32,
}

#[derive(Debug, Clone)]
struct WeightedVariant {
    variant: Arc<Variant>,
    weight: u32,
    overrides: Vec<Override>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Override {
    context_name: String,
    values: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    variants: Vec<VariantConfig>,
    #[serde(default)]
    stickiness: Option<String>,
    #[serde(default, rename = "groupId")]
    group_id: Option<String>,
    #[serde(default = "variant_seed", rename = "hashSeed")]
    hash_seed: u32,
}

fn variant_seed() -> u32 {
    VARIANT_SEED
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantConfig {
    name: String,
    weight: u32,
    #[serde(default)]
    payload: Option<PayloadConfig>,
    #[serde(default)]
    overrides: Vec<Override>,
    /// Unleash keeps the stickiness on each variant; the first one that names it counts.
    #[serde(default)]
    stickiness: Option<String>,
    /// Unleash's `weightType` (`variable`/`fix`) is accepted and not used.
    #[serde(default, rename = "weightType")]
    _weight_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayloadConfig {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

impl VariantActivation {
    /// The variant for the caller.
    pub fn choose(&self, ctx: &Context) -> Result<&Arc<Variant>, EvalError> {
        for candidate in &self.variants {
            for rule in &candidate.overrides {
                if let Some(value) = context_value::text(ctx, &rule.context_name)?
                    && rule.values.iter().any(|v| *v == *value)
                {
                    return Ok(&candidate.variant);
                }
            }
        }
        let target = match &self.stickiness {
            Stickiness::Random => self.target(&context_value::random_key()),
            Stickiness::Key(key) => match context_value::text(ctx, key)? {
                Some(value) => self.target(&value),
                None => self.target(&context_value::random_key()),
            },
            Stickiness::Default => {
                let mut target = None;
                for key in ["userId", "sessionId", "remoteAddress"] {
                    if let Some(value) = context_value::text(ctx, key)? {
                        target = Some(self.target(&value));
                        break;
                    }
                }
                target.unwrap_or_else(|| self.target(&context_value::random_key()))
            }
        };
        let mut cumulative = 0u32;
        for candidate in &self.variants {
            if candidate.weight == 0 {
                continue;
            }
            cumulative = cumulative.saturating_add(candidate.weight);
            if cumulative >= target {
                return Ok(&candidate.variant);
            }
        }
        // The weights add up to the modulus, so the loop always returns; this is the last
        // variant with a weight, should rounding ever say otherwise.
        Ok(self
            .variants
            .iter()
            .rev()
            .find(|v| v.weight > 0)
            .map(|v| &v.variant)
            .unwrap_or(&self.variants[0].variant))
    }

    fn target(&self, key: &str) -> u32 {
        normalized_hash(&self.group_id, key, self.total_weight, self.hash_seed)
    }
}

impl Activation for VariantActivation {
    fn evaluate(&self, ctx: &Context) -> bool {
        self.decide(ctx).is_ok()
    }

    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        Ok(Decision::ON.with_variant(Arc::clone(self.choose(ctx)?)))
    }

    fn variant_weights(&self) -> Option<Vec<(String, f64)>> {
        Some(
            self.variants
                .iter()
                .map(|v| (v.variant.name.clone(), f64::from(v.weight)))
                .collect(),
        )
    }
}

impl ActivationClass for VariantActivation {
    const NAMES: &'static [&'static str] = &["VariantActivation", "variants"];
    const EXPECTED: &'static str = r#"{"variants": [{"name": string, "weight": integer >= 0, "payload": {"type": "string" | "json" | "number", "value": string}?, "overrides": [{"contextName": string, "values": [strings]}]?}, ...] with a positive total weight, "stickiness": string?, "groupId": string?, "hashSeed": integer?}"#;
    const EXAMPLE: &'static str = r##"{"variants": [{"name": "blue", "weight": 50, "payload": {"type": "string", "value": "#0055ff"}}, {"name": "green", "weight": 50, "payload": {"type": "string", "value": "#00aa44"}}], "stickiness": "userId"}"##;

    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
        let config: Config = def.parse_config()?;
        if config.variants.is_empty() {
            return Err(def.invalid("no variants").into());
        }
        let total_weight = config
            .variants
            .iter()
            .try_fold(0u32, |sum, v| sum.checked_add(v.weight))
            .ok_or_else(|| def.invalid("the weights add up to more than 4294967295"))?;
        if total_weight == 0 {
            return Err(def.invalid("the weights add up to 0").into());
        }
        let stickiness = config
            .stickiness
            .clone()
            .or_else(|| config.variants.iter().find_map(|v| v.stickiness.clone()));
        let mut variants = Vec::with_capacity(config.variants.len());
        for v in config.variants {
            let payload = match v.payload {
                None => None,
                Some(p) => {
                    let kind = match p.kind.as_str() {
                        "string" => PayloadKind::String,
                        "json" => {
                            serde_json::from_str::<serde_json::Value>(&p.value).map_err(|err| {
                                def.invalid(format!(
                                    "the json payload of `{}` is not JSON: {err}",
                                    v.name
                                ))
                            })?;
                            PayloadKind::Json
                        }
                        "number" => {
                            p.value.trim().parse::<f64>().map_err(|_| {
                                def.invalid(format!(
                                    "the number payload of `{}` is not a number",
                                    v.name
                                ))
                            })?;
                            PayloadKind::Number
                        }
                        other => {
                            return Err(def
                                .invalid(format!(
                                    "payload type `{other}` of `{}` is not string, json or number",
                                    v.name
                                ))
                                .into());
                        }
                    };
                    Some(Payload {
                        kind,
                        value: p.value,
                    })
                }
            };
            variants.push(WeightedVariant {
                variant: Arc::new(Variant {
                    name: v.name,
                    payload,
                }),
                weight: v.weight,
                overrides: v.overrides,
            });
        }
        Ok(VariantActivation {
            variants,
            total_weight,
            stickiness: Stickiness::parse(stickiness.as_deref()),
            group_id: config.group_id.unwrap_or_else(|| def.name().to_owned()),
            hash_seed: config.hash_seed,
        })
    }
}

novi_core::register!(VariantActivation);
