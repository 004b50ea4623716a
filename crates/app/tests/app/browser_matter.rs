//! One matter through all six steps of 四议两公开 in the browser, as a town committee user would
//! run it: each body's meeting recorded with its roll ticked, its vote, the step bound to it; the
//! two publications; then the village's public board, opened at 360 px without an account, shows
//! them. The seats and the register are set up through the store first (the demo district in
//! this test has no village bodies yet).

use crate::kit::{click, fill, wait_path, wait_text};
use fantoccini::Client;
use jiceng_store::village::NewSeat;
use jiceng_store::{Actor, Scope, Store};

/// Ticks each of `ids` present in the form `form`.
async fn tick(c: &Client, form: &str, ids: &[i64]) {
    for id in ids {
        click(c, &format!("#{form} input[name=present][value='{id}']")).await;
    }
}

/// Sets a field's value as the page's own date picker would (typed keys depend on the locale).
async fn set_value(c: &Client, css: &str, value: &str) {
    let js = format!("document.querySelector({css:?}).value = {value:?};");
    c.execute(&js, vec![]).await.unwrap();
}

/// Records a vote on the meeting page the browser is at, and returns that page's path.
async fn vote(c: &Client, title: &str, ayes: usize) -> String {
    let at = c.current_url().await.unwrap().path().to_string();
    assert!(at.starts_with("/meetings/"), "at {at}");
    fill(c, "#resolution input[name=title]", title).await;
    fill(c, "#resolution input[name=ayes]", &ayes.to_string()).await;
    click(c, "#resolution button[type=submit]").await;
    // The page after the POST lists the vote (before it, the table said there was none).
    for _ in 0..100 {
        let page = c.source().await.unwrap_or_default();
        if !page.contains("尚无表决事项") && page.contains(title) {
            return at;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the vote {title} never showed at {at}");
}

/// Binds the matter's next step to the newest passed resolution offered (the one just recorded).
async fn step(c: &Client, base: &str, matter: &str, next: &str) {
    c.goto(&format!("{base}{matter}")).await.unwrap();
    wait_text(c, next).await;
    click(c, "#step button[type=submit]").await;
    wait_path(c, matter).await;
}

pub async fn six_steps(c: &Client, base: &str, store: &Store, village: i64) {
    let (a, s) = (Actor::cli("browser-fixture"), Scope::All);
    let mut ids = Vec::new();
    for name in [
        "何书记",
        "赖委员",
        "麦委员",
        "苏主任",
        "冯代表",
        "杨代表",
        "钟代表",
        "欧阳代表",
    ] {
        ids.push(
            store
                .add_person(&a, &s, village, name, None, 0)
                .await
                .unwrap()
                .id,
        );
    }
    let seats = [
        (0, "party_committee"),
        (1, "party_committee"),
        (2, "party_committee"),
        (0, "villagers_committee"),
        (3, "villagers_committee"),
        (4, "representatives"),
        (5, "representatives"),
        (6, "representatives"),
        (7, "representatives"),
        (4, "supervision"),
    ];
    for (i, body) in seats {
        let seat = NewSeat {
            person_id: ids[i],
            body: body.into(),
            title: None,
            from_on: "2021-05-01".into(),
        };
        store.add_seat(&a, &s, &seat, 0).await.unwrap();
    }
    // The village's adults and households, which the 村民会议's quorum is counted against.
    let counts = jiceng_store::village::Counts {
        adults: 400,
        households: 120,
    };
    store
        .set_village_counts(&a, &s, village, "2021-05-01", counts, 0)
        .await
        .unwrap();
    let org: i64 =
        sqlx::query_scalar("SELECT o.id FROM orgs o WHERE o.place_id = $1 ORDER BY o.id LIMIT 1")
            .bind(village)
            .fetch_one(&store.reader)
            .await
            .unwrap();
    let roll: Vec<i64> = store
        .meeting_roll(
            &s,
            org,
            &jiceng_web::clock::day_of(jiceng_web::clock::Clock::System.now_ms()),
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, _, votes)| *votes)
        .map(|(id, _, _)| id)
        .collect();
    assert!(!roll.is_empty(), "the imported member has a vote");

    // Open the matter from the village's key-powers list.
    c.goto(&format!("{base}/places/{village}/matters"))
        .await
        .unwrap();
    wait_text(c, "重要事权清单").await;
    fill(c, "#matter input[name=title]", "浏览器村道硬化").await;
    click(c, "#matter button[type=submit]").await;
    // No 支委会 vote yet: the page says so and links to where to record one.
    wait_text(c, "尚无可作依据的").await;
    let matter = c.current_url().await.unwrap().path().to_string();

    let meeting = |kind: &'static str| format!("{base}/places/{village}/meetings?kind={kind}");
    for (kind, who, next) in [
        (
            "branch_committee",
            vec![ids[0], ids[1]],
            "登记：村党组织提议",
        ),
        (
            "joint_committees",
            vec![ids[0], ids[1], ids[2], ids[3]],
            "登记：村“两委”会议商议",
        ),
    ] {
        c.goto(&meeting(kind)).await.unwrap();
        wait_text(c, "登记").await;
        fill(c, "#body-meeting input[name=title]", "村道硬化").await;
        tick(c, "body-meeting", &who).await;
        click(c, "#body-meeting button[type=submit]").await;
        wait_text(c, "登记表决").await;
        vote(c, "村道硬化", who.len()).await;
        step(c, base, &matter, next).await;
    }
    // The Party members' assembly of the village's branch: everyone with a vote present.
    c.goto(&format!("{base}/orgs/{org}/meetings"))
        .await
        .unwrap();
    wait_text(c, "登记会议").await;
    fill(c, "#meeting-new input[name=title]", "审议村道硬化").await;
    tick(c, "meeting-new", &roll).await;
    click(c, "#meeting-new button[type=submit]").await;
    wait_text(c, "登记表决").await;
    vote(c, "审议村道硬化", roll.len()).await;
    step(c, base, &matter, "登记：党员大会审议").await;
    // The representatives decide only under the 村民会议's authorisation (《组织法》第二十四条):
    // the assembly is held on 12 days' notice, 250 of 400 adults sign in, it votes the
    // authorisation, and the authorisation is recorded on the village's matters page.
    let today = jiceng_web::clock::day_of(jiceng_web::clock::Clock::System.now_ms());
    let notice = jiceng_domain::meeting::add_days(&today, -12).unwrap();
    c.goto(&meeting("villagers_assembly")).await.unwrap();
    wait_text(c, "登记村民会议").await;
    fill(c, "#body-meeting input[name=title]", "村民会议").await;
    set_value(c, "#body-meeting input[name=notice_sent_on]", &notice).await;
    fill(c, "#body-meeting input[name=present]", "250").await;
    click(c, "#body-meeting button[type=submit]").await;
    wait_text(c, "登记表决").await;
    vote(c, "授权村民代表会议决定清单事项", 200).await;
    c.goto(&format!("{base}/places/{village}/matters"))
        .await
        .unwrap();
    wait_text(c, "登记村民会议的授权").await;
    set_value(c, "#mandate input[name=from_on]", &today).await;
    click(c, "#mandate button[type=submit]").await;
    for _ in 0..100 {
        if !c.source().await.unwrap_or_default().contains("尚无授权") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(store.mandates(&s, village).await.unwrap().len(), 1);
    c.goto(&meeting("representatives_assembly")).await.unwrap();
    wait_text(c, "登记村民代表会议").await;
    fill(c, "#body-meeting input[name=title]", "表决村道硬化").await;
    tick(c, "body-meeting", &ids[4..8]).await;
    click(c, "#body-meeting button[type=submit]").await;
    wait_text(c, "登记表决").await;
    vote(c, "表决村道硬化", 4).await;
    step(c, base, &matter, "登记：村民会议或村民代表会议决议").await;

    // The two publications, with the dates the form offers (today, for the item's 7 days).
    for (next, title) in [
        ("登记：决议公开", "村道硬化决议公开"),
        ("登记：实施结果公开", "村道硬化实施结果公开"),
    ] {
        c.goto(&format!("{base}{matter}")).await.unwrap();
        wait_text(c, next).await;
        fill(c, "#step input[name=title]", title).await;
        fill(
            c,
            "#step textarea[name=body]",
            "村民代表会议表决通过，投资20万元。",
        )
        .await;
        click(c, "#step button[type=submit]").await;
        wait_path(c, &matter).await;
    }
    let page = wait_text(c, "已完成").await;
    for s in [
        "村党组织提议",
        "村“两委”会议商议",
        "党员大会审议",
        "村民会议或村民代表会议决议",
        "决议公开",
        "实施结果公开",
    ] {
        assert!(page.contains(s), "the steps list shows {s}");
    }
    // Nothing a test wrote by hand stands in for the pages: the store agrees with what they showed.
    let id: i64 = matter.trim_start_matches("/matters/").parse().unwrap();
    assert_eq!(store.matter(&s, id).await.unwrap().next_step, None);
    assert_eq!(store.matter_steps(&s, id).await.unwrap().len(), 6);

    // The public board at a phone's width (the web tests prove it needs no account).
    c.set_window_size(360, 1400).await.unwrap();
    c.goto(&format!("{base}/board/440403105201")).await.unwrap();
    let board = wait_text(c, "村道硬化实施结果公开").await;
    assert!(board.contains("村道硬化决议公开") && board.contains("乾西村村务公开栏"));
    let shot = c.screenshot().await.unwrap();
    let artifacts = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    std::fs::write(artifacts.join("browser-public-board-360.png"), shot).unwrap();
    c.set_window_size(1200, 1600).await.unwrap();
    c.goto(&format!("{base}/places/{village}")).await.unwrap();
    wait_text(c, "乾西村").await;
}
