"""What every part of an import shares: the mapping, the person, the lookups, the report."""

from __future__ import annotations

from typing import Any

from voronka.imports.lookups import Lookups
from voronka.imports.report import Outcome, Report
from voronka.imports.spec import FieldMap, Mapping
from voronka.imports.targets import Row, Target


class ImportState:
    """The state of one file's import; :class:`voronka.imports.engine.Importer` fills it."""

    mapping: Mapping
    maps: dict[str, FieldMap]
    actor: Any
    tz: Any
    file_tz: Any
    system: str
    target_cls: type[Target]
    outcome: Outcome
    report: Report
    clients: set[Any]
    known_rows: dict[Any, int]
    _lookups: Lookups

    @property
    def lookups(self) -> Lookups:
        if not hasattr(self, "_lookups"):
            self._lookups = Lookups(self.system)
        return self._lookups

    def _column_of(self, name: str) -> str:
        """The file's column for a field a rule names, when the mapping reads it from one."""
        fm = self.maps.get(name)
        return fm.column if fm is not None and fm.column else name

    def _reject(self, row: Row, column: str, reason: str) -> None:
        self.outcome.rejected += 1
        self.report.row(self.outcome, row, "rejected", None, column, reason)
