//! Typed request and response bodies of faceid 2018-03-01, shared by the server (which renders
//! its answers through them) and the Rust SDK (which sends and reads them). Field names are
//! FaceID's (PascalCase on the wire); optional request fields are left out when `None`.
//!
//! The server reads field values through its strict reader (`heshen_api::params`), because
//! form-encoded (GET and v1) requests carry every value as text; the names it accepts for an
//! action are its request type's ([`fields_of`]). The OpenAPI document is derived from these
//! types too (feature `openapi`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The wire names of a request or response type's fields, in declaration order: the list of
/// parameters the server accepts for an action is its request type's.
pub fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut recorder = FieldRecorder(&[]);
    // The recorder refuses every struct after noting its fields, so the error is expected.
    let _ = T::deserialize(&mut recorder);
    recorder.0
}

struct FieldRecorder(&'static [&'static str]);

impl<'de> serde::Deserializer<'de> for &mut FieldRecorder {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = fields;
        Err(serde::de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

macro_rules! wire {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "PascalCase")]
        pub struct $name { $($(#[$fmeta])* pub $field: $ty,)* }
    };
}

wire!(
    /// DetectAuth: start a verification flow.
    DetectAuthRequest {
        rule_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        terminal_type: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        id_card: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        redirect_url: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        extra: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        image_base64: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        encryption: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        intention_verify_text: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        intention_questions: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        intention_actions: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        config: Option<Value>,
    }
);

wire!(DetectAuthResponse {
    url: String,
    biz_token: String
});

wire!(
    /// GetDetectInfoEnhanced: the result of a DetectAuth flow.
    GetDetectInfoEnhancedRequest {
        biz_token: String,
        rule_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        info_type: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        best_frames_count: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        is_cut_id_card_image: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        is_need_id_card_avatar: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        is_encrypt: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        encryption: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        is_encrypt_response: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        is_return_all_video: Option<bool>,
    }
);

wire!(
    /// GetEidToken: start an eID flow.
    GetEidTokenRequest {
        merchant_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id_card: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        extra: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        config: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        redirect_url: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        encryption: Option<Value>,
    }
);

wire!(GetEidTokenResponse {
    eid_token: String,
    url: String
});

wire!(
    GetEidResultRequest {
        eid_token: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        info_type: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        best_frames_count: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        is_cut_id_card_image: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        is_need_id_card_avatar: Option<bool>,
    }
);

wire!(CheckEidTokenStatusRequest { eid_token: String });
wire!(
    /// `init`, `doing`, `finished` or `timeout`.
    CheckEidTokenStatusResponse { status: String }
);

wire!(
    GetActionSequenceRequest {
        #[serde(skip_serializing_if = "Option::is_none")]
        action_type: Option<String>,
    }
);
wire!(GetActionSequenceResponse {
    action_sequence: String
});

wire!(GetLiveCodeRequest {});
wire!(GetLiveCodeResponse { live_code: String });

wire!(
    IdCardVerificationRequest {
        id_card: String,
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        encryption: Option<Value>,
    }
);
wire!(
    /// `Result` "0" when name and ID number belong together; "-1" to "-5" otherwise.
    IdCardVerificationResponse { result: String, description: String }
);

wire!(
    ImageRecognitionV2Request {
        id_card: String,
        name: String,
        image_base64: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        optional: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        encryption: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        extra: Option<String>,
    }
);
wire!(
    /// The retired ImageRecognition: ImageRecognitionV2 without `Extra`.
    ImageRecognitionRequest {
        id_card: String,
        name: String,
        image_base64: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        optional: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        encryption: Option<Value>,
    }
);
wire!(
    /// ImageRecognitionV2 (with `Extra`) and the retired ImageRecognition (without).
    ImageRecognitionResponse {
        sim: f64,
        result: String,
        description: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        extra: Option<String>,
    }
);

wire!(
    /// LivenessCompare: liveness on a video, then comparison with the photo sent beside it.
    LivenessCompareRequest {
        liveness_type: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        image_base64: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        validate_data: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        optional: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        video_base64: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        video_url: Option<String>,
    }
);
wire!(
    /// LivenessRecognition: liveness on a video, then comparison with the authority's photo.
    LivenessRecognitionRequest {
        id_card: String,
        name: String,
        liveness_type: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        video_base64: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        video_url: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        validate_data: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        optional: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        encryption: Option<Value>,
    }
);
wire!(
    /// The retired Liveness: liveness only.
    LivenessRequest {
        video_base64: String,
        liveness_type: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        validate_data: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        optional: Option<String>,
    }
);
wire!(
    LivenessResponse {
        best_frame_base64: Option<String>,
        /// Absent from the retired Liveness action.
        #[serde(skip_serializing_if = "Option::is_none")]
        sim: Option<f64>,
        result: String,
        description: String,
        best_frame_list: Option<Vec<String>>,
    }
);

wire!(
    GetWeChatBillDetailsRequest {
        date: String,
        cursor: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        rule_id: Option<String>,
    }
);
wire!(
    GetWeChatBillDetailsResponse {
        has_next_page: bool,
        next_cursor: u64,
        we_chat_bill_details: Vec<WeChatBillDetail>,
    }
);

wire!(
    CheckIdCardInformationRequest {
        #[serde(skip_serializing_if = "Option::is_none")]
        image_base64: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        /// Warning switches, a JSON object as text: `{"CopyWarn":true,…}`.
        #[serde(skip_serializing_if = "Option::is_none")]
        config: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        is_encrypt: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        is_encrypt_response: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        encryption: Option<Value>,
    }
);

wire!(
    IdCardOCRVerificationRequest {
        #[serde(skip_serializing_if = "Option::is_none")]
        id_card: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        image_base64: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        encryption: Option<Value>,
        /// Warning switches, a JSON object as text.
        #[serde(skip_serializing_if = "Option::is_none")]
        config: Option<String>,
    }
);

wire!(
    /// CheckIdCardInformation: OCR of the portrait side, then comparison with the authority.
    CheckIdCardInformationResponse {
        sim: f64,
        result: String,
        description: String,
        name: String,
        sex: String,
        nation: String,
        birth: String,
        address: String,
        id_num: String,
        portrait: String,
        warnings: String,
        quality: f64,
        encryption: Option<Value>,
        encrypted_body: String,
    }
);

wire!(
    /// IdCardOCRVerification: name + ID number from the fields or read from the card. The card
    /// fields are null when the identity came in the request.
    IdCardOCRVerificationResponse {
        result: String,
        description: String,
        name: String,
        id_card: String,
        sex: Option<String>,
        nation: Option<String>,
        birth: Option<String>,
        address: Option<String>,
        portrait: String,
        warnings: String,
        quality: f64,
    }
);

wire!(
    /// The result of a DetectAuth flow. Every part is null unless `InfoType` asked for it.
    GetDetectInfoEnhancedResponse {
        text: Option<DetectInfoText>,
        id_card_data: Option<DetectInfoIdCardData>,
        best_frame: Option<DetectInfoBestFrame>,
        video_data: Option<DetectInfoVideoData>,
        encryption: Option<Encryption>,
        intention_verify_data: Option<Value>,
        intention_question_result: Option<Value>,
        intention_action_result: Option<Value>,
        /// The whole answer sealed, when `IsEncryptResponse` asked for it.
        encrypted_body: Option<String>,
        is_verify_intention: bool,
        /// "0" question and answer, "1" actions, "2" read aloud; empty without intention.
        intention_verify_type: String,
    }
);

wire!(
    /// The text of a result: the verdict, the identity, what OCR read, and every attempt.
    DetectInfoText {
        err_code: i64,
        err_msg: String,
        id_card: Option<String>,
        /// 0 mainland ID card, 1 Hong Kong / Macao / Taiwan residence permit, 2 other.
        #[serde(rename = "UseIDType")]
        use_id_type: Option<u64>,
        name: Option<String>,
        ocr_nation: Option<String>,
        ocr_address: Option<String>,
        ocr_birth: Option<String>,
        ocr_authority: Option<String>,
        ocr_valid_date: Option<String>,
        ocr_name: Option<String>,
        ocr_id_card: Option<String>,
        ocr_gender: Option<String>,
        id_info_from: Option<String>,
        live_status: Option<i64>,
        live_msg: Option<String>,
        comparestatus: Option<i64>,
        comparemsg: Option<String>,
        /// Two decimals, as text.
        sim: Option<String>,
        location: Option<String>,
        extra: Option<String>,
        liveness_detail: Vec<DetectDetail>,
        liveness_info_tag: Option<Vec<String>>,
        mobile: Option<String>,
        compare_lib_type: Option<String>,
        liveness_mode: Option<u64>,
        #[serde(rename = "NFCRequestIds")]
        nfc_request_ids: Option<Vec<String>>,
        #[serde(rename = "NFCBillingCounts")]
        nfc_billing_counts: Option<u64>,
        pass_no: Option<String>,
        visa_num: Option<String>,
        liveness_action_sequence: Option<String>,
    }
);

wire!(
    /// One liveness + comparison attempt of a flow.
    DetectDetail {
        req_time: String,
        seq: String,
        idcard: Option<String>,
        name: Option<String>,
        sim: Option<String>,
        is_need_charge: bool,
        errcode: i64,
        errmsg: String,
        livestatus: i64,
        livemsg: String,
        comparestatus: Option<i64>,
        comparemsg: Option<String>,
        compare_lib_type: Option<String>,
        liveness_mode: u64,
    }
);

wire!(
    /// ID-card images, base64.
    DetectInfoIdCardData {
        ocr_front: Option<String>,
        ocr_back: Option<String>,
        processed_front_image: Option<String>,
        processed_back_image: Option<String>,
        avatar: Option<String>,
        warn_infos: Option<Vec<i64>>,
        back_warn_infos: Option<Vec<i64>>,
    }
);

wire!(
    /// The best frame of the final attempt and, on request, more frames.
    DetectInfoBestFrame {
        best_frame: Option<String>,
        best_frames: Option<Vec<String>>,
    }
);

wire!(
    DetectInfoVideoData {
        liveness_video: Option<String>,
        /// Every attempt's video, when `IsReturnAllVideo` asked for them.
        liveness_videos: Option<Vec<VideoDetail>>,
    }
);

wire!(VideoDetail {
    seq: String,
    video: Option<String>
});

wire!(
    /// How the encrypted parts of an answer were sealed: the data key wrapped under the
    /// app's key, and which fields it sealed.
    Encryption {
        encrypt_list: Vec<String>,
        ciphertext_blob: String,
        iv: String,
        algorithm: String,
        tag_list: Option<Vec<String>>,
    }
);

wire!(GetDetectInfoRequest {
    biz_token: String,
    rule_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    info_type: Option<String>,
});

wire!(
    /// The retired GetDetectInfo: the result as one JSON document, serialised into a string.
    GetDetectInfoResponse { detect_info: String }
);

wire!(
    /// The result of an eID flow. The identity travels only in `EidInfo`, sealed for the merchant.
    GetEidResultResponse {
        text: Option<DetectInfoText>,
        id_card_data: Option<DetectInfoIdCardData>,
        best_frame: Option<DetectInfoBestFrame>,
        eid_info: Option<EidInfo>,
        intention_verify_data: Option<Value>,
        intention_question_result: Option<Value>,
        intention_action_result: Option<Value>,
        is_verify_intention: bool,
        intention_verify_type: String,
    }
);

wire!(
    /// The verified identity of an eID flow, for its merchant.
    EidInfo {
        eid_code: String,
        eid_sign: String,
        des_key: String,
        user_info: String,
    }
);

wire!(
    /// One flow's charges in GetWeChatBillDetails.
    WeChatBillDetail {
        biz_token: String,
        charge_count: u64,
        charge_details: Vec<ChargeDetail>,
        rule_id: String,
    }
);

wire!(
    /// One attempt's charge. Identity numbers and names are masked.
    ChargeDetail {
        req_time: String,
        seq: String,
        id_card: String,
        idcard: String,
        name: String,
        sim: String,
        is_need_charge: bool,
        /// 核身 (with a comparison) or 比对.
        charge_type: String,
        error_code: String,
        error_message: String,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_faceids() {
        let request = DetectAuthRequest {
            rule_id: "1".into(),
            redirect_url: Some("https://example.com".into()),
            image_base64: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"RuleId": "1", "RedirectUrl": "https://example.com", "ImageBase64": "x"})
        );
        let bills: GetWeChatBillDetailsResponse = serde_json::from_value(
            serde_json::json!({"HasNextPage": false, "NextCursor": 7, "WeChatBillDetails": []}),
        )
        .unwrap();
        assert_eq!(bills.next_cursor, 7);
        let live = LivenessResponse {
            result: "Success".into(),
            ..Default::default()
        };
        let shown = serde_json::to_value(&live).unwrap();
        assert_eq!(shown["BestFrameBase64"], Value::Null);
        assert!(shown.get("Sim").is_none());
    }

    #[test]
    fn field_lists_are_the_wire_names() {
        assert_eq!(
            fields_of::<GetDetectInfoRequest>(),
            ["BizToken", "RuleId", "InfoType"]
        );
        assert_eq!(fields_of::<GetLiveCodeRequest>(), [] as [&str; 0]);
        assert!(fields_of::<DetectInfoText>().contains(&"UseIDType"));
        assert!(fields_of::<DetectInfoText>().contains(&"NFCRequestIds"));
    }
}
