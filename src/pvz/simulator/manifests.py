"""Realistic direct-carriage manifests, generated from a seed: same seed, same manifest.

Pure data (frozen dataclasses, no database): tests, demos and benchmarks build on it, and
`pvz.simulator.loader.manifest_load` turns one into rows. The shapes follow what a point really
receives: totes `%101%<11 digits>`, posting numbers `<order>-<4 digits>-<n>`, label barcodes `ii` + 11
digits or 15 digits, mostly small parcels, a few customers with several parcels, some cash on delivery,
and an ID check for jewellery and for anything above the partner's threshold.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from pvz.network.models import SizeClass

# 50 000 ₽: a common marketplace threshold above which the recipient shows an identity document.
DEFAULT_ID_CHECK_THRESHOLD_KOP = 5_000_000

# Most parcels at a point are small: clothes, cosmetics, phone cases.
SIZE_WEIGHTS: dict[str, int] = {SizeClass.S: 50, SizeClass.M: 33, SizeClass.L: 13, SizeClass.XL: 4}
WEIGHT_RANGE_G: dict[str, tuple[int, int]] = {
    SizeClass.S: (50, 1_000),
    SizeClass.M: (500, 3_000),
    SizeClass.L: (2_000, 10_000),
    SizeClass.XL: (8_000, 25_000),
}


@dataclass(frozen=True)
class Category:
    name: str
    sizes: tuple[str, ...]
    price_rub: tuple[int, int]
    id_check: bool = False
    try_on: bool = False  # clothes and shoes: the partner lets the customer try them on
    fragile: bool = False


CATEGORIES: tuple[Category, ...] = (
    Category("Одежда", (SizeClass.S, SizeClass.M), (490, 9_990), try_on=True),
    Category("Обувь", (SizeClass.M,), (1_490, 14_990), try_on=True),
    Category("Электроника", (SizeClass.S, SizeClass.M, SizeClass.L), (990, 129_990), fragile=True),
    Category("Косметика", (SizeClass.S,), (190, 6_990)),
    Category("Книги", (SizeClass.S, SizeClass.M), (290, 2_990)),
    Category("Ювелирные изделия", (SizeClass.S,), (2_990, 189_990), id_check=True),
    Category("Детские товары", (SizeClass.S, SizeClass.M, SizeClass.L), (390, 14_990)),
    Category("Товары для дома", (SizeClass.M, SizeClass.L, SizeClass.XL), (290, 39_990)),
    Category("Спорт и отдых", (SizeClass.M, SizeClass.L, SizeClass.XL), (990, 59_990)),
    Category("Бытовая техника", (SizeClass.L, SizeClass.XL), (2_990, 89_990), fragile=True),
)

_MALE_FIRST = ("Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Иван", "Михаил", "Никита")
_FEMALE_FIRST = ("Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Дарья", "Екатерина", "Полина")
_SURNAMES = (
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
)
_MALE_PATRONYMIC = ("Александрович", "Дмитриевич", "Сергеевич", "Андреевич", "Игоревич", "Олегович")
_FEMALE_PATRONYMIC = ("Александровна", "Дмитриевна", "Сергеевна", "Андреевна", "Игоревна", "Олеговна")

TOTE_PREFIX = "%101%"


@dataclass(frozen=True)
class ManifestCustomer:
    phone: str
    name: str
    pickup_number: str


@dataclass(frozen=True)
class ManifestParcel:
    posting_number: str
    barcode: str
    order_number: str
    customer_phone: str
    size_class: str
    weight_g: int
    category: str
    declared_value_kop: int
    amount_due_kop: int
    id_check_required: bool
    tote_barcode: str | None  # None: travels loose, outside any tote
    try_on_allowed: bool = False
    partial_refusal_allowed: bool = True
    fragile: bool = False


@dataclass(frozen=True)
class Manifest:
    carriage_number: str
    tote_barcodes: tuple[str, ...]
    customers: tuple[ManifestCustomer, ...]
    parcels: tuple[ManifestParcel, ...]


class _Unique:
    """Draws values from `make` until one has not been drawn before in this manifest."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def draw(self, make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in self.seen:
                self.seen.add(value)
                return value


def _customer(rng: random.Random, unique: _Unique) -> ManifestCustomer:
    surname = rng.choice(_SURNAMES)
    if rng.random() < 0.55:
        name = f"{rng.choice(_FEMALE_FIRST)} {rng.choice(_FEMALE_PATRONYMIC)} {surname}а"
    else:
        name = f"{rng.choice(_MALE_FIRST)} {rng.choice(_MALE_PATRONYMIC)} {surname}"
    return ManifestCustomer(
        phone=unique.draw(lambda: f"+79{rng.randrange(10**9):09d}"),
        name=name,
        pickup_number=unique.draw(lambda: str(rng.randrange(10**9, 10**10))),
    )


def _price_kop(rng: random.Random, category: Category) -> int:
    low, high = category.price_rub
    # Cheap items are far more common than dear ones: draw on a log scale. Shop prices end in 9
    # (1 499 ₽); stored in kopecks.
    drawn = math.exp(rng.uniform(math.log(low), math.log(high)))
    rubles = max(low, int(drawn) // 10 * 10 - 1)
    return rubles * 100


def manifest_generate(
    *,
    seed: int,
    parcels: int = 30,
    totes: int = 3,
    carriage_number: str | None = None,
    id_check_threshold_kop: int = DEFAULT_ID_CHECK_THRESHOLD_KOP,
    cash_on_delivery_share: float = 0.15,
) -> Manifest:
    """A manifest of `parcels` shipments in `totes` totes (XL parcels travel loose), from `seed`."""
    if parcels < 0 or totes < 0:
        raise ValueError("parcels and totes must not be negative")
    rng = random.Random(seed)  # noqa: S311 -- reproducible sample data, not a secret
    unique = _Unique()
    number = carriage_number or f"CAR-{rng.randrange(10**9, 10**10)}"
    tote_barcodes = tuple(
        unique.draw(lambda: f"{TOTE_PREFIX}{rng.randrange(10**10, 10**11)}") for _ in range(totes)
    )

    # Fewer customers than parcels, so that some of them collect several.
    customers = [_customer(rng, unique) for _ in range(max(1, round(parcels * 0.7)))] if parcels else []
    sizes, size_weights = list(SIZE_WEIGHTS), list(SIZE_WEIGHTS.values())

    result: list[ManifestParcel] = []
    while len(result) < parcels:
        customer = rng.choice(customers)
        order_number = unique.draw(lambda: str(rng.randrange(10**7, 10**8)))
        order_part = rng.randrange(1, 10_000)
        in_order = min(parcels - len(result), rng.choices((1, 2, 3), weights=(80, 15, 5))[0])
        # A third of the multi-parcel orders are sets the partner sells whole (no partial refusal); decided
        # from the number, not the generator, so every other value drawn stays as it was for the seed.
        whole_order = in_order > 1 and int(order_number) % 3 == 0
        for index in range(1, in_order + 1):
            size = rng.choices(sizes, weights=size_weights)[0]
            category = rng.choice([c for c in CATEGORIES if size in c.sizes])
            value = _price_kop(rng, category)
            low, high = WEIGHT_RANGE_G[size]
            # Bulky parcels do not fit a tote and travel loose.
            tote = None if size == SizeClass.XL or not tote_barcodes else rng.choice(tote_barcodes)
            if rng.random() < 0.15:
                barcode = unique.draw(lambda: str(rng.randrange(10**14, 10**15)))
            else:
                barcode = unique.draw(lambda: f"ii{rng.randrange(10**10, 10**11)}")
            result.append(
                ManifestParcel(
                    posting_number=f"{order_number}-{order_part:04d}-{index}",
                    barcode=barcode,
                    order_number=order_number,
                    customer_phone=customer.phone,
                    size_class=str(size),
                    weight_g=rng.randrange(low, high + 1),
                    category=category.name,
                    declared_value_kop=value,
                    amount_due_kop=value if rng.random() < cash_on_delivery_share else 0,
                    id_check_required=category.id_check or value > id_check_threshold_kop,
                    tote_barcode=tote,
                    try_on_allowed=category.try_on,
                    partial_refusal_allowed=not whole_order,
                    fragile=category.fragile,
                )
            )
    used = {p.customer_phone for p in result}
    return Manifest(
        carriage_number=number.upper(),
        tote_barcodes=tote_barcodes,
        customers=tuple(c for c in customers if c.phone in used),
        parcels=tuple(result),
    )
