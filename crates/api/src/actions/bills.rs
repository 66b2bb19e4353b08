//! GetWeChatBillDetails: per-BizToken charge details of one day, for reconciliation.
//!
//! Days are Beijing days (UTC+8), as in FaceID's bills. The integer `Cursor` is a position
//! in the day, not a count: its high 32 bits are the milliseconds from the day's start to the
//! last flow returned, its low 32 bits how many flows of that very millisecond were passed.
//! A page therefore starts where the previous one ended, whatever page it is.

use crate::gateway::Caller;
use crate::params::Params;
use crate::wire::service_error;
use heshen_core::flow::{Flow, FlowKind};
use heshen_core::protocol::{fields_of, GetWeChatBillDetailsRequest};
use heshen_core::protocol::{ChargeDetail, GetWeChatBillDetailsResponse, WeChatBillDetail};
use heshen_core::result::format_sim;
use heshen_core::{codes, ApiError, IdCardNumber, PersonName};
use heshen_service::AppState;
use serde_json::Value;

const PAGE: usize = 100;
const DAY_MS: i64 = 24 * 3600 * 1000;
const BEIJING_OFFSET_MS: i64 = 8 * 3600 * 1000;

/// Start of the Beijing day `YYYY-MM-DD`, in Unix milliseconds.
fn day_start_ms(date: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date, &format).ok()?;
    let midnight_utc = day.with_hms(0, 0, 0).ok()?.assume_utc().unix_timestamp() * 1000;
    Some(midnight_utc - BEIJING_OFFSET_MS)
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

fn bill(token: &str, rule_id: &str, flow: &Flow) -> WeChatBillDetail {
    let charge_details: Vec<ChargeDetail> = flow
        .attempts
        .iter()
        .map(|a| {
            let id = a.id_card.as_deref().map(masked_id).unwrap_or_default();
            let result = codes::lookup(a.err_code());
            ChargeDetail {
                req_time: a.req_time_ms.to_string(),
                seq: a.seq.clone(),
                id_card: id.clone(),
                idcard: id,
                name: a.name.as_deref().map(masked_name).unwrap_or_default(),
                sim: a
                    .outcome
                    .sim
                    .map(format_sim)
                    .unwrap_or_else(|| "0.00".into()),
                is_need_charge: a.is_billed(),
                charge_type: if a.outcome.compare_status.is_some() {
                    "核身"
                } else {
                    "比对"
                }
                .into(),
                error_code: result.code.to_string(),
                error_message: result.message.into(),
            }
        })
        .collect();
    WeChatBillDetail {
        biz_token: token.to_string(),
        charge_count: flow.attempts.iter().filter(|a| a.is_billed()).count() as u64,
        charge_details,
        rule_id: rule_id.to_string(),
    }
}

pub async fn get_wechat_bill_details(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<GetWeChatBillDetailsRequest>())?;
    let date = params.req_string("Date")?;
    let cursor = params
        .opt_u64("Cursor")?
        .ok_or_else(|| ApiError::missing("Cursor"))?;
    let rule_id = params.opt_string("RuleId")?.filter(|r| !r.is_empty());
    let start = day_start_ms(&date)
        .ok_or_else(|| ApiError::invalid("Date", "it must be a date YYYY-MM-DD"))?;
    let now = state.clock().now_ms();
    if start > now || now - start > 366 * DAY_MS {
        return Err(ApiError::invalid(
            "Date",
            "it must be a day within the last 365 days",
        ));
    }
    let end = start + DAY_MS;
    let position = Position::from_cursor(cursor)
        .filter(|p| p.offset_ms < DAY_MS)
        .ok_or_else(|| ApiError::invalid("Cursor", "it is not a NextCursor of this action"))?;
    let from = start + position.offset_ms;
    let mut at = (from, position.passed);
    let mut after: Option<String> = None;
    let mut page = Vec::new();
    let mut has_next = false;
    let mut skipped_at_from = 0u64;
    'scan: loop {
        let records = state
            .store()
            .flows_between(
                &caller.app_id,
                from,
                end,
                rule_id.as_deref(),
                after.as_deref(),
                500,
            )
            .await
            .map_err(|e| service_error(e.into()))?;
        let Some(last) = records.last() else { break };
        after = Some(last.token.clone());
        for record in &records {
            // The flows of the cursor's own millisecond that earlier pages returned.
            if record.created_at == from && skipped_at_from < position.passed {
                skipped_at_from += 1;
                continue;
            }
            let is_bill = record.kind == heshen_store::FlowKind::Detect;
            if is_bill && page.len() == PAGE {
                has_next = true;
                break 'scan;
            }
            if is_bill {
                let flow: Flow = serde_json::from_slice(&record.payload).map_err(|e| {
                    ApiError::internal(format!("unreadable flow {}: {e}", record.token))
                })?;
                debug_assert_eq!(flow.kind, FlowKind::Detect);
                page.push(bill(&record.token, &record.scope_id, &flow));
            }
            at = if record.created_at == at.0 {
                (at.0, at.1 + 1)
            } else {
                (record.created_at, 1)
            };
        }
        if records.len() < 500 {
            break;
        }
    }
    let next = Position {
        offset_ms: at.0 - start,
        passed: at.1,
    };
    super::answer(GetWeChatBillDetailsResponse {
        has_next_page: has_next,
        next_cursor: next.to_cursor(),
        we_chat_bill_details: page,
    })
}

/// Where a page of bills starts (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Position {
    offset_ms: i64,
    passed: u64,
}

impl Position {
    fn from_cursor(cursor: u64) -> Option<Self> {
        Some(Self {
            offset_ms: i64::try_from(cursor >> 32).ok()?,
            passed: cursor & 0xffff_ffff,
        })
    }

    fn to_cursor(self) -> u64 {
        ((self.offset_ms as u64) << 32) | (self.passed & 0xffff_ffff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_days() {
        // 2026-11-22 00:00 in Beijing is 2026-11-21 16:00 UTC.
        assert_eq!(
            day_start_ms("2026-11-22"),
            Some(1_795_305_600_000 - BEIJING_OFFSET_MS)
        );
        assert_eq!(day_start_ms("2026-13-01"), None);
        assert_eq!(day_start_ms("yesterday"), None);
    }

    #[test]
    fn cursors_round_trip() {
        let p = Position {
            offset_ms: DAY_MS - 1,
            passed: 3,
        };
        assert_eq!(Position::from_cursor(p.to_cursor()), Some(p));
        assert_eq!(
            Position::from_cursor(0),
            Some(Position {
                offset_ms: 0,
                passed: 0
            })
        );
    }
}
