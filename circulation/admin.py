"""Circulation in the Django admin.

Notices: staff edit each notice's wording (checked and previewed here, saved through
circulation.services.notices), and read the log of notices sent. When the periodic work last
ran is core's (core/admin.py).
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from circulation.models import (
    CirculationRule,
    ClosedDate,
    ClosedWeekday,
    Notice,
    NoticeTemplate,
)
from circulation.notices import (
    ALLOWED_FILTERS,
    PLACEHOLDERS,
    default_templates,
    example_context,
    render_notice,
    template_problems,
)
from circulation.rules import CATEGORY_RULES
from circulation.services.notices import notice_template_reset, notice_template_update
from shelfmark.admin import ReadOnlyAdmin
from shelfmark.errors import DomainError, RuleError

# The date the placeholders' help formats as an example.
EXAMPLE_DATE = datetime.date(2026, 12, 27)


class NoticeTemplateForm(forms.ModelForm):
    """A wording's subject and body; on a new one also its kind and language, and the two
    parts may be left empty for the built-in wording in that language."""

    class Meta:
        model = NoticeTemplate
        fields = ["kind", "language", "subject", "body"]
        labels = {
            "kind": _("Kind"),
            "language": _("Language"),
            "subject": pgettext_lazy("email", "Subject"),
            "body": _("Text"),
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 18, "cols": 90})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "language" in self.fields:
            self.fields["language"] = forms.ChoiceField(
                label=_("Language"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE
            )
        if self.instance.pk is None:
            for name in ("subject", "body"):
                self.fields[name].required = False
                self.fields[name].help_text = _("Empty: the built-in wording in this language.")

    def _checked(self, name: str) -> str:
        value = self.cleaned_data.get(name) or ""
        kind = self.cleaned_data.get("kind") or self.instance.kind
        if not value and self.instance.pk is None:
            return value  # filled in with the built-in wording in clean()
        problems = template_problems(kind, value) if kind else []
        if problems:
            raise forms.ValidationError(problems)
        return str(value)

    def clean_subject(self) -> str:
        return self._checked("subject")

    def clean_body(self) -> str:
        return self._checked("body")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, language = data.get("kind"), data.get("language")
        if self.instance.pk is None and kind and language:
            if NoticeTemplate.objects.filter(kind=kind, language=language).exists():
                raise forms.ValidationError(
                    _("This notice has a wording in this language already: change that one.")
                )
            subject, body = default_templates(language)[kind]
            data["subject"] = data.get("subject") or subject
            data["body"] = data.get("body") or body
            self.instance.subject, self.instance.body = data["subject"], data["body"]
        return data


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    """Each notice's wording per language. A language without its own wording of a kind uses
    the built-in one, translated; a new wording starts from it."""

    form = NoticeTemplateForm
    list_display = ["kind", "language", "subject", "updated_at"]
    list_filter = ["language", "kind"]
    actions = ["reset_to_default"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("kind", "language", "subject", "body")
        return ("kind", "language", "subject", "body", "placeholders", "preview", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("kind", "language", "placeholders", "preview", "updated_at")

    @admin.display(description=_("Placeholders"))
    def placeholders(self, template: NoticeTemplate) -> str:
        rows = format_html_join(
            "",
            "<li><code>{{{{ {} }}}}</code>: {}</li>",
            PLACEHOLDERS[template.kind].items(),
        )
        with translation.override(template.language):
            examples = (
                date_format(EXAMPLE_DATE, "DATE_FORMAT"),
                date_format(EXAMPLE_DATE, "SHORT_DATE_FORMAT"),
            )
        help_text = _(
            "Only text and these placeholders: no {%% tags %%}. Dates and text can be formatted "
            "with the filters %(filters)s, e.g. <code>{{ due_on|date }}</code> (%(long)s) or "
            '<code>{{ due_on|date:"SHORT_DATE_FORMAT" }}</code> (%(short)s).'
        ) % {
            "filters": escape(", ".join(f"|{name}" for name in ALLOWED_FILTERS)),
            "long": escape(examples[0]),
            "short": escape(examples[1]),
        }
        # The help is ours (its translations too); only the values in it are escaped.
        return format_html("<ul>{}</ul><p>{}</p>", rows, mark_safe(help_text))  # noqa: S308

    @admin.display(description=_("Preview (made-up values, as saved)"))
    def preview(self, template: NoticeTemplate) -> str:
        problems = template_problems(template.kind, template.subject) + template_problems(
            template.kind, template.body
        )
        if problems:  # changed outside the admin: notices use the default wording meanwhile
            return format_html("<p>{}</p>", " ".join(problems))
        with translation.override(template.language):
            notice = render_notice(
                template.subject,
                template.body,
                example_context(template.kind, timezone.localdate()),
            )
        return format_html(
            "<pre>{}: {}\n\n{}</pre>", pgettext("email", "Subject"), notice.subject, notice.body
        )

    def save_model(
        self, request: HttpRequest, obj: NoticeTemplate, form: Any, change: bool
    ) -> None:
        saved = notice_template_update(
            kind=obj.kind, language=obj.language, subject=obj.subject, body=obj.body
        )
        obj.pk = saved.pk

    @admin.action(description=_("Put the built-in wording back"), permissions=["change"])
    def reset_to_default(self, request: HttpRequest, queryset: QuerySet[NoticeTemplate]) -> None:
        for template in queryset:
            try:
                notice_template_reset(kind=template.kind, language=template.language)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                return
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "Default wording restored for %(count)d notice.",
                "Default wording restored for %(count)d notices.",
                count,
            )
            % {"count": count},
        )


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    """The log of notices: read only."""

    list_display = ["created_at", "kind", "patron", "status", "email", "subject"]
    list_filter = ["status", "kind", "notice_date"]
    search_fields = ["patron__name", "patron__card_number", "email", "subject"]
    list_select_related = ["patron"]
    date_hierarchy = "created_at"


# --- Circulation rules and the calendar -----------------------------------------------------------


class CirculationRuleForm(forms.ModelForm):
    """A rule's values through the same rules as a patron category's (circulation.rules):
    the same bounds and messages as the categories' API."""

    class Meta:
        model = CirculationRule
        fields = [
            "category",
            "loan_type",
            "loan_period_days",
            "max_loans",
            "max_renewals",
            "fine_per_day",
            "fine_grace_days",
            "fine_max_per_loan",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in self.Meta.fields:
            if name in CATEGORY_RULES and data.get(name) is not None:
                try:
                    data[name] = CATEGORY_RULES[name](data[name])
                except RuleError as error:
                    self.add_error(name, str(error))
        return data


@admin.register(CirculationRule)
class CirculationRuleAdmin(admin.ModelAdmin):
    """Loan periods, limits and fines for one loan type, one category, or both: the most
    specific rule that sets a value wins over the category's own (circulation.policy)."""

    form = CirculationRuleForm
    list_display = [
        "__str__",
        "loan_period_days",
        "max_loans",
        "max_renewals",
        "fine_per_day",
        "fine_grace_days",
        "fine_max_per_loan",
    ]
    list_select_related = ["category"]


class ClosedWeekdayForm(forms.ModelForm):
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=list(WEEKDAYS.items()), coerce=int)

    class Meta:
        model = ClosedWeekday
        fields = ["weekday"]


@admin.register(ClosedWeekday)
class ClosedWeekdayAdmin(admin.ModelAdmin):
    """The days of the week the library is closed: due dates move past them, and fines do not
    count them."""

    form = ClosedWeekdayForm


@admin.register(ClosedDate)
class ClosedDateAdmin(admin.ModelAdmin):
    """Holidays: closed dates, counted like closed weekdays."""

    list_display = ["date", "reason"]
    date_hierarchy = "date"
