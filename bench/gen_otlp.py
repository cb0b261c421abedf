#!/usr/bin/env python3
"""Writes an OTLP/JSON traces file shaped like the OpenTelemetry Collector's file exporter
writes a multi-agent app's export: one ExportTraceServiceRequest a line, each a batch of 50 to
500 spans as a BatchSpanProcessor sends them, spans in the order they ended (children before
their parents, the root last), the traces of concurrent requests interleaved.

Each trace is one request to the support crew of tests/fixtures/clean: an invoke_workflow root,
invoke_agent spans for router, writer and reviewer (sometimes a second writer/reviewer round),
a chat span under each agent (sometimes two), and execute_tool spans for github.create_issue
(sometimes failing and retried with the same call id): 8 to 12 spans a trace, with the GenAI
semantic conventions' attributes, resource attributes (service.name, agentlock.lock.root, the
SDK's) and the odd span event.

Usage: gen_otlp.py OUT SIZE_MB [--seed N] [--root sha256:...]
"""
import json, random, sys

def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    out, size_mb = args[0], float(args[1])
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 1
    root = args[args.index("--root") + 1] if "--root" in args else "sha256:" + "ab" * 32
    rnd = random.Random(seed)
    limit = int(size_mb * 1024 * 1024)

    def sv(k, v): return {"key": k, "value": {"stringValue": v}}
    def iv(k, v): return {"key": k, "value": {"intValue": str(v)}}
    resource = {"attributes": [
        sv("service.name", "support-crew"), sv("service.version", "1.4.0"),
        sv("deployment.environment.name", "production"), sv("agentlock.lock.root", root),
        sv("telemetry.sdk.name", "opentelemetry"), sv("telemetry.sdk.language", "python"),
        sv("telemetry.sdk.version", "1.38.0"), sv("host.name", "worker-7f9c"),
    ]}
    scope = {"name": "opentelemetry.instrumentation.openai_agents", "version": "0.45.0"}
    words = "the export button does nothing when I click it and the page reloads again".split()
    clock = [1_764_000_000_000_000_000]

    def hexid(bits): return "%0*x" % (bits // 4, rnd.getrandbits(bits) or 1)

    def trace():
        """The spans of one request, in the order they end."""
        tid, conv = hexid(128), hexid(64)
        t0 = clock[0] = clock[0] + rnd.randint(1_000_000, 50_000_000)
        spans = []
        def span(name, parent, start, dur, attrs, kind=1, error=False, events=None):
            s = {"traceId": tid, "spanId": hexid(64), "parentSpanId": parent, "flags": 257,
                 "name": name, "kind": kind, "startTimeUnixNano": str(start),
                 "endTimeUnixNano": str(start + dur), "attributes": attrs,
                 "status": {"code": 2, "message": "tool call failed"} if error else {}}
            if events:
                s["events"] = events
            spans.append(s)
            return s
        def chat(parent, start, model, provider):
            dur = rnd.randint(300_000_000, 4_000_000_000)
            inp, outp = rnd.randint(200, 4000), rnd.randint(20, 800)
            span(f"chat {model}", parent, start, dur, [
                sv("gen_ai.operation.name", "chat"), sv("gen_ai.provider.name", provider),
                sv("gen_ai.request.model", model), sv("gen_ai.response.model", model),
                {"key": "gen_ai.response.finish_reasons", "value": {"arrayValue": {"values": [{"stringValue": "stop"}]}}},
                iv("gen_ai.usage.input_tokens", inp), iv("gen_ai.usage.output_tokens", outp),
                {"key": "gen_ai.request.temperature", "value": {"doubleValue": 0.2}},
            ], kind=3)
            return dur
        def agent(name, parent, start, model, provider, tool=False):
            s = {"spanId": hexid(64)}
            at, inner = start + 1_000_000, []
            for _ in range(rnd.choice((1, 1, 2))):
                at += chat(s["spanId"], at, model, provider) + 1_000_000
            if tool:
                call = "call_" + hexid(64)
                for attempt in range(2 if rnd.random() < 0.1 else 1):
                    dur = rnd.randint(50_000_000, 900_000_000)
                    failed = attempt == 0 and rnd.random() < 0.1
                    span("execute_tool create_issue", s["spanId"], at, dur, [
                        sv("gen_ai.operation.name", "execute_tool"), sv("gen_ai.tool.name", "create_issue"),
                        sv("gen_ai.tool.call.id", call), sv("gen_ai.tool.type", "function"),
                        sv("mcp.server.name", "github"), sv("gen_ai.agent.name", name),
                    ], error=failed, events=[{"timeUnixNano": str(at + dur), "name": "exception", "attributes": [
                        sv("exception.type", "TimeoutError"), sv("exception.message", " ".join(rnd.choice(words) for _ in range(8)))]}] if failed else None)
                    at += dur + 1_000_000
            dur = at - start + 2_000_000
            a = span(f"invoke_agent {name}", parent, start, dur, [
                sv("gen_ai.operation.name", "invoke_agent"), sv("gen_ai.agent.name", name),
                sv("gen_ai.request.model", model), sv("agentlock.prompt", f"{name}@1.0.0"),
            ])
            a["spanId"] = s["spanId"]
            return dur
        root_id = hexid(64)
        at = t0 + 500_000
        at += agent("router", root_id, at, "gpt-4o-mini-2024-07-18", "openai") + 1_000_000
        for _ in range(rnd.choice((1, 1, 1, 2))):
            at += agent("writer", root_id, at, "claude-sonnet-4-6", "anthropic", tool=True) + 1_000_000
            at += agent("reviewer", root_id, at, "claude-sonnet-4-6", "anthropic") + 1_000_000
        r = span("invoke_workflow support", "", t0, at - t0, [
            sv("gen_ai.operation.name", "invoke_workflow"), sv("gen_ai.conversation.id", conv),
            sv("http.route", "/v1/support"), sv("agentlock.case", f"hp-{rnd.randint(0, 999):03d}"),
        ], kind=2)
        r["spanId"] = root_id
        spans.sort(key=lambda s: int(s["endTimeUnixNano"]))
        return spans

    written = spans_n = traces_n = 0
    active = [trace() for _ in range(24)]
    traces_n = len(active)
    with open(out, "w") as f:
        while active:
            batch, want = [], rnd.randint(50, 500)
            while len(batch) < want and active:
                i = rnd.randrange(len(active))
                batch.append(active[i].pop(0))
                if not active[i]:
                    if written < limit:
                        active[i] = trace()
                        traces_n += 1
                    else:
                        active.pop(i)
            line = json.dumps({"resourceSpans": [{"resource": resource, "scopeSpans": [
                {"scope": scope, "spans": batch}], "schemaUrl": "https://opentelemetry.io/schemas/1.37.0"}]},
                separators=(",", ":")) + "\n"
            f.write(line)
            written += len(line)
            spans_n += len(batch)
    print(f"{out}: {written / 1048576:.0f} MiB, {spans_n} spans, {traces_n} traces", file=sys.stderr)

if __name__ == "__main__":
    main()
