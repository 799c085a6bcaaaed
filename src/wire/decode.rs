//! A zero-allocation reader for `google.rpc.Status` bytes.
//!
//! The bytes come from the network, so every length is checked against what
//! is left and the work is one linear pass. It accepts exactly what prost
//! (and so Go's and Python's runtimes) accepts: varints of at most ten bytes
//! without bits past 64, field numbers 1 to 2^29-1, wire types 0 to 5, groups
//! skipped with prost's recursion limit of 100, UTF-8 in every string field
//! (`tests/it/wire/differential.rs` and the `differential` fuzz target hold it to
//! prost on arbitrary and mutated inputs).

use super::ERROR_INFO_TYPE_URL;

/// What is wrong with a details buffer, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WireError {
    /// A varint runs past the end, over ten bytes, or past 64 bits.
    Varint,
    /// A length runs past the end of its message.
    Length,
    /// Wire type 6 or 7, field number 0, an unmatched end-group tag, or
    /// groups nested past the recursion limit.
    BadTag,
    /// A known field has the wrong wire type.
    WrongWireType,
    /// A string field is not UTF-8.
    Utf8,
}

impl WireError {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            WireError::Varint => "a varint is truncated, longer than ten bytes or past 64 bits",
            WireError::Length => "a length-delimited field runs past the end of its message",
            WireError::BadTag => {
                "a field has an invalid tag, or a group is unmatched or nested too deep"
            }
            WireError::WrongWireType => "a known field has the wrong wire type",
            WireError::Utf8 => "a string field is not valid UTF-8",
        }
    }
}

/// prost's recursion limit: nested messages and groups together.
const RECURSION_LIMIT: u32 = 100;

/// A reading position in one protobuf message. Every read is bounded by
/// what is left of the message; `depth` is what is left of the recursion
/// limit at this message's level (prost's `DecodeContext`).
#[derive(Clone, Copy)]
struct Cursor<'a> {
    buf: &'a [u8],
    depth: u32,
}

/// A field's wire type, as read from its key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WireType {
    Varint,
    Fixed64,
    Len,
    StartGroup,
    EndGroup,
    Fixed32,
}

#[inline]
fn read_varint(buf: &mut &[u8]) -> Result<u64, WireError> {
    // Fast path: tags, small lengths and codes are one byte.
    if let Some((&byte, rest)) = buf.split_first()
        && byte < 0x80
    {
        *buf = rest;
        return Ok(u64::from(byte));
    }
    read_varint_slow(buf)
}

#[cold]
fn read_varint_slow(buf: &mut &[u8]) -> Result<u64, WireError> {
    let mut value: u64 = 0;
    for i in 0..10 {
        let (&byte, rest) = buf.split_first().ok_or(WireError::Varint)?;
        *buf = rest;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            // The tenth byte holds bit 63 only; more is an overflow (prost,
            // protobuf-go's ConsumeVarint).
            if i == 9 && byte >= 0x02 {
                return Err(WireError::Varint);
            }
            return Ok(value);
        }
    }
    Err(WireError::Varint)
}

impl<'a> Cursor<'a> {
    #[inline]
    fn new(buf: &'a [u8], depth: u32) -> Self {
        Cursor { buf, depth }
    }

    /// A cursor over a nested message's payload, one level deeper.
    #[inline]
    fn nested(&self, buf: &'a [u8]) -> Result<Self, WireError> {
        let depth = self.depth.checked_sub(1).ok_or(WireError::BadTag)?;
        Ok(Cursor { buf, depth })
    }

    /// The next field's number and wire type, or `None` at the end.
    #[inline]
    fn key(&mut self) -> Result<Option<(u32, WireType)>, WireError> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let key = read_varint(&mut self.buf)?;
        let number = key >> 3;
        if number == 0 || number > u64::from(u32::MAX >> 3) {
            return Err(WireError::BadTag);
        }
        let wire_type = match key & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            3 => WireType::StartGroup,
            4 => WireType::EndGroup,
            5 => WireType::Fixed32,
            _ => return Err(WireError::BadTag),
        };
        Ok(Some((number as u32, wire_type)))
    }

    #[inline]
    fn varint(&mut self) -> Result<u64, WireError> {
        read_varint(&mut self.buf)
    }

    #[inline]
    fn bytes(&mut self) -> Result<&'a [u8], WireError> {
        let len = read_varint(&mut self.buf)?;
        let len = usize::try_from(len).map_err(|_| WireError::Length)?;
        if len > self.buf.len() {
            return Err(WireError::Length);
        }
        let (bytes, rest) = self.buf.split_at(len);
        self.buf = rest;
        Ok(bytes)
    }

    /// A length-delimited field's payload; any other wire type is an error.
    #[inline]
    fn expect_bytes(&mut self, wire_type: WireType) -> Result<&'a [u8], WireError> {
        if wire_type != WireType::Len {
            return Err(WireError::WrongWireType);
        }
        self.bytes()
    }

    /// Skips an unknown field, as prost's `skip_field` does: a group up to
    /// its matching end tag, with the recursion limit.
    fn skip(&mut self, number: u32, wire_type: WireType) -> Result<(), WireError> {
        self.skip_at(number, wire_type, self.depth)
    }

    fn skip_at(&mut self, number: u32, wire_type: WireType, depth: u32) -> Result<(), WireError> {
        if depth == 0 {
            return Err(WireError::BadTag);
        }
        let n = match wire_type {
            WireType::Varint => return self.varint().map(drop),
            WireType::Len => return self.bytes().map(drop),
            WireType::Fixed64 => 8,
            WireType::Fixed32 => 4,
            WireType::EndGroup => return Err(WireError::BadTag),
            WireType::StartGroup => {
                // Iterative over the fields of the group; nesting recurses
                // at most `depth` (< 100) levels.
                loop {
                    let (inner, inner_type) = self.key()?.ok_or(WireError::Varint)?;
                    if inner_type == WireType::EndGroup {
                        return if inner == number {
                            Ok(())
                        } else {
                            Err(WireError::BadTag)
                        };
                    }
                    self.skip_at(inner, inner_type, depth - 1)?;
                }
            }
        };
        if n > self.buf.len() {
            return Err(WireError::Length);
        }
        self.buf = &self.buf[n..];
        Ok(())
    }
}

/// A `google.protobuf.Any`, borrowed. The type URL stays bytes: it is
/// compared, and validated as UTF-8 only when turned into a `String`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AnyView<'a> {
    pub(crate) type_url: &'a [u8],
    pub(crate) value: &'a [u8],
}

/// Parses an `Any` (its type URL checked as UTF-8, as prost does). Last
/// occurrence of a field wins, as in proto3.
fn parse_any(mut c: Cursor<'_>) -> Result<AnyView<'_>, WireError> {
    let mut any = AnyView::default();
    while let Some((number, wire_type)) = c.key()? {
        match number {
            1 => any.type_url = checked(c.expect_bytes(wire_type)?)?,
            2 => any.value = c.expect_bytes(wire_type)?,
            _ => c.skip(number, wire_type)?,
        }
    }
    Ok(any)
}

#[inline]
fn utf8(bytes: &[u8]) -> Result<&str, WireError> {
    std::str::from_utf8(bytes).map_err(|_| WireError::Utf8)
}

/// Checks a string field as prost does, returning its bytes. ASCII (the
/// common case: type URLs, reasons, keys) is checked word by word first.
#[inline]
fn checked(bytes: &[u8]) -> Result<&[u8], WireError> {
    if bytes.is_ascii() {
        return Ok(bytes);
    }
    utf8(bytes).map(str::as_bytes)
}

/// A `google.rpc.ErrorInfo`, borrowed. Its own fields are framed and checked;
/// metadata entries stay encoded until asked for.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ErrorInfoView<'a> {
    pub(crate) reason: &'a [u8],
    pub(crate) domain: &'a [u8],
    raw: &'a [u8],
}

impl<'a> ErrorInfoView<'a> {
    /// Checks the whole ErrorInfo as prost decodes it (as its own message,
    /// the way `Any` contents are decoded): reason and domain UTF-8, every
    /// metadata entry a well-formed map entry of two UTF-8 strings.
    pub(crate) fn parse(buf: &'a [u8]) -> Result<Self, WireError> {
        let mut info = ErrorInfoView {
            raw: buf,
            ..Default::default()
        };
        let mut c = Cursor::new(buf, RECURSION_LIMIT);
        while let Some((number, wire_type)) = c.key()? {
            match number {
                // Every occurrence is checked, as prost merges each.
                1 => info.reason = checked(c.expect_bytes(wire_type)?)?,
                2 => info.domain = checked(c.expect_bytes(wire_type)?)?,
                3 => {
                    let entry = c.expect_bytes(wire_type)?;
                    parse_entry(c.nested(entry)?)?;
                }
                _ => c.skip(number, wire_type)?,
            }
        }
        Ok(info)
    }

    /// The reason (checked as UTF-8 by `parse`).
    pub(crate) fn reason(&self) -> &'a str {
        utf8(self.reason).unwrap_or_default()
    }

    /// Whether it has a metadata entry: its fields are skipped, not parsed
    /// again (`parse` checked them).
    pub(crate) fn has_metadata(&self) -> bool {
        let mut c = Cursor::new(self.raw, RECURSION_LIMIT);
        while let Ok(Some((number, wire_type))) = c.key() {
            if number == 3 {
                return true;
            }
            if c.skip(number, wire_type).is_err() {
                return false;
            }
        }
        false
    }

    /// The encoded ErrorInfo (checked by `parse`).
    pub(crate) fn raw(&self) -> &'a [u8] {
        self.raw
    }
}

/// The metadata entries of an encoded ErrorInfo that [`ErrorInfoView::parse`]
/// checked, in wire order (repeated keys included).
pub(crate) fn metadata_entries(info: &[u8]) -> impl Iterator<Item = (&str, &str)> + Clone {
    nested_fields(info, 3).map_while(|entry| {
        let (key, value) = parse_entry(entry).ok()?;
        Some((utf8(key).ok()?, utf8(value).ok()?))
    })
}

/// A map entry's key and value, each checked as UTF-8.
fn parse_entry(mut c: Cursor<'_>) -> Result<(&[u8], &[u8]), WireError> {
    let (mut key, mut value): (&[u8], &[u8]) = (b"", b"");
    while let Some((number, wire_type)) = c.key()? {
        match number {
            1 => key = checked(c.expect_bytes(wire_type)?)?,
            2 => value = checked(c.expect_bytes(wire_type)?)?,
            _ => c.skip(number, wire_type)?,
        }
    }
    Ok((key, value))
}

/// The outcome of scanning a `google.rpc.Status` for the ErrorInfo of one domain.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Scan<'a> {
    /// `google.rpc.Status.code`.
    pub(crate) code: i32,
    /// `google.rpc.Status.message`, as bytes.
    pub(crate) message: &'a [u8],
    /// The first valid ErrorInfo of the requested domain, and its index
    /// among the details.
    pub(crate) found: Option<(usize, ErrorInfoView<'a>)>,
    /// The index of a second valid ErrorInfo of the domain, if any.
    pub(crate) second: Option<usize>,
    /// The first ErrorInfo that does not decode, if any (index).
    pub(crate) garbled_error_info: Option<usize>,
    /// Number of details.
    pub(crate) details: usize,
}

/// Scans the whole buffer once, accepting exactly what prost's decoding of
/// `google.rpc.Status` accepts, and finds the ErrorInfos of `domain`.
/// Allocates nothing.
pub(crate) fn scan<'a>(buf: &'a [u8], domain: &str) -> Result<Scan<'a>, WireError> {
    let mut scan = Scan::default();
    let mut c = Cursor::new(buf, RECURSION_LIMIT);
    while let Some((number, wire_type)) = c.key()? {
        match number {
            1 if wire_type == WireType::Varint => scan.code = c.varint()? as i32,
            1 => return Err(WireError::WrongWireType),
            2 => scan.message = checked(c.expect_bytes(wire_type)?)?,
            3 => {
                let index = scan.details;
                scan.details += 1;
                let payload = c.expect_bytes(wire_type)?;
                let any = parse_any(c.nested(payload)?)?;
                if any.type_url != ERROR_INFO_TYPE_URL.as_bytes() || scan.second.is_some() {
                    continue;
                }
                match ErrorInfoView::parse(any.value) {
                    Ok(info) if info.domain == domain.as_bytes() => match scan.found {
                        None => scan.found = Some((index, info)),
                        Some(_) => scan.second = Some(index),
                    },
                    Ok(_) => {}
                    Err(_) => {
                        scan.garbled_error_info.get_or_insert(index);
                    }
                }
            }
            _ => c.skip(number, wire_type)?,
        }
    }
    Ok(scan)
}

/// Every detail of a (scanned) Status, in order.
pub(crate) fn details(buf: &[u8]) -> impl Iterator<Item = AnyView<'_>> + Clone {
    nested_fields(buf, 3).map_while(|any| parse_any(any).ok())
}

/// Cursors over the payloads of every length-delimited field `number` of a
/// message that was checked already, one level deeper.
fn nested_fields(buf: &[u8], number: u32) -> impl Iterator<Item = Cursor<'_>> + Clone {
    let mut c = Cursor::new(buf, RECURSION_LIMIT);
    std::iter::from_fn(move || {
        loop {
            let (n, wire_type) = c.key().ok()??;
            if n == number && wire_type == WireType::Len {
                let payload = c.bytes().ok()?;
                return c.nested(payload).ok();
            }
            c.skip(n, wire_type).ok()?;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_limits() {
        let mut ten: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(read_varint(&mut ten), Ok(u64::MAX));
        let mut eleven: &[u8] = &[0xff; 11];
        assert_eq!(read_varint(&mut eleven), Err(WireError::Varint));
        let mut truncated: &[u8] = &[0x80];
        assert_eq!(read_varint(&mut truncated), Err(WireError::Varint));
    }

    #[test]
    fn varint_bits_past_64_are_refused() {
        // Ten bytes whose last is 0x02: bit 64 set (prost: invalid varint).
        let mut over: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(read_varint(&mut over), Err(WireError::Varint));
        let mut code = vec![0x08];
        code.extend_from_slice(&[0x90, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]);
        assert_eq!(scan(&code, "d").unwrap_err(), WireError::Varint);
    }

    #[test]
    fn groups_are_skipped_as_prost_does() {
        // field 9 group { field 1 varint 5 } end, then code 16.
        let buf = [0x4b, 0x08, 0x05, 0x4c, 0x08, 0x10];
        assert_eq!(scan(&buf, "d").unwrap().code, 16);
        // An end tag of another field, a lone end tag, an unterminated group.
        assert_eq!(scan(&[0x4b, 0x54], "d").unwrap_err(), WireError::BadTag);
        assert_eq!(scan(&[0x4c], "d").unwrap_err(), WireError::BadTag);
        assert_eq!(
            scan(&[0x4b, 0x08, 0x05], "d").unwrap_err(),
            WireError::Varint
        );
        // Field number 0.
        assert_eq!(scan(&[0x00, 0x00], "d").unwrap_err(), WireError::BadTag);
    }

    #[test]
    fn group_nesting_stops_at_the_recursion_limit() {
        let nested = |depth: usize| {
            let mut buf = vec![0x4b; depth];
            buf.extend(std::iter::repeat_n(0x4c, depth));
            buf
        };
        assert!(scan(&nested(100), "d").is_ok());
        assert_eq!(scan(&nested(101), "d").unwrap_err(), WireError::BadTag);
    }

    #[test]
    fn lengths_are_bounded_by_the_buffer() {
        assert_eq!(
            scan(&[0x12, 0x05, b'a'], "d").unwrap_err(),
            WireError::Length
        );
        assert_eq!(
            scan(&[0x12, 0xff, 0xff, 0xff, 0xff, 0x0f], "d").unwrap_err(),
            WireError::Length
        );
    }

    #[test]
    fn unknown_fields_are_skipped() {
        // field 9 fixed64, field 10 fixed32, field 11 varint, then code 16.
        let buf = [
            0x49, 1, 2, 3, 4, 5, 6, 7, 8, 0x55, 1, 2, 3, 4, 0x58, 0x01, 0x08, 0x10,
        ];
        assert_eq!(scan(&buf, "d").unwrap().code, 16);
    }
}
