//! Building activations from stored rows, members of composites first, with cycle, missing-id
//! and depth checks that never recurse.
//!
//! [`ActivationSet::build`] turns every stored row into a ready activation or a
//! [`BuildError`]. Composite activations ask for their members through [`Definition::resolve`].
//! The builder answers from what it has already built; for members it has not built yet it
//! hands out a stand-in, notes them, discards the attempt, builds the members from an explicit
//! stack, and then calls the composite's build again: about two attempts per composite,
//! whatever its size. No build function ever runs inside another, so the Rust stack stays flat
//! whatever the data: a 10,000-deep chain costs a 10,000-element `Vec`, and then fails the
//! [`MAX_NESTING`] check.

use std::{
    collections::{BTreeMap, HashMap, HashSet, hash_map::Entry},
    panic::{AssertUnwindSafe, catch_unwind},
    sync::Arc,
};

use serde::de::DeserializeOwned;

use crate::{Activation, ActivationId, BuildError, ConfigError, Memo, registry};

/// How deep composite activations may nest. A leaf activation has depth 0; a composite has
/// one more than its deepest member. Building an activation deeper than this fails with
/// [`BuildError::TooDeep`].
pub const MAX_NESTING: usize = 64;

/// One stored row of the `activations` table, as the builder reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivationSpec<'a> {
    /// The row's id.
    pub id: ActivationId,
    /// The row's descriptive name.
    pub name: &'a str,
    /// The stored class name, looked up in the [registry](crate::registry).
    pub class_name: &'a str,
    /// The stored configuration text.
    pub config: &'a str,
}

/// Gives a composite activation its members by id.
pub trait Resolve {
    /// The built activation with this id, or why there is none.
    fn resolve(&mut self, id: ActivationId) -> Result<Arc<dyn Activation>, BuildError>;
}

/// A resolver that knows no activation; for building leaf activations on their own.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMembers;

impl Resolve for NoMembers {
    fn resolve(&mut self, id: ActivationId) -> Result<Arc<dyn Activation>, BuildError> {
        Err(BuildError::MissingActivation { id })
    }
}

/// What a build function gets: the stored row, the canonical class name, and a resolver for
/// the members of composite activations.
pub struct Definition<'a> {
    spec: ActivationSpec<'a>,
    class: &'static str,
    expected: &'static str,
    resolver: &'a mut dyn Resolve,
}

impl std::fmt::Debug for Definition<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Definition")
            .field("spec", &self.spec)
            .field("class", &self.class)
            .finish_non_exhaustive()
    }
}

impl<'a> Definition<'a> {
    /// A definition of `spec` as an activation of `registration`'s class, resolving members
    /// through `resolver`. Useful to test a build function on its own.
    pub fn new(
        spec: ActivationSpec<'a>,
        registration: &registry::Registration,
        resolver: &'a mut dyn Resolve,
    ) -> Self {
        Definition {
            spec,
            class: registration.class(),
            expected: registration.expected(),
            resolver,
        }
    }

    /// The stored id.
    pub fn id(&self) -> ActivationId {
        self.spec.id
    }

    /// The stored descriptive name.
    pub fn name(&self) -> &'a str {
        self.spec.name
    }

    /// The stored class name (possibly an alias).
    pub fn class_name(&self) -> &'a str {
        self.spec.class_name
    }

    /// The canonical class name, for messages.
    pub fn class(&self) -> &'static str {
        self.class
    }

    /// The stored configuration text.
    pub fn config(&self) -> &'a str {
        self.spec.config
    }

    /// Parses the configuration as JSON into `T`; a failure becomes a [`ConfigError`] that
    /// names the class, serde's reason and what the class expects.
    pub fn parse_config<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        serde_json::from_str(self.spec.config).map_err(|err| self.invalid(err.to_string()))
    }

    /// A [`ConfigError`] for this class, saying what is wrong.
    pub fn invalid(&self, problem: impl Into<String>) -> ConfigError {
        ConfigError::new(self.class, problem, self.expected)
    }

    /// The member activation with this id, built. Ask it for decisions through
    /// [`Activation::decide_in`] with the memo your own `decide_in` was given: it then looks
    /// itself up there, so a member that several composites share is decided once per
    /// evaluation.
    pub fn resolve(&mut self, id: ActivationId) -> Result<Arc<dyn Activation>, BuildError> {
        self.resolver.resolve(id)
    }
}

/// Activation classes known only at run time — a host language's, such as Python's — that
/// [`ActivationSet::build_with`] consults for a `class_name` the link-time
/// [registry](crate::registry) does not know (the registry wins where both know a name). They
/// build leaf activations from the stored row; the registry itself stays what the binary
/// linked, and nothing global changes: each set of run-time classes is passed where activations
/// are built.
pub trait RuntimeClasses: Send + Sync + std::fmt::Debug {
    /// Builds the activation stored as `spec` when this set has its class; `None` when it does
    /// not know `spec.class_name`.
    fn build(&self, spec: &ActivationSpec<'_>) -> Option<Result<Arc<dyn Activation>, BuildError>>;

    /// The class names it knows (for listings of the classes a process builds).
    fn names(&self) -> Vec<String>;
}

/// The outcome of building one activation.
pub type Built = Result<Arc<dyn Activation>, Arc<BuildError>>;

/// How many activations [`ActivationSet::reaches_twice`] visits before it answers "yes" without
/// looking further: remembering decisions is always correct, only not always needed.
const REACH_LIMIT: usize = 1024;

/// Every stored activation, built once: a ready activation or the reason it failed.
#[derive(Debug, Default)]
pub struct ActivationSet {
    built: BTreeMap<ActivationId, Built>,
    /// The members each built composite resolved, in the order it asked for them.
    members: HashMap<ActivationId, Box<[ActivationId]>>,
    /// The built activations from which some activation is reached along two paths (or whose
    /// reach is larger than [`REACH_LIMIT`]).
    shared_below: HashSet<ActivationId>,
}

impl ActivationSet {
    /// Builds every spec through the [registry](crate::registry). An activation that fails
    /// (unknown class, bad config, missing member, cycle, nesting deeper than
    /// [`MAX_NESTING`], a panicking build function) gets its error; the others are unaffected.
    pub fn build<'a>(specs: impl IntoIterator<Item = ActivationSpec<'a>>) -> Self {
        Self::build_with(specs, None)
    }

    /// Builds every spec through the registry and, for class names it does not know, through
    /// `runtime` ([`RuntimeClasses`]); otherwise as [`ActivationSet::build`].
    pub fn build_with<'a>(
        specs: impl IntoIterator<Item = ActivationSpec<'a>>,
        runtime: Option<&dyn RuntimeClasses>,
    ) -> Self {
        let mut specs_by_id: HashMap<ActivationId, Option<ActivationSpec<'a>>> = HashMap::new();
        for spec in specs {
            match specs_by_id.entry(spec.id) {
                Entry::Vacant(slot) => {
                    slot.insert(Some(spec));
                }
                // Neither row can be trusted to be the one the user meant.
                Entry::Occupied(mut slot) => {
                    slot.insert(None);
                }
            }
        }
        let mut builder = Builder {
            runtime,
            specs: &specs_by_id,
            done: HashMap::with_capacity(specs_by_id.len()),
            finished: Vec::with_capacity(specs_by_id.len()),
        };
        let mut ids: Vec<_> = specs_by_id.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            builder.build_from(id);
        }
        let mut set = ActivationSet::default();
        for (id, done) in builder.done {
            match done {
                Ok(built) => {
                    if built.repeats {
                        set.shared_below.insert(id);
                    }
                    if !built.members.is_empty() {
                        set.members.insert(id, built.members);
                    }
                    set.built.insert(id, Ok(built.activation));
                }
                Err(err) => {
                    set.built.insert(id, Err(err));
                }
            }
        }
        // Members first: a composite above one that reaches something twice does too.
        for id in builder.finished {
            let members = set.members_of(id);
            let shared = set.shared_below.contains(&id)
                || members.iter().any(|m| set.shared_below.contains(m))
                || (members.len() > 1 && set.walk_reaches_twice(members));
            if shared {
                set.shared_below.insert(id);
            }
        }
        set
    }

    /// The members the composite `id` resolved (none for a leaf or an unknown id).
    pub fn members_of(&self, id: ActivationId) -> &[ActivationId] {
        self.members.get(&id).map_or(&[], |members| members)
    }

    /// Whether evaluating `roots` together (a flag's activations) can reach some activation
    /// along two paths, so that an evaluation should remember decisions in a [`Memo`] to
    /// decide each activation once. `false` means every activation below `roots` is reached
    /// once, and a [`Memo::forgetful`] costs nothing. Graphs too large to check cheaply
    /// (more than 1,024 activations) count as reaching twice.
    ///
    /// [`Memo`]: crate::Memo
    /// [`Memo::forgetful`]: crate::Memo::forgetful
    pub fn reaches_twice(&self, roots: &[ActivationId]) -> bool {
        match roots {
            [] => false,
            [root] => self.shared_below.contains(root),
            _ => {
                roots.iter().any(|root| self.shared_below.contains(root))
                    || self.walk_reaches_twice(roots)
            }
        }
    }

    /// Walks down from `roots` (explicitly, never recursing): `true` at the first activation
    /// seen twice, or after [`REACH_LIMIT`] activations.
    fn walk_reaches_twice(&self, roots: &[ActivationId]) -> bool {
        let mut seen = HashSet::new();
        let mut stack: Vec<ActivationId> = roots.to_vec();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) || seen.len() > REACH_LIMIT {
                return true;
            }
            stack.extend_from_slice(self.members_of(id));
        }
        false
    }

    /// The built activation with this id, its build error, or `None` when no row has the id.
    pub fn get(&self, id: ActivationId) -> Option<Result<&Arc<dyn Activation>, &Arc<BuildError>>> {
        self.built.get(&id).map(Result::as_ref)
    }

    /// Every activation in id order.
    pub fn iter(&self) -> impl Iterator<Item = (ActivationId, &Built)> {
        self.built.iter().map(|(id, built)| (*id, built))
    }

    /// The number of activations, built or failed.
    pub fn len(&self) -> usize {
        self.built.len()
    }

    /// Whether there are no activations.
    pub fn is_empty(&self) -> bool {
        self.built.is_empty()
    }
}

/// A built activation, as the builder keeps it.
struct Finished {
    activation: Arc<dyn Activation>,
    depth: usize,
    members: Box<[ActivationId]>,
    repeats: bool,
}

type Done = Result<Finished, Arc<BuildError>>;

struct Builder<'s, 'a> {
    runtime: Option<&'s dyn RuntimeClasses>,
    specs: &'s HashMap<ActivationId, Option<ActivationSpec<'a>>>,
    done: HashMap<ActivationId, Done>,
    /// Built activations in the order they were finished: members before composites.
    finished: Vec<ActivationId>,
}

/// An entry of the explicit stack: an activation still to try, or one that waits for the
/// members pushed above it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    Queued(ActivationId),
    Waiting(ActivationId),
}

impl Builder<'_, '_> {
    /// Builds `root` and, first, every member it needs, with an explicit stack.
    ///
    /// Every entry above a `Waiting` one is a member (direct or not) of it, so the `Waiting`
    /// entries are exactly the ancestors of the entry being tried: asking for one of them is a
    /// cycle, and the `Waiting` entries from it upwards are the cycle's path.
    fn build_from(&mut self, root: ActivationId) {
        let mut stack = vec![Frame::Queued(root)];
        let mut waiting: HashMap<ActivationId, usize> = HashMap::new();
        while let Some(&entry) = stack.last() {
            let (Frame::Queued(id) | Frame::Waiting(id)) = entry;
            if self.done.contains_key(&id) {
                stack.pop();
                waiting.remove(&id);
                continue;
            }
            match self.attempt(id, &stack, &waiting) {
                Attempt::Finished(done) => {
                    if done.is_ok() {
                        self.finished.push(id);
                    }
                    self.done.insert(id, done);
                    stack.pop();
                    waiting.remove(&id);
                }
                Attempt::NeedsFirst(members) => {
                    let at = stack.len() - 1;
                    stack[at] = Frame::Waiting(id);
                    waiting.insert(id, at);
                    stack.extend(members.into_iter().rev().map(Frame::Queued));
                }
                Attempt::Cycle(path) => {
                    let err = Arc::new(BuildError::Cycle { path: path.clone() });
                    for member in &path {
                        self.done.insert(*member, Err(Arc::clone(&err)));
                    }
                }
            }
        }
    }

    fn attempt(
        &self,
        id: ActivationId,
        stack: &[Frame],
        waiting: &HashMap<ActivationId, usize>,
    ) -> Attempt {
        let Some(slot) = self.specs.get(&id) else {
            return Attempt::Finished(Err(Arc::new(BuildError::MissingActivation { id })));
        };
        let Some(spec) = slot else {
            return Attempt::Finished(Err(Arc::new(BuildError::DuplicateId { id })));
        };
        let Some(registration) = registry::find(spec.class_name) else {
            if let Some(conflict) = registry::conflict(spec.class_name) {
                return Attempt::Finished(Err(Arc::new(BuildError::ConflictingClass(
                    conflict.clone(),
                ))));
            }
            if let Some(runtime) = self.runtime {
                let built = catch_unwind(AssertUnwindSafe(|| runtime.build(spec)));
                match built {
                    Ok(Some(Ok(activation))) => {
                        return Attempt::Finished(Ok(Finished {
                            activation,
                            depth: 0,
                            members: Box::default(),
                            repeats: false,
                        }));
                    }
                    Ok(Some(Err(err))) => return Attempt::Finished(Err(Arc::new(err))),
                    Ok(None) => {}
                    Err(panic) => {
                        return Attempt::Finished(Err(Arc::new(BuildError::Panicked {
                            class: "a run-time class",
                            message: panic_message(panic.as_ref()),
                        })));
                    }
                }
            }
            return Attempt::Finished(Err(Arc::new(BuildError::UnknownClass {
                class_name: spec.class_name.to_owned(),
                registered: registry::names().to_vec(),
            })));
        };
        let mut resolver = StackResolver {
            builder: self,
            building: id,
            stack,
            waiting,
            depth: None,
            resolved: Vec::new(),
            repeats: false,
            deferred: Vec::new(),
            cycle: None,
        };
        let mut def = Definition::new(*spec, registration, &mut resolver);
        let result = catch_unwind(AssertUnwindSafe(|| registration.build(&mut def)));
        // A cycle, or members to build first, override whatever the build function made of
        // the answers it was given.
        if let Some(path) = resolver.cycle {
            return Attempt::Cycle(path);
        }
        if !resolver.deferred.is_empty() {
            return Attempt::NeedsFirst(resolver.deferred);
        }
        let depth = resolver.depth.map_or(0, |deepest| deepest + 1);
        Attempt::Finished(match result {
            Ok(Ok(_)) if depth > MAX_NESTING => Err(Arc::new(BuildError::TooDeep {
                depth,
                limit: MAX_NESTING,
            })),
            Ok(Ok(activation)) => Ok(Finished {
                activation,
                depth,
                members: resolver.resolved.into_boxed_slice(),
                repeats: resolver.repeats,
            }),
            Ok(Err(err)) => Err(Arc::new(err)),
            Err(panic) => Err(Arc::new(BuildError::Panicked {
                class: registration.class(),
                message: panic_message(panic.as_ref()),
            })),
        })
    }
}

enum Attempt {
    Finished(Done),
    NeedsFirst(Vec<ActivationId>),
    Cycle(Vec<ActivationId>),
}

/// A member as [`Definition::resolve`] hands it out: the activation, which looks itself up in
/// the evaluation's [`Memo`] when asked through [`Activation::decide_in`].
struct Member {
    id: ActivationId,
    activation: Arc<dyn Activation>,
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{} {:?}", self.id, self.activation)
    }
}

impl Activation for Member {
    fn evaluate(&self, ctx: &crate::Context) -> bool {
        self.activation.evaluate(ctx)
    }

    fn decide(&self, ctx: &crate::Context) -> Result<crate::Decision, crate::EvalError> {
        self.activation.decide(ctx)
    }

    fn decide_in(
        &self,
        ctx: &crate::Context,
        memo: &mut Memo,
    ) -> Result<crate::Decision, crate::EvalError> {
        memo.decide(self.id, &*self.activation, ctx)
    }

    fn variant_weights(&self) -> Option<Vec<(String, f64)>> {
        self.activation.variant_weights()
    }
}

/// Stands in for a member that is not built yet, so that one attempt of a build function
/// asks for all its members; the attempt is then discarded and retried.
#[derive(Debug)]
struct NotYetBuilt;

impl Activation for NotYetBuilt {
    fn evaluate(&self, _ctx: &crate::Context) -> bool {
        false
    }
}

/// The resolver handed to one build attempt: it answers from finished activations and notes
/// what must be built first.
struct StackResolver<'b, 's, 'a> {
    builder: &'b Builder<'s, 'a>,
    /// The activation this attempt builds.
    building: ActivationId,
    stack: &'b [Frame],
    waiting: &'b HashMap<ActivationId, usize>,
    /// The depth of the deepest member resolved so far.
    depth: Option<usize>,
    /// The built members handed out, each once.
    resolved: Vec<ActivationId>,
    /// Whether a member was asked for twice (it may then be decided twice).
    repeats: bool,
    deferred: Vec<ActivationId>,
    cycle: Option<Vec<ActivationId>>,
}

impl Resolve for StackResolver<'_, '_, '_> {
    fn resolve(&mut self, id: ActivationId) -> Result<Arc<dyn Activation>, BuildError> {
        match self.builder.done.get(&id) {
            Some(Ok(built)) => {
                self.depth = Some(self.depth.map_or(built.depth, |d| d.max(built.depth)));
                if self.resolved.contains(&id) {
                    self.repeats = true;
                } else {
                    self.resolved.push(id);
                }
                Ok(Arc::new(Member {
                    id,
                    activation: Arc::clone(&built.activation),
                }))
            }
            Some(Err(err)) => Err(BuildError::Dependency {
                id,
                cause: match &**err {
                    BuildError::Dependency { cause, .. } => Arc::clone(cause),
                    _ => Arc::clone(err),
                },
            }),
            None if !self.builder.specs.contains_key(&id) => {
                Err(BuildError::MissingActivation { id })
            }
            None => {
                let ancestor = if id == self.building {
                    Some(self.stack.len() - 1)
                } else {
                    self.waiting.get(&id).copied()
                };
                if let Some(from) = ancestor {
                    let mut path: Vec<ActivationId> = self.stack[from..]
                        .iter()
                        .filter_map(|entry| match entry {
                            Frame::Waiting(waiting) => Some(*waiting),
                            Frame::Queued(_) => None,
                        })
                        .collect();
                    if path.last() != Some(&self.building) {
                        path.push(self.building);
                    }
                    path.push(id);
                    let err = BuildError::Cycle { path: path.clone() };
                    self.cycle.get_or_insert(path);
                    Err(err)
                } else {
                    if !self.deferred.contains(&id) {
                        self.deferred.push(id);
                    }
                    Ok(Arc::new(NotYetBuilt))
                }
            }
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ActivationClass, Context};

    /// A leaf whose config is `true` or `false`.
    #[derive(Debug)]
    struct Fixed(bool);

    impl Activation for Fixed {
        fn evaluate(&self, _ctx: &Context) -> bool {
            self.0
        }
    }

    impl ActivationClass for Fixed {
        const NAMES: &'static [&'static str] = &["test.Fixed"];
        const EXPECTED: &'static str = "true or false";

        fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
            Ok(Fixed(def.parse_config()?))
        }
    }
    crate::register!(Fixed);

    /// A composite: on when all its members are.
    #[derive(Debug)]
    struct All(Vec<Arc<dyn Activation>>);

    impl Activation for All {
        fn evaluate(&self, ctx: &Context) -> bool {
            self.0.iter().all(|a| a.evaluate(ctx))
        }
    }

    impl ActivationClass for All {
        const NAMES: &'static [&'static str] = &["test.All", "test.AllAlias"];
        const EXPECTED: &'static str = "a JSON array of activation ids";

        fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
            let ids: Vec<i32> = def.parse_config()?;
            let members = ids
                .into_iter()
                .map(|id| def.resolve(ActivationId(id)))
                .collect::<Result<_, _>>()?;
            Ok(All(members))
        }
    }
    crate::register!(All);

    /// Classes known at run time: `runtime.Echo` is on when its config is `"on"`; `runtime.Bad`
    /// fails to build; `runtime.Boom` panics.
    #[derive(Debug)]
    struct Runtime;

    impl RuntimeClasses for Runtime {
        fn build(
            &self,
            spec: &ActivationSpec<'_>,
        ) -> Option<Result<Arc<dyn Activation>, BuildError>> {
            match spec.class_name {
                "runtime.Echo" => Some(Ok(Arc::new(Fixed(spec.config == "on")))),
                "runtime.Bad" => Some(Err(BuildError::InvalidConfig(ConfigError::new(
                    "runtime.Bad",
                    "always",
                    "anything",
                )))),
                "runtime.Boom" => panic!("a host language's class raised"),
                _ => None,
            }
        }

        fn names(&self) -> Vec<String> {
            vec!["runtime.Echo".into(), "runtime.Bad".into()]
        }
    }

    #[test]
    fn classes_known_at_run_time_build_beside_the_registry() {
        let row = |id, class_name, config| ActivationSpec {
            id: ActivationId(id),
            name: "a",
            class_name,
            config,
        };
        let rows = [
            row(1, "runtime.Echo", "on"),
            row(2, "runtime.Echo", "off"),
            row(3, "test.All", "[1, 2]"),
            row(4, "runtime.Bad", ""),
            row(5, "runtime.Boom", ""),
            row(6, "runtime.Unknown", ""),
            row(7, "test.All", "[1]"),
        ];
        let set = ActivationSet::build_with(rows, Some(&Runtime));
        let ctx = Context::default();
        let on = |id| set.get(ActivationId(id)).unwrap().unwrap().evaluate(&ctx);
        assert!(on(1));
        assert!(!on(2));
        assert!(!on(3), "a composite of run-time members");
        assert!(on(7));
        assert!(matches!(
            **set.get(ActivationId(4)).unwrap().unwrap_err(),
            BuildError::InvalidConfig(_)
        ));
        assert!(matches!(
            **set.get(ActivationId(5)).unwrap().unwrap_err(),
            BuildError::Panicked { .. }
        ));
        assert!(matches!(
            **set.get(ActivationId(6)).unwrap().unwrap_err(),
            BuildError::UnknownClass { .. }
        ));
        // Without them, the same rows are of unknown classes; the registry is unchanged.
        let plain = ActivationSet::build(rows);
        assert!(matches!(
            **plain.get(ActivationId(1)).unwrap().unwrap_err(),
            BuildError::UnknownClass { .. }
        ));
        assert!(crate::registry::find("runtime.Echo").is_none());
    }

    /// A careless composite that hides resolver errors behind its own message.
    #[derive(Debug)]
    struct Careless(Arc<dyn Activation>);

    impl Activation for Careless {
        fn evaluate(&self, ctx: &Context) -> bool {
            self.0.evaluate(ctx)
        }
    }

    impl ActivationClass for Careless {
        const NAMES: &'static [&'static str] = &["test.Careless"];
        const EXPECTED: &'static str = "an activation id";

        fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
            let id: i32 = def.parse_config()?;
            match def.resolve(ActivationId(id)) {
                Ok(member) => Ok(Careless(member)),
                Err(_) => Err(def.invalid("member not usable").into()),
            }
        }
    }
    crate::register!(Careless);

    #[derive(Debug)]
    struct Panics;

    impl Activation for Panics {
        fn evaluate(&self, _ctx: &Context) -> bool {
            true
        }
    }

    impl ActivationClass for Panics {
        const NAMES: &'static [&'static str] = &["test.Panics"];
        const EXPECTED: &'static str = "anything";

        fn build(_def: &mut Definition<'_>) -> Result<Self, BuildError> {
            panic!("plugin bug")
        }
    }
    crate::register!(Panics);

    struct Rows(Vec<(i32, &'static str, String)>);

    impl Rows {
        fn build(&self) -> ActivationSet {
            ActivationSet::build(
                self.0
                    .iter()
                    .map(|(id, class_name, config)| ActivationSpec {
                        id: ActivationId(*id),
                        name: "test",
                        class_name,
                        config,
                    }),
            )
        }
    }

    fn rows(rows: &[(i32, &'static str, &str)]) -> Rows {
        Rows(
            rows.iter()
                .map(|(id, class, config)| (*id, *class, (*config).to_owned()))
                .collect(),
        )
    }

    #[track_caller]
    fn check_ok(set: &ActivationSet, id: i32, expected: bool) {
        match set.get(ActivationId(id)) {
            Some(Ok(activation)) => assert_eq!(activation.evaluate(&Context::default()), expected),
            other => panic!("activation {id}: expected a built activation, got {other:?}"),
        }
    }

    #[track_caller]
    fn check_err(set: &ActivationSet, id: i32, expected: &str) {
        match set.get(ActivationId(id)) {
            Some(Err(err)) => assert_eq!(err.to_string(), expected),
            other => panic!("activation {id}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn builds_members_before_composites_whatever_the_row_order() {
        let set = rows(&[
            (1, "test.All", "[2, 3]"),
            (2, "test.AllAlias", "[3]"),
            (3, "test.Fixed", "true"),
            (4, "test.All", "[3, 5]"),
            (5, "test.Fixed", "false"),
        ])
        .build();
        assert_eq!(set.len(), 5);
        check_ok(&set, 1, true);
        check_ok(&set, 2, true);
        check_ok(&set, 4, false);
    }

    #[test]
    fn members_are_built_once_and_shared() {
        let set = rows(&[
            (1, "test.All", "[3]"),
            (2, "test.All", "[3]"),
            (3, "test.Fixed", "true"),
        ])
        .build();
        let shared = set.get(ActivationId(3)).unwrap().unwrap();
        // The set holds one reference and each composite one more.
        assert_eq!(Arc::strong_count(shared), 3);
    }

    #[test]
    fn unknown_class_and_bad_config_are_reported() {
        let set = rows(&[
            (1, "test.Nope", "true"),
            (2, "test.Fixed", "maybe"),
            (3, "test.Fixed", "true"),
        ])
        .build();
        match set.get(ActivationId(1)) {
            Some(Err(err)) => match &**err {
                BuildError::UnknownClass {
                    class_name,
                    registered,
                } => {
                    assert_eq!(class_name, "test.Nope");
                    assert!(registered.contains(&"test.Fixed"));
                    assert!(registered.contains(&"test.AllAlias"));
                }
                other => panic!("expected UnknownClass, got {other:?}"),
            },
            other => panic!("expected an error, got {other:?}"),
        }
        check_err(
            &set,
            2,
            "invalid test.Fixed config: expected value at line 1 column 1; expected true or false",
        );
        check_ok(&set, 3, true);
    }

    #[test]
    fn missing_members_are_reported() {
        let set = rows(&[(1, "test.All", "[2, 99]"), (2, "test.Fixed", "true")]).build();
        check_err(&set, 1, "activation 99 does not exist");
        check_ok(&set, 2, true);
        assert!(set.get(ActivationId(99)).is_none());
    }

    #[test]
    fn self_cycle_is_an_error() {
        let set = rows(&[(5, "test.All", "[5]")]).build();
        check_err(&set, 5, "activation cycle: 5 → 5");
    }

    #[test]
    fn longer_cycles_mark_every_member_and_their_users() {
        let set = rows(&[
            (1, "test.All", "[2]"),
            (2, "test.All", "[3]"),
            (3, "test.All", "[4, 6]"),
            (4, "test.All", "[2]"),
            (6, "test.Fixed", "true"),
            (7, "test.All", "[6]"),
        ])
        .build();
        check_err(
            &set,
            1,
            "member activation 2 cannot be built: activation cycle: 2 → 3 → 4 → 2",
        );
        for id in [2, 3, 4] {
            check_err(&set, id, "activation cycle: 2 → 3 → 4 → 2");
        }
        check_ok(&set, 6, true);
        check_ok(&set, 7, true);
    }

    #[test]
    fn a_build_function_that_swallows_resolver_errors_still_works() {
        let set = rows(&[
            (1, "test.Careless", "2"),
            (2, "test.Fixed", "true"),
            (3, "test.Careless", "3"),
        ])
        .build();
        check_ok(&set, 1, true);
        check_err(&set, 3, "activation cycle: 3 → 3");
    }

    #[test]
    fn a_panicking_build_is_caught() {
        let set = rows(&[(1, "test.Panics", ""), (2, "test.All", "[1]")]).build();
        check_err(&set, 1, "building a test.Panics panicked: plugin bug");
        check_err(
            &set,
            2,
            "member activation 1 cannot be built: building a test.Panics panicked: plugin bug",
        );
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let set = rows(&[(1, "test.Fixed", "true"), (1, "test.Fixed", "false")]).build();
        check_err(
            &set,
            1,
            "activation id 1 is used by more than one activation",
        );
    }

    /// A chain: activation i contains i + 1, and the last is a leaf.
    fn chain(len: i32) -> Rows {
        let mut rows: Vec<_> = (1..len)
            .map(|id| (id, "test.All", format!("[{}]", id + 1)))
            .collect();
        rows.push((len, "test.Fixed", "true".to_owned()));
        Rows(rows)
    }

    #[test]
    fn nesting_up_to_the_limit_builds() {
        // Activation 1 has MAX_NESTING composites down to the leaf.
        let set = chain(MAX_NESTING as i32 + 1).build();
        check_ok(&set, 1, true);
    }

    #[test]
    fn nesting_past_the_limit_is_an_error() {
        let set = chain(MAX_NESTING as i32 + 2).build();
        check_err(
            &set,
            1,
            "activations nest 65 levels deep, more than the limit of 64",
        );
        check_ok(&set, 2, true);
    }

    #[test]
    fn a_ten_thousand_deep_chain_fails_without_overflowing_the_stack() {
        let set = chain(10_000).build();
        assert_eq!(set.len(), 10_000);
        let too_deep = 10_000 - MAX_NESTING as i32 - 1;
        check_err(
            &set,
            too_deep,
            "activations nest 65 levels deep, more than the limit of 64",
        );
        // Everything above it fails with the same root cause, one level of wrapping deep.
        for id in [1, 5_000, too_deep - 1] {
            check_err(
                &set,
                id,
                &format!(
                    "member activation {} cannot be built: activations nest 65 levels deep, more than the limit of 64",
                    id + 1
                ),
            );
        }
        check_ok(&set, too_deep + 1, true);
    }

    #[test]
    fn a_ten_thousand_long_cycle_is_an_error() {
        let mut rows: Vec<_> = (1..=10_000)
            .map(|id| (id, "test.All", format!("[{}]", id % 10_000 + 1)))
            .collect();
        rows.push((0, "test.All", "[1]".to_owned()));
        let set = Rows(rows).build();
        for id in [1, 10_000] {
            match set.get(ActivationId(id)) {
                Some(Err(err)) => match &**err {
                    BuildError::Cycle { path } => assert_eq!(path.len(), 10_001),
                    other => panic!("expected a cycle, got {other:?}"),
                },
                other => panic!("expected an error, got {other:?}"),
            }
        }
        match set.get(ActivationId(0)) {
            Some(Err(err)) => assert!(matches!(err.root_cause(), BuildError::Cycle { .. })),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    static WIDE_ATTEMPTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    /// A composite that counts how often its build function runs.
    #[derive(Debug)]
    struct Wide(usize);

    impl Activation for Wide {
        fn evaluate(&self, _ctx: &Context) -> bool {
            self.0 > 0
        }
    }

    impl ActivationClass for Wide {
        const NAMES: &'static [&'static str] = &["test.Wide", "test.Wide"];
        const EXPECTED: &'static str = "a JSON array of activation ids";

        fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
            WIDE_ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let ids: Vec<i32> = def.parse_config()?;
            for id in &ids {
                def.resolve(ActivationId(*id))?;
            }
            Ok(Wide(ids.len()))
        }
    }
    crate::register!(Wide);

    #[test]
    fn a_wide_composite_is_built_in_two_attempts() {
        let ids: Vec<i32> = (1..=10_000).collect();
        let mut rows: Vec<_> = ids
            .iter()
            .map(|id| (*id, "test.Fixed", "true".to_owned()))
            .collect();
        rows.push((0, "test.Wide", format!("{ids:?}")));
        let set = Rows(rows).build();
        check_ok(&set, 0, true);
        // Once to learn the members, once with them all built.
        assert_eq!(WIDE_ATTEMPTS.load(std::sync::atomic::Ordering::Relaxed), 2);
    }

    #[test]
    fn definitions_can_be_built_alone() {
        let registration = registry::find("test.All").unwrap();
        let mut resolver = NoMembers;
        let spec = ActivationSpec {
            id: ActivationId(1),
            name: "alone",
            class_name: "test.AllAlias",
            config: "[2]",
        };
        let mut def = Definition::new(spec, registration, &mut resolver);
        assert_eq!(def.class(), "test.All");
        assert_eq!(def.class_name(), "test.AllAlias");
        assert_eq!(def.name(), "alone");
        let err = registration.build(&mut def).unwrap_err();
        assert_eq!(
            err,
            BuildError::MissingActivation {
                id: ActivationId(2)
            }
        );
    }
}
