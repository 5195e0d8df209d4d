"""The manifest's shape as pydantic models: which fields a manifest and each of its shipment lines have, of
what type, within what limits. A failed check is a pydantic error whose type is one of our per-line codes
(or a pydantic type that `validation` translates to one); the few coercions of our own are here because the
CSV upload passes every value as text (`"300"`, `"да"`) and a code must not hide control characters.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django.utils.dateparse import parse_datetime
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, PydanticUseDefault

from pvz.core.errors import DomainError
from pvz.core.instants import instant_storable
from pvz.core.phone import normalize_phone
from pvz.network.models import SizeClass
from pvz.partners.manifests.errors import BAD_PHONE, INVALID, MESSAGES, REQUIRED

# One request carries at most this many shipments (the bulk case is 10 000).
MANIFEST_MAX_LINES = 10_000
CODE_MAX = 40  # carriage number, posting number, barcode, order number, tote barcode: the columns' length
NAME_MAX = 200
CATEGORY_MAX = 60
PHONE_MAX = 32
WEIGHT_MAX_G = 1_000_000  # 1 t: anything heavier is a typo, not a parcel
MONEY_MAX_KOP = 10**12  # 10 000 000 000 ₽

# Already E.164 and plainly a Russian mobile number: skips the (slow) full parse for the common case.
_RU_MOBILE = re.compile(r"\+79\d{9}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_YES = frozenset({"true", "1", "yes", "да"})
_NO = frozenset({"false", "0", "no", "нет"})


def _refusal(code: str) -> PydanticCustomError:
    return PydanticCustomError(code, str(MESSAGES[code]))


class PhoneBook:
    """E.164 of each raw phone, parsed once per distinct value (a manifest repeats its customers); passed
    to the validation as its context, `{"phones": PhoneBook()}`."""

    def __init__(self) -> None:
        self.cache: dict[str, str | None] = {}

    def normalize(self, raw: str) -> str | None:
        if raw not in self.cache:
            if _RU_MOBILE.fullmatch(raw):
                self.cache[raw] = raw
            else:
                try:
                    self.cache[raw] = normalize_phone(raw)
                except DomainError:
                    self.cache[raw] = None
        return self.cache[raw]


def text_of(value: Any) -> str:
    """A text field's value without surrounding spaces ("" for none); INVALID for anything but text and for
    control characters (NUL and the like: no code or name has them)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise _refusal(INVALID)
    text: str = value.strip()
    if _CONTROL.search(text):
        raise _refusal(INVALID)
    return text


def key_of(value: Any) -> str:
    """`text_of`, or "" where it refuses: what the checks across lines compare, on bad lines too."""
    try:
        return text_of(value)
    except PydanticCustomError:
        return ""


def _integer(value: Any) -> Any:
    """The CSV passes numbers as text; none given is the field's default (or REQUIRED without one)."""
    if value is None or value == "":
        raise PydanticUseDefault()
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise _refusal(INVALID) from None
    return value


def _flag(value: Any) -> Any:
    """true/false, 1/0, yes/no, да/нет as text (the CSV) or a JSON boolean; none given is the default."""
    if value is None or value == "":
        raise PydanticUseDefault()
    if isinstance(value, str) and value.strip().lower() in _YES:
        return True
    if isinstance(value, str) and value.strip().lower() in _NO:
        return False
    return value


def _size(value: Any) -> Any:
    """S, M, L or XL in any case, spaces around allowed; none given is REQUIRED."""
    if value is None or value == "":
        raise PydanticUseDefault()
    return value.strip().upper() if isinstance(value, str) else value


def _eta(value: Any) -> dt.datetime | None:
    """An ISO 8601 time with its offset (Django's parser, as everywhere else), stored as the same instant."""
    if value is None or value == "":
        return None
    eta: dt.datetime | None = None
    try:
        eta = parse_datetime(value) if isinstance(value, str) else None
        eta = instant_storable(eta) if eta is not None else None
    except (ValueError, OverflowError):
        eta = None
    if eta is None or eta.tzinfo is None:
        raise _refusal(INVALID)
    return eta


def _phone(value: Any, info: ValidationInfo) -> str:
    """The customer's phone as E.164. One too long for the column is still tried as a number, so that the
    partner hears both what is wrong with its length and that it is no phone number."""
    raw = text_of(value)
    if not raw:
        raise _refusal(REQUIRED)
    problems: list[InitErrorDetails] = []
    if len(raw) > PHONE_MAX:
        problems.append(
            InitErrorDetails(type="string_too_long", loc=(), input=value, ctx={"max_length": PHONE_MAX})
        )
    phones: PhoneBook = info.context["phones"] if info.context else PhoneBook()
    phone = phones.normalize(raw)
    if phone is None:
        problems.append(InitErrorDetails(type=_refusal(BAD_PHONE), loc=(), input=value))
    if problems:
        raise ValidationError.from_exception_data("phone", problems)
    return str(phone)


Code = Annotated[str, StringConstraints(min_length=1, max_length=CODE_MAX), BeforeValidator(text_of)]
OptionalCode = Annotated[str, StringConstraints(max_length=CODE_MAX), BeforeValidator(text_of)]
Category = Annotated[str, StringConstraints(max_length=CATEGORY_MAX), BeforeValidator(text_of)]
Name = Annotated[str, StringConstraints(max_length=NAME_MAX), BeforeValidator(text_of)]
Money = Annotated[int, Strict(), Field(ge=0, le=MONEY_MAX_KOP), BeforeValidator(_integer)]
Flag = Annotated[bool, Strict(), BeforeValidator(_flag)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CustomerLine(_Strict):
    phone: Annotated[str, BeforeValidator(_phone)]
    name: Name = ""


class ShipmentLine(_Strict):
    """One shipment of the manifest. Fields in the order their errors are reported."""

    posting_number: Code
    barcode: Annotated[Code, AfterValidator(str.lower)]  # one barcode in any case
    order_number: Code
    category: Category = ""
    tote: OptionalCode = ""  # "": travels loose
    size_class: Annotated[SizeClass, BeforeValidator(_size)]
    weight_g: Annotated[int, Strict(), Field(gt=0, le=WEIGHT_MAX_G), BeforeValidator(_integer)]
    declared_value_kop: Money = 0
    amount_due_kop: Money = 0
    id_check_required: Flag = False
    try_on_allowed: Flag = False
    partial_refusal_allowed: Flag = True
    fragile: Flag = False
    customer: CustomerLine


class ManifestHead(_Strict):
    """The manifest's own fields; its lines are `ShipmentLine`s, checked after these (`SHIPMENT_LINES`)."""

    carriage_number: Annotated[Code, AfterValidator(str.upper)]
    point: Code
    eta: Annotated[dt.datetime | None, BeforeValidator(_eta)] = None
    shipments: Annotated[list[Any], Strict(), Field(min_length=1, max_length=MANIFEST_MAX_LINES)]


SHIPMENT_LINES: TypeAdapter[list[ShipmentLine]] = TypeAdapter(list[ShipmentLine])
