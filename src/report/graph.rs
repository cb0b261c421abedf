//! The agent topology drawn in Mermaid or Graphviz DOT, from [`crate::graph`]'s view: loops
//! with no bound red, agents the entry cannot reach dashed grey, undefined names dashed red.

use crate::graph::{Edge, Node, Output, view};
use crate::load::model::Model;
use std::fmt::Write as _;

/// Draws the model's agent topology in the chosen language.
pub fn render(model: &Model, output: Output) -> String {
    match output {
        Output::Mermaid => mermaid(model),
        Output::Dot => dot(model),
    }
}

fn edge_label(e: &Edge) -> Option<String> {
    match e.bound {
        Some(b) => Some(format!("max {b}")),
        None if e.unbounded_cycle => Some("no bound".to_string()),
        None => None,
    }
}

/// Replaces control characters (other than line breaks, which `line_break` handles) by a space.
fn clean_char(c: char) -> Option<char> {
    if c.is_control() { Some(' ') } else { None }
}

/// A project name for a one-line comment: control characters (line breaks too) become spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Escapes user text for a double-quoted Mermaid label: entity codes for the characters the
/// label syntax or its HTML rendering would read (`"`, `#`, `&`, `<`, `>`, and a backtick, which
/// would start a Markdown string), `<br/>` for a line break, a space for other control characters.
pub fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("<br/>");
            }
            '\n' => out.push_str("<br/>"),
            c => out.push(clean_char(c).unwrap_or(c)),
        }
    }
    out
}

/// Escapes user text for a double-quoted DOT string used as a label: `\` and `"` escaped, a line
/// break as `\n`, a space for other control characters.
pub fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c => out.push(clean_char(c).unwrap_or(c)),
        }
    }
    out
}

/// Colours: red for what needs fixing (unbounded loops, undefined names), grey for agents that
/// never run.
const RED: &str = "#d62728";
const GRAY: &str = "#7f7f7f";

/// A Mermaid class: its name, its style (in RED and GRAY) and which nodes have it.
type Class = (&'static str, &'static str, fn(&Node) -> bool);

/// A Mermaid flowchart of the topology.
pub fn mermaid(model: &Model) -> String {
    let v = view(model);
    let mut out = String::from("flowchart TD\n");
    let _ = writeln!(out, "    %% agentlock graph: {}", one_line(&v.title));
    for node in &v.nodes {
        let label: Vec<String> = node.lines.iter().map(|l| mermaid_escape(l)).collect();
        let label = label.join("<br/>");
        // An agent is a rounded box; an undefined name a plain rectangle.
        let (open, close) = if node.missing { ("[", "]") } else { ("(", ")") };
        let _ = writeln!(out, "    {}{open}\"{label}\"{close}", node.id);
    }
    for e in &v.edges {
        let (from, to) = (&v.nodes[e.from].id, &v.nodes[e.to].id);
        match edge_label(e) {
            Some(l) => {
                let _ = writeln!(out, "    {from} -->|{l}| {to}");
            }
            None => {
                let _ = writeln!(out, "    {from} --> {to}");
            }
        }
    }
    let classes: [Class; 4] = [
        ("entry", "stroke-width:4px", |n| n.entry),
        (
            "cycle",
            "stroke:#d62728,stroke-width:2px,color:#d62728",
            |n| n.cycle,
        ),
        (
            "unreachable",
            "stroke:#7f7f7f,stroke-dasharray:5 5,color:#7f7f7f",
            |n| n.unreachable,
        ),
        (
            "missing",
            "stroke:#d62728,stroke-dasharray:5 5,color:#d62728",
            |n| n.missing,
        ),
    ];
    for (name, style, member) in &classes {
        let ids: Vec<&str> = v
            .nodes
            .iter()
            .filter(|n| member(n))
            .map(|n| n.id.as_str())
            .collect();
        if !ids.is_empty() {
            let _ = writeln!(out, "    classDef {name} {style}");
            let _ = writeln!(out, "    class {} {name}", ids.join(","));
        }
    }
    let red_edges: Vec<String> = v
        .edges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.unbounded_cycle)
        .map(|(i, _)| i.to_string())
        .collect();
    if !red_edges.is_empty() {
        let _ = writeln!(
            out,
            "    linkStyle {} stroke:{RED},stroke-width:2px,color:{RED}",
            red_edges.join(",")
        );
    }
    out
}

/// A Graphviz DOT digraph of the topology.
pub fn dot(model: &Model) -> String {
    let v = view(model);
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&v.title));
    out.push_str("    rankdir=TB;\n");
    out.push_str("    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
    out.push_str("    edge [fontname=\"Helvetica\"];\n");
    for node in &v.nodes {
        let label: Vec<String> = node.lines.iter().map(|l| dot_escape(l)).collect();
        let mut attrs = vec![format!("label=\"{}\"", label.join("\\n"))];
        if node.entry {
            attrs.push("peripheries=2".into());
        }
        if node.unreachable || node.missing {
            attrs.push("style=\"rounded,dashed\"".into());
        }
        if node.cycle || node.missing {
            attrs.push(format!("color=\"{RED}\", fontcolor=\"{RED}\""));
        } else if node.unreachable {
            attrs.push(format!("color=\"{GRAY}\", fontcolor=\"{GRAY}\""));
        }
        if node.cycle {
            attrs.push("penwidth=2".into());
        }
        let _ = writeln!(out, "    {} [{}];", node.id, attrs.join(", "));
    }
    for e in &v.edges {
        let mut attrs = Vec::new();
        if let Some(l) = edge_label(e) {
            attrs.push(format!("label=\"{l}\""));
        }
        if e.unbounded_cycle {
            attrs.push(format!("color=\"{RED}\", fontcolor=\"{RED}\", penwidth=2"));
        }
        let (from, to) = (&v.nodes[e.from].id, &v.nodes[e.to].id);
        if attrs.is_empty() {
            let _ = writeln!(out, "    {from} -> {to};");
        } else {
            let _ = writeln!(out, "    {from} -> {to} [{}];", attrs.join(", "));
        }
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::{LOOPS, model};

    #[test]
    fn mermaid_escapes_what_its_labels_would_read() {
        let cases = [
            ("plain", "plain"),
            ("say \"hi\"", "say #quot;hi#quot;"),
            ("a#b;", "a#35;b;"),
            ("x & y", "x #amp; y"),
            ("<script>", "#lt;script#gt;"),
            ("`md`", "#96;md#96;"),
            ("[a](b){c}|d", "[a](b){c}|d"),
            ("two\nlines", "two<br/>lines"),
            ("crlf\r\nend", "crlf<br/>end"),
            ("tab\there", "tab here"),
            ("ünïcødé →", "ünïcødé →"),
        ];
        for (input, want) in cases {
            assert_eq!(mermaid_escape(input), want, "{input:?}");
        }
    }

    #[test]
    fn dot_escapes_quotes_backslashes_and_line_breaks() {
        let cases = [
            ("plain", "plain"),
            ("say \"hi\"", "say \\\"hi\\\""),
            ("back\\slash", "back\\\\slash"),
            ("ends with \\", "ends with \\\\"),
            ("two\nlines", "two\\nlines"),
            ("crlf\r\nend", "crlf\\nend"),
            ("<b>{x}|[y]", "<b>{x}|[y]"),
            ("bell\u{7}", "bell "),
        ];
        for (input, want) in cases {
            assert_eq!(dot_escape(input), want, "{input:?}");
        }
    }

    #[test]
    fn mermaid_and_dot_escape_agent_names() {
        let m = model(
            "entry: \"say \\\"hi\\\"\"\nagents:\n  \"say \\\"hi\\\"\": { role: \"a<b>\\nc\", handoffs: [\"back\\\\slash [x]\"] }\n",
            None,
        );
        let mm = mermaid(&m);
        assert!(
            mm.contains(
                "agent_say__hi_(\"say #quot;hi#quot; (entry)<br/>role: a#lt;b#gt;<br/>c<br/>"
            ),
            "{mm}"
        );
        assert!(
            mm.contains("missing_back_slash__x_[\"back\\slash [x]<br/>not defined\"]"),
            "{mm}"
        );
        assert!(
            mm.contains("agent_say__hi_ --> missing_back_slash__x_"),
            "{mm}"
        );
        let d = dot(&m);
        assert!(
            d.contains("agent_say__hi_ [label=\"say \\\"hi\\\" (entry)\\nrole: a<b>\\nc\\n"),
            "{d}"
        );
        assert!(
            d.contains("label=\"back\\\\slash [x]\\nnot defined\""),
            "{d}"
        );
    }

    #[test]
    fn mermaid_styles_count_links_in_order() {
        let m = model(LOOPS, None);
        let text = mermaid(&m);
        // edges 2, 4, 5 (b → c, c → b, d → d) are the unbounded loops
        assert!(text.contains("    linkStyle 2,4,5 stroke:"), "{text}");
        assert!(
            text.contains("    class agent_b,agent_c,agent_d cycle\n"),
            "{text}"
        );
        assert!(text.contains("    class agent_d unreachable\n"), "{text}");
        assert!(text.contains("    class missing_ghost missing\n"), "{text}");
        // The class styles use the same colours as DOT.
        assert!(
            text.contains(&format!("classDef cycle stroke:{RED},")),
            "{text}"
        );
        assert!(
            text.contains(&format!("classDef unreachable stroke:{GRAY},")),
            "{text}"
        );
        assert!(
            text.contains(&format!("classDef missing stroke:{RED},")),
            "{text}"
        );
        assert!(text.contains("    agent_c -->|max 2| agent_a\n"), "{text}");
        assert!(
            text.contains("    agent_b -->|no bound| agent_c\n"),
            "{text}"
        );
    }

    #[test]
    fn no_topology_draws_an_empty_graph() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("agentlock.toml"),
            "[project]\nname = \"t\"\n",
        )
        .unwrap();
        let m = crate::load::load_dir(dir.path()).unwrap();
        assert_eq!(mermaid(&m), "flowchart TD\n    %% agentlock graph: t\n");
        assert!(dot(&m).ends_with("edge [fontname=\"Helvetica\"];\n}\n"));
    }
}
