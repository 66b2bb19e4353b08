//! What the statistics count about a flow, and the Beijing days they are counted on.
//!
//! A flow only ever moves forward, so the set of [`Metric`]s it has reached only grows:
//! the counters of a day are kept up to date by adding, on every saved step, the metrics
//! the step added ([`reached_since`]). Each flow counts on the day it was issued, so the
//! conversion of a day compares the same flows from page to page.

use crate::flow::Flow;
use std::collections::BTreeSet;

pub const DAY_MS: i64 = 24 * 3600 * 1000;
const BEIJING_OFFSET_MS: i64 = 8 * 3600 * 1000;

/// The Beijing day (UTC+8) of a unix-ms instant, as days since 1970-01-01.
pub fn beijing_day(at_ms: i64) -> i64 {
    (at_ms + BEIJING_OFFSET_MS).div_euclid(DAY_MS)
}

/// The first millisecond of a Beijing day.
pub fn day_start_ms(day: i64) -> i64 {
    day * DAY_MS - BEIJING_OFFSET_MS
}

/// `YYYY-MM-DD` → Beijing day number.
pub fn parse_day(text: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text.trim(), &format).ok()?;
    let midnight = date.midnight().assume_utc().unix_timestamp();
    Some(midnight.div_euclid(24 * 3600))
}

/// Beijing day number → `YYYY-MM-DD`.
pub fn format_day(day: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(day * 24 * 3600)
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN);
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The pages of the flow in the order a person meets them; each counts the flows that
/// reached it.
pub const PAGES: [Page; 5] = [
    Page::Opened,
    Page::Consent,
    Page::Identity,
    Page::Liveness,
    Page::Upload,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Page {
    /// The link was opened.
    Opened,
    /// The agreements were accepted.
    Consent,
    /// Who is verified is known (entered, read from the card, or passed by DetectAuth).
    Identity,
    /// A liveness challenge was shown.
    Liveness,
    /// A recording arrived.
    Upload,
}

impl Page {
    pub fn as_str(self) -> &'static str {
        match self {
            Page::Opened => "opened",
            Page::Consent => "consent",
            Page::Identity => "identity",
            Page::Liveness => "liveness",
            Page::Upload => "upload",
        }
    }
}

/// Upper bounds, in seconds, of the time-to-finish buckets; the last is open-ended.
pub const TIME_BUCKETS: [i64; 14] = [
    10,
    20,
    30,
    45,
    60,
    90,
    120,
    180,
    300,
    600,
    1200,
    3600,
    7200,
    i64::MAX,
];

/// One thing a flow can have reached, as its counter is named in storage.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    Issued,
    Reached(Page),
    Finished,
    Passed,
    /// The final result code of a finished flow.
    Code(i64),
    /// The liveness mode of a finished flow's last attempt (FaceID's numbering).
    Mode(u64),
    /// A finished flow took at most this many seconds from opening (or issue) to its end.
    TimeWithin(i64),
}

impl Metric {
    pub fn name(&self) -> String {
        match self {
            Metric::Issued => "issued".into(),
            Metric::Reached(page) => format!("page:{}", page.as_str()),
            Metric::Finished => "finished".into(),
            Metric::Passed => "passed".into(),
            Metric::Code(code) => format!("code:{code}"),
            Metric::Mode(mode) => format!("mode:{mode}"),
            Metric::TimeWithin(secs) => format!("time:{secs}"),
        }
    }

    pub fn parse(name: &str) -> Option<Metric> {
        match name {
            "issued" => return Some(Metric::Issued),
            "finished" => return Some(Metric::Finished),
            "passed" => return Some(Metric::Passed),
            _ => {}
        }
        let (kind, value) = name.split_once(':')?;
        match kind {
            "page" => PAGES
                .into_iter()
                .find(|p| p.as_str() == value)
                .map(Metric::Reached),
            "code" => value.parse().ok().map(Metric::Code),
            "mode" => value.parse().ok().map(Metric::Mode),
            "time" => value
                .parse()
                .ok()
                .filter(|s| TIME_BUCKETS.contains(s))
                .map(Metric::TimeWithin),
            _ => None,
        }
    }
}

/// Every metric the flow has reached so far.
pub fn reached(flow: &Flow) -> BTreeSet<Metric> {
    let mut metrics = BTreeSet::from([Metric::Issued]);
    let opened = flow.started_at_ms.is_some() || flow.stage != crate::flow::Stage::Created;
    let consented = flow.consented_at_ms.is_some();
    let identified = flow.identity.is_some()
        || (consented && flow.request.id_card.is_some() && flow.request.name.is_some());
    let challenged = flow.challenge.is_some() || !flow.attempts.is_empty();
    let uploaded = !flow.attempts.is_empty()
        || flow
            .challenge
            .as_ref()
            .is_some_and(|c| c.recording.is_some());
    for (page, is_reached) in [
        (Page::Opened, opened),
        (Page::Consent, consented),
        (Page::Identity, identified),
        (Page::Liveness, challenged),
        (Page::Upload, uploaded),
    ] {
        if is_reached {
            metrics.insert(Metric::Reached(page));
        }
    }
    if let Some(outcome) = flow.outcome {
        metrics.insert(Metric::Finished);
        if outcome.code == 0 {
            metrics.insert(Metric::Passed);
        }
        metrics.insert(Metric::Code(outcome.code));
        if let Some(last) = flow.final_attempt() {
            metrics.insert(Metric::Mode(last.outcome.liveness_mode));
        }
        let began = flow.started_at_ms.unwrap_or(flow.created_at_ms);
        let secs = ((outcome.finished_at_ms - began).max(0) + 999) / 1000;
        let bucket = TIME_BUCKETS
            .into_iter()
            .find(|upper| secs <= *upper)
            .unwrap_or(i64::MAX);
        metrics.insert(Metric::TimeWithin(bucket));
    }
    metrics
}

/// The metrics `after` reached that `before` had not: what one saved step adds to the counters.
pub fn reached_since(before: &Flow, after: &Flow) -> Vec<Metric> {
    let earlier = reached(before);
    reached(after)
        .into_iter()
        .filter(|m| !earlier.contains(m))
        .collect()
}

/// The median of a time-to-finish histogram (`(bucket upper bound, count)`), interpolated
/// inside its bucket; `None` for no finished flow. The open-ended bucket answers its lower
/// bound.
pub fn median_seconds(histogram: &[(i64, i64)]) -> Option<f64> {
    let total: i64 = histogram.iter().map(|(_, n)| n).sum();
    if total <= 0 {
        return None;
    }
    let half = total as f64 / 2.0;
    let mut below = 0i64;
    let mut lower = 0i64;
    for upper in TIME_BUCKETS {
        let n: i64 = histogram
            .iter()
            .filter(|(b, _)| *b == upper)
            .map(|(_, n)| n)
            .sum();
        if n > 0 && (below + n) as f64 >= half {
            if upper == i64::MAX {
                return Some(lower as f64);
            }
            let into = (half - below as f64) / n as f64;
            return Some(lower as f64 + into * (upper - lower) as f64);
        }
        below += n;
        lower = upper;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{AttemptOutcome, FlowKind, FlowRequest, FlowSettings};

    fn flow(now: i64) -> Flow {
        Flow::new(
            FlowKind::Detect,
            FlowRequest::default(),
            FlowSettings {
                max_attempts: 2,
                sim_threshold: 70.0,
                liveness_mode: 2,
                compare_lib_type: None,
            },
            now,
            7_200_000,
        )
    }

    fn outcome(live: i64) -> AttemptOutcome {
        AttemptOutcome {
            live_status: live,
            compare_status: Some(0),
            sim: Some(90.0),
            liveness_mode: 2,
            action_sequence: None,
            read_digits: None,
            checks: Vec::new(),
            best_frame: None,
            extra_frames: vec![],
            video: None,
        }
    }

    #[test]
    fn days_are_beijing_days() {
        let day = parse_day("2026-12-03").unwrap();
        assert_eq!(format_day(day), "2026-12-03");
        let start = day_start_ms(day);
        assert_eq!(beijing_day(start), day);
        assert_eq!(beijing_day(start - 1), day - 1);
        assert_eq!(beijing_day(start + DAY_MS - 1), day);
        // 2026-12-02 16:00 UTC is midnight in Beijing.
        assert_eq!(start, 1_796_256_000_000 - 8 * 3600 * 1000);
        assert_eq!(parse_day("2026-02-30"), None);
    }

    #[test]
    fn each_step_adds_what_it_reached_and_nothing_twice() {
        let now = 1_000_000;
        let fresh = flow(now);
        assert_eq!(reached(&fresh), BTreeSet::from([Metric::Issued]));
        let mut opened = fresh.clone();
        opened.start(now + 1000).unwrap();
        assert_eq!(
            reached_since(&fresh, &opened),
            vec![Metric::Reached(Page::Opened)]
        );
        let mut again = opened.clone();
        again.start(now + 2000).unwrap();
        assert!(
            reached_since(&opened, &again).is_empty(),
            "a reload adds nothing"
        );
        let mut consented = again.clone();
        consented.consent(now + 3000).unwrap();
        let mut failed_once = consented.clone();
        failed_once
            .record_attempt(now + 4000, "a".into(), outcome(1301))
            .unwrap();
        let added = reached_since(&consented, &failed_once);
        assert!(added.contains(&Metric::Reached(Page::Liveness)));
        assert!(added.contains(&Metric::Reached(Page::Upload)));
        assert!(!added.contains(&Metric::Finished), "one retry is left");
        let mut passed = failed_once.clone();
        passed
            .record_attempt(now + 41_000, "b".into(), outcome(0))
            .unwrap();
        let added = reached_since(&failed_once, &passed);
        assert_eq!(
            added,
            vec![
                Metric::Finished,
                Metric::Passed,
                Metric::Code(0),
                Metric::Mode(2),
                Metric::TimeWithin(45),
            ],
            "40 s from opening falls in the 30–45 s bucket"
        );
    }

    #[test]
    fn metric_names_round_trip() {
        for metric in [
            Metric::Issued,
            Metric::Reached(Page::Identity),
            Metric::Finished,
            Metric::Passed,
            Metric::Code(1301),
            Metric::Mode(4),
            Metric::TimeWithin(600),
            Metric::TimeWithin(i64::MAX),
        ] {
            assert_eq!(Metric::parse(&metric.name()), Some(metric.clone()));
        }
        assert_eq!(Metric::parse("time:11"), None);
        assert_eq!(Metric::parse("page:nowhere"), None);
    }

    #[test]
    fn the_median_is_interpolated_inside_its_bucket() {
        assert_eq!(median_seconds(&[]), None);
        // 10 flows: 4 within 30 s, 6 within 30–45 s: the 5th lies 1/6 into 30–45.
        let median = median_seconds(&[(30, 4), (45, 6)]).unwrap();
        assert!((median - 32.5).abs() < 1e-9, "{median}");
        assert_eq!(median_seconds(&[(i64::MAX, 3)]), Some(7200.0));
    }
}
