#!/usr/bin/env python3
"""Generate a corpus of prompt files with planted FAKE secrets, for the secret-scanner benchmark.

Usage:
    python3 bench/gen_secret_corpus.py OUTDIR [--prompts 5000] [--size 4000]
                                              [--secrets 50] [--seed 20261125] [--force]

Standard library only. Deterministic: the same arguments give the same bytes on every
machine (fixed seed, LF line endings, files written in order).

What it writes:
    agentlock.toml          [project] name = "secret-bench"
    prompts/NNNN.prompt     ~4 KB each: YAML front matter (name pNNNN, version 1.0.0, model fast),
                            then prompt prose mixed with code snippets, YAML and JSON examples,
                            URLs, hex digests, UUIDs and credential placeholders (${OPENAI_API_KEY},
                            {{api_key}}, <your-key>, sk-..., the AWS documentation example key):
                            the things that make a secret scanner raise false alarms.
    labels.json             the planted secrets: a list of {path, line, end_line, kind, context},
                            sorted by path then line. `line`..`end_line` (1-based, inclusive) is the
                            range of lines a hit may fall on to count as finding the secret: one line
                            for a token, the whole block for a PEM key or a service-account JSON,
                            both lines for an AWS key id with its secret key.

Every planted secret is fake: random characters of the shape and alphabet that the provider
documents (prefixes, lengths, the `T3BlbkFJ` marker of OpenAI keys, the CRC32 checksum of
GitHub and npm tokens), so that format-aware scanners recognise them. None is a real credential.
There are 26 kinds; with the default --secrets 50 each kind is planted twice, except the two
large multi-line blocks (PEM key, service-account JSON) which are planted once. Each secret goes
into a different file, at a random block boundary, in one of two contexts: a config or code line
that names the credential (`export GITHUB_TOKEN=...`), or a looser one (prose, a JSON field, a
URL) where a scanner must recognise the value by its shape.
"""

import argparse
import base64
import json
import os
import random
import shutil
import string
import sys
import time
import uuid
import zlib

UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
DIGITS = string.digits
LETTERS = UPPER + LOWER
ALNUM = DIGITS + UPPER + LOWER          # also the base62 alphabet, in this order
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
AWS_ID = UPPER + "234567"

# ---------------------------------------------------------------------------
# Word lists for the prose. Plain words only: nothing in them looks like a credential.

ADJECTIVES = """
accurate brief careful clear complete concise consistent correct current detailed direct
exact factual final formal friendly helpful honest initial logical main neutral new ordered
plain polite precise previous primary proper quick recent relevant reliable short simple
specific stable structured thorough timely useful valid visible whole safe private internal
""".split()

NOUNS = """
account answer approach argument assumption budget case category change check choice claim
client comment condition context contract customer deadline decision delivery detail
document draft error estimate event evidence example feedback field file finding goal
guideline history invoice issue item limit list message method metric milestone note
option order outcome outline owner page plan policy priority problem process product
project question quote reason record reference region release report request requirement
result review risk schedule section source step summary supplier table task team template
ticket timeline topic update user value version warning tool call response retrieval
document chunk citation handoff transcript conversation instruction refusal
""".split()

VERBS = """
check compare confirm describe explain extract find flag gather group highlight identify
include keep list mark note order prepare quote rank read record reply report review
rewrite select sort state summarise update verify validate cite escalate retrieve
""".split()

ADVERBS = "always briefly carefully clearly directly exactly first only politely quickly then".split()
PREPOSITIONS = "about after against before by for from in into of on per under with within".split()
DETERMINERS = "the each every one this that any the the".split()
CONNECTIVES = "If When Unless After Before Once Whenever".split()

ROLE_OPENERS = [
    "You are the router. Read the incoming request and decide which agent should handle it.",
    "You are the planner. Break the goal into a short list of concrete steps.",
    "You are the executor. Carry out one step of the plan and report what you did.",
    "You are the critic. Check the result of the previous step against the request.",
    "You are the support assistant. Answer the customer using only the retrieved documents.",
    "You are the research agent. Collect sources for the question and cite each of them.",
]

SECTION_TITLES = ["Context", "Steps", "Guidelines", "Output format", "Constraints", "Examples",
                  "Tools", "Checks", "Tone", "Escalation"]

HOSTS = ["api.openai.com", "api.anthropic.com", "docs.example.com", "tickets.internal.example.com",
         "search.example.org", "status.example.net", "kb.example.com", "cdn.example.com",
         "github.com", "pypi.org", "registry.npmjs.org", "storage.googleapis.com"]

ENV_VARS = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GITHUB_TOKEN", "SLACK_BOT_TOKEN",
            "STRIPE_SECRET_KEY", "TICKETS_API_KEY", "SEARCH_API_KEY", "DATABASE_URL",
            "LANGFUSE_SECRET_KEY", "HF_TOKEN", "SENDGRID_API_KEY", "DD_API_KEY"]

MODELS = ["gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14", "claude-sonnet-4-5-20250929",
          "claude-haiku-4-5-20251001", "gemini-2.5-flash"]


def title_case(s):
    return s[:1].upper() + s[1:]


class Gen:
    """All the random choices, from one seeded generator."""

    def __init__(self, rng):
        self.r = rng

    # -- random strings ---------------------------------------------------------------
    def chars(self, n, alphabet):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def token(self, n, alphabet):
        """n characters of alphabet, starting and ending with an ASCII letter or digit (a token
        ending in '-' would defeat the word-boundary anchors of every scanner's regex, which is
        not what this benchmark measures)."""
        if n <= 2:
            return self.chars(n, ALNUM)
        return self.chars(1, ALNUM) + self.chars(n - 2, alphabet) + self.chars(1, ALNUM)

    def hexs(self, n):
        return self.chars(n, HEX)

    def uuid(self):
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def b64_bytes(self, n, urlsafe=False):
        data = bytes(self.r.getrandbits(8) for _ in range(n))
        if urlsafe:
            return base64.urlsafe_b64encode(data).decode().rstrip("=")
        return base64.b64encode(data).decode()

    # -- prose --------------------------------------------------------------------------
    def np(self):
        r = self.r
        if r.random() < 0.6:
            return "%s %s %s" % (r.choice(DETERMINERS), r.choice(ADJECTIVES), r.choice(NOUNS))
        return "%s %s" % (r.choice(DETERMINERS), r.choice(NOUNS))

    def sentence(self):
        r = self.r
        k = r.randrange(6)
        if k == 0:
            return "%s %s %s %s." % (title_case(r.choice(VERBS)), self.np(), r.choice(PREPOSITIONS), self.np())
        if k == 1:
            return "%s %s is %s, %s %s %s." % (r.choice(CONNECTIVES), self.np(), r.choice(ADJECTIVES),
                                               r.choice(ADVERBS), r.choice(VERBS), self.np())
        if k == 2:
            return "%s %s %s and %s %s." % (title_case(r.choice(ADVERBS)), r.choice(VERBS), self.np(),
                                            r.choice(VERBS), self.np())
        if k == 3:
            return "Make sure %s is %s and %s." % (self.np(), r.choice(ADJECTIVES), r.choice(ADJECTIVES))
        if k == 4:
            return "Keep %s %s, and %s %s %s %s." % (self.np(), r.choice(ADJECTIVES), r.choice(VERBS),
                                                     self.np(), r.choice(PREPOSITIONS), self.np())
        return "Do not %s %s %s %s; %s %s instead." % (r.choice(VERBS), self.np(), r.choice(PREPOSITIONS),
                                                       self.np(), r.choice(VERBS), self.np())

    def paragraph(self, lo=3, hi=5):
        return " ".join(self.sentence() for _ in range(self.r.randint(lo, hi)))

    def url(self):
        r = self.r
        path = "/".join(r.choice(NOUNS) + ("s" if r.random() < 0.3 else "") for _ in range(r.randint(1, 3)))
        u = "https://%s/%s" % (r.choice(HOSTS), path)
        if r.random() < 0.3:
            u += "?page=%d&limit=%d" % (r.randint(1, 9), r.choice([10, 20, 50]))
        return u


# ---------------------------------------------------------------------------
# Noise blocks: each returns a list of lines. None contains a credential.

def blk_paragraph(g):
    return [g.paragraph()]


def blk_section(g):
    return ["## %s" % g.r.choice(SECTION_TITLES), "", g.paragraph(2, 4)]


def blk_list(g):
    return ["%d. %s" % (k + 1, g.sentence()) for k in range(g.r.randint(3, 6))]


def blk_placeholders(g):
    r = g.r
    var = r.choice(ENV_VARS)
    choices = [
        "The key comes from the environment as ${%s}; never paste it into the prompt." % var,
        "Authenticate with {{api_key}} (filled in by the runtime) and never echo it back.",
        "If the user pastes something like sk-... or <your-key>, tell them to revoke it and do not repeat it.",
        "Example configuration: `api_key: <your-key>`, `token: ${%s}`, `password: \"{{db_password}}\"`." % var,
        "The documentation uses the placeholder key AKIAIOSFODNN7EXAMPLE; treat it as an example only.",
        "Replace YOUR_API_KEY with the value from the secrets manager, or set %s=... in your shell." % var,
        "Connection strings look like postgres://app:${DB_PASSWORD}@db.internal:5432/app and are injected at deploy time.",
        "Keys start with sk-proj- or sk-ant-; if one appears in a document, redact it to sk-...XXXX.",
    ]
    # The AWS documentation key and the templated connection string are rarer (about one file
    # in fifty each): most prompt repositories never quote them.
    weights = [8, 8, 8, 8, 1, 8, 1, 8]
    return [r.choices(choices, weights)[0] + " " + g.sentence()]


def blk_python(g):
    r = g.r
    var = r.choice(ENV_VARS)
    model = r.choice(MODELS)
    return [
        "```python",
        "import os",
        "from openai import OpenAI",
        "",
        "client = OpenAI(api_key=os.environ[\"%s\"])" % var,
        "resp = client.chat.completions.create(",
        "    model=\"%s\"," % model,
        "    temperature=%.1f," % r.choice([0.0, 0.2, 0.5, 0.7]),
        "    messages=[{\"role\": \"system\", \"content\": PROMPT}, {\"role\": \"user\", \"content\": request}],",
        ")",
        "print(resp.choices[0].message.content)",
        "```",
    ]


def blk_bash(g):
    r = g.r
    var = r.choice([v for v in ENV_VARS if v.endswith(("_KEY", "_TOKEN"))])
    return [
        "```bash",
        "curl -s %s \\" % g.url(),
        "  -H \"Authorization: Bearer ${%s}\" \\" % var,
        "  -H \"X-Request-Id: %s\" \\" % g.uuid(),
        "  -d '{\"query\": \"%s\", \"limit\": %d}'" % (r.choice(NOUNS), r.choice([5, 10, 20])),
        "```",
    ]


def blk_yaml(g):
    r = g.r
    return [
        "```yaml",
        "tool: %s_%s" % (r.choice(VERBS), r.choice(NOUNS)),
        "endpoint: %s" % g.url(),
        "api_key: ${%s}" % r.choice(ENV_VARS),
        "request_id: %s" % g.uuid(),
        "cache_key: sha256:%s" % g.hexs(64),
        "timeout: %ds" % r.choice([5, 10, 30]),
        "```",
    ]


def blk_json(g):
    r = g.r
    obj = [
        ("id", g.uuid()),
        ("status", r.choice(["resolved", "open", "escalated", "pending"])),
        ("checksum", g.hexs(64)),
        ("trace_id", g.hexs(32)),
        ("commit", g.hexs(40)),
        ("source", g.url()),
        ("summary", g.sentence()),
    ]
    lines = ["```json", "{"]
    for k, (key, val) in enumerate(obj):
        lines.append("  %s: %s%s" % (json.dumps(key), json.dumps(val), "," if k < len(obj) - 1 else ""))
    lines += ["}", "```"]
    return lines


def blk_references(g):
    r = g.r
    return ["References:"] + [
        "- %s (commit %s, sha256 %s)" % (g.url(), g.hexs(r.choice([7, 40])), g.hexs(64))
        for _ in range(r.randint(2, 3))
    ]


def blk_fewshot(g):
    return [
        "Example:",
        "",
        "User: %s" % g.sentence(),
        "Assistant: %s" % g.paragraph(2, 3),
    ]


NOISE = [  # (weight, block)
    (30, blk_paragraph), (10, blk_section), (10, blk_list), (6, blk_placeholders),
    (5, blk_python), (5, blk_bash), (6, blk_yaml), (6, blk_json), (5, blk_references),
    (7, blk_fewshot),
]


def noise_block(g):
    total = sum(w for w, _ in NOISE)
    x = g.r.randrange(total)
    for w, f in NOISE:
        if x < w:
            return f(g)
        x -= w
    raise AssertionError


# ---------------------------------------------------------------------------
# Fake secrets. Each maker returns (lines, first, last): the block to insert and the 0-based
# range of its lines on which the secret lies. `v` (0 or 1) picks the context.

def base62(n, width):
    out = ""
    while n:
        n, d = divmod(n, 62)
        out = ALNUM[d] + out
    return out.rjust(width, "0")


def checksummed(g, prefix):
    """GitHub / npm token format: prefix + 30 random base62 + base62(CRC32(random)), 6 wide."""
    body = g.chars(30, ALNUM)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def code(lang, lines):
    return ["```%s" % lang] + lines + ["```"]


def one(lines, at):
    return lines, at, at


def s_openai_project(g, v):
    key = "sk-proj-" + g.token(74, URLSAFE) + "T3BlbkFJ" + g.token(74, URLSAFE)
    if v == 0:
        return one(code("python", ["from openai import OpenAI", "", 'client = OpenAI(api_key="%s")' % key]), 3)
    return one(["The evaluation harness used %s for the last run; switch back to the shared key after it." % key], 0)


def s_openai_legacy(g, v):
    key = "sk-" + g.chars(20, ALNUM) + "T3BlbkFJ" + g.chars(20, ALNUM)
    if v == 0:
        return one(code("bash", ["export OPENAI_API_KEY=%s" % key, "python run_eval.py"]), 1)
    return one(['  "openai": "%s",' % key], 0)


def s_anthropic(g, v):
    key = "sk-ant-api03-" + g.token(93, URLSAFE) + "AA"
    if v == 0:
        return one(code("yaml", ["provider: anthropic", "anthropic_api_key: %s" % key, "model: claude-sonnet-4-5"]), 2)
    return one(["Paste the key (%s) into the client only when testing locally." % key], 0)


def s_aws(g, v):
    kid = "AKIA" + g.chars(16, AWS_ID)
    sec = g.chars(40, B64)
    if v == 0:
        return code("ini", ["[default]", "aws_access_key_id = %s" % kid, "aws_secret_access_key = %s" % sec,
                            "region = eu-west-1"]), 2, 3
    return code("bash", ["export AWS_ACCESS_KEY_ID=%s" % kid, "export aws_secret_access_key=%s" % sec]), 1, 2


def s_github_pat(g, v):
    key = checksummed(g, "ghp_")
    if v == 0:
        return one(code("bash", ["export GITHUB_TOKEN=%s" % key, "gh release list"]), 1)
    return one(["Clone the private repository with %s as the password when the tool asks." % key], 0)


def s_github_fine(g, v):
    key = "github_pat_" + g.chars(22, ALNUM) + "_" + g.chars(59, ALNUM)
    if v == 0:
        return one(code("yaml", ["env:", "  GH_TOKEN: %s" % key]), 2)
    return one(["The fine-grained token %s only reads the issues of this repository." % key], 0)


def s_github_oauth(g, v):
    key = checksummed(g, "gho_")
    if v == 0:
        return one(code("bash", ['curl -H "Authorization: token %s" https://api.github.com/user' % key]), 1)
    return one(["OAuth token for the bot account: %s" % key], 0)


def s_github_app(g, v):
    key = checksummed(g, "ghs_")
    if v == 0:
        return one(code("yaml", ["github:", "  installation_token: %s" % key]), 2)
    return one(["The installation token (%s) expires after an hour." % key], 0)


def s_gitlab(g, v):
    key = "glpat-" + g.token(20, URLSAFE)
    if v == 0:
        return one(code("bash", ['git clone https://oauth2:%s@gitlab.com/group/project.git' % key]), 1)
    return one(["GITLAB_TOKEN=%s" % key], 0)


def s_slack_bot(g, v):
    key = "xoxb-%s-%s-%s" % (g.chars(g.r.randint(10, 13), DIGITS), g.chars(g.r.randint(10, 13), DIGITS),
                             g.chars(24, ALNUM))
    if v == 0:
        return one(code("python", ["from slack_sdk import WebClient", 'slack = WebClient(token="%s")' % key]), 2)
    return one(["Post the summary to the channel with the bot token %s and nothing else." % key], 0)


def s_slack_webhook(g, v):
    url = "https://hooks.slack.com/services/T%s/B%s/%s" % (g.chars(g.r.randint(8, 10), UPPER + DIGITS),
                                                          g.chars(g.r.randint(8, 10), UPPER + DIGITS),
                                                          g.chars(24, ALNUM))
    if v == 0:
        return one(code("yaml", ["alerts:", "  slack_webhook: %s" % url]), 2)
    return one(["When the run fails, send the error to %s so the team sees it." % url], 0)


def s_stripe(g, v):
    key = "sk_live_" + g.chars(g.r.choice([24, 99]), ALNUM)
    if v == 0:
        return one(code("python", ["import stripe", 'stripe.api_key = "%s"' % key]), 2)
    return one(["Refunds go through the live key %s; test mode is not enough here." % key], 0)


def s_google(g, v):
    key = "AIza" + g.token(35, URLSAFE)
    if v == 0:
        return one(code("bash", ["export GOOGLE_API_KEY=%s" % key]), 1)
    return one(["Geocode the address with %s?key=%s before answering." % (
        "https://maps.googleapis.com/maps/api/geocode/json", key)], 0)


def s_gcp_sa(g, v):
    project = "%s-%s-%d" % (g.r.choice(ADJECTIVES), g.r.choice(NOUNS), g.r.randint(100000, 999999))
    body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ" + g.chars(1574, B64)
    pem_lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    pem = "-----BEGIN PRIVATE KEY-----\\n" + "\\n".join(pem_lines) + "\\n-----END PRIVATE KEY-----\\n"
    email = "agent-runner@%s.iam.gserviceaccount.com" % project
    lines = [
        "{",
        '  "type": "service_account",',
        '  "project_id": "%s",' % project,
        '  "private_key_id": "%s",' % g.hexs(40),
        '  "private_key": "%s",' % pem,
        '  "client_email": "%s",' % email,
        '  "client_id": "%s",' % g.chars(21, DIGITS),
        '  "auth_uri": "https://accounts.google.com/o/oauth2/auth",',
        '  "token_uri": "https://oauth2.googleapis.com/token",',
        '  "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/%s"' % email.replace("@", "%40"),
        "}",
    ]
    return code("json", lines), 1, len(lines)


def s_azure(g, v):
    name = g.r.choice(NOUNS) + g.chars(6, LOWER + DIGITS)
    key = base64.b64encode(bytes(g.r.getrandbits(8) for _ in range(64))).decode()
    conn = "DefaultEndpointsProtocol=https;AccountName=%s;AccountKey=%s;EndpointSuffix=core.windows.net" % (name, key)
    if v == 0:
        return one(code("bash", ['export AZURE_STORAGE_CONNECTION_STRING="%s"' % conn]), 1)
    return one(["Read the transcripts from blob storage (%s) and summarise them." % conn], 0)


def s_pem(g, v):
    body = "MIIEowIBAAKCAQEA" + g.chars(1576, B64)
    lines = ["-----BEGIN RSA PRIVATE KEY-----"] + [body[i:i + 64] for i in range(0, len(body), 64)] + \
        ["-----END RSA PRIVATE KEY-----"]
    return ["The signing key for the webhook is below; the tool loads it at start-up.", ""] + lines, 2, len(lines) + 1


def s_jwt(g, v):
    head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    claims = {"sub": g.uuid(), "name": title_case(g.r.choice(NOUNS)) + " Agent",
              "iat": 1760000000 + g.r.randrange(10 ** 7), "exp": 1790000000 + g.r.randrange(10 ** 7)}
    payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
    jwt = "%s.%s.%s" % (head, payload, g.b64_bytes(32, urlsafe=True))
    if v == 0:
        return one(code("http", ["GET /v1/tickets HTTP/1.1", "Host: tickets.internal.example.com",
                                 "Authorization: Bearer %s" % jwt]), 3)
    return one(['  "session": "%s",' % jwt], 0)


def s_twilio(g, v):
    key = "SK" + g.hexs(32)
    if v == 0:
        return one(code("bash", ["export TWILIO_API_KEY=%s" % key, "export TWILIO_ACCOUNT_SID=AC%s" % g.hexs(32)]), 1)
    return one(["Send the SMS with the API key %s from the shared account." % key], 0)


def s_sendgrid(g, v):
    key = "SG.%s.%s" % (g.token(22, URLSAFE), g.token(43, URLSAFE))
    if v == 0:
        return one(code("yaml", ["email:", "  sendgrid_api_key: %s" % key]), 2)
    return one(["Mail the report using %s as the sender credential." % key], 0)


def s_huggingface(g, v):
    key = "hf_" + g.chars(34, LETTERS)
    if v == 0:
        return one(code("bash", ["export HF_TOKEN=%s" % key, "huggingface-cli download org/model"]), 1)
    return one(["Download the reranker with the token %s and cache it." % key], 0)


def s_langfuse(g, v):
    key = "sk-lf-" + g.uuid()
    if v == 0:
        return one(code("bash", ["export LANGFUSE_PUBLIC_KEY=pk-lf-%s" % g.uuid(),
                                 "export LANGFUSE_SECRET_KEY=%s" % key]), 2)
    return one(["Traces go to Langfuse with the secret key %s." % key], 0)


def s_datadog(g, v):
    key = g.hexs(32)
    if v == 0:
        return one(code("bash", ["DD_API_KEY=%s DD_SITE=datadoghq.eu python agent.py" % key]), 1)
    return one(["DD_API_KEY=%s" % key], 0)


def s_npm(g, v):
    key = checksummed(g, "npm_")
    if v == 0:
        return one(code("ini", ["//registry.npmjs.org/:_authToken=%s" % key]), 1)
    return one(["Publish the tool package with %s from the release machine." % key], 0)


def s_pypi(g, v):
    key = "pypi-AgEIcHlwaS5vcmc" + g.token(g.r.randint(70, 150), URLSAFE)
    if v == 0:
        return one(code("ini", ["[pypi]", "username = __token__", "password = %s" % key]), 3)
    return one(["Upload the wheel with twine using %s as the password." % key], 0)


def s_postgres(g, v):
    url = "postgres://app:%s@db.internal:5432/app" % g.chars(g.r.randint(16, 24), ALNUM)
    if v == 0:
        return one(code("bash", ["export DATABASE_URL=%s" % url]), 1)
    return one(["The retrieval tool reads documents from %s every hour." % url], 0)


def s_generic(g, v):
    key = g.chars(32, ALNUM)
    if v == 0:
        return one(code("toml", ["[search]", 'api_key = "%s"' % key]), 2)
    return one(['  "api_key": "%s",' % key], 0)


KINDS = [
    ("openai_project", s_openai_project), ("openai_legacy", s_openai_legacy),
    ("anthropic", s_anthropic), ("aws", s_aws), ("github_pat", s_github_pat),
    ("github_fine_grained", s_github_fine), ("github_oauth", s_github_oauth),
    ("github_app", s_github_app), ("gitlab_pat", s_gitlab), ("slack_bot", s_slack_bot),
    ("slack_webhook", s_slack_webhook), ("stripe", s_stripe), ("google_api_key", s_google),
    ("azure_storage", s_azure), ("jwt", s_jwt), ("twilio", s_twilio), ("sendgrid", s_sendgrid),
    ("huggingface", s_huggingface), ("langfuse", s_langfuse), ("datadog", s_datadog),
    ("npm", s_npm), ("pypi", s_pypi), ("postgres_url", s_postgres), ("generic_api_key", s_generic),
    # The large multi-line blocks last: planted once each at the default count.
    ("gcp_service_account", s_gcp_sa), ("pem_rsa", s_pem),
]
MAKERS = dict(KINDS)


def plan_secrets(n):
    """The kinds to plant, n in all: round-robin over KINDS (so 50 = twice each of the first
    24 kinds, once each of the last two). The context alternates with each round."""
    out = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)][0]
        out.append((kind, (i // len(KINDS)) % 2))
    return out


# ---------------------------------------------------------------------------

def front_matter(name):
    return ["---", "name: %s" % name, "version: 1.0.0", "model: fast", "---"]


def gen_prompt(g, name, size, planted):
    """Lines of one prompt file. planted: list of (block_lines, first, last) to insert at random
    block boundaries. Returns (lines, [(first_line, last_line) 1-based per planted block])."""
    blocks = [[ROLE_OPENERS[g.r.randrange(len(ROLE_OPENERS))] + " " + g.paragraph(2, 3)]]
    total = len(blocks[0][0]) + 60
    target = g.r.randint(int(size * 0.85), int(size * 1.1))
    while total < target:
        b = noise_block(g)
        blocks.append(b)
        total += sum(len(x) + 1 for x in b) + 1
    blocks.append(["The request to handle is:", "", "{{request}}"])
    # Insert the planted blocks at random boundaries after the opener and before the request.
    slots = []
    for pb in planted:
        at = g.r.randint(1, len(blocks) - 1)
        blocks.insert(at, ("planted", pb))
    lines = front_matter(name)
    for b in blocks:
        lines.append("")
        if isinstance(b, tuple):
            blk, first, last = b[1]
            start = len(lines)  # 0-based index of the block's first line
            lines.extend(blk)
            slots.append((start + first + 1, start + last + 1))
        else:
            lines.extend(b)
    return lines, slots


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate a prompt corpus with planted fake secrets.")
    ap.add_argument("outdir")
    ap.add_argument("--prompts", type=int, default=5000)
    ap.add_argument("--size", type=int, default=4000, help="approximate bytes per prompt file")
    ap.add_argument("--secrets", type=int, default=50)
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--force", action="store_true",
                    help="write into a non-empty OUTDIR, replacing what this script generates")
    args = ap.parse_args(argv)
    if args.prompts < 1 or args.size < 200 or args.secrets < 0:
        ap.error("--prompts must be at least 1, --size at least 200, --secrets at least 0")
    if args.secrets > args.prompts:
        ap.error("--secrets must not exceed --prompts (one secret per file)")

    out = args.outdir
    if os.path.isdir(out) and os.listdir(out) and not args.force:
        ap.error("%s is not empty (use --force to regenerate into it)" % out)
    os.makedirs(out, exist_ok=True)
    prompts_dir = os.path.join(out, "prompts")
    if os.path.isdir(prompts_dir):
        shutil.rmtree(prompts_dir)
    os.makedirs(prompts_dir)

    t0 = time.monotonic()
    width = max(4, len(str(args.prompts - 1)))
    counter = {"files": 0, "bytes": 0}

    def write(rel, text):
        data = text.encode("ascii")
        with open(os.path.join(out, *rel.split("/")), "wb") as f:
            f.write(data)
        counter["files"] += 1
        counter["bytes"] += len(data)

    write("agentlock.toml", "# Generated by bench/gen_secret_corpus.py. Benchmark input with FAKE secrets.\n"
                            "[project]\nname = \"secret-bench\"\n")

    # Where the secrets go: one generator for the plan, one for the content.
    plan_rng = random.Random("%d:plan" % args.seed)
    files = sorted(plan_rng.sample(range(args.prompts), args.secrets))
    kinds = plan_secrets(args.secrets)
    plan_rng.shuffle(kinds)
    where = dict(zip(files, kinds))

    g = Gen(random.Random("%d:prompts" % args.seed))
    labels = []
    for i in range(args.prompts):
        rel = "prompts/%0*d.prompt" % (width, i)
        planted = []
        if i in where:
            kind, ctx = where[i]
            planted.append(MAKERS[kind](g, ctx))
        lines, slots = gen_prompt(g, "p%0*d" % (width, i), args.size, planted)
        for (first, last) in slots:
            labels.append({"path": rel, "line": first, "end_line": last, "kind": kind,
                           "context": "keyword" if ctx == 0 else "loose"})
        write(rel, "\n".join(lines) + "\n")

    with open(os.path.join(out, "labels.json"), "w") as f:
        json.dump(labels, f, indent=1, sort_keys=True)
        f.write("\n")

    dt = time.monotonic() - t0
    prompt_bytes = counter["bytes"] - os.path.getsize(os.path.join(out, "agentlock.toml"))
    sys.stderr.write(
        "gen_secret_corpus: %d files, %.1f MB (%d prompts, %.1f MB; %d planted secrets of %d kinds) "
        "in %.2fs -> %s\n"
        % (counter["files"], counter["bytes"] / 1e6, args.prompts, prompt_bytes / 1e6, len(labels),
           len(set(lbl["kind"] for lbl in labels)), dt, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
