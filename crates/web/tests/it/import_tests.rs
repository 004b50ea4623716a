//! Roster import from Excel: template, a file full of problems (nothing written, every problem
//! with its row and column, also as a sheet, and on record), a good file previewed then accepted,
//! the same file again (nothing changes), and files that cannot be used at all.

use crate::fixture::{World, ZHANG_SAN, citizen_id, wrong_check};
use crate::harness::{App, Call, Resp, xlsx_cells};
use crate::session::{Session, login};
use jiceng_store::members::MemberFilter;
use jiceng_store::sql::Page;
use jiceng_store::{Scope, Store};
use rust_xlsxwriter::Workbook;

const HEADERS: [&str; 12] = [
    "党组织编号",
    "姓名",
    "身份证号",
    "民族",
    "学历",
    "职业类别",
    "党员状态",
    "入党日期",
    "转正日期",
    "工作单位",
    "联系电话",
    "家庭住址",
];

fn sheet(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

fn row(org: i64, name: &str, id: &str) -> Vec<String> {
    [
        &org.to_string(),
        name,
        id,
        "汉族",
        "大专",
        "农民",
        "正式党员",
        "2001-07-01",
        "2002-07-01",
        "乾西村",
        "13900001111",
        "广东省珠海市斗门区乾务镇乾西村1号",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Posts a file the way a browser does: multipart, with the token in the query string.
pub async fn upload(app: &App, s: &Session, bytes: Vec<u8>, csrf: Option<&str>) -> Resp {
    let boundary = "jicengboundary7d9";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"名册.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let q = csrf.map(|c| format!("?_csrf={c}")).unwrap_or_default();
    let call = Call::post(format!("/members/import{q}"))
        .cookies(&s.jar)
        .raw(&format!("multipart/form-data; boundary={boundary}"), body);
    app.send(call).await
}

async fn count_members(app: &App) -> i64 {
    let all = MemberFilter {
        include_former: true,
        ..Default::default()
    };
    app.store
        .members(&Scope::All, &all, Page::new(None, None))
        .await
        .unwrap()
        .1
}

fn link(html: &str, prefix: &str) -> String {
    let start = html
        .find(prefix)
        .unwrap_or_else(|| panic!("no link {prefix}"));
    html[start..].split('"').next().unwrap().to_string()
}

async fn import(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let s = login(&app, "town_committee").await;
    let csrf = s.csrf.clone();

    // The template has the columns and a sample row.
    let t = app.send(s.get("/members/import/template.xlsx")).await;
    t.expect(200);
    let cells = xlsx_cells(&t.body);
    assert_eq!(
        cells[0],
        HEADERS.iter().map(|h| h.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(cells.len(), 2);

    // A file full of problems: nothing is written, each problem has its row and column.
    let before = count_members(&app).await;
    let audit_before = app.audit_len().await;
    let good1 = citizen_id("44040319800101001");
    let mut bad_edu = row(w.member_org, "学历错", &citizen_id("44040319800101002"));
    bad_edu[4] = "博士后".into();
    let mut bad_date = row(w.member_org, "日期错", &citizen_id("44040319800101003"));
    bad_date[7] = "2021-02-30".into();
    let rows = vec![
        row(w.member_org, "好人", &good1),
        row(w.member_org, "校验错", &wrong_check("44040319800101004")),
        bad_edu,
        bad_date,
        row(w.member_org, "重复", &good1),
        row(w.member_org, "已登记", &citizen_id(ZHANG_SAN.id17)),
        row(w.other_member_org, "外镇", &citizen_id("44040319800101005")),
    ];
    let r = upload(&app, &s, sheet(&HEADERS, &rows), Some(&csrf)).await;
    r.expect_page(
        422,
        &[
            "校验位",
            "学历须为",
            "日期格式",
            "与第2行重复",
            "找不到该党组织",
        ],
    );
    assert_eq!(count_members(&app).await, before, "nothing written");
    assert!(
        !r.text().contains("确认导入"),
        "no way to accept a file with problems"
    );
    // The problems as a sheet: row, column, value, reason.
    let sheet_link = link(&r.text(), "/members/import/");
    let p = app.send(s.get(sheet_link.replace("&amp;", "&"))).await;
    p.expect(200);
    let problems = xlsx_cells(&p.body);
    assert_eq!(problems[0], ["行", "列", "值", "原因"]);
    assert!(
        problems.iter().any(|r| r[0] == "3" && r[1] == "身份证号"),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|r| r[0] == "4" && r[1] == "学历" && r[2] == "博士后"),
        "{problems:?}"
    );
    // What was tried is on record.
    assert!(app.audit_len().await > audit_before);

    // A good file: a preview with counts, nothing written until accepted.
    let rows: Vec<Vec<String>> = (1..=5)
        .map(|i| {
            row(
                w.member_org,
                &format!("新党员{i}"),
                &citizen_id(&format!("4404031985020100{i}")),
            )
        })
        .collect();
    let mut rows = rows;
    rows.push(row(
        w.member_org,
        ZHANG_SAN.name,
        &citizen_id(ZHANG_SAN.id17),
    ));
    let file = sheet(&HEADERS, &rows);
    let r = upload(&app, &s, file.clone(), Some(&csrf)).await;
    r.expect_page(200, &["确认导入", "新党员"]);
    assert!(
        !r.text().contains("修改文件后重新上传"),
        "a clean file shows no problem table"
    );
    assert_eq!(count_members(&app).await, before);
    let accept = link(&r.text(), "/members/import/");
    let a = app.send(s.post(&accept, &[])).await;
    a.expect_redirect("/members?notice=imported");
    assert_eq!(
        count_members(&app).await,
        before + 5,
        "five new, 张三 already registered"
    );
    let list = app
        .send(s.get("/members?q=%E6%96%B0%E5%85%9A%E5%91%98"))
        .await; // 新党员
    list.expect_page(200, &["新党员1", "新党员5"]);
    // The same file again: nothing new, nothing to accept, nothing changes.
    let r = upload(&app, &s, file, Some(&csrf)).await;
    r.expect(200);
    assert!(!r.text().contains("确认导入"));
    assert_eq!(count_members(&app).await, before + 5);
    // An accepted upload is gone.
    app.send(s.post(&accept, &[])).await.expect(404);

    // Files that cannot be used at all.
    let r = upload(&app, &s, sheet(&HEADERS[..5], &[]), Some(&csrf)).await;
    r.expect_page(422, &["缺少列"]);
    let mut extra = HEADERS.to_vec();
    extra.push("备注");
    upload(
        &app,
        &s,
        sheet(&extra, &[row(w.member_org, "x", &good1)]),
        Some(&csrf),
    )
    .await
    .expect_page(422, &["多余的列"]);
    upload(&app, &s, b"not a spreadsheet at all".to_vec(), Some(&csrf))
        .await
        .expect_page(422, &["无法读取"]);
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend([0u8; 512]);
    upload(&app, &s, ole, Some(&csrf))
        .await
        .expect_page(422, &["已加密"]);
    // A county's roster (200,000 rows is about 12.5 MiB) gets past the size limit (this one is
    // not a workbook); 50 MB is refused, naming the limit.
    upload(&app, &s, vec![b'x'; 13 * 1024 * 1024], Some(&csrf))
        .await
        .expect_page(422, &["无法读取"]);
    upload(&app, &s, vec![b'x'; 50_000_000], Some(&csrf))
        .await
        .expect_page(413, &["文件过大：上限为30MB"]);
    upload(&app, &s, sheet(&HEADERS, &[]), Some(&csrf))
        .await
        .expect_page(422, &["没有数据行"]);
    // Without the token, or as a role without the register: refused.
    upload(&app, &s, sheet(&HEADERS, &rows), None)
        .await
        .expect(403);
    let grid = login(&app, "grid_worker").await;
    let gcsrf = grid.csrf.clone();
    upload(&app, &grid, sheet(&HEADERS, &rows), Some(&gcsrf))
        .await
        .expect(403);
    assert_eq!(count_members(&app).await, before + 5);
}
jiceng_store::both_backends!(roster_import_previews_then_accepts, import);
