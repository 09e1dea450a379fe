"""Merge the files on disk with the history rows into Flyway's migration states.

The rules follow Flyway's ``MigrationInfoService``: versioned files are matched to
rows by version (numerically), repeatables by description, and only the latest row
of a repeatable counts. ``Out of Order`` is derived from the row order, ``Missing``
and ``Future`` from the highest version on disk, ``Below Baseline`` and ``Ignored``
from the baseline row and the highest applied version.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from monozu.db.migrate.history import AppliedMigration
from monozu.db.migrate.naming import abbreviate_description
from monozu.db.migrate.resolve import ResolvedMigration
from monozu.db.migrate.version import Version


class State(Enum):
    PENDING = "Pending"
    ABOVE_TARGET = "Above Target"
    BELOW_BASELINE = "Below Baseline"
    IGNORED_BASELINE = "Ignored (Baseline)"
    BASELINE = "Baseline"
    IGNORED = "Ignored"
    MISSING_SUCCESS = "Missing"
    MISSING_FAILED = "Failed (Missing)"
    SUCCESS = "Success"
    FAILED = "Failed"
    OUT_OF_ORDER = "Out of Order"
    FUTURE_SUCCESS = "Future"
    FUTURE_FAILED = "Failed (Future)"
    OUTDATED = "Outdated"
    SUPERSEDED = "Superseded"
    DELETED = "Deleted"

    @property
    def applied(self) -> bool:
        return self not in _NOT_APPLIED

    @property
    def failed(self) -> bool:
        return self in (State.FAILED, State.MISSING_FAILED, State.FUTURE_FAILED)


_NOT_APPLIED = frozenset({State.PENDING, State.ABOVE_TARGET, State.BELOW_BASELINE,
                          State.IGNORED_BASELINE, State.IGNORED})


@dataclass(slots=True)
class _Flags:
    out_of_order: bool = False
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Context:
    """What the states depend on besides the migration itself."""

    target: Version | None  # resolved: "current"/"next" already replaced
    out_of_order: bool
    last_resolved: Version | None
    last_applied: Version | None
    baseline: Version | None
    latest_repeatable_runs: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MigrationInfo:
    """One line of ``info``: a file, a history row, or both."""

    resolved: ResolvedMigration | None
    applied: AppliedMigration | None
    state: State
    out_of_order: bool = False

    @property
    def version(self) -> Version | None:
        if self.applied is not None:
            return self.applied.version
        return self.resolved.version if self.resolved else None

    @property
    def version_text(self) -> str:
        v = self.version
        return v.text if v is not None else ""

    @property
    def description(self) -> str:
        if self.applied is not None:
            return self.applied.description
        return self.resolved.description if self.resolved else ""

    @property
    def type(self) -> str:
        if self.applied is not None:
            return self.applied.type
        return self.resolved.type if self.resolved else ""

    @property
    def script(self) -> str:
        if self.resolved is not None:
            return self.resolved.script
        return self.applied.script if self.applied else ""

    @property
    def checksum(self) -> int | None:
        if self.applied is not None:
            return self.applied.checksum
        return self.resolved.checksum if self.resolved else None

    @property
    def category(self) -> str:
        if self.applied is not None and self.applied.synthetic:
            return ""
        return "Repeatable" if self.version is None else "Versioned"

    @property
    def installed_on(self) -> str:
        return self.applied.installed_on[:19] if self.applied else ""

    @property
    def installed_rank(self) -> int | None:
        return self.applied.installed_rank if self.applied else None

    def as_dict(self) -> dict[str, object]:
        a = self.applied
        return {
            "category": self.category,
            "version": self.version_text,
            "description": self.description,
            "type": self.type,
            "installedOn": self.installed_on,
            "state": self.state.value,
            "script": self.script,
            "filepath": str(self.resolved.path) if self.resolved else "",
            "checksum": self.checksum,
            "installedRank": a.installed_rank if a else None,
            "installedBy": a.installed_by if a else "",
            "executionTime": a.execution_time if a else 0,
        }


def build_infos(
    resolved: Sequence[ResolvedMigration],
    applied: Sequence[AppliedMigration],
    *,
    target: Version | str | None = None,
    out_of_order: bool = False,
) -> list[MigrationInfo]:
    """Every migration's state, in Flyway's display order."""
    resolved_v: dict[Version, ResolvedMigration] = {}
    resolved_r: dict[str, ResolvedMigration] = {}
    last_resolved: Version | None = None
    for m in resolved:
        if m.version is not None:
            resolved_v[m.version] = m
            if last_resolved is None or m.version > last_resolved:
                last_resolved = m.version
        else:
            # Matched to rows by the description as the history holds it: cut to 200
            # characters (else a long one never matches and runs again every time).
            resolved_r[abbreviate_description(m.description)] = m

    applied_v: list[tuple[AppliedMigration, _Flags]] = []
    applied_r: list[tuple[AppliedMigration, _Flags]] = []
    baseline: Version | None = None
    delete_rows: list[AppliedMigration] = []
    for row in applied:
        if row.type == "DELETE":
            _mark_deleted(row, applied_v if row.version is not None else applied_r)
            if row.version is None:
                # Flyway lists a repeatable's DELETE row itself (as Success); a versioned
                # one's only shows through the row it marks Deleted.
                delete_rows.append(row)
            continue
        if row.version is None:
            applied_r.append((row, _Flags()))
            continue
        if row.type == "BASELINE":
            baseline = row.version
        applied_v.append((row, _Flags()))

    last_applied: Version | None = None
    for row, flags in applied_v:
        if flags.deleted:
            continue
        assert row.version is not None
        if last_applied is None or row.version > last_applied:
            last_applied = row.version
        else:
            flags.out_of_order = True

    latest: dict[str, int] = {}
    for row, _flags in applied_r:
        # Deleted rows still count here: the rows before one stay Superseded (as in Flyway).
        if row.installed_rank > latest.get(row.description, -1):
            latest[row.description] = row.installed_rank

    applied_versions = {row.version for row, flags in applied_v if not flags.deleted}
    tgt = _resolve_target(target, last_applied, baseline, out_of_order,
                          [v for v in resolved_v if v not in applied_versions])
    ctx = Context(tgt, out_of_order, last_resolved, last_applied, baseline, latest)

    infos: list[MigrationInfo] = []
    pending_v = dict(resolved_v)
    for row, flags in applied_v:
        # A baseline row stands alone: a file of the same version is listed separately,
        # as "Ignored (Baseline)" (what Flyway shows).
        res = (resolved_v.get(row.version)
               if row.version is not None and row.type != "BASELINE" else None)
        if res is not None and not flags.deleted and row.version is not None:
            pending_v.pop(row.version, None)
        infos.append(_info(res, row, flags, ctx))
    infos.extend(_info(res, None, _Flags(), ctx) for res in pending_v.values())

    pending_r = dict(resolved_r)
    for row, flags in applied_r:
        res = resolved_r.get(row.description)
        if (res is not None and not flags.deleted
                and latest.get(row.description) == row.installed_rank
                and res.checksum_matches(row.checksum)):
            pending_r.pop(row.description, None)
        infos.append(_info(res, row, flags, ctx))
    infos.extend(_info(res, None, _Flags(), ctx) for res in pending_r.values())
    infos.extend(MigrationInfo(None, row, State.SUCCESS) for row in delete_rows)
    return sorted(infos, key=functools.cmp_to_key(_compare))


def _mark_deleted(row: AppliedMigration, rows: list[tuple[AppliedMigration, _Flags]]) -> None:
    """A DELETE row hides the latest earlier row of its version (or description)."""
    for earlier, flags in reversed(rows):
        if flags.deleted or earlier.installed_rank > row.installed_rank:
            continue
        same = (earlier.version == row.version if row.version is not None
                else earlier.description == row.description)
        if same:
            flags.deleted = True
            return


def _resolve_target(target: Version | str | None, last_applied: Version | None,
                    baseline: Version | None, out_of_order: bool,
                    unapplied: list[Version]) -> Version | None:
    if target is None or isinstance(target, Version):
        return target
    if target == "current":
        return last_applied
    # "next": the first version that would be pending.
    candidates = sorted(
        v for v in unapplied
        if (baseline is None or not v < baseline)
        and (out_of_order or last_applied is None or not v < last_applied))
    return candidates[0] if candidates else last_applied


def _info(res: ResolvedMigration | None, row: AppliedMigration | None, flags: _Flags,
          ctx: Context) -> MigrationInfo:
    return MigrationInfo(res, row, _state(res, row, flags, ctx), flags.out_of_order)


def _state(res: ResolvedMigration | None, row: AppliedMigration | None, flags: _Flags,
           ctx: Context) -> State:
    if flags.deleted:
        return State.DELETED
    if row is None:
        assert res is not None
        v = res.version
        if v is not None:
            if ctx.baseline is not None and v < ctx.baseline:
                return State.BELOW_BASELINE
            if ctx.baseline is not None and v == ctx.baseline:
                return State.IGNORED_BASELINE
            if ctx.target is not None and v > ctx.target:
                return State.ABOVE_TARGET
            if ctx.last_applied is not None and v < ctx.last_applied and not ctx.out_of_order:
                return State.IGNORED
        return State.PENDING
    if row.type == "BASELINE":
        return State.BASELINE
    if res is None:
        if row.type == "SCHEMA":
            return State.SUCCESS
        if (row.version is None
                and ctx.latest_repeatable_runs.get(row.description) != row.installed_rank):
            return State.SUPERSEDED
        missing = row.version is None or (
            ctx.last_resolved is not None and row.version < ctx.last_resolved)
        if missing:
            return State.MISSING_SUCCESS if row.success else State.MISSING_FAILED
        return State.FUTURE_SUCCESS if row.success else State.FUTURE_FAILED
    if not row.success:
        return State.FAILED
    if row.version is None:
        if ctx.latest_repeatable_runs.get(row.description) == row.installed_rank:
            return State.SUCCESS if res.checksum_matches(row.checksum) else State.OUTDATED
        return State.SUPERSEDED
    if flags.out_of_order:
        return State.OUT_OF_ORDER
    return State.SUCCESS


def _compare(a: MigrationInfo, b: MigrationInfo) -> int:
    """Flyway's display order: files at or below the baseline first, then the rows by rank,
    then the other files, versioned by version before repeatables by description."""
    ra, rb = a.installed_rank, b.installed_rank
    if ra is not None and rb is not None:
        return ra - rb
    sa, sb = a.state, b.state
    if sa in _BASELINE_FILES and sb not in _BASELINE_FILES:
        return -1
    if sb in _BASELINE_FILES and sa not in _BASELINE_FILES:
        return 1
    if ra is not None:
        return -1
    if rb is not None:
        return 1
    if a.version is not None and b.version is not None:
        return _version_cmp(a, b)
    if a.version is not None:
        return -1
    if b.version is not None:
        return 1
    da, db = a.description.encode("utf-16-be"), b.description.encode("utf-16-be")
    return (da > db) - (da < db)


_BASELINE_FILES = frozenset({State.BELOW_BASELINE, State.IGNORED_BASELINE})


def _version_cmp(a: MigrationInfo, b: MigrationInfo) -> int:
    va, vb = a.version, b.version
    assert va is not None and vb is not None
    return (va > vb) - (va < vb)


def current_version(infos: Sequence[MigrationInfo]) -> MigrationInfo | None:
    """The latest applied versioned migration (success or baseline), as Flyway reports."""
    best: MigrationInfo | None = None
    for info in infos:
        if (info.applied is not None and info.version is not None and info.applied.success
                and info.state not in (State.DELETED,)
                and (best is None or best.version is None or info.version > best.version)):
            best = info
    return best

