//! Typed, validated access to an action's request fields.
//!
//! POST + TC3 requests carry a JSON object whose types are strict. GET requests and
//! v1 signatures carry flattened form fields (`Encryption.EncryptList.0=Name`) whose
//! values are all strings, so there numbers and booleans are parsed from text.

use heshen_core::ApiError;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Json,
    Form,
}

#[derive(Debug, Clone)]
pub struct Params {
    map: Map<String, Value>,
    origin: Origin,
}

impl Params {
    pub fn from_json(map: Map<String, Value>) -> Self {
        Self {
            map,
            origin: Origin::Json,
        }
    }

    /// Rebuilds nested objects and lists from flattened form pairs. Nesting and the number
    /// of fields are bounded: every tree is walked recursively, and a deep one would overflow
    /// the stack (which no panic handler can catch) when built, finished or dropped.
    pub fn from_form(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        if pairs.len() > MAX_FORM_FIELDS {
            return Err(ApiError::new(
                heshen_core::ErrorCode::InvalidParameter,
                format!(
                    "The request has {} parameters, more than the {MAX_FORM_FIELDS} allowed.",
                    pairs.len()
                ),
            ));
        }
        let mut root = Value::Object(Map::new());
        for (key, value) in pairs {
            insert_path(&mut root, key, value.clone())?;
        }
        let Value::Object(fields) = root else {
            unreachable!("insert_path only ever adds to the root object")
        };
        // Lists are rebuilt below the top level only: the fields themselves are named, so
        // a request whose only field is `0` is an object with a field `0`, not a list.
        let map = fields
            .into_iter()
            .map(|(k, v)| (k, finish_lists(v)))
            .collect();
        Ok(Self {
            map,
            origin: Origin::Form,
        })
    }

    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Refuses fields the action does not define, as the API 3.0 gateway does.
    pub fn allow_only(&self, known: &[&str]) -> Result<(), ApiError> {
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(unknown) => Err(ApiError::new(
                heshen_core::ErrorCode::UnknownParameter,
                format!("The parameter `{unknown}` is not recognized."),
            )),
            None => Ok(()),
        }
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    pub fn opt_string(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::wrong_type(name, "String")),
        }
    }

    pub fn req_string(&self, name: &str) -> Result<String, ApiError> {
        self.opt_string(name)?
            .ok_or_else(|| ApiError::missing(name))
    }

    /// A string of at most `max` characters.
    pub fn opt_bounded(&self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        let value = self.opt_string(name)?;
        if let Some(v) = &value {
            let len = v.chars().count();
            if len > max {
                return Err(ApiError::invalid(
                    name,
                    format!("it has {len} characters, more than the {max} allowed"),
                ));
            }
        }
        Ok(value)
    }

    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match (self.get(name), self.origin) {
            (None, _) => Ok(None),
            (Some(Value::Bool(b)), _) => Ok(Some(*b)),
            (Some(Value::String(s)), Origin::Form) => match s.as_str() {
                "true" | "True" | "1" => Ok(Some(true)),
                "false" | "False" | "0" => Ok(Some(false)),
                _ => Err(ApiError::wrong_type(name, "Boolean")),
            },
            _ => Err(ApiError::wrong_type(name, "Boolean")),
        }
    }

    pub fn opt_u64(&self, name: &str) -> Result<Option<u64>, ApiError> {
        match (self.get(name), self.origin) {
            (None, _) => Ok(None),
            (Some(Value::Number(n)), _) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| ApiError::wrong_type(name, "Integer (non-negative)")),
            (Some(Value::String(s)), Origin::Form) => s
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ApiError::wrong_type(name, "Integer (non-negative)")),
            _ => Err(ApiError::wrong_type(name, "Integer (non-negative)")),
        }
    }

    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match (self.get(name), self.origin) {
            (None, _) => Ok(None),
            (Some(Value::Number(n)), _) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::wrong_type(name, "Integer")),
            (Some(Value::String(s)), Origin::Form) => s
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::wrong_type(name, "Integer")),
            _ => Err(ApiError::wrong_type(name, "Integer")),
        }
    }

    pub fn opt_object(&self, name: &str) -> Result<Option<Params>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Params {
                map: m.clone(),
                origin: self.origin,
            })),
            Some(_) => Err(ApiError::wrong_type(name, "Object")),
        }
    }

    pub fn opt_array(&self, name: &str) -> Result<Option<Vec<Value>>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items.clone())),
            Some(_) => Err(ApiError::wrong_type(name, "Array")),
        }
    }

    /// An array of objects, each wrapped as `Params` for field access.
    pub fn opt_object_array(&self, name: &str) -> Result<Option<Vec<Params>>, ApiError> {
        let Some(items) = self.opt_array(name)? else {
            return Ok(None);
        };
        items
            .into_iter()
            .map(|item| match item {
                Value::Object(map) => Ok(Params {
                    map,
                    origin: self.origin,
                }),
                _ => Err(ApiError::wrong_type(name, "Array of Object")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    pub fn opt_string_array(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        let Some(items) = self.opt_array(name)? else {
            return Ok(None);
        };
        items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                _ => Err(ApiError::wrong_type(name, "Array of String")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// Replaces a field with a (decrypted) string value.
    pub fn set_string(&mut self, name: &str, value: String) {
        self.map.insert(name.to_string(), Value::String(value));
    }

    pub fn remove(&mut self, name: &str) {
        self.map.remove(name);
    }

    /// The fields as JSON, e.g. to keep intention settings with a flow.
    pub fn to_value(&self) -> Value {
        Value::Object(self.map.clone())
    }
}

/// The deepest nesting any faceid field has is 4 (`Encryption.EncryptList.0`,
/// `IntentionQuestions.0.Answers.0`); 8 leaves room without letting a request recurse.
pub const MAX_FORM_DEPTH: usize = 8;
/// Far more than any action takes (DetectAuth with ten intention questions of fifty answers).
pub const MAX_FORM_FIELDS: usize = 1024;

fn insert_path(root: &mut Value, key: &str, value: String) -> Result<(), ApiError> {
    let segments: Vec<&str> = key.split('.').collect();
    if segments.len() > MAX_FORM_DEPTH {
        return Err(ApiError::new(
            heshen_core::ErrorCode::InvalidParameter,
            format!(
                "The parameter name `{}…` nests deeper than {MAX_FORM_DEPTH} levels.",
                key.chars().take(40).collect::<String>()
            ),
        ));
    }
    if segments.iter().any(|s| s.is_empty()) {
        return Err(ApiError::new(
            heshen_core::ErrorCode::InvalidParameter,
            format!("The parameter name `{key}` is malformed."),
        ));
    }
    let mut node = root;
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let Value::Object(map) = node else {
            return Err(conflict(key));
        };
        if last {
            if map.contains_key(*segment) {
                return Err(conflict(key));
            }
            map.insert(segment.to_string(), Value::String(value));
            return Ok(());
        }
        node = map
            .entry(segment.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    Ok(())
}

fn conflict(key: &str) -> ApiError {
    ApiError::new(
        heshen_core::ErrorCode::InvalidParameter,
        format!("The parameter `{key}` is given twice or conflicts with another parameter."),
    )
}

/// Objects whose keys are exactly 0..n become lists (`EncryptList.0`, `EncryptList.1`).
fn finish_lists(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let is_list =
                !map.is_empty() && (0..map.len()).all(|i| map.contains_key(&i.to_string()));
            if is_list {
                let mut map = map;
                Value::Array(
                    (0..map.len())
                        .map(|i| finish_lists(map.remove(&i.to_string()).unwrap_or(Value::Null)))
                        .collect(),
                )
            } else {
                Value::Object(map.into_iter().map(|(k, v)| (k, finish_lists(v))).collect())
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Params {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Params::from_form(&pairs).unwrap()
    }

    #[test]
    fn unflattens_nested_fields() {
        let p = form(&[
            ("BizToken", "T"),
            ("IsCutIdCardImage", "True"),
            ("BestFramesCount", "2"),
            ("Encryption.EncryptList.0", "Name"),
            ("Encryption.EncryptList.1", "IdCard"),
            ("Encryption.Iv", "iv"),
        ]);
        assert_eq!(p.opt_bool("IsCutIdCardImage").unwrap(), Some(true));
        assert_eq!(p.opt_u64("BestFramesCount").unwrap(), Some(2));
        let enc = p.opt_object("Encryption").unwrap().unwrap();
        assert_eq!(
            enc.opt_string_array("EncryptList").unwrap().unwrap(),
            vec!["Name", "IdCard"]
        );
    }

    #[test]
    fn json_types_are_strict() {
        let p =
            Params::from_json(serde_json::from_str(r#"{"A": 1, "B": "true", "C": -1}"#).unwrap());
        assert!(p.opt_string("A").is_err());
        assert!(p.opt_bool("B").is_err());
        assert!(p.opt_u64("C").is_err());
        assert_eq!(p.opt_string("Missing").unwrap(), None);
        assert_eq!(
            p.req_string("Missing").unwrap_err().code,
            heshen_core::ErrorCode::MissingParameter
        );
    }

    #[test]
    fn rejects_conflicting_form_keys() {
        let pairs = vec![
            ("A".to_string(), "1".to_string()),
            ("A.B".to_string(), "2".to_string()),
        ];
        assert!(Params::from_form(&pairs).is_err());
        let pairs = vec![("A..B".to_string(), "1".to_string())];
        assert!(Params::from_form(&pairs).is_err());
    }

    #[test]
    fn deep_and_numerous_form_keys_are_refused_without_recursing() {
        let deep = vec!["a"; 200_000].join(".");
        let err = Params::from_form(&[(deep, "1".to_string())]).unwrap_err();
        assert_eq!(err.code, heshen_core::ErrorCode::InvalidParameter);
        assert!(err.message.len() < 200, "{}", err.message);
        let just_deep_enough = ["a"; MAX_FORM_DEPTH].join(".");
        assert!(Params::from_form(&[(just_deep_enough, "1".to_string())]).is_ok());
        let many: Vec<(String, String)> = (0..=MAX_FORM_FIELDS)
            .map(|i| (format!("F{i}"), String::new()))
            .collect();
        assert!(Params::from_form(&many).is_err());
    }

    #[test]
    fn top_level_fields_named_like_list_indexes_stay_fields() {
        // Found by the request_parsing fuzz target: this panicked ("root stays an object").
        let p = form(&[("0", "x")]);
        assert_eq!(p.opt_string("0").unwrap().as_deref(), Some("x"));
        assert!(p.allow_only(&["RuleId"]).is_err());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let p = form(&[("RuleId", "1"), ("Colour", "red")]);
        assert_eq!(
            p.allow_only(&["RuleId"]).unwrap_err().code,
            heshen_core::ErrorCode::UnknownParameter
        );
    }
}
