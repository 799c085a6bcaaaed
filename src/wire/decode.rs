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

/// One field: number and payload.
#[derive(Clone, Copy)]
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// Iterates over the fields of one protobuf message.
#[derive(Clone)]
struct Fields<'a> {
    buf: &'a [u8],
}

fn read_varint(buf: &mut &[u8]) -> Result<u64, WireError> {
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

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        let item = self.read();
        if item.is_err() {
            // Stop after the first error: the rest cannot be framed.
            self.buf = &[];
        }
        Some(item)
    }
}

impl<'a> Fields<'a> {
    fn read(&mut self) -> Result<(u32, Value<'a>), WireError> {
        let key = read_varint(&mut self.buf)?;
        let number = key >> 3;
        if number == 0 || number > u64::from(u32::MAX >> 3) {
            return Err(WireError::BadTag);
        }
        let value = match key & 7 {
            0 => Value::Varint(read_varint(&mut self.buf)?),
            1 => self.skip(8)?,
            2 => {
                let len = read_varint(&mut self.buf)?;
                let len = usize::try_from(len).map_err(|_| WireError::Length)?;
                if len > self.buf.len() {
                    return Err(WireError::Length);
                }
                let (bytes, rest) = self.buf.split_at(len);
                self.buf = rest;
                Value::Bytes(bytes)
            }
            5 => self.skip(4)?,
            _ => return Err(WireError::BadTag),
        };
        Ok((number as u32, value))
    }

    fn skip(&mut self, n: usize) -> Result<Value<'a>, WireError> {
        if n > self.buf.len() {
            return Err(WireError::Length);
        }
        self.buf = &self.buf[n..];
        Ok(Value::Fixed)
    }
}

fn fields(buf: &[u8]) -> Fields<'_> {
    Fields { buf }
}

fn bytes_of(value: Value<'_>) -> Result<&[u8], WireError> {
    match value {
        Value::Bytes(b) => Ok(b),
        _ => Err(WireError::WrongWireType),
    }
}

fn str_of(value: Value<'_>) -> Result<&str, WireError> {
    std::str::from_utf8(bytes_of(value)?).map_err(|_| WireError::Utf8)
}

/// A `google.protobuf.Any`, borrowed.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AnyView<'a> {
    pub(crate) type_url: &'a str,
    pub(crate) value: &'a [u8],
}

/// Parses an `Any`. Last occurrence of a field wins, as in proto3.
fn parse_any(buf: &[u8]) -> Result<AnyView<'_>, WireError> {
    let mut any = AnyView::default();
    for field in fields(buf) {
        match field? {
            (1, v) => any.type_url = str_of(v)?,
            (2, v) => any.value = bytes_of(v)?,
            _ => {}
        }
    }
    Ok(any)
}

/// A `google.rpc.ErrorInfo`, borrowed; metadata stays encoded until asked for.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ErrorInfoView<'a> {
    pub(crate) reason: &'a str,
    pub(crate) domain: &'a str,
    raw: &'a [u8],
}

impl<'a> ErrorInfoView<'a> {
    /// Validates the whole ErrorInfo (metadata entries included).
    pub(crate) fn parse(buf: &'a [u8]) -> Result<Self, WireError> {
        let mut info = ErrorInfoView {
            raw: buf,
            ..Default::default()
        };
        for field in fields(buf) {
            match field? {
                (1, v) => info.reason = str_of(v)?,
                (2, v) => info.domain = str_of(v)?,
                (3, v) => {
                    parse_entry(bytes_of(v)?)?;
                }
                _ => {}
            }
        }
        Ok(info)
    }

    /// Metadata entries in wire order (already validated by `parse`).
    pub(crate) fn metadata(&self) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a> {
        fields(self.raw).filter_map(|field| match field {
            Ok((3, v)) => bytes_of(v).and_then(parse_entry).ok(),
            _ => None,
        })
    }
}

fn parse_entry(buf: &[u8]) -> Result<(&str, &str), WireError> {
    let (mut key, mut value) = ("", "");
    for field in fields(buf) {
        match field? {
            (1, v) => key = str_of(v)?,
            (2, v) => value = str_of(v)?,
            _ => {}
        }
    }
    Ok((key, value))
}

/// The outcome of scanning a `google.rpc.Status` for the ErrorInfo of one domain.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Scan<'a> {
    /// `google.rpc.Status.code`.
    pub(crate) code: i32,
    /// `google.rpc.Status.message`.
    pub(crate) message: &'a str,
    /// The first well-formed ErrorInfo of the requested domain, and its index
    /// among the details.
    pub(crate) found: Option<(usize, ErrorInfoView<'a>)>,
    /// The first ErrorInfo whose value could not be parsed, if any (index).
    pub(crate) garbled_error_info: Option<usize>,
    /// Number of details.
    pub(crate) details: usize,
}

/// Scans the whole buffer once: validates the Status and every Any framing,
/// and finds the first ErrorInfo of `domain`. Allocates nothing.
pub(crate) fn scan<'a>(buf: &'a [u8], domain: &str) -> Result<Scan<'a>, WireError> {
    let mut scan = Scan::default();
    for field in fields(buf) {
        match field? {
            (1, Value::Varint(v)) => scan.code = v as i32,
            (1, _) => return Err(WireError::WrongWireType),
            (2, v) => scan.message = str_of(v)?,
            (3, v) => {
                let index = scan.details;
                scan.details += 1;
                let any = parse_any(bytes_of(v)?)?;
                if any.type_url != ERROR_INFO_TYPE_URL || scan.found.is_some() {
                    continue;
                }
                match ErrorInfoView::parse(any.value) {
                    Ok(info) if info.domain == domain => scan.found = Some((index, info)),
                    Ok(_) => {}
                    Err(_) => {
                        scan.garbled_error_info.get_or_insert(index);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(scan)
}

/// Every detail of a (valid) Status, in order. Call after [`scan`] succeeded.
pub(crate) fn details(buf: &[u8]) -> impl Iterator<Item = AnyView<'_>> {
    fields(buf).filter_map(|field| match field {
        Ok((3, v)) => bytes_of(v).and_then(parse_any).ok(),
        _ => None,
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
