//! Encoder for `google.rpc.Status { code, message, details: [ErrorInfo, extra details…] }`.

use prost::encoding::encoded_len_varint;

/// Appends a varint; lengths and codes here are almost always one byte.
#[inline]
fn encode_varint(mut value: u64, buf: &mut Vec<u8>) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

use super::ERROR_INFO_TYPE_URL;

/// Precomputed lengths of one encoding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lens {
    error_info: usize,
    any: usize,
    pub(crate) total: usize,
}

/// Everything that goes into the details, borrowed.
pub(crate) struct Parts<'a, M, D> {
    pub(crate) code: i32,
    pub(crate) message: &'a str,
    pub(crate) reason: &'a str,
    pub(crate) domain: &'a str,
    /// Metadata entries in key order.
    pub(crate) metadata: M,
    /// ExtraDetail details: `Any`s as (type URL, encoded value).
    pub(crate) details: D,
}

/// Length of an `Any`'s fields (proto3: empty fields omitted).
fn any_fields_len(type_url: &str, value: &[u8]) -> usize {
    str_field_len(type_url)
        + if value.is_empty() {
            0
        } else {
            field_len(value.len())
        }
}

/// Length of a length-delimited field with a one-byte tag (field numbers < 16).
fn field_len(payload: usize) -> usize {
    1 + encoded_len_varint(payload as u64) + payload
}

/// Length of a proto3 string field: absent when empty.
fn str_field_len(s: &str) -> usize {
    if s.is_empty() { 0 } else { field_len(s.len()) }
}

#[inline]
fn put_bytes(buf: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    buf.push(tag);
    encode_varint(bytes.len() as u64, buf);
    buf.extend_from_slice(bytes);
}

#[inline]
fn put_str(buf: &mut Vec<u8>, tag: u8, s: &str) {
    if !s.is_empty() {
        put_bytes(buf, tag, s.as_bytes());
    }
}

// Tags: (field number << 3) | wire type 2 (length-delimited), or 0 (varint).
const TAG_1_VARINT: u8 = 0x08;
const TAG_1: u8 = 0x0a;
const TAG_2: u8 = 0x12;
const TAG_3: u8 = 0x1a;

fn entry_len(key: &str, value: &str) -> usize {
    str_field_len(key) + str_field_len(value)
}

impl<'a, M, D> Parts<'a, M, D>
where
    M: Iterator<Item = (&'a str, &'a str)> + Clone,
    D: Iterator<Item = (&'a str, &'a [u8])> + Clone,
{
    fn error_info_len(&self) -> usize {
        let metadata: usize = self
            .metadata
            .clone()
            .map(|(k, v)| field_len(entry_len(k, v)))
            .sum();
        str_field_len(self.reason) + str_field_len(self.domain) + metadata
    }

    fn any_len(error_info_len: usize) -> usize {
        field_len(ERROR_INFO_TYPE_URL.len())
            + if error_info_len == 0 {
                0
            } else {
                field_len(error_info_len)
            }
    }

    /// Lengths of the ErrorInfo, of its Any, and of the whole Status.
    pub(crate) fn lens(&self) -> Lens {
        let error_info_len = self.error_info_len();
        let any_len = Self::any_len(error_info_len);
        let code_len = if self.code == 0 {
            0
        } else {
            1 + encoded_len_varint(i64::from(self.code) as u64)
        };
        let details: usize = self
            .details
            .clone()
            .map(|(type_url, value)| field_len(any_fields_len(type_url, value)))
            .sum();
        let total = code_len + str_field_len(self.message) + field_len(any_len) + details;
        Lens {
            error_info: error_info_len,
            any: any_len,
            total,
        }
    }

    /// Encodes into one buffer allocated at its exact final size, given the
    /// lengths from [`lens`](Self::lens) of these same parts.
    pub(crate) fn encode_with(&self, lens: Lens) -> Vec<u8> {
        let Lens {
            error_info: error_info_len,
            any: any_len,
            total,
        } = lens;
        let mut buf = Vec::with_capacity(total);
        if self.code != 0 {
            buf.push(TAG_1_VARINT);
            // int32 is sign-extended to 64 bits on the wire.
            encode_varint(i64::from(self.code) as u64, &mut buf);
        }
        put_str(&mut buf, TAG_2, self.message);
        // details[0]: Any { type_url, value: ErrorInfo }
        buf.push(TAG_3);
        encode_varint(any_len as u64, &mut buf);
        put_str(&mut buf, TAG_1, ERROR_INFO_TYPE_URL);
        if error_info_len != 0 {
            buf.push(TAG_2);
            encode_varint(error_info_len as u64, &mut buf);
            put_str(&mut buf, TAG_1, self.reason);
            put_str(&mut buf, TAG_2, self.domain);
            for (key, value) in self.metadata.clone() {
                buf.push(TAG_3);
                encode_varint(entry_len(key, value) as u64, &mut buf);
                put_str(&mut buf, TAG_1, key);
                put_str(&mut buf, TAG_2, value);
            }
        }
        for (type_url, value) in self.details.clone() {
            buf.push(TAG_3);
            encode_varint(any_fields_len(type_url, value) as u64, &mut buf);
            put_str(&mut buf, TAG_1, type_url);
            if !value.is_empty() {
                put_bytes(&mut buf, TAG_2, value);
            }
        }
        debug_assert_eq!(buf.len(), total);
        buf
    }
}

/// Encodes `google.rpc.Status { code, message, details: [field] }` where
/// `field` is a complete, pre-encoded details field. The fields before the
/// message are assembled on the stack and copied once, so the buffer is
/// written in three copies.
#[inline]
pub(crate) fn encode_with_field(code: i32, message: &str, field: &[u8]) -> Vec<u8> {
    // The common case, a gRPC code and a message under 128 bytes: a fixed
    // four-byte head, stored at once.
    if let (Ok(c @ 1..=127), Ok(len @ 1..=127)) = (u8::try_from(code), u8::try_from(message.len()))
    {
        let mut buf = Vec::with_capacity(4 + message.len() + field.len());
        buf.extend_from_slice(&[TAG_1_VARINT, c, TAG_2, len]);
        buf.extend_from_slice(message.as_bytes());
        buf.extend_from_slice(field);
        return buf;
    }
    // At most: tag + 10-byte code, tag + 10-byte message length.
    let mut head = [0u8; 22];
    let mut n = 0;
    let mut put_varint = |head: &mut [u8; 22], mut value: u64| {
        while value >= 0x80 {
            head[n] = (value as u8) | 0x80;
            value >>= 7;
            n += 1;
        }
        head[n] = value as u8;
        n += 1;
    };
    if code != 0 {
        put_varint(&mut head, u64::from(TAG_1_VARINT));
        // int32 is sign-extended to 64 bits on the wire.
        put_varint(&mut head, i64::from(code) as u64);
    }
    if !message.is_empty() {
        put_varint(&mut head, u64::from(TAG_2));
        put_varint(&mut head, message.len() as u64);
    }
    let head = &head[..n];
    let mut buf = Vec::with_capacity(head.len() + message.len() + field.len());
    buf.extend_from_slice(head);
    buf.extend_from_slice(message.as_bytes());
    buf.extend_from_slice(field);
    buf
}
