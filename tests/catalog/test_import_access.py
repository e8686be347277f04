"""Spreadsheet imports through the portal, the API, the management command and the worker;
who may import (bureau staff only: everyone else is refused and nothing is written); the
bureau's decisions on possible duplicates."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from catalog import duplicates, imports
from catalog.enums import ListingStatus, Provenance
from catalog.models import DuplicateCandidate, ImportJob, ImportStatus, ListingStatusChange, Requirement
from common.errors import ApplicationError, PermissionDenied
from tests.catalog.intake_helpers import HEAD, csv_text, read_xlsx, req, run_import, upload, xlsx_bytes
from tests.factories import RequirementFactory

GOOD_AND_BAD = [HEAD, req("数控机床主轴热变形补偿"), req("成熟度有误", trl=12), req("工业机器人视觉定位")]
TRL_ERROR = {"row": 3, "column": "技术成熟度", "message": "The TRL must be a whole number from 1 to 9."}
NON_BUREAU = ["anonymous", "ent_a", "university", "broker", "expert", "investor", "pending"]


def nothing_written() -> bool:
    return not ImportJob.objects.exists() and not Requirement.objects.filter(provenance=Provenance.IMPORT).exists()


# --- who may import ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", NON_BUREAU)
def test_only_bureau_staff_reach_the_import_pages_and_nothing_is_written(client, world, settings, tmp_path, role):
    settings.TECHDOCK_IMPORT_DIR = str(tmp_path)
    user = world.users()[role]
    if user:
        client.force_login(user)

    pages = [client.get(reverse("catalog:import-upload")), client.get(reverse("catalog:duplicate-list")),
             client.post(reverse("catalog:import-upload"),
                         {"kind": "requirement", "file": upload(xlsx_bytes(GOOD_AND_BAD))})]

    assert [page.status_code for page in pages] == [302 if user is None else 403] * 3
    assert nothing_written()


@pytest.mark.parametrize("role", NON_BUREAU)
def test_the_import_api_refuses_everyone_but_bureau_staff_with_a_message(world, settings, tmp_path, role):
    settings.TECHDOCK_IMPORT_DIR = str(tmp_path)
    api = APIClient()
    if world.users()[role]:
        api.force_authenticate(world.users()[role])

    response = api.post("/api/v1/imports/", {"kind": "requirement", "file": upload(xlsx_bytes(GOOD_AND_BAD))},
                        format="multipart", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    expected = ("Authentication credentials were not provided." if role == "anonymous"
                else "Only bureau staff can import spreadsheets.")
    assert response.json()["detail"] == expected
    assert nothing_written()


def test_the_services_refuse_non_bureau_actors_and_a_bureau_job_stays_invisible(bureau, world):
    job = run_import(bureau, xlsx_bytes(GOOD_AND_BAD), commit=False)
    api = APIClient()
    api.force_authenticate(world.ent_a_member)

    with pytest.raises(PermissionDenied):
        imports.import_job_create(actor=world.ent_a_member, kind="requirement", upload=upload(b"a,b"))
    with pytest.raises(PermissionDenied):
        imports.import_commit(actor=world.ent_a_member, job=job)
    responses = [api.get(f"/api/v1/imports/{job.pk}/"), api.post(f"/api/v1/imports/{job.pk}/commit/"),
                 api.get(f"/api/v1/imports/{job.pk}/errors.csv")]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert ImportJob.objects.get().status == ImportStatus.PREVIEWED
    assert not Requirement.objects.filter(provenance=Provenance.IMPORT).exists()


# --- the portal ------------------------------------------------------------------------------------

def test_portal_upload_shows_the_preview_then_imports_and_serves_the_error_file(client, bureau):
    client.force_login(bureau)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = client.post(reverse("catalog:import-upload"),
                           {"kind": "requirement", "file": upload(xlsx_bytes(GOOD_AND_BAD))}, follow=True)

    job = ImportJob.objects.get()
    page = response.content.decode()
    assert job.status == ImportStatus.PREVIEWED and job.language == "en"
    assert "The TRL must be a whole number from 1 to 9." in page and 'id="import-commit"' in page
    assert not Requirement.objects.filter(provenance=Provenance.IMPORT).exists()

    client.post(reverse("catalog:import-commit", kwargs={"pk": job.pk}))
    job.refresh_from_db()
    error_file = client.get(reverse("catalog:import-errors", kwargs={"pk": job.pk, "fmt": "xlsx"}))

    assert (job.status, job.created_count, job.error_count) == (ImportStatus.DONE, 2, 1)
    assert read_xlsx(error_file.content) == [
        ("Row", "Errors", *HEAD),
        (3, "技术成熟度: The TRL must be a whole number from 1 to 9.", "成熟度有误", "甲企业", None,
         req("x")[3], "数控机床", "合作开发", 12, "50-100", "数控机床、热变形", None),
    ]
    detail = client.get(reverse("catalog:import-detail", kwargs={"pk": job.pk})).content.decode()
    assert "The import is complete." in detail and "import-commit" not in detail


def test_the_error_file_reuploaded_after_fixing_imports_the_row(client, bureau):
    job = run_import(bureau, xlsx_bytes(GOOD_AND_BAD))
    client.force_login(bureau)
    rows = read_xlsx(client.get(reverse("catalog:import-errors", kwargs={"pk": job.pk, "fmt": "xlsx"})).content)
    fixed = [list(rows[0]), [*rows[1][:8], 6, *rows[1][9:]]]

    again = run_import(bureau, xlsx_bytes(fixed), name="survey-errors.xlsx")

    assert (again.created_count, again.error_count, again.errors) == (1, 0, [])
    assert Requirement.objects.get(title="成熟度有误").trl_min == 6


def test_the_template_is_public_and_an_xlsx(client, db):
    response = client.get(reverse("catalog:import-template", kwargs={"kind": "achievement"}))

    assert response.status_code == 200
    assert read_xlsx(response.content)[0][:3] == ("外部编号 / External ref", "*成果名称 / Title",
                                                  "单位名称 / Organisation")


def test_the_progress_partial_polls_only_while_the_job_runs(client, bureau):
    job = run_import(bureau, xlsx_bytes(GOOD_AND_BAD), commit=False)
    client.force_login(bureau)
    url = reverse("catalog:import-progress", kwargs={"pk": job.pk})

    done = client.get(url).content.decode()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING, progress_done=1, progress_total=3)
    running = client.get(url).content.decode()

    assert "hx-get" not in done
    assert f'hx-get="{url}"' in running and 'value="33"' in running


# --- the API ---------------------------------------------------------------------------------------

@pytest.fixture
def bureau_api(bureau):
    api = APIClient()
    api.force_authenticate(bureau)
    api.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return api


def test_api_dry_run_then_commit_then_error_csv(bureau_api):
    created = bureau_api.post("/api/v1/imports/", {"kind": "requirement", "file": upload(xlsx_bytes(GOOD_AND_BAD))},
                              format="multipart")

    body = created.json()
    assert created.status_code == 201
    assert (body["status"], body["counts"], body["errors"]) == ("previewed", {
        "rows": 3, "created": 2, "updated": 0, "unchanged": 0, "duplicates": 0, "organisations_created": 0,
        "error_rows": 1}, [TRL_ERROR])
    assert not Requirement.objects.filter(provenance=Provenance.IMPORT).exists()

    committed = bureau_api.post(f"/api/v1/imports/{body['id']}/commit/")
    errors = bureau_api.get(f"/api/v1/imports/{body['id']}/errors.csv", HTTP_ACCEPT="text/csv")

    assert (committed.status_code, committed.json()["status"], committed.json()["counts"]["created"]) == (
        200, "done", 2)
    assert errors.status_code == 200
    lines = errors.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Row,Errors," + ",".join(HEAD)
    assert lines[1].startswith("3,技术成熟度: The TRL must be a whole number from 1 to 9.,成熟度有误,")
    again = bureau_api.post(f"/api/v1/imports/{body['id']}/commit/")
    assert (again.status_code, again.json()["counts"]["created"]) == (200, 2)  # done: nothing happens twice


def test_api_without_dry_run_imports_at_once(bureau_api):
    response = bureau_api.post("/api/v1/imports/", {"kind": "requirement", "dry_run": "false",
                                                    "file": upload(xlsx_bytes(GOOD_AND_BAD))}, format="multipart")

    assert (response.status_code, response.json()["status"]) == (201, "done")
    assert Requirement.objects.filter(provenance=Provenance.IMPORT).count() == 2


@pytest.mark.parametrize(("data", "field"), [
    ({"kind": "requirement"}, "file"),
    ({"kind": "patents", "file": "x"}, "kind"),
    ({"kind": "requirement", "file": "x", "status": "done"}, "status"),
])
def test_api_malformed_uploads_are_400_with_the_field_named(bureau_api, data, field):
    if data.get("file") == "x":
        data["file"] = upload(xlsx_bytes(GOOD_AND_BAD))

    response = bureau_api.post("/api/v1/imports/", data, format="multipart")

    assert response.status_code == 400
    assert field in response.json()
    assert nothing_written()


def test_api_unreadable_files_are_400_with_the_reason(bureau_api):
    renamed = bureau_api.post("/api/v1/imports/", {"kind": "requirement", "file": upload(b"%PDF-1.7 ...")},
                              format="multipart")
    columns = bureau_api.post("/api/v1/imports/", {
        "kind": "requirement", "file": upload(xlsx_bytes([["标题"], ["数控机床主轴热变形补偿"]]))}, format="multipart")

    assert renamed.status_code == 400
    assert renamed.json()["code"] == "not_spreadsheet"
    assert renamed.json()["errors"][0]["message"].startswith("This is a PDF file, not a spreadsheet.")
    assert columns.status_code == 400
    assert columns.json()["code"] == "bad_file"
    assert columns.json()["detail"].startswith("Required columns are missing: 单位名称 / Organisation")
    assert not Requirement.objects.filter(provenance=Provenance.IMPORT).exists()


@pytest.mark.parametrize("count", [1, 3])
def test_api_import_list_costs_the_same_queries_for_one_or_three_jobs(bureau_api, bureau, count,
                                                                     django_assert_num_queries):
    for _ in range(count):
        imports.import_job_create(actor=bureau, kind="requirement", upload=upload(xlsx_bytes(GOOD_AND_BAD)))
    bureau_api.force_authenticate(User.objects.get(pk=bureau.pk))  # roles not cached yet

    with django_assert_num_queries(3):  # the user's roles, the count, the page (with its uploaders)
        response = bureau_api.get("/api/v1/imports/")

    assert response.json()["count"] == count


# --- the command -----------------------------------------------------------------------------------

def _command(*args) -> tuple[dict, int]:
    out = StringIO()
    code = 0
    try:
        call_command("import_listings", *args, stdout=out)
    except CommandError as error:
        code = error.returncode
    return json.loads(out.getvalue().strip().splitlines()[-1]), code


def test_command_prints_the_report_as_its_last_line(bureau, tmp_path):
    path = tmp_path / "survey.csv"
    path.write_bytes(csv_text(GOOD_AND_BAD).encode("gbk"))

    dry, dry_code = _command(str(path), "--dry-run", "--as", bureau.email)
    assert not Requirement.objects.filter(provenance=Provenance.IMPORT).exists()
    result, code = _command(str(path), "--kind", "requirement", "--as", bureau.email)
    again, _code = _command(str(path), "--as", bureau.email)

    common = {"rows": 3, "updated": 0, "duplicates": 0, "errors": [TRL_ERROR]}
    assert (dry_code, code) == (0, 0)
    assert {k: dry[k] for k in common} | {"created": dry["created"], "dry_run": dry["dry_run"]} == {
        **common, "created": 2, "dry_run": True}
    assert {k: result[k] for k in common} | {"created": result["created"]} == {**common, "created": 2}
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert Requirement.objects.filter(provenance=Provenance.IMPORT).count() == 2


def test_command_file_level_error_exits_1_with_json(bureau, tmp_path):
    path = tmp_path / "photo.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))

    result, code = _command(str(path), "--as", bureau.email)

    assert code == 1
    assert result["errors"] == [{"row": None, "column": None, "message": "This is a PNG file, not a spreadsheet. "
                                 "Upload an Excel workbook (.xlsx) or a CSV file."}]
    assert (result["rows"], result["created"]) == (0, 0)
    assert nothing_written()


def test_command_refuses_a_non_bureau_user(world, tmp_path, settings):
    settings.TECHDOCK_IMPORT_DIR = str(tmp_path / "imports")
    path = tmp_path / "survey.xlsx"
    path.write_bytes(xlsx_bytes(GOOD_AND_BAD))

    result, code = _command(str(path), "--as", world.ent_a_member.email)

    assert code == 1 and len(result["errors"]) == 1
    assert nothing_written()


# --- the background path (tasks run in-process here; tests/integration uses a real worker) -------

def test_large_files_are_checked_and_imported_by_the_worker_with_progress(bureau, settings,
                                                                         django_capture_on_commit_callbacks):
    settings.TECHDOCK_IMPORT_BACKGROUND_BYTES = 0
    settings.TECHDOCK_IMPORT_BATCH_ROWS = 50
    summary = "号需求：寻求数控机床加工精度提升与热变形补偿方案。"
    rows = [HEAD, *[req(f"批量导入需求第{i:03d}号：工艺改进", summary=f"第{i:03d}{summary}") for i in range(200)]]
    job = imports.import_job_create(actor=bureau, kind="requirement", upload=upload(xlsx_bytes(rows)),
                                    language="en")

    with django_capture_on_commit_callbacks(execute=True) as queued:
        job = imports.import_start(actor=bureau, job=job)
    assert job.status == ImportStatus.VALIDATING and len(queued) == 1
    job.refresh_from_db()
    assert (job.status, job.preview["create"], job.progress) == (ImportStatus.PREVIEWED, 200, 100)

    with django_capture_on_commit_callbacks(execute=True):
        imports.import_commit_start(actor=bureau, job=job)
    job.refresh_from_db()

    assert (job.status, job.created_count, job.cursor, job.progress_done, job.progress_total) == (
        ImportStatus.DONE, 200, 201, 200, 200)
    assert Requirement.objects.filter(provenance=Provenance.IMPORT, status=ListingStatus.SCREENED).count() == 200


def test_a_stalled_import_is_sent_to_the_workers_again_and_finishes(bureau, settings):
    job = run_import(bureau, xlsx_bytes(GOOD_AND_BAD), commit=False)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING, task_id="dead-worker",
                                               heartbeat=timezone.now() - timedelta(hours=1))

    assert imports.import_resume_stalled() == [job.pk]

    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == (ImportStatus.DONE, 2, 1)


def test_a_second_commit_while_one_runs_is_refused(bureau):
    job = run_import(bureau, xlsx_bytes(GOOD_AND_BAD), commit=False)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING, task_id="live-worker",
                                               heartbeat=timezone.now())

    with pytest.raises(ApplicationError) as refused:
        imports.import_commit(actor=bureau, job=job)

    assert (refused.value.code, refused.value.status) == ("import_running", 409)
    assert not Requirement.objects.filter(provenance=Provenance.IMPORT).exists()


# --- deciding on duplicates ------------------------------------------------------------------------

def _pair(world):
    older = RequirementFactory(organisation=world.ent_a, title="数控机床主轴热变形补偿")
    newer = RequirementFactory(organisation=world.ent_a, title="数控机床主轴热变形补偿。")
    return older, newer


def test_duplicate_flag_is_idempotent_whatever_the_order_and_keeps_decisions(world):
    older, newer = _pair(world)

    first = duplicates.duplicate_flag(kind="requirement", listing_id=older.pk, other_id=newer.pk, method="text",
                                      similarity=0.82)
    duplicates.duplicate_flag(kind="requirement", listing_id=newer.pk, other_id=older.pk, method="text",
                              similarity=0.82)
    duplicates.duplicate_flag(kind="requirement", listing_id=newer.pk, other_id=older.pk, method="embedding",
                              similarity=0.97)

    flag = DuplicateCandidate.objects.get()
    assert (flag.pk, flag.listing_id, flag.other_id, flag.method, flag.similarity) == (
        first.pk, newer.pk, older.pk, "embedding", 0.97)
    duplicates.duplicate_keep(actor=world.bureau, candidate=flag)
    duplicates.duplicate_flag(kind="requirement", listing_id=newer.pk, other_id=older.pk, method="owner_title",
                              similarity=1.0)
    flag.refresh_from_db()
    assert (flag.status, flag.method, DuplicateCandidate.objects.count()) == ("kept", "embedding", 1)


def test_bureau_merges_a_duplicate_by_withdrawing_it_with_a_reason(client, world):
    older, newer = _pair(world)
    flag = duplicates.duplicate_flag(kind="requirement", listing_id=newer.pk, other_id=older.pk,
                                     method="owner_title", similarity=1.0)
    client.force_login(world.bureau)

    page = client.get(reverse("catalog:duplicate-list")).content.decode()
    client.post(reverse("catalog:duplicate-decide", kwargs={"pk": flag.pk, "action": "merge"}),
                {"keep": older.pk}, HTTP_ACCEPT_LANGUAGE="en")

    assert f'data-candidate="{flag.pk}"' in page
    flag.refresh_from_db()
    newer.refresh_from_db()
    assert (flag.status, flag.withdrawn_id, flag.decided_by) == ("merged", newer.pk, world.bureau)
    assert newer.status == ListingStatus.WITHDRAWN
    assert ListingStatusChange.objects.filter(listing_id=newer.pk, to_status="withdrawn").get().reason == (
        f"Duplicate of listing {older.pk}.")
    older.refresh_from_db()
    assert older.status == ListingStatus.PUBLISHED


def test_keeping_both_closes_the_flag_and_non_bureau_users_cannot_decide(client, world):
    older, newer = _pair(world)
    flag = duplicates.duplicate_flag(kind="requirement", listing_id=newer.pk, other_id=older.pk,
                                     method="owner_title", similarity=1.0)
    client.force_login(world.ent_a_admin)

    refused = client.post(reverse("catalog:duplicate-decide", kwargs={"pk": flag.pk, "action": "merge"}))
    flag.refresh_from_db()
    assert (refused.status_code, flag.status) == (404, "open")

    client.force_login(world.bureau)
    client.post(reverse("catalog:duplicate-decide", kwargs={"pk": flag.pk, "action": "keep"}))
    flag.refresh_from_db()
    newer.refresh_from_db()
    assert (flag.status, newer.status) == ("kept", ListingStatus.PUBLISHED)
