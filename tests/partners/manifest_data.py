"""Valid manifests for the manifest tests: `manifest(point, n)` and `shipment_line(i)`; change a line to
make it bad."""

from __future__ import annotations

from typing import Any


def shipment_line(i: int, **changes: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "posting_number": f"{48000000 + i}-0001-1",
        "barcode": f"ii{10000000000 + i}",
        "order_number": f"{48000000 + i}",
        "customer": {"phone": f"+7916{1000000 + i % 5000:07d}", "name": f"Покупатель {i}"},
        "size_class": ("S", "M", "L", "XL")[i % 4],
        "weight_g": 300 + i % 1000,
        "declared_value_kop": 100_00 * (1 + i % 50),
        "amount_due_kop": 0 if i % 4 else 99_00,
        "category": "Одежда",
        "tote": f"%101%{10000000000 + i // 100}" if i % 10 else None,
        "id_check_required": False,
    }
    line.update(changes)
    return line


def manifest(
    point_code: str, count: int, *, number: str = "CAR-20261127001", **changes: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "carriage_number": number,
        "point": point_code,
        "eta": "2026-11-28T14:30:00+03:00",
        "shipments": [shipment_line(i) for i in range(count)],
    }
    data.update(changes)
    return data
