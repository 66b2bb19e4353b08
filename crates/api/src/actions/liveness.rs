//! Challenges for the API-level liveness actions (LivenessCompare, LivenessRecognition).

use crate::params::Params;
use heshen_core::protocol::{fields_of, GetActionSequenceRequest, GetLiveCodeRequest};
use heshen_core::protocol::{GetActionSequenceResponse, GetLiveCodeResponse};
use heshen_core::ApiError;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::Value;

/// FaceID numbering for GetActionSequence: 1 open mouth, 2 close eyes.
const ACTIONS: [&str; 2] = ["1", "2"];

pub fn get_action_sequence(params: &Params) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<GetActionSequenceRequest>())?;
    params.opt_bounded("ActionType", 32)?;
    let mut actions = ACTIONS;
    actions.shuffle(&mut rand::rngs::OsRng);
    super::answer(GetActionSequenceResponse {
        action_sequence: actions.join(","),
    })
}

pub fn get_live_code(params: &Params) -> Result<Value, ApiError> {
    params.allow_only(fields_of::<GetLiveCodeRequest>())?;
    let code: String = (0..4)
        .map(|_| char::from(b'0' + rand::rngs::OsRng.gen_range(0..10u8)))
        .collect();
    super::answer(GetLiveCodeResponse { live_code: code })
}
