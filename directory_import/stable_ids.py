"""The stable-id rule: a source's own UUID is kept unless another source owns it, else a UUID5."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable

# Namespace of every UUID5 directory id: uuid5(NAMESPACE, "network/source name/object type/source id").
NAMESPACE = uuid.UUID("2c4f7a6e-93b1-5d0e-8a8f-5e1d3b9f4c21")

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def as_uuid(text: str) -> uuid.UUID | None:
    """The UUID a source id spells, in canonical hyphenated form only."""
    return uuid.UUID(text) if _UUID_RE.match(text) else None


def derived_id(network_id: uuid.UUID, source_name: str, kind: str, source_id: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{network_id}/{source_name}/{kind}/{source_id}")


class IdResolver:
    """Turns (kind, source id) into the directory id, the same way every time for one source.

    `known` answers the ids this source already has (from earlier imports); `taken` holds the UUIDs
    that other sources own, filled in batches by the pipeline before it resolves a batch of records.
    """

    def __init__(
        self, network_id: uuid.UUID, source_name: str, known: Callable[[str, str], uuid.UUID | None]
    ) -> None:
        self.network_id = network_id
        self.source_name = source_name
        self.known = known
        self.taken: dict[str, set[uuid.UUID]] = {}

    def mark_taken(self, kind: str, ids: Iterable[uuid.UUID]) -> None:
        self.taken.setdefault(kind, set()).update(ids)

    def resolve(self, kind: str, source_id: str) -> uuid.UUID:
        found = self.known(kind, source_id)
        if found is not None:
            return found
        own = as_uuid(source_id)
        if own is not None and own not in self.taken.get(kind, ()):
            return own
        return derived_id(self.network_id, self.source_name, kind, source_id)
