"""The import wizard's pages: the list, the upload, the mapping, the job with its progress
and report, and the downloads (rejected rows, the full report, a saved mapping).

Only administrators and the head of sales import; everyone else gets 403 on every page.
A person sees their own imports; an administrator sees everybody's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.core.errors import NotAllowed, StaleVersion
from voronka.core.forms import add_service_errors
from voronka.imports import queries, services
from voronka.imports.forms import MappingForm, UploadForm, missing_columns, stage_column
from voronka.imports.models import Entity, ImportJob
from voronka.imports.reading import FileProblem
from voronka.imports.suggest import field_label

# Where the imported records are listed, and where one of them is shown.
RECORD_PAGES: dict[str, tuple[str, str]] = {
    Entity.COMPANIES: ("clients:company-list", "clients:company-detail"),
    Entity.CONTACTS: ("clients:contact-list", "clients:contact-detail"),
    Entity.LEADS: ("sales:lead-list", "sales:lead-detail"),
    Entity.DEALS: ("sales:deal-list", "sales:deal-detail"),
    Entity.ACTIVITIES: ("activities:activity-list", ""),
    Entity.REQUESTS: ("service:request-list", "service:request-detail"),
}


def _ensure_may_import(user: Any) -> None:
    if not queries.may_import(user):
        raise PermissionDenied(_("Only an administrator or the head of sales may import data."))


def _job_or_404(user: Any, pk: int) -> ImportJob:
    _ensure_may_import(user)
    job = queries.jobs_visible_to(user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def _url(name: str, *args: Any) -> str:
    if not name:
        return ""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def message_lines(job: ImportJob) -> list[str]:
    """The job's message in the reader's language where it is one the app knows."""
    if (
        job.status == ImportJob.Status.FAILED
        and job.all_or_nothing
        and not job.dry_run
        and job.rejected
    ):
        return [_("Rejected rows: %(count)s. With “all or nothing” nothing was imported.")
                % {"count": job.rejected}]  # fmt: skip
    return [
        str(services.KNOWN_MESSAGES.get(line, line))
        for line in job.message.splitlines()
        if line.strip()
    ]


def _job_context(job: ImportJob) -> dict[str, Any]:
    list_url, detail_name = RECORD_PAGES.get(job.entity, ("", ""))
    rows = [] if job.is_working else queries.report_rows(job)
    for row in rows:
        # A dry run's new records were rolled back: their ids lead nowhere.
        if row.record_id and detail_name and not (job.dry_run and row.result == "created"):
            row.link = _url(detail_name, row.record_id)
    return {
        "job": job,
        "percent": queries.percent_done(job),
        "processed": queries.processed_rows(job),
        "report": rows,
        "report_limit": queries.REPORT_ROWS,
        "records_url": _url(list_url) if job.status == ImportJob.Status.DONE else "",
        "message_lines": message_lines(job),
        "editable": job.status in services.EDITABLE,
    }


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    """Imports so far, newest first, and the saved mappings."""
    _ensure_may_import(request.user)
    services.jobs_forget_stale()
    context = {
        "jobs": queries.job_list(request.user),
        "mappings": list(queries.mappings_visible_to(request.user)),
        "shows_owner": queries.sees_all_jobs(request.user),
        "entities": Entity.choices,
    }
    return render(request, "imports/job_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def job_create(request: HttpRequest) -> HttpResponse:
    """Step 1: the file and what it holds."""
    _ensure_may_import(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = services.job_upload(
                actor=request.user, entity=data["entity"], upload=data["file"],
                mapping=data.get("mapping"),
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        except NotAllowed as exc:  # pragma: no cover - refused above
            raise PermissionDenied(str(exc)) from None
        else:
            return redirect("imports:job-mapping", job.pk)
    status = 422 if form.is_bound else 200
    return render(request, "imports/job_create.html", {"form": form}, status=status)


def _mapping_form(job: ImportJob, data: Any) -> tuple[MappingForm | None, str]:
    """The mapping form for the job's file, or None and the reason the file cannot be read."""
    try:
        header, samples = queries.job_preview(job)
        column = stage_column(job, header, data)
        sources = queries.column_values(job, column)[0] if column else []
    except FileProblem as problem:
        return None, services.file_problem_text(problem)
    return MappingForm(data, job=job, header=header, samples=samples, stage_sources=sources), ""


def _mapping_context(job: ImportJob, form: MappingForm | None, problem: str) -> dict[str, Any]:
    context: dict[str, Any] = {"job": job, "form": form, "problem": problem}
    if form is not None:
        context["missing"] = [
            (field_label(job.entity, name), column)
            for name, column in missing_columns(job.spec, form.header)
        ]
        context["stage_column"] = stage_column(
            job, form.header, form.data if form.is_bound else None
        )
        context["json_open"] = bool(form.errors.get("spec"))
    return context


@login_required
@require_http_methods(["GET", "POST"])
def job_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: which column goes to which field; "Check" saves and starts the dry run."""
    job = _job_or_404(request.user, pk)
    if job.status not in services.EDITABLE:
        if request.method == "POST":  # a second click on "Check", or another tab
            messages.info(request, _("The import is running or done; its mapping cannot change."))
        return redirect("imports:job-detail", job.pk)
    form, problem = _mapping_form(job, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        aliases = {} if form.from_json else {"spec": "__all__"}
        try:
            job = services.job_update_mapping(
                actor=request.user, job=job, spec=form.result,
                all_or_nothing=data["all_or_nothing"], version=data["version"],
                save_as=data.get("save_as") or "",
            )  # fmt: skip
            if request.POST.get("action") == "check":
                services.job_check(actor=request.user, job=job, version=job.version)
                return redirect("imports:job-detail", job.pk)
        except ValidationError as exc:
            add_service_errors(form, exc, aliases)
        except StaleVersion as exc:
            form.add_error(None, str(exc.message))
        except NotAllowed as exc:
            raise PermissionDenied(str(exc)) from None
        else:
            messages.success(request, _("The mapping is saved."))
            return redirect("imports:job-mapping", job.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "imports/job_mapping.html", _mapping_context(job, form, problem), status=status
    )


@login_required
@require_GET
def job_stage_values(request: HttpRequest, pk: int) -> HttpResponse:
    """The deals' stage translations for the column chosen now (the page asks on change)."""
    job = _job_or_404(request.user, pk)
    form, problem = _mapping_form(job, request.GET)
    if form is not None:
        # The page sends the column choices only: each value starts as the form would
        # have it (its saved translation, or the stage of the same name).
        data = request.GET.copy()
        for row in form.stage_rows:
            data.setdefault(row["field"], form.fields[row["field"]].initial or "")
        form = MappingForm(
            data, job=job, header=form.header, samples=form.samples,
            stage_sources=form.stage_sources,
        )  # fmt: skip
    context = _mapping_context(job, form, problem)
    return render(request, "imports/job_mapping.html#stages", context)


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Steps 3 and 4: the progress of a check or import, then its numbers and report."""
    job = _job_or_404(request.user, pk)
    services.jobs_forget_stale()
    job.refresh_from_db()
    context = _job_context(job)
    if getattr(request, "htmx", False):
        response = render(request, "imports/job_detail.html#progress", context)
        if not job.is_working:
            response["HX-Refresh"] = "true"  # finished: the whole page with its report
        return response
    return render(request, "imports/job_detail.html", context)


@login_required
@require_POST
def job_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 4: the import itself, in the background."""
    job = _job_or_404(request.user, pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        services.job_start(actor=request.user, job=job, version=version)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except StaleVersion as exc:
        messages.error(request, str(exc.message))
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    else:
        messages.success(
            request, _("The import has started. You may close this page: it goes on without it.")
        )
    return redirect("imports:job-detail", job.pk)


def _csv_download(path_text: str, name: str) -> FileResponse:
    path = Path(path_text) if path_text else None
    if path is None or not path.is_file() or services.import_dir() not in path.parents:
        raise Http404
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type="text/csv; charset=utf-8"
    )


def _download_name(job: ImportJob, what: str) -> str:
    stem = slugify(Path(job.filename).stem, allow_unicode=True) or "import"
    return f"{stem}-{what}.csv"


@login_required
@require_GET
def job_rejected(request: HttpRequest, pk: int) -> FileResponse:
    """The rejected rows with the reason, as CSV a spreadsheet opens (UTF-8 with a BOM)."""
    job = _job_or_404(request.user, pk)
    return _csv_download(job.rejected_path, _download_name(job, "rejected"))


@login_required
@require_GET
def job_report(request: HttpRequest, pk: int) -> FileResponse:
    """What happened to every row: line, result, record, column, reason."""
    job = _job_or_404(request.user, pk)
    return _csv_download(job.report_path, _download_name(job, "report"))


@login_required
@require_GET
def mapping_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A saved mapping as a JSON file (``voronka import --mapping`` reads it)."""
    _ensure_may_import(request.user)
    mapping = queries.mappings_visible_to(request.user).filter(pk=pk).first()
    if mapping is None:
        raise Http404
    response = HttpResponse(
        services.mapping_json(mapping), content_type="application/json; charset=utf-8"
    )
    name = slugify(mapping.name, allow_unicode=True) or f"mapping-{mapping.pk}"
    response["Content-Disposition"] = _attachment(f"{mapping.entity}-{name}.mapping.json")
    return response


def _attachment(filename: str) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(True, filename) or "attachment"
