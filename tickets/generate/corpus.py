"""The text of synthetic tickets: names, company words, and the sentences subjects, descriptions,
replies and internal notes are made of (``fill`` and ``paragraph`` draw them from a seeded
``random.Random``)."""

from __future__ import annotations

import random

# fmt: off


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ada Alan Grace Linus Margaret Ken Barbara Dennis Frances Edsger Radia John Hedy Tim Katherine Donald "
    "Karen Guido Sophie Bjarne Anita Niklaus Mary Claude Jean Ivan Lynn Vint Shafi Leslie Joan Fernando "
    "Adele Butler Erna Rosalind Marvin Carol Seymour Elena Tomas Ingrid Pedro Yuki Amara Chen Priya Omar "
    "Lucia Mateo Zainab Nils Aiko Kwame Sven Ines Dmitri Noor Hana Felix"
)
LAST_NAMES = _words(
    "Lovelace Turing Hopper Torvalds Hamilton Thompson Liskov Ritchie Allen Dijkstra Perlman Backus "
    "Lamarr Berners Johnson Knuth Jones Rossum Wilson Stroustrup Borg Wirth Keller Shannon Sammet "
    "Sutherland Conway Cerf Goldwasser Lamport Clarke Corbato Goldberg Lampson Schwarz Franklin Minsky "
    "Shaw Papert Okafor Novak Berg Alvarez Tanaka Mensah Larsen Costa Petrov Haddad Kim Weber Moreau "
    "Rossi Silva Nakamura Ivanova Fischer Dubois Santos Kowalski"
)
COMPANY_WORDS = _words(
    "North Blue Silver Iron Bright Green Red Oak Pine Cedar River Stone Cloud Star Sun Harbor Summit "
    "Maple Quartz Falcon Lumen Nova Vertex Atlas Delta Orbit Pixel Prism Copper Granite"
)
COMPANY_KINDS = _words(
    "Logistics Systems Labs Retail Foods Health Media Bank Energy Studios Partners Travel Robotics "
    "Insurance Software Analytics Motors Books Games Clinics"
)
TEAM_NAMES = _words(
    "Billing Technical Accounts Onboarding Enterprise Security Integrations Mobile Payments Shipping "
    "Returns Compliance Platform Data Partners Education Hardware Localization Escalations Success"
)
PLANS = ("free", "starter", "pro", "business", "enterprise")
FEATURES = (
    "dashboard", "invoice", "report", "export", "calendar", "inbox", "search", "checkout", "profile",
    "settings", "analytics", "upload", "notifications", "billing", "API", "mobile app", "SSO", "webhook",
)
OBJECTS = (
    "invoices", "orders", "projects", "users", "contacts", "files", "payments", "subscriptions",
    "reports", "comments", "tasks", "teams", "products", "shipments",
)
INTEGRATIONS = ("Slack", "Salesforce", "Zapier", "Shopify", "Google Drive", "Jira", "GitHub", "Stripe", "HubSpot")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
SUBJECTS = {
    "billing": (
        "Invoice {n} shows the wrong amount", "Charged twice for the {plan} plan", "Refund for order {n}",
        "Cannot download the invoice for {month}", "VAT number missing on invoice {n}",
        "Card declined when upgrading to {plan}", "Question about the {month} bill",
    ),
    "technical": (
        "The {feature} page does not load", "Error 500 when saving {object}", "Sync with {integration} stopped",
        "{feature} is slow since the last update", "Export of {object} is empty",
        "Webhooks to {integration} time out", "Import of {object} fails at row {n}",
    ),
    "account": (
        "Cannot log in after a password reset", "Two-factor codes are not accepted", "Please change our account owner",
        "Add a new user to our account", "Locked out after too many attempts", "Change of email address",
        "Close the account of a former colleague",
    ),
    "feature_request": (
        "Allow filtering {object} in the {feature}", "Dark mode for the {feature}", "Bulk edit for {object}",
        "API endpoint for {object}", "Connect {feature} to {integration}",
    ),
    "bug": (
        "The {feature} shows {object} twice", "Wrong time zone on {object}", "Save button on {feature} does nothing",
        "Date picker is off by one day", "{integration} link opens the wrong page", "Typo on the {feature} page",
    ),
    "security": (
        "Suspicious sign-in from an unknown location", "Please rotate our API key", "Possible XSS in the {feature}",
        "Request for the security report", "Unknown device on our account",
    ),
    "other": (
        "Question about the {feature}", "Feedback on onboarding", "Where do I find {object}?",
        "Thanks for the quick help", "Meeting request about the {plan} plan",
    ),
}
DESCRIPTION_SENTENCES = (
    "Since this morning the {feature} page only shows a spinner.",
    "We tried it in two browsers and on the {integration} side too, with the same result.",
    "Our team of {n} people depends on this for the {month} closing.",
    "The error message says something about a timeout.",
    "I already cleared the cache and signed out and in again.",
    "It worked fine last week before the update.",
    "Attached is what we see, the numbers for {object} do not add up.",
    "Could you please look into it as soon as possible?",
    "This blocks our work with {object}, so any workaround would help.",
    "We are on the {plan} plan, account number {n}.",
    "Steps: open the {feature}, choose {object}, press save.",
    "Nothing has changed on our side as far as I know.",
)
CUSTOMER_REPLY_SENTENCES = (
    "Thanks, I tried that but it still happens.",
    "That worked, thank you!",
    "Here is the extra information you asked for: account {n}.",
    "It happens for {object} only, not for the rest.",
    "Any news on this? Our {month} deadline is close.",
    "I can confirm it is fixed on our side now.",
    "Sorry for the late answer, I was away.",
    "A colleague sees the same problem on the {feature} page.",
)
AGENT_REPLY_SENTENCES = (
    "Thanks for reporting this, I am looking into it now.",
    "Could you tell us which browser and version you use?",
    "We found the cause and deployed a fix; could you try again?",
    "I have passed this on to our {feature} specialists.",
    "As a workaround you can export the {object} from the reports page.",
    "I have refunded the duplicate charge; it shows within five days.",
    "Your account settings look right to me.",
    "I will keep this ticket open until you confirm.",
    "The {integration} connection needed a new token; it is renewed now.",
)
NOTE_SENTENCES = (
    "Reproduced on staging with {object}.",
    "Looks like the known issue with {integration}, see the engineering board.",
    "Customer is on the {plan} plan, priority support applies.",
    "Checked the logs: timeouts between 09:00 and 09:20.",
    "Asked engineering for an estimate.",
    "Second report this week about the {feature}.",
    "Refund approved by finance.",
)
SOLVE_SENTENCES = (
    "The fix is live now; I will mark this ticket solved.",
    "Glad it works again. I am closing this as solved, reply if anything comes up.",
    "This is sorted now; thanks for your patience.",
)
HOT_TAGS = ("billing", "login", "refund", "bug", "urgent-customer")
OTHER_TAGS = tuple(
    f"{word}-{kind}"
    for word in ("api", "mobile", "export", "invoice", "sso", "webhook", "import", "sync", "report", "upload")
    for kind in ("error", "slow", "question", "request", "regression", "docs")
) + ("vip", "churn-risk", "enterprise", "trial", "gdpr", "outage", "duplicate", "feedback", "how-to", "onboarding")
# fmt: on


def fill(template: str, rng: random.Random) -> str:
    """``template`` with its ``{n}``, ``{plan}``, ``{month}``, … placeholders drawn from ``rng``."""
    return template.format(
        n=rng.randrange(1000, 99999),
        plan=rng.choice(PLANS),
        month=rng.choice(MONTHS),
        feature=rng.choice(FEATURES),
        object=rng.choice(OBJECTS),
        integration=rng.choice(INTEGRATIONS),
    )


def paragraph(sentences: tuple[str, ...], rng: random.Random, low: int, high: int) -> str:
    """Between ``low`` and ``high`` filled sentences of ``sentences``, joined by spaces."""
    return " ".join(fill(rng.choice(sentences), rng) for _ in range(rng.randint(low, high)))
