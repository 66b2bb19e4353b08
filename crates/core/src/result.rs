//! Rendering a flow into FaceID's result shapes: GetDetectInfoEnhanced,
//! GetDetectInfo (legacy, double-encoded) and GetEidResult.
//!
//! Rendering is pure: the caller first asks which media objects are needed
//! ([`ResultOptions::media_needed`]), loads them, and passes them in.

use crate::flow::{Attempt, Flow};
use crate::protocol::{
    DetectDetail, DetectInfoBestFrame, DetectInfoIdCardData, DetectInfoText, DetectInfoVideoData,
    EidInfo, GetDetectInfoEnhancedResponse, GetEidResultResponse, VideoDetail,
};
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Which parts of a result were asked for (`InfoType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InfoSelection {
    pub text: bool,
    pub id_card: bool,
    pub best_frame: bool,
    pub video: bool,
    pub intention_read: bool,
    pub intention_qa: bool,
}

impl InfoSelection {
    pub fn all() -> Self {
        Self {
            text: true,
            id_card: true,
            best_frame: true,
            video: true,
            intention_read: true,
            intention_qa: true,
        }
    }

    /// Parses an InfoType string such as "0" or "134"; `allowed` lists the digits the action accepts.
    pub fn parse(raw: Option<&str>, allowed: &str) -> Result<Self, String> {
        let raw = raw.unwrap_or("0");
        if raw.is_empty() {
            return Err("InfoType must not be empty".into());
        }
        let mut sel = Self::default();
        for c in raw.chars() {
            if !allowed.contains(c) {
                return Err(format!("InfoType digit '{c}' is not one of {allowed}"));
            }
            match c {
                '0' => sel = Self::all(),
                '1' => sel.text = true,
                '2' => sel.id_card = true,
                '3' => sel.best_frame = true,
                '4' => sel.video = true,
                '5' => sel.intention_read = true,
                '6' => sel.intention_qa = true,
                _ => unreachable!("checked against allowed"),
            }
        }
        Ok(sel)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResultOptions {
    pub selection: InfoSelection,
    pub best_frames_count: u64,
    pub cut_id_card_image: bool,
    pub need_id_card_avatar: bool,
    /// Also return the video of every attempt (`IsReturnAllVideo`).
    pub all_videos: bool,
}

impl ResultOptions {
    /// Names of the media objects the rendering will read.
    pub fn media_needed(&self, flow: &Flow) -> Vec<String> {
        let mut names = Vec::new();
        let mut push = |n: &Option<String>| {
            if let Some(n) = n {
                names.push(n.clone());
            }
        };
        if self.selection.id_card {
            push(&flow.media.ocr_front);
            push(&flow.media.ocr_back);
            if self.cut_id_card_image {
                push(&flow.media.processed_front);
                push(&flow.media.processed_back);
            }
            if self.need_id_card_avatar {
                push(&flow.media.avatar);
            }
        }
        if let Some(attempt) = flow.final_attempt() {
            if self.selection.best_frame {
                push(&attempt.outcome.best_frame);
                for frame in attempt
                    .outcome
                    .extra_frames
                    .iter()
                    .take(self.best_frames_count as usize)
                {
                    push(&Some(frame.clone()));
                }
            }
            if self.selection.video {
                push(&attempt.outcome.video);
            }
        }
        if self.selection.video && self.all_videos {
            for attempt in &flow.attempts {
                push(&attempt.outcome.video);
            }
        }
        names
    }
}

pub type MediaMap = HashMap<String, Vec<u8>>;

fn b64(media: &MediaMap, name: &Option<String>) -> Option<String> {
    name.as_ref()
        .and_then(|n| media.get(n))
        .map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn b64_value(media: &MediaMap, name: &Option<String>) -> Value {
    b64(media, name).map(Value::String).unwrap_or(Value::Null)
}

/// FaceID prints similarity with two decimals, as a string.
pub fn format_sim(sim: f64) -> String {
    format!("{:.2}", sim.clamp(0.0, 100.0))
}

fn detail(attempt: &Attempt) -> DetectDetail {
    let o = &attempt.outcome;
    let live = crate::codes::lookup(o.live_status);
    let compare = o.compare_status.map(crate::codes::lookup);
    let err = crate::codes::lookup(attempt.err_code());
    DetectDetail {
        req_time: attempt.req_time_ms.to_string(),
        seq: attempt.seq.clone(),
        idcard: attempt.id_card.clone(),
        name: attempt.name.clone(),
        sim: o.sim.map(format_sim),
        is_need_charge: attempt.is_billed(),
        errcode: err.code,
        errmsg: err.message.into(),
        livestatus: live.code,
        livemsg: live.message.into(),
        comparestatus: compare.map(|c| c.code),
        comparemsg: compare.map(|c| c.message.into()),
        compare_lib_type: attempt.compare_lib_type.clone(),
        liveness_mode: o.liveness_mode,
    }
}

/// `DetectInfoText`, every field present (null when unknown).
pub fn detect_info_text(flow: &Flow, now_ms: i64) -> DetectInfoText {
    let verdict = flow.verdict(now_ms);
    let last = flow.final_attempt();
    let ocr = flow
        .identity
        .as_ref()
        .and_then(|i| i.ocr.clone())
        .unwrap_or_default();
    let (id_card, name) = flow
        .subject()
        .map(|(id, name)| (id.to_string(), name.to_string()))
        .unzip();
    let use_id_type = flow.subject().map(|(id, _)| {
        match crate::IdCardNumber::parse(id).map(|n| n.document_type()) {
            Ok(t) => t as u64,
            Err(_) => 2,
        }
    });
    let live = last.map(|a| crate::codes::lookup(a.outcome.live_status));
    let compare = last
        .and_then(|a| a.outcome.compare_status)
        .map(crate::codes::lookup);
    DetectInfoText {
        err_code: verdict.code,
        err_msg: verdict.message.into(),
        id_card,
        use_id_type,
        name,
        ocr_nation: ocr.nation,
        ocr_address: ocr.address,
        ocr_birth: ocr.birth,
        ocr_authority: ocr.authority,
        ocr_valid_date: ocr.valid_date,
        ocr_name: ocr.name,
        ocr_id_card: ocr.id_card,
        ocr_gender: ocr.gender,
        id_info_from: flow.identity.as_ref().map(|i| i.source.label().into()),
        live_status: live.map(|c| c.code),
        live_msg: live.map(|c| c.message.into()),
        comparestatus: compare.map(|c| c.code),
        comparemsg: compare.map(|c| c.message.into()),
        sim: last.and_then(|a| a.outcome.sim).map(format_sim),
        location: flow.location.clone(),
        extra: flow.request.extra.clone(),
        liveness_detail: flow.attempts.iter().map(detail).collect(),
        liveness_info_tag: None,
        mobile: None,
        compare_lib_type: last.and_then(|a| a.compare_lib_type.clone()),
        liveness_mode: last.map(|a| a.outcome.liveness_mode),
        nfc_request_ids: None,
        nfc_billing_counts: None,
        pass_no: None,
        visa_num: None,
        liveness_action_sequence: last.and_then(|a| a.outcome.action_sequence.clone()),
    }
}

fn id_card_data(flow: &Flow, opts: &ResultOptions, media: &MediaMap) -> DetectInfoIdCardData {
    let warnings = |w: Option<&Vec<i64>>| w.filter(|w| !w.is_empty()).cloned();
    let identity = flow.identity.as_ref();
    let when = |asked: bool, name: &Option<String>| if asked { b64(media, name) } else { None };
    DetectInfoIdCardData {
        ocr_front: b64(media, &flow.media.ocr_front),
        ocr_back: b64(media, &flow.media.ocr_back),
        processed_front_image: when(opts.cut_id_card_image, &flow.media.processed_front),
        processed_back_image: when(opts.cut_id_card_image, &flow.media.processed_back),
        avatar: when(opts.need_id_card_avatar, &flow.media.avatar),
        warn_infos: warnings(identity.map(|i| &i.front_warnings)),
        back_warn_infos: warnings(identity.map(|i| &i.back_warnings)),
    }
}

fn best_frame(flow: &Flow, opts: &ResultOptions, media: &MediaMap) -> DetectInfoBestFrame {
    let Some(attempt) = flow.final_attempt() else {
        return DetectInfoBestFrame::default();
    };
    let frames: Vec<String> = attempt
        .outcome
        .extra_frames
        .iter()
        .take(opts.best_frames_count as usize)
        .filter_map(|n| b64(media, &Some(n.clone())))
        .collect();
    DetectInfoBestFrame {
        best_frame: b64(media, &attempt.outcome.best_frame),
        best_frames: (!frames.is_empty()).then_some(frames),
    }
}

fn video_data(flow: &Flow, opts: &ResultOptions, media: &MediaMap) -> DetectInfoVideoData {
    let all: Vec<VideoDetail> = flow
        .attempts
        .iter()
        .filter(|a| opts.all_videos && a.outcome.video.is_some())
        .map(|a| VideoDetail {
            seq: a.seq.clone(),
            video: b64(media, &a.outcome.video),
        })
        .collect();
    DetectInfoVideoData {
        liveness_video: flow
            .final_attempt()
            .and_then(|a| b64(media, &a.outcome.video)),
        liveness_videos: (!all.is_empty()).then_some(all),
    }
}

/// A GetDetectInfoEnhanced answer, before any encryption the caller asked for.
pub fn detect_info_enhanced(
    flow: &Flow,
    opts: &ResultOptions,
    media: &MediaMap,
    now_ms: i64,
) -> GetDetectInfoEnhancedResponse {
    let sel = opts.selection;
    GetDetectInfoEnhancedResponse {
        text: sel.text.then(|| detect_info_text(flow, now_ms)),
        id_card_data: sel.id_card.then(|| id_card_data(flow, opts, media)),
        best_frame: sel.best_frame.then(|| best_frame(flow, opts, media)),
        video_data: sel.video.then(|| video_data(flow, opts, media)),
        is_verify_intention: flow.request.intention.is_some(),
        intention_verify_type: intention_type(flow),
        ..Default::default()
    }
}

fn intention_type(flow: &Flow) -> String {
    let Some(intention) = &flow.request.intention else {
        return String::new();
    };
    let present = |k: &str| intention.get(k).is_some_and(|v| !v.is_null());
    if present("IntentionVerifyText") {
        "2".into()
    } else if present("IntentionActions") {
        "1".into()
    } else {
        "0".into()
    }
}

/// The legacy GetDetectInfo `DetectInfo` string: one JSON document, serialised.
pub fn detect_info_legacy(
    flow: &Flow,
    sel: InfoSelection,
    media: &MediaMap,
    now_ms: i64,
) -> String {
    let verdict = flow.verdict(now_ms);
    let last = flow.final_attempt();
    let ocr = flow
        .identity
        .as_ref()
        .and_then(|i| i.ocr.clone())
        .unwrap_or_default();
    let (id_card, name) = flow.subject().unzip();
    let live = last.map(|a| crate::codes::lookup(a.outcome.live_status));
    let compare = last
        .and_then(|a| a.outcome.compare_status)
        .map(crate::codes::lookup);
    let liveness_data: Vec<Value> = flow
        .attempts
        .iter()
        .map(|a| {
            let c = crate::codes::lookup(a.err_code());
            json!({"ErrCode": c.code, "ErrMsg": c.message, "ReqTime": a.req_time_ms.to_string(), "IdCard": a.id_card, "Name": a.name})
        })
        .collect();
    let mut doc = serde_json::Map::new();
    if sel.text {
        doc.insert(
            "Text".into(),
            json!({
                "ErrCode": verdict.code, "ErrMsg": verdict.message,
                "IdCard": id_card, "Name": name,
                "OcrNation": ocr.nation, "OcrAddress": ocr.address, "OcrBirth": ocr.birth,
                "OcrAuthority": ocr.authority, "OcrValidDate": ocr.valid_date, "OcrName": ocr.name,
                "OcrIdCard": ocr.id_card, "OcrGender": ocr.gender,
                "LiveStatus": live.map(|c| c.code), "LiveMsg": live.map(|c| c.message),
                "Comparestatus": compare.map(|c| c.code), "Comparemsg": compare.map(|c| c.message),
                "Sim": last.and_then(|a| a.outcome.sim).map(format_sim),
                "Location": flow.location, "Extra": flow.request.extra,
                "Detail": {"LivenessData": liveness_data},
            }),
        );
    }
    if sel.id_card {
        doc.insert(
            "IdCardData".into(),
            json!({"OcrFront": b64_value(media, &flow.media.ocr_front), "OcrBack": b64_value(media, &flow.media.ocr_back)}),
        );
    }
    if sel.best_frame {
        doc.insert(
            "BestFrame".into(),
            json!({"BestFrame": last.map(|a| b64_value(media, &a.outcome.best_frame)).unwrap_or(Value::Null)}),
        );
    }
    if sel.video {
        doc.insert(
            "VideoData".into(),
            json!({"LivenessVideo": last.map(|a| b64_value(media, &a.outcome.video)).unwrap_or(Value::Null)}),
        );
    }
    Value::Object(doc).to_string()
}

/// A GetEidResult answer; `eid_info` is the sealed identity when the merchant receives it.
pub fn eid_result(
    flow: &Flow,
    opts: &ResultOptions,
    media: &MediaMap,
    eid_info: Option<EidInfo>,
    now_ms: i64,
) -> GetEidResultResponse {
    let sel = opts.selection;
    let text = sel.text.then(|| {
        let mut text = detect_info_text(flow, now_ms);
        // eID keeps the identity out of Text: it travels only encrypted, in EidInfo.
        text.id_card = None;
        text.name = None;
        text.ocr_id_card = None;
        text.ocr_name = None;
        for detail in &mut text.liveness_detail {
            detail.idcard = None;
            detail.name = None;
        }
        text
    });
    GetEidResultResponse {
        text,
        id_card_data: sel.id_card.then(|| id_card_data(flow, opts, media)),
        best_frame: sel.best_frame.then(|| best_frame(flow, opts, media)),
        eid_info,
        is_verify_intention: flow.request.intention.is_some(),
        intention_verify_type: intention_type(flow),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_type_parsing() {
        let s = InfoSelection::parse(Some("13"), "0123456").unwrap();
        assert!(s.text && s.best_frame && !s.id_card && !s.video);
        assert_eq!(
            InfoSelection::parse(None, "0123456").unwrap(),
            InfoSelection::all()
        );
        assert!(InfoSelection::parse(Some("7"), "0123456").is_err());
        assert!(InfoSelection::parse(Some("4"), "012356").is_err());
        assert!(InfoSelection::parse(Some(""), "0123456").is_err());
        assert!(InfoSelection::parse(Some("1a"), "0123456").is_err());
    }

    #[test]
    fn every_attempt_video_on_request() {
        use crate::flow::{AttemptOutcome, FlowKind, FlowRequest, FlowSettings};
        let settings = FlowSettings {
            max_attempts: 3,
            sim_threshold: 70.0,
            liveness_mode: 2,
            compare_lib_type: None,
        };
        let mut flow = Flow::new(
            FlowKind::Detect,
            FlowRequest::default(),
            settings,
            0,
            1_000_000,
        );
        flow.start(1).unwrap();
        for (i, code) in [(1, 1005), (2, 0)] {
            let outcome = AttemptOutcome {
                live_status: code,
                compare_status: None,
                sim: None,
                liveness_mode: 2,
                action_sequence: None,
                read_digits: None,
                checks: Vec::new(),
                best_frame: None,
                extra_frames: vec![],
                video: Some(format!("video-{i}")),
            };
            flow.record_attempt(i, format!("seq-{i}"), outcome).unwrap();
        }
        let mut opts = ResultOptions {
            selection: InfoSelection::parse(Some("4"), "01234").unwrap(),
            ..Default::default()
        };
        assert_eq!(opts.media_needed(&flow), vec!["video-2".to_string()]);
        opts.all_videos = true;
        let needed = opts.media_needed(&flow);
        assert!(needed.contains(&"video-1".to_string()) && needed.contains(&"video-2".to_string()));
        let media: MediaMap = [
            ("video-1".to_string(), b"one".to_vec()),
            ("video-2".to_string(), b"two".to_vec()),
        ]
        .into();
        let rendered = serde_json::to_value(detect_info_enhanced(&flow, &opts, &media, 5)).unwrap();
        let videos = rendered["VideoData"]["LivenessVideos"].as_array().unwrap();
        assert_eq!(videos.len(), 2);
        assert_eq!(videos[0]["Seq"], "seq-1");
        assert_eq!(videos[0]["Video"], "b25l");
        assert_eq!(rendered["VideoData"]["LivenessVideo"], "dHdv");
    }

    #[test]
    fn sim_format() {
        assert_eq!(format_sim(92.456), "92.46");
        assert_eq!(format_sim(101.0), "100.00");
        assert_eq!(format_sim(-3.0), "0.00");
    }
}
