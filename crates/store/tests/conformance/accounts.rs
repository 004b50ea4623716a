use crate::{T0, actor, tree};
use jiceng_store::users::{LOCK_MS, LoginError, NewUser};
use jiceng_store::{Scope, Store, StoreError, both_backends};

fn new_user(name: &str, role: &str, place_id: i64) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: name.into(),
        password: "Qianxi#2026".into(),
        role: role.into(),
        place_id,
    }
}

async fn lockout(store: Store) {
    let t = tree(&store).await;
    let u = store
        .create_user(
            &actor(),
            &Scope::All,
            new_user("town1", "town_committee", t.qianwu),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(u.scope(), Scope::prefix("440403105"));
    // Policy and binding are enforced.
    let mut weak = new_user("weak", "town_committee", t.qianwu);
    weak.password = "password".into();
    assert!(
        matches!(store.create_user(&actor(), &Scope::All, weak, T0).await, Err(StoreError::Rule(e)) if e.code == "password.too_simple")
    );
    let wrong_level = new_user("wrong", "town_committee", t.qianxi);
    assert!(
        matches!(store.create_user(&actor(), &Scope::All, wrong_level, T0).await, Err(StoreError::Rule(e)) if e.code == "account.place_level")
    );
    let dup = new_user("TOWN1", "town_committee", t.qianwu);
    assert!(
        matches!(store.create_user(&actor(), &Scope::All, dup, T0).await, Err(StoreError::Rule(e)) if e.code == "account.username_taken")
    );

    assert!(
        store
            .authenticate(&actor(), "town1", "Qianxi#2026", T0)
            .await
            .unwrap()
            .is_ok()
    );
    for i in 1..5 {
        assert_eq!(
            store
                .authenticate(&actor(), "town1", "wrong", T0 + i)
                .await
                .unwrap()
                .unwrap_err(),
            LoginError::BadCredentials
        );
    }
    // The fifth failure locks for 15 minutes; even the right password is refused meanwhile.
    assert_eq!(
        store
            .authenticate(&actor(), "town1", "wrong", T0 + 5)
            .await
            .unwrap()
            .unwrap_err(),
        LoginError::Locked {
            until: T0 + 5 + LOCK_MS
        }
    );
    assert!(matches!(
        store
            .authenticate(&actor(), "town1", "Qianxi#2026", T0 + 6)
            .await
            .unwrap(),
        Err(LoginError::Locked { .. })
    ));
    assert!(
        store
            .authenticate(&actor(), "town1", "Qianxi#2026", T0 + 5 + LOCK_MS)
            .await
            .unwrap()
            .is_ok()
    );
    assert_eq!(
        store
            .authenticate(&actor(), "nobody", "x", T0)
            .await
            .unwrap()
            .unwrap_err(),
        LoginError::BadCredentials
    );

    // Locked by the security administrator: no login, sessions end.
    let (token, _) = store
        .create_session(u.id, false, "1.2.3.4", T0)
        .await
        .unwrap();
    assert!(
        store
            .session(&token, T0 + 1000, 30 * 60_000)
            .await
            .unwrap()
            .is_some()
    );
    store
        .set_locked(&actor(), &Scope::All, u.id, true, T0)
        .await
        .unwrap();
    assert!(
        store
            .session(&token, T0 + 1000, 30 * 60_000)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .authenticate(&actor(), "town1", "Qianxi#2026", T0 + LOCK_MS * 2)
            .await
            .unwrap()
            .unwrap_err(),
        LoginError::Disabled
    );
    store
        .set_locked(&actor(), &Scope::All, u.id, false, T0)
        .await
        .unwrap();
    assert!(
        store
            .authenticate(&actor(), "town1", "Qianxi#2026", T0 + LOCK_MS * 2)
            .await
            .unwrap()
            .is_ok()
    );
}
both_backends!(accounts_lock_after_five_failures, lockout);

async fn sessions_and_tokens(store: Store) {
    let t = tree(&store).await;
    let u = store
        .create_user(
            &actor(),
            &Scope::All,
            new_user("village1", "village_committee", t.qianxi),
            T0,
        )
        .await
        .unwrap();
    let (token, csrf) = store.create_session(u.id, false, "ip", T0).await.unwrap();
    let (s, user) = store
        .session(&token, T0 + 29 * 60_000, 30 * 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((s.csrf, user.id), (csrf, u.id));
    // Idle for longer than the timeout: the session is gone.
    assert!(
        store
            .session(&token, T0 + 29 * 60_000 + 30 * 60_000 + 1, 30 * 60_000)
            .await
            .unwrap()
            .is_none()
    );
    // Only hashes are stored.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(&store.reader)
        .await
        .unwrap();
    assert!(!stored.contains(&token));

    let api = store
        .create_token(&actor(), u.id, "脚本", T0)
        .await
        .unwrap();
    assert_eq!(store.token_user(&api).await.unwrap().unwrap().id, u.id);
    let id = store.tokens(u.id).await.unwrap()[0].id;
    store.revoke_token(&actor(), u.id, id, T0).await.unwrap();
    assert!(store.token_user(&api).await.unwrap().is_none());
}
both_backends!(sessions_expire_and_tokens_revoke, sessions_and_tokens);
