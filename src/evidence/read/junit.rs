//! JUnit XML test reports (pytest `--junitxml`, cargo2junit, jest-junit, Surefire, …): a
//! `<testsuites>` root or a single `<testsuite>`, suites nested in suites, and `<testcase name
//! classname time>` elements whose `<failure>`, `<error>` and `<skipped>` children give the
//! outcome (a failure before an error before a skip; none is a pass).
//!
//! Each `<testcase>` gives a [`TestCase`]: its name is `classname.name` (or `name`), its suite the
//! `name` of the nearest enclosing suite that has one, its message the first line of the
//! failure's or error's `message` attribute (or, without one, of its text), at most 200
//! characters. There are no observations.
//!
//! The XML is read without a DTD: a `<!DOCTYPE>` is refused, and only the five predefined
//! entities and character references are expanded (so no input can make the reader expand
//! entities into more text than it holds).

use super::{Help, error, next_boundary, without_bom};
use crate::evidence::results::{Harness, Outcome, ReadError, Results, TestCase};
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use std::borrow::Cow;

/// The longest message kept, in characters.
const MESSAGE_CHARS: usize = 200;

enum Frame {
    /// A `<testsuites>` or `<testsuite>`, and its `name`.
    Suite(Option<String>),
    /// The `<testcase>` being read.
    Case,
    /// A `<failure>`, `<error>` or `<skipped>` of it.
    Outcome,
    Other,
}

/// The `<testcase>` being read.
struct Open {
    start: usize,
    name: String,
    suite: String,
    failed: bool,
    errored: bool,
    skipped: bool,
    failure: Option<String>,
    error: Option<String>,
    /// The text of the failure or error being read, for a message when it has no `message`.
    text: Option<String>,
    text_for_failure: bool,
}

/// Reads a JUnit XML report.
pub fn read(text: &str) -> Result<Results, ReadError> {
    let (body, bom) = without_bom(text);
    let mut reader = Reader::from_str(body);
    let mut stack: Vec<Frame> = Vec::new();
    let mut tests = Vec::new();
    let mut open: Option<Open> = None;
    let mut root_seen = false;
    // quick-xml's positions are byte offsets in `body`; on a character boundary of `text`.
    let pos = |p: u64| {
        let p = usize::try_from(p).unwrap_or(usize::MAX).min(body.len());
        super::floor_boundary(text, bom + p)
    };
    loop {
        let before = pos(reader.buffer_position());
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let at = pos(reader.error_position());
                return Err(error(
                    format!(
                        "the file is not well-formed XML: {}",
                        super::cut(&e.to_string())
                    ),
                    (at, next_boundary(text, at)),
                ));
            }
        };
        let after = pos(reader.buffer_position());
        let at = (before, after);
        match event {
            Event::DocType(_) => {
                return Err(error(
                    "the file declares a DOCTYPE: agentlock reads JUnit XML without one",
                    at,
                )
                .help("remove the `<!DOCTYPE …>` line; JUnit reports need none"));
            }
            Event::Start(e) => {
                start(&e, at, &mut stack, &mut open, &mut root_seen, text)?;
            }
            Event::Empty(e) => {
                start(&e, at, &mut stack, &mut open, &mut root_seen, text)?;
                end(&mut stack, &mut open, &mut tests, after);
            }
            Event::End(_) => end(&mut stack, &mut open, &mut tests, after),
            Event::Text(t) => capture(&mut open, &t.xml10_content()),
            Event::CData(c) => capture(&mut open, &c.xml10_content()),
            Event::GeneralRef(r) => {
                let resolved: Cow<str> = match r.resolve_char_ref() {
                    Ok(Some(c)) => Cow::Owned(c.to_string()),
                    Ok(None) => match resolve_predefined_entity(&r.xml10_content()) {
                        Some(s) => Cow::Borrowed(s),
                        None => {
                            return Err(error(
                                "the file refers to an entity that is not one of XML's five \
                                 (`&lt;`, `&gt;`, `&amp;`, `&apos;`, `&quot;`): agentlock \
                                 expands no others",
                                at,
                            ));
                        }
                    },
                    Err(_) => {
                        return Err(error("the file holds an invalid character reference", at));
                    }
                };
                capture(&mut open, &resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let end_span = (text.len(), text.len());
    if let Some(frame) = stack.last() {
        let what = match frame {
            Frame::Suite(_) => "a <testsuite>",
            Frame::Case => "a <testcase>",
            _ => "an element",
        };
        return Err(error(format!("the file ends inside {what}"), end_span));
    }
    if !root_seen {
        return Err(error(
            "the file has no <testsuites> or <testsuite> element: it is not a JUnit report",
            end_span,
        ));
    }
    Ok(Results {
        harness: Harness::Junit,
        observations: Vec::new(),
        tests,
    })
}

fn start(
    e: &BytesStart,
    at: (usize, usize),
    stack: &mut Vec<Frame>,
    open: &mut Option<Open>,
    root_seen: &mut bool,
    text: &str,
) -> Result<(), ReadError> {
    let name = e.local_name().into_inner();
    if stack.is_empty() {
        if *root_seen {
            return Err(error(
                "the file has a second root element after its first",
                at,
            ));
        }
        *root_seen = true;
        if !matches!(name, "testsuites" | "testsuite") {
            return Err(error(
                format!(
                    "the root element is {}, not <testsuites> or <testsuite>: it is not a JUnit \
                     report",
                    element_shown(name)
                ),
                at,
            ));
        }
    }
    let frame = match name {
        "testsuites" | "testsuite" => Frame::Suite(attr(e, "name", at)?),
        "testcase" if open.is_none() => {
            let Some(case) = attr(e, "name", at)? else {
                return Err(error("a <testcase> has no `name`", at));
            };
            let name = match attr(e, "classname", at)? {
                Some(class) if !class.is_empty() => format!("{class}.{case}"),
                _ => case,
            };
            let suite = stack
                .iter()
                .rev()
                .find_map(|f| match f {
                    Frame::Suite(Some(n)) => Some(n.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let start = if text.as_bytes().get(at.0) == Some(&b'<') {
                at.0
            } else {
                text.get(at.0..at.1)
                    .and_then(|s| s.find('<'))
                    .map_or(at.0, |i| at.0 + i)
            };
            *open = Some(Open {
                start,
                name,
                suite,
                failed: false,
                errored: false,
                skipped: false,
                failure: None,
                error: None,
                text: None,
                text_for_failure: false,
            });
            Frame::Case
        }
        "failure" | "error" | "skipped" if matches!(stack.last(), Some(Frame::Case)) => {
            let message = match name {
                "skipped" => None,
                _ => attr(e, "message", at)?.and_then(|m| first_line(&m)),
            };
            if let Some(o) = open.as_mut() {
                match name {
                    "failure" => {
                        o.failed = true;
                        o.failure = o.failure.take().or(message.clone());
                    }
                    "error" => {
                        o.errored = true;
                        o.error = o.error.take().or(message.clone());
                    }
                    _ => o.skipped = true,
                }
                if name != "skipped" && message.is_none() {
                    o.text = Some(String::new());
                    o.text_for_failure = name == "failure";
                }
            }
            Frame::Outcome
        }
        _ => Frame::Other,
    };
    stack.push(frame);
    Ok(())
}

fn end(stack: &mut Vec<Frame>, open: &mut Option<Open>, tests: &mut Vec<TestCase>, after: usize) {
    match stack.pop() {
        Some(Frame::Case) => {
            if let Some(o) = open.take() {
                let (outcome, message) = if o.failed {
                    (Outcome::Failed, o.failure)
                } else if o.errored {
                    (Outcome::Errored, o.error)
                } else if o.skipped {
                    (Outcome::Skipped, None)
                } else {
                    (Outcome::Passed, None)
                };
                tests.push(TestCase {
                    name: o.name,
                    suite: o.suite,
                    outcome,
                    message,
                    start: o.start,
                    end: after.max(o.start),
                });
            }
        }
        Some(Frame::Outcome) => {
            if let Some(o) = open.as_mut()
                && let Some(t) = o.text.take()
            {
                let line = first_line(&t);
                if o.text_for_failure {
                    o.failure = o.failure.take().or(line);
                } else {
                    o.error = o.error.take().or(line);
                }
            }
        }
        _ => {}
    }
}

/// Adds the text of a failure or error being read, up to what a message can keep.
fn capture(open: &mut Option<Open>, piece: &str) {
    if let Some(t) = open.as_mut().and_then(|o| o.text.as_mut())
        && t.len() < 4 * MESSAGE_CHARS
    {
        t.push_str(piece);
    }
}

/// An attribute's value (entities and character references expanded, whitespace normalized).
fn attr(e: &BytesStart, key: &str, at: (usize, usize)) -> Result<Option<String>, ReadError> {
    for a in e.attributes() {
        let a = a.map_err(|err| {
            error(
                format!(
                    "an attribute of {} is not well-formed: {}",
                    element_shown(e.local_name().into_inner()),
                    super::cut(&err.to_string())
                ),
                at,
            )
        })?;
        if a.key.local_name().into_inner() == key {
            return match a.normalized_value(XmlVersion::Implicit1_0) {
                Ok(v) => Ok(Some(v.into_owned())),
                Err(err) => {
                    use quick_xml::escape::EscapeError;
                    let element = element_shown(e.local_name().into_inner());
                    let what = match err {
                        quick_xml::Error::Escape(EscapeError::InvalidCharRef(_)) => {
                            "holds an invalid character reference (`&#…;` of no character)"
                        }
                        quick_xml::Error::Escape(EscapeError::UnterminatedEntity(_)) => {
                            "holds an `&` with no `;` after it (write it `&amp;`)"
                        }
                        _ => {
                            "refers to an entity that is not one of XML's five: agentlock \
                             expands no others"
                        }
                    };
                    Err(error(format!("the `{key}` of {element} {what}"), at))
                }
            };
        }
    }
    Ok(None)
}

/// `<name>` for a message, when the name is short.
fn element_shown(name: &str) -> String {
    if name.chars().count() <= 40 {
        format!("<{name}>")
    } else {
        "an element".to_string()
    }
}

/// The first non-blank line, trimmed, cut to [`MESSAGE_CHARS`] characters.
fn first_line(s: &str) -> Option<String> {
    let line = s.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(match line.char_indices().nth(MESSAGE_CHARS) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fixture() {
        let text = include_str!("../../../tests/fixtures/evidence/junit.xml");
        assert_eq!(super::super::detect(text), Some(Harness::Junit));
        let r = read(text).unwrap();
        let got: Vec<_> = r
            .tests
            .iter()
            .map(|t| (t.name.as_str(), t.outcome))
            .collect();
        assert_eq!(
            got,
            [
                ("tests.test_tools.test_refund_tool_schema", Outcome::Passed),
                (
                    "tests.test_tools.test_lookup_order_requires_email",
                    Outcome::Passed
                ),
                ("tests.test_agent.test_handoff_to_billing", Outcome::Failed),
                (
                    "tests.test_agent.test_escalation_after_three_turns",
                    Outcome::Errored
                ),
                ("tests.test_agent.test_voice_channel", Outcome::Skipped),
            ]
        );
        assert_eq!(
            r.tests[2].message.as_deref(),
            Some("AssertionError: expected handoff to 'billing', got 'support'")
        );
        assert_eq!(
            r.tests[3].message.as_deref(),
            Some("failed on setup with \"fixture 'crm' not found\"")
        );
        assert!(r.tests.iter().all(|t| t.suite == "pytest"));
        for t in &r.tests {
            assert!(text[t.start..t.end].starts_with("<testcase "));
        }
    }

    const PYTEST: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests">
  <testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="1.2" timestamp="2025-01-01T00:00:00" hostname="ci">
    <testcase classname="tests.test_support" name="test_refund_policy" time="0.3" />
    <testcase classname="tests.test_support" name="test_password_reset" time="0.4"><failure message="AssertionError: assert 'no' == 'yes'&#10;  - yes&#10;  + no">def test_password_reset():
&gt;       assert answer == "yes"</failure></testcase>
    <testcase classname="tests.test_support" name="test_escalation" time="0.1"><error message="fixture 'agent' not found">file tests/test_support.py, line 20</error></testcase>
    <testcase classname="tests.test_support" name="test_later" time="0.0"><skipped type="pytest.skip" message="not yet">skipped</skipped></testcase>
  </testsuite>
</testsuites>
"#;

    #[test]
    fn each_testcase_gives_a_test() {
        let r = read(PYTEST).unwrap();
        assert_eq!(r.harness, Harness::Junit);
        assert!(r.observations.is_empty());
        let got: Vec<_> = r
            .tests
            .iter()
            .map(|t| {
                (
                    t.name.as_str(),
                    t.suite.as_str(),
                    t.outcome,
                    t.message.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "tests.test_support.test_refund_policy",
                    "pytest",
                    Outcome::Passed,
                    None
                ),
                (
                    "tests.test_support.test_password_reset",
                    "pytest",
                    Outcome::Failed,
                    Some("AssertionError: assert 'no' == 'yes'")
                ),
                (
                    "tests.test_support.test_escalation",
                    "pytest",
                    Outcome::Errored,
                    Some("fixture 'agent' not found")
                ),
                (
                    "tests.test_support.test_later",
                    "pytest",
                    Outcome::Skipped,
                    None
                ),
            ]
        );
        let t = &r.tests[0];
        assert_eq!(
            &PYTEST[t.start..t.end],
            r#"<testcase classname="tests.test_support" name="test_refund_policy" time="0.3" />"#
        );
        let t = &r.tests[1];
        assert!(PYTEST[t.start..t.end].starts_with(
            "<testcase classname=\"tests.test_support\" name=\"test_password_reset\""
        ));
        assert!(PYTEST[t.start..t.end].ends_with("</failure></testcase>"));
    }

    #[test]
    fn a_single_suite_nested_suites_and_messages_from_text() {
        let xml = "\u{feff}<testsuite name=\"outer\"><testsuite><testcase name=\"a\"><failure>\n\n  expected 1, got 2\nstack</failure><error message=\"later\"/></testcase></testsuite><testcase name=\"b\" classname=\"\"/></testsuite>";
        let r = read(xml).unwrap();
        assert_eq!(r.tests[0].name, "a");
        assert_eq!(r.tests[0].suite, "outer");
        assert_eq!(r.tests[0].outcome, Outcome::Failed);
        assert_eq!(r.tests[0].message.as_deref(), Some("expected 1, got 2"));
        assert_eq!(r.tests[1].name, "b");
        assert_eq!(
            &xml[r.tests[1].start..r.tests[1].end],
            "<testcase name=\"b\" classname=\"\"/>"
        );
        let long = format!(
            "<testsuite><testcase name=\"x\"><failure message=\"{}\"/></testcase></testsuite>",
            "y".repeat(500)
        );
        let m = read(&long).unwrap().tests[0].message.clone().unwrap();
        assert_eq!(m.chars().count(), MESSAGE_CHARS + 1);
    }

    #[test]
    fn hostile_xml_is_refused_not_expanded() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><testsuites><testcase name="&lol2;"/></testsuites>"#;
        let e = read(bomb).unwrap_err();
        assert!(e.message.contains("DOCTYPE"), "{}", e.message);
        assert!(bomb[e.start..e.end].starts_with("<!DOCTYPE"));
        let e = read(r#"<testsuites><testcase name="a&ent;b"/></testsuites>"#).unwrap_err();
        assert!(e.message.contains("entity"), "{}", e.message);
        let e =
            read("<testsuites><testcase name=\"a\">&nbsp;</testcase></testsuites>").unwrap_err();
        assert!(e.message.contains("entity"), "{}", e.message);
        // A character reference is not an entity, in an attribute as in text.
        for bad in [
            "<testsuites><testcase name=\"a&#0;b\"/></testsuites>",
            "<testsuites><testcase name=\"a&#xZZ;b\"/></testsuites>",
            "<testsuites><testcase name=\"a\">&#0;</testcase></testsuites>",
        ] {
            let e = read(bad).unwrap_err();
            assert!(
                e.message.contains("invalid character reference") && !e.message.contains("entity"),
                "{bad}: {}",
                e.message
            );
        }
        let e = read("<testsuites><testcase name=\"a & b\"/></testsuites>").unwrap_err();
        assert!(!e.message.contains("entity"), "{}", e.message);
        let deep = format!(
            "<testsuites>{}{}</testsuites>",
            "<x>".repeat(100_000),
            "</x>".repeat(100_000)
        );
        assert!(read(&deep).unwrap().tests.is_empty());
    }

    #[test]
    fn malformed_reports_are_refused_where_they_break() {
        let e = read("<testsuites><testcase name=\"a\"></testsuite></testsuites>").unwrap_err();
        assert!(
            e.message.starts_with("the file is not well-formed XML"),
            "{}",
            e.message
        );
        let e = read("<testsuites><testsuite name=\"s\">").unwrap_err();
        assert!(e.message.contains("ends inside"), "{}", e.message);
        let e = read("<html><body/></html>").unwrap_err();
        assert_eq!(
            e.message,
            "the root element is <html>, not <testsuites> or <testsuite>: it is not a JUnit report"
        );
        let e = read("<testsuites><testcase time=\"1\"/></testsuites>").unwrap_err();
        assert_eq!(e.message, "a <testcase> has no `name`");
        let e = read("<testsuites/><testsuites/>").unwrap_err();
        assert!(e.message.contains("second root"), "{}", e.message);
        let e = read("<testsuites><testcase name=\"a\" name=\"b\"/></testsuites>").unwrap_err();
        assert!(e.message.contains("not well-formed"), "{}", e.message);
        assert!(read("  ").is_err());
    }

    #[test]
    fn offsets_stay_on_character_boundaries() {
        // Found by fuzzing: an error position inside a second byte order mark.
        let text = "\u{feff}\u{feff}\u{3}<\u{1}<o";
        super::super::fuzz(text.as_bytes());
        let e = read(text).unwrap_err();
        assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
    }

    #[test]
    fn fuzz_smoke_on_truncations_and_flips() {
        super::super::fuzz_smoke(PYTEST, 1, 3, b"<>/&\"!?");
    }
}
