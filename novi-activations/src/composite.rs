//! `AndActivation` and `OrActivation`: combinations of other activations, named by id.

use std::sync::Arc;

use novi_core::{
    Activation, ActivationClass, ActivationId, BuildError, Context, Decision, Definition,
    EvalError, Memo,
};

/// On when every member is on.
///
/// Config (Python Novi's): a non-empty JSON array of activation ids, e.g. `[1, 2]`. Members
/// are built once and shared; a missing id, a cycle (an And that contains itself, directly or
/// through others) or nesting deeper than [`novi_core::MAX_NESTING`] is a build error.
///
/// Each member is decided at most once per evaluation of a flag, however many composites share
/// it (through [`Activation::decide_in`] and the evaluation's [`Memo`]).
///
/// The answer does not depend on the order of the ids. When a member fails to evaluate
/// (an [`EvalError`]), And follows three-valued logic: any member that is off makes the And
/// off; otherwise the error is the answer. Evaluation stops at the first member that is off.
#[derive(Debug, Clone)]
pub struct AndActivation {
    members: Vec<Arc<dyn Activation>>,
}

/// On when any member is on.
///
/// Config as for [`AndActivation`]. Any member that is on makes the Or on, whatever errors
/// others give; otherwise the first error is the answer. Evaluation stops at the first member
/// that is on.
#[derive(Debug, Clone)]
pub struct OrActivation {
    members: Vec<Arc<dyn Activation>>,
}

const EXPECTED_IDS: &str = "a non-empty JSON array of activation ids, e.g. [1, 2]";

fn build_members(def: &mut Definition<'_>) -> Result<Vec<Arc<dyn Activation>>, BuildError> {
    let mut ids: Vec<i32> = def.parse_config()?;
    if ids.is_empty() {
        return Err(def.invalid("the list of ids is empty").into());
    }
    // A repeated id changes nothing but the work done.
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    ids.into_iter()
        .map(|id| def.resolve(ActivationId(id)))
        .collect()
}

/// Evaluates members until one answers `decisive`; errors count only when none does. The
/// answer carries the variant of the member that decided it: for Or the first member that is
/// on, for And (all on) the first member that chose one.
fn fold(
    members: &[Arc<dyn Activation>],
    ctx: &Context,
    memo: &mut Memo,
    decisive: bool,
) -> Result<Decision, EvalError> {
    let mut first_error = None;
    let mut variant = None;
    for member in members {
        match member.decide_in(ctx, memo) {
            Ok(decision) if decision.is_on() == decisive => {
                return Ok(match (decisive, decision.into_variant()) {
                    (true, Some(chosen)) => Decision::ON.with_variant(chosen),
                    _ => Decision::from(decisive),
                });
            }
            Ok(decision) => {
                if variant.is_none() {
                    variant = decision.into_variant();
                }
            }
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    match (first_error, variant) {
        (Some(err), _) => Err(err),
        (None, Some(chosen)) if !decisive => Ok(Decision::ON.with_variant(chosen)),
        (None, _) => Ok(Decision::from(!decisive)),
    }
}

impl Activation for AndActivation {
    fn evaluate(&self, ctx: &Context) -> bool {
        self.decide(ctx).is_ok_and(|d| d.is_on())
    }

    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        self.decide_in(ctx, &mut Memo::new())
    }

    fn decide_in(&self, ctx: &Context, memo: &mut Memo) -> Result<Decision, EvalError> {
        fold(&self.members, ctx, memo, false)
    }

    /// The first member's (in id order) that chooses variants.
    fn variant_weights(&self) -> Option<Vec<(String, f64)>> {
        self.members
            .iter()
            .find_map(|member| member.variant_weights())
    }
}

impl Activation for OrActivation {
    fn evaluate(&self, ctx: &Context) -> bool {
        self.decide(ctx).is_ok_and(|d| d.is_on())
    }

    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        self.decide_in(ctx, &mut Memo::new())
    }

    fn decide_in(&self, ctx: &Context, memo: &mut Memo) -> Result<Decision, EvalError> {
        fold(&self.members, ctx, memo, true)
    }

    /// The first member's (in id order) that chooses variants.
    fn variant_weights(&self) -> Option<Vec<(String, f64)>> {
        self.members
            .iter()
            .find_map(|member| member.variant_weights())
    }
}

impl ActivationClass for AndActivation {
    const NAMES: &'static [&'static str] = &[
        "AndActivation",
        "novi.client.activations.and_activation.AndActivation",
    ];
    const EXPECTED: &'static str = EXPECTED_IDS;
    const EXAMPLE: &'static str = "[1, 2]";

    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
        Ok(AndActivation {
            members: build_members(def)?,
        })
    }
}

impl ActivationClass for OrActivation {
    const NAMES: &'static [&'static str] = &[
        "OrActivation",
        "novi.client.activations.or_activation.OrActivation",
    ];
    const EXPECTED: &'static str = EXPECTED_IDS;
    const EXAMPLE: &'static str = "[1, 2]";

    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
        Ok(OrActivation {
            members: build_members(def)?,
        })
    }
}

/// On when its one member is off.
///
/// Config: `[id]`, a JSON array of one activation id (cycle-checked like And/Or). An error of the
/// member is the answer; a variant is never reported.
#[derive(Debug, Clone)]
pub struct NotActivation {
    member: Arc<dyn Activation>,
}

impl Activation for NotActivation {
    fn evaluate(&self, ctx: &Context) -> bool {
        self.decide(ctx).is_ok_and(|d| d.is_on())
    }

    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        self.decide_in(ctx, &mut Memo::new())
    }

    fn decide_in(&self, ctx: &Context, memo: &mut Memo) -> Result<Decision, EvalError> {
        Ok(Decision::from(!self.member.decide_in(ctx, memo)?.is_on()))
    }
}

impl ActivationClass for NotActivation {
    const NAMES: &'static [&'static str] = &["NotActivation"];
    const EXPECTED: &'static str = "a JSON array of one activation id, e.g. [3]";
    const EXAMPLE: &'static str = "[1]";

    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
        let ids: Vec<i32> = def.parse_config()?;
        let [id] = ids[..] else {
            return Err(def.invalid(format!("{} ids, not one", ids.len())).into());
        };
        Ok(NotActivation {
            member: def.resolve(ActivationId(id))?,
        })
    }
}

novi_core::register!(NotActivation);
novi_core::register!(AndActivation);
novi_core::register!(OrActivation);
