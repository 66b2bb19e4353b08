//! Flow tokens: unguessable, single-flow identifiers handed to integrators.

use rand::RngCore;
use std::fmt;

fn random_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let h = hex::encode_upper(bytes);
    // 128 random bits in the 8-4-4-4-12 shape FaceID's tokens have; unlike a UUIDv4
    // no bits are spent on version markers.
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn is_token_shape(raw: &str) -> bool {
    let b = raw.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'A'..=b'F').contains(c),
        })
}

macro_rules! token_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> Self {
                Self(random_token())
            }

            /// Accepts only the exact shape heshen issues, so junk never reaches the database.
            pub fn parse(raw: &str) -> Option<Self> {
                is_token_shape(raw).then(|| Self(raw.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

token_type!(
    /// Identifies one DetectAuth flow.
    BizToken
);
token_type!(
    /// Identifies one eID (GetEidToken) flow.
    EidToken
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_and_differ() {
        let a = BizToken::generate();
        let b = BizToken::generate();
        assert_ne!(a, b);
        assert_eq!(BizToken::parse(a.as_str()), Some(a));
    }

    #[test]
    fn rejects_other_shapes() {
        assert!(BizToken::parse("").is_none());
        assert!(BizToken::parse("66d83d05-7946-4fa8-9321-c7166d4eabd0").is_none());
        assert!(EidToken::parse("66D83D05-7946-4FA8-9321-C7166D4EABD0").is_some());
        assert!(EidToken::parse("66D83D05x7946-4FA8-9321-C7166D4EABD0").is_none());
    }
}
