"""Copy-paste quickstart code: the official OpenAI SDKs and curl, pointed at RouterAI. Pure."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MODEL = "auto"  # the router picks the model
PLACEHOLDER_KEY = "gw_your_org_prod_YOUR_KEY"
GREETING = "Say hello from RouterAI"
# A bound on the answer keeps the worst-case reservation inside every plan's per-minute
# token limit (without one, the gateway must reserve the model's whole output window).
MAX_TOKENS = 256


@dataclass(frozen=True, slots=True)
class Snippet:
    """One language's quickstart: a tab label, the install line, and the code."""

    language: str
    label: str
    install: str
    code: str


def python_snippet(base_url: str, api_key: str, model: str = DEFAULT_MODEL) -> str:
    return f'''from openai import OpenAI

client = OpenAI(
    base_url="{base_url}",
    api_key="{api_key}",
)

reply = client.chat.completions.create(
    model="{model}",
    max_tokens={MAX_TOKENS},
    messages=[{{"role": "user", "content": "{GREETING}"}}],
)
print(reply.choices[0].message.content)'''


def node_snippet(base_url: str, api_key: str, model: str = DEFAULT_MODEL) -> str:
    return f'''import OpenAI from "openai";

const client = new OpenAI({{
  baseURL: "{base_url}",
  apiKey: "{api_key}",
}});

const reply = await client.chat.completions.create({{
  model: "{model}",
  max_tokens: {MAX_TOKENS},
  messages: [{{ role: "user", content: "{GREETING}" }}],
}});
console.log(reply.choices[0].message.content);'''


def curl_snippet(base_url: str, api_key: str, model: str = DEFAULT_MODEL) -> str:
    message = f'{{"role": "user", "content": "{GREETING}"}}'
    body = f'{{"model": "{model}", "max_tokens": {MAX_TOKENS}, "messages": [{message}]}}'
    return f"""curl {base_url}/chat/completions \\
  -H "Authorization: Bearer {api_key}" \\
  -H "Content-Type: application/json" \\
  -d '{body}'"""


def placeholder_key(slug: str | None = None) -> str:
    """What a snippet shows in place of a key: the organization's key shape when known."""
    return f"gw_{slug}_prod_YOUR_KEY" if slug else PLACEHOLDER_KEY


def quickstart(base_url: str, api_key: str | None = None) -> tuple[Snippet, ...]:
    """The three snippets for `base_url` (ending in /v1) and `api_key` (or a placeholder)."""
    key = api_key or PLACEHOLDER_KEY
    return (
        Snippet("python", "Python", "pip install openai", python_snippet(base_url, key)),
        Snippet("node", "Node.js", "npm install openai", node_snippet(base_url, key)),
        Snippet("curl", "curl", "", curl_snippet(base_url, key)),
    )
