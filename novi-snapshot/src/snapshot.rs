//! The immutable, in-memory state that every flag check reads: flags with their activations
//! built once. Evaluation is a name lookup plus the activations' own logic: no SQL, no lock,
//! no parsing.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, OnceLock},
    time::SystemTime,
};

use novi_core::{
    Activation, ActivationId, ActivationSet, ActivationSpec, BuildError, Context, EvalError, Memo,
    RuntimeClasses, Variant,
};
use rustc_hash::FxHashMap;

use crate::{
    document::Document,
    records::{ActivationRecord, FlagId, FlagRecord},
    revision::Revision,
    rows::{ActivationRow, FlagRow, LinkRow, Rows},
};

/// The answer for one flag and one context, why, and the variant chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Whether the flag is on.
    pub enabled: bool,
    /// Why.
    pub reason: Reason,
    /// When the flag is on: the variant chosen by the first of its activations that chooses
    /// variants (a `VariantActivation`, a `WeightedRandomActivation`), if any.
    pub variant: Option<Arc<Variant>>,
}

/// Why a flag evaluated as it did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reason {
    /// The stored status is false: the flag is off whatever its activations say.
    Disabled,
    /// The status is true and the flag has no activations: a plain on flag.
    NoActivations,
    /// The status is true and every activation said yes.
    AllMatched,
    /// This activation said no.
    NotMatched {
        /// The activation.
        activation: ActivationId,
    },
    /// This activation could not be built (unknown class, bad config, cycle, missing id), so
    /// the flag fails closed.
    ActivationError {
        /// The activation.
        activation: ActivationId,
        /// Why it could not be built.
        error: Arc<BuildError>,
    },
    /// This activation could not use a context value, and no other activation said no.
    EvaluationError {
        /// The activation.
        activation: ActivationId,
        /// What was wrong with the context.
        error: EvalError,
    },
}

impl Reason {
    /// Its code, as `novi-web` sends it: `disabled`, `no_activations`, `all_matched`,
    /// `not_matched`, `activation_error` or `evaluation_error`.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Disabled => "disabled",
            Reason::NoActivations => "no_activations",
            Reason::AllMatched => "all_matched",
            Reason::NotMatched { .. } => "not_matched",
            Reason::ActivationError { .. } => "activation_error",
            Reason::EvaluationError { .. } => "evaluation_error",
        }
    }

    /// The activation the reason names, if any.
    pub fn activation(&self) -> Option<ActivationId> {
        match self {
            Reason::NotMatched { activation }
            | Reason::ActivationError { activation, .. }
            | Reason::EvaluationError { activation, .. } => Some(*activation),
            Reason::Disabled | Reason::NoActivations | Reason::AllMatched => None,
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Disabled => f.write_str("the flag's status is false"),
            Reason::NoActivations => f.write_str("the flag is on and has no activations"),
            Reason::AllMatched => f.write_str("every activation matched"),
            Reason::NotMatched { activation } => {
                write!(f, "activation {activation} did not match")
            }
            Reason::ActivationError { activation, error } => {
                write!(f, "activation {activation} cannot be built: {error}")
            }
            Reason::EvaluationError { activation, error } => {
                write!(
                    f,
                    "activation {activation} cannot evaluate the context: {error}"
                )
            }
        }
    }
}

/// What evaluating a flag takes, decided when the snapshot is built.
#[derive(Debug)]
enum Plan {
    Disabled,
    NoActivations,
    Broken {
        activation: ActivationId,
        error: Arc<BuildError>,
    },
    Evaluate {
        activations: Vec<(ActivationId, Arc<dyn Activation>)>,
        /// Whether some activation is reached along two paths, so that the evaluation must
        /// remember decisions to decide each once (see `ActivationSet::reaches_twice`).
        remember: bool,
    },
}

#[derive(Debug)]
struct CompiledFlag {
    record: FlagRecord,
    plan: Plan,
}

/// Every flag and activation, built. Cheap to share; never changes once built.
#[derive(Debug)]
pub struct Snapshot {
    flags: Vec<CompiledFlag>,
    /// Names are the database's, so a fast, unkeyed hash is safe: lookups by a caller's name
    /// cannot degrade a table they cannot insert into.
    by_name: FxHashMap<Box<str>, usize>,
    activations: BTreeMap<ActivationId, Arc<ActivationRecord>>,
    /// The links as stored (some may name activations that do not exist), so that the rows
    /// can be given back exactly.
    links: Vec<LinkRow>,
    built: ActivationSet,
    loaded_at: SystemTime,
    revision: Revision,
    /// The snapshot document, rendered the first time it is asked for.
    document: OnceLock<Arc<str>>,
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot::build(Rows::default())
    }
}

impl Snapshot {
    /// Builds the snapshot from stored rows (see [`Rows`] for their order). Activations that
    /// fail to build are logged once, with the flags they switch off.
    pub fn build(rows: Rows) -> Snapshot {
        let revision = Revision::of(&rows);
        Snapshot::build_as(rows, revision, None)
    }

    /// Builds the snapshot from stored rows, building classes that the link-time registry does
    /// not know through `runtime` (see [`RuntimeClasses`]).
    pub fn build_with(rows: Rows, runtime: Option<&dyn RuntimeClasses>) -> Snapshot {
        let revision = Revision::of(&rows);
        Snapshot::build_as(rows, revision, runtime)
    }

    /// Builds the snapshot of a document, whose revision `Document::parse` has checked.
    pub fn from_document(document: Document) -> Snapshot {
        Snapshot::build_as(document.rows, document.revision, None)
    }

    /// Builds the snapshot of a document, building classes that the link-time registry does
    /// not know through `runtime` (see [`RuntimeClasses`]).
    pub fn from_document_with(
        document: Document,
        runtime: Option<&dyn RuntimeClasses>,
    ) -> Snapshot {
        Snapshot::build_as(document.rows, document.revision, runtime)
    }

    /// Builds the snapshot of `rows`, whose revision the caller computed already.
    pub(crate) fn build_as(
        rows: Rows,
        revision: Revision,
        runtime: Option<&dyn RuntimeClasses>,
    ) -> Snapshot {
        let built = ActivationSet::build_with(
            rows.activations.iter().map(|row| ActivationSpec {
                id: ActivationId(row.id),
                name: &row.name,
                class_name: &row.class_name,
                config: &row.config,
            }),
            runtime,
        );
        let activations: BTreeMap<ActivationId, Arc<ActivationRecord>> = rows
            .activations
            .into_iter()
            .map(|row| (ActivationId(row.id), Arc::new(ActivationRecord::from(row))))
            .collect();

        let mut links: HashMap<i32, Vec<ActivationId>> = HashMap::new();
        for link in &rows.links {
            links
                .entry(link.flag_id)
                .or_default()
                .push(ActivationId(link.activation_id));
        }

        let mut broken_users: BTreeMap<ActivationId, Vec<String>> = BTreeMap::new();
        let mut flags = Vec::with_capacity(rows.flags.len());
        let mut by_name = FxHashMap::with_capacity_and_hasher(rows.flags.len(), Default::default());
        for row in rows.flags {
            let mut ids = links.remove(&row.id).unwrap_or_default();
            ids.sort_unstable();
            ids.dedup();
            let plan = plan(&row.name, row.status, &ids, &built, &mut broken_users);
            let record = FlagRecord {
                id: FlagId(row.id),
                name: row.name,
                status: row.status,
                activations: ids
                    .iter()
                    .filter_map(|id| activations.get(id).cloned())
                    .collect(),
            };
            by_name.insert(record.name.clone().into_boxed_str(), flags.len());
            flags.push(CompiledFlag { record, plan });
        }

        for (id, built) in built.iter() {
            if let Err(error) = built {
                match broken_users.remove(&id) {
                    Some(users) => log::warn!(
                        "activation {id} cannot be built, so {} {} off: {error}",
                        users.join(", "),
                        if users.len() == 1 { "is" } else { "are" },
                    ),
                    None => log::warn!("activation {id} cannot be built: {error}"),
                }
            }
        }
        for (id, users) in broken_users {
            log::warn!(
                "flags {} use activation {id}, which does not exist, so they evaluate to off",
                users.join(", ")
            );
        }

        Snapshot {
            flags,
            by_name,
            activations,
            links: rows.links,
            built,
            loaded_at: SystemTime::now(),
            revision,
            document: OnceLock::new(),
        }
    }

    /// The answer for the flag named `name`, or `None` when there is no such flag.
    #[inline]
    pub fn evaluate(&self, name: &str, ctx: &Context) -> Option<Evaluation> {
        self.evaluate_with_record(name, ctx)
            .map(|(_, evaluation)| evaluation)
    }

    /// The stored flag named `name` and its answer, from one lookup.
    #[inline]
    pub fn evaluate_with_record(
        &self,
        name: &str,
        ctx: &Context,
    ) -> Option<(&FlagRecord, Evaluation)> {
        let flag = &self.flags[*self.by_name.get(name)?];
        Some((&flag.record, evaluate_flag(&flag.plan, ctx)))
    }

    /// Whether the flag named `name` is on; an unknown flag is off.
    #[inline]
    pub fn is_enabled(&self, name: &str, ctx: &Context) -> bool {
        self.evaluate(name, ctx).is_some_and(|e| e.enabled)
    }

    /// Every flag with its answer, in id order.
    pub fn evaluate_all<'s>(
        &'s self,
        ctx: &'s Context,
    ) -> impl Iterator<Item = (&'s FlagRecord, Evaluation)> + 's {
        self.flags
            .iter()
            .map(move |flag| (&flag.record, evaluate_flag(&flag.plan, ctx)))
    }

    /// The stored flag named `name`.
    pub fn flag(&self, name: &str) -> Option<&FlagRecord> {
        self.by_name.get(name).map(|&idx| &self.flags[idx].record)
    }

    /// Every stored flag, in id order.
    pub fn flags(&self) -> impl ExactSizeIterator<Item = &FlagRecord> {
        self.flags.iter().map(|flag| &flag.record)
    }

    /// The stored activation with this id.
    pub fn activation(&self, id: ActivationId) -> Option<&Arc<ActivationRecord>> {
        self.activations.get(&id)
    }

    /// Every stored activation, in id order.
    pub fn activations(&self) -> impl ExactSizeIterator<Item = &Arc<ActivationRecord>> {
        self.activations.values()
    }

    /// The variants flag `name` assigns and their weights: those of its first activation (in
    /// id order) that chooses variants ([`Activation::variant_weights`]). `None` for an unknown
    /// flag, or one none of whose activations chooses variants (or can be built).
    pub fn variant_weights(&self, name: &str) -> Option<Vec<(String, f64)>> {
        let flag = self.flag(name)?;
        flag.activations
            .iter()
            .find_map(|record| match self.built.get(record.id) {
                Some(Ok(built)) => built.variant_weights(),
                _ => None,
            })
    }

    /// Why this activation could not be built, if it could not.
    pub fn build_error(&self, id: ActivationId) -> Option<&Arc<BuildError>> {
        self.built.get(id).and_then(Result::err)
    }

    /// The number of flags.
    pub fn len(&self) -> usize {
        self.flags.len()
    }

    /// Whether there are no flags.
    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// The revision of the rows it was built from: the same rows give the same revision in
    /// every process.
    pub fn revision(&self) -> Revision {
        self.revision
    }

    /// The rows it was built from, as they were stored.
    pub fn rows(&self) -> Rows {
        Rows {
            flags: self
                .flags
                .iter()
                .map(|flag| FlagRow {
                    id: flag.record.id.0,
                    name: flag.record.name.clone(),
                    status: flag.record.status,
                })
                .collect(),
            activations: self
                .activations
                .values()
                .map(|activation| ActivationRow {
                    id: activation.id.0,
                    name: activation.name.clone(),
                    class_name: activation.class_name.clone(),
                    config: activation.config.clone(),
                })
                .collect(),
            links: self.links.clone(),
        }
    }

    /// The snapshot document of these rows (see [`crate::document`]), rendered once per
    /// snapshot and shared.
    pub fn document(&self) -> Arc<str> {
        Arc::clone(self.document.get_or_init(|| Document::render(self).into()))
    }

    /// When the rows were read.
    pub fn loaded_at(&self) -> SystemTime {
        self.loaded_at
    }

    /// How long ago it was loaded (zero if the clock went back since).
    pub fn age(&self) -> std::time::Duration {
        SystemTime::now()
            .duration_since(self.loaded_at)
            .unwrap_or_default()
    }
}

fn plan(
    flag_name: &str,
    status: bool,
    ids: &[ActivationId],
    built: &ActivationSet,
    broken_users: &mut BTreeMap<ActivationId, Vec<String>>,
) -> Plan {
    if !status {
        return Plan::Disabled;
    }
    if ids.is_empty() {
        return Plan::NoActivations;
    }
    let mut ready = Vec::with_capacity(ids.len());
    for &id in ids {
        let error = match built.get(id) {
            Some(Ok(activation)) => {
                ready.push((id, Arc::clone(activation)));
                continue;
            }
            Some(Err(error)) => Arc::clone(error),
            None => Arc::new(BuildError::MissingActivation { id }),
        };
        broken_users
            .entry(id)
            .or_default()
            .push(format!("`{flag_name}`"));
        return Plan::Broken {
            activation: id,
            error,
        };
    }
    Plan::Evaluate {
        remember: built.reaches_twice(ids),
        activations: ready,
    }
}

/// A flag is on when every activation says yes. Any activation that says no makes it off,
/// whatever errors others give; otherwise the first error is the answer (and the flag is off).
#[inline]
fn evaluate_flag(plan: &Plan, ctx: &Context) -> Evaluation {
    let off = |reason| Evaluation {
        enabled: false,
        reason,
        variant: None,
    };
    match plan {
        Plan::Disabled => off(Reason::Disabled),
        Plan::NoActivations => Evaluation {
            enabled: true,
            reason: Reason::NoActivations,
            variant: None,
        },
        Plan::Broken { activation, error } => off(Reason::ActivationError {
            activation: *activation,
            error: Arc::clone(error),
        }),
        Plan::Evaluate {
            activations,
            remember,
        } => {
            // Each activation is decided at most once, whatever composites share it: where
            // the graph lets one be reached twice, the memo remembers decisions.
            let mut memo = if *remember {
                Memo::new()
            } else {
                Memo::forgetful()
            };
            let mut first_error = None;
            let mut variant = None;
            for (id, activation) in activations {
                match memo.decide(*id, &**activation, ctx) {
                    Ok(decision) if decision.is_on() => {
                        if variant.is_none() {
                            variant = decision.into_variant();
                        }
                    }
                    Ok(_) => return off(Reason::NotMatched { activation: *id }),
                    Err(error) => {
                        first_error.get_or_insert((*id, error));
                    }
                }
            }
            match first_error {
                Some((activation, error)) => off(Reason::EvaluationError { activation, error }),
                None => Evaluation {
                    enabled: true,
                    reason: Reason::AllMatched,
                    variant,
                },
            }
        }
    }
}
