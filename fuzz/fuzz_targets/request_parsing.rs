//! Request parsing as the gateway does it on untrusted bytes: the TC3 `Authorization`
//! header, v1 form parameters and their signature check, flattened form keys rebuilt into
//! nested fields (GET and v1), and JSON bodies, with every typed accessor an action uses.
#![no_main]

use heshen_api::params::Params;
use heshen_core::sign::{tc3, v1, verify};
use libfuzzer_sys::fuzz_target;

fn exercise(params: &Params, depth: u8) {
    for name in ["Action", "BizToken", "RuleId", "Encryption", "Config", "InfoType", "0", "a"] {
        let _ = params.opt_string(name);
        let _ = params.opt_bounded(name, 16);
        let _ = params.opt_bool(name);
        let _ = params.opt_u64(name);
        let _ = params.opt_i64(name);
        let _ = params.opt_string_array(name);
        if depth < 4 {
            if let Ok(Some(inner)) = params.opt_object(name) {
                exercise(&inner, depth + 1);
            }
            if let Ok(Some(items)) = params.opt_object_array(name) {
                for item in items.iter().take(4) {
                    exercise(item, depth + 1);
                }
            }
        }
    }
    let _ = params.allow_only(&["Action", "BizToken"]);
    let _ = params.to_value();
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(auth) = tc3::Authorization::parse(&text) {
        let _ = auth.header_value();
    }
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    for method in [v1::Method::HmacSha1, v1::Method::HmacSha256] {
        let _ = verify::verify_v1("POST", "127.0.0.1:8080", &pairs, method, "key", &text);
    }
    if let Ok(params) = Params::from_form(&pairs) {
        exercise(&params, 0);
    }
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(data) {
        exercise(&Params::from_json(map), 0);
    }
});
