"""Issue 15 §8: the participant and tandem lists as CSV for German Excel and as .xlsx —
labelled, formula-safe, contact details only with consent, audited, own regions only."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
from sqlalchemy import select

from tests.builders import db, html, login
from tests.worlds import FORMULA_NAMES, exportable_people
from web.core.models import AuditLog
from web.core.spreadsheets import FORMULA_TRIGGERS, to_csv

BOM = b"\xef\xbb\xbf"


def csv_rows(content: bytes) -> list[list[str]]:
    """The file as German Excel reads it: UTF-8 after the BOM, cells between semicolons."""
    assert content.startswith(BOM)
    return list(csv.reader(io.StringIO(content[len(BOM) :].decode("utf-8")), delimiter=";"))


def by_first_name(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header = rows[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}


def test_the_participant_csv_opens_in_german_excel(client, engine):
    exportable_people(engine)
    login(client, "alice@example.org")
    response = client.get("/coordinator/exports/participants?file=csv&lang=de")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = csv_rows(response.content)
    assert rows[0][:3] == ["Vorname", "Nachname", "Rolle"]
    people = by_first_name(rows)
    lena = people["Lena"]
    assert lena["Rolle"] == "Einheimische*r"
    assert lena["Nachname"] == "Schäfer"  # UTF-8 survives
    assert lena["Stand"] == "Im Tandem"
    assert lena["Seit"] == "02.03.2026"  # the tandem's start, Berlin's calendar day
    assert lena["Geschlecht"] == "Frau"
    assert lena["Geburtsjahr"] == "1961"
    # No stored code anywhere: roles, standings, genders, languages are words.
    for person in people.values():
        for value in person.values():
            assert value not in ("local", "newcomer", "female", "waiting", "in_tandem", "native")
    assert "Arabisch (Muttersprache)" in people["Nour"]["Sprachen"]


def test_contact_details_only_of_people_who_agreed(client, engine):
    exportable_people(engine)
    login(client, "alice@example.org")
    people = by_first_name(csv_rows(client.get("/coordinator/exports/participants").content))
    assert people["Lena"]["E-Mail"] == "lena@kassel.example"
    assert people["Lena"]["Telefon"].replace(" ", "") == "05611234567"
    assert people["Lena"]["Kontaktdaten dürfen weitergegeben werden"] == "Ja"
    for name in ("Nour", "Jörg"):  # withdrew the consent / never gave it
        assert people[name]["E-Mail"] == "" and people[name]["Telefon"] == ""
        assert people[name]["Kontaktdaten dürfen weitergegeben werden"] == "Nein"
    everything = client.get("/coordinator/exports/participants?file=xlsx").content
    with zipfile.ZipFile(io.BytesIO(everything)) as book:
        xml = "".join(book.read(name).decode() for name in book.namelist())
    assert "nour@kassel.example" not in xml and "joerg@kassel.example" not in xml
    assert "lena@kassel.example" in xml


def test_formulas_never_run(client, engine):
    exportable_people(engine)
    login(client, "alice@example.org")
    rows = csv_rows(client.get("/coordinator/exports/participants?file=csv").content)
    first_names = [row[0] for row in rows[1:]]
    for name in FORMULA_NAMES:
        assert "'" + name in first_names, name
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_TRIGGERS), cell

    content = client.get("/coordinator/exports/participants?file=xlsx").content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    cells = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row}
    for name in FORMULA_NAMES:
        assert cells[name] == "s", name  # stored as text, not as a formula
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml


def test_numbers_and_days_in_the_german_way():
    content = to_csv(["Zahl", "Tag"], [[12.5, None], [3, None]])
    assert csv_rows(content) == [["Zahl", "Tag"], ["12,5", ""], ["3", ""]]


def test_the_xlsx_opens_with_the_same_people(client, engine):
    exportable_people(engine)
    login(client, "alice@example.org")
    response = client.get("/coordinator/exports/participants?file=xlsx&role=local")
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None and sheet.title == "Teilnehmende"
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Vorname"
    assert sorted(row[0] for row in values[1:]) == ["Jörg", "Lena"]  # the filter holds
    lena = next(row for row in values[1:] if row[0] == "Lena")
    assert lena[values[0].index("Geburtsjahr")] == 1961  # a number, not text
    since = lena[values[0].index("Seit")]
    assert (since.day, since.month, since.year) == (2, 3, 2026)  # a day, not text


def test_another_regions_people_are_absent(client, engine):
    exportable_people(engine)
    login(client, "alice@example.org")
    text = client.get("/coordinator/exports/participants").content.decode()
    assert "Olena" not in text and "goettingen" not in text
    # A region filter naming a region that is not Alice's is refused, not widened.
    response = client.get("/coordinator/exports/participants?region=goettingen")
    assert response.status_code == 400
    assert "Olena" not in response.text
    client.get("/logout")
    login(client, "bob@example.org")
    text = client.get("/coordinator/exports/participants").content.decode()
    assert "Olena" in text and "Lena" not in text


def test_every_export_is_audited(client, engine):
    exportable_people(engine)
    login(client, "alice@example.org")
    for path in (
        "/coordinator/exports/participants?file=csv",
        "/coordinator/exports/participants?file=xlsx",
        "/coordinator/exports/tandems?file=csv&status=all",
    ):
        assert client.get(path).status_code == 200, path
    with db(engine) as session:
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.action.startswith("export."))
        ).all()
    assert sorted(actions) == ["export.participants", "export.participants", "export.tandems"]
    client.get("/logout")
    login(client, "ada@example.org")  # the audit log is the admin's
    page = html(client.get("/coordinator/audit/?lang=de"))
    assert "Teilnehmendenliste exportiert" in page.get_text()
    assert "export.participants" not in page.get_text()


def test_the_tandem_list_exports_both_ways(client, engine):
    exportable_people(engine)
    login(client, "alice@example.org")
    rows = csv_rows(client.get("/coordinator/exports/tandems?file=csv&status=current").content)
    assert rows[0][:4] == ["Einheimische*r", "Neuzugewanderte*r", "Region", "Status"]
    assert rows[1][0] == "Lena Schäfer" and rows[1][1] == "Nour Haddad"
    assert rows[1][3] == "Aktiv" and rows[1][5] == "02.03.2026"
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get("/coordinator/exports/tandems?file=xlsx").content)
    ).active
    assert sheet is not None
    assert [cell.value for cell in next(sheet.iter_rows())][:2] == rows[0][:2]


def test_bad_parameters_are_a_400(client, engine):
    exportable_people(engine)
    login(client, "alice@example.org")
    for path in (
        "/coordinator/exports/participants?file=pdf",
        "/coordinator/exports/participants?role=admin",
        "/coordinator/exports/tandems?status=nonsense",
        "/coordinator/exports/tandems?file=ods",
    ):
        assert client.get(path).status_code == 400, path


def test_only_coordinators(client, engine):
    exportable_people(engine)
    response = client.get("/coordinator/exports/participants", follow_redirects=False)
    assert response.status_code in (302, 303, 401, 403)
    assert b"Lena" not in response.content
