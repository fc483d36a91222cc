"""Message bodies are Markdown rendered safe (issue 7): over a hundred XSS payloads, checked by
parsing the output rather than by looking for strings."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tickets.rendering import render_markdown

RAW = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<base href="javascript:alert(1)//">',
    "<p onclick=alert(1)>click</p>",
    "<a onmouseover=alert(1)>hover</a>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<xss onafterscriptexecute=alert(1)><script>1</script>",
    "<template><script>alert(1)</script></template>",
    "<isindex action=javascript:alert(1) type=image>",
    '<table background="javascript:alert(1)">',
    "<frameset onload=alert(1)>",
    '<img src=1 href=1 onerror="javascript:alert(1)"></img>',
    '<a href="  javascript:alert(1)">spaces</a>',
    '<a href="java\nscript:alert(1)">newline</a>',
]
MARKDOWN = [
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](  javascript:alert(1)  )",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    '![img](x "onerror=alert(1)")',
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<javascript:alert(1)>",
    "[a](<javascript:alert(1)>)",
    "[ref][1]\n\n[1]: javascript:alert(1)",
    "[ref][x]\n\n[x]: data:text/html,<script>alert(1)</script>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    "> <script>alert(1)</script>",
    "- <img src=x onerror=alert(1)>",
    "**<img src=x onerror=alert(1)>**",
    '[x](https://example.com" onclick="alert(1))',
    "[x](https://example.com 'title\" onmouseover=\"alert(1)')",
    "# <svg onload=alert(1)>",
    "[<img src=x onerror=alert(1)>](https://example.com)",
    "<a href='https://example.com' onclick='alert(1)'>ok</a>",
    "[x](javascript://%0Aalert(1))",
    "[x](file:///etc/passwd)",
    "[x](//evil.example/%2e%2e)",
]
# Every raw payload again, wrapped in Markdown constructs that change how parsers see it.
WRAPPED = (
    [f"*{p}*" for p in RAW[:15]] + [f"1. {p}" for p in RAW[15:30]] + [f"[{p}](https://example.com)" for p in RAW[30:]]
)
PAYLOADS = RAW + MARKDOWN + WRAPPED

SAFE_SCHEMES = ("http://", "https://", "mailto:")
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
}


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction", "background"):
                self.problems.append(f"attribute {name}")
            if name in ("href", "src", "action", "xlink:href"):
                cleaned = "".join((value or "").split()).lower()
                if not cleaned.startswith(SAFE_SCHEMES):
                    self.problems.append(f"{name}={value!r}")

    handle_startendtag = handle_starttag


def test_there_are_more_than_a_hundred_payloads():
    assert len(set(PAYLOADS)) >= 100


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_payload_renders_inert(payload):
    html = str(render_markdown(payload))
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    assert inspector.problems == [], html


def test_ordinary_markdown_still_works():
    html = str(render_markdown("Hello **there**\n\n- one\n- two\n\n`code` [docs](https://example.com/a?b=1)"))
    assert "<strong>there</strong>" in html and "<li>one</li>" in html and "<code>code</code>" in html
    assert 'href="https://example.com/a?b=1"' in html and 'rel="nofollow noopener noreferrer"' in html
