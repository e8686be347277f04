"""Rows of the catalog pages and API (``catalog.rules``): who reads which listing (full access for
the owner, the bureau, the assigned broker and the assigned expert; member access for signed-in
members to live public and members-tier listings; the public summary for anonymous visitors; nobody
else for confidential and unpublished ones), who edits, submits, withdraws (owner, bureau), who
screens, rejects, publishes, assigns brokers and experts, imports, exports and decides duplicates
(bureau), who scores (the assigned expert).

The objects (``tests.conftest.world``): ``req_public`` / ``req_members`` / ``req_restricted``
(broker assigned) / ``req_draft`` of enterprise A, ``req_rejected_b`` of enterprise B,
``ach_public`` / ``ach_screened`` (the expert evaluates it) / ``ach_restricted`` of the
university. A listing a role may not read is a 404 to it, also for writes; a write on a listing it
reads but may not change is a 403."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.permission_matrix import (
    ALLOWED,
    BUREAU_ONLY,
    BUREAU_PAGE,
    FORBIDDEN,
    HIDDEN,
    INVALID,
    LOGIN,
    OK,
    PUBLIC,
    SIGNED_IN_OK,
    Row,
    only,
    policy,
)


def listing(name: str, **extra):
    return lambda d: {"pk": getattr(d.w, name).pk, **extra}


def kind(name: str) -> str:
    """``req_…`` and ``ach_…`` objects of the world are requirements and achievements."""
    return {"req": "requirement", "ach": "achievement"}[name[:3]]


def pk(name: str):
    return lambda d: {"pk": getattr(d, name).pk}


# Who reads each listing (detail pages and GET of the API).
READ = {
    "req_public": PUBLIC,
    "req_members": policy(OK, anonymous=HIDDEN),
    "req_restricted": policy(HIDDEN, ent_a=OK, bureau=OK, broker=OK),
    "req_draft": policy(HIDDEN, ent_a=OK, bureau=OK),
    "req_rejected_b": policy(HIDDEN, ent_b=OK, bureau=OK),
    "ach_public": PUBLIC,
    "ach_screened": policy(HIDDEN, university=OK, bureau=OK, expert=OK),
    "ach_restricted": policy(HIDDEN, university=OK, bureau=OK),
}


def write(read: dict, *allowed: str, outcome=ALLOWED) -> dict:
    """A write on a listing: ``allowed`` may, whoever reads it may not (403), whoever does not
    read it gets a 404, anonymous visitors are sent to sign in."""
    expect = {role: (FORBIDDEN if seen in (OK,) else HIDDEN) for role, seen in read.items()}
    expect.update({role: outcome for role in allowed})
    expect["anonymous"] = LOGIN
    return expect


def pdf(d) -> dict:
    return {"file": SimpleUploadedFile("matrix.pdf", b"%PDF-1.4\n", content_type="application/pdf")}


REQUIREMENT_POSTERS = ("ent_a", "ent_b", "bureau")
ACHIEVEMENT_POSTERS = ("university", "bureau")


def requirement_payload(d) -> dict:
    return {"organisation": d.w.ent_a.pk, "title": "矩阵测试需求", "fields": ["energy-storage"],
            "summary": "寻求耐腐蚀双极板涂层技术，寿命5000小时。", "cooperation_modes": ["development"], "trl_min": 4}


def achievement_payload(d) -> dict:
    return {"organisation": d.w.uni.pk, "title": "矩阵测试成果", "fields": ["energy-storage"],
            "summary": "低温焙烧与选择性浸出回收钴镍锂，回收率超过96%。", "cooperation_modes": ["transfer"], "trl": 6}


def transition(name: str, action: str):
    return lambda d: {"pk": getattr(d.w, name).pk, "action": action}


SCORES = {"novelty": 7, "maturity": 6, "market": 8, "team": 7}

ROWS = [
    # --- lists, create, export ---------------------------------------------------------------
    Row("catalog:requirement-list", "GET", PUBLIC),
    Row("catalog:achievement-list", "GET", PUBLIC),
    Row("catalog:requirement-create", "GET", only(*REQUIREMENT_POSTERS, outcome=OK)),
    Row("catalog:requirement-create", "POST", only(*REQUIREMENT_POSTERS)),
    Row("catalog:achievement-create", "GET", only(*ACHIEVEMENT_POSTERS, outcome=OK)),
    Row("catalog:achievement-create", "POST", only(*ACHIEVEMENT_POSTERS)),
    Row("catalog:requirement-export", "GET", BUREAU_PAGE, query="format=csv"),
    Row("catalog:achievement-export", "GET", BUREAU_PAGE, query="format=csv"),
    # --- detail: every listing, each hidden from someone -----------------------------------------
    *[Row(f"catalog:{kind(name)}-detail", "GET", expect, kwargs=listing(name), obj=name)
      for name, expect in READ.items()],
    # --- edit: the owner while a draft or rejected, bureau staff until closed ---------------------
    Row("catalog:requirement-edit", "GET", write(READ["req_draft"], "ent_a", "bureau", outcome=OK),
        kwargs=listing("req_draft"), obj="req_draft"),
    Row("catalog:requirement-edit", "GET", write(READ["req_restricted"], "bureau", outcome=OK),
        kwargs=listing("req_restricted"), obj="req_restricted"),
    Row("catalog:requirement-edit", "POST", write(READ["req_draft"], "ent_a", "bureau"),
        kwargs=listing("req_draft"), obj="req_draft"),
    Row("catalog:requirement-edit", "POST", write(READ["req_public"], "bureau"), kwargs=listing("req_public"),
        obj="req_public (published: not the owner's to edit)"),
    Row("catalog:achievement-edit", "GET", write(READ["ach_restricted"], "bureau", outcome=OK),
        kwargs=listing("ach_restricted"), obj="ach_restricted"),
    Row("catalog:achievement-edit", "POST", write(READ["ach_screened"], "bureau"), kwargs=listing("ach_screened"),
        obj="ach_screened"),
    # --- brokers: bureau staff only (checked before the listing is looked up) ---------------------
    Row("catalog:requirement-assign-brokers", "POST", BUREAU_ONLY, kwargs=listing("req_restricted"),
        obj="req_restricted", data=lambda d: {"brokers": [d.w.other_broker.pk]}),
    Row("catalog:achievement-assign-brokers", "POST", BUREAU_ONLY, kwargs=listing("ach_restricted"),
        obj="ach_restricted", data=lambda d: {"brokers": [d.w.other_broker.pk]}),
    # --- lifecycle ---------------------------------------------------------------------------
    Row("catalog:requirement-transition", "POST", write(READ["req_draft"], "ent_a", "bureau"),
        kwargs=transition("req_draft", "submit"), obj="submit req_draft"),
    Row("catalog:requirement-transition", "POST", write(READ["req_public"], "ent_a", "bureau"),
        kwargs=transition("req_public", "withdraw"), obj="withdraw req_public"),
    Row("catalog:requirement-transition", "POST", write(READ["req_members"], "bureau"),
        kwargs=transition("req_members", "screen"), obj="screen req_members"),
    Row("catalog:requirement-transition", "POST", write(READ["req_rejected_b"], "bureau"),
        kwargs=transition("req_rejected_b", "reject"), obj="reject req_rejected_b",
        data=lambda d: {"reason": "matrix"}),
    Row("catalog:requirement-transition", "POST", write(READ["req_restricted"], "bureau"),
        kwargs=transition("req_restricted", "publish"), obj="publish req_restricted"),
    Row("catalog:achievement-transition", "POST", write(READ["ach_screened"], "bureau"),
        kwargs=transition("ach_screened", "publish"), obj="publish ach_screened"),
    Row("catalog:achievement-transition", "POST", write(READ["ach_public"], "university", "bureau"),
        kwargs=transition("ach_public", "withdraw"), obj="withdraw ach_public"),
    # --- attachments -------------------------------------------------------------------------
    Row("catalog:attachment-upload", "POST", write(READ["req_members"], "ent_a", "bureau"),
        kwargs=lambda d: {"kind": "requirement", "pk": d.w.req_members.pk}, obj="req_members", data=pdf),
    Row("catalog:attachment-upload", "POST", write(READ["ach_screened"], "university", "bureau"),
        kwargs=lambda d: {"kind": "achievement", "pk": d.w.ach_screened.pk}, obj="ach_screened", data=pdf),
    # Files go to readers with member access or more; anyone else gets the 404 of a missing file.
    Row("catalog:attachment-download", "GET", READ["req_members"], kwargs=pk("attachment_members"),
        obj="of req_members"),
    Row("catalog:attachment-download", "GET", READ["req_restricted"], kwargs=pk("attachment_restricted"),
        obj="of req_restricted"),
    # --- screening and evaluation --------------------------------------------------------------
    Row("catalog:screening", "GET", BUREAU_PAGE),
    Row("catalog:achievement-evaluation", "GET", BUREAU_PAGE, kwargs=listing("ach_screened"), obj="ach_screened"),
    Row("catalog:achievement-evaluation", "POST", BUREAU_ONLY, kwargs=listing("ach_screened"), obj="ach_screened",
        data=lambda d: {"action": "decide", "passed": "yes"}),
    Row("catalog:evaluation-list", "GET", SIGNED_IN_OK),
    Row("catalog:evaluation-detail", "GET", policy(HIDDEN, anonymous=LOGIN, expert=OK, bureau=OK),
        kwargs=pk("evaluation"), obj="the expert's"),
    # Only the assigned expert scores; bureau staff read the evaluation but may not score it.
    Row("catalog:evaluation-detail", "POST", policy(HIDDEN, anonymous=LOGIN, expert=ALLOWED, bureau=FORBIDDEN),
        kwargs=pk("evaluation"), obj="the expert's", data=lambda d: SCORES),
    # --- imports, duplicates (bureau staff) -----------------------------------------------------
    Row("catalog:import-upload", "GET", BUREAU_PAGE),
    Row("catalog:import-upload", "POST", BUREAU_ONLY),
    # The bilingual template is public, so that a bureau can send the link with its survey.
    Row("catalog:import-template", "GET", PUBLIC, kwargs=lambda d: {"kind": "requirement"}),
    Row("catalog:import-detail", "GET", BUREAU_PAGE, kwargs=pk("import_job"), obj="the bureau's"),
    Row("catalog:import-progress", "GET", BUREAU_PAGE, kwargs=pk("import_job"), obj="the bureau's"),
    Row("catalog:import-commit", "POST", BUREAU_ONLY, kwargs=pk("import_job"), obj="the bureau's"),
    Row("catalog:import-errors", "GET", BUREAU_PAGE, kwargs=lambda d: {"pk": d.import_job.pk, "fmt": "csv"},
        obj="the bureau's"),
    Row("catalog:duplicate-list", "GET", BUREAU_PAGE),
    # A duplicate is looked up among the bureau's: for anyone else it does not exist.
    Row("catalog:duplicate-decide", "POST", policy(HIDDEN, anonymous=LOGIN, bureau=ALLOWED),
        kwargs=lambda d: {"pk": d.duplicate.pk, "action": "keep"}, obj="keep"),
    Row("catalog:duplicate-decide", "POST", policy(HIDDEN, anonymous=LOGIN, bureau=ALLOWED),
        kwargs=lambda d: {"pk": d.duplicate.pk, "action": "merge"}, obj="merge"),
    # --- API ---------------------------------------------------------------------------------
    Row("catalog-api:taxonomy", "GET", PUBLIC),
    Row("catalog-api:requirement-export", "GET", BUREAU_PAGE, query="format=csv"),
    Row("catalog-api:achievement-export", "GET", BUREAU_PAGE, query="format=csv"),
    # The job's file is gone (the row was written by the test): bureau staff get the 400 that says so.
    Row("catalog-api:import-errors-csv", "GET", BUREAU_ONLY, kwargs=pk("import_job"), obj="the bureau's"),
    Row("catalog-api:requirement-list", "GET", PUBLIC),
    Row("catalog-api:requirement-list", "POST", only("ent_a", "bureau"), data=requirement_payload,
        obj="for enterprise A"),
    Row("catalog-api:achievement-list", "GET", PUBLIC),
    Row("catalog-api:achievement-list", "POST", only("university", "bureau"), data=achievement_payload,
        obj="for the university"),
    *[Row(f"catalog-api:{kind(name)}-detail", "GET", expect, kwargs=listing(name), obj=name)
      for name, expect in READ.items()],
    Row("catalog-api:requirement-detail", "PATCH", write(READ["req_draft"], "ent_a", "bureau"),
        kwargs=listing("req_draft"), obj="req_draft", data=lambda d: {"title": "矩阵改名"}),
    Row("catalog-api:requirement-detail", "PATCH", write(READ["req_restricted"], "bureau"),
        kwargs=listing("req_restricted"), obj="req_restricted", data=lambda d: {"title": "矩阵改名"}),
    Row("catalog-api:achievement-detail", "PATCH", write(READ["ach_screened"], "bureau"),
        kwargs=listing("ach_screened"), obj="ach_screened", data=lambda d: {"title": "矩阵改名"}),
    Row("catalog-api:requirement-assign-brokers", "POST", write(READ["req_restricted"], "bureau"),
        kwargs=listing("req_restricted"), obj="req_restricted", data=lambda d: {"brokers": [d.w.other_broker.pk]}),
    Row("catalog-api:achievement-assign-brokers", "POST", write(READ["ach_restricted"], "bureau"),
        kwargs=listing("ach_restricted"), obj="ach_restricted", data=lambda d: {"brokers": [d.w.other_broker.pk]}),
    Row("catalog-api:requirement-submit", "POST", write(READ["req_draft"], "ent_a", "bureau"),
        kwargs=listing("req_draft"), obj="req_draft"),
    Row("catalog-api:achievement-submit", "POST", write(READ["ach_restricted"], "university", "bureau"),
        kwargs=listing("ach_restricted"), obj="ach_restricted"),
    Row("catalog-api:requirement-screen", "POST", write(READ["req_members"], "bureau"),
        kwargs=listing("req_members"), obj="req_members"),
    Row("catalog-api:achievement-screen", "POST", write(READ["ach_screened"], "bureau"),
        kwargs=listing("ach_screened"), obj="ach_screened"),
    Row("catalog-api:requirement-reject", "POST", write(READ["req_rejected_b"], "bureau"),
        kwargs=listing("req_rejected_b"), obj="req_rejected_b", data=lambda d: {"reason": "matrix"}),
    Row("catalog-api:achievement-reject", "POST", write(READ["ach_public"], "bureau"),
        kwargs=listing("ach_public"), obj="ach_public", data=lambda d: {"reason": "matrix"}),
    Row("catalog-api:requirement-publish", "POST", write(READ["req_restricted"], "bureau"),
        kwargs=listing("req_restricted"), obj="req_restricted"),
    Row("catalog-api:achievement-publish", "POST", write(READ["ach_screened"], "bureau"),
        kwargs=listing("ach_screened"), obj="ach_screened"),
    Row("catalog-api:requirement-withdraw", "POST", write(READ["req_public"], "ent_a", "bureau"),
        kwargs=listing("req_public"), obj="req_public"),
    Row("catalog-api:achievement-withdraw", "POST", write(READ["ach_public"], "university", "bureau"),
        kwargs=listing("ach_public"), obj="ach_public"),
    Row("catalog-api:achievement-decide", "POST", write(READ["ach_screened"], "bureau"),
        kwargs=listing("ach_screened"), obj="ach_screened", data=lambda d: {"passed": True}),
    Row("catalog-api:evaluation-list", "GET", SIGNED_IN_OK),
    # The achievement is looked up among those the user reads: for the others, it does not exist.
    Row("catalog-api:evaluation-list", "POST", write(READ["ach_screened"], "bureau") | {
        role: INVALID for role, seen in READ["ach_screened"].items() if seen == HIDDEN and role != "anonymous"},
        obj="assign the expert",
        data=lambda d: {"achievement": d.w.ach_screened.pk, "expert": d.w.expert.pk}),
    Row("catalog-api:evaluation-detail", "GET", policy(HIDDEN, anonymous=LOGIN, expert=OK, bureau=OK),
        kwargs=pk("evaluation"), obj="the expert's"),
    Row("catalog-api:evaluation-submit", "POST", policy(HIDDEN, anonymous=LOGIN, expert=ALLOWED, bureau=FORBIDDEN),
        kwargs=pk("evaluation"), obj="the expert's", data=lambda d: SCORES),
    Row("catalog-api:import-list", "GET", BUREAU_PAGE),
    Row("catalog-api:import-list", "POST", BUREAU_ONLY),
    Row("catalog-api:import-detail", "GET", BUREAU_PAGE, kwargs=pk("import_job"), obj="the bureau's"),
    Row("catalog-api:import-commit", "POST", BUREAU_ONLY, kwargs=pk("import_job"), obj="the bureau's"),
]
