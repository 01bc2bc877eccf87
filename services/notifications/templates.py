"""Every message the service sends, in plain English: one function per kind, from the message's parameters and
what is looked up when it is sent (names, the adviser's contact, the unsubscribe link)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.messaging.vocabulary import OPPORTUNITY_TYPE_NAMES
from services.notifications.contacts import AdviserContact

HUB = "the Youth Employment hub"


@dataclass(frozen=True)
class Context:
    greeting_name: str | None
    adviser: AdviserContact | None
    unsubscribe_url: str
    preferences_url: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


REFERRAL_WORDS: dict[str, tuple[str, str]] = {
    "referred": ("You have been put forward for {title}",
                 "Your adviser has put you forward for {title} at {employer}. The employer will look at your "
                 "details and should reply within two weeks. You do not need to do anything yet."),
    "applied": ("Your application for {title} is in",
                "{employer} has your application for {title}. They will tell us what happens next."),
    "interviewing": ("{employer} would like to interview you",
                     "{employer} would like to interview you for {title}. Your adviser can help you get ready: "
                     "what to wear, what they may ask and how to get there."),
    "offered": ("You have been offered {title}",
                "Good news: {employer} has offered you {title}. Talk to your adviser before you say yes or no."),
    "accepted": ("You have accepted {title}",
                 "You have accepted {title} at {employer}. Well done. Your adviser will stay in touch while you "
                 "start."),
    "declined": ("You said no to {title}",
                 "You turned down the offer of {title} at {employer}. Your adviser will help you look for the "
                 "next one."),
    "unsuccessful": ("An update on {title}",
                     "{employer} has decided not to go ahead with you for {title} this time. This happens to "
                     "most people, often more than once. Your adviser will help you find the next one."),
    "withdrawn": ("{title}: you are no longer put forward",
                  "You are no longer put forward for {title} at {employer}. If this is a surprise, talk to your "
                  "adviser."),
}


def _hello(context: Context) -> str:
    return f"Hello {context.greeting_name}," if context.greeting_name else "Hello,"


def _adviser_lines(context: Context) -> str:
    adviser = context.adviser
    if adviser is None:
        return f"If you have a question, contact {HUB}."
    return (f"Your adviser is {adviser.name}. You can email them at {adviser.email} or phone them on "
            f"{adviser.phone}.")


def _footer(context: Context) -> str:
    return (f"\n\n--\nYou get this email from {HUB}.\nChange what we send you: {context.preferences_url}\n"
            f"Stop these emails: {context.unsubscribe_url}\n")


def referral_status(params: dict[str, Any], context: Context) -> Rendered:
    subject, text = REFERRAL_WORDS[params["status"]]
    values = {"title": params["title"], "employer": params["employer"]}
    body = f"{_hello(context)}\n\n{text.format(**values)}\n\n{_adviser_lines(context)}{_footer(context)}"
    return Rendered(subject.format(**values), body)


def employer_reminder(params: dict[str, Any], context: Context) -> Rendered:
    body = (f"{_hello(context)}\n\nA young person was put forward for {params['title']} on {params['referred_on']} "
            f"and has not heard back. It has been {params['working_days']} working days.\n\n"
            "Please tell us what happens next, even if it is a no: open the referral and choose its next step. "
            "Young people who hear nothing often give up looking.\n\n"
            f"{_adviser_lines(context).replace('Your adviser', 'The referring adviser')}"
            f"{_footer(context)}")
    return Rendered(f"Please reply to a referral for {params['title']}", body)


def adviser_escalation(params: dict[str, Any], context: Context) -> Rendered:
    body = (f"{_hello(context)}\n\n{params['employer']} has not answered a referral you made for {params['title']} "
            f"on {params['referred_on']}: {params['working_days']} working days, and a reminder "
            f"{params['reminder_days']} working days in.\n\nReferral: {params['referral_id']}\n"
            f"You may want to call the employer or talk to the young person about other openings.{_footer(context)}")
    return Rendered(f"No answer from {params['employer']} on {params['title']}", body)


def closing_reminder(params: dict[str, Any], context: Context) -> Rendered:
    days = params["days_left"]
    when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
    if params["why"] == "interested":
        text = (f"You said you were interested in {params['title']} at {params['employer']}. It closes {when}, on "
                f"{params['closing_date']}. If you still want it, ask your adviser to put you forward now.")
    else:
        text = (f"You were put forward for {params['title']} at {params['employer']}, and they have not answered "
                f"yet. It closes {when}, on {params['closing_date']}. Your adviser can chase them for you.")
    return Rendered(f"{params['title']} closes {when}",
                    f"{_hello(context)}\n\n{text}\n\n{_adviser_lines(context)}{_footer(context)}")


CLOCK_WORDS = {"at_risk": "at risk", "overdue": "overdue"}


def adviser_clock_digest(params: dict[str, Any], context: Context) -> Rendered:
    items = sorted(params["items"], key=lambda i: (i["status"] != "overdue", i["days_left"] or 0))
    lines = []
    for item in items:
        left = item["days_left"]
        when = f"{-left} days past the deadline" if left is not None and left < 0 else f"{left} days left"
        lines.append(f"- {CLOCK_WORDS.get(item['status'], item['status'])}, {when}: "
                     f"{params['ui_url']}/person?person={item['profile_id']}")
    counts = {status: sum(1 for i in items if i["status"] == status) for status in CLOCK_WORDS}
    summary = ", ".join(f"{n} {CLOCK_WORDS[s]}" for s, n in counts.items() if n)
    body = (f"{_hello(context)}\n\nSince we last wrote, these people on your caseload turned {summary} on the "
            f"guarantee clock:\n\n" + "\n".join(lines) + f"\n\nOpen each to see their clock and suggested "
            f"matches.{_footer(context)}")
    return Rendered(f"Guarantee clock: {summary}", body)


def _day(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def adviser_lapse_digest(params: dict[str, Any], context: Context) -> Rendered:
    items = sorted(params["items"], key=lambda i: (i["since"], i["profile_id"]))
    lines = [f"- not known since {_day(item['since'])}: {params['ui_url']}/activity?person={item['profile_id']}"
             for item in items]
    people = f"{len(items)} {'person' if len(items) == 1 else 'people'}"
    body = (f"{_hello(context)}\n\nSince we last wrote, nobody confirmed what these people on your caseload are "
            f"doing in time, so their activity is now \"not known\":\n\n" + "\n".join(lines)
            + "\n\nNot known counts as badly as NEET in the returns. Open each to record an attempt to reach them, "
            f"or what they are doing now.{_footer(context)}")
    return Rendered(f"Activity not known: {people} to trace", body)


def _listing(items: list[dict[str, Any]]) -> str:
    lines = []
    for item in items:
        kind = OPPORTUNITY_TYPE_NAMES.get(item["type"], item["type"])
        lines.append(f"- {item['title']} at {item['employer']} ({kind}, {item['postcode_district']}), "
                     f"£{item['wage_per_hour']:.2f} an hour, apply by {item['closing_date']}")
    return "\n".join(lines)


def search_alert(params: dict[str, Any], context: Context) -> Rendered:
    items = params["items"]
    body = (f"{_hello(context)}\n\nA new opportunity fits your saved search \"{params['search']}\":\n\n"
            f"{_listing(items)}\n\nAsk your adviser to put you forward, or say you are interested on the site."
            f"{_footer(context)}")
    return Rendered(f"New: {items[0]['title']}", body)


def search_digest(params: dict[str, Any], context: Context) -> Rendered:
    items = params["items"]
    period = "today" if params["frequency"] == "daily" else "this week"
    searches = ", ".join(f'"{name}"' for name in params["searches"])
    body = (f"{_hello(context)}\n\n{len(items)} new {'opportunity fits' if len(items) == 1 else 'opportunities fit'}"
            f" your saved {'search' if len(params['searches']) == 1 else 'searches'} {searches} {period}:\n\n"
            f"{_listing(items)}\n\nAsk your adviser to put you forward, or say you are interested on the site."
            f"{_footer(context)}")
    count = f"{len(items)} new {'opportunity' if len(items) == 1 else 'opportunities'}"
    return Rendered(f"{count} for your saved {'search' if len(params['searches']) == 1 else 'searches'}", body)


TEMPLATES: dict[str, Callable[[dict[str, Any], Context], Rendered]] = {
    "referral_status": referral_status,
    "employer_reminder": employer_reminder,
    "adviser_escalation": adviser_escalation,
    "closing_reminder": closing_reminder,
    "adviser_clock_digest": adviser_clock_digest,
    "adviser_lapse_digest": adviser_lapse_digest,
    "search_alert": search_alert,
    "search_digest": search_digest,
}


def render(kind: str, params: dict[str, Any], context: Context) -> Rendered:
    return TEMPLATES[kind](params, context)
