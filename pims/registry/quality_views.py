"""Quality pages: sampling (质量抽查) and completeness (村不漏户、户不漏人、
人不漏项、项不出错). Thin views over `sampling` and `completeness`; every
page answers 404 to a user outside its jurisdiction or without the role."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from pims.lib.errors import Invalid, Refused
from pims.regions.models import Level
from pims.regions.selectors import access_region, region_list_visible_to
from pims.web.errors import refusals_as_messages

from . import completeness, errors, sampling


def register_nav() -> None:
    """Menu entries; call from RegistryConfig.ready()."""
    from pims.accounts.roles import Cap
    from pims.web.modules import Item, register_item

    register_item(
        "registry",
        Item(
            gettext_lazy("质量抽查"),
            "registry:quality:sample_list",
            Cap.REVIEW,
            gettext_lazy("按村随机抽取已提交的采集表入户复核，统计差错率"),
        ),
    )
    register_item(
        "registry",
        Item(
            gettext_lazy("完整性统计"),
            "registry:quality:completeness",
            Cap.VIEW_REPORTS,
            gettext_lazy("村不漏户、户不漏人、人不漏项、项不出错：按村对照摸底基数"),
        ),
    )


def _int_or_none(text, message):
    """A non-negative integer typed in a form, None when left empty; `message`
    (a constant of `errors`) refuses anything else."""
    text = (text or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise Invalid(message)
    return int(text)


def _villages(user):
    return region_list_visible_to(user=user).filter(level=Level.VILLAGE, valid_to__isnull=True).order_by("code")


# --- sampling ----------------------------------------------------------------


def _require_sampler(user):
    if not sampling.can_sample(user):
        raise Http404


def _sample_list_context(request, *, form=None, error=""):
    draws = sampling.draw_list_visible_to(user=request.user).select_related("village", "drawn_by")[:100]
    rates = sampling.error_rates_by_draw(sampling.draw_list_visible_to(user=request.user))
    return {
        "draws": [(d, rates.get(d.pk)) for d in draws],
        "village_rates": sampling.error_rates_by_village(user=request.user),
        "villages": _villages(request.user),
        "form": form or {},
        "error": error,
    }


@login_required
def sample_list(request):
    _require_sampler(request.user)
    return render(request, "registry/quality/sample_list.html", _sample_list_context(request))


@login_required
@require_POST
def sample_create(request):
    _require_sampler(request.user)
    form = {k: request.POST.get(k, "").strip() for k in ("village", "count", "percent", "seed")}
    village = access_region(request.user, form["village"]) if form["village"] else None
    if village is None or village.level != Level.VILLAGE:
        raise Http404
    try:
        count = _int_or_none(form["count"], errors.SAMPLE_INTEGERS_INVALID)
        seed = _int_or_none(form["seed"], errors.SAMPLE_INTEGERS_INVALID)
        draw = sampling.sample_draw(
            actor=request.user, village=village, count=count, percent=form["percent"] or None, seed=seed
        )
    except Refused as exc:  # the form keeps what the user typed
        ctx = _sample_list_context(request, form=form, error=str(exc))
        return render(request, "registry/quality/sample_list.html", ctx, status=exc.status)
    messages.success(
        request, _("已抽取 %(n)d 户（随机种子 %(seed)d）。") % {"n": draw.items.count(), "seed": draw.seed}
    )
    return redirect("registry:quality:sample_detail", pk=draw.pk)


@login_required
def sample_detail(request, pk):
    _require_sampler(request.user)
    draw = sampling.access_draw(request.user, pk)
    items = draw.items.select_related("household", "household__head", "checked_by").order_by("position")
    rate = sampling.error_rates_by_draw(sampling.draw_list_visible_to(user=request.user).filter(pk=draw.pk))
    return render(
        request,
        "registry/quality/sample_detail.html",
        {
            "draw": draw,
            "items": items,
            "rate": rate.get(draw.pk),
        },
    )


@login_required
@require_POST
def sample_item_record(request, pk):
    _require_sampler(request.user)
    item = sampling.access_sample_item(request.user, pk)
    with refusals_as_messages(request):
        checked = _int_or_none(request.POST.get("items_checked"), errors.SAMPLE_COUNTS_INVALID)
        wrong = _int_or_none(request.POST.get("items_wrong"), errors.SAMPLE_COUNTS_INVALID) or 0
        if checked is None:
            raise sampling.SamplingError(errors.SAMPLE_CHECKED_MISSING)
        sampling.sample_record(
            actor=request.user,
            item=item,
            items_checked=checked,
            items_wrong=wrong,
            note=request.POST.get("note", "")[:2000],
        )
        messages.success(request, _("第 %(n)d 户的核查结果已记录。") % {"n": item.position})
    return redirect("registry:quality:sample_detail", pk=item.draw_id)


# --- completeness ------------------------------------------------------------


@login_required
def completeness_report(request):
    user = request.user
    if not completeness.can_view_completeness(user) or user.region is None:
        raise Http404
    region = access_region(user, request.GET.get("region") or user.region.code)
    report = completeness.completeness_by_village(user=user, region=region)
    choices = region_list_visible_to(user=user).exclude(level=Level.VILLAGE).filter(valid_to__isnull=True)
    return render(
        request,
        "registry/quality/completeness.html",
        {
            "report": report,
            "regions": choices.order_by("code")[:200],
            "can_enter_baseline": completeness.can_enter_baseline(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def baseline_edit(request, code):
    user = request.user
    if not completeness.can_enter_baseline(user):
        raise Http404
    village = access_region(user, code)
    if village.level != Level.VILLAGE:
        raise Http404
    current = completeness.latest_baseline(village)
    form = {
        "expected_households": current.expected_households if current else "",
        "expected_persons": current.expected_persons if current else "",
    }
    refusal = None
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in ("expected_households", "expected_persons")}
        try:
            households = _int_or_none(form["expected_households"], errors.BASELINE_INTEGERS_INVALID)
            persons = _int_or_none(form["expected_persons"], errors.BASELINE_INTEGERS_INVALID)
            if households is None or persons is None:
                raise completeness.BaselineError(errors.BASELINE_MISSING)
            completeness.village_baseline_set(
                actor=user, village=village, expected_households=households, expected_persons=persons
            )
        except Refused as exc:  # the form keeps what the user typed
            refusal = exc
        else:
            messages.success(request, _("%(name)s 的摸底基数已保存。") % {"name": village.name})
            parent = village.parent.code if village.parent_id else village.code
            return redirect(f"{_completeness_url()}?region={parent}")
    return render(
        request,
        "registry/quality/baseline_form.html",
        {
            "village": village,
            "current": current,
            "form": form,
            "error": str(refusal) if refusal else "",
        },
        status=refusal.status if refusal else 200,
    )


def _completeness_url():
    from django.urls import reverse

    return reverse("registry:quality:completeness")
