//! The admin UI in a real Chromium, driven through ChromeDriver (Debian's `chromium` and
//! `chromium-driver`, installed by `scripts/install-deps`) against a real `novi-web`.
//!
//! Each test starts its own server and browser. Screenshots of every screen are written to
//! `target/tmp/ui-screenshots/` (a chosen set is committed under `docs/ui/`). The timings with
//! 10,000 flags are printed, never asserted.
//!
//! `NOVI_TEST_CHROMIUM` and `NOVI_TEST_CHROMEDRIVER` name other binaries than
//! `/usr/bin/chromium` and `chromedriver` on the `PATH`.

#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)] // timings go to the test output

use std::{
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{
    Client, ClientBuilder, Locator,
    actions::{InputSource, KeyAction, KeyActions},
    elements::Element,
    key::Key,
    wd::{Capabilities, WebDriverCompatibleCommand},
};
use hyper_util::client::legacy::connect::HttpConnector;
use novi_testing::{
    Backend, TestDb,
    server::{Spawned, json},
};
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "ui-test-admin-token-0123456789";

/// How long the page may take to show what a step expects. Far above what it takes: a step
/// that has not happened by then is a failure, not a slow run.
const PATIENCE: Duration = Duration::from_secs(15);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A ChromeDriver process, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let program =
            std::env::var("NOVI_TEST_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        let port = free_port();
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!("starting {program} failed ({err}): scripts/install-deps installs chromium-driver")
            });
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{program} did not listen on {port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// ChromeDriver's browser log (`POST /session/{id}/se/log`), where Chromium's console lands.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// How the browser looks: a desktop window, or a 375 px phone in dark mode.
#[derive(Clone, Copy, PartialEq)]
enum Screen {
    Desktop,
    PhoneDark,
}

/// A browser session on a server.
struct Browser {
    client: Client,
    base: String,
    shots: PathBuf,
    /// Every console entry read so far.
    console: Vec<Value>,
    _driver: Driver,
}

impl Browser {
    async fn open(server: &Spawned, screen: Screen) -> Browser {
        let driver = Driver::start();
        let binary =
            std::env::var("NOVI_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let mut args = vec![
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--no-first-run",
            "--window-size=1280,900",
        ];
        let mut options = json!({ "binary": binary });
        if screen == Screen::PhoneDark {
            args.push("--force-dark-mode");
            options["mobileEmulation"] =
                json!({ "deviceMetrics": { "width": 375, "height": 760, "pixelRatio": 2 } });
        }
        options["args"] = json!(args);
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}/", driver.port))
            .await
            .unwrap_or_else(|err| panic!("no Chromium session: {err}"));
        let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Browser {
            client,
            base: format!("http://127.0.0.1:{}", server.port),
            shots,
            console: Vec::new(),
            _driver: driver,
        }
    }

    async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// Navigates within the page (the fragment), as a link would.
    async fn show(&self, fragment: &str) {
        self.js("location.hash = arguments[0]", vec![json!(fragment)])
            .await;
    }

    async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|err| panic!("{script}: {err}"))
    }

    /// Waits for an element.
    async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|err| panic!("no `{css}` within {PATIENCE:?}: {err}"))
    }

    /// Waits until `check` (a JavaScript expression) is true; returns how long that took.
    async fn until(&self, what: &str, check: &str) -> Duration {
        let started = Instant::now();
        loop {
            if self.js(&format!("return Boolean({check})"), vec![]).await == json!(true) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{what}: not within {PATIENCE:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn text(&self, css: &str) -> String {
        for _ in 0..5 {
            if let Ok(text) = self.find(css).await.text().await {
                return text;
            }
        }
        panic!("could not read `{css}`");
    }

    /// Types into a field after emptying it (again, should the page redraw it meanwhile).
    async fn fill(&self, css: &str, text: &str) {
        for _ in 0..5 {
            let field = self.find(css).await;
            if field.clear().await.is_ok() && field.send_keys(text).await.is_ok() {
                return;
            }
        }
        panic!("could not type into `{css}`");
    }

    /// Clicks an element (found again, should the change stream redraw the page meanwhile).
    async fn click(&self, css: &str) {
        for _ in 0..5 {
            if self.find(css).await.click().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("could not click `{css}`");
    }

    /// Presses Tab until `check` (JavaScript, about `document.activeElement`) holds.
    async fn tab_until(&self, what: &str, check: &str) {
        for _ in 0..60 {
            self.press(&[Key::Tab]).await;
            let e = "document.activeElement";
            if self
                .js(&format!("const e = {e}; return Boolean({check})"), vec![])
                .await
                == json!(true)
            {
                return;
            }
        }
        panic!("{what}: not reachable with Tab");
    }

    /// Saves a screenshot (without the passing toasts, which would hide the screen).
    async fn shot(&self, name: &str) {
        self.js(
            "document.querySelectorAll('.toast').forEach(t => t.remove())",
            vec![],
        )
        .await;
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    /// Presses keys as a keyboard would (to whatever has the focus).
    async fn press(&self, keys: &[Key]) {
        let mut actions = KeyActions::new("keyboard".to_owned());
        for key in keys {
            actions = actions
                .then(KeyAction::Down {
                    value: char::from(*key),
                })
                .then(KeyAction::Up {
                    value: char::from(*key),
                });
        }
        self.client.perform_actions(actions).await.unwrap();
    }

    /// Reads the browser's console (ChromeDriver hands each entry over once).
    async fn read_console(&mut self) {
        let entries = self.client.issue_cmd(BrowserLog).await.unwrap();
        self.console
            .extend(entries.as_array().cloned().unwrap_or_default());
    }

    /// Asserts that no script logged an error or failed. Failed requests are logged by Chromium
    /// too (source `network`): those this test provokes on purpose (a wrong token, a bad
    /// config) are expected, and printed.
    async fn assert_no_console_error(&mut self) {
        self.read_console().await;
        let errors: Vec<&Value> = self
            .console
            .iter()
            .filter(|entry| entry["level"] == "SEVERE" && entry["source"] != "network")
            .collect();
        for entry in self.console.iter().filter(|e| e["source"] == "network") {
            eprintln!("ui: network log (expected answers): {}", entry["message"]);
        }
        assert!(errors.is_empty(), "console errors: {errors:#?}");
    }
}

/// The selector of a flag's switch: `role="switch"`, named by the flag.
fn switch(flag: &str) -> String {
    format!(
        r#"main [role="switch"][aria-label="{}"]"#,
        flag.replace('"', "\\\"")
    )
}

fn start_server(dir: &Path, extra: &[&str]) -> Spawned {
    let url = format!("sqlite://{}", dir.join("novi.db").display());
    let mut args = vec!["--database-url", url.as_str(), "--bind", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Spawned::start(Path::new(env!("CARGO_BIN_EXE_novi-web")), &args, dir, &[])
}

fn admin(server: &Spawned, method: &str, path: &str, body: Option<&str>) -> Value {
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let answer = server.request_with(method, path, body, &[("Authorization", &bearer)]);
    assert!(answer.status < 300, "{method} {path}: {answer:?}");
    json(&answer)
}

fn stored_status(server: &Spawned, flag: &str) -> bool {
    admin(server, "GET", &format!("/flags/{flag}"), None)["status"]
        .as_bool()
        .unwrap()
}

/// Signs in, creates a flag, adds an activation with a bad config and sees the error next to
/// the field, fixes it, toggles (and undoes), evaluates, reverts from history (and sees a
/// conflict explained), sees a change made with curl appear without a reload, and logs no
/// console error on any page.
#[tokio::test(flavor = "current_thread")]
async fn an_operator_walks_through_every_screen() {
    let dir = tempfile::tempdir().unwrap();
    let token = format!("ops={ADMIN_TOKEN}");
    let server = start_server(dir.path(), &["--sample-data", "--admin-token", &token]);
    let mut b = Browser::open(&server, Screen::Desktop).await;

    // Sign in: a wrong token is refused on the form; the right one opens the flag list.
    b.goto("/").await;
    b.find("#sign-in").await;
    b.shot("sign-in").await;
    b.fill("#token", "not-the-token-0123456789").await;
    b.click("#sign-in button[type=submit]").await;
    b.until(
        "the wrong token is refused",
        "document.querySelector('#token-error') && !document.querySelector('#token-error').hidden",
    )
    .await;
    assert!(b.text("#token-error").await.contains("not valid"));
    b.fill("#token", ADMIN_TOKEN).await;
    b.click("#sign-in button[type=submit]").await;
    b.find("#flag-table").await;
    b.until(
        "four sample flags listed",
        "document.querySelectorAll('#flag-rows tr').length === 4",
    )
    .await;
    assert!(b.text("#flag-counts").await.starts_with("4 flags"));
    let kept = b
        .js("return sessionStorage.getItem('novi.adminToken')", vec![])
        .await;
    assert_eq!(
        kept,
        json!(ADMIN_TOKEN),
        "the token is kept for the session"
    );
    let url = b.client.current_url().await.unwrap();
    assert!(!url.as_str().contains(ADMIN_TOKEN), "never in a URL: {url}");
    b.shot("flags").await;

    // Create a flag: it is created off.
    b.click(r##"a[href="#/new-flag"]"##).await;
    b.fill("#flag-name", "checkout-v2").await;
    b.shot("new-flag").await;
    b.click("#new-flag button[type=submit]").await;
    b.until("the new flag's page", "document.querySelector('main h1') && document.querySelector('main h1').textContent === 'checkout-v2'").await;
    assert_eq!(
        b.find(&switch("checkout-v2"))
            .await
            .attr("aria-checked")
            .await
            .unwrap()
            .as_deref(),
        Some("false")
    );
    assert!(!stored_status(&server, "checkout-v2"));

    // An activation with a bad config: the server's 422 shows next to the config.
    b.click(r##"a[href^="#/activations/new?flag="]"##).await;
    b.find(r#"#activation-class option[value="GradualRolloutActivation"]"#)
        .await;
    b.fill("#activation-name", "half of the users").await;
    b.find("#activation-class")
        .await
        .select_by_value("GradualRolloutActivation")
        .await
        .unwrap();
    b.fill(
        "#activation-config",
        r#"{"percentage": 150, "stickiness": "userId"}"#,
    )
    .await;
    b.click("#activation-form button[type=submit]").await;
    b.until(
        "the config's error is shown",
        "!document.querySelector('#activation-config-error').hidden",
    )
    .await;
    let error = b.text("#activation-config-error").await;
    assert!(error.contains("percentage"), "{error}");
    assert_eq!(
        b.find("#activation-config")
            .await
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    b.shot("activation-error").await;
    assert_eq!(
        admin(&server, "GET", "/activations", None)
            .as_array()
            .unwrap()
            .len(),
        4,
        "nothing stored"
    );

    // Fixed, it is created and linked to the flag; the flag's page shows it readably.
    b.fill(
        "#activation-config",
        r#"{"percentage": 50, "stickiness": "userId"}"#,
    )
    .await;
    b.click("#activation-form button[type=submit]").await;
    b.until(
        "back on the flag, with its activation",
        "document.querySelector('main .card.activation meter')",
    )
    .await;
    assert_eq!(
        b.find("main .card.activation meter")
            .await
            .attr("value")
            .await
            .unwrap()
            .as_deref(),
        Some("50")
    );
    let flag = admin(&server, "GET", "/flags/checkout-v2", None);
    assert_eq!(flag["activations"][0]["name"], "half of the users");
    let flag_id = flag["id"].as_i64().unwrap();
    b.shot("flag").await;

    // Toggle on, undo, toggle on again.
    b.click(&switch("checkout-v2")).await;
    b.until(
        "switched on",
        r#"document.querySelector('main [role=switch]').getAttribute('aria-checked') === 'true'"#,
    )
    .await;
    assert!(stored_status(&server, "checkout-v2"));
    b.click(".toast button:not(.quiet)").await;
    b.until(
        "undone",
        r#"document.querySelector('main [role=switch]').getAttribute('aria-checked') === 'false'"#,
    )
    .await;
    assert!(!stored_status(&server, "checkout-v2"));
    b.click(&switch("checkout-v2")).await;
    b.until(
        "on again",
        r#"document.querySelector('main [role=switch]').getAttribute('aria-checked') === 'true'"#,
    )
    .await;
    assert!(stored_status(&server, "checkout-v2"));

    // Evaluate: every flag's answer for a context, as the API gives it.
    b.show("#/evaluate").await;
    b.find("#context-rows").await;
    b.fill(
        "#context-rows .kv-row input[aria-label='Value 1']",
        "user-7",
    )
    .await;
    b.shot("evaluate-form").await;
    b.click("#evaluate-form button[type=submit]").await;
    b.until(
        "five answers",
        "document.querySelectorAll('#results tr').length === 5",
    )
    .await;
    let expected = json(&server.request_with(
        "POST",
        "/evaluatedFlags",
        Some(r#"{"userId": "user-7"}"#),
        &[("Authorization", &format!("Bearer {ADMIN_TOKEN}"))],
    ));
    for answer in expected.as_array().unwrap() {
        let name = answer["name"].as_str().unwrap();
        let shown = b
            .js(
                "return [...document.querySelectorAll('#results tr')].find(r => r.dataset.flag === arguments[0]).cells[1].textContent",
                vec![json!(name)],
            )
            .await;
        let status = if answer["status"] == json!(true) {
            "on"
        } else {
            "off"
        };
        assert_eq!(shown, json!(status), "{name}");
    }
    b.shot("evaluate").await;

    // History of the flag: the newest entry (switched on) is reverted with one click.
    b.show(&format!("#/history?flag={flag_id}")).await;
    b.until(
        "the flag's entries",
        "document.querySelectorAll('#entries > li.entry').length >= 5",
    )
    .await;
    b.shot("history").await;
    let newest = b
        .js(
            "return Number(document.querySelector('#entries > li.entry').dataset.entry)",
            vec![],
        )
        .await;
    b.click(&format!(r#"button[aria-label="Revert entry {newest}"]"#))
        .await;
    b.until(
        "the revert is listed",
        &format!("Number(document.querySelector('#entries > li.entry').dataset.entry) > {newest}"),
    )
    .await;
    assert!(
        !stored_status(&server, "checkout-v2"),
        "reverted: off again"
    );
    // An older entry whose flag changed since: a conflict, explained on the entry.
    let older = b
        .js(
            "return Number(document.querySelectorAll('#entries > li.entry')[3].dataset.entry)",
            vec![],
        )
        .await;
    b.click(&format!(r#"button[aria-label="Revert entry {older}"]"#))
        .await;
    let alert = format!(r#"li.entry[data-entry="{older}"] [role=alert]"#);
    b.until(
        "the conflict is explained",
        &format!(
            "document.querySelector('{}') && !document.querySelector('{}').hidden",
            alert.replace('\'', "\\'"),
            alert.replace('\'', "\\'")
        ),
    )
    .await;
    let conflict = b.text(&alert).await;
    assert!(conflict.contains("checkout-v2"), "{conflict}");
    b.js("document.querySelectorAll('.toast').forEach(t => t.remove()); document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", vec![json!(alert)]).await;
    b.shot("history-conflict").await;

    // Live: a flag created and one switched with curl appear without a reload.
    b.show("#/flags").await;
    b.find("#flag-table").await;
    admin(
        &server,
        "POST",
        "/flags",
        Some(r#"{"name": "made-by-curl", "status": true}"#),
    );
    let took = b
        .until(
            "curl's flag listed",
            r#"document.querySelector('tr[data-flag="made-by-curl"]')"#,
        )
        .await;
    eprintln!(
        "ui: a flag created with curl was listed after {} ms",
        took.as_millis()
    );
    admin(
        &server,
        "PUT",
        "/flags/made-by-curl",
        Some(r#"{"status": false}"#),
    );
    let took = b.until("curl's switch", r#"document.querySelector('[role=switch][aria-label="made-by-curl"]').getAttribute('aria-checked') === 'false'"#).await;
    eprintln!(
        "ui: a flag switched off with curl showed off after {} ms",
        took.as_millis()
    );

    // The other screens.
    b.show("#/activations").await;
    b.until(
        "activations listed",
        "document.querySelectorAll('#activation-table tbody tr').length === 5",
    )
    .await;
    b.shot("activations").await;
    b.show("#/activations/2").await;
    b.until(
        "a variant table",
        "document.querySelector('.preview table.variants')",
    )
    .await;
    b.shot("activation").await;
    b.show("#/status").await;
    let health = json(&server.request("GET", "/health", None));
    b.until("the revision shown", &format!("document.querySelector('#status') && document.querySelector('#status').textContent.includes('{}')", health["revision"].as_str().unwrap())).await;
    assert!(b.text("#status").await.contains("sqlite"));
    b.shot("status").await;

    b.assert_no_console_error().await;
    b.client.close().await.unwrap();
}

/// Every switch is reachable and usable with the keyboard alone, with a visible focus.
#[tokio::test(flavor = "current_thread")]
async fn a_keyboard_alone_toggles_flags() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), &["--sample-data"]);
    let mut b = Browser::open(&server, Screen::Desktop).await;
    b.goto("/ui/#/flags").await;
    b.until(
        "flags listed",
        "document.querySelectorAll('#flag-rows tr').length === 4",
    )
    .await;

    // Tab from the top of the page until the switch of "Combo OR" has the focus.
    b.js(
        "document.activeElement.blur(); window.scrollTo(0, 0)",
        vec![],
    )
    .await;
    b.tab_until(
        "the switch of Combo OR",
        "e.getAttribute('role') === 'switch' && e.getAttribute('aria-label') === 'Combo OR'",
    )
    .await;
    let outline = b
        .js(
            "return getComputedStyle(document.activeElement).outlineStyle",
            vec![],
        )
        .await;
    assert_ne!(outline, json!("none"), "the focus is visible");
    b.shot("keyboard-focus").await;

    b.press(&[Key::Space]).await;
    b.until(
        "off by Space",
        r#"document.activeElement.getAttribute('aria-checked') === 'false'"#,
    )
    .await;
    assert!(
        !json(&server.request("GET", "/flags/Combo%20OR", None))["status"]
            .as_bool()
            .unwrap()
    );
    b.press(&[Key::Enter]).await;
    b.until(
        "on by Enter",
        r#"document.activeElement.getAttribute('aria-checked') === 'true'"#,
    )
    .await;
    assert!(
        json(&server.request("GET", "/flags/Combo%20OR", None))["status"]
            .as_bool()
            .unwrap()
    );
    // The list was redrawn by the change stream meanwhile: the focus stayed on the switch.
    let focused = b
        .js(
            "return document.activeElement.getAttribute('aria-label')",
            vec![],
        )
        .await;
    assert_eq!(focused, json!("Combo OR"));

    // Open the flag with Enter on its link, and cancel its deletion with Escape.
    b.press(&[Key::Tab, Key::Enter]).await;
    b.until("the flag's page", "document.querySelector('main h1') && document.querySelector('main h1').textContent === 'Combo OR'").await;
    b.tab_until("the delete button", "e.classList.contains('danger')")
        .await;
    b.press(&[Key::Enter]).await;
    b.until("asked to confirm", "document.querySelector('dialog[open]')")
        .await;
    b.press(&[Key::Escape]).await;
    b.until("cancelled", "!document.querySelector('dialog')")
        .await;
    assert_eq!(server.request("GET", "/flags/Combo%20OR", None).status, 200);

    b.assert_no_console_error().await;
    b.client.close().await.unwrap();
}

/// Names, configs and payloads are shown as text: markup in them stays characters.
#[tokio::test(flavor = "current_thread")]
async fn markup_in_names_and_configs_is_shown_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), &[]);
    let hostile = r#"<img src=x onerror=window.__pwned=1>"#;
    let created = server.request(
        "POST",
        "/activations",
        Some(&serde_json::to_string(&json!({
            "name": "<b>bold</b>",
            "class_name": "VariantActivation",
            "config": r#"{"variants": [{"name": "<script>window.__pwned=2</script>", "weight": 1, "payload": {"type": "string", "value": "<img src=y onerror=window.__pwned=3>"}}]}"#,
        })).unwrap()),
    );
    assert_eq!(created.status, 201, "{created:?}");
    let body = serde_json::to_string(
        &json!({"name": hostile, "status": true, "activations": [json(&created)["id"]]}),
    )
    .unwrap();
    assert_eq!(server.request("POST", "/flags", Some(&body)).status, 201);

    let mut b = Browser::open(&server, Screen::Desktop).await;
    b.goto("/ui/#/flags").await;
    b.until(
        "the flag listed",
        "document.querySelectorAll('#flag-rows tr').length === 1",
    )
    .await;
    assert_eq!(b.text("#flag-rows .flag-name").await, hostile);
    b.find(&switch(hostile)).await;
    b.click("#flag-rows .flag-name").await;
    b.until(
        "its page",
        "document.querySelector('.preview, main .card.activation')",
    )
    .await;
    assert_eq!(b.text("main h1").await, hostile);
    let page = b.text("main").await;
    assert!(page.contains("<script>window.__pwned=2</script>"), "{page}");
    assert!(
        page.contains("<img src=y onerror=window.__pwned=3>"),
        "{page}"
    );
    assert!(page.contains("<b>bold</b>"), "{page}");
    let injected = b
        .js("return [document.querySelectorAll('main img, main script, main b').length, window.__pwned === undefined]", vec![])
        .await;
    assert_eq!(injected, json!([0, true]));
    b.shot("markup-as-text").await;
    b.assert_no_console_error().await;
    b.client.close().await.unwrap();
}

/// At 375 px in a dark system theme every screen fits the width and is dark.
#[tokio::test(flavor = "current_thread")]
async fn every_screen_fits_a_phone_and_follows_the_dark_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), &["--sample-data"]);
    let mut b = Browser::open(&server, Screen::PhoneDark).await;
    b.goto("/ui/#/flags").await;
    b.until(
        "flags listed",
        "document.querySelectorAll('#flag-rows tr').length === 4",
    )
    .await;
    assert_eq!(
        b.js(
            "return [window.innerWidth, matchMedia('(prefers-color-scheme: dark)').matches]",
            vec![]
        )
        .await,
        json!([375, true])
    );
    let background = b
        .js(
            "return getComputedStyle(document.body).backgroundColor",
            vec![],
        )
        .await;
    assert_eq!(background, json!("rgb(21, 23, 26)"), "the dark palette");
    for (screen, ready) in [
        ("#/flags", "#flag-rows tr"),
        ("#/flags/Combo%20AND", "main .card.activation"),
        ("#/new-flag", "#new-flag"),
        ("#/activations", "#activation-table tbody tr"),
        ("#/activations/2", ".preview table"),
        ("#/evaluate", "#context-rows"),
        ("#/history", "#entries > li"),
        ("#/status", "#status dd"),
        ("#/experiments", "#experiment-table"),
        ("#/new-experiment", "#new-experiment"),
    ] {
        b.show(screen).await;
        b.find(ready).await;
        let width = b
            .js("return document.documentElement.scrollWidth", vec![])
            .await;
        let wide = b.js("return [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 376).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))", vec![]).await;
        assert!(
            width.as_i64().unwrap() <= 375,
            "{screen} is {width} px wide at 375 px: {wide}"
        );
        let name = format!(
            "phone-{}",
            screen.trim_start_matches("#/").replace(['/', '%'], "-")
        );
        b.shot(&name).await;
    }
    b.assert_no_console_error().await;
    b.client.close().await.unwrap();
}

/// With 10,000 flags: the list's first paint and a filter, measured in the browser (printed,
/// and recorded in BENCHMARKS.md), and the size of the UI's files.
#[tokio::test(flavor = "current_thread")]
async fn ten_thousand_flags_are_listed_and_filtered() {
    // Written straight into the database in one transaction (through the API it would be
    // 10,000 audited writes), then served.
    let db = TestDb::new(Backend::Sqlite);
    let mut sql = String::from("BEGIN;");
    for i in 0..10_000 {
        sql.push_str(&format!(
            "INSERT INTO flags (name, status) VALUES ('flag-{i:05}', {});",
            u8::from(i % 3 == 0)
        ));
    }
    sql.push_str("COMMIT;");
    drop(db.client()); // migrated
    db.execute(&sql);
    let dir = tempfile::tempdir().unwrap();
    let server = Spawned::start(
        Path::new(env!("CARGO_BIN_EXE_novi-web")),
        &["--database-url", &db.url, "--bind", "127.0.0.1:0"],
        dir.path(),
        &[],
    );
    assert_eq!(
        json(&server.request("GET", "/health", None))["flags"],
        json!(10_000)
    );

    let mut b = Browser::open(&server, Screen::Desktop).await;
    b.goto("/ui/#/flags").await;
    b.until(
        "the list painted",
        "performance.getEntriesByName('novi:flags-painted').length > 0",
    )
    .await;
    let first_paint = b
        .js(
            "return performance.getEntriesByName('novi:flags-painted')[0].startTime",
            vec![],
        )
        .await
        .as_f64()
        .unwrap();
    assert!(
        b.text("#flag-counts")
            .await
            .starts_with("10,000 flags · 3,334 on")
    );
    assert_eq!(
        b.js(
            "return document.querySelectorAll('#flag-rows tr').length",
            vec![]
        )
        .await,
        json!(50)
    );

    let filter = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const input = document.querySelector('#flag-search');
             const started = performance.now();
             input.value = 'flag-0999';
             input.dispatchEvent(new Event('input'));
             requestAnimationFrame(() => setTimeout(() => done(performance.now() - started)));",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert_eq!(
        b.js(
            "return document.querySelectorAll('#flag-rows tr').length",
            vec![]
        )
        .await,
        json!(10)
    );
    assert!(b.text("#flag-shown").await.contains("of 10"));

    let assets: u64 = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/ui"))
        .unwrap()
        .map(|entry| entry.unwrap().metadata().unwrap().len())
        .sum();
    eprintln!(
        "ui: 10,000 flags: first paint of the list {first_paint:.0} ms after navigation, filter to 10 rows {filter:.1} ms; the UI's files {:.1} KB",
        assets as f64 / 1000.0
    );
    b.shot("flags-10000").await;
    b.assert_no_console_error().await;
    b.client.close().await.unwrap();
}

/// An experiment's page: created in the UI (a bad definition's error by its field), started,
/// fed through the API, and its results shown with a chart, the comparison and the sample
/// ratio check.
#[tokio::test(flavor = "current_thread")]
async fn an_experiment_is_defined_started_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), &[]);
    let activation = json(&server.request(
        "POST",
        "/activations",
        Some(r#"{"name": "split", "class_name": "VariantActivation", "config": {"variants": [{"name": "control", "weight": 50}, {"name": "treatment", "weight": 50}], "stickiness": "userId"}}"#),
    ));
    let body = format!(
        r#"{{"name": "checkout", "status": true, "activations": [{}]}}"#,
        activation["id"]
    );
    assert_eq!(server.request("POST", "/flags", Some(&body)).status, 201);

    let mut b = Browser::open(&server, Screen::Desktop).await;
    b.goto("/ui/#/experiments").await;
    b.find("#experiment-table").await;
    b.click(r##"a[href="#/new-experiment"]"##).await;
    b.fill("#experiment-name", "checkout test").await;
    b.find("#experiment-flag")
        .await
        .select_by_value("checkout")
        .await
        .unwrap();
    b.fill("#experiment-control", "blue").await;
    b.fill("#experiment-planned", "2000").await;
    b.click("#new-experiment button[type=submit]").await;
    b.until(
        "the control's error",
        "!document.querySelector('#experiment-control-error').hidden",
    )
    .await;
    assert!(
        b.text("#experiment-control-error")
            .await
            .contains("not a variant")
    );
    b.fill("#experiment-control", "control").await;
    b.click("#new-experiment button[type=submit]").await;
    b.until("its page", "document.querySelector('#results-summary')")
        .await;
    let id = json(&server.request("GET", "/experiments", None))[0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        json(&server.request("GET", &format!("/experiments/{id}"), None))["status"],
        "draft"
    );
    b.click(".title .actions button.primary").await;
    b.until(
        "running",
        "document.querySelector('.actions .pill').textContent === 'running'",
    )
    .await;

    // 1,000 units per variant; 100 and 130 of them convert.
    let mut events = Vec::new();
    for i in 0..2000 {
        let variant = if i % 2 == 0 { "control" } else { "treatment" };
        events.push(json!({"type": "exposure", "flag": "checkout", "unit": format!("u{i}"), "variant": variant}));
    }
    for i in 0..2000 {
        let converts = if i % 2 == 0 {
            i % 20 == 0
        } else {
            i % 20 == 1 || i % 100 == 3 || i % 100 == 5 || i % 100 == 7
        };
        if converts {
            events
                .push(json!({"type": "conversion", "event": "purchase", "unit": format!("u{i}")}));
        }
    }
    let stored = json(&server.request(
        "POST",
        "/events",
        Some(&json!({"events": events}).to_string()),
    ));
    assert_eq!(stored["exposures"], 2000, "{stored}");

    b.until("the results", r#"document.querySelectorAll('svg.chart rect.bar').length === 2 && document.querySelector('tr[data-variant="treatment"] td').textContent === '1,000'"#).await;
    let rate = b
        .text(r#"tr[data-variant="control"] td:nth-of-type(2)"#)
        .await;
    assert_eq!(rate, "10.0%");
    let results = json(&server.request("GET", &format!("/experiments/{id}/results"), None));
    let treatment = results["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "treatment")
        .unwrap()
        .clone();
    let rate = treatment["metrics"]["purchased"]["rate"].as_f64().unwrap();
    assert_eq!(
        b.text(r#"tr[data-variant="treatment"] td:nth-of-type(2)"#)
            .await,
        format!("{:.1}%", 100.0 * rate)
    );
    assert!(b.text("#srm").await.contains("as the weights say"));
    b.shot("experiment-results").await;
    b.assert_no_console_error().await;
    b.client.close().await.unwrap();
}
