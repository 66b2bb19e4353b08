//! GetWeChatBillDetails: per-BizToken charge details of one day, for reconciliation.
//!
//! Days are Beijing days (UTC+8), as in FaceID's bills. The integer `Cursor` is a position
//! in the day, not a count: its high 32 bits are the milliseconds from the day's start to the
//! last flow returned, its low 32 bits how many flows of that very millisecond were passed.
//! A page therefore starts where the previous one ended, whatever page it is.

use crate::gateway::Caller;
use crate::params::Params;
use crate::wire::service_error;
use heshen_core::codes;
use heshen_core::protocol::{fields_of, GetWeChatBillDetailsRequest};
use heshen_core::protocol::{ChargeDetail, GetWeChatBillDetailsResponse, WeChatBillDetail};
use heshen_core::stats::{self, DAY_MS};
use heshen_core::ApiError;
use heshen_service::AppState;
use heshen_store::Bill;
use serde_json::Value;

const PAGE: usize = 100;

/// Start of the Beijing day `YYYY-MM-DD`, in Unix milliseconds.
fn day_start_ms(date: &str) -> Option<i64> {
    stats::parse_day(date).map(stats::day_start_ms)
}

fn detail(bill: Bill) -> WeChatBillDetail {
    let charge_details: Vec<ChargeDetail> = bill
        .charges
        .iter()
        .map(|c| {
            let result = codes::lookup(c.error_code);
            ChargeDetail {
                req_time: c.req_time.to_string(),
                seq: c.seq.clone(),
                id_card: c.masked_id_card.clone(),
                idcard: c.masked_id_card.clone(),
                name: c.masked_name.clone(),
                sim: if c.sim.is_empty() {
                    "0.00".into()
                } else {
                    c.sim.clone()
                },
                is_need_charge: c.billed,
                // An attempt whose comparison ran is a verification; one refused by
                // liveness before it is counted as a comparison.
                charge_type: if c.sim.is_empty() { "比对" } else { "核身" }.into(),
                error_code: result.code.to_string(),
                error_message: result.message.into(),
            }
        })
        .collect();
    WeChatBillDetail {
        biz_token: bill.token,
        charge_count: bill.charges.iter().filter(|c| c.billed).count() as u64,
        charge_details,
        rule_id: bill.scope_id,
    }
}

/// The bills are read from the reconciliation ledger, which outlives the flows' 3-day
/// retention: a day stays answerable for the whole year the action looks back.
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
    let mut after: Option<(i64, String)> = None;
    let mut page = Vec::new();
    let mut has_next = false;
    let mut skipped_at_from = 0u64;
    'scan: loop {
        let bills = state
            .store()
            .bills_between(
                &caller.app_id,
                from,
                end,
                rule_id.as_deref(),
                after.as_ref().map(|(at, token)| (*at, token.as_str())),
                500,
            )
            .await
            .map_err(|e| service_error(e.into()))?;
        let Some(last) = bills.last() else { break };
        after = Some((last.created_at, last.token.clone()));
        let fetched = bills.len();
        for bill in bills {
            // The bills of the cursor's own millisecond that earlier pages returned.
            if bill.created_at == from && skipped_at_from < position.passed {
                skipped_at_from += 1;
                continue;
            }
            if page.len() == PAGE {
                has_next = true;
                break 'scan;
            }
            at = if bill.created_at == at.0 {
                (at.0, at.1 + 1)
            } else {
                (bill.created_at, 1)
            };
            page.push(detail(bill));
        }
        if fetched < 500 {
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
            Some(1_795_305_600_000 - 8 * 3600 * 1000)
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
