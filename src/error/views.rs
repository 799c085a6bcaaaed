//! How an [`AuthError`](crate::AuthError) holds its metadata and extra detail
//! details, and the read-only views it hands out.
//!
//! An error *built* here holds them owned (`&'static str` keys borrowed, one
//! allocation per value). An error *read* from a `Status` holds
//! one reference-counted copy of the status' details and nothing else: keys,
//! values, type URLs and detail bytes are borrowed from it when asked for,
//! validated once by the reader (as prost does). The first change to a read
//! error copies what it changes into the owned form.
//!
//! Why one copy and not none: tonic 0.14's `Status::details()` hands out a
//! `&[u8]` (the `Bytes` inside is private), so an `AuthError` that outlives
//! the borrow must own the bytes; one allocation for all of them, shared by
//! the metadata and the details, instead of one per key, value and detail.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use std::ops::Range;
use std::sync::Arc;

use prost_types::Any;

use crate::wire::decode::{self, AnyView};

/// A metadata key: a `&'static str` (a literal, a documented key) is
/// borrowed, any other owned.
pub(crate) type Key = Cow<'static, str>;

/// Metadata built here: entries sorted by key, each key once. A sorted `Vec`
/// beats a `BTreeMap` for the handful of entries an error carries: one
/// allocation, a binary search per insert, a cheap drop.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct EntryMap(Vec<(Key, String)>);

impl EntryMap {
    /// Inserts, replacing the value of an existing key.
    pub(crate) fn insert(&mut self, key: Key, value: String) {
        match self
            .0
            .binary_search_by(|(k, _)| k.as_ref().cmp(key.as_ref()))
        {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        let i = self.0.binary_search_by(|(k, _)| k.as_ref().cmp(key)).ok()?;
        Some(&self.0[i].1)
    }

    /// The entries in key order.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, (Key, String)> {
        self.0.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps the entries for which `keep` holds.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Key, &str) -> bool) {
        self.0.retain(|(k, v)| keep(k, v));
    }

    /// Removes the entry of the greatest key.
    pub(crate) fn pop_last(&mut self) -> Option<(Key, String)> {
        self.0.pop()
    }

    /// The entries, owned, in key order.
    #[cfg(feature = "json")]
    pub(crate) fn into_entries(self) -> Vec<(Key, String)> {
        self.0
    }
}

/// A key given to the builder: a static one as it is, an owned one that
/// spells a documented key swapped for it (its checks then run once).
pub(crate) fn stored_key(key: Key) -> Key {
    match key {
        Cow::Owned(owned) => match crate::keys::interned(&owned) {
            Some(documented) => Cow::Borrowed(documented),
            None => Cow::Owned(owned),
        },
        borrowed => borrowed,
    }
}

/// `key` (read from a status) as stored: a documented key
/// ([`keys`](crate::keys)) without allocating.
pub(crate) fn key(key: &str) -> Key {
    match crate::keys::interned(key) {
        Some(documented) => Cow::Borrowed(documented),
        None => Cow::Owned(key.to_owned()),
    }
}

/// The details a read error was read from: one shared copy, preceded by a
/// header saying where the error's ErrorInfo is (start, end), which detail
/// it is, and where the message is (start, end), so `AuthError` stays within
/// 120 bytes (clippy's `result_large_err` threshold is 128).
#[derive(Clone)]
pub(crate) struct Wire(Arc<[u8]>);

/// The fields of a [`Wire`]'s header, each a little-endian `u32`, in this
/// order: where the error's ErrorInfo is in the details, its index among
/// them, and where the message is inside it.
#[derive(Clone, Copy)]
enum Field {
    InfoStart,
    InfoEnd,
    Skip,
    MessageStart,
    MessageEnd,
}

const FIELDS: usize = 5;
const HEADER: usize = 4 * FIELDS;

/// Details up to this size are assembled on the stack: one allocation.
const STACK: usize = 512;

impl Wire {
    /// A copy of `details` (a status' checked details), with the error's
    /// ErrorInfo at `info`, its index `skip`, and the message at `message`.
    pub(crate) fn new(
        details: &[u8],
        info: Range<usize>,
        skip: usize,
        message: Range<usize>,
    ) -> Option<Wire> {
        let mut header = [0u8; HEADER];
        for (field, n) in [
            (Field::InfoStart, info.start),
            (Field::InfoEnd, info.end),
            (Field::Skip, skip),
            (Field::MessageStart, message.start),
            (Field::MessageEnd, message.end),
        ] {
            let at = 4 * field as usize;
            header[at..at + 4].copy_from_slice(&u32::try_from(n).ok()?.to_le_bytes());
        }
        let len = HEADER + details.len();
        if len <= STACK {
            let mut buf = [0u8; STACK];
            buf[..HEADER].copy_from_slice(&header);
            buf[HEADER..len].copy_from_slice(details);
            return Some(Wire(Arc::from(&buf[..len])));
        }
        let mut buf = Vec::with_capacity(len);
        buf.extend_from_slice(&header);
        buf.extend_from_slice(details);
        Some(Wire(Arc::from(buf)))
    }

    fn field(&self, field: Field) -> usize {
        let at = 4 * field as usize;
        let mut word = [0u8; 4];
        word.copy_from_slice(self.0.get(at..at + 4).unwrap_or(&[0; 4]));
        u32::from_le_bytes(word) as usize
    }

    /// The message embedded in the details (equal to the status' message,
    /// so valid UTF-8).
    pub(crate) fn message(&self) -> &str {
        let bytes = self
            .details()
            .get(self.field(Field::MessageStart)..self.field(Field::MessageEnd))
            .unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// The status' details.
    fn details(&self) -> &[u8] {
        self.0.get(HEADER..).unwrap_or_default()
    }

    /// The encoded ErrorInfo of the error.
    fn info(&self) -> &[u8] {
        self.details()
            .get(self.field(Field::InfoStart)..self.field(Field::InfoEnd))
            .unwrap_or_default()
    }

    /// The index of the error's own ErrorInfo among the details.
    fn skip(&self) -> usize {
        self.field(Field::Skip)
    }

    /// The metadata view.
    pub(crate) fn metadata(&self) -> Metadata<'_> {
        Metadata(Inner::Wire(self.info()))
    }

    /// The details view.
    pub(crate) fn extra_details(&self) -> Details<'_> {
        Details(DetailsRepr::Wire {
            status: self.details(),
            skip: self.skip(),
        })
    }
}

/// The metadata view of an owned map (`None`: no entry).
pub(crate) fn owned_metadata(map: Option<&EntryMap>) -> Metadata<'_> {
    match map {
        Some(map) => Metadata(Inner::Owned(map)),
        None => Metadata(Inner::Wire(&[])),
    }
}

/// The details view of owned details.
pub(crate) fn owned_details(details: &[Any]) -> Details<'_> {
    Details(DetailsRepr::Owned(details))
}

/// `metadata` as an owned map (its iteration is sorted, each key once).
pub(crate) fn to_owned_map(metadata: Metadata<'_>) -> EntryMap {
    EntryMap(
        metadata
            .iter()
            .map(|(k, v)| (key(k), v.to_owned()))
            .collect(),
    )
}

#[derive(Clone, Copy)]
enum Inner<'a> {
    Owned(&'a EntryMap),
    Wire(&'a [u8]),
}

/// The metadata of an [`AuthError`](crate::AuthError): a read-only map in
/// key order, borrowed from the error (and, for an error read from a
/// `Status`, from the status' details, without copying). A key that appears
/// twice on the wire has its last value, as in protobuf maps.
///
/// ```
/// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
/// let status: tonic::Status = AuthError::new(AuthErrorCode::TokenExpired)
///     .with_metadata("tokenType", "access")
///     .with_metadata("tenantId", "acme")
///     .into();
/// let err = status.auth_error().unwrap();
/// let metadata = err.metadata();
/// assert_eq!(metadata.get("tokenType"), Some("access"));
/// assert_eq!(metadata.len(), 2);
/// let keys: Vec<&str> = metadata.iter().map(|(k, _)| k).collect();
/// assert_eq!(keys, ["tenantId", "tokenType"]);
/// let owned: std::collections::BTreeMap<String, String> = metadata.to_btree_map();
/// # drop(owned);
/// ```
#[derive(Clone, Copy)]
pub struct Metadata<'a>(Inner<'a>);

impl<'a> Metadata<'a> {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        match self.0 {
            Inner::Owned(map) => map.get(key),
            Inner::Wire(info) => decode::metadata_entries(info)
                .filter(|(k, _)| *k == key)
                .last()
                .map(|(_, v)| v),
        }
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        match self.0 {
            Inner::Owned(map) => map.len(),
            Inner::Wire(_) => self.iter().count(),
        }
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        match self.0 {
            Inner::Owned(map) => map.is_empty(),
            Inner::Wire(info) => decode::metadata_entries(info).next().is_none(),
        }
    }

    /// The entries in key order.
    pub fn iter(&self) -> MetadataIter<'a> {
        match self.0 {
            Inner::Owned(map) => MetadataIter(MetadataIterRepr::Owned(map.iter())),
            Inner::Wire(info) => {
                // Wire order, possibly with repeated keys: sorted by key (a
                // stable sort keeps wire order among equal keys), the last
                // of each key kept. One allocation, for iterating only.
                let mut entries: Vec<(&'a str, &'a str)> = decode::metadata_entries(info).collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let mut deduped: Vec<(&'a str, &'a str)> = Vec::with_capacity(entries.len());
                for entry in entries {
                    match deduped.last_mut() {
                        Some(last) if last.0 == entry.0 => *last = entry,
                        _ => deduped.push(entry),
                    }
                }
                MetadataIter(MetadataIterRepr::Sorted(deduped.into_iter()))
            }
        }
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.iter().map(|(k, _)| k)
    }

    /// An owned copy.
    pub fn to_btree_map(&self) -> BTreeMap<String, String> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

/// The entries of [`Metadata`], in key order.
#[derive(Clone)]
pub struct MetadataIter<'a>(MetadataIterRepr<'a>);

#[derive(Clone)]
enum MetadataIterRepr<'a> {
    Owned(std::slice::Iter<'a, (Key, String)>),
    Sorted(std::vec::IntoIter<(&'a str, &'a str)>),
}

impl<'a> Iterator for MetadataIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            MetadataIterRepr::Owned(it) => it.next().map(|(k, v)| (k.as_ref(), v.as_str())),
            MetadataIterRepr::Sorted(it) => it.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            MetadataIterRepr::Owned(it) => it.size_hint(),
            MetadataIterRepr::Sorted(it) => it.size_hint(),
        }
    }
}

impl fmt::Debug for MetadataIter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.clone()).finish()
    }
}

impl<'a> IntoIterator for Metadata<'a> {
    type Item = (&'a str, &'a str);
    type IntoIter = MetadataIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &Metadata<'a> {
    type Item = (&'a str, &'a str);
    type IntoIter = MetadataIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl PartialEq for Metadata<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Metadata<'_> {}

impl fmt::Debug for Metadata<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[derive(Clone, Copy)]
enum DetailsRepr<'a> {
    Owned(&'a [Any]),
    Wire { status: &'a [u8], skip: usize },
}

/// The extra details of an [`AuthError`](crate::AuthError), in order:
/// every type, also types this crate does not know and ErrorInfos of other
/// domains. Borrowed from the error (and, for an error read from a
/// `Status`, from the status' details, without copying).
///
/// ```
/// use auth_error::{AuthError, AuthErrorCode, AuthStatusExt};
/// let any = prost_types::Any { type_url: "type.example.com/my.Detail".into(), value: vec![8, 1] };
/// let status: tonic::Status = AuthError::new(AuthErrorCode::Unauthenticated)
///     .add_detail(any.clone())
///     .into();
/// let err = status.auth_error().unwrap();
/// let detail = err.details().iter().next().unwrap();
/// assert_eq!(detail.type_url(), "type.example.com/my.Detail");
/// assert_eq!(detail.value(), [8, 1]);
/// assert_eq!(err.details().to_vec(), [any]);
/// ```
#[derive(Clone, Copy)]
pub struct Details<'a>(DetailsRepr<'a>);

impl<'a> IntoIterator for Details<'a> {
    type Item = Detail<'a>;
    type IntoIter = Box<dyn Iterator<Item = Detail<'a>> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl<'a> Details<'a> {
    /// The details in order.
    pub fn iter(&self) -> impl Iterator<Item = Detail<'a>> + Clone + use<'a> {
        let (owned, wire) = match self.0 {
            DetailsRepr::Owned(items) => (Some(items.iter()), None),
            DetailsRepr::Wire { status, skip } => (
                None,
                Some(
                    decode::details(status)
                        .enumerate()
                        .filter(move |(i, _)| *i != skip)
                        .map(|(_, any)| any),
                ),
            ),
        };
        let owned = owned.into_iter().flatten().map(|any| Detail {
            type_url: &any.type_url,
            value: &any.value,
        });
        let wire = wire.into_iter().flatten().map(|any: AnyView<'a>| Detail {
            // Checked as UTF-8 by the reader.
            type_url: std::str::from_utf8(any.type_url).unwrap_or_default(),
            value: any.value,
        });
        owned.chain(wire)
    }

    /// The number of details.
    pub fn len(&self) -> usize {
        match self.0 {
            DetailsRepr::Owned(items) => items.len(),
            DetailsRepr::Wire { .. } => self.iter().count(),
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        match self.0 {
            DetailsRepr::Owned(items) => items.is_empty(),
            DetailsRepr::Wire { .. } => self.iter().next().is_none(),
        }
    }

    /// Owned copies, as prost-types `Any`s.
    pub fn to_vec(&self) -> Vec<Any> {
        self.iter().map(|d| d.to_any()).collect()
    }
}

impl PartialEq for Details<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Details<'_> {}

impl PartialEq<[Any]> for Details<'_> {
    fn eq(&self, other: &[Any]) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other)
                .all(|(d, any)| d.type_url == any.type_url && d.value == any.value.as_slice())
    }
}

impl PartialEq<&[Any]> for Details<'_> {
    fn eq(&self, other: &&[Any]) -> bool {
        *self == **other
    }
}

impl<const N: usize> PartialEq<&[Any; N]> for Details<'_> {
    fn eq(&self, other: &&[Any; N]) -> bool {
        *self == other[..]
    }
}

impl PartialEq<Vec<Any>> for Details<'_> {
    fn eq(&self, other: &Vec<Any>) -> bool {
        *self == other[..]
    }
}

impl fmt::Debug for Details<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One extra detail, borrowed: its type URL and its encoded value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detail<'a> {
    type_url: &'a str,
    value: &'a [u8],
}

impl<'a> Detail<'a> {
    /// The type URL (`type.googleapis.com/google.rpc.RetryInfo`, …).
    pub fn type_url(&self) -> &'a str {
        self.type_url
    }

    /// The encoded message.
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// An owned copy, as a prost-types `Any`.
    pub fn to_any(&self) -> Any {
        Any {
            type_url: self.type_url.to_owned(),
            value: self.value.to_vec(),
        }
    }
}
