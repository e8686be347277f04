"""Celery tasks of the catalog: spreadsheet imports too large for a request. Each is a thin
wrapper over ``catalog.imports``, where the claiming, batching and resuming logic lives; all
take ids, are acknowledged late (a killed worker's task is delivered again and resumes after
the job's cursor) and are safe to run twice."""

import logging

from celery import shared_task

from common.errors import ApplicationError, PermissionDenied

logger = logging.getLogger(__name__)


def _refused(job, error) -> str:
    """The job is someone else's now, already done, or its owner lost the right to import."""
    from catalog import imports

    if isinstance(error, PermissionDenied):
        imports.fail_job(job, str(error.message))
    logger.info("import %s: %s", job.pk, error)
    return "refused"


def _job(job_id: int):
    from catalog.models import ImportJob

    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        logger.info("import %s is gone; nothing to do", job_id)
    return job


@shared_task(name="catalog.import_preview", bind=True, acks_late=True)
def import_preview_task(self, *, job_id: int) -> str | None:
    """Check every row of an uploaded file (the dry run); then import it when the job asked
    for that (``auto_commit``) and the check found no file-level error."""
    from catalog import imports
    from catalog.models import ImportStatus

    job = _job(job_id)
    if job is None or job.created_by is None:
        return None
    if job.status == ImportStatus.DONE:
        return job.status
    try:
        job = imports.import_preview(actor=job.created_by, job=job, task_id=self.request.id or "")
        if job.auto_commit and job.status == ImportStatus.PREVIEWED:
            job = imports.import_commit(actor=job.created_by, job=job, task_id=self.request.id or "")
    except (ApplicationError, PermissionDenied) as error:
        return _refused(job, error)
    return job.status


@shared_task(name="catalog.import_commit", bind=True, acks_late=True)
def import_commit_task(self, *, job_id: int) -> str | None:
    """Write the valid rows of a previewed import in batches, resuming after its cursor."""
    from catalog import imports

    job = _job(job_id)
    if job is None or job.created_by is None:
        return None
    try:
        return imports.import_commit(actor=job.created_by, job=job, task_id=self.request.id or "").status
    except (ApplicationError, PermissionDenied) as error:
        return _refused(job, error)


@shared_task(name="catalog.resume_stalled_imports")
def resume_stalled_imports_task() -> list[int]:
    """Periodic: re-send imports whose worker stopped reporting."""
    from catalog import imports

    return imports.import_resume_stalled()
