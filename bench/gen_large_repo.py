#!/usr/bin/env python3
"""Generate a large, valid agentlock format-v1 repository for benchmarking.

Usage:
    python3 bench/gen_large_repo.py OUTDIR [--prompts 10000] [--agents 2000]
                                           [--servers 500] [--dataset-items 300]
                                           [--seed 20261101] [--force]

Standard library only. The output is deterministic: the same arguments give
the same bytes on every machine (fixed seed, sorted writes, LF line endings).

What it writes (see shared/DESIGN.md section 2):
    agentlock.toml            [project] name = "large-bench" + allowed roles/permissions
    prompts/pNNNNN.prompt     ~2 KB each: YAML front matter + varied English body
    agents.yaml               entry a0000; agent i hands off to 2i+1 and 2i+2 (a binary
                              tree, so every agent is reachable), plus a few leaf->ancestor
                              back-edges written as { to: aXXXX, max_iterations: 3 }
    tools/sNNN.yaml           one MCP server per file, 3 tool definitions each
    models.yaml               fast / reasoning, both pinned snapshots
    deploy.yaml               runtime, rollout, telemetry, kpis (request_timeout sized so the
                              worst-case path through the tree fits)
    datasets/golden_*.jsonl   happy path, edge cases, failures, with a _dataset header line
    CODEOWNERS                * @bench/owners

The repository is meant to be clean (no findings) apart from rules that need git
(release tags, lockfile): prompts that no agent uses are expected, since there are
more prompts than agents (PRM005, if enabled, reports them).
"""

import argparse
import json
import os
import random
import shutil
import sys
import time

ROLES = ["router", "planner", "executor", "critic"]

AGENT_TIMEOUT_S = 30
AGENT_RETRIES = 2
TOOL_TIMEOUT_S = 20
BACK_EDGE_ITERATIONS = 3

# Word lists for the prompt bodies. Plain, low-entropy English words only: nothing
# that looks like a credential, a URL, an email address or an instruction to hide
# something from the user (those would trip the secret and poisoning detectors).
ADJECTIVES = """
accurate brief careful clear complete concise consistent correct current detailed
direct early exact factual final formal friendly general helpful honest initial
local logical main minor neutral new numbered ordered original plain
polite precise previous primary proper quick recent relevant reliable short simple
single specific stable steady structured thorough timely useful valid visible whole
""".split()

NOUNS = """
account action agent analysis answer approach argument article assumption budget
calendar case category change check choice claim client comment conclusion
condition context contract customer date deadline decision delivery detail
document draft error estimate event evidence example fact feedback field file
finding goal guideline history invoice issue item language limit list message
method metric milestone note number option order outcome outline owner page
paragraph plan policy priority problem process product project question quote
reason record reference region release report request requirement result review
risk schedule section sentence shipment source step summary supplier table task
team template term test ticket timeline topic update user value version warning
""".split()

VERBS = """
add address analyse answer arrange assess check choose clarify classify collect
compare confirm consider count describe detect draft estimate explain extract
follow group highlight identify include keep label list mark measure merge note
order outline prefer prepare quote rank read record reduce refer remove repeat
report restate review rewrite select separate sort split state summarise support
track translate update verify weigh write
""".split()

ADVERBS = """
briefly carefully clearly concisely consistently directly exactly explicitly
first gently honestly immediately only plainly politely precisely quickly
separately simply strictly then thoroughly usually
""".split()

PREPOSITIONS = "about across after against before between for from into of on per under with within without".split()

DETERMINERS = ["the", "each", "every", "any", "one", "the next", "the current", "a single"]

CONNECTIVES = [
    "If", "When", "Before", "After", "Unless", "Whenever", "Once", "As soon as",
]

ROLE_OPENERS = {
    "router": "You are the router. Read the incoming request and decide which agent should handle it.",
    "planner": "You are the planner. Break the goal into a short list of concrete steps.",
    "executor": "You are the executor. Carry out one step of the plan and report what you did.",
    "critic": "You are the critic. Check the result of the previous step against the request.",
}

SECTION_TITLES = [
    "Context", "Steps", "Guidelines", "Output", "Constraints", "Examples", "Checks", "Tone",
]


def title_case(s):
    return s[:1].upper() + s[1:]


class Text:
    """Deterministic pseudo-English from the word lists above."""

    def __init__(self, rng):
        self.rng = rng

    def np(self):
        r = self.rng
        if r.random() < 0.6:
            return "%s %s %s" % (r.choice(DETERMINERS), r.choice(ADJECTIVES), r.choice(NOUNS))
        return "%s %s" % (r.choice(DETERMINERS), r.choice(NOUNS))

    def sentence(self):
        r = self.rng
        k = r.randrange(6)
        if k == 0:
            s = "%s %s %s %s." % (title_case(r.choice(VERBS)), self.np(), r.choice(PREPOSITIONS), self.np())
        elif k == 1:
            s = "%s %s %s, %s %s %s." % (
                r.choice(CONNECTIVES), self.np(), "is " + r.choice(ADJECTIVES),
                r.choice(ADVERBS), r.choice(VERBS), self.np())
        elif k == 2:
            s = "%s %s %s and %s %s." % (
                title_case(r.choice(ADVERBS)), r.choice(VERBS), self.np(), r.choice(VERBS), self.np())
        elif k == 3:
            s = "Make sure %s is %s and %s." % (self.np(), r.choice(ADJECTIVES), r.choice(ADJECTIVES))
        elif k == 4:
            s = "Keep %s %s, and %s %s %s %s." % (
                self.np(), r.choice(ADJECTIVES), r.choice(VERBS), self.np(),
                r.choice(PREPOSITIONS), self.np())
        else:
            s = "Do not %s %s %s %s; %s %s instead." % (
                r.choice(VERBS), self.np(), r.choice(PREPOSITIONS), self.np(),
                r.choice(VERBS), self.np())
        return s

    def paragraph(self, n):
        return " ".join(self.sentence() for _ in range(n))


def width(n):
    return max(1, len(str(max(0, n - 1))))


class Names:
    def __init__(self, prompts, agents, servers):
        self.pw = max(5, width(prompts))
        self.aw = max(4, width(agents))
        self.sw = max(3, width(servers))

    def prompt(self, i):
        return "p%0*d" % (self.pw, i)

    def agent(self, i):
        return "a%0*d" % (self.aw, i)

    def server(self, i):
        return "s%0*d" % (self.sw, i)


def write(root, rel, text, counter):
    path = os.path.join(root, *rel.split("/"))
    data = text.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)
    counter["files"] += 1
    counter["bytes"] += len(data)


def q(s):
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s, ensure_ascii=True)


# ---------------------------------------------------------------------------


def gen_manifest():
    return (
        "# Generated by bench/gen_large_repo.py. Benchmark input, not a real system.\n"
        "[project]\n"
        'name = "large-bench"\n'
        "\n"
        "[policy.limits]\n"
        'allowed_roles = ["planner", "executor", "critic", "router"]\n'
        'allowed_permissions = ["repo:read"]\n'
    )


def prompt_model(i):
    return "reasoning" if i % 3 == 0 else "fast"


def gen_prompt(rng, name, i):
    role = ROLES[i % len(ROLES)]
    text = Text(rng)
    head = (
        "---\n"
        "name: %s\n"
        "version: 1.0.0\n"
        "model: %s\n"
        "config: { temperature: 0.2, max_output_tokens: 1024 }\n"
        "---\n" % (name, prompt_model(i))
    )
    target = rng.randint(1650, 2050)  # bytes before the last block; files end up ~1.7-2.5 KB
    parts = [ROLE_OPENERS[role] + " " + text.paragraph(rng.randint(2, 3))]
    titles = SECTION_TITLES[:]
    rng.shuffle(titles)
    ti = 0
    size = len(head) + len(parts[0]) + 1
    while size < target:
        kind = rng.randrange(3)
        if kind == 0 and ti < len(titles):
            block = "## %s\n\n%s" % (titles[ti], text.paragraph(rng.randint(2, 4)))
            ti += 1
        elif kind == 1:
            block = "\n".join("%d. %s" % (k + 1, text.sentence()) for k in range(rng.randint(3, 5)))
        else:
            block = text.paragraph(rng.randint(3, 5))
        parts.append(block)
        size += len(block) + 2
    parts.append("The request to handle is:\n\n{{request}}")
    return head + "\n" + "\n\n".join(parts) + "\n"


def tree_depth(n_agents):
    """Number of agents on the longest entry-to-leaf path of the binary tree."""
    d = 0
    while (1 << d) - 1 < n_agents:
        d += 1
    return d


def back_edges(n_agents):
    """Leaf -> ancestor edges, bounded by max_iterations. No two share a parent,
    so at most one bounded loop lies on any entry-to-leaf path of the tree."""
    edges = {}
    first_leaf = n_agents // 2  # agents >= this have no children (2i+1 >= n)
    leaves = n_agents - first_leaf
    count = max(1, n_agents // 200) if n_agents >= 3 else 0
    if count == 0 or leaves <= 0:
        return edges
    step = max(2, leaves // count)
    for k in range(count):
        leaf = first_leaf + k * step + 1
        if leaf >= n_agents or leaf == 0:
            break
        if k % 3 == 2:
            # a longer loop: back to the great-grandparent (or the root)
            target = leaf
            for _ in range(3):
                if target > 0:
                    target = (target - 1) // 2
        else:
            target = (leaf - 1) // 2  # the parent
        edges[leaf] = target
    return edges


def gen_agents(names, n_agents, n_prompts, n_servers):
    out = [
        "# Generated by bench/gen_large_repo.py: agent i hands off to 2i+1 and 2i+2.",
        "entry: %s" % names.agent(0),
        "defaults: { timeout: %ds, retries: %d }" % (AGENT_TIMEOUT_S, AGENT_RETRIES),
        "agents:",
    ]
    step = max(1, n_prompts // n_agents) if n_agents else 1
    back = back_edges(n_agents)
    for i in range(n_agents):
        p = (i * step) % n_prompts
        s = i % n_servers
        tool = "%s.tool_%d" % (names.server(s), (i // n_servers) % 3)
        out.append("  %s:" % names.agent(i))
        out.append("    role: %s" % ROLES[i % len(ROLES)])
        out.append("    prompt: %s@1.0.0" % names.prompt(p))
        out.append("    model: fast")
        out.append("    rate_limit: 10/s")
        out.append("    max_tokens: 4000")
        out.append("    tools: [%s]" % tool)
        kids = [c for c in (2 * i + 1, 2 * i + 2) if c < n_agents]
        if i in back:
            out.append("    handoffs:")
            for c in kids:
                out.append("      - %s" % names.agent(c))
            out.append("      - { to: %s, max_iterations: %d }" % (names.agent(back[i]), BACK_EDGE_ITERATIONS))
        else:
            out.append("    handoffs: [%s]" % ", ".join(names.agent(c) for c in kids))
    return "\n".join(out) + "\n"


TOOL_KINDS = [
    ("search", "Search the %s records and return the matching items.",
     [("query", "string", "Words to search for."), ("limit", "integer", "How many items to return.")],
     ["query"], ("items", "array")),
    ("read", "Read one %s record by its identifier.",
     [("id", "string", "The identifier of the record."), ("fields", "array", "The fields to return.")],
     ["id"], ("record", "object")),
    ("summarise", "Summarise a list of %s records in plain words.",
     [("ids", "array", "The identifiers of the records."), ("style", "string", "short or detailed.")],
     ["ids"], ("summary", "string")),
]


def schema_prop(ptype, desc):
    if ptype == "array":
        return "{ type: array, items: { type: string }, description: %s }" % q(desc)
    if ptype == "integer":
        return "{ type: integer, minimum: 1, maximum: 100, description: %s }" % q(desc)
    return "{ type: %s, description: %s }" % (ptype, q(desc))


def gen_tool(rng, names, s):
    server = names.server(s)
    topic = rng.choice(NOUNS)
    out = [
        "server: %s" % server,
        "version: 1.0.0",
        'source: { npm: "@bench/%s@1.0.0" }' % server,
        "permissions: [repo:read]",
        'env: { TOKEN: "${TOKEN}" }',
        "timeout: %ds" % TOOL_TIMEOUT_S,
        "rate_limit: 5/s",
        "on_failure: retry",
        "tools:",
    ]
    for t in range(3):
        verb, desc, props, required, (out_name, out_type) = TOOL_KINDS[t]
        out.append("  - name: tool_%d" % t)
        out.append("    title: %s" % q("%s %s" % (title_case(verb), topic)))
        out.append("    description: %s" % q(desc % topic))
        out.append("    inputSchema:")
        out.append("      type: object")
        out.append("      properties:")
        for pname, ptype, pdesc in props:
            out.append("        %s: %s" % (pname, schema_prop(ptype, pdesc)))
        out.append("      required: [%s]" % ", ".join(required))
        out.append("    outputSchema:")
        out.append("      type: object")
        out.append("      properties:")
        out.append("        %s: { type: %s }" % (out_name, out_type))
        out.append("    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false }")
    return "\n".join(out) + "\n"


def gen_models():
    return (
        "models:\n"
        "  fast: { provider: openai, id: gpt-4o-mini-2024-07-18 }\n"
        "  reasoning: { provider: anthropic, id: claude-sonnet-4-6 }\n"
    )


def request_timeout_s(n_agents):
    # Worst case of one hop: agent timeout plus one tool call, times all attempts.
    per_hop = (AGENT_TIMEOUT_S + TOOL_TIMEOUT_S) * (AGENT_RETRIES + 1)
    # Longest tree path, plus the longest bounded loop (3 hops back) run max_iterations times;
    # then a factor max_iterations again in case a checker multiplies the whole path by the bound.
    hops = tree_depth(n_agents) + 4 * BACK_EDGE_ITERATIONS
    budget = per_hop * hops * BACK_EDGE_ITERATIONS
    return ((budget + 59) // 60) * 60 * 2  # round up to whole minutes, then a 2x margin


def gen_deploy(n_agents):
    return (
        "runtime:\n"
        "  request_timeout: %ds\n"
        "  cost_ceiling_usd: { per_day: 500 }\n"
        "  max_tokens_per_request: 8000\n"
        "  kill_switch: { flag: AGENTS_DISABLED, tested_on: 2026-11-01 }\n"
        "rollout:\n"
        "  strategy: canary\n"
        "  canary_percent: 5\n"
        "  auto_rollback: { error_rate_above: 0.05, score_drop_above: 0.3 }\n"
        "telemetry:\n"
        "  opentelemetry: { enabled: true }\n"
        "  langfuse: { enabled: true, environment: production }\n"
        "kpis:\n"
        "  task_success_rate: { baseline: 0.92 }\n"
        "  latency_p95: { sla: 8s }\n"
        "  cost_per_request_usd: { baseline: 0.04 }\n"
        "  tool_failure_rate: { max: 0.02 }\n"
        "  quality_score: { baseline: 4.3, min_mean: 4.2, min_critical: 3 }\n"
    ) % request_timeout_s(n_agents)


DATASETS = [
    ("golden_happy_path", ["resolved", "answered", "completed"]),
    ("golden_edge_cases", ["clarified", "partial", "escalated"]),
    ("golden_failures", ["refused", "timed_out", "tool_error"]),
]


def gen_dataset(rng, names, dname, outcomes, n_items, n_agents):
    text = Text(rng)
    lines = [json.dumps({"_dataset": {"name": dname, "version": "2026.11"}}, sort_keys=True)]
    for k in range(n_items):
        item = {
            "id": "%s-%04d" % (dname, k),
            "input": text.sentence(),
            "expected": {
                "agent": names.agent(rng.randrange(max(1, n_agents))),
                "outcome": rng.choice(outcomes),
                "mentions": sorted(set(rng.choice(NOUNS) for _ in range(rng.randint(1, 3)))),
            },
            "score_min": rng.choice([3, 4, 5]),
            "tags": sorted(set(rng.choice(ADJECTIVES) for _ in range(rng.randint(1, 3)))),
        }
        lines.append(json.dumps(item, sort_keys=True))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate a large agentlock format-v1 repository.")
    ap.add_argument("outdir")
    ap.add_argument("--prompts", type=int, default=10000)
    ap.add_argument("--agents", type=int, default=2000)
    ap.add_argument("--servers", type=int, default=500)
    ap.add_argument("--dataset-items", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20261101)
    ap.add_argument("--force", action="store_true",
                    help="write into a non-empty OUTDIR, replacing what this script generates")
    args = ap.parse_args(argv)

    if args.prompts < 1 or args.agents < 1 or args.servers < 1 or args.dataset_items < 0:
        ap.error("--prompts, --agents and --servers must be at least 1")

    out = args.outdir
    if os.path.isdir(out) and os.listdir(out) and not args.force:
        ap.error("%s is not empty (use --force to regenerate into it)" % out)
    os.makedirs(out, exist_ok=True)
    for sub in ("prompts", "tools", "datasets"):
        p = os.path.join(out, sub)
        if os.path.isdir(p):
            shutil.rmtree(p)
        os.makedirs(p)
    stale = os.path.join(out, "agentlock.lock")
    if os.path.exists(stale):
        os.remove(stale)

    t0 = time.monotonic()
    names = Names(args.prompts, args.agents, args.servers)
    counter = {"files": 0, "bytes": 0}

    # One sub-generator per part, each seeded from the base seed, so changing one
    # count does not reshuffle the content of the other parts.
    def rng_for(part):
        return random.Random("%d:%s" % (args.seed, part))

    write(out, "agentlock.toml", gen_manifest(), counter)
    write(out, "CODEOWNERS", "* @bench/owners\n", counter)
    write(out, "models.yaml", gen_models(), counter)
    write(out, "deploy.yaml", gen_deploy(args.agents), counter)

    rng = rng_for("prompts")
    for i in range(args.prompts):
        name = names.prompt(i)
        write(out, "prompts/%s.prompt" % name, gen_prompt(rng, name, i), counter)

    write(out, "agents.yaml", gen_agents(names, args.agents, args.prompts, args.servers), counter)

    rng = rng_for("tools")
    for s in range(args.servers):
        write(out, "tools/%s.yaml" % names.server(s), gen_tool(rng, names, s), counter)

    rng = rng_for("datasets")
    for dname, outcomes in DATASETS:
        write(out, "datasets/%s.jsonl" % dname,
              gen_dataset(rng, names, dname, outcomes, args.dataset_items, args.agents), counter)

    dt = time.monotonic() - t0
    sys.stderr.write(
        "gen_large_repo: %d files, %.1f MB (%d prompts, %d agents, %d servers, %d back-edges) "
        "in %.2fs -> %s\n"
        % (counter["files"], counter["bytes"] / 1e6, args.prompts, args.agents, args.servers,
           len(back_edges(args.agents)), dt, out)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
