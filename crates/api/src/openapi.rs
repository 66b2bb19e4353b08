//! The gateway's OpenAPI 3.1 document, built from the typed protocol (`heshen_core::protocol`)
//! so that it cannot drift from what the server reads and writes.
//!
//! API 3.0 has one endpoint: every action is a `POST /` told apart by the `X-TC-Action`
//! header. OpenAPI keys operations by path, so each action is keyed `/#X-TC-Action=<Action>`
//! (the convention APIs.guru uses for header-dispatched APIs); the fragment never reaches
//! the server. Answers always come with HTTP 200 inside `{"Response": …}`, an error as
//! `Response.Error`.

use heshen_core::protocol::*;
use heshen_core::Action;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    RefOr, Required, ResponseBuilder, ServerBuilder,
};
use utoipa::{PartialSchema, ToSchema};

/// One action of the document: its request and response types and where it belongs.
struct Operation {
    action: Action,
    tag: &'static str,
    summary: &'static str,
    request: &'static str,
    response: &'static str,
}

type Schemas = Vec<(String, RefOr<Schema>)>;

fn collect<T: ToSchema>(schemas: &mut Schemas) -> &'static str {
    let name = T::name();
    schemas.push((name.to_string(), T::schema()));
    T::schemas(schemas);
    // Names of the wire types are their type names, which live as long as the program.
    match name {
        std::borrow::Cow::Borrowed(name) => name,
        std::borrow::Cow::Owned(name) => Box::leak(name.into_boxed_str()),
    }
}

macro_rules! operations {
    ($schemas:ident; $($action:ident: $req:ty => $resp:ty, $tag:expr, $summary:literal;)*) => {
        vec![$(Operation {
            action: Action::$action,
            tag: $tag,
            summary: $summary,
            request: collect::<$req>($schemas),
            response: collect::<$resp>($schemas),
        },)*]
    };
}

const FLOW: &str = "Verification flow";
const EID: &str = "eID";
const LIVENESS: &str = "Liveness and comparison";
const IDENTITY: &str = "Identity and ID-card OCR";
const BILLS: &str = "Bills";

fn operations(schemas: &mut Schemas) -> Vec<Operation> {
    operations! { schemas;
        DetectAuth: DetectAuthRequest => DetectAuthResponse, FLOW,
            "Start a verification flow for a RuleId; the person opens the returned Url.";
        GetDetectInfoEnhanced: GetDetectInfoEnhancedRequest => GetDetectInfoEnhancedResponse, FLOW,
            "The result of a DetectAuth flow, kept 3 days.";
        GetDetectInfo: GetDetectInfoRequest => GetDetectInfoResponse, FLOW,
            "The retired form of GetDetectInfoEnhanced: the result as one JSON string.";
        GetEidToken: GetEidTokenRequest => GetEidTokenResponse, EID,
            "Start an eID flow for a MerchantId.";
        GetEidResult: GetEidResultRequest => GetEidResultResponse, EID,
            "The result of an eID flow, the identity sealed for the merchant in EidInfo.";
        CheckEidTokenStatus: CheckEidTokenStatusRequest => CheckEidTokenStatusResponse, EID,
            "Where an eID flow is: init, doing, finished or timeout.";
        GetActionSequence: GetActionSequenceRequest => GetActionSequenceResponse, LIVENESS,
            "A random order of liveness actions to prompt.";
        GetLiveCode: GetLiveCodeRequest => GetLiveCodeResponse, LIVENESS,
            "Four random digits to read aloud.";
        LivenessCompare: LivenessCompareRequest => LivenessResponse, LIVENESS,
            "Liveness on a video, then comparison with the photo sent beside it.";
        LivenessRecognition: LivenessRecognitionRequest => LivenessResponse, LIVENESS,
            "Liveness on a video, then comparison with the authority's photo of IdCard + Name.";
        Liveness: LivenessRequest => LivenessResponse, LIVENESS,
            "Retired: liveness only.";
        ImageRecognitionV2: ImageRecognitionV2Request => ImageRecognitionResponse, LIVENESS,
            "Compare a photo with the authority's photo of IdCard + Name.";
        ImageRecognition: ImageRecognitionRequest => ImageRecognitionResponse, LIVENESS,
            "Retired form of ImageRecognitionV2.";
        IdCardVerification: IdCardVerificationRequest => IdCardVerificationResponse, IDENTITY,
            "Whether a name and an ID number belong together.";
        CheckIdCardInformation: CheckIdCardInformationRequest => CheckIdCardInformationResponse, IDENTITY,
            "OCR of an ID card's portrait side, then the identity check.";
        IdCardOCRVerification: IdCardOCRVerificationRequest => IdCardOCRVerificationResponse, IDENTITY,
            "The identity check, with the identity given or read from the card.";
        GetWeChatBillDetails: GetWeChatBillDetailsRequest => GetWeChatBillDetailsResponse, BILLS,
            "One day's charges, page by page.";
    }
}

fn header(name: &str, required: bool, description: &str, values: Option<&str>) -> ParameterBuilder {
    let mut schema = ObjectBuilder::new().schema_type(Type::String);
    if let Some(value) = values {
        schema = schema.enum_values(Some([value]));
    }
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .description(Some(description))
        .schema(Some(schema))
}

/// `{"Response": <answer> + RequestId}` or `{"Response": {"Error": …, "RequestId"}}`.
fn envelope(answer: &str) -> Schema {
    let request_id = ObjectBuilder::new()
        .property("RequestId", String::schema())
        .required("RequestId");
    let success = AllOfBuilder::new()
        .item(Ref::from_schema_name(answer))
        .item(request_id);
    let inner = OneOfBuilder::new()
        .item(success)
        .item(Ref::from_schema_name("ErrorResponse"));
    ObjectBuilder::new()
        .property("Response", inner)
        .required("Response")
        .into()
}

fn error_response() -> Schema {
    let error = ObjectBuilder::new()
        .property(
            "Code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "A FaceID error code, e.g. `InvalidParameterValue.BizTokenExpired`.",
                )),
        )
        .property("Message", String::schema())
        .required("Code")
        .required("Message");
    ObjectBuilder::new()
        .property("Error", error)
        .property("RequestId", String::schema())
        .required("Error")
        .required("RequestId")
        .into()
}

/// The document for a server whose API is reached at `public_url`.
pub fn document(public_url: &str) -> OpenApi {
    let mut schemas = Schemas::new();
    let operations = operations(&mut schemas);
    let mut paths = PathsBuilder::new();
    for op in &operations {
        let name = op.action.as_str();
        let operation = OperationBuilder::new()
            .operation_id(Some(name))
            .tag(op.tag)
            .summary(Some(op.summary))
            .parameter(header("X-TC-Action", true, "The action.", Some(name)))
            .parameter(header(
                "X-TC-Version",
                true,
                "The API version.",
                Some("2018-03-01"),
            ))
            .parameter(header(
                "X-TC-Timestamp",
                true,
                "Unix seconds; refused when more than 5 minutes from the server's clock.",
                None,
            ))
            .parameter(header("X-TC-Region", false, "Accepted and ignored.", None))
            .parameter(header("X-TC-Token", false, "Accepted and ignored.", None))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name(op.request)))
                            .build(),
                    )
                    .build(),
            ))
            .response(
                "200",
                ResponseBuilder::new()
                    .description("The answer or the error, always with HTTP 200.")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(envelope(op.response)))
                            .build(),
                    )
                    .build(),
            );
        paths = paths.path(
            format!("/#X-TC-Action={name}"),
            PathItem::new(HttpMethod::Post, operation),
        );
    }
    schemas.sort_by(|a, b| a.0.cmp(&b.0));
    schemas.dedup_by(|a, b| a.0 == b.0);
    let tc3 = SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
        "Authorization",
        "TC3-HMAC-SHA256 signature: `TC3-HMAC-SHA256 Credential=<SecretId>/<date>/faceid/tc3_request, SignedHeaders=…, Signature=…`. The legacy HmacSHA1/HmacSHA256 signature in form fields is also accepted.",
    )));
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .schema("ErrorResponse", error_response())
        .security_scheme("TC3", tc3)
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("heshen: FaceID API 3.0 (faceid 2018-03-01)")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The Tencent Cloud FaceID actions heshen serves. Every action is `POST /` with the action named in `X-TC-Action`; paths carry it after `#` only to tell operations apart.",
                ))
                .build(),
        )
        .servers(Some([ServerBuilder::new().url(public_url).build()]))
        .paths(paths.build())
        .components(Some(components))
        .security(Some([SecurityRequirement::new("TC3", Vec::<String>::new())]))
        .build()
}

/// The actions the document describes: every action heshen performs.
pub fn documented_actions() -> Vec<Action> {
    operations(&mut Schemas::new())
        .into_iter()
        .map(|op| op.action)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn every_performed_action_is_documented_once() {
        let documented = documented_actions();
        for action in Action::ALL {
            let performed = action.unsupported_reason().is_none();
            let count = documented.iter().filter(|a| *a == action).count();
            assert_eq!(count, usize::from(performed), "{action:?}");
        }
    }

    #[test]
    fn request_schemas_list_exactly_the_fields_the_server_accepts() {
        let doc = serde_json::to_value(document("https://faceid.example")).unwrap();
        let schemas = &doc["components"]["schemas"];
        let fields = |name: &str| -> Vec<String> {
            let mut names: Vec<String> = schemas[name]["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            names.sort();
            names
        };
        let sorted = |list: &[&str]| {
            let mut list: Vec<String> = list.iter().map(|s| s.to_string()).collect();
            list.sort();
            list
        };
        assert_eq!(
            fields("DetectAuthRequest"),
            sorted(fields_of::<DetectAuthRequest>())
        );
        assert_eq!(
            fields("LivenessRecognitionRequest"),
            sorted(fields_of::<LivenessRecognitionRequest>())
        );
        assert_eq!(
            fields("DetectInfoText"),
            sorted(fields_of::<DetectInfoText>())
        );
        let path = &doc["paths"]["/#X-TC-Action=GetDetectInfoEnhanced"]["post"];
        assert_eq!(path["operationId"], "GetDetectInfoEnhanced");
        assert_eq!(
            path["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/GetDetectInfoEnhancedRequest"
        );
        // Every $ref resolves.
        let text = doc.to_string();
        for part in text.split("\"#/components/schemas/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(schemas.get(name).is_some_and(|s| !s.is_null()), "{name}");
        }
        assert_eq!(doc["openapi"], Value::from("3.1.0"));
    }
}
