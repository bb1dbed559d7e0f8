//! Tolerant typed JSON: the building blocks that let upstream answers be read straight
//! into typed structs (borrowing strings from the body where they have no escapes)
//! instead of a `serde_json::Value` tree, without becoming any stricter than reading
//! the tree was.
//!
//! Real data is often not valid FHIR, so no type here ever refuses well-formed JSON: a
//! [`Leaf`] takes any value and remembers only strings, numbers and booleans; a [`List`]
//! takes an array, a single value where a list belongs, or nothing; a struct declared
//! with [`lenient!`](crate::lenient) reads only the fields it names, ignores the rest, lets
//! a repeated field's last value win (as the tree did) and becomes its default when the
//! value is not an object at all. Only malformed JSON is an error, so one odd entry never
//! costs the rest of an answer. Ignored values are skipped without being built (serde_json
//! skips without recursing).
//!
//! Nesting: the types are recursive (a resource contains resources, an extension
//! extensions), and a struct's frame is far larger than a `Value`'s, so serde_json's
//! own limit (128 levels) would not keep a hostile answer from exhausting a thread's
//! stack. Objects nested more than [`MAX_NESTING`] lenient structs deep are therefore
//! skipped, unbuilt, and read as their default. Nothing the gateway reads lies that deep
//! (the deepest path read — a Bundle's entry's resource's contained resource's code's
//! coding — is six), so this changes no answer's meaning.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{
    BoolDeserializer, BorrowedStrDeserializer, F64Deserializer, I64Deserializer,
    MapAccessDeserializer, StrDeserializer, StringDeserializer, U64Deserializer,
};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

/// The most lenient structs read one inside another; deeper objects are skipped.
pub const MAX_NESTING: usize = 16;

thread_local! {
    /// How many lenient structs are being read, one inside another, on this thread
    /// (deserialising is synchronous, so nothing else runs on the thread meanwhile).
    static NESTING: Cell<usize> = const { Cell::new(0) };
}

/// One level of struct nesting, left when dropped (on an error too).
struct Nesting;

impl Nesting {
    /// Enters a level, unless that would exceed [`MAX_NESTING`].
    fn enter() -> Option<Self> {
        NESTING.with(|n| {
            let depth = n.get();
            (depth < MAX_NESTING).then(|| {
                n.set(depth + 1);
                Nesting
            })
        })
    }
}

impl Drop for Nesting {
    fn drop(&mut self) {
        NESTING.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

/// Reads an object as `T` — or, nested too deep, skips it and gives `None`.
fn object_within_limit<'de, T: FromMap<'de>, A: MapAccess<'de>>(
    mut map: A,
) -> Result<Option<T>, A::Error> {
    match Nesting::enter() {
        Some(_level) => T::from_map(map).map(Some),
        None => {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
}

/// A scalar field: what a `Value` would have held, less the insides of arrays and
/// objects (which a field read as a scalar never looks into).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Leaf<'a> {
    /// Absent, or `null`.
    #[default]
    Null,
    /// A string, borrowed from the body unless it had escapes.
    Str(Cow<'a, str>),
    /// A number.
    Num(Number),
    /// A boolean.
    Bool(bool),
    /// An array or an object.
    Other,
}

impl Leaf<'_> {
    /// The string, as is.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Leaf::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The string trimmed, if not then empty.
    pub fn text(&self) -> Option<&str> {
        self.as_str().map(str::trim).filter(|s| !s.is_empty())
    }

    /// The trimmed non-empty string, owned.
    pub fn to_text(&self) -> Option<String> {
        self.text().map(str::to_string)
    }

    /// Whether the field is absent or `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Leaf::Null)
    }

    /// The boolean, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Leaf::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether it is exactly the string `s` (as `value == "s"` compared a `Value`).
    pub fn is(&self, s: &str) -> bool {
        self.as_str() == Some(s)
    }
}

struct LeafVisitor;

impl<'de> Visitor<'de> for LeafVisitor {
    type Value = Leaf<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Leaf::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Leaf::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Leaf::Num(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        // As `Value` does: a non-finite float (which JSON cannot spell) is null.
        Ok(Number::from_f64(v).map_or(Leaf::Null, Leaf::Num))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Leaf::Str(Cow::Owned(v.to_string())))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Leaf::Str(Cow::Borrowed(v)))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Leaf::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Leaf::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Leaf::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Leaf::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Leaf::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Leaf::Other)
    }
}

impl<'de> Deserialize<'de> for Leaf<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LeafVisitor)
    }
}

/// A field that may be present with any value (even `null`): `Some` whenever the key
/// was there, as `Value::get` would have found it.
#[derive(Debug, Clone, PartialEq)]
pub struct Present<T>(pub Option<T>);

impl<T> Default for Present<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Present<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(|t| Self(Some(t)))
    }
}

/// An object field read only when it is an object (`value.is_object()`); anything else
/// is `None`. Boxed: it is seldom there.
#[derive(Debug, Clone, PartialEq)]
pub struct Obj<T>(pub Option<Box<T>>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: FromMap<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjectVisitor::<T, OrNone>(PhantomData))
            .map(|t| Self(t.map(Box::new)))
    }
}

/// A struct field that is boxed when present, so that a resource is not as large as
/// every field it might have; absent, it reads as the struct's empty value (see
/// [`lazy_empty!`](crate::lazy_empty), which gives it `Deref`).
#[derive(Debug, Clone, PartialEq)]
pub struct Lazy<T>(pub Option<Box<T>>);

impl<T> Default for Lazy<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lazy<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(|t| Self(Some(Box::new(t))))
    }
}

/// Gives `Lazy<$ty>` a `Deref` to the value, or to `$empty` (a static of the type, with
/// every field empty) when absent.
#[macro_export]
macro_rules! lazy_empty {
    ($ty:ident, $empty:ident) => {
        impl<'a> std::ops::Deref for $crate::normalise::lenient::Lazy<$ty<'a>> {
            type Target = $ty<'a>;
            fn deref(&self) -> &$ty<'a> {
                match &self.0 {
                    Some(value) => value,
                    None => &$empty,
                }
            }
        }
    };
}

/// A FHIR list field, tolerating a single value where a list belongs (read as a list of
/// one, as the tree's readers did) and `null` or absence (an empty list).
///
/// Most list fields of a resource are absent, so an empty list is one null pointer
/// rather than an empty `Vec` and its flag: a resource holds dozens of them.
#[derive(Debug, Clone, PartialEq)]
pub struct List<T> {
    /// The items, and whether the field held a single value rather than an array;
    /// `None` when there are no items.
    inner: Option<Box<(Vec<T>, bool)>>,
}

impl<T> Default for List<T> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<T> List<T> {
    /// The empty list.
    pub const EMPTY: Self = Self { inner: None };

    fn new(items: Vec<T>, single: bool) -> Self {
        Self {
            inner: (!items.is_empty()).then(|| Box::new((items, single))),
        }
    }

    /// The items (a single value as one).
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        match &self.inner {
            Some(inner) => inner.0.iter(),
            None => [].iter(),
        }
    }

    /// The items, owned.
    pub fn into_items(self) -> Vec<T> {
        self.inner.map(|inner| inner.0).unwrap_or_default()
    }

    /// Whether there is no item.
    pub fn is_empty(&self) -> bool {
        self.inner.is_none()
    }

    /// The value when the field held one value rather than an array (`value["x"]`
    /// indexing the field itself).
    pub fn single(&self) -> Option<&T> {
        self.inner
            .as_ref()
            .filter(|inner| inner.1)
            .and_then(|inner| inner.0.first())
    }

    /// The first item when the field held an array (`value[0]`).
    pub fn first_in_array(&self) -> Option<&T> {
        self.inner
            .as_ref()
            .filter(|inner| !inner.1)
            .and_then(|inner| inner.0.first())
    }
}

impl<'l, T> IntoIterator for &'l List<T> {
    type Item = &'l T;
    type IntoIter = std::slice::Iter<'l, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

struct ListVisitor<T>(PhantomData<T>);

impl<T> ListVisitor<T> {
    fn one(item: T) -> List<T> {
        List::new(vec![item], true)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = List<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list, or a single value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(List::new(items, false))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(List::default())
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(List::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        List::deserialize(d)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Self::one)
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        T::deserialize(BoolDeserializer::<E>::new(v)).map(Self::one)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::deserialize(I64Deserializer::<E>::new(v)).map(Self::one)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::deserialize(U64Deserializer::<E>::new(v)).map(Self::one)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        T::deserialize(F64Deserializer::<E>::new(v)).map(Self::one)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        T::deserialize(StrDeserializer::<E>::new(v)).map(Self::one)
    }
    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        T::deserialize(BorrowedStrDeserializer::<E>::new(v)).map(Self::one)
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        T::deserialize(StringDeserializer::<E>::new(v)).map(Self::one)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListVisitor(PhantomData))
    }
}

/// A struct read field by field from a JSON object (see [`lenient!`](crate::lenient)).
pub trait FromMap<'de>: Default {
    /// Reads the object's fields.
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;

    /// What a string in its place reads as: nothing, unless the struct keeps it.
    fn from_string(_s: Cow<'de, str>) -> Self {
        Self::default()
    }
}

/// A map key as raw bytes, borrowed unless it had escapes: keys are only compared with
/// ASCII field names, so they are not checked to be UTF-8 (serde_json's `bytes` path
/// skips that check, which cost as much as reading them).
pub struct Key<'de>(Cow<'de, [u8]>);

impl Key<'_> {
    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.to_vec())))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v)))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(v.as_bytes())))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.as_bytes().to_vec())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.into_bytes())))
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_bytes(KeyVisitor)
    }
}

/// What a value read where a [`FromMap`] struct `T` belongs becomes, by its kind: the
/// one difference between the readers of [`Obj`] and of [`lenient!`](crate::lenient)
/// structs. A type, not a value, so each reader is compiled with its answers in place.
pub trait NotAnObject<'de, T> {
    /// What the reader gives.
    type Out;
    /// An object, read (`None`: nested too deep, skipped).
    fn object(t: Option<T>) -> Self::Out;
    /// A string.
    fn string(s: Cow<'de, str>) -> Self::Out;
    /// Anything else (skipped).
    fn other() -> Self::Out;
}

/// [`Obj`]'s answers: the object, or nothing.
pub enum OrNone {}

impl<'de, T> NotAnObject<'de, T> for OrNone {
    type Out = Option<T>;
    fn object(t: Option<T>) -> Option<T> {
        t
    }
    fn string(_: Cow<'de, str>) -> Option<T> {
        None
    }
    fn other() -> Option<T> {
        None
    }
}

/// A [`lenient!`](crate::lenient) struct's answers: the object, a string as
/// [`FromMap::from_string`] reads it, or the default.
pub enum OrDefault {}

impl<'de, T: FromMap<'de>> NotAnObject<'de, T> for OrDefault {
    type Out = T;
    fn object(t: Option<T>) -> T {
        t.unwrap_or_default()
    }
    fn string(s: Cow<'de, str>) -> T {
        T::from_string(s)
    }
    fn other() -> T {
        T::default()
    }
}

/// Reads a value where a [`FromMap`] struct belongs, `M` saying what each kind becomes.
pub struct ObjectVisitor<T, M>(pub PhantomData<(T, M)>);

impl<'de, T: FromMap<'de>, M: NotAnObject<'de, T>> Visitor<'de> for ObjectVisitor<T, M> {
    type Value = M::Out;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<M::Out, A::Error> {
        object_within_limit(map).map(M::object)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<M::Out, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(M::other())
    }
    fn visit_bool<E>(self, _: bool) -> Result<M::Out, E> {
        Ok(M::other())
    }
    fn visit_i64<E>(self, _: i64) -> Result<M::Out, E> {
        Ok(M::other())
    }
    fn visit_u64<E>(self, _: u64) -> Result<M::Out, E> {
        Ok(M::other())
    }
    fn visit_f64<E>(self, _: f64) -> Result<M::Out, E> {
        Ok(M::other())
    }
    fn visit_str<E>(self, v: &str) -> Result<M::Out, E> {
        Ok(M::string(Cow::Owned(v.to_string())))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<M::Out, E> {
        Ok(M::string(Cow::Borrowed(v)))
    }
    fn visit_string<E>(self, v: String) -> Result<M::Out, E> {
        Ok(M::string(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<M::Out, E> {
        Ok(M::other())
    }
    fn visit_none<E>(self) -> Result<M::Out, E> {
        Ok(M::other())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<M::Out, D::Error> {
        d.deserialize_any(self)
    }
}

/// Declares a struct read leniently from a JSON object: each field names its JSON key;
/// unknown keys are skipped unbuilt, a repeated key's last value wins, and a value that
/// is not an object reads as the default (or, with `@string field;` first, a string is
/// kept in that field). Every field's type must itself be lenient.
#[macro_export]
macro_rules! lenient {
    (
        $(#[$meta:meta])*
        pub struct $name:ident<'a> {
            $(@string $string:ident;)?
            $( $(#[$fmeta:meta])* $json:literal => $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default, Clone)]
        pub struct $name<'a> {
            $(
                #[doc = concat!("The string given in place of the object.")]
                pub $string: $crate::normalise::lenient::Leaf<'a>,
            )?
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl<'de> $crate::normalise::lenient::FromMap<'de> for $name<'de> {
            fn from_map<A: serde::de::MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
                let mut out = Self::default();
                while let Some(key) = map.next_key::<$crate::normalise::lenient::Key<'de>>()? {
                    let key = key.as_bytes();
                    $(
                        if key == $json.as_bytes() {
                            out.$field = map.next_value()?;
                            continue;
                        }
                    )*
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
                Ok(out)
            }
            $(
                fn from_string(s: std::borrow::Cow<'de, str>) -> Self {
                    Self {
                        $string: $crate::normalise::lenient::Leaf::Str(s),
                        ..Self::default()
                    }
                }
            )?
        }

        impl<'de> serde::Deserialize<'de> for $name<'de> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any($crate::normalise::lenient::ObjectVisitor::<
                    Self,
                    $crate::normalise::lenient::OrDefault,
                >(std::marker::PhantomData))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    crate::lenient! {
        /// A test struct.
        pub struct Thing<'a> {
            @string string;
            /// A name.
            "name" => name: Leaf<'a>,
            /// Tags.
            "tags" => tags: List<Leaf<'a>>,
            /// Children.
            "child" => child: List<Thing<'a>>,
            /// Present even when null.
            "maybe" => maybe: Present<Leaf<'a>>,
        }
    }

    fn read(text: &str) -> Thing<'_> {
        serde_json::from_str(text).expect("well-formed JSON is never refused")
    }

    #[test]
    fn strings_without_escapes_are_borrowed_and_others_owned() {
        let t = read(r#"{"name": "plain", "tags": ["a\"b"]}"#);
        assert!(matches!(t.name, Leaf::Str(Cow::Borrowed("plain"))));
        assert!(matches!(t.tags.iter().next(), Some(Leaf::Str(Cow::Owned(s))) if s == "a\"b"));
    }

    #[test]
    fn wrong_types_anywhere_read_as_nothing_rather_than_failing() {
        let t = read(
            r#"{"name": {"deep": [1, 2]}, "tags": 7, "child": [3, "x", null, {"name": "c"}], "other": {"x": [[[]]]}}"#,
        );
        assert_eq!(t.name, Leaf::Other);
        assert_eq!(t.tags.iter().count(), 1);
        assert_eq!(t.child.iter().count(), 4);
        assert!(t.child.iter().nth(1).is_some_and(|c| c.string.is("x")));
        assert!(t.child.iter().nth(3).is_some_and(|c| c.name.is("c")));
        for not_an_object in ["[1, 2]", "3", "\"s\"", "null", "true"] {
            assert!(read(not_an_object).name.is_null());
        }
    }

    #[test]
    fn a_single_value_is_a_list_of_one_and_null_an_empty_list() {
        let t = read(r#"{"child": {"name": "only"}, "tags": null}"#);
        assert!(t.child.single().is_some_and(|c| c.name.is("only")));
        assert!(t.child.first_in_array().is_none());
        assert!(t.tags.is_empty());
        let t = read(r#"{"child": [{"name": "first"}]}"#);
        assert!(t.child.single().is_none());
        assert!(t.child.first_in_array().is_some());
    }

    #[test]
    fn keys_with_escapes_are_read_unescaped() {
        let t = read(r#"{"na\u006de": "escaped", "\"name\"": "quoted"}"#);
        assert!(t.name.is("escaped"));
    }

    #[test]
    fn the_last_of_repeated_keys_wins_and_present_tells_null_from_absent() {
        let t = read(r#"{"name": "a", "name": "b", "maybe": null}"#);
        assert!(t.name.is("b"));
        assert_eq!(t.maybe, Present(Some(Leaf::Null)));
        assert_eq!(read("{}").maybe, Present(None));
    }

    #[test]
    fn reading_a_value_tree_gives_the_same_as_reading_text() {
        let value = json!({"name": "n", "tags": ["x", 1.5], "child": {"name": "c"}});
        let t = Thing::deserialize(&value).unwrap();
        assert!(t.name.is("n"));
        assert_eq!(
            t.tags.iter().nth(1),
            Some(&Leaf::Num(Number::from_f64(1.5).unwrap()))
        );
        assert!(t.child.single().is_some());
    }

    #[test]
    fn objects_nested_beyond_the_limit_are_skipped_and_the_count_unwinds() {
        let mut text = String::new();
        for _ in 0..(MAX_NESTING + 40) {
            text.push_str(r#"{"name": "n", "child": "#);
        }
        text.push_str("{}");
        for _ in 0..(MAX_NESTING + 40) {
            text.push('}');
        }
        let mut t = read(&text);
        let mut depth = 1;
        while let Some(child) = t.child.single().cloned() {
            assert!(t.name.is("n"));
            t = child;
            depth += 1;
        }
        assert_eq!(depth, MAX_NESTING + 1, "the last level read is a default");
        assert!(t.name.is_null());
        assert_eq!(NESTING.with(Cell::get), 0);
        assert!(serde_json::from_str::<Thing<'_>>(&text[..text.len() - 3]).is_err());
        assert_eq!(NESTING.with(Cell::get), 0, "left on an error too");
    }

    #[test]
    fn malformed_json_is_still_an_error() {
        assert!(serde_json::from_str::<Thing<'_>>(r#"{"name": "#).is_err());
        assert!(serde_json::from_str::<Thing<'_>>(r#"{"name": 1} x"#).is_err());
    }
}
