//! The hot paths allocate nothing: a plain flag, DateTime with the key absent, a rollout on a
//! string id, a Constraint IN over 10 values, and an unknown flag. Counted with a global
//! allocator that counts this thread's allocations (no timing). A binary of its own, since it
//! replaces the global allocator.

#![allow(clippy::unwrap_used, clippy::panic, unsafe_code)] // a counting allocator must implement GlobalAlloc

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
};

use novi_client::context;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only a
// const-initialised thread-local `Cell`, which itself never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn hot_paths_do_not_allocate() {
    let (client, _dir) = novi_testing::hot_path_client();
    let ctx = context! {"userId": "user-17", "tenant": "tenant-7"};
    let empty = context! {};
    // The first check on a thread may set up arc-swap's thread-local state.
    assert!(client.is_enabled("plain", &ctx));

    for (flag, ctx, expected) in [
        ("plain", &ctx, true),
        ("date", &empty, true),
        (
            "rollout",
            &ctx,
            client.evaluate("rollout", &ctx).unwrap().enabled,
        ),
        ("constraint_in_10", &ctx, true),
        ("unknown", &ctx, false),
    ] {
        let n = allocations_during(|| {
            for _ in 0..100 {
                assert_eq!(client.is_enabled(flag, ctx), expected);
            }
        });
        assert_eq!(n, 0, "{flag}: {n} allocations in 100 checks");
    }
    // The counter works: a check that builds an error message allocates.
    let n = allocations_during(|| {
        let _ = client.evaluate("date", &context! {"currentDateTime": "nope"});
    });
    assert!(n > 0);
}
