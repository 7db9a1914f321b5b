//! One evaluation's memory of decisions, so that an activation reached through several
//! composites is decided once, and a graph of shared composites (a "diamond") costs what its
//! activations cost, not what its paths cost.

use std::collections::HashMap;

use crate::{Activation, ActivationId, Context, Decision, EvalError};

/// How many decisions are kept in a plain list before they move to a hash map.
const LINEAR: usize = 16;

/// The decisions made so far in one evaluation of a flag, by activation id.
///
/// Composite activations ask for their members' decisions through
/// [`Activation::decide_in`]; members handed out by [`Definition::resolve`] look themselves up
/// here first, so each is decided at most once per evaluation. A memo made with
/// [`Memo::forgetful`] remembers nothing: for graphs where no activation can be reached twice
/// (the usual case, known when the snapshot is built), which then pay nothing for it.
///
/// [`Definition::resolve`]: crate::Definition::resolve
#[derive(Debug)]
pub struct Memo {
    remembers: bool,
    /// Made at the first decision remembered, so that a memo costs nothing until then (and a
    /// forgetful one nothing at all).
    store: Option<Box<Store>>,
}

#[derive(Debug, Default)]
struct Store {
    few: Vec<(ActivationId, Result<Decision, EvalError>)>,
    /// Made only when `few` is full.
    many: Option<HashMap<ActivationId, Result<Decision, EvalError>>>,
}

impl Default for Memo {
    fn default() -> Self {
        Memo::new()
    }
}

impl Memo {
    /// A memo that remembers every decision. It allocates only when the first one is made.
    pub fn new() -> Memo {
        Memo {
            remembers: true,
            store: None,
        }
    }

    /// A memo that remembers nothing, for an evaluation in which no activation is reached
    /// twice (see [`ActivationSet::reaches_twice`](crate::ActivationSet::reaches_twice)).
    pub fn forgetful() -> Memo {
        Memo {
            remembers: false,
            store: None,
        }
    }

    /// The decision of `activation`, stored as `id`, for `ctx`: remembered from earlier in this
    /// evaluation, or made now (through [`Activation::decide_in`], so its own members are
    /// remembered too) and remembered.
    pub fn decide(
        &mut self,
        id: ActivationId,
        activation: &dyn Activation,
        ctx: &Context,
    ) -> Result<Decision, EvalError> {
        if !self.remembers {
            return activation.decide_in(ctx, self);
        }
        if let Some(known) = self.recall(id) {
            return known.clone();
        }
        let decided = activation.decide_in(ctx, self);
        self.remember(id, decided.clone());
        decided
    }

    fn recall(&self, id: ActivationId) -> Option<&Result<Decision, EvalError>> {
        let store = self.store.as_deref()?;
        match &store.many {
            Some(many) => many.get(&id),
            None => store
                .few
                .iter()
                .find(|(known, _)| *known == id)
                .map(|(_, decided)| decided),
        }
    }

    fn remember(&mut self, id: ActivationId, decided: Result<Decision, EvalError>) {
        let store = self.store.get_or_insert_with(Box::default);
        if let Some(many) = &mut store.many {
            many.insert(id, decided);
        } else if store.few.len() < LINEAR {
            store.few.push((id, decided));
        } else {
            let mut many: HashMap<_, _> = store.few.drain(..).collect();
            many.insert(id, decided);
            store.many = Some(many);
        }
    }

    /// How many decisions it holds.
    pub fn len(&self) -> usize {
        self.store.as_deref().map_or(0, |store| {
            store.few.len() + store.many.as_ref().map_or(0, HashMap::len)
        })
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[derive(Debug, Default)]
    struct Counted(AtomicUsize);

    impl Activation for Counted {
        fn evaluate(&self, _ctx: &Context) -> bool {
            self.0.fetch_add(1, Ordering::Relaxed);
            true
        }
    }

    #[test]
    fn each_id_is_decided_once_and_a_forgetful_memo_decides_every_time() {
        let ctx = Context::default();
        let counted = Counted::default();
        let mut memo = Memo::new();
        for round in 0..3 {
            for id in 0..40 {
                assert_eq!(
                    memo.decide(ActivationId(id), &counted, &ctx),
                    Ok(Decision::ON),
                    "round {round}, id {id}"
                );
            }
        }
        assert_eq!(counted.0.load(Ordering::Relaxed), 40);
        assert_eq!(memo.len(), 40);

        let mut forgetful = Memo::forgetful();
        for _ in 0..3 {
            let _ = forgetful.decide(ActivationId(1), &counted, &ctx);
        }
        assert_eq!(counted.0.load(Ordering::Relaxed), 43);
        assert!(forgetful.is_empty());
    }
}
