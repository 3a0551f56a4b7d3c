"""Folding an event log into one row per record: events out of order, a repeated column
name, a record without some event, a broken event, and the mapping keys that say how."""

from __future__ import annotations

import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from voronka.imports.engine import import_file
from voronka.imports.folding import CaseProblem, FoldedTable, fold_table
from voronka.imports.reading import FileProblem, open_table
from voronka.imports.spec import SpecError, parse_mapping

ROME = ZoneInfo("Europe/Rome")
FORMAT = "%Y/%m/%d %H:%M:%S.%f"

# Case 1's events are out of order and it is taken in charge twice; Case 2 starts the file
# with its last event; Case 3 is never resolved. "Variant" is a repeated column name, and
# the customer of Case 1 changes between its first and its last event.
LOG = (
    "Case ID,Activity,Resource,Complete Timestamp,Variant,Variant index,Variant,customer\n"
    "Case 2,Closed,Value 2,2012/01/05 10:00:00.000,Variant 1,1,Variant 1,Value 7\n"
    "Case 1,Resolve ticket,Value 1,2012/01/03 09:00:00.000,Variant 2,2,Variant 2,Value 6\n"
    "Case 1,Take in charge ticket,Value 3,2012/01/02 12:00:00.000,Variant 2,2,Variant 2,Value 5\n"
    "Case 1,Assign seriousness,Value 1,2012/01/02 10:00:00.000,Variant 2,2,Variant 2,Value 5\n"
    "Case 2,Assign seriousness,Value 4,2012/01/04 08:00:00.000,Variant 1,1,Variant 1,Value 7\n"
    "Case 1,Take in charge ticket,Value 2,2012/01/02 11:00:00.000,Variant 2,2,Variant 2,Value 5\n"
    "Case 3,Assign seriousness,Value 1,2012/01/06 08:00:00.000,Variant 3,3,Variant 3,Value 8\n"
    "\n"
    "Case 3,Take in charge ticket,Value 4,2012/01/06 08:30:00.000,Variant 3,3,Variant 3,Value 8\n"
    "Case 2,Resolve ticket,Value 2,2012/01/05 09:00:00.000,Variant 1,1,Variant 1,Value 7\n"
)
EVENT_LOG = {
    "key": "Case ID",
    "order": "Complete Timestamp",
    "event": "Activity",
    "derive": {
        "received": {"column": "Complete Timestamp"},
        "taken_at": {"event": "Take in charge ticket", "column": "Complete Timestamp"},
        "taken_by": {"event": "take in charge  TICKET", "column": "Resource"},
        "resolved": {"pick": "last", "event": "Resolve ticket", "column": "Complete Timestamp"},
        "last_event": {"pick": "last", "column": "Activity"},
        "takes": {"pick": "count", "event": ["Take in charge ticket", "Reassign"]},
    },
}


def write(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def folded(tmp_path: Path, log: dict | None = None, text: str = LOG) -> tuple[FoldedTable, list]:
    mapping = parse_mapping({"entity": "requests", "event_log": log or EVENT_LOG})
    assert mapping.event_log is not None
    table = fold_table(
        open_table(write(tmp_path, text)), mapping.event_log, tz=ROME, date_format=FORMAT
    )
    return table, list(table.rows())


def by_case(table: FoldedTable, rows: list) -> dict[str, dict[str, object]]:
    return {cells[0]: {"line": line, **dict(zip(table.header, cells, strict=True))}
            for line, cells in rows}  # fmt: skip


def test_each_record_becomes_one_row_at_its_first_line_with_the_values_its_events_give(
    tmp_path,
):
    table, rows = folded(tmp_path)

    assert table.header == [
        "Case ID", "Activity", "Resource", "Complete Timestamp", "Variant", "Variant index",
        "Variant.1", "customer",
        "received", "taken_at", "taken_by", "resolved", "last_event", "takes",
    ]  # fmt: skip
    assert [line for line, _cells in rows] == [2, 3, 8]  # each case's first row in the file
    assert table.events == 9  # the blank line is no event
    cases = by_case(table, rows)
    assert cases["Case 1"] == {
        "line": 3,
        # The other columns are the first event's (by time, not by the file's order).
        "Case ID": "Case 1", "Activity": "Assign seriousness", "Resource": "Value 1",
        "Complete Timestamp": "2012/01/02 10:00:00.000", "Variant": "Variant 2",
        "Variant index": "2", "Variant.1": "Variant 2", "customer": "Value 5",
        "received": "2012/01/02 10:00:00.000",
        "taken_at": "2012/01/02 11:00:00.000",  # the earlier of two takes in charge
        "taken_by": "Value 2",
        "resolved": "2012/01/03 09:00:00.000",
        "last_event": "Resolve ticket",
        "takes": "2",
    }  # fmt: skip
    assert cases["Case 2"]["received"] == "2012/01/04 08:00:00.000"
    assert cases["Case 2"]["last_event"] == "Closed"
    assert (cases["Case 2"]["taken_at"], cases["Case 2"]["takes"]) == (None, "0")
    assert cases["Case 3"]["resolved"] is None
    assert cases["Case 3"]["taken_by"] == "Value 4"


def test_the_attributes_may_come_from_the_last_event(tmp_path):
    table, rows = folded(tmp_path, {**EVENT_LOG, "attributes": "last"})

    cases = by_case(table, rows)
    assert cases["Case 1"]["customer"] == "Value 6"
    assert cases["Case 1"]["Activity"] == "Resolve ticket"
    assert cases["Case 1"]["received"] == "2012/01/02 10:00:00.000"


def test_events_at_the_same_moment_keep_the_order_of_the_file(tmp_path):
    text = "id,event,who,at\nA,take,first,2012-03-01 10:00:00\nA,take,second,2012-03-01 10:00:00\n"
    log = {"key": "id", "order": "at", "event": "event", "order_format": "%Y-%m-%d %H:%M:%S",
           "derive": {"first": {"column": "who"}, "last": {"pick": "last", "column": "who"}}}  # fmt: skip
    table, rows = folded(tmp_path, log, text)

    assert by_case(table, rows)["A"] == {
        "line": 2, "id": "A", "event": "take", "who": "first", "at": "2012-03-01 10:00:00",
        "first": "first", "last": "second",
    }  # fmt: skip


def test_the_order_is_by_the_moment_in_the_files_time_zone_not_by_the_text(tmp_path):
    # 03.11.2012 is after 29.10.2012, though it sorts before it as text.
    text = "id,at,who\nA,03.11.2012 10:00,late\nA,29.10.2012 09:00,early\n"
    log = {"key": "id", "order": "at", "order_format": "%d.%m.%Y %H:%M",
           "derive": {"first_by": {"column": "who"}}}  # fmt: skip
    table, rows = folded(tmp_path, log, text)

    assert by_case(table, rows)["A"]["first_by"] == "early"


def test_a_record_with_an_unreadable_moment_is_rejected_at_its_first_line(tmp_path):
    text = LOG.replace("Case 1,Take in charge ticket,Value 3,2012/01/02 12:00:00.000",
                       "Case 1,Take in charge ticket,Value 3,2012/13/02 12:00:00.000")  # fmt: skip
    table, rows = folded(tmp_path, text=text)

    assert [line for line, _cells in rows] == [2, 3, 8]
    line, cells = rows[1]
    problem = cells[0]
    assert isinstance(problem, CaseProblem)
    assert problem.column == "Complete Timestamp"
    assert str(problem) == (
        "line 4: not a date like 2024/03/31 14:30:00.000000: '2012/13/02 12:00:00.000'"
    )
    assert problem.cells[0] == "Case 1"


def test_a_row_without_a_key_is_rejected_on_its_own_line(tmp_path):
    text = LOG.replace("Case 3,Assign seriousness", ",Assign seriousness")
    table, rows = folded(tmp_path, text=text)

    assert [line for line, _cells in rows] == [2, 3, 8, 10]
    problem = rows[2][1][0]
    assert isinstance(problem, CaseProblem)
    assert (problem.column, str(problem)) == (
        "Case ID", "the cell is empty; an event needs the record it belongs to",
    )  # fmt: skip
    assert by_case(table, [rows[3]])["Case 3"]["received"] == "2012/01/06 08:30:00.000"


def test_more_records_than_the_limit_refuse_the_file(tmp_path):
    mapping = parse_mapping({"entity": "requests", "event_log": {**EVENT_LOG, "max_records": 2}})
    assert mapping.event_log is not None
    table = fold_table(
        open_table(write(tmp_path, LOG)), mapping.event_log, tz=ROME, date_format=FORMAT
    )
    with pytest.raises(FileProblem, match=r"^event_log.max_records: the file holds more than 2"):
        list(table.rows())


def test_a_derived_column_may_not_hide_a_column_of_the_file(tmp_path):
    mapping = parse_mapping({"entity": "requests", "event_log": {
        **EVENT_LOG, "derive": {"customer": {"column": "Resource"}},
    }})  # fmt: skip
    assert mapping.event_log is not None
    with pytest.raises(FileProblem, match=r"^event_log.derive.customer: the file has a column"):
        fold_table(open_table(write(tmp_path, LOG)), mapping.event_log, tz=ROME, date_format=None)


def test_a_column_folding_needs_must_be_in_the_file(tmp_path):
    mapping = parse_mapping({"entity": "requests", "event_log": {
        **EVENT_LOG, "event": "Event",
    }})  # fmt: skip
    assert mapping.event_log is not None
    with pytest.raises(FileProblem, match=r"^event_log: the file has no column 'Event'"):
        fold_table(open_table(write(tmp_path, LOG)), mapping.event_log, tz=ROME, date_format=None)


@pytest.mark.parametrize(
    ("event_log", "message"),
    [
        ({"key": "Case ID"}, "event_log.order: Field required"),
        ({**EVENT_LOG, "evnt": "Activity"}, "event_log.evnt: Extra inputs are not permitted"),
        ({**EVENT_LOG, "attributes": "middle"},
         "event_log.attributes: Input should be 'first' or 'last'"),
        ({**EVENT_LOG, "derive": {"n": {"pick": "count", "column": "Resource"}}},
         "event_log.derive.n: Value error, a count takes no column"),
        ({**EVENT_LOG, "derive": {"at": {"pick": "last"}}},
         "event_log.derive.at: Value error, name the column whose value the last event gives"),
        ({**EVENT_LOG, "derive": {"at": {"pick": "any", "column": "Resource"}}},
         "event_log.derive.at.pick: Input should be 'first', 'last' or 'count'"),
        ({"key": "Case ID", "order": "Complete Timestamp",
          "derive": {"taken": {"event": "Take in charge ticket", "column": "Resource"}}},
         "event_log: Value error, derive.taken.event: name the column of the events in "
         "event_log.event"),
        ({**EVENT_LOG, "max_records": 0},
         "event_log.max_records: Input should be greater than or equal to 1"),
    ],
)  # fmt: skip
def test_a_bad_event_log_key_is_named(event_log, message):
    with pytest.raises(SpecError) as error:
        parse_mapping({"entity": "requests", "event_log": event_log})
    assert str(error.value) == message


def test_an_unknown_time_zone_is_named():
    with pytest.raises(SpecError) as error:
        parse_mapping({"entity": "requests", "time_zone": "Europe/Atlantis"})
    assert str(error.value) == (
        "time_zone: Value error, unknown time zone 'Europe/Atlantis' (e.g. Europe/Rome)"
    )


def test_the_mapping_reads_the_files_columns_and_not_the_derived_ones():
    mapping = parse_mapping({
        "entity": "requests", "external_id": "Case ID", "event_log": EVENT_LOG,
        "fields": {"subject": {"template": "Ticket {Case ID}"}, "created_at": "received",
                   "company": {"template": "Client {customer}"}},
    })  # fmt: skip

    assert mapping.columns() == {
        "Case ID",
        "Complete Timestamp",
        "Activity",
        "Resource",
        "customer",
    }


def test_an_imported_event_log_reports_each_record_at_its_first_line(tmp_path, personas):
    from voronka.service.models import Request

    text = LOG.replace("Case 2,Resolve ticket,Value 2,2012/01/05 09:00:00.000",
                       "Case 2,Resolve ticket,Value 2,yesterday")  # fmt: skip
    mapping = parse_mapping({
        "entity": "requests", "system": "helpdesk", "external_id": "Case ID",
        "date_format": FORMAT, "time_zone": "Europe/Rome", "event_log": EVENT_LOG,
        "fields": {
            "subject": {"template": "Ticket {Case ID}"},
            "company": {"template": "Client {customer}", "create": True},
            "created_at": "received", "first_response_at": "taken_at", "resolved_at": "resolved",
        },
    })  # fmt: skip
    report, rejected = io.StringIO(), io.StringIO()

    outcome = import_file(write(tmp_path, text), mapping, actor=personas.admin,
                          report_to=report, rejected_to=rejected)  # fmt: skip

    assert (outcome.rows, outcome.created, outcome.rejected, outcome.failed) == (3, 2, 1, "")
    assert report.getvalue().splitlines()[1:] == [
        "2,rejected,,Complete Timestamp,line 11: not a date like 2024/03/31 14:30:00.000000: "
        "'yesterday'",
        f"3,created,{Request.objects.get(subject='Ticket Case 1').pk},,",
        f"8,created,{Request.objects.get(subject='Ticket Case 3').pk},,",
    ]
    # The rejected file has the folded columns, so its rows line up with its header.
    header, row = rejected.getvalue().splitlines()
    assert header == (
        "line,column,reason,Case ID,Activity,Resource,Complete Timestamp,Variant,Variant index,"
        "Variant.1,customer,received,taken_at,taken_by,resolved,last_event,takes"
    )
    assert row.startswith("2,Complete Timestamp,")
    assert row.endswith(",Case 2,Assign seriousness,Value 4,2012/01/04 08:00:00.000,Variant 1,1,"
                        "Variant 1,Value 7")  # fmt: skip
