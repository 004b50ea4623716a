//! What every browser test needs: the app served on a free port, chromedriver with headless
//! Debian Chromium at a given size (JavaScript on or off), waits, form helpers and screenshots.

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use jiceng_store::Store;
use jiceng_web::clock::Clock;
use jiceng_web::{AppState, WebConfig};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver, stopped when the test ends (even on a panic).
pub struct Driver(pub Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn chromedriver() -> Option<&'static str> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

/// chromedriver's path, or `None` after saying loudly that the test is skipped (outside CI only).
pub fn chromedriver_or_skip(what: &str) -> Option<&'static str> {
    let found = chromedriver();
    if found.is_none() {
        if jiceng_store::testing::in_ci() {
            panic!(
                "CI=true and chromedriver is missing: .ci/run installs chromium and chromium-driver"
            );
        }
        eprintln!(
            "\n!!! chromedriver not found: SKIPPING {what} (apt-get install -y chromium chromium-driver) !!!\n"
        );
    }
    found
}

/// Serves the app on the store at a free port; returns its base URL.
pub async fn serve(store: &Store) -> String {
    let app = jiceng_web::router(AppState::new(
        store.clone(),
        WebConfig::default(),
        Clock::System,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    base
}

/// A headless Chromium session; keep the whole value alive for as long as the client is used.
pub struct Browser {
    pub client: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// Starts chromedriver and opens Chromium at `width` × `height`, with JavaScript on or off (off as
/// on the cheapest phone).
pub async fn browser(driver_bin: &str, width: u32, height: u32, javascript: bool) -> Browser {
    let port = free_port();
    let driver = Driver(
        Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let profile = tempfile::tempdir().unwrap();
    let mut options = serde_json::json!({
        "binary": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", format!("--window-size={width},{height}"),
                 format!("--user-data-dir={}", profile.path().display())]
    });
    if !javascript {
        options["prefs"] =
            serde_json::json!({"profile.managed_default_content_settings.javascript": 2});
    }
    let caps = serde_json::json!({"browserName": "chrome", "goog:chromeOptions": options});
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(caps.as_object().unwrap().clone());
    for _ in 0..50 {
        if let Ok(client) = builder.connect(&format!("http://127.0.0.1:{port}")).await {
            client.set_window_size(width, height).await.unwrap();
            return Browser {
                client,
                _driver: driver,
                _profile: profile,
            };
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not start");
}

/// Waits (up to 10 s) until the browser is at `path` (ignoring the query).
pub async fn wait_path(c: &Client, path: &str) {
    let mut at = String::new();
    for _ in 0..100 {
        at = c
            .current_url()
            .await
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        if at == path {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser stayed at {at}, expected {path}");
}

/// Waits (up to 10 s) until the page shows `needle`; returns the page.
pub async fn wait_text(c: &Client, needle: &str) -> String {
    let mut page = String::new();
    for _ in 0..100 {
        page = c.source().await.unwrap_or_default();
        if page.contains(needle) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the page never showed {needle:?}: {}",
        page.chars().take(3000).collect::<String>()
    );
}

pub async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

pub async fn fill(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}

/// Keeps a screenshot of the page in `artifacts/`.
pub async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join(name), png).unwrap();
}

/// Follows the link with exactly this text.
pub async fn link(c: &Client, text: &str) {
    c.find(Locator::LinkText(text))
        .await
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .click()
        .await
        .unwrap();
}
