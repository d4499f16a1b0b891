//! One pass over a YAML file's events, before serde reads it, refusing what would cost far more to
//! read than its size suggests or what serde would take silently:
//!
//! * nesting deeper than [`MAX_DEPTH`]: libyaml's time grows with the square of the depth of flow
//!   collections (a megabyte of `[` takes minutes), and no bank or policy needs more than five levels;
//! * aliases that would expand the document past [`MAX_EXPANDED`] bytes: yaml_serde bounds the number
//!   of alias jumps, not what each one copies, so one long string aliased many times fills memory;
//! * a key given twice in one mapping: serde keeps the last silently for maps (two anchors for one
//!   scale point) and names only the enclosing mapping for struct fields.
//!
//! The events come from libyaml-rs, the parser yaml_serde itself uses, so both agree on what the
//! file says. The pass stops at the first problem, before the expensive part. A file libyaml
//! cannot parse is left to serde, which reports the syntax error with its position.

use libyaml_rs as sys;
use std::collections::HashMap;
use std::mem::MaybeUninit;

/// Deepest nesting of collections accepted.
pub const MAX_DEPTH: usize = 32;
/// Most bytes a document may expand to through its aliases (scalar text, plus one per node).
pub const MAX_EXPANDED: u64 = 4 * 1024 * 1024;

/// What was refused, where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Whether a key given twice in one mapping is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicates {
    Refuse,
    /// For text the record already holds, which earlier versions accepted with the last value kept.
    Allow,
}

/// Check `src` (see the module documentation).
pub fn check(src: &str, duplicates: Duplicates) -> Result<(), Refusal> {
    let Some(mut events) = Events::new(src.as_bytes()) else {
        return Ok(());
    };
    let mut walk = Walk {
        frames: Vec::new(),
        anchors: HashMap::new(),
        expanded: 0,
        duplicates,
    };
    while let Some((event, mark)) = events.next() {
        let done = matches!(event, Event::StreamEnd);
        walk.event(event, mark)?;
        if done {
            break;
        }
    }
    Ok(())
}

#[derive(Debug)]
enum Event {
    StreamEnd,
    DocumentStart,
    Alias(Vec<u8>),
    Scalar {
        anchor: Option<Vec<u8>>,
        value: Vec<u8>,
        plain: bool,
    },
    Start {
        anchor: Option<Vec<u8>>,
        mapping: bool,
    },
    End,
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Mark {
    line: usize,
    column: usize,
}

struct Frame {
    anchor: Option<Vec<u8>>,
    /// Bytes this collection expands to so far.
    size: u64,
    /// For a mapping: the keys seen (normalised) and where, and whether the next node is a key.
    keys: Option<HashMap<String, usize>>,
    at_key: bool,
}

struct Walk {
    frames: Vec<Frame>,
    /// Expanded size of each anchored node, by anchor name (a later anchor of the same name replaces
    /// the earlier one, as in YAML).
    anchors: HashMap<Vec<u8>, u64>,
    expanded: u64,
    duplicates: Duplicates,
}

fn refuse(mark: Mark, message: String) -> Refusal {
    Refusal {
        line: mark.line + 1,
        column: mark.column + 1,
        message,
    }
}

impl Walk {
    fn event(&mut self, event: Event, mark: Mark) -> Result<(), Refusal> {
        match event {
            Event::DocumentStart => self.anchors.clear(),
            Event::Start { anchor, mapping } => {
                self.key(mark, None)?;
                if self.frames.len() >= MAX_DEPTH {
                    return Err(refuse(
                        mark,
                        format!(
                            "nested more than {MAX_DEPTH} levels deep; no bank or policy needs more than a few"
                        ),
                    ));
                }
                self.grow(mark, 1)?;
                self.frames.push(Frame {
                    anchor,
                    size: 1,
                    keys: mapping.then(HashMap::new),
                    at_key: true,
                });
            }
            Event::End => {
                if let Some(f) = self.frames.pop() {
                    if let Some(parent) = self.frames.last_mut() {
                        parent.size = parent.size.saturating_add(f.size);
                    }
                    if let Some(a) = f.anchor {
                        self.anchors.insert(a, f.size);
                    }
                }
            }
            Event::Scalar {
                anchor,
                value,
                plain,
            } => {
                self.key(mark, Some((&value, plain)))?;
                let size = value.len() as u64 + 1;
                self.grow(mark, size)?;
                self.add(size);
                if let Some(a) = anchor {
                    self.anchors.insert(a, size);
                }
            }
            Event::Alias(name) => {
                self.key(mark, None)?;
                // An unknown anchor is serde's to report.
                let size = self.anchors.get(&name).copied().unwrap_or(1);
                self.grow(mark, size)?;
                self.add(size);
            }
            Event::StreamEnd | Event::Other => {}
        }
        Ok(())
    }

    /// Count `size` more expanded bytes in the document.
    fn grow(&mut self, mark: Mark, size: u64) -> Result<(), Refusal> {
        self.expanded = self.expanded.saturating_add(size);
        if self.expanded > MAX_EXPANDED {
            return Err(refuse(
                mark,
                format!(
                    "its aliases (`*name`) would expand the file to more than {MAX_EXPANDED} bytes; \
                     write the repeated text out instead"
                ),
            ));
        }
        Ok(())
    }

    /// Add a finished node's size to the collection holding it.
    fn add(&mut self, size: u64) {
        if let Some(f) = self.frames.last_mut() {
            f.size = f.size.saturating_add(size);
        }
    }

    /// Note a node in the current mapping: when it is a key, a scalar key seen before is refused.
    fn key(&mut self, mark: Mark, scalar: Option<(&[u8], bool)>) -> Result<(), Refusal> {
        let refuse_duplicates = self.duplicates == Duplicates::Refuse;
        let Some(f) = self.frames.last_mut() else {
            return Ok(());
        };
        let Some(keys) = f.keys.as_mut() else {
            return Ok(());
        };
        let was_key = f.at_key;
        f.at_key = !f.at_key;
        if !was_key || !refuse_duplicates {
            return Ok(());
        }
        // Collections and aliases as keys are not compared: no bank or policy has them, and serde
        // refuses them there.
        let Some((value, plain)) = scalar else {
            return Ok(());
        };
        let text = String::from_utf8_lossy(value);
        let normal = match plain.then(|| integer(&text)).flatten() {
            Some(n) => format!("int:{n}"),
            None => format!("str:{text}"),
        };
        if let Some(first) = keys.get(&normal) {
            return Err(refuse(
                mark,
                format!("duplicate key {text:?} (first given on line {first}): only one value can count"),
            ));
        }
        keys.insert(normal, mark.line + 1);
        Ok(())
    }
}

/// A plain scalar's value as an integer, by the rules yaml_serde reads integers with (sign, `0x`,
/// `0o`, `0b`; leading zeros make a string), so keys that read as the same number compare equal.
fn integer(s: &str) -> Option<i128> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(d) = rest.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = rest.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = rest.strip_prefix("0b") {
        (2, d)
    } else {
        if rest.len() > 1 && rest.starts_with('0') {
            return None;
        }
        (10, rest)
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let n = i128::from_str_radix(digits, radix).ok()?;
    Some(if negative { -n } else { n })
}

/// libyaml's event parser over a byte string.
struct Events<'a> {
    parser: Box<MaybeUninit<sys::yaml_parser_t>>,
    _input: std::marker::PhantomData<&'a [u8]>,
}

impl<'a> Events<'a> {
    fn new(input: &'a [u8]) -> Option<Events<'a>> {
        // Boxed so the parser never moves once initialised.
        let mut parser = Box::new(MaybeUninit::<sys::yaml_parser_t>::uninit());
        // SAFETY: the parser is initialised before any other call; the input outlives it (the
        // PhantomData ties it to `'a`); Drop deletes it exactly once, and only if it was initialised.
        unsafe {
            let p = parser.as_mut_ptr();
            if sys::yaml_parser_initialize(p).fail {
                return None;
            }
            sys::yaml_parser_set_encoding(p, sys::YAML_UTF8_ENCODING);
            sys::yaml_parser_set_input_string(p, input.as_ptr(), input.len() as _);
        }
        Some(Events {
            parser,
            _input: std::marker::PhantomData,
        })
    }

    /// The next event, or `None` at a syntax error.
    fn next(&mut self) -> Option<(Event, Mark)> {
        let mut raw = MaybeUninit::<sys::yaml_event_t>::uninit();
        // SAFETY: `yaml_parser_parse` fills the event on success (and only then is it read and
        // deleted); the union field read matches the event's type, and every pointer read is checked
        // for null and is valid until `yaml_event_delete`.
        unsafe {
            let p = self.parser.as_mut_ptr();
            let e = raw.as_mut_ptr();
            if sys::yaml_parser_parse(p, e).fail {
                return None;
            }
            let ev = &*e;
            let mark = Mark {
                line: ev.start_mark.line as usize,
                column: ev.start_mark.column as usize,
            };
            let event = match ev.type_ {
                sys::YAML_STREAM_END_EVENT => Event::StreamEnd,
                sys::YAML_DOCUMENT_START_EVENT => Event::DocumentStart,
                sys::YAML_ALIAS_EVENT => {
                    Event::Alias(c_bytes(ev.data.alias.anchor).unwrap_or_default())
                }
                sys::YAML_SCALAR_EVENT => {
                    let s = ev.data.scalar;
                    Event::Scalar {
                        anchor: c_bytes(s.anchor),
                        value: if s.value.is_null() {
                            Vec::new()
                        } else {
                            std::slice::from_raw_parts(s.value, s.length as usize).to_vec()
                        },
                        plain: s.style == sys::YAML_PLAIN_SCALAR_STYLE,
                    }
                }
                sys::YAML_SEQUENCE_START_EVENT => Event::Start {
                    anchor: c_bytes(ev.data.sequence_start.anchor),
                    mapping: false,
                },
                sys::YAML_MAPPING_START_EVENT => Event::Start {
                    anchor: c_bytes(ev.data.mapping_start.anchor),
                    mapping: true,
                },
                sys::YAML_SEQUENCE_END_EVENT | sys::YAML_MAPPING_END_EVENT => Event::End,
                _ => Event::Other,
            };
            sys::yaml_event_delete(e);
            Some((event, mark))
        }
    }
}

impl Drop for Events<'_> {
    fn drop(&mut self) {
        // SAFETY: an `Events` exists only with an initialised parser, deleted here once.
        unsafe { sys::yaml_parser_delete(self.parser.as_mut_ptr()) }
    }
}

/// The bytes of a NUL-terminated string from libyaml, if the pointer is not null.
///
/// # Safety
/// `p` must be null or point to a NUL-terminated string valid for the call.
unsafe fn c_bytes(p: *const u8) -> Option<Vec<u8>> {
    if p.is_null() {
        return None;
    }
    Some(std::ffi::CStr::from_ptr(p.cast()).to_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(src: &str) -> Refusal {
        check(src, Duplicates::Refuse).unwrap_err()
    }

    #[test]
    fn ordinary_yaml_passes() {
        let src = "a: 1\nb: [x, {c: d}]\nanchors: &std {1: a, 2: b}\nmore: *std\n";
        assert_eq!(check(src, Duplicates::Refuse), Ok(()));
        // A syntax error is left for serde to report.
        assert_eq!(check("a: [unclosed\n", Duplicates::Refuse), Ok(()));
    }

    #[test]
    fn deep_nesting_is_refused_where_it_passes_the_limit() {
        let r = refused(&"[".repeat(1_000_000));
        assert_eq!((r.line, r.column), (1, MAX_DEPTH + 1), "{r:?}");
        assert!(r.message.contains("nested more than 32 levels"), "{r:?}");
        assert!(check(
            &format!("{}{}", "[".repeat(32), "]".repeat(32)),
            Duplicates::Refuse
        )
        .is_ok());
        let block = format!("a:\n{}x\n", "- ".repeat(40));
        assert_eq!(refused(&block).line, 2);
    }

    #[test]
    fn aliases_are_counted_as_what_they_expand_to() {
        let big = "x".repeat(100_000);
        let refs = vec!["*t"; 50].join(", ");
        let r = refused(&format!("t: &t {big}\nlist: [{refs}]\n"));
        assert_eq!(r.line, 2, "{r:?}");
        assert!(
            r.message.contains("would expand the file to more than"),
            "{r:?}"
        );
        // Nested: each level ten aliases of the one before.
        let mut src = String::from("a0: &a0 [x]\n");
        for i in 1..12 {
            src.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                vec![format!("*a{}", i - 1); 10].join(",")
            ));
        }
        assert!(refused(&src).message.contains("would expand"));
        // A few reuses of a short anchor are fine.
        let few = format!("t: &t short\nlist: [{}]\n", vec!["*t"; 1000].join(", "));
        assert!(check(&few, Duplicates::Refuse).is_ok());
    }

    #[test]
    fn a_key_given_twice_is_refused_with_both_lines() {
        let r = refused("a: 1\nb:\n  text: x\n  text: y\n");
        assert_eq!((r.line, r.column), (4, 3), "{r:?}");
        assert_eq!(
            r.message,
            "duplicate key \"text\" (first given on line 3): only one value can count"
        );
        // Keys that read as the same integer are the same key.
        for (a, b) in [("1", "+1"), ("1", "0x1"), ("-2", "-2"), ("3", "0o3")] {
            let r = refused(&format!("{{{a}: x, {b}: y}}"));
            assert!(r.message.contains("duplicate key"), "{a} {b}: {r:?}");
        }
        // A quoted "1" is a string, a plain 1 a number; "01" is a string.
        assert!(check("{\"1\": x, 1: y, 01: z}", Duplicates::Refuse).is_ok());
        // Values and separate mappings do not clash.
        assert!(check("a: x\nb: x\nc: {a: 1}\n", Duplicates::Refuse).is_ok());
        assert!(check("a: 1\na: 2\n", Duplicates::Allow).is_ok());
    }
}
