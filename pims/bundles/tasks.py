"""The export as a background job: one transaction, so a rerun after a lost
worker either finds the bundle written (nothing new to export) or writes it."""

from pims.lib.errors import Invalid

from . import errors, services


def bundle_export_job(ctx, *, county_code: str) -> dict:
    ctx.progress(0, 1, "导出")
    try:
        bundle = services.bundle_export(county_code=county_code, actor=ctx.job.actor)
    except Invalid as exc:
        if exc.template is errors.NOTHING_TO_EXPORT:
            ctx.progress(1, 1, "没有新的已确认月份")
            return {"sequence": None}
        raise
    ctx.progress(1, 1, "完成")
    return {"sequence": bundle.sequence, "rows": sum(bundle.counts.values())}
