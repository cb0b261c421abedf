//! The field tables of agentlock's own file formats: each key a mapping may have, its type and
//! what it means.
//!
//! The loaders check keys against these tables ([`Reader::check_keys`](super::read::Reader)
//! takes a [`Table`]), and `agentlock schema` generates the JSON Schemas editors use from the
//! same tables (see [`crate::schema`]): a key added to a loader is in its schema by
//! construction. A field the loader reads itself is declared with [`f`]; one it does not read
//! (a description, a setting kept for the lockfile) with [`passive`], and the key check then
//! checks its type too.

/// One key of a mapping.
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub doc: &'static str,
    /// The loader reports a mapping without it.
    pub required: bool,
    /// The loader does not read it: the key check checks its type.
    pub passive: bool,
    /// In YAML and JSON, null (a key with no value) is taken for a key that is not there;
    /// `false` where the loader rejects it.
    pub null: bool,
}

impl Field {
    /// A required key whose value may be null (`agents:` with nothing under it yet).
    pub const fn or_null(self) -> Field {
        Field { null: true, ..self }
    }

    /// The loader rejects null here (a tool's `source: ~`).
    pub const fn no_null(self) -> Field {
        Field {
            null: false,
            ..self
        }
    }
}

/// A field read by the loader's own code.
pub const fn f(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field {
        name,
        ty,
        doc,
        required: false,
        passive: false,
        null: true,
    }
}

/// A field the loader must find (with a value: null is missing, unless [`Field::or_null`]).
pub const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field {
        required: true,
        null: false,
        ..f(name, ty, doc)
    }
}

/// A field the loader does not read beyond its type, which the key check checks.
pub const fn passive(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field {
        passive: true,
        ..f(name, ty, doc)
    }
}

/// A mapping with known keys.
#[derive(Debug)]
pub struct Table {
    /// Its name among the schema's definitions (`agent`, `handoff`).
    pub name: &'static str,
    pub doc: &'static str,
    pub fields: &'static [Field],
    /// Other keys are allowed (the loader ignores them) rather than reported.
    pub open: bool,
    /// Exactly one of these keys must be present (a tool's `source`: npm, pypi, oci or url).
    pub exactly_one: &'static [&'static str],
}

impl Table {
    pub const fn new(name: &'static str, doc: &'static str, fields: &'static [Field]) -> Table {
        Table {
            name,
            doc,
            fields,
            open: false,
            exactly_one: &[],
        }
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.fields.iter().map(|f| f.name).collect()
    }

    pub fn get(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// The type of a value, as the loader accepts it.
#[derive(Debug)]
pub enum Ty {
    /// A string; the loader also takes a number or a boolean as the text it was written as
    /// (`version: 1.4`).
    Str,
    /// A string and nothing else.
    Text,
    /// A string matching a regular expression (ECMA 262, anchored by the pattern itself).
    Pattern(&'static str),
    /// A whole number of zero or more.
    Uint,
    /// A whole number of one or more.
    Positive,
    /// A whole number.
    Int,
    /// Any number.
    Number,
    /// A number from `.0` to `.1`, inclusive.
    Range(f64, f64),
    Bool,
    /// `250ms`, `30s`, `2m`.
    Duration,
    /// `50/s`, `600/m`, `1000/h`.
    Rate,
    /// `YYYY-MM-DD`.
    Date,
    /// A size: a number of bytes, or `10MiB`, `500KB`, …
    Size,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// Exactly this value.
    ConstInt(i64),
    List(&'static Ty),
    /// A list of strings, or a single string for a list of one.
    StrList,
    /// A mapping with the keys of a table.
    Object(&'static Table),
    /// A mapping of names of the user's choice to values of this type.
    Map(&'static Ty),
    /// Any one of these.
    OneOf(&'static [Ty]),
    /// Anything: the loader does not look inside.
    Any,
}

/// `250ms`, `30s`, `1.5m`: what [`crate::units::parse_duration`] accepts (and a little more:
/// the pattern does not check that a fraction of a millisecond is left).
pub const DURATION_PATTERN: &str = r"^\s*([0-9]+\.?[0-9]*|\.[0-9]+)\s*(ms|s|m)\s*$";
/// `50/s`: what [`crate::units::parse_rate`] accepts.
pub const RATE_PATTERN: &str = r"^\s*\+?0*[1-9][0-9]*\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$";
/// `YYYY-MM-DD`, or a date and time (that the day is in its month is checked by the loader).
pub const DATE_PATTERN: &str = r"^\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(T.*)?\s*$";
/// `10MiB`, `500 KB`, `1000`: a size with its unit.
pub const SIZE_PATTERN: &str = r"^\s*0*[1-9][0-9]*\s*(B|KB|kB|KiB|MB|MiB|GB|GiB)?\s*$";
