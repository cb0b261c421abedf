//! The detector table: one entry per kind of credential, written from each provider's token
//! format. Order matters: when two detectors match overlapping bytes, the one listed first
//! wins, so the list runs from the most specific (a JSON service-account key, a PEM block, a
//! token with a registered prefix) to the least (a keyword-anchored hex key, a database URL,
//! a bearer header, a generic assignment).
//!
//! Patterns are byte regexes compiled with Unicode off: `\s`, `\b` and `(?i)` are ASCII, and
//! classes name their bytes. Large counted repetitions are avoided (`{n,}` plus the boundary
//! check instead of `{n,m}` with a big `m`): they would unroll into big automata.

use super::placeholder::{generic_value_ok, is_placeholder};
use super::{Boundary, Detector};

const WINDOW: usize = 512;

const BASE: Detector = Detector {
    id: "",
    title: "",
    keywords: &[],
    shown_prefix: "",
    pattern: "",
    before: WINDOW,
    after: WINDOW,
    // Every detector that takes its boundary from here starts with a registered prefix; one
    // whose prefix holds a digit and six bytes says `Boundary::Distinct`.
    boundary: Boundary::Prefix,
    min_entropy: 3.0,
    reject_runs: true,
    trim_pem: false,
    context: None,
    validate: None,
};

/// Every detector, from the most to the least specific.
pub static DETECTORS: &[Detector] = &[
    // --- Private keys -------------------------------------------------------------------------
    Detector {
        id: "gcp-service-account",
        title: "Google Cloud service account key (JSON)",
        keywords: &["service_account"],
        pattern: r#""private_key"[ \t]*:[ \t]*"-----BEGIN PRIVATE KEY-----(?P<s>[A-Za-z0-9+/=\\]+?)-----END PRIVATE KEY-----"#,
        context: Some(r#""type"[ \t]*:[ \t]*"service_account""#),
        before: 8192,
        after: 8192,
        boundary: Boundary::None,
        min_entropy: 4.0,
        reject_runs: false,
        trim_pem: true,
        validate: Some(pem_body_ok),
        ..BASE
    },
    Detector {
        id: "private-key",
        title: "private key (PEM)",
        keywords: &["private key"],
        // The body: printable ASCII and whitespace, never two dashes in a row.
        pattern: r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?P<s>(?:[\t\n\r\x20-\x2c\x2e-\x7e]|-[\t\n\r\x20-\x2c\x2e-\x7e])+?)-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----",
        before: 64,
        // An RSA-4096 key is about 3.3 KB, a PGP secret key block can be several KB.
        after: 16384,
        boundary: Boundary::None,
        min_entropy: 4.0,
        reject_runs: false,
        trim_pem: true,
        validate: Some(pem_body_ok),
        ..BASE
    },
    // --- LLM providers ------------------------------------------------------------------------
    Detector {
        id: "anthropic-admin-key",
        title: "Anthropic Admin API key",
        keywords: &["sk-ant-admin01-"],
        shown_prefix: "sk-ant-admin01-",
        pattern: r"sk-ant-admin01-[A-Za-z0-9_-]{80,}",
        min_entropy: 3.5,
        boundary: Boundary::Distinct,
        ..BASE
    },
    Detector {
        id: "anthropic-api-key",
        title: "Anthropic API key",
        keywords: &["sk-ant-api0"],
        shown_prefix: "sk-ant-api03-",
        pattern: r"sk-ant-api0[0-9]-[A-Za-z0-9_-]{80,}",
        min_entropy: 3.5,
        boundary: Boundary::Distinct,
        ..BASE
    },
    Detector {
        id: "openrouter-api-key",
        title: "OpenRouter API key",
        keywords: &["sk-or-v1-"],
        shown_prefix: "sk-or-v1-",
        pattern: r"sk-or-v1-[0-9a-f]{64}",
        boundary: Boundary::Distinct,
        ..BASE
    },
    Detector {
        id: "openai-admin-key",
        title: "OpenAI admin key",
        keywords: &["sk-admin-"],
        shown_prefix: "sk-admin-",
        pattern: r"sk-admin-[A-Za-z0-9_-]{40,}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "openai-service-account-key",
        title: "OpenAI service account key",
        keywords: &["sk-svcacct-"],
        shown_prefix: "sk-svcacct-",
        pattern: r"sk-svcacct-[A-Za-z0-9_-]{40,}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "openai-project-key",
        title: "OpenAI project API key",
        keywords: &["sk-proj-"],
        shown_prefix: "sk-proj-",
        pattern: r"sk-proj-[A-Za-z0-9_-]{40,}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "openai-api-key",
        title: "OpenAI API key",
        // "T3BlbkFJ" is base64 of "OpenAI", in the middle of the older user keys.
        keywords: &["t3blbkfj", "sk-none-"],
        shown_prefix: "sk-",
        pattern: r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|sk-None-[A-Za-z0-9_-]{40,}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "langfuse-secret-key",
        title: "Langfuse secret key",
        keywords: &["sk-lf-"],
        shown_prefix: "sk-lf-",
        pattern: r"sk-lf-[A-Za-z0-9][A-Za-z0-9-]{30,}",
        ..BASE
    },
    Detector {
        id: "huggingface-token",
        title: "Hugging Face access token",
        keywords: &["hf_"],
        shown_prefix: "hf_",
        pattern: r"hf_[A-Za-z0-9]{30,40}",
        min_entropy: 3.5,
        validate: Some(mixed_case_ok),
        ..BASE
    },
    // --- Source hosting and package registries ------------------------------------------------
    Detector {
        id: "github-pat-fine-grained",
        title: "GitHub fine-grained personal access token",
        keywords: &["github_pat_"],
        shown_prefix: "github_pat_",
        pattern: r"github_pat_[A-Za-z0-9_]{70,}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "github-pat-classic",
        title: "GitHub personal access token (classic)",
        keywords: &["ghp_"],
        shown_prefix: "ghp_",
        pattern: r"ghp_[A-Za-z0-9]{36,}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "github-oauth-token",
        title: "GitHub OAuth access token",
        keywords: &["gho_"],
        shown_prefix: "gho_",
        pattern: r"gho_[A-Za-z0-9]{36,}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "github-app-user-token",
        title: "GitHub App user access token",
        keywords: &["ghu_"],
        shown_prefix: "ghu_",
        pattern: r"ghu_[A-Za-z0-9]{36,}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "github-app-installation-token",
        title: "GitHub App installation access token",
        keywords: &["ghs_"],
        shown_prefix: "ghs_",
        pattern: r"ghs_[A-Za-z0-9]{36,}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "github-refresh-token",
        title: "GitHub refresh token",
        keywords: &["ghr_"],
        shown_prefix: "ghr_",
        pattern: r"ghr_[A-Za-z0-9]{36,}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "gitlab-pat",
        title: "GitLab personal access token",
        keywords: &["glpat-"],
        shown_prefix: "glpat-",
        // Newer (routable) tokens carry dot-separated parts after the random part.
        pattern: r"glpat-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]{2,}){0,2}",
        ..BASE
    },
    Detector {
        id: "gitlab-runner-token",
        title: "GitLab runner token",
        keywords: &["glrt-", "gr1348941"],
        shown_prefix: "glrt-",
        pattern: r"glrt-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]{2,}){0,2}|GR1348941[A-Za-z0-9_-]{20,}",
        ..BASE
    },
    Detector {
        id: "gitlab-deploy-token",
        title: "GitLab deploy token",
        keywords: &["gldt-"],
        shown_prefix: "gldt-",
        pattern: r"gldt-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]{2,}){0,2}",
        ..BASE
    },
    Detector {
        id: "npm-access-token",
        title: "npm access token",
        keywords: &["npm_"],
        shown_prefix: "npm_",
        pattern: r"npm_[A-Za-z0-9]{36}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "pypi-upload-token",
        title: "PyPI upload token",
        // A macaroon whose location is pypi.org (or test.pypi.org), base64.
        keywords: &["pypi-ageichlwas5vcmc", "pypi-agendgvzdc5wexbplm9yzw"],
        shown_prefix: "pypi-",
        pattern: r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}",
        boundary: Boundary::Distinct,
        ..BASE
    },
    // --- Chat -------------------------------------------------------------------------------
    Detector {
        id: "slack-webhook-url",
        title: "Slack incoming webhook URL",
        keywords: &["hooks.slack.com"],
        shown_prefix: "https://hooks.slack.com/",
        pattern: r"https://hooks\.slack\.com/(?:services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{20,32}|(?:workflows|triggers)/T[A-Z0-9]{6,12}/A[A-Z0-9]{6,12}/[0-9]{6,20}/[A-Za-z0-9]{20,40})",
        ..BASE
    },
    Detector {
        id: "slack-bot-token",
        title: "Slack bot token",
        keywords: &["xoxb-"],
        shown_prefix: "xoxb-",
        pattern: r"xoxb-[0-9]{8,14}-[0-9]{8,14}-[A-Za-z0-9]{20,34}",
        ..BASE
    },
    Detector {
        id: "slack-user-token",
        title: "Slack user token",
        keywords: &["xoxp-"],
        shown_prefix: "xoxp-",
        pattern: r"xoxp-[0-9]{8,14}-[0-9]{8,14}-[0-9]{8,14}-[A-Za-z0-9]{28,34}",
        ..BASE
    },
    Detector {
        id: "slack-app-token",
        title: "Slack app-level token",
        keywords: &["xapp-"],
        shown_prefix: "xapp-",
        pattern: r"xapp-[0-9]{1,2}-[A-Z0-9]{8,14}-[0-9]{8,14}-[A-Za-z0-9]{32,80}",
        ..BASE
    },
    Detector {
        id: "slack-token",
        title: "Slack token",
        // Legacy, workspace, refresh and configuration tokens, and any xox?- token the three
        // strict shapes above do not match.
        keywords: &[
            "xoxa-", "xoxb-", "xoxc-", "xoxd-", "xoxe", "xoxo-", "xoxp-", "xoxr-", "xoxs-",
        ],
        shown_prefix: "xox",
        pattern: r"xox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]{20,}",
        validate: Some(has_digit_ok),
        ..BASE
    },
    // --- Services MCP servers' READMEs ask users to paste -------------------------------------
    Detector {
        id: "supabase-access-token",
        title: "Supabase personal access token",
        keywords: &["sbp_"],
        shown_prefix: "sbp_",
        pattern: r"sbp_(?:oauth_)?[0-9a-f]{40}",
        ..BASE
    },
    Detector {
        id: "supabase-secret-key",
        title: "Supabase secret API key",
        keywords: &["sb_secret_"],
        shown_prefix: "sb_secret_",
        pattern: r"sb_secret_[A-Za-z0-9_-]{31,}",
        ..BASE
    },
    Detector {
        id: "notion-token",
        title: "Notion integration token",
        keywords: &["ntn_", "secret_"],
        shown_prefix: "ntn_",
        pattern: r"ntn_[A-Za-z0-9]{40,}|secret_[A-Za-z0-9]{43}",
        validate: Some(has_digit_ok),
        ..BASE
    },
    Detector {
        id: "linear-api-key",
        title: "Linear API key",
        keywords: &["lin_api_", "lin_oauth_"],
        shown_prefix: "lin_api_",
        pattern: r"lin_(?:api|oauth)_[A-Za-z0-9]{40}",
        ..BASE
    },
    Detector {
        id: "brave-search-api-key",
        title: "Brave Search API key",
        // The prefix alone is too short to trust: only beside the word "brave".
        keywords: &["brave"],
        shown_prefix: "BSA",
        pattern: r"BSA[A-Za-z0-9_-]{24,}",
        min_entropy: 3.5,
        validate: Some(has_digit_ok),
        ..BASE
    },
    Detector {
        id: "figma-token",
        title: "Figma personal access token",
        keywords: &["figd_"],
        shown_prefix: "figd_",
        pattern: r"figd_[A-Za-z0-9_-]{40,}",
        ..BASE
    },
    Detector {
        id: "tavily-api-key",
        title: "Tavily API key",
        keywords: &["tvly-"],
        shown_prefix: "tvly-",
        pattern: r"tvly-(?:dev-|prod-)?[A-Za-z0-9]{32,}",
        ..BASE
    },
    Detector {
        id: "firecrawl-api-key",
        title: "Firecrawl API key",
        keywords: &["fc-"],
        shown_prefix: "fc-",
        pattern: r"fc-[0-9a-f]{32}",
        validate: Some(has_digit_ok),
        ..BASE
    },
    Detector {
        id: "perplexity-api-key",
        title: "Perplexity API key",
        keywords: &["pplx-"],
        shown_prefix: "pplx-",
        pattern: r"pplx-[A-Za-z0-9]{48}",
        ..BASE
    },
    Detector {
        id: "groq-api-key",
        title: "Groq API key",
        keywords: &["gsk_"],
        shown_prefix: "gsk_",
        pattern: r"gsk_[A-Za-z0-9]{52}",
        ..BASE
    },
    Detector {
        id: "xai-api-key",
        title: "xAI API key",
        keywords: &["xai-"],
        shown_prefix: "xai-",
        pattern: r"xai-[A-Za-z0-9]{80}",
        ..BASE
    },
    Detector {
        id: "replicate-api-token",
        title: "Replicate API token",
        keywords: &["r8_"],
        shown_prefix: "r8_",
        pattern: r"r8_[A-Za-z0-9]{37}",
        validate: Some(has_digit_ok),
        ..BASE
    },
    Detector {
        id: "elevenlabs-api-key",
        title: "ElevenLabs API key",
        keywords: &["sk_"],
        shown_prefix: "sk_",
        pattern: r"sk_[0-9a-f]{48}",
        validate: Some(has_digit_ok),
        ..BASE
    },
    Detector {
        id: "digitalocean-token",
        title: "DigitalOcean token",
        keywords: &["dop_v1_", "doo_v1_", "dor_v1_"],
        shown_prefix: "dop_v1_",
        pattern: r"do[opr]_v1_[0-9a-f]{64}",
        boundary: Boundary::Distinct,
        ..BASE
    },
    Detector {
        id: "shopify-token",
        title: "Shopify access token",
        keywords: &["shpat_", "shpca_", "shppa_", "shpss_"],
        shown_prefix: "shpat_",
        pattern: r"shp(?:at|ca|pa|ss)_[0-9a-fA-F]{32}",
        ..BASE
    },
    Detector {
        id: "postman-api-key",
        title: "Postman API key",
        keywords: &["pmak-"],
        shown_prefix: "PMAK-",
        pattern: r"PMAK-[0-9a-f]{24}-[0-9a-f]{34}",
        ..BASE
    },
    Detector {
        id: "atlassian-api-token",
        title: "Atlassian API token",
        keywords: &["atatt3"],
        shown_prefix: "ATATT3",
        pattern: r"ATATT3[A-Za-z0-9_=-]{180,}",
        boundary: Boundary::Distinct,
        ..BASE
    },
    Detector {
        id: "sentry-token",
        title: "Sentry auth token",
        keywords: &["sntrys_", "sntryu_"],
        shown_prefix: "sntrys_",
        pattern: r"sntrys_[A-Za-z0-9+/=_-]{40,}|sntryu_[0-9a-f]{64}",
        ..BASE
    },
    Detector {
        id: "neon-api-key",
        title: "Neon API key",
        keywords: &["napi_"],
        shown_prefix: "napi_",
        pattern: r"napi_[a-z0-9]{64}",
        ..BASE
    },
    Detector {
        id: "apify-api-token",
        title: "Apify API token",
        keywords: &["apify_api_"],
        shown_prefix: "apify_api_",
        pattern: r"apify_api_[A-Za-z0-9]{36}",
        ..BASE
    },
    Detector {
        id: "browserbase-api-key",
        title: "Browserbase API key",
        keywords: &["bb_live_"],
        shown_prefix: "bb_live_",
        pattern: r"bb_live_[A-Za-z0-9_-]{20,}",
        ..BASE
    },
    Detector {
        id: "context7-api-key",
        title: "Context7 API key",
        keywords: &["ctx7sk"],
        shown_prefix: "ctx7sk-",
        pattern: r"ctx7sk-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        boundary: Boundary::Distinct,
        ..BASE
    },
    // --- Payments, cloud, email, SMS ----------------------------------------------------------
    Detector {
        id: "stripe-secret-key",
        title: "Stripe live secret key",
        keywords: &["sk_live_"],
        shown_prefix: "sk_live_",
        pattern: r"sk_live_[A-Za-z0-9]{24,}",
        ..BASE
    },
    Detector {
        id: "stripe-restricted-key",
        title: "Stripe live restricted key",
        keywords: &["rk_live_"],
        shown_prefix: "rk_live_",
        pattern: r"rk_live_[A-Za-z0-9]{24,}",
        ..BASE
    },
    Detector {
        id: "aws-access-key-id",
        title: "AWS access key ID",
        keywords: &["akia", "abia", "acca", "a3t"],
        shown_prefix: "AKIA",
        pattern: r"(?:AKIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}",
        boundary: Boundary::Alnum,
        ..BASE
    },
    Detector {
        id: "aws-temporary-access-key-id",
        title: "AWS temporary (STS) access key ID",
        keywords: &["asia"],
        shown_prefix: "ASIA",
        pattern: r"ASIA[A-Z0-9]{16}",
        boundary: Boundary::Alnum,
        ..BASE
    },
    Detector {
        id: "aws-secret-access-key",
        title: "AWS secret access key",
        // After its key name, or within the window of an access key id.
        keywords: &[
            "aws_secret_access_key",
            "aws-secret-access-key",
            "secret_access_key",
            "secretaccesskey",
            "aws_secret_key",
            "akia",
            "asia",
        ],
        pattern: r"[A-Za-z0-9/+]{40}",
        boundary: Boundary::Base64,
        min_entropy: 4.0,
        validate: Some(aws_secret_ok),
        ..BASE
    },
    Detector {
        id: "google-api-key",
        title: "Google API key",
        keywords: &["aiza"],
        shown_prefix: "AIza",
        pattern: r"AIza[A-Za-z0-9_-]{35}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "google-oauth-access-token",
        title: "Google OAuth access token",
        keywords: &["ya29."],
        shown_prefix: "ya29.",
        pattern: r"ya29\.[A-Za-z0-9_-]{30,}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "google-oauth-client-secret",
        title: "Google OAuth client secret",
        keywords: &["gocspx-"],
        shown_prefix: "GOCSPX-",
        pattern: r"GOCSPX-[A-Za-z0-9_-]{28}",
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "azure-storage-account-key",
        title: "Azure storage account key (connection string)",
        keywords: &["accountkey"],
        pattern: r"(?i:AccountKey)[ \t]*=[ \t]*(?P<s>[A-Za-z0-9+/]{86}==)",
        boundary: Boundary::Base64,
        min_entropy: 4.5,
        ..BASE
    },
    Detector {
        id: "sendgrid-api-key",
        title: "SendGrid API key",
        keywords: &["sg."],
        shown_prefix: "SG.",
        pattern: r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
        boundary: Boundary::Dotted,
        min_entropy: 3.5,
        ..BASE
    },
    Detector {
        id: "twilio-api-key",
        title: "Twilio API key",
        // `SK` + 32 hex digits is distinctive enough without the word "twilio" nearby (a key in
        // prose or a JSON value); the regex's literal prefix keeps the wide keyword cheap.
        keywords: &["twilio", "sk"],
        shown_prefix: "SK",
        pattern: r"SK[0-9a-fA-F]{32}",
        boundary: Boundary::Alnum,
        ..BASE
    },
    // --- Keyword-anchored keys ----------------------------------------------------------------
    Detector {
        id: "datadog-api-key",
        title: "Datadog API key",
        keywords: &["datadog", "dd_api", "dd-api", "ddapi"],
        pattern: r#"(?i)(?:datadog|dd)[a-z0-9_.:\s"'{-]{0,24}?api[_. -]?key[^\n]{0,32}?(?P<s>[0-9a-f]{32})"#,
        boundary: Boundary::Alnum,
        ..BASE
    },
    Detector {
        id: "datadog-app-key",
        title: "Datadog application key",
        keywords: &["datadog", "dd_app", "dd-app", "ddapp"],
        pattern: r#"(?i)(?:datadog|dd)[a-z0-9_.:\s"'{-]{0,24}?app(?:lication)?[_. -]?key[^\n]{0,32}?(?P<s>[0-9a-f]{40})"#,
        boundary: Boundary::Alnum,
        ..BASE
    },
    // --- Shapes without a vendor prefix ---------------------------------------------------------
    Detector {
        id: "jwt",
        title: "JSON Web Token",
        keywords: &["eyj"],
        shown_prefix: "eyJ",
        pattern: r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}",
        after: 8192,
        boundary: Boundary::Dotted,
        validate: Some(jwt_ok),
        ..BASE
    },
    Detector {
        id: "database-url-password",
        title: "password in a database URL",
        keywords: &[
            "postgres",
            "mysql",
            "mariadb",
            "mongodb",
            "redis",
            "amqp",
            "mssql",
            "sqlserver",
            "cockroachdb",
            "clickhouse",
        ],
        pattern: r#"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|cockroachdb|clickhouse)(?:\+[a-z0-9]+)?://(?P<u>[^\x00-\x20\x7f-\xff:@/"'<>{}$`\\]*):(?P<s>[^\x00-\x20\x7f-\xff@/"'<>{}$`\\]{3,128})@[a-z0-9\[]"#,
        boundary: Boundary::None,
        min_entropy: 0.0,
        validate: Some(db_password_ok),
        ..BASE
    },
    Detector {
        id: "url-password",
        title: "password in a URL",
        // `https://user:pass@host` (basic auth in a remote MCP server's URL, a git remote, a
        // proxy), any scheme; a database URL is the detector above's (listed first, it wins).
        keywords: &["://"],
        pattern: r#"(?i)\b[a-z][a-z0-9+.-]{0,30}://(?P<u>[^\x00-\x20\x7f-\xff:@/"'<>{}$`\\]*):(?P<s>[^\x00-\x20\x7f-\xff@/"'<>{}$`\\]{3,128})@[a-z0-9\[]"#,
        before: 40,
        after: 300,
        boundary: Boundary::None,
        min_entropy: 0.0,
        validate: Some(db_password_ok),
        ..BASE
    },
    Detector {
        id: "authorization-bearer-token",
        title: "bearer token in an Authorization header",
        keywords: &["bearer"],
        pattern: r"(?i)\bbearer[ \t]+(?P<s>[a-z0-9._~+/=-]{16,})",
        boundary: Boundary::None,
        min_entropy: 0.0,
        validate: Some(generic_assignment_ok),
        ..BASE
    },
    Detector {
        id: "generic-secret",
        title: "secret assigned to a password, token, secret or API key",
        keywords: &[
            "password",
            "passwd",
            "pwd",
            "secret",
            "token",
            "api_key",
            "api-key",
            "apikey",
            "access_key",
            "access-key",
            "accesskey",
            "private_key",
            "private-key",
            "privatekey",
        ],
        // key (ending in one of the words) = value, quoted or not; the value ends at a quote,
        // a space or a separator. Values that start with `$` or hold `{ } < > ( ) [ ]` are
        // references or code. The match starts at the word, not at the start of the key: the
        // same secrets, three times as fast (the test `the_generic_pattern_finds_what_…`).
        pattern: r#"(?i)(?:pass(?:wd|word)|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|secret[_-]?(?:access[_-]?)?key)["']?[ \t]*(?:=|:=|:|=>)[ \t]*["']?(?P<s>[a-z0-9!#%*+./:=?@^_|~-][a-z0-9!#$%*+./:=?@^_|~-]{11,255})(?:["'\s,;&})\]]|$)"#,
        boundary: Boundary::None,
        min_entropy: 0.0,
        validate: Some(generic_assignment_ok),
        ..BASE
    },
];

/// Words that make an assigned value a placeholder ("mysecretpassword1", "token-for-tests-2").
const CREDENTIAL_WORDS: &[&str] = &[
    "password", "passwd", "secret", "token", "apikey", "api_key", "api-key", "qwerty", "letmein",
    "default", "testing",
];

fn contains_credential_word(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    CREDENTIAL_WORDS.iter().any(|w| lower.contains(w))
}

fn generic_assignment_ok(v: &str, whole: &str) -> bool {
    !contains_credential_word(v) && generic_value_ok(v, whole)
}

/// A key body has at least 64 base64 characters.
fn pem_body_ok(body: &str, _whole: &str) -> bool {
    body.bytes()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .count()
        >= 64
}

fn has_digit_ok(v: &str, _whole: &str) -> bool {
    v.bytes().any(|b| b.is_ascii_digit())
}

fn mixed_case_ok(v: &str, _whole: &str) -> bool {
    v.bytes().any(|b| b.is_ascii_uppercase()) && v.bytes().any(|b| b.is_ascii_lowercase())
}

/// 40 characters of base64 with upper and lower case letters and a digit: not a git object id,
/// a hex digest or a word.
fn aws_secret_ok(v: &str, _whole: &str) -> bool {
    let b = v.as_bytes();
    b.iter().any(u8::is_ascii_uppercase)
        && b.iter().any(u8::is_ascii_lowercase)
        && b.iter().any(u8::is_ascii_digit)
        && !b.iter().all(u8::is_ascii_hexdigit)
}

/// The header and the payload decode (base64url) to JSON objects, and the header names an
/// algorithm or a type.
fn jwt_ok(token: &str, _whole: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let (Some(h), Some(p)) = (base64url_decode(header), base64url_decode(payload)) else {
        return false;
    };
    let object = |v: &[u8]| {
        let t = v.trim_ascii();
        t.first() == Some(&b'{') && t.last() == Some(&b'}')
    };
    let names = |v: &[u8], key: &[u8]| v.windows(key.len()).any(|w| w == key);
    object(&h) && object(&p) && (names(&h, b"\"alg\"") || names(&h, b"\"typ\""))
}

/// Unpadded (or padded) base64url; None on a byte outside the alphabet.
fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().take_while(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Passwords in database URLs that are defaults or placeholders, not secrets.
const DEFAULT_PASSWORDS: &[&str] = &[
    "pass",
    "pwd",
    "pw",
    "root",
    "admin",
    "administrator",
    "postgres",
    "mysql",
    "mariadb",
    "guest",
    "test",
    "user",
    "username",
    "redis",
    "mongo",
    "mongodb",
    "rabbitmq",
    "sa",
    "xxx",
    "foo",
    "bar",
    "foobar",
    "pa55word",
    "p@ssw0rd",
    "p@ssword",
];

/// Not a default, a placeholder or the user name again (`guest:guest`, `postgres:postgres`).
fn db_password_ok(pw: &str, whole: &str) -> bool {
    let lower = pw.to_ascii_lowercase();
    if DEFAULT_PASSWORDS.contains(&lower.as_str()) || contains_credential_word(pw) {
        return false;
    }
    let user = whole
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once(':'))
        .map_or("", |(u, _)| u);
    !user.eq_ignore_ascii_case(pw) && !is_placeholder(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generic pattern as it was, matching from the start of the key.
    const GENERIC_FROM_KEY_START: &str = r#"(?i)[a-z0-9_.-]*(?:pass(?:wd|word)|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|secret[_-]?(?:access[_-]?)?key)["']?[ \t]*(?:=|:=|:|=>)[ \t]*["']?(?P<s>[a-z0-9!#%*+./:=?@^_|~-][a-z0-9!#$%*+./:=?@^_|~-]{11,255})(?:["'\s,;&})\]]|$)"#;

    #[test]
    fn the_generic_pattern_finds_what_it_found_from_the_start_of_the_key() {
        let re = |p: &str| {
            regex::bytes::RegexBuilder::new(p)
                .unicode(false)
                .build()
                .unwrap()
        };
        let generic = DETECTORS.iter().find(|d| d.id == "generic-secret").unwrap();
        let (now, before) = (re(generic.pattern), re(GENERIC_FROM_KEY_START));
        let secrets = |r: &regex::bytes::Regex, t: &str| -> Vec<std::ops::Range<usize>> {
            r.captures_iter(t.as_bytes())
                .filter_map(|c| c.name("s").map(|m| m.range()))
                .collect()
        };
        // Assignments built from every kind of part, alone and two on a line.
        let keys = ["", "db_", "my.app-", "x9", "token", "secret_"];
        let words = [
            "password",
            "PassWD",
            "pwd",
            "secret",
            "Token",
            "api_key",
            "apikey",
            "access-key",
            "private_key",
            "secret_access_key",
            "secretkey",
        ];
        let tails = ["", "s", "_id", "\"", "'"];
        let ops = ["=", " := ", ": ", " => ", " ", "="];
        let values = [
            "Zk39x0Qa77Lm",
            "'Zk39x0Qa77LmZk39'",
            "\"${TOKEN}\"",
            "abc",
            "tok token=Vq81Ba0Yz3Pw9",
            "Zk39x0Qa77Lm;rest",
            "Zk39x0Qa77Lm}",
        ];
        let mut lines = Vec::new();
        for k in keys {
            for w in words {
                for t in tails {
                    for o in ops {
                        for v in values {
                            lines.push(format!("{k}{w}{t}{o}{v}"));
                        }
                    }
                }
            }
        }
        let mut found = 0;
        for (i, a) in lines.iter().enumerate() {
            let b = &lines[(i * 7919) % lines.len()];
            for text in [
                a.clone(),
                format!("{a} {b}"),
                format!("{a}\n{b}"),
                format!("  \"{a}\","),
            ] {
                let s = secrets(&now, &text);
                assert_eq!(s, secrets(&before, &text), "{text:?}");
                found += s.len();
            }
        }
        assert!(found > 10_000, "the cases hold secrets: {found}");
    }

    #[test]
    fn jwt_validation() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"42"} . signature
        let ok = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlc2lnbmF0dXJl";
        assert!(jwt_ok(ok, ""));
        // The header does not decode to an object.
        assert!(!jwt_ok(
            "eyJhbGciOiJIUzI1.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl",
            ""
        ));
        assert!(!jwt_ok("eyJ!!!.eyJzdWIiOiI0MiJ9.c2ln", ""));
        assert_eq!(base64url_decode("eyJhIjoxfQ").unwrap(), br#"{"a":1}"#);
    }

    #[test]
    fn database_passwords() {
        let whole = |u: &str, p: &str| format!("postgres://{u}:{p}@db");
        for (u, p, ok) in [
            ("app", "Zq8vT3kLm2", true),
            ("app", "hunter2x", true),
            ("guest", "guest", false),
            ("postgres", "postgres", false),
            ("app", "password", false),
            ("app", "mysecretpassword", false),
            ("app", "root", false),
            ("user", "pass", false),
        ] {
            assert_eq!(db_password_ok(p, &whole(u, p)), ok, "{u}:{p}");
        }
    }

    #[test]
    fn aws_secret_shape() {
        assert!(aws_secret_ok(
            "k9Vq2Lr7Tz/Nw4Bx8Jm+Hd3Fs6Gp1Ya5Ce0Ui7Ko",
            ""
        ));
        assert!(!aws_secret_ok(
            "3f786850e387550fdab836ed7e6dc881de23001b",
            ""
        ));
        assert!(!aws_secret_ok(
            "abcdefghijklmnopqrstuvwxyzabcdefghijklmn",
            ""
        ));
    }
}
