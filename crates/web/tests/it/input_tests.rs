//! What people see when they type something wrong (the message next to the field, in their
//! language) and what programs get for malformed requests (`{"code","message"}`, never a panic).

use crate::fixture::World;
use crate::harness::{App, Call};
use crate::scope::fingerprint;
use crate::session::{login, token};
use jiceng_store::Store;
use serde_json::json;

async fn form_errors(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let mut s = login(&app, "town_committee").await;
    let before = fingerprint(&app.store).await;
    let town = w.town.to_string();
    let bad_code = [
        ("parent_id", town.as_str()),
        ("name", "新村"),
        ("code", "12345"),
    ];
    let r = app.send(s.post("/places", &bad_code)).await;
    r.expect_page(
        422,
        &[
            "<html lang=\"zh-CN\">",
            "id=\"create-code-error\"",
            "区划代码须为12位数字",
            "aria-describedby=\"create-code-error\"",
            "value=\"12345\"",
            "value=\"新村\"",
        ],
    );
    // The message sits inside the code field's block, not somewhere else on the page.
    let html = r.text();
    let field = html.split("id=\"create-code\"").nth(1).unwrap();
    let field = field.split("</div>").next().unwrap();
    assert!(
        field.contains("区划代码"),
        "message not next to the field: {field}"
    );

    // A rule on another field: an empty name.
    let r = app
        .send(s.post(
            "/places",
            &[
                ("parent_id", &town),
                ("name", " "),
                ("code", "440403105203"),
            ],
        ))
        .await;
    r.expect_page(422, &["id=\"create-name-error\"", "名称不能为空"]);
    // Units: a non-number where a number belongs.
    let r = app
        .send(s.post(
            "/units",
            &[
                ("place_code", "440403105201"),
                ("name", "某厂"),
                ("kind", "enterprise"),
                ("staff", "很多"),
            ],
        ))
        .await;
    r.expect_page(422, &["id=\"create-staff-error\"", "从业人数须为整数"]);

    // English after /lang/en: the same refusal, in English.
    let r = app
        .send(s.get(format!("/lang/en?back=/places/{}", w.town)))
        .await;
    r.expect_redirect(&format!("/places/{}", w.town));
    assert_eq!(r.cookie("jiceng_lang").as_deref(), Some("en"));
    s.jar.absorb(&r);
    assert_eq!(s.jar.get("jiceng_lang"), Some("en"));
    let r = app.send(s.post("/places", &bad_code)).await;
    r.expect_page(
        422,
        &[
            "<html lang=\"en\">",
            "id=\"create-code-error\"",
            "a division code has 12 digits",
        ],
    );
    assert!(
        !r.text().contains("区划代码须为"),
        "zh message on an English page"
    );
    // The switch only goes back to local paths.
    let r = app.send(s.get("/lang/zh?back=//evil.example/")).await;
    assert_eq!(r.location(), "/");
    assert_eq!(
        before,
        fingerprint(&app.store).await,
        "a refused form changed something"
    );
}
jiceng_store::both_backends!(form_errors_sit_next_to_the_field, form_errors);

async fn bad_input(store: Store) {
    let app = App::new(store);
    let w = World::small(&app).await;
    let tok = token(&app, "town_committee").await;
    let s = login(&app, "town_committee").await;
    let before = fingerprint(&app.store).await;
    let api = |method: &str, path: &str| Call::new(method, path).bearer(&tok);
    let village = w.village;

    // Malformed JSON, wrong types, missing fields, no content type.
    let r = app
        .send(api("POST", "/api/v1/places").raw("application/json", b"{\"parent_id\": 1,".to_vec()))
        .await;
    r.expect_api_error(400, "request.invalid_json");
    let r = app
        .send(api("POST", "/api/v1/places").json(&json!({"parent_id": "乾西村", "name": 7})))
        .await;
    r.expect_api_error(422, "request.invalid_json");
    let r = app
        .send(api("PATCH", &format!("/api/v1/places/{village}")).json(&json!({})))
        .await;
    r.expect_api_error(422, "request.invalid_json");
    let r = app
        .send(
            api("PATCH", &format!("/api/v1/places/{village}"))
                .raw("text/plain", b"name=x".to_vec()),
        )
        .await;
    r.expect_api_error(415, "request.unsupported_type");
    let r = app.send(api("GET", "/api/v1/places?page=first")).await;
    r.expect_api_error(400, "request.invalid_query");
    // Rule errors name the field.
    let r = app
        .send(
            api("POST", "/api/v1/places")
                .json(&json!({"parent_id": w.town, "name": "x", "code": "999"})),
        )
        .await;
    assert_eq!(
        r.expect_api_error(422, "place.code_invalid")["field"],
        "code"
    );

    // Over the 1 MiB limit: 413, for the API and for a form.
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(1024 * 1024 + 10));
    let r = app
        .send(
            api("PATCH", &format!("/api/v1/places/{village}"))
                .raw("application/json", big.into_bytes()),
        )
        .await;
    r.expect_api_error(413, "request.too_large");
    let huge = "名".repeat(400_000);
    let r = app
        .send(s.post(
            format!("/places/{village}/rename"),
            &[("name", huge.as_str())],
        ))
        .await;
    r.expect_page(413, &["request.too_large"]);

    // Ids that are not ids, routes that do not exist.
    for id in ["abc", "0", "-3", "1.5", "99999999999999999999"] {
        app.send(api("GET", &format!("/api/v1/places/{id}")))
            .await
            .expect_api_error(404, "not_found");
        app.send(api("PATCH", &format!("/api/v1/orgs/{id}")).json(&json!({"name": "x"})))
            .await
            .expect_api_error(404, "not_found");
        app.send(s.get(format!("/places/{id}")))
            .await
            .expect_page(404, &["找不到该记录"]);
        app.send(s.post(format!("/units/{id}/close"), &[]))
            .await
            .expect_page(404, &["找不到该记录"]);
    }
    for path in [
        "/api/v1/nope",
        "/api/v1/places/1/nope",
        "/api/v2/places",
        "/api/",
    ] {
        app.send(api("GET", path))
            .await
            .expect_api_error(404, "not_found");
    }
    app.send(api("DELETE", "/api/v1/nothing/here").json(&json!({})))
        .await
        .expect_api_error(404, "not_found");
    app.send(s.get("/no/such/page")).await.expect_page(404, &[]);

    // A move that would make a cycle: the town under its own village.
    let r = app
        .send(
            api("POST", &format!("/api/v1/places/{}/move", w.town))
                .json(&json!({"parent_id": village})),
        )
        .await;
    r.expect_api_error(422, "place.move_cycle");
    let r = app
        .send(s.post(
            format!("/places/{}/move", w.town),
            &[("parent_code", "440403105201")],
        ))
        .await;
    r.expect_page(422, &["不能移到自身或其下级之下"]);
    // Nothing above changed anything.
    assert_eq!(
        before,
        fingerprint(&app.store).await,
        "bad input changed something"
    );

    // Markup typed into a name is shown as text, never run.
    let r = app
        .send(
            api("PATCH", &format!("/api/v1/places/{village}"))
                .json(&json!({"name": "<script>x()</script>"})),
        )
        .await;
    r.expect(200);
    let page = app.send(s.get(format!("/places/{village}"))).await;
    page.expect_page(200, &[]);
    let html = page.text();
    let h1 = html
        .split("<h1>")
        .nth(1)
        .and_then(|h| h.split("</h1>").next())
        .unwrap();
    assert_eq!(crate::harness::unescape(h1), "<script>x()</script>");
    assert!(!html.contains("<script>"), "a name was rendered as markup");
}
jiceng_store::both_backends!(bad_input_is_refused_cleanly, bad_input);

async fn huge_pages(store: Store) {
    let app = App::new(store);
    World::small(&app).await;
    let tok = token(&app, "town_committee").await;
    let s = login(&app, "town_committee").await;
    // Page numbers far beyond the end: an empty page (or a 400), never an overflow.
    for q in [
        "page=-5&per_page=-1",
        "page=4611686018427387904&per_page=500",
        "page=9223372036854775807",
    ] {
        let r = app
            .send(Call::get(format!("/api/v1/places?{q}")).bearer(&tok))
            .await;
        if r.status.as_u16() == 200 {
            assert!(r.json()["items"].as_array().is_some(), "{q}");
        } else {
            r.expect_api_error(400, "request.invalid_query");
        }
        let r = app.send(s.get(format!("/places?{q}"))).await;
        assert!(
            matches!(r.status.as_u16(), 200 | 400),
            "/places?{q}: {}",
            r.status
        );
    }
}
jiceng_store::both_backends!(huge_page_numbers_are_harmless, huge_pages);
