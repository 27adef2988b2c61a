"""Pages of 优质服务 documents. Thin: every rule is in services/selectors;
every page answers 404 to a user without the role or outside the region."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record, client_ip
from pims.lib.errors import Refused
from pims.regions.models import Level
from pims.registry.personal import citizen_id_index
from pims.registry.selectors import access_person, person_list_visible_to
from pims.web.errors import refusals_as_messages

from . import births, certificates, errors, selectors, services, timeline, verification
from .forms import CancelForm, FindPersonForm, RegistrationForm
from .models import RegistrationState


def register_nav() -> None:
    """Menu entries of the documents; called from DocumentsConfig.ready()."""
    from pims.web.modules import Item, register_item

    register_item(
        "services",
        Item(_("生育登记"), "documents:registration_list", Cap.VIEW_DOCUMENTS, _("生育登记的受理、登记、补登和注销")),
    )
    register_item(
        "services",
        Item(
            _("办理生育登记"),
            "documents:registration_new",
            Cap.APPLY_DOCUMENTS,
            _("夫妻任一方户籍地或居住地乡镇受理，当场登记"),
        ),
    )


def _require(user, cap: str) -> None:
    if not has_capability(user, cap):
        raise Http404


@login_required
def registration_list(request):
    _require(request.user, Cap.VIEW_DOCUMENTS)
    qs = selectors.registration_list_visible_to(user=request.user).select_related("husband", "wife")
    state = request.GET.get("state", "")
    if state in RegistrationState.values:
        qs = qs.filter(state=state)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "states": RegistrationState.choices,
        "state": state,
        "can_apply": has_capability(request.user, Cap.APPLY_DOCUMENTS),
    }
    return render(request, "documents/registration_list.html", context)


def _find_person(request, find: FindPersonForm):
    """The spouse the application starts from: ?person=<pk>, or a citizen ID
    looked up among the persons the user may see."""
    pk = request.POST.get("person") or request.GET.get("person")
    if pk:
        return access_person(request.user, pk)
    if find.is_bound and find.is_valid():
        number = find.cleaned_data["citizen_id"].strip().upper()
        found = person_list_visible_to(user=request.user).filter(id_index=citizen_id_index(number)).first()
        if found is None:
            find.add_error("citizen_id", errors.NOT_IN_REGISTER % {"who": _("该公民身份号码对应的人员")})
        return found
    return None


@login_required
def registration_new(request):
    _require(request.user, Cap.APPLY_DOCUMENTS)
    find = FindPersonForm(request.GET if "citizen_id" in request.GET else None)
    person = _find_person(request, find)
    prefill = children = None
    form = None
    status = 200
    if person is not None:
        child_pk = request.POST.get("child") or None
        child = None
        if child_pk:
            child = person_list_visible_to(user=request.user).filter(pk=child_pk).first()
        prefill = selectors.registration_prefill(person=person, child=child)
        children = (
            list(selectors.joint_children(prefill.husband, prefill.wife)) if prefill.husband and prefill.wife else []
        )
        form = RegistrationForm(request.POST or None, children=children)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            application = services.Application(
                due_date=data["due_date"],
                child=child,
                method=data["method"],
                husband_employer=data["husband_employer"],
                wife_employer=data["wife_employer"],
                commitment=data["commitment"],
            )
            try:
                registration = services.birth_registration_apply(
                    actor=request.user, person=person, application=application
                )
            except Refused as exc:
                for p in getattr(exc, "problems", None) or []:
                    target = p.field if p.field in form.fields else None
                    form.add_error(target, p.message)
                if not getattr(exc, "problems", None):
                    form.add_error(None, exc.message)
                status = exc.status
            else:
                done = _("已登记，编号 %(number)s。") if registration.number else _("已受理，待乡镇登记。")
                messages.success(request, done % {"number": registration.number})
                return redirect("documents:registration_detail", pk=registration.pk)
        elif request.method == "POST":
            status = 422
    context = {
        "find": find,
        "person": person,
        "prefill": prefill,
        "form": form,
        "can_issue": has_capability(request.user, Cap.ISSUE_DOCUMENTS) and request.user.region.level == Level.TOWNSHIP,
    }
    return render(request, "documents/registration_new.html", context, status=status)


@login_required
def registration_detail(request, pk):
    _require(request.user, Cap.VIEW_DOCUMENTS)
    registration = selectors.access_registration(request.user, pk)
    child = registration.child
    if child is not None and not person_list_visible_to(user=request.user).filter(pk=child.pk).exists():
        child = None  # the child moved out of the user's region: the registration is theirs, the child is not
    context = {
        "r": registration,
        "child": child,
        "spouses": [
            (_("男方"), registration.particulars.get("husband", {})),
            (_("女方"), registration.particulars.get("wife", {})),
        ],
        "can_issue": registration.state == RegistrationState.APPLIED and _may_issue(request.user, registration),
        "can_cancel": registration.state != RegistrationState.CANCELLED and _may_issue(request.user, registration),
        "cancel_form": CancelForm(),
        "can_resolve": registration.state != RegistrationState.CANCELLED and _may_issue(request.user, registration),
        "verify_url": verify_url(request, registration) if registration.number else "",
        "steps": timeline.registration_timeline(registration),
    }
    return render(request, "documents/registration_detail.html", context)


def _may_issue(user, registration) -> bool:
    return services.may_issue(user, registration)


@login_required
@require_POST
def registration_issue(request, pk):
    _require(request.user, Cap.ISSUE_DOCUMENTS)
    registration = selectors.access_registration(request.user, pk)
    with refusals_as_messages(request):
        registration = services.birth_registration_issue(actor=request.user, registration=registration)
        messages.success(request, _("已登记，编号 %(number)s。") % {"number": registration.number})
    return redirect("documents:registration_detail", pk=pk)


@login_required
@require_POST
def registration_mismatch(request, pk):
    """The township links a held birth to the registration after all, or dismisses it."""
    _require(request.user, Cap.ISSUE_DOCUMENTS)
    registration = selectors.access_registration(request.user, pk)
    with refusals_as_messages(request):
        link = request.POST.get("link") == "1"
        births.registration_resolve_mismatch(actor=request.user, registration=registration, link=link)
        messages.success(request, _("已关联该出生。") if link else _("已忽略该出生。"))
    return redirect("documents:registration_detail", pk=pk)


@login_required
@require_POST
def registration_cancel(request, pk):
    _require(request.user, Cap.ISSUE_DOCUMENTS)
    registration = selectors.access_registration(request.user, pk)
    with refusals_as_messages(request):
        services.birth_registration_cancel(
            actor=request.user,
            registration=registration,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        )
        messages.success(request, _("已注销。"))
    return redirect("documents:registration_detail", pk=pk)


def verify_url(request, registration) -> str:
    from django.urls import reverse

    return request.build_absolute_uri(reverse("documents:verify", args=[registration.token]))


@login_required
def registration_pdf(request, pk):
    _require(request.user, Cap.VIEW_DOCUMENTS)
    registration = selectors.access_registration(request.user, pk)
    if not registration.number:
        raise Http404
    from pims.search.selectors import region_names

    issuer = region_names([registration.issuer_code]).get(registration.issuer_code, registration.issuer_code)
    data = certificates.registration_pdf(registration, verify_url=verify_url(request, registration), issuer_name=issuer)
    return pdf_response(request, registration, data, region_code=registration.issuer_code, name="birth-registration")


def pdf_response(request, document, data: bytes, *, region_code: str, name: str) -> HttpResponse:
    """A document's printed PDF, inline, its export audited."""
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        obj=document,
        region_code=region_code,
        detail={"format": "pdf", "number": document.number},
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}-{document.number}.pdf"'
    return response


@require_GET
def verify(request, token):
    """Public: what an issued document's QR code opens. The same "not found"
    for any token that names no issued document."""
    from pims.search.selectors import region_names

    try:
        facts = verification.document_verify(token=token, ip=client_ip(request))
    except verification.TooManyLookups as exc:
        return render(request, "documents/verify.html", {"limited": exc.message, "public_page": True}, status=429)
    issuer = region_names([facts.issuer_code]).get(facts.issuer_code, "") if facts else ""
    # public_page: no CSRF token on the page, so no CSRF cookie for a visitor who only verifies.
    context = {"facts": facts, "issuer": issuer, "public_page": True}
    return render(request, "documents/verify.html", context, status=200 if facts else 404)
