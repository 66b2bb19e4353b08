//! Actions of faceid 2018-03-01 that heshen cannot perform, and why.

const OUTSIDE_REGISTRY: &str = "it needs a registry outside this deployment (banks, mobile carriers or the NFC chip service), which a self-hosted server cannot reach.";
const APP_SDK: &str = "it belongs to Tencent's native app SDK (HuiYan), which heshen does not ship; use DetectAuth with the H5 flow or the mini-program SDK instead.";

pub fn reason(action: &str) -> Option<&'static str> {
    Some(match action {
        "BankCard2EVerification" | "BankCard4EVerification" | "BankCardVerification"
        | "CheckBankCardInformation" | "CheckPhoneAndName" | "EncryptedPhoneVerification"
        | "MobileNetworkTimeVerification" | "MobileStatus" | "PhoneVerification"
        | "PhoneVerificationCMCC" | "PhoneVerificationCTCC" | "PhoneVerificationCUCC"
        | "GetNFCToken" | "GetWxNFCResult" | "ParseNfcData" | "MinorsVerification"
        | "CheckIdNameDate" => OUTSIDE_REGISTRY,
        "GetFaceIdToken" | "GetFaceIdResult" | "GetFaceIdRiskInfo" | "GetFaceidRiskInfoToken" => APP_SDK,
        "DetectAIFakeFaces" => "detecting AI-generated faces needs a deepfake detector that no package registry ships; heshen has none.",
        _ => return None,
    })
}
