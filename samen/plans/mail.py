"""E-mail for plans, and the reply tokens that turn an e-mailed reply into a reaction.

Every notification about a section carries a per-recipient token in its subject, like
`[ref:p12-340-7-3f1c9a0b2d4e6f81]`: section 12, in reply to reaction 340 (0 for a new top-level
reaction), for member 7, signed with the site's secret. Mail clients keep the subject when someone
presses reply ("Re: … [ref:…]"), so the answer finds its way back without a reply address per
person. The token is also in the body's last line, for clients that rewrite subjects. A reply is
only taken from the address the notification went to: a forwarded message answered by someone
else is left for a person to look at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import Truncator
from django.utils.translation import gettext_noop

from samen.messaging.outbox import send_email

SALT = "samen.plans.reply"
SUBJECT_MAX_CHARS = 200
_TOKEN = re.compile(r"\[ref:p(\d+)-(\d+)-(\d+)-([0-9a-f]{16})\]")


@dataclass(frozen=True)
class ReplyTarget:
    section_id: int
    parent_id: int | None
    member_id: int


def _signature(section_id: int, parent_id: int, member_id: int) -> str:
    return salted_hmac(SALT, f"{section_id}:{parent_id}:{member_id}", algorithm="sha256").hexdigest()[:16]


def reply_token(section_id: int, parent_id: int | None, member_id: int) -> str:
    parent = parent_id or 0
    return f"[ref:p{section_id}-{parent}-{member_id}-{_signature(section_id, parent, member_id)}]"


def find_reply_target(*texts: str) -> ReplyTarget | None:
    """The first validly signed token in the texts (subject first), or None."""
    for text in texts:
        for match in _TOKEN.finditer(text or ""):
            section_id, parent_id, member_id = (int(match.group(n)) for n in (1, 2, 3))
            if constant_time_compare(match.group(4), _signature(section_id, parent_id, member_id)):
                return ReplyTarget(section_id, parent_id or None, member_id)
    return None


# Where a quoted earlier message starts, in the mail clients people use (English, Dutch, French,
# German): everything from there on is the message being answered, not the answer.
_QUOTE_HEADERS = [
    re.compile(r"^\s*On\b.*\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Op\b.*\bschreef\b.*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Le\b.*\ba écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Am\b.*\bschrieb\b.*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*(Original Message|Oorspronkelijk bericht|Message d'origine)\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*From:\s.*$"),
    re.compile(r"^\s*Van:\s.*$"),
]


def strip_quoted(text: str) -> str:
    """The new part of a reply: without the quoted message, "> " lines, the signature or our token."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for n, line in enumerate(lines):
        if line.rstrip() == "--":  # RFC 3676 signature separator ("-- ")
            break
        # Gmail wraps a long "On … wrote:" over two lines.
        joined = f"{line} {lines[n + 1]}" if n + 1 < len(lines) else line
        if any(p.match(line) for p in _QUOTE_HEADERS) or (
            line.strip().startswith("On ") and _QUOTE_HEADERS[0].match(joined)
        ):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    result = "\n".join(kept)
    result = _TOKEN.sub("", result)
    return result.strip()


def _send(template: str, context: dict, *, to_member, subject: str, key: str, token: str = ""):
    context = {**context, "site_url": settings.SITE_URL, "token": token, "member": to_member}
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(f"plans/email/{template}.txt", context)
        full_subject = Truncator(subject).chars(SUBJECT_MAX_CHARS - len(token) - 1)
        if token:
            full_subject = f"{full_subject} {token}"
    return send_email(to_member.email, full_subject, body, key=key, member=to_member)


def subject(text: str, **values) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(text) % values


def send_new_reaction(reaction, section, plan, owner):
    """To the reaction's owner on the team: a reaction waits for an answer."""
    return _send(
        "new_reaction",
        {"reaction": reaction, "section": section, "plan": plan},
        to_member=owner,
        subject=subject(gettext_noop("New reaction on “%(section)s”"), section=section.heading),
        key=f"plans.new_reaction:{reaction.pk}",
        token=reply_token(section.pk, reaction.pk, owner.pk),
    )


def send_answer(reaction, section, plan):
    """To the reactor: the team's answer, in reply to which they can react again."""
    return _send(
        "answer",
        {"reaction": reaction, "section": section, "plan": plan},
        to_member=reaction.author,
        subject=subject(gettext_noop("Your reaction on “%(section)s” was answered"), section=section.heading),
        key=f"plans.answer:{reaction.pk}:{reaction.answer_count}",
        token=reply_token(section.pk, reaction.pk, reaction.author_id),
    )


def send_reminder(reaction, section, plan):
    return _send(
        "reminder",
        {"reaction": reaction, "section": section, "plan": plan},
        to_member=reaction.owner,
        subject=subject(
            gettext_noop("Overdue: a reaction on “%(section)s” waits for your answer"),
            section=section.heading,
        ),
        key=f"plans.reminder:{reaction.pk}:{reaction.due_at.isoformat()}",
        token=reply_token(section.pk, reaction.pk, reaction.owner_id),
    )


def send_invitation(invitation, section, plan):
    return _send(
        "invitation",
        {"invitation": invitation, "section": section, "plan": plan},
        to_member=invitation.member,
        subject=subject(gettext_noop("Your expertise is wanted: “%(section)s”"), section=section.heading),
        key=f"plans.invitation:{invitation.pk}",
        token=reply_token(section.pk, None, invitation.member_id),
    )


def send_question(question, member):
    return _send(
        "question",
        {"question": question},
        to_member=member,
        subject=subject(
            gettext_noop("%(initiative)s asks: %(question)s"),
            initiative=question.initiative.title,
            question=question.text,
        ),
        key=f"plans.question:{question.pk}:{member.pk}",
    )
