//! Per-field exact-match bookkeeping shared by the accuracy test and the benchmark.

#![allow(dead_code)]

use std::collections::BTreeMap;

use heshen_vision::ocr::IdCardReading;

use super::idcard_gen::Identity;

/// The FaceID fields read from one card side.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    pub values: BTreeMap<&'static str, String>,
}

impl Fields {
    pub fn from_reading(reading: &IdCardReading) -> Fields {
        let mut values = BTreeMap::new();
        for (key, value) in [
            ("Name", &reading.name),
            ("Sex", &reading.sex),
            ("Nation", &reading.nation),
            ("Birth", &reading.birth),
            ("Address", &reading.address),
            ("IdNum", &reading.id_num),
            ("Authority", &reading.authority),
            ("ValidDate", &reading.valid_date),
        ] {
            values.insert(key, value.clone());
        }
        Fields { values }
    }

    fn get(&self, key: &str) -> &str {
        self.values.get(key).map_or("", String::as_str)
    }
}

pub const FRONT_FIELDS: [&str; 6] = ["Name", "Sex", "Nation", "Birth", "Address", "IdNum"];
pub const BACK_FIELDS: [&str; 2] = ["Authority", "ValidDate"];

/// Exact matches per field; a failed read counts as a miss on every field of that side.
#[derive(Debug, Default)]
pub struct FieldTally {
    hits: BTreeMap<&'static str, usize>,
    totals: BTreeMap<&'static str, usize>,
    pub misses: Vec<String>,
}

impl FieldTally {
    pub fn add_front(&mut self, truth: &Identity, read: Option<Fields>) {
        let expected = [
            truth.name.clone(),
            truth.sex.clone(),
            truth.nation.clone(),
            truth.birth_text(),
            truth.address(),
            truth.id_num.clone(),
        ];
        self.add(&FRONT_FIELDS, &expected, read);
    }

    pub fn add_back(&mut self, truth: &Identity, read: Option<Fields>) {
        let expected = [truth.authority.clone(), truth.valid_date_text()];
        self.add(&BACK_FIELDS, &expected, read);
    }

    fn add(&mut self, keys: &[&'static str], expected: &[String], read: Option<Fields>) {
        for (key, want) in keys.iter().zip(expected) {
            *self.totals.entry(key).or_default() += 1;
            let got = read.as_ref().map(|f| f.get(key)).unwrap_or("<no reading>");
            if got == want {
                *self.hits.entry(key).or_default() += 1;
            } else {
                self.misses
                    .push(format!("{key}: want {want:?} got {got:?}"));
            }
        }
    }

    pub fn rate(&self, key: &str) -> f64 {
        let total = self.totals.get(key).copied().unwrap_or(0);
        if total == 0 {
            return 0.0;
        }
        self.hits.get(key).copied().unwrap_or(0) as f64 / total as f64
    }

    pub fn print(&self, tool: &str) {
        let shown = std::env::var("HESHEN_OCR_SHOW_MISSES").map_or(20, |v| v.parse().unwrap_or(20));
        for miss in self.misses.iter().take(shown) {
            println!("  miss ({tool}) {miss}");
        }
        for key in FRONT_FIELDS.iter().chain(BACK_FIELDS.iter()) {
            println!(
                "{tool:>10} {key:<10} {:6.2}% ({}/{})",
                100.0 * self.rate(key),
                self.hits.get(key).copied().unwrap_or(0),
                self.totals.get(key).copied().unwrap_or(0)
            );
        }
    }
}
