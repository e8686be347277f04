"""Spreadsheet intake: every bad file is built here, and each test asserts the exact report
and the database afterwards (nothing half-written, nothing lost)."""

import base64
import os
from datetime import date

import pytest

from accounts.enums import OrganisationStatus
from accounts.models import Organisation
from catalog import imports, intake
from catalog.enums import ListingStatus, Provenance
from catalog.models import (
    Achievement,
    DuplicateCandidate,
    ImportJob,
    ImportStatus,
    ListingStatusChange,
    Requirement,
)
from common.errors import ApplicationError
from tests.catalog.intake_helpers import (
    HEAD,
    SUMMARY,
    csv_text,
    replace_in_xlsx,
    report,
    req,
    run_import,
    upload,
    xlsx_bytes,
    zip_bytes,
)
from tests.factories import RequirementFactory, make_credit_code

NEW_CODE = make_credit_code()


def imported():
    return list(Requirement.objects.filter(provenance=Provenance.IMPORT).order_by("pk").values_list(
        "title", flat=True))


# --- the happy path, idempotency ---------------------------------------------------------------

def test_xlsx_import_creates_screened_listings_with_every_value_mapped(bureau, world):
    rows = [HEAD,
            req("数控机床主轴热变形补偿", code=world.ent_a.credit_code, deadline=date(2026, 9, 30)),
            req("废旧锂电池回收工艺", org="沈阳新材料有限公司", code=NEW_CODE, fields="储能与动力电池, recycling",
                modes="技术转让；技术咨询", trl="TRL 4", budget="面议", keywords="", deadline=46022)]

    job = run_import(bureau, xlsx_bytes(rows))

    assert report(job) == {"status": "done", "rows": 2, "created": 2, "updated": 0, "unchanged": 0,
                           "duplicates": 0, "errors": []}
    assert job.organisations_created == 1
    first = Requirement.objects.get(title="数控机床主轴热变形补偿")
    assert (first.organisation, first.status, first.provenance, first.collected_by) == (
        world.ent_a, ListingStatus.SCREENED, Provenance.IMPORT, world.bureau_org)
    assert (first.trl_min, first.budget_min, first.budget_max, first.deadline) == (5, 50, 100, date(2026, 9, 30))
    assert first.cooperation_modes == ["development"] and first.keywords == ["数控机床", "热变形"]
    assert [f.code for f in first.fields.all()] == ["machine-tools"]
    assert first.source_batch == "survey" and first.external_ref == intake.title_ref("数控机床主轴热变形补偿")
    assert list(ListingStatusChange.objects.filter(kind="requirement", listing_id=first.pk).values_list(
        "from_status", "to_status")) == [("", "draft"), ("draft", "submitted"), ("submitted", "screened")]
    second = Requirement.objects.get(title="废旧锂电池回收工艺")
    assert (second.trl_min, second.budget_min, second.budget_max, second.deadline) == (4, None, None,
                                                                                       date(2025, 12, 31))
    assert second.cooperation_modes == ["transfer", "consulting"]
    assert sorted(f.code for f in second.fields.all()) == ["energy-storage", "recycling"]
    org = second.organisation
    assert (org.name_zh, org.credit_code, org.kind, org.status, org.decided_by) == (
        "沈阳新材料有限公司", NEW_CODE, "enterprise", OrganisationStatus.APPROVED, bureau)


def test_reimporting_the_same_file_creates_and_updates_nothing(bureau):
    content = xlsx_bytes([HEAD, req("数控机床主轴热变形补偿"), req("工业机器人视觉定位", fields="工业机器人")])
    run_import(bureau, content)

    again = run_import(bureau, content)

    assert report(again) == {"status": "done", "rows": 2, "created": 0, "updated": 0, "unchanged": 2,
                             "duplicates": 0, "errors": []}
    assert imported() == ["数控机床主轴热变形补偿", "工业机器人视觉定位"]
    assert DuplicateCandidate.objects.count() == 0


def test_reimport_updates_only_the_rows_that_changed(bureau):
    run_import(bureau, xlsx_bytes([HEAD, req("数控机床主轴热变形补偿"), req("工业机器人视觉定位")]))

    again = run_import(bureau, xlsx_bytes([HEAD, req("数控机床主轴热变形补偿", budget="80-120"),
                                           req("工业机器人视觉定位")]))

    assert report(again) == {"status": "done", "rows": 2, "created": 0, "updated": 1, "unchanged": 1,
                             "duplicates": 0, "errors": []}
    changed = Requirement.objects.get(title="数控机床主轴热变形补偿")
    assert (changed.budget_min, changed.budget_max, changed.status) == (80, 120, ListingStatus.SCREENED)
    assert imported() == ["数控机床主轴热变形补偿", "工业机器人视觉定位"]


def test_a_reference_column_keys_rows_so_a_retitled_row_updates_its_listing(bureau):
    head = ["编号", *HEAD]
    run_import(bureau, xlsx_bytes([head, ["Q-001", *req("数控机床主轴热变形补偿")]]))

    again = run_import(bureau, xlsx_bytes([head, ["Q-001", *req("数控机床主轴热变形实时补偿")]]))

    assert report(again)["updated"] == 1
    assert imported() == ["数控机床主轴热变形实时补偿"]
    assert Requirement.objects.get(external_ref="Q-001").title == "数控机床主轴热变形实时补偿"


def test_preview_writes_nothing_but_reports_what_the_import_would_do(bureau):
    job = run_import(bureau, xlsx_bytes([HEAD, req("数控机床主轴热变形补偿"), req("坏行", fields="量子玄学")]),
                     commit=False)

    assert report(job) == {"status": "previewed", "rows": 2, "created": 1, "updated": 0, "unchanged": 0,
                           "duplicates": 0, "errors": [
                               {"row": 3, "column": "技术领域", "message": "Unknown field “量子玄学”; use a field's "
                                "name or code from the template's “Fields” sheet."}]}
    assert job.preview["samples"] == [{"row": 2, "action": "create", "title": "数控机床主轴热变形补偿",
                                       "organisation": "甲企业"}]
    assert imported() == []
    assert Organisation.objects.filter(name_zh="甲企业").count() == 1


# --- row errors ----------------------------------------------------------------------------------

def test_each_bad_row_is_reported_with_its_row_column_and_reason_and_the_rest_imported(bureau):
    rows = [HEAD,
            req("数控机床主轴热变形补偿"),
            req("成熟度有误", trl=12, budget="一百万"),
            req("合作方式有误", modes="捐赠", deadline="明年"),
            req("新企业没有信用代码", org="沈阳某某科技有限公司"),
            req("简介太短", summary="太短"),
            req("", summary=SUMMARY)]

    job = run_import(bureau, xlsx_bytes(rows))

    modes = ("Joint / commissioned development / Technology transfer / Licensing / Technical consulting / "
             "Technical service / Equity investment (作价入股)")
    assert report(job) == {"status": "done", "rows": 6, "created": 1, "updated": 0, "unchanged": 0,
                           "duplicates": 0, "errors": [
        {"row": 3, "column": "技术成熟度", "message": "The TRL must be a whole number from 1 to 9."},
        {"row": 3, "column": "预算（万元）", "message": "Write an amount in 10k CNY (万元) or a range such as 50-100."},
        {"row": 4, "column": "合作方式", "message": f"Unknown cooperation mode “捐赠”; use {modes}."},
        {"row": 4, "column": "截止日期", "message": "Not a date; write it as 2026-06-30."},
        {"row": 5, "column": "企业名称",
         "message": "The enterprise “沈阳某某科技有限公司” is not registered yet; give its unified social credit code "
                    "so that it can be created."},
        {"row": 6, "column": "需求简介", "message": "Write a summary of at least 10 characters."},
        {"row": 7, "column": "需求名称", "message": "This field cannot be blank."},
    ]}
    assert imported() == ["数控机床主轴热变形补偿"]
    assert not Organisation.objects.filter(name_zh="沈阳某某科技有限公司").exists()


def test_a_repeated_title_for_the_same_organisation_is_reported_not_imported_twice(bureau):
    job = run_import(bureau, xlsx_bytes([HEAD, req("数控机床主轴热变形补偿"), req("数控机床主轴热变形补偿")]))

    assert report(job)["errors"] == [{"row": 3, "column": "需求名称", "message": "Row 2 has the same title for this "
                                      "organisation; this row was not imported."}]
    assert imported() == ["数控机床主轴热变形补偿"]


def test_missing_required_columns_are_one_file_level_error_naming_them(bureau):
    job = run_import(bureau, xlsx_bytes([["需求名称", "预算", "关键词"], ["数控机床主轴热变形补偿", "50", "数控"]]))

    assert (job.status, job.preview) == (ImportStatus.FAILED, None)
    assert job.errors == [{"row": None, "column": None, "message": (
        "Required columns are missing: 单位名称 / Organisation, 需求简介 / Summary, 技术领域 / Fields, "
        "合作方式 / Cooperation modes. The header row must name them, as in the template.")}]
    assert imported() == []


def test_blank_rows_are_skipped_not_reported(bureau):
    rows = [HEAD, [None] * 10, req("数控机床主轴热变形补偿"), ["", "  ", None, "", "", "", None, None, "", None],
            [None] * 10, req("工业机器人视觉定位"), [None] * 10]

    job = run_import(bureau, xlsx_bytes(rows))

    assert report(job) == {"status": "done", "rows": 2, "created": 2, "updated": 0, "unchanged": 0,
                           "duplicates": 0, "errors": []}


def test_excel_serial_dates_text_dates_and_date_cells_all_read_as_dates(bureau):
    rows = [HEAD, req("序列号日期", deadline=46022), req("文本日期", deadline="2025年12月31日"),
            req("日期单元格", deadline=date(2025, 12, 31)), req("文本序列号", deadline="46022")]

    run_import(bureau, xlsx_bytes(rows))

    assert set(Requirement.objects.filter(provenance=Provenance.IMPORT).values_list("deadline", flat=True)) == {
        date(2025, 12, 31)}
    assert len(imported()) == 4


def test_a_title_row_above_the_header_is_skipped_and_row_numbers_stay_the_sheets(bureau):
    rows = [["2026年沈阳市企业技术需求调查表"], HEAD, req("数控机床主轴热变形补偿"), req("成熟度有误", trl="十")]

    job = run_import(bureau, xlsx_bytes(rows, merges=("A1:J1",)))

    assert report(job)["errors"] == [{"row": 4, "column": "技术成熟度",
                                      "message": "The TRL must be a whole number from 1 to 9."}]
    assert job.preview["header_row"] == 2


# --- bad files ---------------------------------------------------------------------------------

def _refused(actor, content: bytes, name: str) -> dict:
    with pytest.raises(ApplicationError) as refused:
        imports.import_job_create(actor=actor, kind="requirement", upload=upload(content, name), language="en")
    return {"code": refused.value.code, "message": str(refused.value.message), "errors": refused.value.extra["errors"]}


def _nothing_kept(settings) -> bool:
    root = settings.TECHDOCK_IMPORT_DIR
    return not ImportJob.objects.exists() and not any(files for _d, _s, files in os.walk(root))


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(64)


def test_a_renamed_png_is_refused_by_its_bytes_not_its_name(bureau, settings):
    refused = _refused(bureau, PNG, "survey.xlsx")

    message = "This is a PNG file, not a spreadsheet. Upload an Excel workbook (.xlsx) or a CSV file."
    assert refused == {"code": "not_spreadsheet", "message": message,
                       "errors": [{"row": None, "column": None, "message": message}]}
    assert _nothing_kept(settings)


def test_a_plain_zip_and_an_old_xls_renamed_xlsx_are_refused(bureau, settings):
    assert _refused(bureau, zip_bytes({"readme.txt": b"hello"}), "survey.xlsx")["message"] == (
        "This is a zip archive, not an Excel workbook. Upload an Excel workbook (.xlsx) or a CSV file.")
    assert _refused(bureau, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "survey.xlsx")["code"] == "legacy_xls"
    assert _nothing_kept(settings)


def test_a_zip_bomb_posing_as_xlsx_is_refused_before_openpyxl_opens_it(bureau, settings):
    bomb = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                      "xl/worksheets/sheet1.xml": b"0" * (50 * 1024 * 1024)})
    assert len(bomb) < 200 * 1024

    refused = _refused(bureau, bomb, "survey.xlsx")

    assert refused["code"] == "zip_bomb"
    assert refused["message"] == ("The workbook unpacks to far more data than its size suggests (a “zip bomb”) and "
                                  "was refused. Save it again from Excel, or split it.")
    assert _nothing_kept(settings)


def test_a_workbook_over_the_unpacked_size_limit_is_refused(bureau, settings):
    settings.TECHDOCK_IMPORT_MAX_UNCOMPRESSED_BYTES = 2000

    refused = _refused(bureau, xlsx_bytes([HEAD, req("数控机床主轴热变形补偿")]), "survey.xlsx")

    assert refused["code"] == "zip_bomb"
    assert _nothing_kept(settings)


def test_an_oversize_file_is_refused(bureau, settings):
    settings.TECHDOCK_IMPORT_MAX_BYTES = 4096

    content = csv_text([HEAD] + [req(f"需求{i}") for i in range(40)]).encode()

    refused = _refused(bureau, content, "big.csv")

    assert refused["code"] == "too_large"
    assert refused["message"] == (f"The file is {round(len(content) / 1024)} KB; the limit is 4 KB. Split it into "
                                  "several files.")
    assert _nothing_kept(settings)


def test_a_10_mb_cell_is_reported_for_that_cell_and_the_other_rows_imported(bureau):
    huge = base64.b64encode(os.urandom(7_864_320)).decode()  # 10,485,760 characters, barely compressible
    rows = [HEAD, req("数控机床主轴热变形补偿"), req("超大单元格", summary="HUGE-CELL"), req("工业机器人视觉定位")]

    job = run_import(bureau, replace_in_xlsx(xlsx_bytes(rows), "HUGE-CELL", huge))

    assert report(job) == {"status": "done", "rows": 3, "created": 2, "updated": 0, "unchanged": 0,
                           "duplicates": 0, "errors": [
        {"row": 3, "column": "需求简介",
         "message": "This cell holds 10,485,760 characters; a cell may hold at most 32,767."}]}
    assert imported() == ["数控机床主轴热变形补偿", "工业机器人视觉定位"]


def test_merged_cells_down_a_column_fill_each_row_and_merged_across_columns_are_errors(bureau):
    rows = [HEAD,
            req("数控机床主轴热变形补偿"), req("工业机器人视觉定位", org=None), req("激光焊接质量检测", org=None),
            req("跨列合并的标题", summary=None)]

    job = run_import(bureau, xlsx_bytes(rows, merges=("B2:B4", "A5:D5")))

    assert report(job) == {"status": "done", "rows": 4, "created": 3, "updated": 0, "unchanged": 0,
                           "duplicates": 0, "errors": [
        {"row": 5, "column": "需求名称", "message": "Cells A5:D5 are merged across several columns; unmerge them so "
                                                  "that each column has its own value."}]}
    assert job.preview["notices"] == ["Merged cells B2:B4: the value of each merged range was used on every row it "
                                      "spans."]
    assert set(Requirement.objects.filter(provenance=Provenance.IMPORT).values_list("organisation__name_zh",
                                                                                     flat=True)) == {"甲企业"}


# --- CSV encodings -----------------------------------------------------------------------------

def test_gbk_csv_from_chinese_excel_is_read(bureau):
    content = csv_text([HEAD, req("数控机床主轴热变形补偿"), req("工业机器人视觉定位")]).encode("gbk")

    job = run_import(bureau, content, name="需求.csv")

    assert (job.file_format, job.encoding) == ("csv", "gb18030")
    assert report(job)["created"] == 2
    assert imported() == ["数控机床主轴热变形补偿", "工业机器人视觉定位"]
    assert Requirement.objects.get(title="工业机器人视觉定位").summary == SUMMARY


def test_utf8_csv_with_bom_is_read(bureau):
    content = "\ufeff".encode() + csv_text([HEAD, req("数控机床主轴热变形补偿")]).encode()

    job = run_import(bureau, content, name="需求.csv")

    assert (job.encoding, report(job)["created"], report(job)["errors"]) == ("utf-8-sig", 1, [])
    assert imported() == ["数控机床主轴热变形补偿"]


def test_a_csv_mixing_encodings_reports_the_odd_row_and_imports_the_rest(bureau):
    lines = csv_text([HEAD, req("数控机床主轴热变形补偿"), req("工业机器人视觉定位"), req("激光焊接质量检测")])
    head, first, second, third = lines.splitlines(keepends=True)
    content = head.encode("gbk") + first.encode("gbk") + second.encode("utf-8") + third.encode("gbk")

    job = run_import(bureau, content, name="merged.csv")

    assert report(job) == {"status": "done", "rows": 3, "created": 2, "updated": 0, "unchanged": 0,
                           "duplicates": 0, "errors": [
        {"row": 3, "column": "", "message": "This row is encoded as UTF-8 but the rest of the file as GB18030/GBK, "
                                            "so it was not imported; save the whole file in one encoding (CSV UTF-8 "
                                            "is best) and upload it again."}]}
    assert imported() == ["数控机床主轴热变形补偿", "激光焊接质量检测"]


def test_a_tab_separated_utf16_export_is_read(bureau):
    content = csv_text([HEAD, req("数控机床主轴热变形补偿")]).replace(",", "\t").encode("utf-16")

    job = run_import(bureau, content, name="unicode.txt")

    assert (job.encoding, report(job)["created"]) == ("utf-16", 1)


# --- duplicates ----------------------------------------------------------------------------------

def test_near_duplicates_of_the_owners_listings_are_flagged_for_the_bureau(bureau, world):
    same_title = RequirementFactory(organisation=world.ent_a, title="数控机床主轴热变形补偿！",
                                    summary="旧的描述，与导入行不同的内容。")
    punctuated = RequirementFactory(organisation=world.ent_a, title="工业机器人视觉定位系统",
                                      summary="为焊接工业机器人寻求高精度视觉定位系统，定位误差小于0.1毫米。")
    other_owner = RequirementFactory(organisation=world.ent_b, title="激光焊接质量检测")

    job = run_import(bureau, xlsx_bytes([
        HEAD, req("数控机床主轴热变形补偿"),
        req("工业机器人视觉定位系统。", summary="为焊接工业机器人寻求高精度视觉定位系统，定位误差小于0.1毫米！"),
        req("激光焊接质量检测")]))

    assert report(job) == {"status": "done", "rows": 3, "created": 3, "updated": 0, "unchanged": 0,
                           "duplicates": 2, "errors": []}
    new_title = Requirement.objects.get(title="数控机床主轴热变形补偿")
    new_text = Requirement.objects.get(title="工业机器人视觉定位系统。")
    flags = {(f.listing_id, f.other_id, f.method, f.status, f.import_row)
             for f in DuplicateCandidate.objects.all()}
    assert flags == {(new_title.pk, same_title.pk, "owner_title", "open", 2),
                     (new_text.pk, punctuated.pk, "owner_title", "open", 3)}
    assert other_owner.pk not in {f.other_id for f in DuplicateCandidate.objects.all()}


def test_similar_text_under_another_title_is_flagged_by_trigram_similarity(bureau, world):
    summary = "寻求废旧动力锂电池中钴、镍、锂的高效回收工艺，回收率达到95%以上，能耗低且环保。"
    existing = RequirementFactory(organisation=world.ent_a, title="废旧动力锂电池高效回收工艺", summary=summary)

    job = run_import(bureau, xlsx_bytes([HEAD, req("废旧动力锂电池的高效回收工艺", summary=summary)]))

    flag = DuplicateCandidate.objects.get()
    assert (flag.other_id, flag.method, report(job)["duplicates"]) == (existing.pk, "text", 1)
    assert 0.8 <= flag.similarity < 1
    assert job.preview["duplicate_rows"][0]["method"] == "text"


# --- organisations and achievements ---------------------------------------------------------------

def test_organisations_import_creates_approved_ones_and_matches_by_credit_code_then_name(bureau, world):
    head = ["单位名称", "英文名称", "统一社会信用代码", "单位类型", "所在区县", "地址"]
    rows = [head,
            ["沈阳新材料有限公司", "Shenyang New Materials Co.", NEW_CODE, "企业", "浑南区", "智慧大街1号"],
            ["东北测试大学", "NE Test University", "", "高校", "皇姑区", "北陵大街"],
            ["新研究院", "", "", "科研院所", "沈阳市沈北新区", ""],
            ["无代码企业有限公司", "", "", "企业", "", ""]]

    job = run_import(bureau, xlsx_bytes(rows), kind="organisation")

    assert report(job) == {"status": "done", "rows": 4, "created": 2, "updated": 1, "unchanged": 0,
                           "duplicates": 0, "errors": [
        {"row": 5, "column": "单位名称",
         "message": "The enterprise “无代码企业有限公司” is not registered yet; give its unified social credit code so "
                    "that it can be created."}]}
    created = Organisation.objects.get(credit_code=NEW_CODE)
    assert (created.kind, created.region, created.status, created.address) == (
        "enterprise", "hunnan", OrganisationStatus.APPROVED, "智慧大街1号")
    world.uni.refresh_from_db()
    assert (world.uni.region, world.uni.address) == ("huanggu", "北陵大街")
    assert Organisation.objects.get(name_zh="新研究院").region == "shenbei"
    assert report(run_import(bureau, xlsx_bytes(rows), kind="organisation"))["unchanged"] == 3


def test_achievements_need_a_trl_column_and_go_to_evaluation_screened(bureau, world):
    head = ["成果名称", "完成单位", "成果简介", "技术领域", "合作方式", "技术成熟度", "意向价格"]
    rows = [head, ["低温焙烧回收钴镍锂", "东北测试大学", "采用低温焙烧与选择性浸出，钴镍锂综合回收率超过96%。",
                   "资源循环利用", "技术许可、作价入股", 6, "200万元"]]

    job = run_import(bureau, xlsx_bytes(rows), kind="achievement")

    assert report(job)["created"] == 1
    achievement = Achievement.objects.get(title="低温焙烧回收钴镍锂")
    assert (achievement.organisation, achievement.status, achievement.trl, achievement.evaluation_result) == (
        world.uni, ListingStatus.SCREENED, 6, "pending")
    assert (achievement.cooperation_modes, achievement.budget_min, achievement.budget_max) == (
        ["licence", "equity"], 200, 200)
    missing = run_import(bureau, xlsx_bytes([head[:-2], rows[1][:-2]]), kind="achievement")
    assert missing.errors[0]["message"].startswith("Required columns are missing: 技术成熟度 / TRL.")


def test_a_pending_organisation_is_reported_not_used(bureau, world):
    job = run_import(bureau, xlsx_bytes([HEAD, req("数控机床主轴热变形补偿", org="待审企业")]))

    assert report(job)["errors"] == [{"row": 2, "column": "企业名称", "message": "The organisation “待审企业” has not "
                                      "been approved; approve or reject it first."}]
    assert imported() == []


# --- the template round trip -------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["requirement", "achievement", "organisation"])
def test_the_bilingual_template_headers_are_all_recognised(db, kind):
    import io

    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(intake.template_xlsx(kind)))
    headers = [cell.value for cell in workbook.worksheets[0][1]]

    assert all(" / " in header for header in headers)
    assert [intake.header_key(kind, header) for header in headers] == intake.TEMPLATE_COLUMNS[kind]
    assert workbook.sheetnames[:2] == ["数据 Data", "填写说明 Instructions"]


def test_a_filled_in_template_imports(bureau, world):
    import io

    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(intake.template_xlsx("requirement")))
    sheet = workbook.worksheets[0]
    values = {"title": "数控机床主轴热变形补偿", "organisation": "甲企业", "summary": SUMMARY,
              "fields": "machine-tools", "cooperation_modes": "Technology transfer", "trl": 6, "budget": "100以上",
              "region": "Tiexi",
              "ip_status": "已授权", "patent_numbers": "ZL202310000000.1", "confidentiality": "会员"}
    sheet.append([values.get(key) for key in intake.TEMPLATE_COLUMNS["requirement"]])
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = run_import(bureau, buffer.getvalue())

    assert report(job)["errors"] == [] and report(job)["created"] == 1
    listing = Requirement.objects.get(title="数控机床主轴热变形补偿")
    assert (listing.cooperation_modes, listing.trl_min, listing.budget_min, listing.budget_max, listing.region,
            listing.ip_status, listing.confidentiality) == (["transfer"], 6, 100, None, "tiexi", "granted", "members")


# --- resuming an interrupted import ----------------------------------------------------------------

def test_an_import_interrupted_mid_way_keeps_whole_batches_and_resumes_exactly(bureau, settings):
    from django.db.models.signals import pre_save

    settings.TECHDOCK_IMPORT_BATCH_ROWS = 2
    titles = ["需求一：数控机床热补偿", "需求二：机器人视觉定位", "需求三：激光焊接检测", "需求四：锂电池回收",
              "需求五：氢燃料电池"]
    job = run_import(bureau, xlsx_bytes([HEAD, *[req(t) for t in titles]]), commit=False)

    def worker_dies(sender, instance, **kwargs):  # the worker is killed while writing row 5
        if instance.title == titles[3]:
            raise RuntimeError("worker lost")

    pre_save.connect(worker_dies, sender=Requirement)
    try:
        with pytest.raises(RuntimeError):
            imports.import_commit(actor=bureau, job=job)
    finally:
        pre_save.disconnect(worker_dies, sender=Requirement)
    job.refresh_from_db()
    assert (job.status, job.cursor, job.created_count) == (ImportStatus.FAILED, 3, 2)
    assert imported() == titles[:2]  # the second batch was rolled back whole

    job = imports.import_commit(actor=bureau, job=job)

    assert report(job) == {"status": "done", "rows": 5, "created": 5, "updated": 0, "unchanged": 0,
                           "duplicates": 0, "errors": []}
    assert imported() == titles
