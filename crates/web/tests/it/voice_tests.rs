//! Residents' voice through the pages (issue 5): a resident reports from the public pages (no
//! account, small, no script), gets a tracking code, follows it; staff analyse, assign, resolve
//! with a photo; the resident confirms, then rates; bad input is refused with nothing written;
//! the sweep escalates on a set clock and closes after the window, and the work lists show it;
//! exports; scope on every endpoint (the flood guard and village changes: `voice_guard_tests`).

use crate::fixture::{VILLAGE, World};
use crate::harness::{App, Call, Jar, Resp, xlsx_cells};
use crate::session::{Session, login};
use jiceng_store::sql::Page;
use jiceng_store::{Scope, Store};
use jiceng_web::clock::day_of;

const DAY: i64 = 86_400_000;
/// The smallest thing `infer` takes for a PNG: its signature and the start of a header.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
const APP_CSS: &str = include_str!("../../assets/app.css");

/// A multipart body: text fields, then an optional file named `file_field`.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "jicengvoiceboundary42";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .into_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend(format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        ).into_bytes());
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A resident's browser: the pre-login CSRF cookie the public pages set.
pub struct Resident {
    pub jar: Jar,
    pub csrf: String,
}

impl Resident {
    pub async fn open(app: &App, path: &str) -> (Resident, Resp) {
        let r = app.send(Call::get(path)).await;
        let mut jar = Jar::default();
        jar.absorb(&r);
        let csrf = jar
            .get("jiceng_csrf")
            .expect("the page sets the CSRF cookie")
            .to_string();
        (Resident { jar, csrf }, r)
    }

    pub fn report(&self, fields: &[(&str, &str)], photo: Option<&[u8]>) -> Call {
        let (ct, body) = multipart(fields, photo.map(|p| ("photo", p)));
        Call::post(format!("/voice/{VILLAGE}?_csrf={}", self.csrf))
            .cookies(&self.jar)
            .raw(&ct, body)
    }

    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Call {
        let mut all = vec![("_csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        Call::post(path).cookies(&self.jar).form(&all)
    }
}

fn tracking_code(page: &str) -> String {
    page.split("id=\"tracking-code\">")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .expect("the page shows the tracking code")
        .to_string()
}

fn resolve_call(s: &Session, id: i64, what: &str, photo: Option<&[u8]>) -> Call {
    let (ct, body) = multipart(&[("what", what)], photo.map(|p| ("photo", p)));
    Call::post(format!("/problems/{id}/resolve?_csrf={}", s.csrf))
        .cookies(&s.jar)
        .raw(&ct, body)
}

pub async fn count(app: &App) -> i64 {
    app.store
        .problems(&Scope::All, None, None, Page::new(None, None))
        .await
        .unwrap()
        .1
}

async fn resident_flow(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;

    // Choosing the place: from the top down to the village's form.
    app.send(Call::get("/voice"))
        .await
        .expect_page(200, &["斗门区", "/voice?at=440403000000"]);
    app.send(Call::get("/voice?at=440403105000"))
        .await
        .expect_page(200, &["乾西村", &format!("/voice/{VILLAGE}")]);
    let (r, form) = Resident::open(&app, &format!("/voice/{VILLAGE}")).await;
    form.expect_page(
        200,
        &[
            "乾西村",
            "问题类别",
            "道路与交通设施",
            "value=\"road\"",
            "联系电话",
            "lang=\"zh-CN\"",
        ],
    );
    let page = form.text();
    assert!(!page.contains("<script"), "no JavaScript");
    assert!(
        page.len() + APP_CSS.len() < 50 * 1024,
        "the form with its stylesheet stays under 50 KB: {}",
        page.len() + APP_CSS.len()
    );
    // The public board leads to the same form.
    app.send(Call::get(format!("/board/{VILLAGE}")))
        .await
        .expect_page(200, &[&format!("href=\"/voice/{VILLAGE}\"")]);
    app.send(Call::get("/voice/440403105000")).await.expect(404);
    app.send(Call::get("/voice/nonsense")).await.expect(404);

    // Bad input: refused with the reason, nothing written, nothing audited.
    let before = (count(&app).await, app.audit_len().await);
    app.send(r.report(&[("category", "road"), ("body", "  ")], None))
        .await
        .expect_page(422, &["请写下要反映的问题", "body-error"]);
    let long = "长".repeat(100 * 1024 / 3);
    app.send(r.report(&[("category", "road"), ("body", &long)], None))
        .await
        .expect_page(422, &["不超过2000字"]);
    app.send(r.report(&[("body", "路灯坏了")], Some(b"not an image at all")))
        .await
        .expect_page(422, &["不是照片", "photo-error", "路灯坏了"]);
    app.send(r.report(&[("body", "路灯坏了"), ("contact", "12345")], None))
        .await
        .expect_page(422, &["contact-error"]);
    let huge = vec![0xFFu8; 30 * 1024 * 1024];
    app.send(r.report(&[("body", "路灯坏了")], Some(&huge)))
        .await
        .expect_page(413, &["照片过大"]);
    // Without the CSRF token: refused.
    let (ct, body) = multipart(&[("body", "路灯坏了")], None);
    app.send(
        Call::post(format!("/voice/{VILLAGE}"))
            .cookies(&r.jar)
            .raw(&ct, body),
    )
    .await
    .expect(403);
    assert_eq!((count(&app).await, app.audit_len().await), before);

    // Filed: the code shown once; the phone sealed; the photo kept.
    let filed = app
        .send(r.report(
            &[
                ("category", "road"),
                ("body", "村口路灯不亮，晚上出行不便"),
                ("location", "村口大榕树旁"),
                ("contact", "13800138000"),
            ],
            Some(PNG),
        ))
        .await;
    filed.expect_page(200, &["已收到您的反映", "tracking-code"]);
    let code = tracking_code(&filed.text());
    assert_eq!(code.len(), 10);
    let p = app.store.problem_by_code(&code).await.unwrap();
    assert_eq!((p.place_id, p.has_contact), (w.village, 1));
    let id = p.id;

    // Tracking: a wrong code says nothing about whether it exists; the right one, in any case.
    app.send(Call::get("/voice/track"))
        .await
        .expect_page(200, &["查询码"]);
    app.send(r.post("/voice/track", &[("code", "ABCDEFGHJK")]))
        .await
        .expect_page(404, &["查询码不正确"]);
    app.send(r.post("/voice/track", &[("code", "';--")]))
        .await
        .expect_page(404, &["查询码不正确"]);
    let status = app
        .send(r.post("/voice/track", &[("code", &code.to_lowercase())]))
        .await;
    status.expect_page(200, &["村口路灯不亮", "已收集", "收到您的反映"]);
    // The service centre's look-up finds a report's code too.
    app.send(r.post("/service/track", &[("code", &code)]))
        .await
        .expect_page(200, &["村口路灯不亮", "收到您的反映"]);
    assert!(status.text().len() + APP_CSS.len() < 50 * 1024 && !status.text().contains("<script"));
    assert!(!status.text().contains("13800138000") && !status.text().contains("138****"));
    assert!(
        !status.text().contains("id=\"confirm\""),
        "nothing to confirm yet"
    );
    app.send(r.post("/voice/track/confirm", &[("code", &code)]))
        .await
        .expect_page(422, &["不能进行"]);

    // Staff: the list, the page, each transition as a form.
    let mut s = login(&app, "village_committee").await;
    app.send(s.get("/problems"))
        .await
        .expect_page(200, &["问题清单", "村口路灯不亮", "乾西村"]);
    let page = format!("/problems/{id}");
    app.send(s.get(&page))
        .await
        .expect_page(200, &["研判分类", "村口大榕树旁", "已留"])
        .text();
    // Staff cannot close it: there is no such form, and a forged one is refused.
    app.send(s.post(format!("{page}/act"), &[("event", "confirmed")]))
        .await
        .expect(400);
    let act = format!("{page}/act");
    app.send(s.post(&act, &[("event", "analysed"), ("category", "")]))
        .await
        .expect_page(422, &["请选择问题类别"]);
    app.send(s.post(&act, &[("event", "analysed"), ("category", "道路")]))
        .await
        .expect_page(422, &["请从列表中选择问题类别"]);
    app.send(s.post(&act, &[("event", "analysed"), ("category", "road")]))
        .await
        .expect_redirect(&page);
    let today = day_of(app.now());
    let yesterday = jiceng_domain::meeting::add_days(&today, -1).unwrap();
    app.send(s.post(
        &act,
        &[
            ("event", "assigned"),
            ("owner", "村委会"),
            ("deadline", &yesterday),
        ],
    ))
    .await
    .expect_page(422, &["不能早于今天"]);
    let deadline = jiceng_domain::meeting::add_days(&today, 3).unwrap();
    app.send(s.post(
        &act,
        &[
            ("event", "assigned"),
            ("owner", "村委会"),
            ("deadline", &deadline),
        ],
    ))
    .await
    .expect_redirect(&page);
    app.send(resolve_call(&s, id, "", None))
        .await
        .expect_page(422, &["请写明办理结果"]);
    app.send(resolve_call(
        &s,
        id,
        "更换灯泡",
        Some(b"%PDF-1.4 not a photo"),
    ))
    .await
    .expect_page(422, &["不是照片"]);
    app.send(resolve_call(&s, id, "更换灯泡", Some(PNG)))
        .await
        .expect_redirect(&page);
    let files = app.store.problem_files(&Scope::All, id).await.unwrap();
    assert_eq!(files.len(), 2, "the resident's photo and the evidence");
    let got = app
        .send(s.get(format!("{page}/files/{}", files[1].id)))
        .await;
    got.expect(200);
    assert_eq!(
        (got.body.as_slice(), got.content_type()),
        (PNG, "image/png")
    );

    // The contact: masked until an audited reveal.
    let shown = app.send(s.post(format!("{page}/reveal"), &[])).await;
    shown.expect_page(200, &["13800138000"]);

    // The resident confirms; then cannot confirm or object again; rates once.
    let st = app.send(r.post("/voice/track", &[("code", &code)])).await;
    st.expect_page(200, &["已办结：更换灯泡", "id=\"confirm\"", "提出异议"]);
    app.send(r.post("/voice/track/confirm", &[("code", &code)]))
        .await
        .expect_page(200, &["已确认解决", "已销号", "id=\"rate\""]);
    app.send(r.post("/voice/track/confirm", &[("code", &code)]))
        .await
        .expect_page(422, &["已销号，不能再确认"]);
    app.send(r.post("/voice/track/object", &[("code", &code), ("reason", "x")]))
        .await
        .expect_page(422, &["已销号"]);
    app.send(r.post("/voice/track/rate", &[("code", &code), ("score", "9")]))
        .await
        .expect_page(422, &["1至5分"]);
    app.send(r.post("/voice/track/rate", &[("code", &code), ("score", "5")]))
        .await
        .expect_page(200, &["感谢您的评价", "您的评价：5分"]);
    app.send(r.post("/voice/track/rate", &[("code", &code), ("score", "4")]))
        .await
        .expect_page(422, &["已评价过"]);
    app.send(r.post("/voice/track/confirm", &[("code", "ABCDEFGHJK")]))
        .await
        .expect_page(404, &["查询码不正确"]);

    // A second problem: escalated past its deadline on a set clock, in both work lists; then
    // resolved, an objection reopens it, and the window closes it.
    let (_, second) = app
        .store
        .file_problem(
            &jiceng_store::Actor::cli("t"),
            &jiceng_store::voice::NewProblem {
                place_id: w.village,
                source: "resident".into(),
                body: "垃圾清运不及时".into(),
                ..Default::default()
            },
            &today,
            app.now(),
        )
        .await
        .unwrap();
    let q = app.store.problem_by_code(&second).await.unwrap().id;
    // A neighbour reports the same: merged, their code follows the first one's steps.
    let (dup, dup_code) = app
        .store
        .file_problem(
            &jiceng_store::Actor::cli("t"),
            &jiceng_store::voice::NewProblem {
                place_id: w.village,
                source: "resident".into(),
                body: "市场门口垃圾堆积".into(),
                ..Default::default()
            },
            &today,
            app.now(),
        )
        .await
        .unwrap();
    app.send(s.get(format!("/problems/{}", dup.id)))
        .await
        .expect_page(200, &["合并重复问题", "垃圾清运不及时"]);
    app.send(s.post(
        format!("/problems/{}/act", dup.id),
        &[("event", "merged"), ("into", &q.to_string())],
    ))
    .await
    .expect_redirect("/problems/");
    let qact = format!("/problems/{q}/act");
    app.send(s.post(&qact, &[("event", "analysed"), ("category", "sanitation")]))
        .await
        .expect_redirect("/problems/");
    app.send(s.post(
        &qact,
        &[
            ("event", "assigned"),
            ("owner", "保洁队"),
            ("deadline", &today),
        ],
    ))
    .await
    .expect_redirect("/problems/");
    let sweep = |app: &App| {
        let app = app.clone();
        async move {
            app.store
                .voice_sweep(&day_of(app.now()), app.now())
                .await
                .unwrap()
        }
    };
    assert_eq!(sweep(&app).await, (0, 0), "the deadline day is in time");
    app.clock.advance(DAY);
    assert_eq!(sweep(&app).await, (0, 1));
    // A day later every session has expired: sign in again.
    s = login(&app, "village_committee").await;
    let town = login(&app, "town_committee").await;
    app.send(town.get(format!("/places/{}", w.town)))
        .await
        .expect_page(200, &["待办", "垃圾清运不及时", "已上报镇（街道）"]);
    app.send(s.get(format!("/places/{}", w.village)))
        .await
        .expect_page(200, &["待办", "垃圾清运不及时"]);
    app.send(town.get(format!("/problems?under={}&flag=escalated", w.town)))
        .await
        .expect_page(200, &["垃圾清运不及时"]);
    let listed = app
        .send(town.get(format!("/problems?under={}&flag=escalated&q=路灯", w.town)))
        .await;
    assert!(
        !listed.text().contains("垃圾清运不及时"),
        "words narrow the list"
    );
    app.send(resolve_call(&s, q, "已清运", None))
        .await
        .expect_redirect("/problems/");
    let merged = app
        .send(r.post("/voice/track", &[("code", &dup_code)]))
        .await;
    merged.expect_page(200, &["已与同一问题合并办理", "（合并办理）已办结：已清运"]);
    assert!(
        !merged.text().contains("垃圾清运不及时"),
        "not the other resident's words"
    );
    app.send(r.post("/voice/track/object", &[("code", &second), ("reason", "")]))
        .await
        .expect_page(422, &["请说明仍未解决的情况"]);
    app.send(r.post(
        "/voice/track/object",
        &[("code", &second), ("reason", "又堆满了")],
    ))
    .await
    .expect_page(200, &["已收到您的异议", "办理中"]);
    app.send(resolve_call(&s, q, "增加清运次数", None))
        .await
        .expect_redirect("/problems/");
    app.clock.advance(7 * DAY);
    assert_eq!(sweep(&app).await, (0, 0), "the 7th day is still open");
    app.clock.advance(DAY);
    assert_eq!(sweep(&app).await, (1, 0));
    let s = login(&app, "village_committee").await;
    let town = login(&app, "town_committee").await;
    app.send(r.post("/voice/track/confirm", &[("code", &second)]))
        .await
        .expect_page(422, &["已销号"]);
    app.send(s.get(format!("/places/{}", w.village)))
        .await
        .expect(200);
    assert!(
        !app.send(s.get(format!("/places/{}", w.village)))
            .await
            .text()
            .contains("垃圾清运不及时"),
        "a closed problem leaves the work list"
    );

    // Exports: the list with its filters; the month's report per node.
    let x = app
        .send(town.get(format!(
            "/problems/export.xlsx?under={}&status=closed",
            w.town
        )))
        .await;
    let cells = xlsx_cells(&x.body);
    assert_eq!(
        cells.len(),
        3,
        "a header and the two closed problems: {cells:?}"
    );
    let month = &today[..7];
    let x = app
        .send(town.get(format!(
            "/problems/report.xlsx?under={}&month={month}",
            w.town
        )))
        .await;
    let cells = xlsx_cells(&x.body);
    assert!(
        cells
            .iter()
            .any(|row| row.first().is_some_and(|c| c == "乾西村")
                && row.get(1).is_some_and(|c| c == "3")),
        "{cells:?}"
    );
    app.send(town.get(format!(
        "/problems/report.xlsx?under={}&month=2026-13",
        w.town
    )))
    .await
    .expect(400);

    // Scope: another town's user and the sibling village's see none of it, on every endpoint.
    crate::fixture::user(
        &app.store,
        "baijiao_town",
        "白蕉镇党委",
        "town_committee",
        w.other_town,
    )
    .await;
    for who in ["baijiao_town", "sibling_vc"] {
        let o = login(&app, who).await;
        for path in [
            page.clone(),
            format!("{page}/files/{}", files[0].id),
            format!("/problems?under={}", w.village),
            format!("/problems/export.xlsx?under={}", w.village),
            format!("/problems/report.xlsx?under={}&month={month}", w.village),
            format!("/problems/figures?under={}", w.village),
            format!("/problems/figures/export.xlsx?under={}", w.village),
        ] {
            app.send(o.get(&path)).await.expect(404);
        }
        for call in [
            o.post(&act, &[("event", "analysed"), ("category", "other")]),
            o.post(format!("{page}/reveal"), &[]),
            resolve_call(&o, id, "越权", None),
        ] {
            app.send(call).await.expect(404);
        }
        let own = app.send(o.get("/problems")).await;
        own.expect(200);
        assert!(
            !own.text().contains("村口路灯不亮"),
            "{who}'s list leaks nothing"
        );
        let x = app.send(o.get("/problems/export.xlsx")).await;
        assert_eq!(
            xlsx_cells(&x.body).len(),
            1,
            "{who}'s export is only its header"
        );
    }
    // The desk: a town's staff take a report for one of its villages; the code is shown once.
    let town = login(&app, "town_committee").await;
    let sibling = w.sibling.to_string();
    let desk = [
        ("place_id", sibling.as_str()),
        ("source", "desk"),
        ("category", "policy"),
        ("body", "想咨询高龄津贴怎么申请"),
    ];
    let taken = app.send(town.post("/problems", &desk)).await;
    taken.expect_page(
        200,
        &["已登记。查询码：", "想咨询高龄津贴怎么申请", "乾东村"],
    );
    let before = count(&app).await;
    app.send(town.post(
        "/problems",
        &[
            ("place_id", sibling.as_str()),
            ("category", "other"),
            ("body", " "),
        ],
    ))
    .await
    .expect_page(422, &["请写下要反映的问题"]);
    let other_village = w.other_village.to_string();
    app.send(town.post(
        "/problems",
        &[("place_id", other_village.as_str()), ("body", "越权登记")],
    ))
    .await
    .expect(404);
    assert_eq!(count(&app).await, before, "refused reports leave nothing");
    // Figures: the town's page shows what its roll-ups hold, its village linking to the list.
    let year = &month[..4];
    let period = jiceng_domain::life::period::Period::parse(year).unwrap();
    let (fig, _) = app
        .store
        .voice_figures(&jiceng_store::Scope::All, w.town, &period)
        .await
        .unwrap();
    assert!(fig.collected > 0);
    app.send(town.get(format!("/problems/figures?under={}&period={year}", w.town)))
        .await
        .expect_page(
            200,
            &[
                &format!("收集问题</dt><dd>{}</dd>", fig.collected),
                &format!("/problems?under={}", w.village),
                "累计（全部记录）",
            ],
        );
    // 累计: every month on record, as the roll-ups hold them.
    let (all, _) = app
        .store
        .voice_figures(
            &jiceng_store::Scope::All,
            w.town,
            jiceng_store::voice::figures::Span::All,
        )
        .await
        .unwrap();
    assert!(all.collected >= fig.collected);
    app.send(town.get(format!("/problems/figures?under={}&period=all", w.town)))
        .await
        .expect_page(
            200,
            &[
                &format!("收集问题</dt><dd>{}</dd>", all.collected),
                "统计期（按受理月份）</dt><dd>累计（全部记录）",
                "本年",
            ],
        );
    app.send(town.get(format!("/problems/figures?under={}&period=2025-13", w.town)))
        .await
        .expect_page(400, &["统计期格式"]);

    // A member of the public cannot reach the staff pages.
    app.send(Call::get(&page)).await.expect(303);
}
jiceng_store::both_backends!(residents_report_track_confirm_and_rate, resident_flow);

/// A problem's page lists the same village's open reports that share its words, linked, and not
/// a report about something else.
async fn duplicates(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let a = jiceng_store::Actor::cli("test");
    let mut ids = Vec::new();
    for body in [
        "村口路灯不亮，晚上很黑",
        "村口的路灯坏了好几天",
        "垃圾没人清运",
    ] {
        let n = jiceng_store::voice::NewProblem {
            place_id: w.village,
            source: "desk".into(),
            body: body.into(),
            ..Default::default()
        };
        let (p, _) = app
            .store
            .file_problem(&a, &n, "2026-03-01", 0)
            .await
            .unwrap();
        ids.push(p.id);
    }
    let s = login(&app, "village_committee").await;
    let page = app.send(s.get(format!("/problems/{}", ids[0]))).await;
    page.expect_page(200, &["可能重复的问题", &format!("/problems/{}\"", ids[1])]);
    assert!(
        !page.text().contains(&format!("/problems/{}\"", ids[2])),
        "the rubbish report is not a lamp report"
    );
}
jiceng_store::both_backends!(similar_open_reports_are_suggested, duplicates);

/// The list narrowed to a category; a filtered list counts only up to the store's cap (shown as
/// `cap+`) while a plain one is exact from the roll-ups; the figures show what is overdue now.
async fn categories_and_counts(mut store: Store) {
    store.problem_count_cap = 1;
    let app = App::new(store);
    let w = World::small(&app).await;
    let a = jiceng_store::Actor::cli("test");
    for (category, body) in [
        ("road", "村口路灯不亮"),
        ("road", "村道有坑洼"),
        ("water", "自来水水压低"),
    ] {
        let n = jiceng_store::voice::NewProblem {
            place_id: w.village,
            source: "desk".into(),
            category: Some(category.into()),
            body: body.into(),
            ..Default::default()
        };
        app.store
            .file_problem(&a, &n, "2026-03-01", 0)
            .await
            .unwrap();
    }
    let s = login(&app, "village_committee").await;
    let road = app
        .send(s.get(format!("/problems?under={}&category=road", w.village)))
        .await;
    road.expect_page(200, &["村口路灯不亮", "村道有坑洼", "1+ ·"]);
    assert!(!road.text().contains("自来水水压低"), "water is not road");
    let water = app
        .send(s.get(format!("/problems?under={}&category=water", w.village)))
        .await;
    water.expect_page(200, &["自来水水压低", " 1 · 1/1"]);
    let all = app
        .send(s.get(format!("/problems?under={}", w.village)))
        .await;
    all.expect_page(200, &[" 3 · 1/1"]);
    let figures = app
        .send(s.get(format!("/problems/figures?under={}", w.village)))
        .await;
    figures.expect_page(200, &["当前逾期未办结"]);
}
jiceng_store::both_backends!(
    problem_list_categories_and_capped_counts,
    categories_and_counts
);
