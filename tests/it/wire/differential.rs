//! The decoder agrees with prost on every input: arbitrary bytes, and
//! mutations of valid encodings (bit flips, truncations, insertions, varint
//! widening, field duplication, unknown fields of every wire type including
//! groups). The oracle is `support/differential.rs`, shared with the
//! `differential` fuzz target.

use crate::support::differential;

use std::time::Duration;

use auth_error::{AuthError, AuthErrorCode};
use proptest::prelude::*;

/// A valid encoding: an error with some metadata and extra details.
fn valid_details() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(AuthErrorCode::ALL[1..].to_vec()),
        "[a-zé ]{0,12}",
        prop::collection::btree_map("[a-z][a-zA-Z]{0,6}", "[a-z0-9é]{0,6}", 0..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(code, message, metadata, retry, other_domain)| {
            let mut err = AuthError::new(code).with_message(message);
            for (k, v) in metadata {
                err = err.with_metadata(k, v);
            }
            if retry {
                err = err.with_retry_after(Duration::from_millis(1500));
            }
            if other_domain {
                err = err.add_detail(prost_types::Any {
                    type_url: "type.googleapis.com/google.rpc.ErrorInfo".into(),
                    value: vec![0x0a, 0x01, b'X', 0x12, 0x01, b'y'],
                });
            }
            let status: tonic::Status = err.into();
            status.details().to_vec()
        })
}

/// One field of any wire type, including a (possibly nested) group, and the
/// invalid ones (a lone end-group, wire types 6 and 7).
fn unknown_field() -> impl Strategy<Value = Vec<u8>> {
    (
        4u8..15,
        0u8..8,
        prop::collection::vec(any::<u8>(), 0..6),
        0usize..3,
    )
        .prop_map(|(number, wire_type, payload, nesting)| {
            field(number, wire_type, payload, nesting)
        })
}

/// One well-formed unknown field: what a newer peer may send.
fn valid_unknown_field() -> impl Strategy<Value = Vec<u8>> {
    (
        4u8..15,
        prop::sample::select(vec![0u8, 1, 2, 3, 5]),
        prop::collection::vec(any::<u8>(), 0..6),
        0usize..3,
    )
        .prop_map(|(number, wire_type, payload, nesting)| {
            field(number, wire_type, payload, nesting)
        })
}

fn field(number: u8, wire_type: u8, payload: Vec<u8>, nesting: usize) -> Vec<u8> {
    let key = |wt: u8| (number << 3) | wt;
    match wire_type {
        0 => vec![key(0), 0x96, 0x01],
        1 => [vec![key(1)], vec![1; 8]].concat(),
        2 => [vec![key(2), payload.len() as u8], payload].concat(),
        3 => {
            // Nested groups with a varint inside.
            let mut buf = vec![key(3); nesting + 1];
            buf.extend([0x08, 0x01]);
            buf.extend(std::iter::repeat_n(key(4), nesting + 1));
            buf
        }
        4 => vec![key(4)],
        5 => [vec![key(5)], vec![2; 4]].concat(),
        _ => vec![key(wire_type), 0],
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    FlipBit(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    /// Re-encode the byte at a position as a two-byte (overlong) varint.
    Widen(usize),
    /// Append a copy of the first top-level field.
    DuplicateFirst(usize),
    /// Append a top-level field again with another value (code, message,
    /// or a details entry): first-wins vs last-wins is probed.
    Conflicting(u8, Vec<u8>),
    /// Insert an unknown field at a position.
    Unknown(usize, Vec<u8>),
    /// Set the tenth byte of a ten-byte varint past 64 bits.
    Overflow(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..4))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Widen),
        (1usize..40).prop_map(Mutation::DuplicateFirst),
        (1u8..4, prop::collection::vec(any::<u8>(), 0..12))
            .prop_map(|(f, v)| Mutation::Conflicting(f, v)),
        (any::<usize>(), unknown_field()).prop_map(|(i, f)| Mutation::Unknown(i, f)),
        any::<usize>().prop_map(Mutation::Overflow),
    ]
}

/// The offsets where a top-level field of a valid encoding starts, and its
/// end.
fn field_boundaries(bytes: &[u8]) -> Vec<usize> {
    fn varint(bytes: &[u8], at: &mut usize) -> u64 {
        let (mut value, mut shift) = (0u64, 0);
        loop {
            let b = bytes[*at];
            *at += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return value;
            }
            shift += 7;
        }
    }
    let mut at = 0;
    let mut boundaries = vec![0];
    while at < bytes.len() {
        let key = varint(bytes, &mut at);
        match key & 7 {
            0 => {
                varint(bytes, &mut at);
            }
            1 => at += 8,
            2 => {
                let len = varint(bytes, &mut at) as usize;
                at += len;
            }
            5 => at += 4,
            other => panic!("a valid encoding of ours has no wire type {other}"),
        }
        boundaries.push(at);
    }
    boundaries
}

fn apply(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
    match m {
        Mutation::FlipBit(i, bit) if !bytes.is_empty() => {
            let i = i % bytes.len();
            bytes[i] ^= 1 << bit;
        }
        Mutation::Truncate(i) => bytes.truncate(at(*i, bytes.len())),
        Mutation::Insert(i, b) | Mutation::Unknown(i, b) => {
            let i = at(*i, bytes.len());
            bytes.splice(i..i, b.iter().copied());
        }
        Mutation::Widen(i) if !bytes.is_empty() => {
            let i = i % bytes.len();
            if bytes[i] < 0x80 {
                let b = bytes[i];
                bytes.splice(i..=i, [b | 0x80, 0x00]);
            }
        }
        Mutation::DuplicateFirst(n) => {
            let n = (*n).min(bytes.len());
            let first = bytes[..n].to_vec();
            bytes.extend(first);
        }
        Mutation::Conflicting(field, value) => match field {
            // code: a varint
            1 => bytes.extend([0x08, value.first().copied().unwrap_or(0) & 0x7f]),
            // message: a string (maybe not UTF-8)
            2 => {
                bytes.extend([0x12, value.len() as u8]);
                bytes.extend(value);
            }
            // a second ErrorInfo of our domain with another reason
            _ => {
                let reason = AuthErrorCode::ALL
                    [usize::from(value.first().copied().unwrap_or(0)) % AuthErrorCode::ALL.len()]
                .as_str_name();
                let info = [
                    &[0x0a, reason.len() as u8][..],
                    reason.as_bytes(),
                    &[0x12, auth_error::DOMAIN.len() as u8],
                    auth_error::DOMAIN.as_bytes(),
                ]
                .concat();
                let url = b"type.googleapis.com/google.rpc.ErrorInfo";
                let any = [
                    &[0x0a, url.len() as u8][..],
                    url,
                    &[0x12, info.len() as u8],
                    &info,
                ]
                .concat();
                bytes.extend([0x1a, any.len() as u8]);
                bytes.extend(any);
            }
        },
        Mutation::Overflow(i) => {
            let i = at(*i, bytes.len());
            bytes.splice(
                i..i,
                [
                    0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
                ],
            );
        }
        _ => {}
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn arbitrary_bytes_agree_with_prost(selector in any::<u8>(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        differential::check(selector, &bytes);
    }

    #[test]
    fn mutated_encodings_agree_with_prost(
        selector in any::<u8>(),
        valid in valid_details(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let bytes = mutations.iter().fold(valid, apply);
        differential::check(selector, &bytes);
    }

    /// Unknown fields inserted between top-level fields (where a newer
    /// peer puts them): the input stays valid, so prost must accept it, and
    /// both decoders must read the same error.
    #[test]
    fn valid_encodings_with_unknown_fields_agree_with_prost(
        valid in valid_details(),
        fields in prop::collection::vec((any::<usize>(), valid_unknown_field()), 1..4),
    ) {
        let boundaries = field_boundaries(&valid);
        let mut inserts: Vec<(usize, Vec<u8>)> = fields
            .into_iter()
            .map(|(i, field)| (boundaries[i % boundaries.len()], field))
            .collect();
        // From the last offset back, so the earlier offsets stay right.
        inserts.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        let mut bytes = valid;
        for (at, field) in inserts {
            bytes.splice(at..at, field);
        }
        prop_assert!(
            <tonic_types::pb::Status as prost::Message>::decode(bytes.as_slice()).is_ok(),
            "prost refused an input with unknown fields at field boundaries"
        );
        differential::check(16, &bytes);
    }
}

fn valid() -> Vec<u8> {
    let status: tonic::Status = AuthError::new(AuthErrorCode::TokenExpired)
        .with_metadata("tenantId", "acme")
        .into();
    status.details().to_vec()
}

/// The disagreements the issue reported, kept as fixed cases: each fails on
/// the decoder before the fix.
#[test]
fn known_disagreements_stay_fixed() {
    use auth_error::AuthStatusExt;
    // A ten-byte varint with bits past 64 after a valid ErrorInfo: prost
    // refuses the Status; the old decoder truncated it and read the error.
    let mut overflow = valid();
    overflow.extend([
        0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
    ]);
    differential::check(16, &overflow);
    let status = tonic::Status::with_details(tonic::Code::Unauthenticated, "m", overflow.into());
    assert_eq!(status.auth_error(), None);
    assert!(status.check_auth_error().is_err());

    // A group field: prost skips it; the old decoder refused the Status.
    let mut group = valid();
    group.extend([0x4b, 0x08, 0x05, 0x4c]);
    differential::check(16, &group);
    let status = tonic::Status::with_details(tonic::Code::Unauthenticated, "m", group.into());
    assert_eq!(status.auth_error_code(), Some(AuthErrorCode::TokenExpired));
}

/// Every wire type appended after a valid encoding: the valid ones are read
/// (the oracle's success path is exercised), the invalid ones refused.
#[test]
fn every_wire_type_at_the_top_level() {
    for wire_type in 0u8..8 {
        let mut bytes = valid();
        bytes.extend(match wire_type {
            0 => vec![0x48, 0x01],
            1 => [vec![0x49], vec![0; 8]].concat(),
            2 => vec![0x4a, 0x01, 0x00],
            3 => vec![0x4b, 0x4c],
            5 => [vec![0x4d], vec![0; 4]].concat(),
            other => vec![0x48 | other],
        });
        let status =
            tonic::Status::with_details(tonic::Code::Unauthenticated, "m", bytes.clone().into());
        let reference = differential::prost_reference(&status, auth_error::DOMAIN);
        assert_eq!(
            reference.is_some(),
            matches!(wire_type, 0 | 1 | 2 | 3 | 5),
            "{wire_type}"
        );
        differential::check(16, &bytes);
    }
}

/// Groups nested around the decoder's recursion limit (100, as prost's), at
/// the top level and inside an ErrorInfo: both sides of the limit agree with
/// prost, for both the status and the details.
#[test]
fn deep_groups_agree_with_prost_around_the_limit() {
    fn nested(number: u8, depth: usize) -> Vec<u8> {
        let mut buf = vec![(number << 3) | 3; depth];
        buf.extend([0x08, 0x01]);
        buf.extend(std::iter::repeat_n((number << 3) | 4, depth));
        buf
    }
    for depth in [1, 50, 98, 99, 100, 101, 102, 150] {
        let mut top = valid();
        top.extend(nested(9, depth));
        for selector in [0, 1, 16] {
            differential::check(selector, &top);
        }
        // Inside the ErrorInfo: rebuild it with the group among its fields.
        let reason = AuthErrorCode::TokenExpired.as_str_name();
        let mut info = [
            &[0x0a, reason.len() as u8][..],
            reason.as_bytes(),
            &[0x12, auth_error::DOMAIN.len() as u8],
            auth_error::DOMAIN.as_bytes(),
        ]
        .concat();
        info.extend(nested(9, depth));
        let any = prost::Message::encode_to_vec(&prost_types::Any {
            type_url: "type.googleapis.com/google.rpc.ErrorInfo".into(),
            value: info,
        });
        let status = prost::Message::encode_to_vec(&tonic_types::pb::Status {
            code: 16,
            message: "m".into(),
            details: vec![],
        });
        let mut bytes = status;
        bytes.push(0x1a);
        prost::encoding::encode_varint(any.len() as u64, &mut bytes);
        bytes.extend(any);
        for selector in [0, 1, 16] {
            differential::check(selector, &bytes);
        }
    }
}

/// Conflicting duplicates of each top-level field, fixed: prost keeps the
/// last code and message, and appends details.
#[test]
fn conflicting_duplicates_agree_with_prost() {
    for field in 1u8..4 {
        for value in [
            vec![],
            vec![3],
            vec![0xff, 0xfe],
            b"other".to_vec(),
            vec![7; 11],
        ] {
            let bytes = apply(valid(), &Mutation::Conflicting(field, value));
            for selector in [0, 1, 16] {
                differential::check(selector, &bytes);
            }
        }
    }
}
