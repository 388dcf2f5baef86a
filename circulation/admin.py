"""Circulation in the Django admin.

Notices: staff edit each notice's wording (checked and previewed here, saved through
circulation.services.notices), and read the log of notices sent. When the periodic work last
ran is core's (core/admin.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from circulation.models import Notice, NoticeTemplate
from circulation.notices import (
    ALLOWED_FILTERS,
    PLACEHOLDERS,
    example_context,
    render_notice,
    template_problems,
)
from circulation.services.notices import notice_template_reset, notice_template_update
from shelfmark.admin import ReadOnlyAdmin
from shelfmark.errors import DomainError


class NoticeTemplateForm(forms.ModelForm):
    class Meta:
        model = NoticeTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 18, "cols": 90})}

    def _checked(self, name: str) -> str:
        value = self.cleaned_data[name]
        problems = template_problems(self.instance.kind, value)
        if problems:
            raise forms.ValidationError(problems)
        return str(value)

    def clean_subject(self) -> str:
        return self._checked("subject")

    def clean_body(self) -> str:
        return self._checked("body")


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    form = NoticeTemplateForm
    list_display = ["kind", "subject", "updated_at"]
    fields = ["kind", "subject", "body", "placeholders", "preview", "updated_at"]
    readonly_fields = ["kind", "placeholders", "preview", "updated_at"]
    actions = ["reset_to_default"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one template per kind of notice, made by a migration

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Placeholders")
    def placeholders(self, template: NoticeTemplate) -> str:
        rows = format_html_join(
            "",
            "<li><code>{{{{ {} }}}}</code>: {}</li>",
            PLACEHOLDERS[template.kind].items(),
        )
        return format_html(
            "<ul>{}</ul><p>Only text and these placeholders: no {{% tags %}}. Dates and text "
            "can be formatted with the filters {}, e.g. <code>{{{{ due_on|date }}}}</code> "
            "(Sunday 27 December 2026) or <code>{{{{ due_on|date:&quot;SHORT_DATE_FORMAT&quot; "
            "}}}}</code> (Sun 27 Dec 2026).</p>",
            rows,
            ", ".join(f"|{name}" for name in ALLOWED_FILTERS),
        )

    @admin.display(description="Preview (made-up values, as saved)")
    def preview(self, template: NoticeTemplate) -> str:
        problems = template_problems(template.kind, template.subject) + template_problems(
            template.kind, template.body
        )
        if problems:  # changed outside the admin: notices use the default wording meanwhile
            return format_html("<p>{}</p>", " ".join(problems))
        notice = render_notice(
            template.subject, template.body, example_context(template.kind, timezone.localdate())
        )
        return format_html("<pre>Subject: {}\n\n{}</pre>", notice.subject, notice.body)

    def save_model(
        self, request: HttpRequest, obj: NoticeTemplate, form: Any, change: bool
    ) -> None:
        notice_template_update(kind=obj.kind, subject=obj.subject, body=obj.body)

    @admin.action(description="Put the default wording back", permissions=["change"])
    def reset_to_default(self, request: HttpRequest, queryset: QuerySet[NoticeTemplate]) -> None:
        for template in queryset:
            try:
                notice_template_reset(kind=template.kind)
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
