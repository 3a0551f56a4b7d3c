"""Importing a multi-file source (a CRM export with accounts, products, teams and deals in
separate files) by its plan: the pipelines it needs, then each file in order.

A dry run of a plan runs every step in one transaction and rolls it all back, so the
deals of the last step find the companies of the first, as they will for real.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from voronka.core import organisation
from voronka.core.models import Organisation
from voronka.imports.engine import import_file
from voronka.imports.report import Outcome, Rollback
from voronka.imports.spec import Plan, SpecError, Step
from voronka.sales.models import Deal, Pipeline, Stage


@dataclass
class StepResult:
    step: Step
    outcome: Outcome


def ensure_pipelines(plan: Plan) -> list[str]:
    """Create the plan's pipelines and any of their stages that are missing."""
    said = []
    for spec in plan.pipelines:
        pipeline, created = Pipeline.objects.get_or_create(
            name=spec.name, defaults={"is_default": not Pipeline.objects.exists()}
        )
        if created:
            said.append(f"pipeline {spec.name!r} created")
        have = {s.name.casefold() for s in pipeline.stages.all()}
        for position, stage in enumerate(spec.stages, start=1):
            if stage.name.casefold() not in have:
                Stage.objects.create(
                    pipeline=pipeline, name=stage.name, kind=stage.kind,
                    probability=stage.probability, position=position,
                )  # fmt: skip
    return said


def ensure_currency(plan: Plan) -> list[str]:
    """A fresh installation takes the plan's currency; one with deals keeps its own."""
    wanted = plan.base_currency
    if not wanted or organisation.current().base_currency == wanted:
        return []
    if Deal.all_objects.exists():
        return [
            f"the base currency stays {organisation.current().base_currency}: there are deals "
            f"already; amounts in {wanted} need an exchange rate in the mapping"
        ]
    org = Organisation.objects.order_by("pk").first()
    if org is None:
        organisation.current()
        org = Organisation.objects.order_by("pk").first()
    if org is None:  # pragma: no cover - current() has just created it
        return []
    org.base_currency = wanted
    org.save(update_fields=["base_currency"])
    transaction.on_commit(organisation.forget)
    organisation.forget()
    return [f"base currency set to {wanted}"]


def run_plan(
    plan: Plan,
    data_dir: Path,
    *,
    actor: Any,
    dry_run: bool = False,
    say: Callable[[str], None] = print,
    reports_dir: Path | None = None,
) -> list[StepResult]:
    """Run every step; a step whose file can't be read stops the plan there."""
    missing = [s.file for s in plan.steps if not (data_dir / s.file).is_file()]
    if missing:
        refused = []
        for step in plan.steps:
            failed = f"{data_dir / step.file}: no such file" if step.file in missing else ""
            refused.append(StepResult(step, Outcome(failed=failed or "not run")))
        return refused
    results: list[StepResult] = []

    def steps() -> None:
        for notice in ensure_currency(plan) + ensure_pipelines(plan):
            say(notice)
        for number, step in enumerate(plan.steps, start=1):
            if step.mapping is None:
                raise SpecError(f"steps.{number - 1}: no mapping")
            say(f"[{number}/{len(plan.steps)}] {step.file} → {step.mapping.entity}")
            outcome = _step(step, data_dir, actor=actor, say=say, reports_dir=reports_dir)
            results.append(StepResult(step, outcome))
            if outcome.failed:
                break

    if not dry_run:
        steps()
        return results
    try:
        with transaction.atomic():
            steps()
            raise Rollback
    except Rollback:
        pass
    return results


def _step(step: Step, data_dir: Path, *, actor: Any, say: Callable[[str], None],
          reports_dir: Path | None) -> Outcome:  # fmt: skip
    if step.mapping is None:
        raise SpecError("no mapping")
    path = data_dir / step.file
    report = rejected = None
    if reports_dir is not None:
        reports_dir.mkdir(parents=True, exist_ok=True)
        stem = Path(step.file).stem
        report = (reports_dir / f"{stem}.report.csv").open("w", encoding="utf-8", newline="")
        rejected = (reports_dir / f"{stem}.rejected.csv").open("w", encoding="utf-8", newline="")
    try:
        last = [0]

        def progress(done: int) -> None:
            if done - last[0] >= 50_000:
                last[0] = done
                say(f"    {done} rows")

        return import_file(
            path, step.mapping, actor=actor, all_or_nothing=step.all_or_nothing,
            report_to=report, rejected_to=rejected, progress=progress,
        )  # fmt: skip
    finally:
        for f in (report, rejected):
            if f is not None:
                f.close()
