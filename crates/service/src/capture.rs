//! Capturing who is being verified on a page: reading both sides of the ID card by OCR, and
//! the person confirming (or, where the rule allows, correcting or typing) name and number.

use crate::error::{ServiceError, ServiceResult};
use crate::flows;
use crate::state::AppState;
use heshen_core::flow::{CardReading, IdInfoFrom, Identity, OcrFields};
use heshen_core::rule::{IdentitySource, RuleConfig};
use heshen_core::{IdCardNumber, PersonName};
use heshen_vision::image_input::encode_jpeg;
use heshen_vision::ocr::{decode_image, CardSide, IdCardReading, OcrError};

/// Media names of the card images under the token.
pub const CARD_FRONT: &str = "card-front";
pub const CARD_BACK: &str = "card-back";
pub const CARD_AVATAR: &str = "card-avatar";

/// Why a card image gave nothing usable; the page asks for another picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardProblem {
    Unreadable,
    NoCard,
    WrongSide,
    FieldsUnreadable,
}

struct Read {
    reading: IdCardReading,
    portrait: Option<Vec<u8>>,
}

/// Reads one side of the card, stores the image under the token and keeps the fields as the
/// flow's draft. The draft's fields are what [`confirm`] compares the confirmed identity with.
pub async fn read_card(
    state: &AppState,
    token: &str,
    side: CardSide,
    image: Vec<u8>,
) -> ServiceResult<Result<CardReading, CardProblem>> {
    let vision = state.require_vision()?;
    let bytes = image.clone();
    let result = vision
        .run_ocr(move |_, reader| {
            let decoded = decode_image(&bytes)?;
            let reading = reader.read(&decoded, Some(side))?;
            let portrait = match &reading.portrait {
                Some(p) => Some(encode_jpeg(p, 90)?),
                None => None,
            };
            Ok(Read { reading, portrait })
        })
        .await;
    let read = match result {
        Ok(read) => read,
        Err(OcrError::Engine(e)) if e.is_engine_fault() => {
            return Err(ServiceError::VisionFault(e.to_string()))
        }
        Err(OcrError::ImageDecode(_) | OcrError::EmptyImage | OcrError::Engine(_)) => {
            return Ok(Err(CardProblem::Unreadable))
        }
        Err(OcrError::NoIdCard) => return Ok(Err(CardProblem::NoCard)),
        Err(OcrError::WrongSide { .. }) => return Ok(Err(CardProblem::WrongSide)),
        Err(OcrError::FieldsUnreadable(_)) => return Ok(Err(CardProblem::FieldsUnreadable)),
    };
    let front = side == CardSide::Front;
    flows::put_media(
        state,
        token,
        if front { CARD_FRONT } else { CARD_BACK },
        image,
    )
    .await?;
    if let Some(portrait) = read.portrait.filter(|_| front) {
        flows::put_media(state, token, CARD_AVATAR, portrait).await?;
    }
    let r = read.reading;
    let some = |s: String| (!s.trim().is_empty()).then_some(s);
    let (draft, _) = flows::update(state, token, flows::ANY_KIND, |flow, _now| {
        let mut draft = flow.card_reading.clone().unwrap_or_default();
        if front {
            draft.fields.name = some(r.name.clone());
            draft.fields.gender = some(r.sex.clone());
            draft.fields.nation = some(r.nation.clone());
            draft.fields.birth = some(r.birth.clone());
            draft.fields.address = some(r.address.clone());
            draft.fields.id_card = some(r.id_num.clone());
            draft.front_warnings = r.warnings.clone();
            draft.front_read = true;
            flow.media.ocr_front = Some(CARD_FRONT.into());
            if r.portrait.is_some() {
                flow.media.avatar = Some(CARD_AVATAR.into());
            }
        } else {
            draft.fields.authority = some(r.authority.clone());
            draft.fields.valid_date = some(r.valid_date.clone());
            draft.back_warnings = r.warnings.clone();
            draft.back_read = true;
            flow.media.ocr_back = Some(CARD_BACK.into());
        }
        flow.card_reading = Some(draft.clone());
        Ok(draft)
    })
    .await?;
    Ok(Ok(draft))
}

/// Why a confirmed identity was not taken; the page says so and lets the person fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityRefusal {
    BadName,
    BadIdCard,
    /// The rule reads the card: both sides must be read first.
    CardRequired,
    /// The rule does not let the person change what OCR read.
    NotEditable,
    /// Not the person the integrator named in DetectAuth (result code 301).
    NotThePersonNamed,
}

/// Which identity a flow still needs from the person: none when DetectAuth named them.
pub fn needs_identity(rule: &RuleConfig, request_has_identity: bool) -> bool {
    match rule.identity_source {
        IdentitySource::Api => false,
        IdentitySource::ApiOrOcr => !request_has_identity,
        IdentitySource::Ocr | IdentitySource::Manual => true,
    }
}

/// Takes the name and number the person confirmed.
pub async fn confirm(
    state: &AppState,
    token: &str,
    rule: &RuleConfig,
    name: &str,
    id_card: &str,
) -> ServiceResult<Result<(), IdentityRefusal>> {
    let Ok(name) = PersonName::parse(name) else {
        return Ok(Err(IdentityRefusal::BadName));
    };
    let Ok(id_card) = IdCardNumber::parse(id_card) else {
        return Ok(Err(IdentityRefusal::BadIdCard));
    };
    let stored = flows::load(state, token, flows::ANY_KIND)
        .await?
        .ok_or(ServiceError::FlowNotFound)?;
    let flow = &stored.flow;
    let reading = flow.card_reading.clone().filter(|r| r.front_read);
    let both_sides = reading
        .as_ref()
        .is_some_and(|r| r.front_read && r.back_read);
    if rule.identity_source == IdentitySource::Ocr && !both_sides {
        return Ok(Err(IdentityRefusal::CardRequired));
    }
    let as_read = reading.as_ref().is_some_and(|r| {
        r.fields.name.as_deref() == Some(name.as_str())
            && r.fields.id_card.as_deref() == Some(id_card.as_str())
    });
    if reading.is_some() && !as_read && !rule.ocr_editable {
        return Ok(Err(IdentityRefusal::NotEditable));
    }
    let named = flow
        .request
        .id_card
        .as_deref()
        .zip(flow.request.name.as_deref());
    if let Some((expected_id, expected_name)) = named {
        if expected_id != id_card.as_str() || expected_name != name.as_str() {
            return Ok(Err(IdentityRefusal::NotThePersonNamed));
        }
    }
    let (source, ocr, front_warnings, back_warnings) = match reading {
        Some(r) => (
            if as_read {
                IdInfoFrom::Ocr
            } else {
                IdInfoFrom::Manual
            },
            Some(r.fields),
            r.front_warnings,
            r.back_warnings,
        ),
        None => (
            IdInfoFrom::Manual,
            None::<OcrFields>,
            Vec::new(),
            Vec::new(),
        ),
    };
    let identity = Identity {
        id_card: id_card.as_str().to_string(),
        name: name.as_str().to_string(),
        source,
        ocr,
        front_warnings,
        back_warnings,
    };
    flows::update(state, token, flows::ANY_KIND, |flow, now| {
        flow.set_identity(now, identity.clone())
    })
    .await?;
    Ok(Ok(()))
}
