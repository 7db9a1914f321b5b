//! The server's heap levels off under a long mix of evaluations, reads, writes and refreshes:
//! what one write or refresh allocates is freed by the next, so the soak's memory cannot grow
//! without bound. Counted with a global allocator that tracks the bytes live on the Rust heap
//! (no timing). A binary of its own, since it replaces the global allocator.

#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr, unsafe_code)] // a counting allocator must implement GlobalAlloc

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicIsize, Ordering::Relaxed},
};

use actix_web::{http::Method, test as actix_test, web};
use novi_testing::{Backend, TestDb};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only an
// atomic integer, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const FLAGS: usize = 20;

#[test]
fn the_heap_levels_off_over_many_writes_and_refreshes() {
    let db = TestDb::new(Backend::Sqlite);
    let client = db.sample_client();
    for i in 0..FLAGS {
        client
            .create_flag(&novi_client::FlagInput {
                name: format!("soak-{i:02}"),
                status: true,
                activations: Some(vec![novi_client::ActivationId(i as i32 % 4 + 1)]),
                ..Default::default()
            })
            .unwrap();
    }
    actix_web::rt::System::new().block_on(async {
        let app = actix_test::init_service(novi_web::app(web::Data::new(novi_web::AppState::new(
            client.clone(),
        ))))
        .await;
        // One round: 19 evaluations and reads, one write (a status toggle, or a create that
        // conflicts), and every tenth round a refresh from the database.
        let mut round = 0usize;
        let mut run = |rounds: usize| {
            let app = &app;
            let client = &client;
            let start = round;
            round += rounds;
            async move {
                for n in start..start + rounds {
                    let flag = format!("soak-{:02}", n % FLAGS);
                    let context = format!(
                        r#"{{"seed": {n}, "variant": "A", "userId": "user-{n}", "currentDateTime": "11/27/2023 10:00 AM"}}"#
                    );
                    for k in 0..19 {
                        let req = match k % 10 {
                            0..7 => actix_test::TestRequest::default()
                                .method(Method::POST)
                                .uri(&format!("/evaluatedFlags/{flag}"))
                                .set_payload(context.clone()),
                            7 | 8 => actix_test::TestRequest::default()
                                .method(Method::POST)
                                .uri("/evaluatedFlags")
                                .set_payload(context.clone()),
                            _ => actix_test::TestRequest::get().uri(&format!("/flags/{flag}")),
                        };
                        let res = actix_test::call_service(app, req.to_request()).await;
                        assert!(res.status().is_success(), "{}", res.status());
                        let _ = actix_test::read_body(res).await;
                    }
                    let write = if n % 5 == 0 {
                        actix_test::TestRequest::post()
                            .uri("/flags")
                            .insert_header(("content-type", "application/json"))
                            .set_payload(r#"{"name": "soak-00", "status": true}"#)
                    } else {
                        actix_test::TestRequest::put()
                            .uri(&format!("/flags/{flag}"))
                            .insert_header(("content-type", "application/json"))
                            .set_payload(format!(r#"{{"status": {}}}"#, n % 2 == 0))
                    };
                    let res = actix_test::call_service(app, write.to_request()).await;
                    assert!(
                        res.status().is_success() || res.status() == 409,
                        "{}",
                        res.status()
                    );
                    let _ = actix_test::read_body(res).await;
                    if n % 10 == 0 {
                        client.refresh().unwrap();
                    }
                }
            }
        };
        // Warm up: caches, pools, the metrics' series and the allocator's own tables fill.
        run(500).await;
        let mut live = Vec::new();
        for _ in 0..3 {
            run(1_000).await;
            live.push(LIVE.load(Relaxed));
        }
        let growth = live[2] - live[0];
        eprintln!("live heap after 1,500, 2,500 and 3,500 rounds: {live:?} bytes");
        assert!(
            growth < 64 * 1024,
            "the heap grew by {growth} bytes over 2,000 rounds (2,000 writes, 200 refreshes): {live:?}"
        );
    });
}
