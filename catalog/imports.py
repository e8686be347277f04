"""Spreadsheet imports for bureau staff: upload → dry-run preview → commit.

``import_job_create`` stores the upload (checked by ``catalog.intake.sniff`` first: nothing that
is not a readable XLSX/CSV within the limits is kept). ``import_preview`` reads every row and
validates it exactly as the commit will — taxonomy, organisation, the model's ``full_clean``,
what the lifecycle services require — and reports what would be created, updated or left
unchanged, every row's errors and the near-duplicates, writing nothing but the job row.
``import_commit`` reads the file again (its sha256 must match) and writes the valid rows
through ``catalog.services`` (``listing_create``, ``listing_screen``, ``listing_update``), so
imported listings get the same validation, search text, audit trail and change signal as any
other; invalid rows are reported and skipped.

Idempotent: a row is keyed by (organisation, external_ref), the reference taken from the
sheet's reference column or else a hash of the normalised title
(``intake.title_ref``). A row whose listing exists and whose values are unchanged is not
written: importing the same file twice creates and updates nothing.

All or nothing, resumably: rows are committed in batches of ``TECHDOCK_IMPORT_BATCH_ROWS``,
each batch in one transaction together with the job's counts and its cursor (the last
committed row), and each row in a savepoint inside it (a row that fails at write time is
rolled back alone and reported). A killed worker therefore leaves a consistent prefix; the
task is acknowledged late, so it is delivered again (or ``import_resume_stalled`` re-sends it)
and resumes after the cursor with exact counts. Not one transaction for the whole file:
20,000 rows would hold their locks for minutes, the progress bar (the job row) would be
invisible to the page polling it until the end, and a crash at row 19,999 would throw all of
it away.

Imported listings are created ``screened``: the bureau collected them (survey) and its
preview was the formal check, so requirements wait in the screening queue only to be
published, and achievements go to expert evaluation before they can be published (as
``listing_publish`` enforces). Organisations are matched by credit code, then by exact
Chinese name (then English name); unknown ones are created approved (bureau staff vouch for
them) — enterprises need a credit code.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.enums import OrganisationKind, OrganisationStatus, Region, Role
from accounts.models import Organisation, User
from accounts.rules import roles_for
from catalog import duplicates, intake, rules, services
from catalog.enums import CLOSED_STATUSES, ListingStatus, Provenance
from catalog.intake import CleanRow, IntakeError, RowError
from catalog.models import (
    ACTIVE_IMPORT_STATUSES,
    Field,
    ImportJob,
    ImportKind,
    ImportStatus,
    Listing,
)
from common.errors import ApplicationError, PermissionDenied

logger = logging.getLogger(__name__)

PREVIEW_SAMPLES = 20
PREVIEW_DUPLICATES = 200
# Row keys that identify or trace a listing rather than describe it: never compared or updated.
_NOT_UPDATED = {"provenance", "collected_by", "external_ref"}


def setting(name: str, default):
    return getattr(settings, name, default)


def import_dir() -> Path:
    """Uploaded files; under MEDIA_ROOT by default so that web and worker share them (never
    served: no URL maps to them)."""
    configured = setting("TECHDOCK_IMPORT_DIR", None)
    return Path(configured) if configured else Path(settings.MEDIA_ROOT) / "imports"


def job_path(job: ImportJob) -> Path:
    return import_dir() / job.file_name


def _require_bureau(actor) -> None:
    if not rules.can_screen_listings(actor):
        raise PermissionDenied(_("Only bureau staff can import spreadsheets."))


# --- upload ------------------------------------------------------------------------------------

def import_job_create(*, actor: User, kind: str, upload, language: str | None = None) -> ImportJob:
    """Store an uploaded file (anything with ``name``, ``size`` and ``chunks()``, e.g. an
    ``UploadedFile`` or a ``django.core.files.File``) as a pending import. The file is
    sniffed first; a file that is not a readable spreadsheet raises ``ApplicationError``
    (with ``extra["errors"]``) and is not kept. Messages are in ``language`` (the job's
    language for its later reports), else the active one."""
    with translation.override(language or translation.get_language()):
        return _import_job_create(actor=actor, kind=kind, upload=upload, language=language)


def _import_job_create(*, actor: User, kind: str, upload, language: str | None) -> ImportJob:
    _require_bureau(actor)
    if kind not in ImportKind.values:
        raise ApplicationError(_("Choose what the file holds: requirements, achievements or organisations."),
                               code="bad_kind")
    limit = intake.limits()
    size = upload.size or 0
    if size > limit.max_bytes:
        error = intake.too_large(size, limit)
        raise ApplicationError(error.message, code=error.code, extra={"errors": [error.as_dict()]})
    relative = f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}.upload"
    target = import_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    try:
        info = intake.sniff(target, limit=limit)
    except IntakeError as error:
        target.unlink(missing_ok=True)
        raise ApplicationError(error.message, code=error.code, extra={"errors": [error.as_dict()]}) from None
    name = Path(upload.name or "upload").name[:255]
    return ImportJob.objects.create(
        kind=kind, file_name=relative, original_name=name, size=info.size, sha256=intake.sha256_of(target),
        file_format=info.format, encoding=info.encoding, language=language or translation.get_language() or "zh-hans",
        created_by=actor,
    )


# --- claiming a job ----------------------------------------------------------------------------

class _TakenOver(Exception):
    """Another task owns the job now (it was re-sent after looking stalled)."""


def _stale(job: ImportJob) -> bool:
    limit = timedelta(seconds=setting("TECHDOCK_IMPORT_STALL_SECONDS", 600))
    return job.heartbeat is None or job.heartbeat < timezone.now() - limit


def _claim(job: ImportJob, *, task_id: str, to: str, allowed: tuple[str, ...]) -> ImportJob:
    """Make the caller the job's owner for one step. The job's own task (a re-delivery after a
    worker died) and anyone after the heartbeat went stale may take over; a second request
    while it runs may not."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        running = locked.status in ACTIVE_IMPORT_STATUSES and locked.status != ImportStatus.PENDING
        if running and locked.task_id != task_id and not _stale(locked):
            raise ApplicationError(_("This import is already running."), code="import_running", status=409)
        if locked.status not in allowed and not (running and locked.status == to):
            raise ApplicationError(_("This import cannot do that in its current state (%(status)s).")
                                   % {"status": locked.get_status_display()}, code="bad_state")
        if to == ImportStatus.IMPORTING and locked.preview is None:
            raise ApplicationError(_("Check the file before importing it."), code="not_previewed")
        now = timezone.now()
        if locked.status != to:
            locked.started_at = now
        locked.status = to
        locked.task_id = task_id
        locked.heartbeat = now
        locked.error_message = ""
        locked.save(update_fields=["status", "task_id", "heartbeat", "started_at", "error_message", "updated_at"])
        return locked


def fail_job(job: ImportJob, message: str, *, errors: list[dict] | None = None) -> ImportJob:
    job.status = ImportStatus.FAILED
    job.error_message = message[:5000]
    job.finished_at = timezone.now()
    fields = ["status", "error_message", "finished_at", "updated_at"]
    if errors is not None:
        job.errors = errors
        fields.append("errors")
    ImportJob.objects.filter(pk=job.pk).update(**{name: getattr(job, name) for name in fields if name != "updated_at"},
                                               updated_at=timezone.now())
    return job


def _verify_file(job: ImportJob) -> Path:
    path = job_path(job)
    if not path.exists():
        raise IntakeError(_("The uploaded file is no longer on the server; upload it again."), code="file_missing")
    if intake.sha256_of(path) != job.sha256:
        raise IntakeError(_("The uploaded file has changed on the server since it was checked; upload it again."),
                          code="file_changed")
    return path


# --- the row engine ----------------------------------------------------------------------------

@dataclass
class Outcome:
    action: str  # "create" | "update" | "unchanged" | "error"
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[tuple] = field(default_factory=list)  # (Entry, method, similarity)
    title: str = ""
    organisation: str = ""
    listing_id: int | None = None


@dataclass
class Report:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    organisations_created: int = 0
    error_rows: int = 0
    errors: list[dict] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.rows += 1
        if outcome.action == "error":
            self.error_rows += 1
            self.errors += [error.as_dict() for error in outcome.errors]
            return
        counter = {"create": "created", "update": "updated", "unchanged": "unchanged"}[outcome.action]
        setattr(self, counter, getattr(self, counter) + 1)
        if outcome.duplicates:
            self.duplicates += 1


@dataclass
class _OrgChoice:
    org: Organisation | None  # an existing (or, when writing, just created) organisation
    new: Organisation | None = None  # an organisation to create (not saved)
    errors: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        if self.org is not None:
            return f"id:{self.org.pk}"
        return f"new:{intake.norm_text(self.new.credit_code or self.new.name_zh)}" if self.new else ""


class _Engine:
    """Validates (and when ``write`` is set, writes) the rows of one job, in file order."""

    def __init__(self, *, actor: User, job: ImportJob, write: bool):
        self.actor = actor
        self.job = job
        self.kind = job.kind
        self.write = write
        self.columns: dict[str, str] = {}  # column key -> header as written (``use_sheet``)
        self.header_order: dict[str, int] = {}
        self.vocabulary = intake.Vocabulary.load()
        self.fields = {f.code: f for f in Field.objects.all()}
        self.model = services.MODELS.get(self.kind)
        self.orgs: dict[str, _OrgChoice] = {}
        # org key -> {"by_ref": {ref: (listing id, status)}, "entries": [Entry]}: a few hundred bytes
        # per listing; a listing itself is read only when its row may update it.
        self.listings: dict[str, dict] = {}
        self.seen: dict[tuple[str, str], int] = {}  # (org key, ref) -> first row
        self.new_orgs: set[str] = set()
        bureau_ids = roles_for(actor).orgs_with(Role.BUREAU_STAFF)
        self.collector = Organisation.objects.filter(pk=bureau_ids[0]).first() if bureau_ids else None
        self.default_batch = Path(job.original_name).stem[:100]

    # organisations ---------------------------------------------------------------------

    @staticmethod
    def _cache_keys(ref: intake.OrgRef) -> list[str]:
        keys = [f"code:{ref.credit_code}"] if ref.credit_code else []
        return keys + ([f"name:{intake.norm_text(ref.name_zh)}"] if ref.name_zh else [])

    def _find_org(self, ref: intake.OrgRef) -> _OrgChoice:
        cache_keys = self._cache_keys(ref)
        for key in cache_keys:
            if key in self.orgs:
                return self.orgs[key]
        choice = self._lookup_org(ref)
        if choice.org is not None or not self.write:
            for key in cache_keys:
                self.orgs[key] = choice
        return choice

    def _lookup_org(self, ref: intake.OrgRef) -> _OrgChoice:
        name = ref.name_zh
        org = Organisation.objects.filter(credit_code=ref.credit_code).first() if ref.credit_code else None
        if org is None and name:
            for lookup in ({"name_zh": name}, {"name_en__iexact": name}):
                matches = list(Organisation.objects.filter(**lookup)[:2])
                if len(matches) > 1:
                    return _OrgChoice(None, errors=[_(
                        "Several organisations are called “%(name)s”; add the credit code column to tell them "
                        "apart.") % {"name": name}])
                if matches:
                    org = matches[0]
                    if ref.credit_code and org.credit_code and org.credit_code != ref.credit_code:
                        return _OrgChoice(None, errors=[_(
                            "The organisation “%(name)s” is registered with another credit code (%(code)s).")
                            % {"name": name, "code": org.credit_code}])
                    break
        if org is not None:
            if org.status != OrganisationStatus.APPROVED:
                return _OrgChoice(None, errors=[_(
                    "The organisation “%(name)s” has not been approved; approve or reject it first.")
                    % {"name": org.name_zh}])
            if org.kind == OrganisationKind.BUREAU and self.kind != ImportKind.ORGANISATION:
                return _OrgChoice(None, errors=[_("Listings cannot be imported for a bureau.")])
            return _OrgChoice(org)
        if not name:
            return _OrgChoice(None, errors=[_(
                "No organisation has the credit code %(code)s; add the organisation's name so that it can be "
                "created.") % {"code": ref.credit_code}])
        kind = ref.kind or intake.guess_organisation_kind(name, self.kind)
        new = Organisation(kind=kind, name_zh=name, name_en=ref.name_en, credit_code=ref.credit_code,
                           region=ref.region or Region.OTHER, status=OrganisationStatus.APPROVED,
                           decided_by=self.actor, decided_at=timezone.now())
        errors = []
        if kind == OrganisationKind.ENTERPRISE and not ref.credit_code:
            errors.append(_("The enterprise “%(name)s” is not registered yet; give its unified social credit code "
                            "so that it can be created.") % {"name": name})
        else:
            try:
                new.full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as error:
                errors += [f"{key}: {m}" if key != "__all__" else m
                           for key, messages in error.message_dict.items() for m in messages]
        return _OrgChoice(None, new=new, errors=errors)

    # listings of an owner --------------------------------------------------------------

    def _owner(self, choice: _OrgChoice) -> dict:
        key = choice.key
        owner = self.listings.get(key)
        if owner is None:
            owner = {"by_ref": {}, "entries": []}
            if choice.org is not None and self.model is not None:
                rows = self.model.objects.filter(organisation=choice.org).values_list(
                    "pk", "external_ref", "status", "title", "summary")
                for pk, ref, status, title, summary in rows.iterator(chunk_size=2000):
                    if ref:
                        owner["by_ref"][ref] = pk
                    if status != ListingStatus.WITHDRAWN:
                        owner["entries"].append(duplicates.entry_for(listing_id=pk, title=title, summary=summary))
            self.listings[key] = owner
        return owner

    # one row ---------------------------------------------------------------------------

    def process(self, sheet_row: intake.SheetRow) -> Outcome:
        row = intake.clean_row(sheet_row, kind=self.kind, columns=self.columns, vocabulary=self.vocabulary)
        if self.kind == ImportKind.ORGANISATION:
            return self._finish(row, self._process_organisation(row))
        return self._finish(row, self._process_listing(row))

    def _error(self, row: CleanRow, column: str, message: str) -> RowError:
        return RowError(row.row, column, message)

    def _model_errors(self, row: CleanRow, error: ValidationError) -> list[RowError]:
        out = []
        if hasattr(error, "error_dict"):
            for key, messages in error.message_dict.items():
                column = row.sources.get(key, "")
                if key == "trl_min" or key == "trl":
                    column = row.sources.get(key) or self.columns.get("trl", "")
                out += [RowError(row.row, column, str(m)) for m in messages]
        else:
            out += [RowError(row.row, "", str(m)) for m in error.messages]
        return out

    def _process_listing(self, row: CleanRow) -> Outcome:
        outcome = Outcome(action="error", errors=list(row.errors), title=row.data.get("title", ""),
                          organisation=row.org.name_zh or row.org.credit_code)
        org_column = row.sources.get("organisation", "")
        choice = self._find_org(row.org)
        outcome.errors += [self._error(row, org_column, message) for message in choice.errors]
        if choice.errors or (choice.org is None and choice.new is None):
            return outcome
        data = dict(row.data)
        org = choice.org
        if data.get("region") == Region.OTHER and org is not None:
            data["region"] = org.region  # as listing_create does, so that a re-import compares equal
        if "contact_name" in data and "contact_email" in data and not data["contact_name"] and not data[
                "contact_email"]:
            # listing_create fills an empty contact with the importing staff member's; keep it on re-import.
            del data["contact_name"], data["contact_email"]
        owner = self._owner(choice)
        key = (choice.key, row.external_ref)
        if key in self.seen:
            column = row.sources.get("external_ref") if row.ref_from_column else row.sources.get("title", "")
            message = (_("Row %(row)s has the same reference for this organisation; this row was not imported.")
                       if row.ref_from_column else
                       _("Row %(row)s has the same title for this organisation; this row was not imported."))
            outcome.errors.append(self._error(row, column or "", message % {"row": self.seen[key]}))
            return outcome
        field_objs = None
        if row.field_codes is not None:
            field_objs = [self.fields[code] for code in row.field_codes]
        existing_id = owner["by_ref"].get(row.external_ref)
        existing = None
        if existing_id is not None:
            existing = self.model.objects.prefetch_related("fields").filter(pk=existing_id).first()
        if existing is None:
            outcome.errors += self._check_new(row, data, field_objs, org)
        else:
            outcome.listing_id = existing.pk
            changed, fields_changed = self._changes(existing, data, field_objs)
            if not changed and not fields_changed:
                if not outcome.errors:
                    outcome.action = "unchanged"
                    self.seen[key] = row.row
                return outcome
            outcome.errors += self._check_update(row, existing, changed, field_objs if fields_changed else None)
        if outcome.errors:
            return outcome
        entry = duplicates.entry_for(listing_id=existing.pk if existing else None, title=data.get("title", ""),
                                     summary=data.get("summary", ""), row=row.row)
        outcome.duplicates = duplicates.find_similar(entry, owner["entries"])
        if self.write:
            try:
                with transaction.atomic():
                    listing = self._write(row, choice, data, field_objs, existing, changed if existing else None,
                                          fields_changed if existing else False, outcome)
            except ValidationError as error:
                outcome.errors += self._model_errors(row, error)
                return outcome
            except (ApplicationError, PermissionDenied) as error:
                outcome.errors.append(self._error(row, "", str(getattr(error, "message", error))))
                return outcome
            except IntegrityError:
                outcome.errors.append(self._error(row, "", _("The row conflicts with data saved meanwhile; import "
                                                             "the file again.")))
                return outcome
            entry.id = listing.pk
            outcome.listing_id = listing.pk
            if choice.new is not None:
                # The organisation exists now: later rows find it (and its listings) by its id.
                created = _OrgChoice(listing.organisation)
                for cache_key in self._cache_keys(row.org):
                    self.orgs[cache_key] = created
                self.listings[created.key] = owner
                self.seen[(created.key, row.external_ref)] = row.row
                self.new_orgs.add(choice.key)
            owner["by_ref"][row.external_ref] = listing.pk
        elif choice.new is not None:
            self.new_orgs.add(choice.key)
        if existing is None:
            owner["entries"].append(entry)
        outcome.action = "update" if existing else "create"
        self.seen[key] = row.row
        return outcome

    def _changes(self, existing: Listing, data: dict, field_objs) -> tuple[dict, bool]:
        changed = {}
        for key, value in data.items():
            if key in _NOT_UPDATED:
                continue
            current = getattr(existing, key)
            if current != value and not (current in (None, "") and value in (None, "")):
                changed[key] = value
        fields_changed = field_objs is not None and {f.pk for f in field_objs} != {
            f.pk for f in existing.fields.all()}
        return changed, fields_changed

    def _creation_data(self, row: CleanRow, data: dict) -> dict:
        data = dict(data)
        data["external_ref"] = row.external_ref
        data["provenance"] = Provenance.IMPORT
        data["collected_by"] = self.collector
        data.setdefault("source_batch", self.default_batch)
        if not data.get("source_batch"):
            data["source_batch"] = self.default_batch
        return data

    def _check_new(self, row: CleanRow, data: dict, field_objs, org) -> list[RowError]:
        """What listing_create, listing_submit and listing_screen would refuse, without writing."""
        instance = self.model(**self._creation_data(row, data))
        if org is not None:
            instance.organisation = org
        errors: list[RowError] = []
        try:
            # The organisation and the collecting bureau come from this import's own lookups:
            # no need for Django's existence query per foreign key.
            instance.full_clean(exclude=["organisation", "collected_by"], validate_unique=False,
                                validate_constraints=False)
        except ValidationError as error:
            errors += self._model_errors(row, error)
        errors += self._completeness(row, instance, field_objs)
        return errors

    def _completeness(self, row: CleanRow, instance: Listing, field_objs) -> list[RowError]:
        errors = []
        field_column = row.sources.get("fields", "")
        if not field_objs:
            errors.append(self._error(row, field_column, _("Choose at least one field.")))
        elif len(field_objs) > 5:
            errors.append(self._error(row, field_column, _("Choose at most 5 fields.")))
        summary = (instance.summary or "").strip()
        if summary and len(summary) < 10:
            errors.append(self._error(row, row.sources.get("summary", ""),
                                      _("Write a summary of at least 10 characters.")))
        return errors

    def use_sheet(self, sheet: intake.Sheet) -> None:
        self.columns = sheet.columns
        self.header_order = {header: index for index, header in enumerate(sheet.headers)}

    def _finish(self, row: CleanRow, outcome: Outcome) -> Outcome:
        """One message per problem, in the order of the sheet's columns: a column that already
        has a reading error (an unknown value, say) does not also get the model's "cannot be
        blank" for the value it could not read."""
        read = {e.column for e in row.errors if e.column} | row.silenced
        errors = [e for e in row.errors if e.column not in row.silenced]
        errors += [e for e in outcome.errors[len(row.errors):] if e.column not in read]
        seen, unique = set(), []
        for error in errors:
            if (error.column, error.message) not in seen:
                seen.add((error.column, error.message))
                unique.append(error)
        unique.sort(key=lambda e: -1 if not e.column else self.header_order.get(e.column, len(self.header_order)))
        outcome.errors = unique
        if unique:
            outcome.action = "error"
        return outcome

    def _check_update(self, row: CleanRow, existing: Listing, changed: dict, field_objs) -> list[RowError]:
        if existing.status in CLOSED_STATUSES:
            return [self._error(row, "", _("The listing for this row is %(status)s; it was not updated.")
                                % {"status": existing.get_status_display()})]
        instance = _copy(existing)
        for key, value in changed.items():
            setattr(instance, key, value)
        try:
            instance.full_clean(exclude=["organisation", "collected_by", "created_by"], validate_unique=False,
                                validate_constraints=False)
        except ValidationError as error:
            return self._model_errors(row, error)
        if field_objs is not None:
            return self._completeness(row, instance, field_objs)
        return []

    def _write(self, row: CleanRow, choice: _OrgChoice, data: dict, field_objs, existing, changed,
               fields_changed, outcome: Outcome) -> Listing:
        org = choice.org
        if org is None:
            org = choice.new
            org.pk = None
            org.full_clean()
            org.save()
        if existing is None:
            listing = services.listing_create(actor=self.actor, kind=self.kind, organisation=org,
                                              data=self._creation_data(row, data), fields=field_objs or [], submit=True)
            listing = services.listing_screen(
                actor=self.actor, listing=listing,
                note=_("Imported from %(file)s, row %(row)s.") % {"file": self.job.original_name, "row": row.row})
        else:
            listing = services.listing_update(actor=self.actor, listing=existing, data=changed,
                                              fields=field_objs if fields_changed else None)
        for other, method, similarity in outcome.duplicates:
            if other.id is not None:
                duplicates.duplicate_flag(kind=self.kind, listing_id=listing.pk, other_id=other.id, method=method,
                                          similarity=similarity, import_job=self.job, import_row=row.row)
        return listing

    # organisations import ----------------------------------------------------------------

    def _process_organisation(self, row: CleanRow) -> Outcome:
        ref = row.org
        outcome = Outcome(action="error", errors=list(row.errors), title=ref.name_zh, organisation=ref.name_zh)
        if outcome.errors:
            return outcome
        key = ("org", ref.credit_code or intake.norm_text(ref.name_zh))
        if key in self.seen:
            outcome.errors.append(self._error(row, row.sources.get("name_zh", ""), _(
                "Row %(row)s already holds this organisation; this row was not imported.") % {"row": self.seen[key]}))
            return outcome
        choice = self._lookup_org(ref)
        if choice.org is None and choice.new is None:
            outcome.errors += [self._error(row, row.sources.get("name_zh", ""), m) for m in choice.errors]
            return outcome
        data = dict(row.data)
        if choice.org is not None:
            org = choice.org
            if org.kind == OrganisationKind.BUREAU:
                outcome.errors.append(self._error(row, row.sources.get("name_zh", ""),
                                                  _("Bureaus cannot be imported.")))
                return outcome
            if ref.credit_code and not org.credit_code:
                data["credit_code"] = ref.credit_code
            changed = {k: v for k, v in data.items() if getattr(org, k) != v}
            if not changed:
                outcome.action = "unchanged"
                self.seen[key] = row.row
                return outcome
            for name, value in changed.items():
                setattr(org, name, value)
            try:
                org.full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as error:
                outcome.errors += self._model_errors(row, error)
                return outcome
            if self.write:
                with transaction.atomic():
                    org.save(update_fields=[*changed, "updated_at"])
            outcome.action = "update"
        else:
            if choice.errors:
                outcome.errors += [self._error(row, row.sources.get("name_zh", ""), m) for m in choice.errors]
                return outcome
            org = choice.new
            for name, value in data.items():
                setattr(org, name, value)
            try:
                org.full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as error:
                outcome.errors += self._model_errors(row, error)
                return outcome
            if self.write:
                try:
                    with transaction.atomic():
                        org.full_clean()
                        org.save()
                except (ValidationError, IntegrityError) as error:
                    outcome.errors += (self._model_errors(row, error) if isinstance(error, ValidationError) else
                                       [self._error(row, "", _("The row conflicts with data saved meanwhile; "
                                                                "import the file again."))])
                    return outcome
            outcome.action = "create"
        self.seen[key] = row.row
        return outcome


def _copy(listing: Listing) -> Listing:
    clone = type(listing)()
    clone.__dict__.update({k: v for k, v in listing.__dict__.items() if k != "_state"})
    clone._state.adding = False
    return clone


# --- preview -----------------------------------------------------------------------------------

def _progress(job: ImportJob, *, done: int, total: int | None = None) -> None:
    """Report progress; raises ``_TakenOver`` when another task owns the job now."""
    fields = {"progress_done": done, "heartbeat": timezone.now()}
    if total is not None:
        fields["progress_total"] = total
    if not ImportJob.objects.filter(pk=job.pk, task_id=job.task_id).update(**fields):
        raise _TakenOver


def import_preview(*, actor: User, job: ImportJob, task_id: str = "") -> ImportJob:
    """The dry run: validate every row and store the report on the job (status previewed, or
    failed for a file-level error). Writes nothing else."""
    _require_bureau(actor)
    job = _claim(job, task_id=task_id or f"sync-{uuid.uuid4().hex}", to=ImportStatus.VALIDATING,
                 allowed=(ImportStatus.PENDING, ImportStatus.PREVIEWED))
    batch = setting("TECHDOCK_IMPORT_BATCH_ROWS", 500)
    try:
        with translation.override(job.language):
            path = _verify_file(job)
            engine = _Engine(actor=actor, job=job, write=False)
            report = Report()
            samples, dups = [], []
            with intake.open_sheet(path, kind=job.kind) as sheet:
                engine.use_sheet(sheet)
                _progress(job, done=0, total=max(0, (sheet.estimated_rows or 0) - sheet.header_row))
                for sheet_row in sheet.rows():
                    outcome = engine.process(sheet_row)
                    report.add(outcome)
                    if outcome.action != "error" and len(samples) < PREVIEW_SAMPLES:
                        samples.append({"row": sheet_row.row, "action": outcome.action, "title": outcome.title,
                                        "organisation": outcome.organisation})
                    for other, method, similarity in outcome.duplicates:
                        if len(dups) < PREVIEW_DUPLICATES:
                            dups.append({"row": sheet_row.row, "title": outcome.title, "method": method,
                                         "similarity": similarity, "other_id": other.id, "other_row": other.row,
                                         "other_title": other.title})
                    if report.rows % batch == 0:
                        _progress(job, done=report.rows)
                preview = {
                    "rows": report.rows, "create": report.created, "update": report.updated,
                    "unchanged": report.unchanged, "duplicates": report.duplicates, "errors": report.error_rows,
                    "organisations": len(engine.new_orgs),
                    "columns": [{"key": key, "header": header} for key, header in sheet.columns.items()],
                    "ignored": sheet.ignored, "notices": sheet.notices, "sheet": sheet.sheet_name,
                    "header_row": sheet.header_row, "format": sheet.info.format, "encoding": sheet.info.encoding,
                    "samples": samples, "duplicate_rows": dups,
                }
    except _TakenOver:
        return ImportJob.objects.get(pk=job.pk)
    except IntakeError as error:
        return fail_job(job, error.message, errors=[error.as_dict()])
    except Exception as error:
        logger.exception("import %s: the preview failed", job.pk)
        fail_job(job, f"{error.__class__.__name__}: {error}")
        raise
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.task_id != job.task_id:
            return locked
        locked.status = ImportStatus.PREVIEWED
        locked.preview = preview
        locked.rows = report.rows
        locked.error_count = report.error_rows
        locked.errors = report.errors[:setting("TECHDOCK_IMPORT_MAX_STORED_ERRORS", 20_000)]
        locked.progress_done = locked.progress_total = report.rows
        locked.heartbeat = locked.finished_at = timezone.now()
        locked.save()
    locked.report = report
    return locked


# --- commit ------------------------------------------------------------------------------------

_COUNTS = ("rows", "created_count", "updated_count", "unchanged_count", "duplicates_count", "organisations_created",
           "error_count", "errors", "progress_done", "cursor", "heartbeat")


def import_commit(*, actor: User, job: ImportJob, task_id: str = "") -> ImportJob:
    """Write the valid rows of a previewed job in batches (see the module's docstring);
    resumes after the job's cursor. A finished job is returned as it is."""
    _require_bureau(actor)
    if job.status == ImportStatus.DONE:
        return job
    job = _claim(job, task_id=task_id or f"sync-{uuid.uuid4().hex}", to=ImportStatus.IMPORTING,
                 allowed=(ImportStatus.PREVIEWED, ImportStatus.FAILED))
    batch_size = setting("TECHDOCK_IMPORT_BATCH_ROWS", 500)
    report = Report()
    try:
        with translation.override(job.language):
            path = _verify_file(job)
            engine = _Engine(actor=actor, job=job, write=True)
            if job.cursor == 0:
                _reset_counts(job)
            else:
                report.errors = list(job.errors)
            ImportJob.objects.filter(pk=job.pk).update(progress_total=job.rows or (job.preview or {}).get("rows", 0))
            failed_rows = {error["row"] for error in job.errors} if job.cursor else set()
            with intake.open_sheet(path, kind=job.kind) as sheet:
                engine.use_sheet(sheet)
                batch: list = []
                for sheet_row in sheet.rows():
                    if sheet_row.row <= job.cursor:
                        _replay(engine, sheet_row, failed_rows)
                        continue
                    batch.append(sheet_row)
                    if len(batch) >= batch_size:
                        job = _commit_batch(engine, job, batch, report)
                        batch = []
                if batch:
                    job = _commit_batch(engine, job, batch, report)
    except _TakenOver:
        return ImportJob.objects.get(pk=job.pk)
    except IntakeError as error:
        return fail_job(job, error.message)
    except Exception as error:
        logger.exception("import %s: the commit failed", job.pk)
        fail_job(job, f"{error.__class__.__name__}: {error}")
        raise
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.task_id != job.task_id:
            return locked
        locked.status = ImportStatus.DONE
        locked.progress_done = locked.progress_total = locked.rows
        locked.heartbeat = locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "progress_done", "progress_total", "heartbeat", "finished_at",
                                   "updated_at"])
    locked.report = report
    return locked


def _reset_counts(job: ImportJob) -> None:
    job.rows = job.created_count = job.updated_count = job.unchanged_count = job.duplicates_count = 0
    job.organisations_created = job.error_count = job.progress_done = 0
    job.errors = []
    ImportJob.objects.filter(pk=job.pk).update(
        rows=0, created_count=0, updated_count=0, unchanged_count=0, duplicates_count=0, organisations_created=0,
        error_count=0, errors=[], progress_done=0)


def _replay(engine: _Engine, sheet_row: intake.SheetRow, failed_rows: set[int]) -> None:
    """A row committed before a resume: remember its key so that later rows repeating it are
    reported as they were in the first run."""
    if sheet_row.row in failed_rows or engine.kind == ImportKind.ORGANISATION:
        return
    row = intake.clean_row(sheet_row, kind=engine.kind, columns=engine.columns, vocabulary=engine.vocabulary)
    choice = engine._find_org(row.org)
    if choice.org is not None:
        engine.seen.setdefault((choice.key, row.external_ref), row.row)


def _commit_batch(engine: _Engine, job: ImportJob, batch: list, report: Report) -> ImportJob:
    max_errors = setting("TECHDOCK_IMPORT_MAX_STORED_ERRORS", 20_000)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.task_id != job.task_id or locked.status != ImportStatus.IMPORTING:
            raise _TakenOver
        orgs_before = len(engine.new_orgs)
        for sheet_row in batch:
            outcome = engine.process(sheet_row)
            report.add(outcome)
            locked.rows += 1
            if outcome.action == "error":
                locked.error_count += 1
                room = max_errors - len(locked.errors)
                if room > 0:
                    locked.errors = [*locked.errors, *[e.as_dict() for e in outcome.errors][:room]]
            elif outcome.action == "create":
                locked.created_count += 1
            elif outcome.action == "update":
                locked.updated_count += 1
            else:
                locked.unchanged_count += 1
            if outcome.duplicates and outcome.action in ("create", "update"):
                locked.duplicates_count += 1
        if engine.kind == ImportKind.ORGANISATION:
            locked.organisations_created = locked.created_count
        else:
            locked.organisations_created += len(engine.new_orgs) - orgs_before
        locked.progress_done = locked.rows
        locked.cursor = batch[-1].row
        locked.heartbeat = timezone.now()
        locked.save(update_fields=[*_COUNTS, "updated_at"])
    return locked


# --- running in the request or in the background -----------------------------------------------

def runs_in_background(job: ImportJob) -> bool:
    return job.size > setting("TECHDOCK_IMPORT_BACKGROUND_BYTES", 256 * 1024)


def import_start(*, actor: User, job: ImportJob, commit: bool = False, background: bool | None = None) -> ImportJob:
    """Preview a new job (and then commit it, when ``commit``), in this request for a small
    file or in the worker for a large one (``catalog.import_preview``)."""
    _require_bureau(actor)
    if background is None:
        background = runs_in_background(job)
    if commit != job.auto_commit:
        job.auto_commit = commit
        job.save(update_fields=["auto_commit", "updated_at"])
    if not background:
        job = import_preview(actor=actor, job=job)
        if commit and job.status == ImportStatus.PREVIEWED:
            job = import_commit(actor=actor, job=job)
        return job
    from catalog.tasks import import_preview_task

    token = uuid.uuid4().hex
    job = _claim(job, task_id=token, to=ImportStatus.VALIDATING, allowed=(ImportStatus.PENDING, ImportStatus.PREVIEWED))
    job_id = job.pk
    transaction.on_commit(lambda: import_preview_task.apply_async(kwargs={"job_id": job_id}, task_id=token))
    return job


def import_commit_start(*, actor: User, job: ImportJob, background: bool | None = None) -> ImportJob:
    """Commit a previewed job, in this request or in the worker (``catalog.import_commit``)."""
    _require_bureau(actor)
    if background is None:
        background = runs_in_background(job)
    if not background:
        return import_commit(actor=actor, job=job)
    from catalog.tasks import import_commit_task

    token = uuid.uuid4().hex
    job = _claim(job, task_id=token, to=ImportStatus.IMPORTING, allowed=(ImportStatus.PREVIEWED, ImportStatus.FAILED))
    job_id = job.pk
    transaction.on_commit(lambda: import_commit_task.apply_async(kwargs={"job_id": job_id}, task_id=token))
    return job


def import_resume_stalled() -> list[int]:
    """Jobs whose worker stopped reporting (killed, host lost) are sent to the workers again;
    each resumes where it stopped. Run periodically by ``catalog.resume_stalled_imports``."""
    from catalog.tasks import import_commit_task, import_preview_task

    limit = timezone.now() - timedelta(seconds=setting("TECHDOCK_IMPORT_STALL_SECONDS", 600))
    resumed = []
    for job in ImportJob.objects.filter(status__in=[ImportStatus.VALIDATING, ImportStatus.IMPORTING],
                                        heartbeat__lt=limit):
        token = uuid.uuid4().hex
        with transaction.atomic():
            updated = ImportJob.objects.filter(pk=job.pk, task_id=job.task_id, heartbeat__lt=limit).update(
                task_id=token, heartbeat=timezone.now())
        if not updated:
            continue
        task = import_commit_task if job.status == ImportStatus.IMPORTING else import_preview_task
        task.apply_async(kwargs={"job_id": job.pk}, task_id=token)
        resumed.append(job.pk)
    return resumed


# --- reading jobs ------------------------------------------------------------------------------

def import_job_list_for_user(*, user):
    if not rules.can_screen_listings(user):
        return ImportJob.objects.none()
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-pk")


def import_job_get_for_user(*, user, pk: int) -> ImportJob:
    from django.http import Http404

    try:
        return import_job_list_for_user(user=user).get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import.") from None


def report_of(job: ImportJob) -> dict:
    """The counts a caller reports (command, API): the preview's before a commit, the
    commit's after."""
    if job.status in (ImportStatus.DONE, ImportStatus.IMPORTING) or job.cursor:
        counts = {"rows": job.rows, "created": job.created_count, "updated": job.updated_count,
                  "unchanged": job.unchanged_count, "duplicates": job.duplicates_count,
                  "organisations_created": job.organisations_created}
    else:
        preview = job.preview or {}
        counts = {"rows": preview.get("rows", 0), "created": preview.get("create", 0),
                  "updated": preview.get("update", 0), "unchanged": preview.get("unchanged", 0),
                  "duplicates": preview.get("duplicates", 0), "organisations_created": preview.get("organisations", 0)}
    return {**counts, "error_rows": job.error_count}


def import_error_rows(*, job: ImportJob):
    """The rows with errors, as in the file plus the row number and the messages: the
    error file to fix and upload again. Returns ``(columns, rows)`` for ``export_response``."""
    from django.utils.translation import gettext_lazy

    from catalog.exports import Column

    messages: dict[int, list[str]] = {}
    for error in job.errors or []:
        if error.get("row"):
            text = f"{error['column']}: {error['message']}" if error.get("column") else error["message"]
            messages.setdefault(error["row"], []).append(text)
    path = _verify_file(job)
    with intake.open_sheet(path, kind=job.kind) as sheet:
        headers = list(sheet.headers)
    columns = [Column("_row", gettext_lazy("Row")), Column("_errors", gettext_lazy("Errors"))]
    columns += [Column(str(index), header) for index, header in enumerate(headers)]

    def rows():
        with intake.open_sheet(path, kind=job.kind) as sheet:
            for sheet_row in sheet.rows():
                if sheet_row.row in messages:
                    out = {str(index): value for index, value in enumerate(sheet_row.cells)}
                    out["_row"] = sheet_row.row
                    out["_errors"] = "; ".join(messages[sheet_row.row])
                    yield out

    return columns, rows()
