//! Typed request and response bodies of faceid 2018-03-01, shared by the server (which renders
//! its answers through them) and the Rust SDK (which sends and reads them). Field names are
//! FaceID's (PascalCase on the wire); optional request fields are left out when `None`.
//!
//! The server still reads requests through its strict field reader (`heshen_api::params`),
//! because form-encoded (GET and v1) requests carry every value as text; these request types
//! are what a JSON client sends.

use serde::{Deserialize, Serialize};
use serde_json::Value;

macro_rules! wire {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    ImageRecognitionRequest {
        id_card: String,
        name: String,
        image_base64: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        optional: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        encryption: Option<Value>,
        /// ImageRecognitionV2 only.
        #[serde(skip_serializing_if = "Option::is_none")]
        extra: Option<String>,
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
    /// LivenessCompare, LivenessRecognition and the retired Liveness.
    LivenessRequest {
        #[serde(skip_serializing_if = "Option::is_none")]
        id_card: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        liveness_type: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        validate_data: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        optional: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        image_base64: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        video_base64: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        video_url: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        encryption: Option<Value>,
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
        we_chat_bill_details: Vec<Value>,
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
}
