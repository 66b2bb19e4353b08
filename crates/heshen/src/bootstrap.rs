//! First start: a fresh deployment gets a demo app, API key and business flow so
//! that the very first `heshen serve` can answer a real call.

use heshen_core::rule::{MerchantConfig, RuleConfig};
use heshen_service::admin::{self, Actor};
use heshen_service::console::Accounts;
use heshen_store::{NewApiKey, Store};

pub const DEFAULT_APP: &str = "default";

pub struct Demo {
    pub key: NewApiKey,
    pub rule_id: String,
}

/// Creates the demo key and rule when the store has no API key yet.
pub async fn ensure_demo(store: &Store) -> anyhow::Result<Option<Demo>> {
    store.ensure_app(DEFAULT_APP, "Default application").await?;
    if !store.list_api_keys().await?.is_empty() {
        return Ok(None);
    }
    let key = admin::create_api_key(store, Actor::SYSTEM, DEFAULT_APP, "demo").await?;
    let rule_id = create_rule(store, DEFAULT_APP, &RuleConfig::default()).await?;
    Ok(Some(Demo { key, rule_id }))
}

/// Creates an approved business flow on behalf of heshen itself.
pub async fn create_rule(
    store: &Store,
    app_id: &str,
    config: &RuleConfig,
) -> anyhow::Result<String> {
    Ok(admin::create_rule(store, Actor::SYSTEM, app_id, config).await?)
}

/// Creates an approved eID merchant on behalf of heshen itself.
pub async fn create_merchant(
    store: &Store,
    app_id: &str,
    name: &str,
    config: &MerchantConfig,
) -> anyhow::Result<String> {
    Ok(admin::create_merchant(store, Actor::SYSTEM, app_id, name, config).await?)
}

/// Creates the console's first admin at first start; the one-time password is returned to
/// be printed once.
pub async fn ensure_console_admin(store: &Store) -> anyhow::Result<Option<String>> {
    Ok(Accounts::new(store.clone()).ensure_first_admin().await?)
}

/// The first admin's password on a line of its own (`password: …`), where operators and
/// scripts look for it.
pub fn console_banner(password: &str, url: &str) -> String {
    format!(
        "\nFirst start: created the console's first admin. Sign in at {url}/console as `{user}`\n\
         with the one-time password below; you will be asked to choose your own.\n\
         password: {password}\n",
        user = heshen_service::console::FIRST_ADMIN,
    )
}

pub fn demo_banner(demo: &Demo, url: &str) -> String {
    let host = url
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    format!(
        "\nFirst start: created a demo API key and business flow.\n\
         \x20 SecretId:  {sid}\n\
         \x20 SecretKey: {skey}\n\
         \x20 RuleId:    {rule}\n\n\
         Try it with the official Python SDK (pip install tencentcloud-sdk-python-faceid):\n\n\
         python3 - <<'PY'\n\
         from tencentcloud.common import credential\n\
         from tencentcloud.common.profile.http_profile import HttpProfile\n\
         from tencentcloud.common.profile.client_profile import ClientProfile\n\
         from tencentcloud.faceid.v20180301 import faceid_client, models\n\
         client = faceid_client.FaceidClient(credential.Credential(\"{sid}\", \"{skey}\"), \"ap-guangzhou\",\n\
         \x20   ClientProfile(httpProfile=HttpProfile(protocol=\"http\", endpoint=\"{host}\")))\n\
         req = models.DetectAuthRequest(); req.RuleId = \"{rule}\"\n\
         print(client.DetectAuth(req).to_json_string())\n\
         PY\n",
        sid = demo.key.secret_id,
        skey = demo.key.secret_key,
        rule = demo.rule_id,
    )
}
