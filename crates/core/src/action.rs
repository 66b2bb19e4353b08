//! The actions of faceid 2018-03-01: one enum that dispatch, rate limits, request decryption
//! and the "unsupported" answers all match on, so an action name is spelled in one place.

macro_rules! actions {
    ($($variant:ident,)*) => {
        /// Every action a faceid 2018-03-01 client can name (the 37 of the current SDKs and
        /// the two retired ones older clients still send).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($variant,)* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The wire name, e.g. `DetectAuth`.
            pub fn as_str(self) -> &'static str {
                match self { $(Action::$variant => stringify!($variant),)* }
            }

            /// The action a wire name names; case-sensitive, as API 3.0 is.
            pub fn parse(name: &str) -> Option<Action> {
                match name { $(stringify!($variant) => Some(Action::$variant),)* _ => None }
            }
        }
    };
}

actions! {
    BankCard2EVerification,
    BankCard4EVerification,
    BankCardVerification,
    CheckBankCardInformation,
    CheckEidTokenStatus,
    CheckIdCardInformation,
    CheckIdNameDate,
    CheckPhoneAndName,
    DetectAIFakeFaces,
    DetectAuth,
    EncryptedPhoneVerification,
    GetActionSequence,
    GetDetectInfo,
    GetDetectInfoEnhanced,
    GetEidResult,
    GetEidToken,
    GetFaceIdResult,
    GetFaceIdRiskInfo,
    GetFaceIdToken,
    GetFaceidRiskInfoToken,
    GetLiveCode,
    GetNFCToken,
    GetWeChatBillDetails,
    GetWxNFCResult,
    IdCardOCRVerification,
    IdCardVerification,
    ImageRecognitionV2,
    LivenessCompare,
    LivenessRecognition,
    MinorsVerification,
    MobileNetworkTimeVerification,
    MobileStatus,
    ParseNfcData,
    PhoneVerification,
    PhoneVerificationCMCC,
    PhoneVerificationCTCC,
    PhoneVerificationCUCC,
    Liveness,
    ImageRecognition,
}

const OUTSIDE_REGISTRY: &str = "it needs a registry outside this deployment (banks, mobile carriers or the NFC chip service), which a self-hosted server cannot reach.";
const APP_SDK: &str = "it belongs to Tencent's native app SDK (HuiYan), which heshen does not ship; use DetectAuth with the H5 flow or the mini-program SDK instead.";

impl Action {
    /// Why heshen cannot perform this action, or `None` when it can.
    pub fn unsupported_reason(self) -> Option<&'static str> {
        use Action::*;
        Some(match self {
            BankCard2EVerification
            | BankCard4EVerification
            | BankCardVerification
            | CheckBankCardInformation
            | CheckPhoneAndName
            | EncryptedPhoneVerification
            | MobileNetworkTimeVerification
            | MobileStatus
            | PhoneVerification
            | PhoneVerificationCMCC
            | PhoneVerificationCTCC
            | PhoneVerificationCUCC
            | GetNFCToken
            | GetWxNFCResult
            | ParseNfcData
            | MinorsVerification
            | CheckIdNameDate => OUTSIDE_REGISTRY,
            GetFaceIdToken | GetFaceIdResult | GetFaceIdRiskInfo | GetFaceidRiskInfoToken => {
                APP_SDK
            }
            DetectAIFakeFaces => "detecting AI-generated faces needs a deepfake detector that no package registry ships; heshen has none.",
            _ => return None,
        })
    }

    /// Whether `Name` / `IdCard` may arrive encrypted (an `Encryption` object in the request).
    pub fn decrypts_request(self) -> bool {
        use Action::*;
        matches!(
            self,
            DetectAuth
                | GetEidToken
                | LivenessRecognition
                | ImageRecognitionV2
                | ImageRecognition
                | IdCardVerification
                | IdCardOCRVerification
        )
    }

    /// FaceID's own per-SecretId request rate where it publishes one (requests per second).
    pub fn published_rate_limit(self) -> Option<u32> {
        use Action::*;
        match self {
            DetectAuth | GetDetectInfoEnhanced | GetEidToken | GetEidResult => Some(100),
            _ => None,
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        assert_eq!(Action::ALL.len(), 39);
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(*action));
        }
        assert_eq!(Action::parse("detectauth"), None);
        assert_eq!(Action::parse(""), None);
    }

    #[test]
    fn supported_and_unsupported_are_told_apart() {
        assert!(Action::DetectAuth.unsupported_reason().is_none());
        assert!(Action::BankCardVerification.unsupported_reason().is_some());
        assert!(Action::GetFaceIdToken.unsupported_reason().is_some());
    }
}
