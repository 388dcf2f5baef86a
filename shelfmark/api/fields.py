"""Serializer fields shared by the apps' APIs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from shelfmark.errors import RuleError

# Ids are 64-bit; anything longer cannot name a row, and passing it on would overflow the
# database driver (a 500) instead of answering "no such thing".
MAX_ID = 2**63 - 1
ID_PATTERN = r"[0-9]{1,18}"


class IdConverter:
    """Path converter for ids: 1-18 digits, so a forged id is a 404, never an overflow."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


TEXT_VALIDATORS = (ProhibitNullCharactersValidator(), ProhibitSurrogateCharactersValidator())


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string"}]})
class IdOrNameField(serializers.Field):
    """Accepts a row's id (integer) or its name (string), for example an author."""

    # DRF's fail() fills in {max_length}, as in its own messages.
    default_error_messages = {
        "invalid": gettext_lazy("Give an id (a positive whole number) or a name (text)."),
        "blank": gettext_lazy("A name may not be blank."),
        "too_long": gettext_lazy("A name may be at most {max_length} characters."),
    }

    def __init__(self, *, max_length: int = 255, **kwargs: Any) -> None:
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> int | str:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            if not 1 <= data <= MAX_ID:
                self.fail("invalid")
            return data
        if isinstance(data, str):
            name = " ".join(data.split())
            if not name:
                self.fail("blank")
            if len(name) > self.max_length:
                self.fail("too_long", max_length=self.max_length)
            # The checks DRF's CharField makes: PostgreSQL refuses NUL, and no database
            # driver can encode a lone surrogate ("\ud800" in JSON) - both were 500s.
            for validator in TEXT_VALIDATORS:
                validator(name)
            return name
        self.fail("invalid")
        raise AssertionError("unreachable")

    def to_representation(self, value: object) -> object:
        return value


class TextField(serializers.CharField):
    """A CharField for input that takes only JSON strings: DRF's own also turns 0 into "0",
    which hides client bugs and is not what the schema documents."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        # The limit applies to what was sent, as the schema's maxLength says: DRF's own checks
        # the trimmed value, so 300 characters of which 50 are leading spaces got through.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class RuledMixin:
    """A serializer field that applies a domain rule (an app's ``rules.py``) after its own type
    checks: the value the service receives is already clean, and the client reads the rule's
    own message, the same one the admin and imports show.

    A rule may carry ``minimum``/``maximum`` bounds; they are documented in the schema.
    """

    def __init__(self, *, rule: Callable[[Any], Any], **kwargs: Any):
        self.rule = rule
        super().__init__(**kwargs)
        for bound in ("minimum", "maximum"):
            if hasattr(rule, bound):
                setattr(self, f"{bound[:3]}_value", getattr(rule, bound))

    def run_validation(self, data: Any = serializers.empty) -> Any:
        try:
            # A mixin: run_validation is the field class's it is mixed into, which mypy
            # cannot see.
            value = super().run_validation(data)  # type: ignore[misc]
        except serializers.ValidationError:
            # Text the field refuses (blank, too long) that the rule refuses too: the rule's
            # words are the ones people see elsewhere ("A book needs a title.").
            if isinstance(data, str):
                self._apply(data)
            raise
        return self._apply(value)

    def _apply(self, value: Any) -> Any:
        try:
            return self.rule(value)
        except RuleError as error:
            raise serializers.ValidationError(str(error)) from None


class RuledTextField(RuledMixin, TextField):
    pass


class RuledIntegerField(RuledMixin, serializers.IntegerField):
    pass


class JsonBooleanField(serializers.BooleanField):
    """A BooleanField for input that takes only JSON true and false: DRF's own also takes "yes",
    "off", 1 and "0", which is not what the schema documents."""

    def to_internal_value(self, data: object) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class MoneyField(serializers.DecimalField):
    """A sum of money as the schema writes it, a JSON string ("2.50"): DRF's own also takes the
    number 2.5, which the schema does not allow and which a float may not hold exactly."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
