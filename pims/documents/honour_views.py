"""Pages of the 光荣证: list, application (eligibility shown per condition),
detail with the step actions. Thin: the rules are in honour / honour_services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from pims.accounts.roles import Cap, has_capability
from pims.lib import clock
from pims.lib.errors import Refused
from pims.regions.models import Level
from pims.registry.selectors import access_person
from pims.web.errors import refusals_as_messages

from . import certificates, honour, honour_services, selectors, timeline
from .models import HonourState, RevokeReason
from .views import pdf_response


def _require(user, cap: str) -> None:
    if not has_capability(user, cap):
        raise Http404


@login_required
def honour_list(request):
    _require(request.user, Cap.VIEW_DOCUMENTS)
    qs = selectors.honour_list_visible_to(user=request.user).select_related("husband", "wife", "child")
    state = request.GET.get("state", "")
    if state in HonourState.values:
        qs = qs.filter(state=state)
    context = {
        "page": Paginator(qs, 50).get_page(request.GET.get("page")),
        "states": HonourState.choices,
        "state": state,
        "can_apply": has_capability(request.user, Cap.APPLY_DOCUMENTS),
    }
    return render(request, "documents/honour_list.html", context)


@login_required
def honour_new(request):
    _require(request.user, Cap.APPLY_DOCUMENTS)
    pk = request.POST.get("child") or request.GET.get("child")
    child = access_person(request.user, pk) if pk else None
    checks = None
    status = 200
    if child is not None:
        birth = getattr(child, "birth", None)
        marriage = selectors.current_marriage(birth.mother) if birth is not None and birth.mother else None
        if marriage is not None:
            checks = honour.eligibility(
                husband=marriage.husband,
                wife=marriage.wife,
                marriage=marriage,
                child=child,
                commitment=bool(request.POST.get("commitment")),
                today=clock.today(),
            )
        if request.method == "POST":
            try:
                cert = honour_services.honour_apply(
                    actor=request.user,
                    child=child,
                    commitment=bool(request.POST.get("commitment")),
                    comment=request.POST.get("comment", ""),
                )
            except Refused as exc:
                for m in exc.messages:
                    messages.error(request, m)
                for p in getattr(exc, "problems", None) or []:
                    messages.error(request, p.message)
                status = exc.status
            else:
                messages.success(request, _("已受理，报乡镇审核。"))
                return redirect("documents:honour_detail", pk=cert.pk)
    context = {"child": child, "checks": checks, "labels": honour.RESULT_LABELS, "titles": honour.TITLES}
    return render(request, "documents/honour_new.html", context, status=status)


def _actions(user, cert) -> list[str]:
    region = getattr(user, "region", None)
    if region is None or not has_capability(user, Cap.ISSUE_DOCUMENTS):
        return []
    if cert.state == HonourState.APPLIED and region.level == Level.TOWNSHIP and region.code == cert.township_code:
        return ["township"]
    if region.level == Level.COUNTY and region.code == cert.issuer_code:
        if cert.state == HonourState.TOWNSHIP_REVIEWED:
            return ["county"]
        if cert.state == HonourState.ISSUED:
            return ["revoke"]
    return []


def _verify_url(request, cert) -> str:
    from django.urls import reverse

    return request.build_absolute_uri(reverse("documents:verify", args=[cert.token]))


@login_required
def honour_detail(request, pk):
    _require(request.user, Cap.VIEW_DOCUMENTS)
    cert = selectors.access_honour(request.user, pk)
    verify_url = _verify_url(request, cert) if cert.number else ""
    review = selectors.honour_needing_review(user=request.user).filter(pk=cert.pk).exists()
    context = {
        "c": cert,
        "actions": _actions(request.user, cert),
        "reasons": RevokeReason.choices,
        "verify_url": verify_url,
        "needs_review": review,
        "labels": honour.RESULT_LABELS,
        "steps": timeline.honour_timeline(cert),
    }
    return render(request, "documents/honour_detail.html", context)


ACTIONS = {
    "township": lambda user, c, post: honour_services.honour_township_review(
        actor=user, cert=c, approve=post.get("approve") == "1", comment=post.get("comment", "")
    ),
    "county": lambda user, c, post: honour_services.honour_county_approve(
        actor=user, cert=c, approve=post.get("approve") == "1", comment=post.get("comment", "")
    ),
    "revoke": lambda user, c, post: honour_services.honour_revoke(
        actor=user, cert=c, reason=post.get("reason", ""), note=post.get("note", "")
    ),
}


@login_required
@require_POST
def honour_action(request, pk, action):
    _require(request.user, Cap.ISSUE_DOCUMENTS)
    cert = selectors.access_honour(request.user, pk)
    with refusals_as_messages(request):
        ACTIONS[action](request.user, cert, request.POST)
        messages.success(request, _("已办理。"))
    return redirect("documents:honour_detail", pk=pk)


@login_required
def honour_pdf(request, pk):
    """The printed certificate, once issued (a revoked one prints as revoked)."""
    _require(request.user, Cap.VIEW_DOCUMENTS)
    cert = selectors.access_honour(request.user, pk)
    if not cert.number:
        raise Http404
    from pims.search.selectors import region_names

    issuer = region_names([cert.issuer_code]).get(cert.issuer_code, cert.issuer_code)
    data = certificates.honour_pdf(cert, verify_url=_verify_url(request, cert), issuer_name=issuer)
    return pdf_response(request, cert, data, region_code=cert.region_code, name="honour-certificate")
