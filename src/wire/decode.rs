//! A zero-allocation reader for `google.rpc.Status` bytes.
//!
//! The bytes come from the network, so every length is checked against what
//! is left, varints are at most ten bytes, groups are refused, and the work is
//! one linear pass: no recursion beyond the three fixed message levels.

use super::ERROR_INFO_TYPE_URL;

/// What is wrong with a details buffer, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WireError {
    /// A varint runs past the end or over ten bytes.
    Varint,
    /// A length runs past the end of its message.
    Length,
    /// Wire type 3, 4, 6 or 7, or field number 0.
    BadTag,
    /// A known field has the wrong wire type.
    WrongWireType,
    /// A string field is not UTF-8.
    Utf8,
}

impl WireError {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            WireError::Varint => "a varint is truncated or longer than ten bytes",
            WireError::Length => "a length-delimited field runs past the end of its message",
            WireError::BadTag => "a field has an invalid tag or is a group",
            WireError::WrongWireType => "a known field has the wrong wire type",
            WireError::Utf8 => "a string field is not valid UTF-8",
        }
    }
}

/// A reading position in one protobuf message. Every read is bounded by
/// what is left of the message.
#[derive(Clone, Copy)]
struct Cursor<'a> {
    buf: &'a [u8],
}

/// A field's wire type, as read from its key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WireType {
    Varint,
    Fixed64,
    Len,
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
            return Ok(value);
        }
    }
    Err(WireError::Varint)
}

impl<'a> Cursor<'a> {
    #[inline]
    fn new(buf: &'a [u8]) -> Self {
        Cursor { buf }
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
            5 => WireType::Fixed32,
            // Groups (3, 4) are refused: skipping them needs nesting.
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

    /// Skips an unknown field.
    fn skip(&mut self, wire_type: WireType) -> Result<(), WireError> {
        let n = match wire_type {
            WireType::Varint => return self.varint().map(drop),
            WireType::Len => return self.bytes().map(drop),
            WireType::Fixed64 => 8,
            WireType::Fixed32 => 4,
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

/// Parses an `Any`. Last occurrence of a field wins, as in proto3.
fn parse_any(buf: &[u8]) -> Result<AnyView<'_>, WireError> {
    let mut any = AnyView::default();
    let mut c = Cursor::new(buf);
    while let Some((number, wire_type)) = c.key()? {
        match number {
            1 => any.type_url = c.expect_bytes(wire_type)?,
            2 => any.value = c.expect_bytes(wire_type)?,
            _ => c.skip(wire_type)?,
        }
    }
    Ok(any)
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
    /// Frames the ErrorInfo's fields (entries are framed, not parsed).
    pub(crate) fn parse(buf: &'a [u8]) -> Result<Self, WireError> {
        let mut info = ErrorInfoView {
            raw: buf,
            ..Default::default()
        };
        let mut c = Cursor::new(buf);
        while let Some((number, wire_type)) = c.key()? {
            match number {
                1 => info.reason = c.expect_bytes(wire_type)?,
                2 => info.domain = c.expect_bytes(wire_type)?,
                3 => {
                    c.expect_bytes(wire_type)?;
                }
                _ => c.skip(wire_type)?,
            }
        }
        Ok(info)
    }

    /// Metadata entries in wire order; `Err` for an entry that is not a
    /// well-formed map entry of two UTF-8 strings.
    pub(crate) fn metadata(
        &self,
    ) -> impl Iterator<Item = Result<(&'a str, &'a str), WireError>> + use<'a> {
        // `parse` framed every field already, so only entries remain to read.
        let mut c = Cursor::new(self.raw);
        std::iter::from_fn(move || {
            loop {
                let (number, wire_type) = c.key().ok()??;
                if number == 3 && wire_type == WireType::Len {
                    return Some(c.bytes().and_then(parse_entry));
                }
                c.skip(wire_type).ok()?;
            }
        })
    }
}

fn parse_entry(buf: &[u8]) -> Result<(&str, &str), WireError> {
    let (mut key, mut value): (&[u8], &[u8]) = (b"", b"");
    let mut c = Cursor::new(buf);
    while let Some((number, wire_type)) = c.key()? {
        match number {
            1 => key = c.expect_bytes(wire_type)?,
            2 => value = c.expect_bytes(wire_type)?,
            _ => c.skip(wire_type)?,
        }
    }
    let utf8 = |b| std::str::from_utf8(b).map_err(|_| WireError::Utf8);
    Ok((utf8(key)?, utf8(value)?))
}

/// The outcome of scanning a `google.rpc.Status` for the ErrorInfo of one domain.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Scan<'a> {
    /// `google.rpc.Status.code`.
    pub(crate) code: i32,
    /// `google.rpc.Status.message`, as bytes.
    pub(crate) message: &'a [u8],
    /// The first well-framed ErrorInfo of the requested domain, and its index
    /// among the details.
    pub(crate) found: Option<(usize, ErrorInfoView<'a>)>,
    /// The first ErrorInfo whose value could not be framed, if any (index).
    pub(crate) garbled_error_info: Option<usize>,
    /// Number of details.
    pub(crate) details: usize,
}

/// Scans the whole buffer once: frames the Status and every Any, and finds
/// the first ErrorInfo of `domain`. Allocates nothing and validates no UTF-8
/// it does not need (byte comparisons stand in for it).
pub(crate) fn scan<'a>(buf: &'a [u8], domain: &str) -> Result<Scan<'a>, WireError> {
    let mut scan = Scan::default();
    let mut c = Cursor::new(buf);
    while let Some((number, wire_type)) = c.key()? {
        match number {
            1 if wire_type == WireType::Varint => scan.code = c.varint()? as i32,
            1 => return Err(WireError::WrongWireType),
            2 => scan.message = c.expect_bytes(wire_type)?,
            3 => {
                let index = scan.details;
                scan.details += 1;
                let any = parse_any(c.expect_bytes(wire_type)?)?;
                if any.type_url != ERROR_INFO_TYPE_URL.as_bytes() || scan.found.is_some() {
                    continue;
                }
                match ErrorInfoView::parse(any.value) {
                    Ok(info) if info.domain == domain.as_bytes() => {
                        scan.found = Some((index, info))
                    }
                    Ok(_) => {}
                    Err(_) => {
                        scan.garbled_error_info.get_or_insert(index);
                    }
                }
            }
            _ => c.skip(wire_type)?,
        }
    }
    Ok(scan)
}

/// Every detail of a (scanned) Status, in order.
pub(crate) fn details(buf: &[u8]) -> impl Iterator<Item = AnyView<'_>> {
    let mut c = Cursor::new(buf);
    std::iter::from_fn(move || {
        loop {
            let (number, wire_type) = c.key().ok()??;
            if number == 3 && wire_type == WireType::Len {
                return c.bytes().and_then(parse_any).ok();
            }
            c.skip(wire_type).ok()?;
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
    fn groups_and_field_zero_are_refused() {
        assert_eq!(scan(&[0x0b], "d").unwrap_err(), WireError::BadTag); // field 1, start group
        assert_eq!(scan(&[0x00, 0x00], "d").unwrap_err(), WireError::BadTag);
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
