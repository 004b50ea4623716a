//! Open311 GeoReport v2 (`/open311/v2/`): every resource in JSON and XML, the spec's examples
//! field by field, its errors and statuses, a POST that files a problem, partners' key scope and
//! rate, and no personal data in what anyone may read.

use crate::fixture::{OTHER_TOWN, TOWN, VILLAGE, World};
use crate::harness::{App, Call, Resp};
use jiceng_domain::voice::Event;
use jiceng_store::sql::Page;
use jiceng_store::voice::NewProblem;
use jiceng_store::{Actor, Scope, Store};
use serde_json::{Value, json};

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
const DAY: i64 = 86_400_000;
/// A valid ID number and a mobile, as a resident might type them into a description.
const ID_NUMBER: &str = "11010519491231002X";
const MOBILE: &str = "13800135678";

/// The spec's fields of a `request` in GET Service Requests, in its order.
const REQUEST_FIELDS: [&str; 17] = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];

pub fn post(uri: &str, body: &str) -> Call {
    Call::post(uri).raw(FORM, body.as_bytes().to_vec())
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn sorted(fields: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// An Open311 error answer: the status, the format, `[{"code", "description"}]` or
/// `<errors><error>…`, and the description holding `says`.
pub fn expect_error(r: &Resp, status: u16, says: &str) {
    assert_eq!(r.status.as_u16(), status, "{}: {}", r.what, r.text());
    if r.what.ends_with(".json") || r.what.contains(".json?") {
        assert_eq!(
            r.content_type(),
            "application/json; charset=utf-8",
            "{}",
            r.what
        );
        let v = r.json();
        let errs = v.as_array().unwrap();
        assert_eq!(errs.len(), 1);
        assert_eq!(sorted(&["code", "description"]), keys(&errs[0]));
        assert_eq!(errs[0]["code"], json!(status));
        let d = errs[0]["description"].as_str().unwrap();
        assert!(d.contains(says), "{}: {d}", r.what);
    } else {
        assert_eq!(r.content_type(), "text/xml; charset=utf-8", "{}", r.what);
        let t = r.text();
        assert!(
            t.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<errors>\n  <error>\n"),
            "{}: {t}",
            r.what
        );
        assert!(t.contains(&format!("<code>{status}</code>")), "{t}");
        assert!(t.contains(says), "{}: {t}", r.what);
    }
}

pub async fn key(app: &App, place: &str, per_hour: i64) -> String {
    app.store
        .open311_issue_key(&Actor::cli("test"), "随手拍", place, per_hour, app.now())
        .await
        .unwrap()
        .1
}

async fn catalogue(store: Store) {
    let app = App::new(store);
    World::small(&app).await;
    let r = app.send(Call::get("/open311/v2/services.json")).await;
    r.expect(200);
    assert_eq!(r.content_type(), "application/json; charset=utf-8");
    let list = r.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 10);
    let spec = [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ];
    for s in list {
        assert_eq!(keys(s), sorted(&spec), "{s}");
        assert_eq!(s["metadata"], json!(false));
        assert_eq!(s["type"], json!("realtime"));
    }
    assert_eq!(list[0]["service_code"], json!("road"));
    assert_eq!(list[0]["service_name"], json!("道路与交通设施"));
    assert_eq!(list[0]["group"], json!("公共服务"));
    let groups: Vec<&str> = list.iter().map(|s| s["group"].as_str().unwrap()).collect();
    for g in ["党务", "政务", "村务", "公共服务"] {
        assert!(groups.contains(&g), "{groups:?}");
    }
    let r = app.send(Call::get("/open311/v2/services.xml")).await;
    r.expect(200);
    assert_eq!(r.content_type(), "text/xml; charset=utf-8");
    let t = r.text();
    assert!(
        t.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<services>\n  <service>\n    <service_code>road</service_code>\n    <service_name>道路与交通设施</service_name>\n"),
        "{t}"
    );
    for tag in [
        "<description>道路破损",
        "<metadata>false</metadata>",
        "<type>realtime</type>",
        "<keywords>道路,",
        "<group>公共服务</group>",
    ] {
        assert!(t.contains(tag), "{tag}: {t}");
    }
    assert_eq!(t.matches("<service>").count(), 10);
    // jurisdiction_id: any place of the tree; an unknown one is the spec's 404.
    app.send(Call::get(format!(
        "/open311/v2/services.json?jurisdiction_id={TOWN}"
    )))
    .await
    .expect(200);
    let r = app
        .send(Call::get(
            "/open311/v2/services.json?jurisdiction_id=999999999999",
        ))
        .await;
    expect_error(&r, 404, "jurisdiction_id 999999999999");
    // A service definition: a service without attributes has an empty list.
    let r = app.send(Call::get("/open311/v2/services/road.json")).await;
    r.expect(200);
    assert_eq!(r.json(), json!({"service_code": "road", "attributes": []}));
    let r = app.send(Call::get("/open311/v2/services/road.xml")).await;
    r.expect(200);
    assert_eq!(
        r.text(),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_definition>\n  <service_code>road</service_code>\n  <attributes></attributes>\n</service_definition>\n"
    );
    let r = app.send(Call::get("/open311/v2/services/nope.json")).await;
    expect_error(&r, 404, "service_code nope");
    let r = app.send(Call::get("/open311/v2/services/nope.xml")).await;
    expect_error(&r, 404, "service_code nope");
    // Unknown resources and formats: the spec's error answer, never an HTML page.
    for uri in [
        "/open311/v2/services.html",
        "/open311/v2/nothing.json",
        "/open311/v2/services/road",
        "/open311/v2/a/b/c.json",
        "/open311/nothing.xml",
    ] {
        let r = app.send(Call::get(uri)).await;
        expect_error(&r, 404, "not found");
    }
    // Service discovery, both formats.
    let r = app.send(Call::get("/open311/discovery.json")).await;
    r.expect(200);
    let d = r.json();
    assert_eq!(
        keys(&d),
        sorted(&["changeset", "contact", "key_service", "endpoints"])
    );
    let e = &d["endpoints"][0];
    assert_eq!(
        e["specification"],
        json!("http://wiki.open311.org/GeoReport_v2")
    );
    assert_eq!(e["url"], json!("http://jiceng.test/open311/v2"));
    assert_eq!(e["formats"], json!(["text/xml", "application/json"]));
    assert!(d["contact"].as_str().unwrap().contains("jurisdiction_id"));
    let t = app.send(Call::get("/open311/discovery.xml")).await.text();
    assert!(t.contains("<discovery>\n  <changeset>"), "{t}");
    assert!(t.contains("<formats>\n        <format>text/xml</format>\n        <format>application/json</format>"), "{t}");
}
jiceng_store::both_backends!(open311_services_definitions_discovery, catalogue);

/// The spec's example POST, with jiceng's village and service, a phone and a description holding
/// an ID number and a mobile.
fn example_body(api_key: &str) -> String {
    format!(
        "api_key={api_key}&jurisdiction_id={VILLAGE}&service_code=road&lat=22.23014918&long=113.29683&address_string=%E5%B9%B8%E7%A6%8F%E8%B7%AF12%E5%8F%B7%E5%AF%B9%E9%9D%A2&email=smit333%40sfgov.edu&device_id=tt222111&account_id=123456&first_name=john&last_name=smith&phone={MOBILE}&description=%E8%B7%AF%E9%9D%A2%E5%A1%8C%E9%99%B7%EF%BC%8C%E6%88%91%E7%9A%84%E8%BA%AB%E4%BB%BD%E8%AF%81{ID_NUMBER}%EF%BC%8C%E7%94%B5%E8%AF%9D{MOBILE}&media_url=http%3A%2F%2Ffarm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg&attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001"
    )
}

async fn post_and_read(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let k = key(&app, TOWN, 600).await;
    let r = app
        .send(post("/open311/v2/requests.json", &example_body(&k)))
        .await;
    r.expect(200);
    let v = r.json();
    let created = &v.as_array().unwrap()[0];
    assert_eq!(
        keys(created),
        sorted(&["service_request_id", "service_notice", "account_id"])
    );
    assert_eq!(created["account_id"], json!("123456"));
    assert!(
        created["service_notice"]
            .as_str()
            .unwrap()
            .contains("查询码")
    );
    let id: i64 = created["service_request_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // The problem list has it, from Open311, in the village, its phone sealed for call-back.
    let (rows, _) = app
        .store
        .problems(&Scope::All, None, None, Page::new(Some(1), Some(50)))
        .await
        .unwrap();
    let p = rows.iter().find(|p| p.id == id).unwrap();
    assert_eq!(
        (p.source.as_str(), p.category.as_deref(), p.place_id),
        ("open311", Some("road"), w.village)
    );
    assert!(p.body.contains(ID_NUMBER));
    assert_eq!(p.location.as_deref(), Some("幸福路12号对面"));
    let phone = app
        .store
        .reveal_problem_contact(&Actor::cli("test"), &Scope::All, id, app.now())
        .await
        .unwrap();
    assert_eq!(phone.as_deref(), Some(MOBILE));
    // The XML answer to the same POST, without an account id.
    let body = example_body(&k).replace("&account_id=123456", "");
    let r = app.send(post("/open311/v2/requests.xml", &body)).await;
    r.expect(200);
    let t = r.text();
    assert!(
        t.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests>\n  <request>\n    <service_request_id>"),
        "{t}"
    );
    assert!(
        t.contains("<service_notice>") && t.contains("<account_id></account_id>"),
        "{t}"
    );
    assert!(!t.contains("<token>"));
    // A resident's report through jiceng's own form: listed, its words kept inside.
    let (mine, _) = app
        .store
        .file_problem(
            &Actor::cli("test"),
            &NewProblem {
                place_id: w.village,
                source: "resident".into(),
                body: "邻居王某某家的狗夜里叫".into(),
                location: Some("幸福路3号".into()),
                contact: Some("13912340021".into()),
                ..NewProblem::default()
            },
            "2025-11-25",
            app.now(),
        )
        .await
        .unwrap();
    // GET requests: the spec's fields, nothing personal.
    for uri in ["/open311/v2/requests.json", "/open311/v2/requests.xml"] {
        let r = app.send(Call::get(uri)).await;
        r.expect(200);
        let t = r.text();
        for secret in [
            ID_NUMBER,
            MOBILE,
            "13912340021",
            "smit333",
            "john",
            "smith",
            "tt222111",
            "123456",
            "WHISDORN",
            "王某某",
            "幸福路3号",
            "22.23014918",
        ] {
            assert!(!t.contains(secret), "{uri} shows {secret}: {t}");
        }
    }
    let all = app
        .send(Call::get("/open311/v2/requests.json"))
        .await
        .json();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3);
    for r in all {
        assert_eq!(keys(r), sorted(&REQUEST_FIELDS), "{r}");
    }
    let ours = all
        .iter()
        .find(|r| r["service_request_id"] == json!(id.to_string()))
        .unwrap();
    assert_eq!(ours["status"], json!("open"));
    assert_eq!(ours["status_notes"], json!("已收集"));
    assert_eq!(ours["service_code"], json!("road"));
    assert_eq!(ours["service_name"], json!("道路与交通设施"));
    assert_eq!(
        ours["description"],
        json!("路面塌陷，我的身份证1101**********002X，电话138****5678")
    );
    assert_eq!(ours["agency_responsible"], json!("乾西村"));
    assert_eq!(ours["service_notice"], Value::Null);
    assert_eq!(
        ours["requested_datetime"],
        json!("2025-11-25T00:00:00+08:00")
    );
    assert_eq!(ours["updated_datetime"], json!("2025-11-25T00:00:00+08:00"));
    assert_eq!(ours["expected_datetime"], Value::Null);
    assert_eq!(
        ours["address"],
        json!("幸福路12号对面, 乾西村, 乾务镇, 斗门区")
    );
    assert_eq!(ours["address_id"], Value::Null);
    assert_eq!(ours["zipcode"], Value::Null);
    assert_eq!(ours["lat"], json!(22.23));
    assert_eq!(ours["long"], json!(113.297));
    assert_eq!(
        ours["media_url"],
        json!("http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg")
    );
    let theirs = all
        .iter()
        .find(|r| r["service_request_id"] == json!(mine.id.to_string()))
        .unwrap();
    assert_eq!(theirs["description"], Value::Null);
    assert_eq!(theirs["service_code"], json!("other"));
    assert_eq!(theirs["service_name"], json!("其他"));
    assert_eq!(theirs["address"], json!("乾西村, 乾务镇, 斗门区"));
    assert_eq!(
        (theirs["lat"].clone(), theirs["media_url"].clone()),
        (Value::Null, Value::Null)
    );
    // One request, XML, the spec's elements in the spec's order.
    let t = app
        .send(Call::get(format!("/open311/v2/requests/{id}.xml")))
        .await
        .text();
    let mut at = 0;
    for f in REQUEST_FIELDS {
        let found = t[at..]
            .find(&format!("<{f}>"))
            .unwrap_or_else(|| panic!("<{f}> missing or out of order: {t}"));
        at += found;
    }
    assert!(t.contains("<service_requests>\n  <request>\n"), "{t}");
    assert!(
        t.contains("<status>open</status>") && t.contains("<lat>22.23</lat>"),
        "{t}"
    );
    assert!(t.contains("<zipcode></zipcode>"), "{t}");
    let one = app
        .send(Call::get(format!("/open311/v2/requests/{id}.json")))
        .await
        .json();
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(&one[0], ours);
    expect_error(
        &app.send(Call::get("/open311/v2/requests/999999.json"))
            .await,
        404,
        "service_request_id 999999",
    );
    expect_error(
        &app.send(Call::get("/open311/v2/requests/abc.xml")).await,
        404,
        "not found",
    );
    // Tokens: a request filed through Open311 resolves by its id.
    let r = app
        .send(Call::get(format!("/open311/v2/tokens/{id}.json")))
        .await;
    r.expect(200);
    assert_eq!(
        r.json(),
        json!([{"service_request_id": id.to_string(), "token": id.to_string()}])
    );
    let t = app
        .send(Call::get(format!("/open311/v2/tokens/{id}.xml")))
        .await
        .text();
    assert!(t.contains(&format!("<service_requests>\n  <request>\n    <service_request_id>{id}</service_request_id>\n    <token>{id}</token>")), "{t}");
    expect_error(
        &app.send(Call::get(format!("/open311/v2/tokens/{}.json", mine.id)))
            .await,
        404,
        "token",
    );
    filters(&app, id, mine.id).await;
}
jiceng_store::both_backends!(
    open311_post_files_a_problem_and_reads_hide_personal_data,
    post_and_read
);

/// The problem and what the partner sent are one transaction: when the request's own record
/// cannot be written (a trigger refuses it here), no problem is left on the list either.
async fn both_or_neither(store: Store) {
    let app = App::new(store);
    World::small(&app).await;
    let k = key(&app, TOWN, 600).await;
    let problems = |app: &App| {
        let store = app.store.clone();
        async move {
            store
                .problems(&Scope::All, None, None, Page::new(Some(1), Some(1)))
                .await
                .unwrap()
                .1
        }
    };
    let before = problems(&app).await;
    jiceng_store::testing::fail_inserts(&app.store, "open311_requests").await;
    let r = app
        .send(post("/open311/v2/requests.json", &example_body(&k)))
        .await;
    // The spec's "general service error".
    expect_error(&r, 400, "");
    assert_eq!(problems(&app).await, before);
    jiceng_store::testing::allow_inserts(&app.store, "open311_requests").await;
    app.send(post("/open311/v2/requests.json", &example_body(&k)))
        .await
        .expect(200);
    assert_eq!(problems(&app).await, before + 1);
}
jiceng_store::both_backends!(open311_request_and_problem_are_one_write, both_or_neither);

async fn ids(app: &App, query: &str) -> Vec<i64> {
    let r = app
        .send(Call::get(format!("/open311/v2/requests.json?{query}")))
        .await;
    r.expect(200);
    let mut v: Vec<i64> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap().parse().unwrap())
        .collect();
    v.sort();
    v
}

/// GET Service Requests' filters and defaults.
async fn filters(app: &App, id: i64, mine: i64) {
    let second = id + 1;
    let mut every = vec![id, second, mine];
    every.sort();
    assert_eq!(ids(app, "").await, every);
    assert_eq!(ids(app, "status=open").await, every);
    assert_eq!(ids(app, "status=closed").await, Vec::<i64>::new());
    assert_eq!(ids(app, "status=open,closed").await, every);
    assert_eq!(ids(app, "service_code=road").await, vec![id, second]);
    assert_eq!(ids(app, "service_code=sanitation").await, Vec::<i64>::new());
    assert_eq!(ids(app, "service_code=sanitation,other").await, vec![mine]);
    assert_eq!(
        ids(app, "service_code=sanitation&service_code=other").await,
        vec![mine]
    );
    assert_eq!(ids(app, &format!("jurisdiction_id={VILLAGE}")).await, every);
    assert_eq!(
        ids(app, &format!("jurisdiction_id={OTHER_TOWN}")).await,
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(
            app,
            "start_date=2025-11-24T00:00:00Z&end_date=2025-11-26T00:00:00Z"
        )
        .await,
        every
    );
    assert_eq!(
        ids(
            app,
            "start_date=2025-01-01T00:00:00Z&end_date=2025-02-01T00:00:00Z"
        )
        .await,
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(app, "start_date=2025-11-25T00:00:00+08:00").await,
        every
    );
    assert_eq!(
        ids(app, "start_date=2025-11-25T00:00:01+08:00").await,
        Vec::<i64>::new()
    );
    // Blank arguments are as if absent.
    assert_eq!(ids(app, "status=&service_code=&start_date=").await, every);
    // service_request_id overrides the other arguments.
    assert_eq!(
        ids(
            app,
            &format!("service_request_id={id},{mine}&status=closed&service_code=water")
        )
        .await,
        vec![id, mine]
    );
    for (query, says) in [
        ("status=pending", "status"),
        ("start_date=yesterday", "start_date"),
        (
            "start_date=2025-01-01T00:00:00Z&end_date=2025-06-01T00:00:00Z",
            "90",
        ),
        (
            "start_date=2025-06-01T00:00:00Z&end_date=2025-01-01T00:00:00Z",
            "end_date",
        ),
        ("service_request_id=1,x", "service_request_id"),
    ] {
        let r = app
            .send(Call::get(format!("/open311/v2/requests.json?{query}")))
            .await;
        expect_error(&r, 400, says);
    }
    expect_error(
        &app.send(Call::get(
            "/open311/v2/requests.xml?jurisdiction_id=440403999201",
        ))
        .await,
        404,
        "jurisdiction_id",
    );
    // A merged problem is closed, and says into which.
    app.store
        .problem_act(
            &Actor::cli("test"),
            &Scope::All,
            mine,
            &Event::Merged { into: id },
            "2025-11-25",
            app.now(),
        )
        .await
        .unwrap();
    assert_eq!(ids(app, "status=closed").await, vec![mine]);
    let one = app
        .send(Call::get(format!("/open311/v2/requests/{mine}.json")))
        .await
        .json();
    assert_eq!(one[0]["status"], json!("closed"));
    assert_eq!(
        one[0]["status_notes"],
        json!(format!("已并入问题 {id}，随该问题办理"))
    );
    // The default window is the last 90 days.
    app.clock.advance(91 * DAY);
    assert_eq!(ids(app, "").await, Vec::<i64>::new());
    assert_eq!(
        ids(app, &format!("service_request_id={id}")).await,
        vec![id]
    );
}
