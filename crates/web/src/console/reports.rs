//! Statistics (per day and rule, with charts and CSV) and reconciliation (a day's charges
//! priced by comparison source, with CSV), drawn from the counters and bills that outlive
//! the flows.

use super::access::{CsrfForm, Ctx};
use super::charts::{self, Line};
use super::views;
use super::{csv_field, csv_response, render, see};
use crate::i18n::Lang;
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use heshen_core::codes;
use heshen_core::stats::{self, Metric, PAGES};
use heshen_service::console::Permission;
use heshen_service::ledger::{self, format_yuan, SOURCES};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Days a statistics page shows when none are asked for.
const DEFAULT_DAYS: i64 = 30;
/// BizTokens the reconciliation page lists; the CSV has them all.
const BILLS_SHOWN: u32 = 200;

#[derive(Deserialize, Default)]
pub struct Period {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    rule: String,
}

fn today(web: &Web) -> i64 {
    stats::beijing_day(web.state.clock().now_ms())
}

/// `[from_day, to_day)` from the form (the "to" day is inclusive there), defaulting to the
/// last 30 days.
fn period_days(web: &Web, q: &Period) -> (i64, i64) {
    let to = stats::parse_day(&q.to).unwrap_or_else(|| today(web)) + 1;
    let from = stats::parse_day(&q.from).unwrap_or(to - DEFAULT_DAYS);
    (from, to)
}

/// The RuleId a form narrows to, if any.
fn rule_filter(rule: &str) -> Option<&str> {
    Some(rule.trim()).filter(|r| !r.is_empty())
}

fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "—".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

pub async fn statistics(
    State(web): State<Web>,
    ctx: Ctx,
    Path(app_id): Path<String>,
    Query(q): Query<Period>,
) -> Response {
    let (from, to) = period_days(&web, &q);
    let figures = match ledger::statistics(
        &web.state,
        ctx.operator(),
        &app_id,
        from,
        to,
        rule_filter(&q.rule),
    )
    .await
    {
        Ok(figures) => figures,
        Err(err) => return ctx.fail(err),
    };
    let w = ctx.w();
    let labels: Vec<String> = figures
        .days
        .iter()
        .map(|d| stats::format_day(d.day)[5..].to_string())
        .collect();
    let daily = charts::daily_lines(
        &labels,
        &[
            Line {
                label: w.stats_issued,
                values: figures.days.iter().map(|d| d.issued).collect(),
            },
            Line {
                label: w.stats_finished,
                values: figures.days.iter().map(|d| d.finished).collect(),
            },
            Line {
                label: w.stats_passed,
                values: figures.days.iter().map(|d| d.passed).collect(),
            },
        ],
    );
    let mut steps = vec![(w.stats_issued.to_string(), figures.issued)];
    steps.extend(
        figures
            .funnel
            .iter()
            .map(|(page, n)| (w.page(*page).to_string(), *n)),
    );
    steps.push((w.stats_finished.to_string(), figures.finished));
    steps.push((w.stats_passed.to_string(), figures.passed));
    let funnel_rows = steps
        .iter()
        .map(|(label, n)| views::ShareRow {
            label: label.clone(),
            count: *n,
            share: percent(*n, figures.issued),
        })
        .collect();
    let funnel = charts::bars(&steps);
    let code_rows = figures
        .codes
        .iter()
        .map(|(code, n)| views::ShareRow {
            label: super::result_label(w, Some(*code)),
            count: *n,
            share: percent(*n, figures.finished),
        })
        .collect();
    let mode_rows = figures
        .modes
        .iter()
        .map(|(mode, n)| views::ShareRow {
            label: w.mode(*mode),
            count: *n,
            share: percent(*n, figures.finished),
        })
        .collect();
    let rule_rows = figures
        .rules
        .iter()
        .map(|r| views::RuleFiguresRow {
            scope_id: r.scope_id.clone(),
            issued: r.issued,
            finished: r.finished,
            passed: r.passed,
            pass_rate: percent(r.passed, r.finished),
        })
        .collect();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("from", &stats::format_day(from))
        .append_pair("to", &stats::format_day(to - 1))
        .append_pair("rule", &q.rule)
        .finish();
    render(
        StatusCode::OK,
        &views::Statistics {
            f: ctx.frame(w.stats_title),
            app_id,
            from: stats::format_day(from),
            to: stats::format_day(to - 1),
            rule: q.rule.clone(),
            issued: figures.issued,
            finished: figures.finished,
            passed: figures.passed,
            pass_rate: percent(figures.passed, figures.finished),
            median: figures
                .median_seconds
                .map(|s| format!("{s:.0} {}", w.stats_seconds))
                .unwrap_or_else(|| "—".into()),
            daily_svg: daily,
            funnel_svg: funnel,
            funnel: funnel_rows,
            codes: code_rows,
            modes: mode_rows,
            rules: rule_rows,
            csv_query: query,
        },
    )
}

/// One row per day and rule: the counters side by side, failures by code in one column.
pub async fn statistics_csv(
    State(web): State<Web>,
    ctx: Ctx,
    Path(app_id): Path<String>,
    Query(q): Query<Period>,
) -> Response {
    let (from, to) = period_days(&web, &q);
    let rows = match ledger::count_rows(
        &web.state,
        ctx.operator(),
        &app_id,
        from,
        to,
        rule_filter(&q.rule),
    )
    .await
    {
        Ok(rows) => rows,
        Err(err) => return ctx.fail(err),
    };
    let mut table: BTreeMap<(i64, String), BTreeMap<Metric, i64>> = BTreeMap::new();
    for row in rows {
        if let Some(metric) = Metric::parse(&row.metric) {
            *table
                .entry((row.day, row.scope_id))
                .or_default()
                .entry(metric)
                .or_default() += row.n;
        }
    }
    let mut csv = String::from("date,rule_id,issued");
    for page in PAGES {
        csv.push_str(&format!(",page_{}", page.as_str()));
    }
    csv.push_str(",finished,passed,failed_by_code,liveness_modes\r\n");
    for ((day, scope), metrics) in table {
        let get = |m: Metric| metrics.get(&m).copied().unwrap_or(0);
        let mut fields = vec![
            stats::format_day(day),
            scope.clone(),
            get(Metric::Issued).to_string(),
        ];
        fields.extend(PAGES.iter().map(|p| get(Metric::Reached(*p)).to_string()));
        fields.push(get(Metric::Finished).to_string());
        fields.push(get(Metric::Passed).to_string());
        let joined = |pick: &dyn Fn(&Metric) -> Option<String>| {
            metrics
                .iter()
                .filter_map(|(m, n)| pick(m).map(|k| format!("{k}:{n}")))
                .collect::<Vec<_>>()
                .join(";")
        };
        fields.push(joined(&|m| match m {
            Metric::Code(c) if *c != 0 => Some(c.to_string()),
            _ => None,
        }));
        fields.push(joined(&|m| match m {
            Metric::Mode(mode) => Some(mode.to_string()),
            _ => None,
        }));
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push_str("\r\n");
    }
    csv_response(csv, &format!("heshen-statistics-{app_id}.csv"))
}

#[derive(Deserialize, Default)]
pub struct Day {
    #[serde(default)]
    day: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    saved: String,
}

fn day_of(web: &Web, q: &Day) -> i64 {
    stats::parse_day(&q.day).unwrap_or_else(|| today(web))
}

fn source_label(lang: Lang, source: &str) -> String {
    SOURCES
        .iter()
        .find(|(s, _, _)| *s == source)
        .map(|(_, zh, en)| if lang == Lang::Zh { *zh } else { *en }.to_string())
        .unwrap_or_else(|| source.to_string())
}

pub async fn reconciliation(
    State(web): State<Web>,
    ctx: Ctx,
    Path(app_id): Path<String>,
    Query(q): Query<Day>,
) -> Response {
    let day = day_of(&web, &q);
    let rule = rule_filter(&q.rule);
    let operator = ctx.operator();
    let priced = match ledger::reconciliation(&web.state, operator, &app_id, day, rule).await {
        Ok(priced) => priced,
        Err(err) => return ctx.fail(err),
    };
    let bills =
        match ledger::bills(&web.state, operator, &app_id, day, rule, None, BILLS_SHOWN).await {
            Ok(bills) => bills,
            Err(err) => return ctx.fail(err),
        };
    let w = ctx.w();
    let more = bills.len() == BILLS_SHOWN as usize;
    let lang = ctx.lang;
    let charges = bills
        .iter()
        .flat_map(|bill| {
            bill.charges.iter().map(move |c| views::ChargeRow {
                token: bill.token.clone(),
                scope_id: bill.scope_id.clone(),
                seq: c.seq.clone(),
                at: views::when(c.req_time),
                source: source_label(lang, &c.compare_source),
                result: super::result_label(w, Some(c.error_code)),
                sim: c.sim.clone(),
                billed: if c.billed { w.yes } else { w.no },
                id_card: c.masked_id_card.clone(),
                name: c.masked_name.clone(),
            })
        })
        .collect();
    let lines = priced
        .lines
        .iter()
        .map(|l| views::PricedRow {
            scope_id: l.scope_id.clone(),
            channel: l.channel.clone(),
            source: source_label(ctx.lang, &l.compare_source),
            attempts: l.attempts,
            billed: l.billed,
            unit: format_yuan(l.unit_fen),
            amount: format_yuan(l.amount_fen),
        })
        .collect();
    let prices = SOURCES
        .iter()
        .map(|(source, _, _)| views::PriceField {
            source: source.to_string(),
            label: source_label(ctx.lang, source),
            yuan: format_yuan(priced.prices.get(*source).copied().unwrap_or(0)),
        })
        .collect();
    let date = stats::format_day(day);
    let csv_query = form_urlencoded::Serializer::new(String::new())
        .append_pair("day", &date)
        .append_pair("rule", &q.rule)
        .finish();
    render(
        StatusCode::OK,
        &views::Reconciliation {
            f: ctx.frame(w.recon_title),
            app_id,
            day: date,
            rule: q.rule.clone(),
            lines,
            billed: priced.billed,
            amount: format_yuan(priced.amount_fen),
            charges,
            more,
            prices,
            may_price: operator.may(Permission::ManageKeys),
            notice: if q.saved.is_empty() {
                String::new()
            } else {
                w.recon_saved.to_string()
            },
            csv_query,
        },
    )
}

/// Every charge of the day, priced, as GetWeChatBillDetails would list them.
pub async fn reconciliation_csv(
    State(web): State<Web>,
    ctx: Ctx,
    Path(app_id): Path<String>,
    Query(q): Query<Day>,
) -> Response {
    let day = day_of(&web, &q);
    let rule = rule_filter(&q.rule);
    let operator = ctx.operator();
    let prices = match ledger::reconciliation(&web.state, operator, &app_id, day, rule).await {
        Ok(priced) => priced.prices,
        Err(err) => return ctx.fail(err),
    };
    let mut csv = String::from(
        "date,biz_token,rule_id,channel,seq,req_time_ms,compare_source,is_need_charge,\
         error_code,error_message,sim,id_card,name,unit_price_cny,amount_cny\r\n",
    );
    let date = stats::format_day(day);
    let mut after: Option<(i64, String)> = None;
    loop {
        let page = match ledger::bills(
            &web.state,
            operator,
            &app_id,
            day,
            rule,
            after.as_ref().map(|(at, t)| (*at, t.as_str())),
            1_000,
        )
        .await
        {
            Ok(page) => page,
            Err(err) => return ctx.fail(err),
        };
        let Some(last) = page.last() else { break };
        after = Some((last.created_at, last.token.clone()));
        for bill in &page {
            for c in &bill.charges {
                let unit = prices.get(&c.compare_source).copied().unwrap_or(0);
                let fields = [
                    date.clone(),
                    bill.token.clone(),
                    bill.scope_id.clone(),
                    bill.channel.clone(),
                    c.seq.clone(),
                    c.req_time.to_string(),
                    c.compare_source.clone(),
                    c.billed.to_string(),
                    c.error_code.to_string(),
                    codes::lookup(c.error_code).message.to_string(),
                    c.sim.clone(),
                    c.masked_id_card.clone(),
                    c.masked_name.clone(),
                    format_yuan(unit),
                    format_yuan(if c.billed { unit } else { 0 }),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                csv.push_str(&line.join(","));
                csv.push_str("\r\n");
            }
        }
        if page.len() < 1_000 {
            break;
        }
    }
    csv_response(csv, &format!("heshen-bills-{app_id}-{date}.csv"))
}

#[derive(Deserialize)]
pub struct PriceForm {
    #[serde(default)]
    day: String,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    photo: String,
    #[serde(default)]
    none: String,
}

pub async fn set_prices(
    State(web): State<Web>,
    ctx: Ctx,
    Path(app_id): Path<String>,
    CsrfForm(form): CsrfForm<PriceForm>,
) -> Response {
    for (source, yuan) in [
        ("authority", &form.authority),
        ("photo", &form.photo),
        ("none", &form.none),
    ] {
        if let Err(err) = ledger::set_price(&web.state, ctx.operator(), &app_id, source, yuan).await
        {
            return ctx.fail(err);
        }
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("day", &form.day)
        .append_pair("saved", "1")
        .finish();
    see(&format!("/console/apps/{app_id}/reconciliation?{query}"))
}
