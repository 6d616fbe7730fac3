"""What an import reports: counts per object kind, and every rejected record or dropped field."""

from __future__ import annotations

from typing import Literal

import msgspec

# The report lists this many issues in full; beyond it, only the counts grow (they stay exact).
MAX_LISTED_ISSUES = 2000


Severity = Literal["rejected", "dropped", "warning"]


class Issue(msgspec.Struct, omit_defaults=True):
    """A rejected record, or a value left out of an imported one ("dropped"), or a note ("warning")."""

    severity: Severity
    origin: str
    kind: str
    reason: str
    source_id: str | None = None
    field: str | None = None


class KindCounts(msgspec.Struct):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    rejected: int = 0


class ImportSummary(msgspec.Struct):
    source_name: str
    format: str
    dry_run: bool
    run_id: str | None = None
    status: str = "completed"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    rejected: int = 0
    dropped_fields: int = 0
    warnings: int = 0
    seconds: float = 0.0
    # The longest write transaction of the swap: how long other writers (referrals) had to wait at most.
    longest_write_ms: float = 0.0
    by_kind: dict[str, KindCounts] = msgspec.field(default_factory=dict)
    issues: list[Issue] = msgspec.field(default_factory=list)
    issues_not_listed: int = 0

    def count(
        self, kind: str, outcome: Literal["created", "updated", "unchanged", "deactivated", "rejected"]
    ) -> None:
        counts = self.by_kind.get(kind)
        if counts is None:
            counts = self.by_kind[kind] = KindCounts()
        setattr(counts, outcome, getattr(counts, outcome) + 1)
        setattr(self, outcome, getattr(self, outcome) + 1)

    def report(self, issue: Issue) -> None:
        if issue.severity == "rejected":
            self.count(issue.kind, "rejected")
        elif issue.severity == "dropped":
            self.dropped_fields += 1
        else:
            self.warnings += 1
        if len(self.issues) < MAX_LISTED_ISSUES:
            self.issues.append(issue)
        else:
            self.issues_not_listed += 1
