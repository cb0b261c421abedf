#!/usr/bin/env python3
"""Generates a large repository with no agentlock.toml, in the formats agentlock discovers.

Usage: bench/gen_discover_repo.py DIR [--force]

What it writes (about 2,900 files agentlock reads, and 120,000 it must not):
- 2,000 Prompty files and 600 dotprompt files (with 20 partials) under prompts/, in 40 folders;
- .mcp.json, .cursor/mcp.json and .vscode/mcp.json with 100 servers each, and .codex/config.toml
  with 50, launched every way the fixtures show (npx, uvx, docker, remote URLs, local scripts);
- 40 MCP registry server.json files under servers/, and 10 other tools' server.json files;
- a CrewAI crew with 100 agents and 300 tasks;
- node_modules/ with 100,000 files (of which 1,000 server.json and 1,000 .prompty), and a cargo
  target/ with CACHEDIR.TAG and 20,000 files: what discovery must prune.

Deterministic: the same files on every run, so timings compare across machines and commits.
"""
import json, os, random, shutil, sys

rng = random.Random(7)


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def prompty(i):
    model = [
        "  configuration:\n    type: openai\n    name: gpt-4o-mini-2024-07-18\n",
        "  configuration:\n    type: azure_openai\n    azure_deployment: ${env:AZURE_OPENAI_DEPLOYMENT}\n",
        "  configuration:\n    type: openai\n    name: gpt-4o\n",
    ][i % 3]
    body = "\n".join(
        f"Rule {j}: answer the {rng.choice(['billing', 'shipping', 'account', 'refund'])} question with care."
        for j in range(40)
    )
    return (
        f"---\nname: prompt{i}\ndescription: Generated prompt {i}\nversion: 1.{i % 7}.0\n"
        f"model:\n  api: chat\n{model}  parameters:\n    max_tokens: 800\n"
        f"sample:\n  question: What is {i}?\n---\nsystem:\n{body}\n\nuser:\n{{{{question}}}}\n"
    )


def dotprompt(i):
    model = ["googleai/gemini-2.5-flash", "googleai/gemini-2.0-flash", "openai/gpt-4o-2024-08-06"][i % 3]
    return (
        f"---\nname: dp{i}\nversion: 2.{i % 5}.1\nmodel: {model}\nconfig:\n  temperature: 0.3\n"
        f"input:\n  schema:\n    q: string\n---\n{{{{> header{i % 20}}}}}\n"
        + "\n".join(f"Step {j}: think about {{{{q}}}}." for j in range(30))
        + "\n"
    )


def server(i):
    kind = i % 6
    if kind == 0:
        return {"command": "npx", "args": ["-y", f"@acme/server-{i}@1.{i % 9}.0"]}
    if kind == 1:
        return {"command": "npx", "args": ["-y", f"@acme/server-{i}"], "env": {"API_KEY": "${API_KEY}"}}
    if kind == 2:
        return {"command": "uvx", "args": [f"acme-server-{i}==0.{i % 9}.1"]}
    if kind == 3:
        return {"command": "docker", "args": ["run", "-i", "--rm", "-e", "TOKEN", f"ghcr.io/acme/server-{i}:1.0"]}
    if kind == 4:
        return {"type": "http", "url": f"https://mcp{i}.acme.dev/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}}
    return {"command": "node", "args": [f"servers/local{i}/index.js"]}


def registry(i):
    return {
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json",
        "name": f"io.github.acme/server-{i}",
        "description": f"Server {i}",
        "version": f"1.{i}.0",
        "packages": [
            {"registryType": "npm", "identifier": f"@acme/server-{i}", "version": f"1.{i}.0", "transport": {"type": "stdio"}},
            {"registryType": "oci", "identifier": f"docker.io/acme/server-{i}", "version": f"1.{i}.0", "transport": {"type": "stdio"}},
        ],
        "remotes": [{"type": "streamable-http", "url": f"https://server{i}.acme.dev/mcp"}],
    }


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    if os.path.exists(root) and os.listdir(root):
        if "--force" not in sys.argv:
            sys.exit(f"{root} is not empty (pass --force to replace it)")
        shutil.rmtree(root)
    os.makedirs(root, exist_ok=True)

    for i in range(2000):
        write(root, f"prompts/team{i % 40}/p{i}.prompty", prompty(i))
    for i in range(580):
        write(root, f"prompts/genkit{i % 10}/dp{i}.prompt", dotprompt(i))
    for i in range(20):
        write(root, f"prompts/genkit{i % 10}/_header{i}.prompt", f"You are assistant {i}. Be brief.\n")

    for path, key in [(".mcp.json", "mcpServers"), (".cursor/mcp.json", "mcpServers"), (".vscode/mcp.json", "servers")]:
        servers = {f"server{i}": server(i) for i in range(100)}
        write(root, path, json.dumps({key: servers}, indent=2) + "\n")
    codex = []
    for i in range(50):
        s = server(i)
        if "url" in s:
            codex.append(f'[mcp_servers.s{i}]\nurl = "{s["url"]}"\n')
        else:
            args = ", ".join(json.dumps(a) for a in s["args"])
            codex.append(f'[mcp_servers.s{i}]\ncommand = "{s["command"]}"\nargs = [{args}]\n')
    write(root, ".codex/config.toml", 'model = "gpt-5-codex"\n\n' + "\n".join(codex))

    for i in range(40):
        write(root, f"servers/s{i}/server.json", json.dumps(registry(i), indent=2) + "\n")
    for i in range(10):
        write(root, f"web/app{i}/server.json", json.dumps({"port": 8000 + i, "host": "0.0.0.0"}) + "\n")

    agents, tasks = [], []
    for i in range(100):
        limits = "  max_iter: 10\n  max_execution_time: 300\n  max_rpm: 30\n" if i % 4 else ""
        agents.append(
            f"agent{i}:\n  role: >\n    Specialist {i}\n  goal: >\n    Handle part {i} of the work\n"
            f"  backstory: >\n    You have done part {i} for years.\n  llm: openai/gpt-4o-2024-08-06\n{limits}"
        )
    for t in range(300):
        ctx = f"  context: [task{t - 2}]\n" if t >= 2 and t % 3 == 0 else ""
        tasks.append(
            f"task{t}:\n  description: >\n    Do step {t}.\n  expected_output: >\n    The result of step {t}.\n"
            f"  agent: agent{(t * 7) % 100}\n{ctx}"
        )
    write(root, "src/big_crew/config/agents.yaml", "\n".join(agents))
    write(root, "src/big_crew/config/tasks.yaml", "\n".join(tasks))

    # What discovery must not walk into.
    for i in range(100_000):
        d = f"node_modules/pkg{i // 100}"
        if i % 100 == 0:
            write(root, f"{d}/server.json", json.dumps(registry(i)) + "\n")
        elif i % 100 == 1:
            write(root, f"{d}/prompts/x.prompty", prompty(i))
        else:
            write(root, f"{d}/lib/f{i}.js", "module.exports = 1;\n")
    write(root, "target/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n")
    for i in range(20_000):
        write(root, f"target/debug/deps/f{i // 1000}/o{i}.prompt", "not a prompt\n")


if __name__ == "__main__":
    main()
