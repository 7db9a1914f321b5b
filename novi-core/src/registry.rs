//! The compile-time registry of activation classes, keyed by the `class_name` stored in the
//! `activations` table.
//!
//! Every crate that defines activations adds them to one `linkme` distributed slice,
//! [`ACTIVATIONS`], with [`register!`](crate::register!). The linker gathers the entries of
//! every crate in the final binary; nothing runs at start-up and there is no global mutable
//! state. **A crate that is never named in the binary is not linked, and its entries vanish
//! without a warning**: see the crate docs.

use std::{collections::HashMap, sync::Arc, sync::OnceLock};

use crate::{Activation, BuildError, Definition};

/// What every activation class provides to be registered: the names it is stored under and
/// how to build it from a stored row.
///
/// ```
/// use novi_core::{Activation, ActivationClass, BuildError, Context, Definition};
///
/// /// On for the environments listed in the config, e.g. `["staging", "dev"]`.
/// #[derive(Debug)]
/// pub struct Environments(Vec<String>);
///
/// impl Activation for Environments {
///     fn evaluate(&self, ctx: &Context) -> bool {
///         let env = ctx.get("environment").and_then(|v| v.as_str());
///         env.is_some_and(|env| self.0.iter().any(|e| e == env))
///     }
/// }
///
/// impl ActivationClass for Environments {
///     const NAMES: &'static [&'static str] = &["Environments", "my_company.Environments"];
///     const EXPECTED: &'static str = "a JSON array of environment names";
///
///     fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
///         Ok(Environments(def.parse_config()?))
///     }
/// }
///
/// novi_core::register!(Environments);
///
/// assert!(novi_core::registry::names().contains(&"my_company.Environments"));
/// ```
pub trait ActivationClass: Activation + Sized + 'static {
    /// The class names this activation is stored under. The first is its canonical name,
    /// used in messages; the others are aliases (such as Python Novi's class paths).
    const NAMES: &'static [&'static str];

    /// What the `config` column must hold, in words; config errors quote it.
    const EXPECTED: &'static str;

    /// A config that builds, for people writing one (admin tools show it); composite classes
    /// may name activations 1 and 2. Empty (the default) for none.
    const EXAMPLE: &'static str = "";

    /// Builds the activation from its stored row. Composite activations ask for their
    /// members with [`Definition::resolve`].
    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError>;

    /// Builds the activation from a config alone, as if stored under its canonical name with
    /// id 0; composite members cannot be resolved. Handy in tests of your own activations.
    fn from_config(config: &str) -> Result<Self, BuildError> {
        let registration = Registration::of::<Self>();
        let spec = crate::ActivationSpec {
            id: crate::ActivationId(0),
            name: registration.class(),
            class_name: registration.class(),
            config,
        };
        let mut resolver = crate::NoMembers;
        Self::build(&mut Definition::new(spec, &registration, &mut resolver))
    }
}

/// How a [`Registration`] builds an activation from a definition.
pub type BuildFn = fn(&mut Definition<'_>) -> Result<Arc<dyn Activation>, BuildError>;

/// One entry of the registry: the names a class answers to, its build function, and where it
/// was registered.
#[derive(Debug)]
pub struct Registration {
    names: &'static [&'static str],
    expected: &'static str,
    example: &'static str,
    build: BuildFn,
    origin: &'static str,
}

impl Registration {
    /// The registration of an [`ActivationClass`]; [`register!`](crate::register!) uses it.
    pub const fn of<T: ActivationClass>() -> Self {
        Registration {
            names: T::NAMES,
            expected: T::EXPECTED,
            example: T::EXAMPLE,
            build: build_shared::<T>,
            origin: "an unnamed registration",
        }
    }

    /// This registration, saying where it was made (a module path and type, as
    /// [`register!`](crate::register!) writes it), for messages about two registrations of one
    /// name.
    pub const fn registered_at(mut self, origin: &'static str) -> Self {
        self.origin = origin;
        self
    }

    /// Where it was registered: `my_crate::module::MyActivation`.
    pub fn origin(&self) -> &'static str {
        self.origin
    }

    /// A registration from a plain build function, for classes that are not one Rust type.
    pub const fn new(
        names: &'static [&'static str],
        expected: &'static str,
        build: BuildFn,
    ) -> Self {
        Registration {
            names,
            expected,
            example: "",
            build,
            origin: "an unnamed registration",
        }
    }

    /// Every name of the class; the first is canonical.
    pub fn names(&self) -> &'static [&'static str] {
        self.names
    }

    /// The canonical class name.
    pub fn class(&self) -> &'static str {
        self.names
            .first()
            .copied()
            .unwrap_or("<unnamed activation>")
    }

    /// What the `config` column must hold, in words.
    pub fn expected(&self) -> &'static str {
        self.expected
    }

    /// This registration, with an example config (see [`ActivationClass::EXAMPLE`]).
    pub const fn with_example(mut self, example: &'static str) -> Self {
        self.example = example;
        self
    }

    /// A config that builds, if the class gives one (see [`ActivationClass::EXAMPLE`]).
    pub fn example(&self) -> Option<&'static str> {
        (!self.example.is_empty()).then_some(self.example)
    }

    /// Builds an activation of this class.
    pub fn build(&self, def: &mut Definition<'_>) -> Result<Arc<dyn Activation>, BuildError> {
        (self.build)(def)
    }
}

fn build_shared<T: ActivationClass>(
    def: &mut Definition<'_>,
) -> Result<Arc<dyn Activation>, BuildError> {
    T::build(def).map(|activation| Arc::new(activation) as Arc<dyn Activation>)
}

/// The distributed slice that holds every registered activation class in the binary.
#[allow(unsafe_code)] // linkme's `#[link_section]` is sound here: the crate's whole purpose
#[linkme::distributed_slice]
pub static ACTIVATIONS: [Registration];

/// Registers an [`ActivationClass`] in one line, from any crate, without that crate depending
/// on `linkme`:
///
/// ```
/// # use novi_core::{Activation, ActivationClass, BuildError, Context, Definition};
/// # #[derive(Debug)]
/// # struct MyActivation;
/// # impl Activation for MyActivation {
/// #     fn evaluate(&self, _ctx: &Context) -> bool { true }
/// # }
/// # impl ActivationClass for MyActivation {
/// #     const NAMES: &'static [&'static str] = &["MyActivation"];
/// #     const EXPECTED: &'static str = "anything";
/// #     fn build(_def: &mut Definition<'_>) -> Result<Self, BuildError> { Ok(MyActivation) }
/// # }
/// novi_core::register!(MyActivation);
/// # assert!(novi_core::registry::find("MyActivation").is_some());
/// ```
///
/// The crate that does this must be named by the final binary (see the crate docs on
/// linking), or the entry is silently dropped by the linker.
#[macro_export]
macro_rules! register {
    ($class:ty) => {
        // linkme places the entry with `#[link_section]`, which `unsafe_code` flags.
        #[allow(unsafe_code)]
        const _: () = {
            #[$crate::__private::linkme::distributed_slice($crate::registry::ACTIVATIONS)]
            #[linkme(crate = $crate::__private::linkme)]
            static REGISTRATION: $crate::Registration = $crate::Registration::of::<$class>()
                .registered_at(concat!(module_path!(), "::", stringify!($class)));
        };
    };
}

struct Index {
    by_name: HashMap<&'static str, &'static Registration>,
    names: Vec<&'static str>,
    conflicts: Vec<Conflict>,
}

/// A class name that two or more registrations claim: it is refused, so that link order cannot
/// decide which activation a stored row gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The name.
    pub name: &'static str,
    /// Where each claim was registered (see [`Registration::origin`]), sorted.
    pub registered_by: Vec<&'static str>,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "activation class `{}` is registered twice, by {}, and is refused: rename one",
            self.name,
            self.registered_by.join(" and by ")
        )
    }
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut claims: HashMap<&'static str, Vec<&'static Registration>> = HashMap::new();
        for registration in ACTIVATIONS.iter() {
            for &name in registration.names {
                let claimants = claims.entry(name).or_default();
                // A class that lists a name twice does not conflict with itself.
                if !claimants.iter().any(|c| std::ptr::eq(*c, registration)) {
                    claimants.push(registration);
                }
            }
        }
        // Link order would decide which of two same-named registrations wins; make the choice
        // independent of it by refusing the name altogether.
        let mut by_name = HashMap::new();
        let mut conflicts = Vec::new();
        for (name, claimants) in claims {
            match claimants[..] {
                [only] => {
                    by_name.insert(name, only);
                }
                _ => {
                    let mut registered_by: Vec<_> = claimants.iter().map(|c| c.origin).collect();
                    registered_by.sort_unstable();
                    conflicts.push(Conflict {
                        name,
                        registered_by,
                    });
                }
            }
        }
        conflicts.sort_unstable_by_key(|conflict| conflict.name);
        let mut names: Vec<_> = by_name.keys().copied().collect();
        names.sort_unstable();
        Index {
            by_name,
            names,
            conflicts,
        }
    })
}

/// The registration for a stored `class_name`, if one is linked into this binary. Names are
/// matched exactly (case-sensitive), as Python Novi does.
pub fn find(class_name: &str) -> Option<&'static Registration> {
    index().by_name.get(class_name).copied()
}

/// Every registered class name and alias, sorted.
pub fn names() -> &'static [&'static str] {
    &index().names
}

/// Names that two different registrations claim, and who claims them. Such a name is refused
/// (it finds nothing, and a row stored under it fails with [`BuildError::ConflictingClass`]),
/// so that the link order cannot decide which activation a stored row gets. `novi-client`
/// logs them when it connects.
pub fn conflicts() -> &'static [Conflict] {
    &index().conflicts
}

/// The conflict over `class_name`, if two registrations claim it.
pub fn conflict(class_name: &str) -> Option<&'static Conflict> {
    index().conflicts.iter().find(|c| c.name == class_name)
}

/// Every registration linked into this binary, in link order.
pub fn registrations() -> impl Iterator<Item = &'static Registration> {
    ACTIVATIONS.iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Context;

    #[derive(Debug)]
    struct On;

    impl Activation for On {
        fn evaluate(&self, _ctx: &Context) -> bool {
            true
        }
    }

    impl ActivationClass for On {
        const NAMES: &'static [&'static str] = &["registry.On", "registry.OnAlias"];
        const EXPECTED: &'static str = "anything";

        fn build(_def: &mut Definition<'_>) -> Result<Self, BuildError> {
            Ok(On)
        }
    }
    crate::register!(On);

    #[derive(Debug)]
    struct Clash;

    impl Activation for Clash {
        fn evaluate(&self, _ctx: &Context) -> bool {
            false
        }
    }

    impl ActivationClass for Clash {
        const NAMES: &'static [&'static str] = &["registry.Clash", "registry.OnAlias"];
        const EXPECTED: &'static str = "anything";

        fn build(_def: &mut Definition<'_>) -> Result<Self, BuildError> {
            Ok(Clash)
        }
    }
    crate::register!(Clash);

    #[test]
    fn finds_classes_by_every_name() {
        let on = find("registry.On").expect("registered");
        assert_eq!(on.class(), "registry.On");
        assert_eq!(on.names(), &["registry.On", "registry.OnAlias"]);
        assert!(find("registry.on").is_none(), "names are case-sensitive");
        assert!(find("nothing").is_none());
        assert!(registrations().any(|r| r.class() == "registry.Clash"));
    }

    #[test]
    fn from_config_builds_without_a_registry_lookup() {
        assert!(On::from_config("").is_ok());
    }

    #[test]
    fn names_are_sorted_and_conflicting_names_are_refused() {
        let names = names();
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        assert!(names.contains(&"registry.On"));
        assert!(names.contains(&"registry.Clash"));
        assert!(!names.contains(&"registry.OnAlias"));
        assert!(find("registry.OnAlias").is_none());
        let names: Vec<&str> = conflicts().iter().map(|c| c.name).collect();
        assert_eq!(names, ["registry.OnAlias"]);
        let conflict = conflict("registry.OnAlias").unwrap();
        assert_eq!(
            conflict.to_string(),
            "activation class `registry.OnAlias` is registered twice, by \
             novi_core::registry::tests::Clash and by novi_core::registry::tests::On, and is \
             refused: rename one"
        );
        // build.rs's test.Wide lists its name twice: that is no conflict.
        assert!(find("test.Wide").is_some());
    }
}
