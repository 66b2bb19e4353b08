//! The audit log: a page at a time, the state of its hash chain, and a CSV export.

use super::access::Ctx;
use super::views::{self, when, AuditRow};
use super::{csv_field, csv_response, render};
use crate::Web;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use heshen_service::manage;
use heshen_service::manage::AuditChain;
use serde::Deserialize;

const PAGE: u32 = 50;

#[derive(Deserialize)]
pub struct Page {
    before: Option<i64>,
}

pub async fn log(State(web): State<Web>, ctx: Ctx, Query(page): Query<Page>) -> Response {
    let operator = ctx.operator();
    let entries = match manage::audit_log(&web.state, operator, page.before, PAGE).await {
        Ok(entries) => entries,
        Err(err) => return ctx.fail(err),
    };
    let chain = match manage::verify_audit(&web.state, operator).await {
        Ok(chain) => chain,
        Err(err) => return ctx.fail(err),
    };
    let (intact, count, broken_at) = match chain {
        AuditChain::Intact { entries } => (true, entries, String::new()),
        AuditChain::Broken { at_id, entries } => (
            false,
            entries,
            at_id.map(|id| id.to_string()).unwrap_or_default(),
        ),
    };
    let older = (entries.len() == PAGE as usize)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    render(
        StatusCode::OK,
        &views::Audit {
            f: ctx.frame(ctx.w().audit_title),
            intact,
            entries: count,
            broken_at,
            rows: entries
                .into_iter()
                .map(|e| AuditRow {
                    id: e.id,
                    at: when(e.at),
                    detail_short: shorten(&e.detail.to_string(), 120),
                    detail: e.detail.to_string(),
                    actor: e.actor,
                    action: e.action,
                    target: e.target,
                    app_id: e.app_id,
                    origin: e.origin,
                })
                .collect(),
            older,
        },
    )
}

fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let mut short: String = text.chars().take(chars).collect();
    short.push('…');
    short
}

/// Every entry the user may see, oldest last, with each entry's chain hash so a copy can be
/// checked later.
pub async fn export(State(web): State<Web>, ctx: Ctx) -> Response {
    let mut csv = String::from("id,at_ms,actor,action,target,app_id,origin,detail,hash\r\n");
    let mut before = None;
    loop {
        let entries = match manage::audit_log(&web.state, ctx.operator(), before, 1_000).await {
            Ok(entries) => entries,
            Err(err) => return ctx.fail(err),
        };
        let Some(last) = entries.last().map(|e| e.id) else {
            break;
        };
        for e in &entries {
            let fields = [
                e.id.to_string(),
                e.at.to_string(),
                e.actor.clone(),
                e.action.clone(),
                e.target.clone(),
                e.app_id.clone(),
                e.origin.clone(),
                e.detail.to_string(),
                e.hash.clone(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            csv.push_str(&line.join(","));
            csv.push_str("\r\n");
        }
        before = Some(last);
    }
    csv_response(csv, "heshen-audit.csv")
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(super::super::csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(super::super::csv_field("=SUM(A1)"), "\"'=SUM(A1)\"");
    }
}
