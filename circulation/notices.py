"""Notices: what each email says, and the templates staff edit.

A template's subject and body are Django templates limited to text and ``{{ placeholders }}``:
each placeholder one of its kind's variables (``PLACEHOLDERS``), optionally through a few
formatting filters (``ALLOWED_FILTERS``: ``{{ due_on|date }}``). No tags, no
attribute lookups: staff can word a notice however they like, and a template can neither reach
into the data behind the variables nor include other files. The variables are plain values (text,
numbers, dates) made here, never model instances. ``template_problems`` checks a template when it
is saved; ``render`` fills one in.

Which notices are due, and sending each exactly once, are in circulation.selectors.notices and
circulation.services.notices.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, Node, TextNode, Variable, VariableNode
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, ngettext

from circulation.models import Hold, Loan, NoticeKind

COMMON_PLACEHOLDERS = {
    "patron_name": "the patron's name",
    "card_number": "the patron's card number",
    "library_name": "the library's name (LIBRARY_NAME)",
    "library_url": "the address of the library's site (SITE_URL)",
    "today": "the date of the notice",
}
LOAN_PLACEHOLDERS = {
    "title": "the book's title",
    "author": "the book's authors, comma-separated",
    "barcode": "the copy's barcode",
    "checked_out_on": "the date the loan began",
    "due_on": "the date the loan is due",
    "renewals": "how many times the loan was renewed",
}
PLACEHOLDERS: dict[str, dict[str, str]] = {
    NoticeKind.DUE_SOON: {
        **COMMON_PLACEHOLDERS,
        **LOAN_PLACEHOLDERS,
        "days_left": "days until the due date (0 on the day)",
        "days_left_text": "the same in words: 1 day, 2 days",
    },
    **{
        kind: {
            **COMMON_PLACEHOLDERS,
            **LOAN_PLACEHOLDERS,
            "days_overdue": "days since the due date",
            "days_overdue_text": "the same in words: 1 day, 3 days",
            "reminder": "which reminder this is (1, 2 or 3)",
        }
        for kind in (NoticeKind.OVERDUE_1, NoticeKind.OVERDUE_2, NoticeKind.OVERDUE_3)
    },
    NoticeKind.HOLD_READY: {
        **COMMON_PLACEHOLDERS,
        "title": "the book's title",
        "author": "the book's authors, comma-separated",
        "pickup_by": "the last day to collect it",
    },
}
# A notice whose email failed (the mail server refused or was down) is tried again on the next
# runs, this many times in all.
MAX_SEND_ATTEMPTS = 3
# Formatting only: each takes the value (and a quoted argument) and returns text. ``|date``
# alone is the site's long format (Sunday 27 December 2026), as a sentence wants it. The
# defaults say counts with the ``…_text`` placeholders, made with ngettext, rather than
# ``|pluralize``, which knows English plurals only; it stays allowed for staff's own wording.
ALLOWED_FILTERS = ("date", "default", "upper", "lower", "title", "capfirst", "pluralize")

# The built-in wording of each kind, in the site's languages (translated like any other text:
# circulation/locale). Staff word their own per kind and language (NoticeTemplate); a language
# they have not worded uses this one.
SIGNATURE = gettext_lazy("Thank you,\n{{ library_name }}\n{{ library_url }}\n")
_BUILT_IN: dict[str, tuple[Promise, Promise]] = {
    NoticeKind.DUE_SOON: (
        gettext_lazy("Due soon: {{ title }}"),
        gettext_lazy(
            "Dear {{ patron_name }},\n\n"
            '"{{ title }}" by {{ author|default:"an unknown author" }} (copy {{ barcode }}) is '
            "due back on {{ due_on|date }}.\n\n"
            "Please return it by then, or renew it if you need it longer: at the desk, or signed "
            "in to your account on the library's site.\n\n"
        ),
    ),
    NoticeKind.OVERDUE_1: (
        gettext_lazy("Overdue: {{ title }}"),
        gettext_lazy(
            "Dear {{ patron_name }},\n\n"
            '"{{ title }}" (copy {{ barcode }}) was due back on {{ due_on|date }}, '
            "{{ days_overdue_text }} ago.\n\n"
            "Please return it as soon as you can, so that others can borrow it too.\n\n"
        ),
    ),
    NoticeKind.OVERDUE_2: (
        gettext_lazy("Second reminder: {{ title }} is overdue"),
        gettext_lazy(
            "Dear {{ patron_name }},\n\n"
            '"{{ title }}" (copy {{ barcode }}) is still out: it was due back on '
            "{{ due_on|date }}, {{ days_overdue_text }} ago."
            "\n\nPlease bring it back to the library this week.\n\n"
        ),
    ),
    NoticeKind.OVERDUE_3: (
        gettext_lazy("Final reminder: {{ title }} is overdue"),
        gettext_lazy(
            "Dear {{ patron_name }},\n\n"
            'This is our last reminder: "{{ title }}" (copy {{ barcode }}) was due back on '
            "{{ due_on|date }}, {{ days_overdue_text }} ago."
            "\n\nPlease return it now. If it is lost or damaged, tell us at the desk (card "
            "{{ card_number }}) and we will sort it out together.\n\n"
        ),
    ),
    NoticeKind.HOLD_READY: (
        gettext_lazy("Ready to collect: {{ title }}"),
        gettext_lazy(
            "Dear {{ patron_name }},\n\n"
            '"{{ title }}", which you asked for, is waiting for you at the desk.\n\n'
            "Please collect it by {{ pickup_by|date }} with your card "
            "({{ card_number }}); after that it goes to the next reader waiting.\n\n"
        ),
    ),
}


def default_templates(language: str) -> dict[str, tuple[str, str]]:
    """Each kind's built-in subject and body in ``language``."""
    with translation.override(language):
        return {
            kind: (str(subject), str(body) + str(SIGNATURE))
            for kind, (subject, body) in _BUILT_IN.items()
        }


@cache
def _engine() -> Engine:
    # No loaders and no libraries beyond the built-ins (which template_problems narrows down
    # further): nothing can be included or loaded. Plain text, so no HTML escaping.
    return Engine(loaders=[], libraries={}, autoescape=False, string_if_invalid="")


@cache
def _filter_names() -> dict[Any, str]:
    return {
        function: name
        for library in _engine().template_builtins
        for name, function in library.filters.items()
    }


def _expression_problems(expression: FilterExpression, allowed: Mapping[str, str]) -> list[str]:
    problems = []
    values: list[Any] = [expression.var] + [
        argument for _, arguments in expression.filters for _, argument in arguments
    ]
    for value in values:
        if not isinstance(value, Variable) or value.lookups is None:
            continue  # a literal: "a quoted text" or a number
        name = ".".join(value.lookups)
        if name not in allowed:
            problems.append(
                f"Unknown placeholder {{{{ {name} }}}}. Use one of: "
                + ", ".join(f"{{{{ {n} }}}}" for n in allowed)
                + "."
            )
    for function, _ in expression.filters:
        name = _filter_names().get(function, getattr(function, "__name__", "?"))
        if name not in ALLOWED_FILTERS:
            problems.append(
                f"The filter '|{name}' is not available in notices. Use one of: "
                + ", ".join(f"|{n}" for n in ALLOWED_FILTERS)
                + "."
            )
    return problems


def _node_problems(node: Node, allowed: Mapping[str, str]) -> list[str]:
    if isinstance(node, TextNode):
        return []
    if isinstance(node, VariableNode):
        return _expression_problems(node.filter_expression, allowed)
    token = getattr(node, "token", None)
    tag = token.contents.split()[0] if token is not None and token.contents else "tag"
    return [f"'{{% {tag} %}}' is not allowed in notices: only text and {{{{ placeholders }}}}."]


def template_problems(kind: str, text: str) -> list[str]:
    """What is wrong with ``text`` as a subject or body of a ``kind`` notice; empty if nothing."""
    allowed = PLACEHOLDERS[kind]
    try:
        template = _engine().from_string(text)
    except TemplateSyntaxError as error:
        return [f"The template does not parse: {error}."]
    problems: list[str] = []
    for node in template.nodelist:
        for problem in _node_problems(node, allowed):
            if problem not in problems:
                problems.append(problem)
    return problems


def render(text: str, context: Mapping[str, Any]) -> str:
    """Fill in a template that passed ``template_problems``."""
    return _engine().from_string(text).render(Context(dict(context), autoescape=False))


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    body: str


def render_notice(subject: str, body: str, context: Mapping[str, Any]) -> RenderedNotice:
    # A subject is one line: an email header cannot hold a line break.
    one_line = " ".join(render(subject, context).split())
    return RenderedNotice(subject=one_line[:255], body=render(body, context))


# --- The variables of each kind -------------------------------------------------------------------


def _authors(book_authors: Any) -> str:
    return ", ".join(link.author.name for link in book_authors)


def days_in_words(count: int) -> str:
    """'1 day', '3 days': a count of days as a sentence says it, in the language's plural."""
    return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}


def _common(patron: Any, today: datetime.date) -> dict[str, Any]:
    return {
        "library_name": settings.LIBRARY_NAME,
        "patron_name": patron.name,
        "card_number": patron.card_number,
        "library_url": settings.SITE_URL,
        "today": today,
    }


def loan_context(loan: Loan, kind: str, today: datetime.date) -> dict[str, Any]:
    """The variables of a loan notice. ``loan`` comes with its patron, copy and book (and the
    book's authors prefetched, as circulation.selectors.notices reads them)."""
    book = loan.copy.book
    context = {
        **_common(loan.patron, today),
        "title": book.title,
        "author": _authors(book.book_authors.all()),
        "barcode": loan.copy.barcode,
        "checked_out_on": timezone.localdate(loan.checked_out_at),
        "due_on": loan.due_on,
        "renewals": loan.renewals,
    }
    if kind == NoticeKind.DUE_SOON:
        context["days_left"] = (loan.due_on - today).days
        context["days_left_text"] = days_in_words(context["days_left"])
    else:
        context["days_overdue"] = (today - loan.due_on).days
        context["days_overdue_text"] = days_in_words(context["days_overdue"])
        context["reminder"] = int(kind.rsplit("_", 1)[1])
    return context


def hold_context(hold: Hold, today: datetime.date) -> dict[str, Any]:
    return {
        **_common(hold.patron, today),
        "title": hold.book.title,
        "author": _authors(hold.book.book_authors.all()),
        "pickup_by": hold.pickup_by,
    }


def example_context(kind: str, today: datetime.date) -> dict[str, Any]:
    """Made-up values for every placeholder of ``kind``: the admin's preview."""
    values: dict[str, Any] = {
        "library_name": settings.LIBRARY_NAME,
        "patron_name": "Ada Lovelace",
        "card_number": "C-1815",
        "library_url": settings.SITE_URL,
        "today": today,
        "title": "Middlemarch",
        "author": "George Eliot",
        "barcode": "DEMO-0024-1",
        "checked_out_on": today - datetime.timedelta(days=24),
        "due_on": today - datetime.timedelta(days=3),
        "renewals": 0,
        "days_left": 2,
        "days_left_text": days_in_words(2),
        "days_overdue": 3,
        "days_overdue_text": days_in_words(3),
        "reminder": 1,
        "pickup_by": today + datetime.timedelta(days=7),
    }
    return {name: values[name] for name in PLACEHOLDERS[kind]}
