//! What a saved flow step adds to the statistics counters and the bill, and the reports the
//! console draws from them: statistics per day and rule, and reconciliation per day priced by
//! comparison source (seed 004: comparison with the authority registry is billed as 活体人脸核身,
//! with an uploaded photo as 活体人脸比对).

use crate::console::{Operator, Permission};
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use heshen_core::flow::{Attempt, Flow, FlowKind};
use heshen_core::result::format_sim;
use heshen_core::stats::{self, Metric, Page, PAGES};
use heshen_core::{IdCardNumber, PersonName};
use heshen_store::Count;
pub use heshen_store::{Bill, Charge, CountRow};
use serde_json::json;
use std::collections::BTreeMap;

/// The comparison sources reconciliation prices apart, with FaceID's product names.
pub const SOURCES: [(&str, &str, &str); 3] = [
    (
        "authority",
        "活体人脸核身",
        "Liveness + authority comparison",
    ),
    ("photo", "活体人脸比对", "Liveness + photo comparison"),
    ("none", "活体检测", "Liveness only"),
];

/// Statistics cover at most this many days at once.
pub const MAX_DAYS: i64 = 366;

pub(crate) fn counts_of<'a>(flow: &Flow, metrics: impl Iterator<Item = &'a Metric>) -> Vec<Count> {
    let day = stats::beijing_day(flow.created_at_ms);
    metrics
        .map(|metric| Count {
            day,
            metric: metric.name(),
            n: 1,
        })
        .collect()
}

fn compare_source(attempt: &Attempt) -> &'static str {
    match attempt.compare_lib_type.as_deref() {
        Some("权威库") => "authority",
        Some(_) => "photo",
        None => "none",
    }
}

fn masked_id(id: &str) -> String {
    IdCardNumber::parse(id)
        .map(|n| n.masked())
        .unwrap_or_else(|_| "*".repeat(id.chars().count()))
}

fn masked_name(name: &str) -> String {
    PersonName::parse(name)
        .map(|n| n.masked())
        .unwrap_or_default()
}

/// The charges of the attempts `after` recorded since `before`; eID flows have no bill.
pub(crate) fn new_charges(before: &Flow, after: &Flow) -> Vec<Charge> {
    if after.kind != FlowKind::Detect {
        return Vec::new();
    }
    after
        .attempts
        .iter()
        .skip(before.attempts.len())
        .map(|a| Charge {
            seq: a.seq.clone(),
            req_time: a.req_time_ms,
            compare_source: compare_source(a).to_string(),
            billed: a.is_billed(),
            error_code: a.err_code(),
            sim: match (a.outcome.compare_status, a.outcome.sim) {
                (Some(_), Some(sim)) => format_sim(sim),
                _ => String::new(),
            },
            masked_id_card: a.id_card.as_deref().map(masked_id).unwrap_or_default(),
            masked_name: a.name.as_deref().map(masked_name).unwrap_or_default(),
        })
        .collect()
}

/// One day of one app (or of one rule) as the statistics page draws it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayFigures {
    pub day: i64,
    pub issued: i64,
    pub finished: i64,
    pub passed: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFigures {
    pub scope_id: String,
    pub issued: i64,
    pub finished: i64,
    pub passed: i64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Statistics {
    pub from_day: i64,
    /// Exclusive.
    pub to_day: i64,
    /// Every day of the range, oldest first, days without flows included.
    pub days: Vec<DayFigures>,
    pub rules: Vec<RuleFigures>,
    /// Flows that reached each page, in the order of the flow, after those issued.
    pub funnel: Vec<(Page, i64)>,
    pub issued: i64,
    pub finished: i64,
    pub passed: i64,
    /// Finished flows by final result code, most frequent first (0 included).
    pub codes: Vec<(i64, i64)>,
    /// Finished flows by liveness mode.
    pub modes: Vec<(u64, i64)>,
    /// Median time from opening the link to the result, from the time histogram.
    pub median_seconds: Option<f64>,
}

fn check_range(from_day: i64, to_day: i64) -> ServiceResult<()> {
    if to_day <= from_day || to_day - from_day > MAX_DAYS {
        return Err(ServiceError::Invalid(format!(
            "the range must hold between 1 and {MAX_DAYS} days"
        )));
    }
    Ok(())
}

/// The app's statistics over Beijing days `[from_day, to_day)`, optionally of one rule.
pub async fn statistics(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    from_day: i64,
    to_day: i64,
    scope_id: Option<&str>,
) -> ServiceResult<Statistics> {
    let rows = count_rows(state, operator, app_id, from_day, to_day, scope_id).await?;
    let mut out = Statistics {
        from_day,
        to_day,
        days: (from_day..to_day)
            .map(|day| DayFigures {
                day,
                ..DayFigures::default()
            })
            .collect(),
        ..Statistics::default()
    };
    let mut rules: BTreeMap<String, RuleFigures> = BTreeMap::new();
    let mut pages: BTreeMap<Page, i64> = BTreeMap::new();
    let mut codes: BTreeMap<i64, i64> = BTreeMap::new();
    let mut modes: BTreeMap<u64, i64> = BTreeMap::new();
    let mut times: BTreeMap<i64, i64> = BTreeMap::new();
    for row in rows {
        let Some(metric) = Metric::parse(&row.metric) else {
            continue;
        };
        let day = &mut out.days[(row.day - from_day) as usize];
        let rule = rules
            .entry(row.scope_id.clone())
            .or_insert_with(|| RuleFigures {
                scope_id: row.scope_id.clone(),
                ..RuleFigures::default()
            });
        match metric {
            Metric::Issued => {
                day.issued += row.n;
                rule.issued += row.n;
                out.issued += row.n;
            }
            Metric::Finished => {
                day.finished += row.n;
                rule.finished += row.n;
                out.finished += row.n;
            }
            Metric::Passed => {
                day.passed += row.n;
                rule.passed += row.n;
                out.passed += row.n;
            }
            Metric::Reached(page) => *pages.entry(page).or_default() += row.n,
            Metric::Code(code) => *codes.entry(code).or_default() += row.n,
            Metric::Mode(mode) => *modes.entry(mode).or_default() += row.n,
            Metric::TimeWithin(secs) => *times.entry(secs).or_default() += row.n,
        }
    }
    out.rules = rules.into_values().collect();
    out.funnel = PAGES
        .iter()
        .map(|page| (*page, pages.get(page).copied().unwrap_or(0)))
        .collect();
    out.codes = codes.into_iter().collect();
    out.codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out.modes = modes.into_iter().collect();
    out.median_seconds = stats::median_seconds(&times.into_iter().collect::<Vec<_>>());
    Ok(out)
}

/// The app's raw daily counters over `[from_day, to_day)` (the statistics export).
pub async fn count_rows(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    from_day: i64,
    to_day: i64,
    scope_id: Option<&str>,
) -> ServiceResult<Vec<CountRow>> {
    operator.require_in(Permission::ViewStatistics, app_id)?;
    crate::manage::app(state, operator, app_id).await?;
    check_range(from_day, to_day)?;
    Ok(state
        .store()
        .counts(app_id, from_day, to_day, scope_id)
        .await?)
}

/// One priced line of a day's reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub scope_id: String,
    pub channel: String,
    pub compare_source: String,
    pub attempts: i64,
    pub billed: i64,
    /// Unit price in fen (0.01 CNY).
    pub unit_fen: i64,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    pub day: i64,
    pub lines: Vec<PricedLine>,
    pub billed: i64,
    pub amount_fen: i64,
    /// The unit prices in force, by source.
    pub prices: BTreeMap<String, i64>,
}

/// The charges of the bills opened on one Beijing day, priced.
pub async fn reconciliation(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    day: i64,
    scope_id: Option<&str>,
) -> ServiceResult<Reconciliation> {
    operator.require_in(Permission::ViewStatistics, app_id)?;
    crate::manage::app(state, operator, app_id).await?;
    let start = stats::day_start_ms(day);
    let totals = state
        .store()
        .charge_totals(app_id, start, start + stats::DAY_MS, scope_id)
        .await?;
    let prices = state.store().prices(app_id).await?;
    let lines: Vec<PricedLine> = totals
        .into_iter()
        .map(|t| {
            let unit_fen = prices.get(&t.compare_source).copied().unwrap_or(0);
            PricedLine {
                amount_fen: unit_fen * t.billed,
                unit_fen,
                scope_id: t.scope_id,
                channel: t.channel,
                compare_source: t.compare_source,
                attempts: t.attempts,
                billed: t.billed,
            }
        })
        .collect();
    Ok(Reconciliation {
        day,
        billed: lines.iter().map(|l| l.billed).sum(),
        amount_fen: lines.iter().map(|l| l.amount_fen).sum(),
        lines,
        prices,
    })
}

/// A page of the day's bills with their charges, after `after` (created_at, token).
pub async fn bills(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    day: i64,
    scope_id: Option<&str>,
    after: Option<(i64, &str)>,
    limit: u32,
) -> ServiceResult<Vec<Bill>> {
    operator.require_in(Permission::ViewStatistics, app_id)?;
    crate::manage::app(state, operator, app_id).await?;
    let start = stats::day_start_ms(day);
    Ok(state
        .store()
        .bills_between(app_id, start, start + stats::DAY_MS, scope_id, after, limit)
        .await?)
}

/// Parses a price typed in yuan ("1.5", "0.80") into fen.
pub fn parse_yuan(text: &str) -> ServiceResult<i64> {
    let text = text.trim();
    let invalid = || ServiceError::Invalid(format!("{text:?} is not a price in yuan (e.g. 1.50)"));
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty()
        || fraction.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 7
    {
        return Err(invalid());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| invalid())?
    };
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
    Ok(whole * 100 + fraction)
}

pub fn format_yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// Sets the app's unit price of one comparison source (an operator's decision, audited).
pub async fn set_price(
    state: &AppState,
    operator: &Operator,
    app_id: &str,
    compare_source: &str,
    yuan: &str,
) -> ServiceResult<()> {
    operator.require_in(Permission::ManageKeys, app_id)?;
    crate::manage::app(state, operator, app_id).await?;
    if !SOURCES.iter().any(|(s, _, _)| *s == compare_source) {
        return Err(ServiceError::Invalid(format!(
            "unknown comparison source {compare_source:?}"
        )));
    }
    let fen = parse_yuan(yuan)?;
    state
        .store()
        .set_price(app_id, compare_source, fen, state.clock().now_ms())
        .await?;
    crate::admin::audit(
        state.store(),
        operator.actor(),
        app_id,
        "prices.set",
        compare_source,
        json!({"yuan": format_yuan(fen)}),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_read_in_yuan_and_kept_in_fen() {
        assert_eq!(parse_yuan("1.5").unwrap(), 150);
        assert_eq!(parse_yuan("0.08").unwrap(), 8);
        assert_eq!(parse_yuan("3").unwrap(), 300);
        assert_eq!(parse_yuan(".5").unwrap(), 50);
        for bad in ["", ".", "1.234", "-1", "1,5", "abc", "99999999"] {
            assert!(parse_yuan(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_yuan(150), "1.50");
        assert_eq!(format_yuan(8), "0.08");
    }
}
