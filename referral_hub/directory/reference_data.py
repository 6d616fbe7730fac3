"""Loads the shipped need-category vocabulary and term mappings into their tables."""

from __future__ import annotations

import csv
import io
from importlib import resources

from sqlalchemy import insert, select, update

from referral_hub.db.base import core_table
from referral_hub.db.engine import create_engine
from referral_hub.directory.models import NeedCategory, NeedCategoryTerm


def _rows(name: str) -> list[dict[str, str]]:
    text = (resources.files("referral_hub.directory") / "data" / name).read_text(encoding="utf-8")
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


async def sync_reference_data(database_url: str) -> None:
    """Add what the package ships and the database lacks; rows a network added itself stay."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            categories = core_table(NeedCategory)
            existing = set((await conn.execute(select(categories.c.code))).scalars())
            for row in _rows("need_categories.csv"):
                values = {
                    "display": row["display"],
                    "system": row["system"],
                    "definition": row.get("definition") or None,
                }
                if row["code"] in existing:
                    await conn.execute(
                        update(categories).where(categories.c.code == row["code"]).values(**values)
                    )
                else:
                    await conn.execute(insert(categories).values(code=row["code"], **values))
            terms = core_table(NeedCategoryTerm)
            present = set(
                (
                    await conn.execute(
                        select(terms.c.category_code, terms.c.taxonomy, terms.c.match, terms.c.value)
                    )
                ).tuples()
            )
            missing = [
                {
                    "category_code": r["category"],
                    "taxonomy": r["taxonomy"],
                    "match": r["match"],
                    "value": r["value"],
                }
                for r in _rows("need_category_terms.csv")
                if (r["category"], r["taxonomy"], r["match"], r["value"]) not in present
            ]
            if missing:
                await conn.execute(insert(terms), missing)
    finally:
        await engine.dispose()
