//! Every input a fuzz target once crashed on (`fuzz/regressions/TARGET/*`), replayed through
//! the same entry point, and a smoke run of every target on a few inputs of its shape, so the
//! harness itself is tested without the nightly toolchain.

use agentlock::fuzzing;

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("manifest", fuzzing::manifest),
    ("prompt", fuzzing::prompt),
    ("config", fuzzing::config),
    ("lockfile", fuzzing::lockfile),
    ("client_config", fuzzing::client_config),
    ("registry", fuzzing::registry),
    ("crewai", fuzzing::crewai),
    ("codeowners", fuzzing::codeowners),
    ("evidence", fuzzing::evidence),
    ("launch", fuzzing::launch),
    ("secret_never_printed", fuzzing::secret_never_printed),
    ("traces", fuzzing::traces),
    ("rego", fuzzing::rego),
    ("yaml_plain", fuzzing::yaml_plain),
    ("suppressions", fuzzing::suppressions),
];

#[test]
fn every_saved_crash_is_fixed() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for (name, target) in TARGETS {
        let Ok(dir) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        let mut files: Vec<_> = dir.map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).unwrap();
            let caught = std::panic::catch_unwind(|| target(&data));
            assert!(caught.is_ok(), "{name}: {} still fails", f.display());
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} saved fuzz inputs");
}

#[test]
fn every_target_runs_on_inputs_of_its_shape() {
    let inputs: &[&[u8]] = &[
        b"",
        b"\x00",
        b"\x01entry: a\nagents:\n  a: { role: router, handoffs: [a] }\n",
        b"\x02{\"mcpServers\": {\"x\": {\"command\": \"npx\", \"args\": [\"-y\", \"pkg\"]}}}",
        b"\x03---\nname: x\nversion: 1\n---\nbody\n",
        b"[project]\nname = \"x\"\n[paths]\nagents = \"/etc/passwd\"\nprompts = [\"../*\"]\n",
        b"version = 1\nroot = \"sha256:x\"\n[[prompt]]\nname = \"a\"\n",
        b"npx\x00-y\x00@scope/pkg@latest",
        b"a:\n  role: r\n  goal: g\n\x00t:\n  agent: a\n  context: [nope]\n",
        b"* @team\n/prompts/ @owners\n[x] @y\n",
        b"\x04key = ghp_ and more text\n\x1b[2J\x07",
        b"{\"dataset\": \"golden_happy_path\", \"case\": 1, \"metric\": \"overall\", \"pass\": false}\n",
        b"{\"evalId\": \"e\", \"results\": {\"version\": 3, \"results\": [{\"success\": true}]}}",
        b"<testsuites><testsuite name=\"t\"><testcase name=\"a\"><failure/></testcase></testsuite></testsuites>",
        b"schema: agentlock.qa/v1\nissues:\n  - {id: Q, severity: critical, status: open}\n",
        b"package p\n\n# METADATA\n# custom: [\ndeny contains {\"msg\": input.agents, \"code\": \"\", \"at\": [1, {}]} if { true }\nwarn[x] { x := 1/0 }\n",
    ];
    for (name, target) in TARGETS {
        for input in inputs {
            let caught = std::panic::catch_unwind(|| target(input));
            assert!(
                caught.is_ok(),
                "{name} on {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
