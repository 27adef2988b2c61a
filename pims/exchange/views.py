"""Pages of the exchange: the node's queues, a message with its actions,
a new message. Thin: every rule is in services/selectors; every page
answers 404 to a user without the role or outside the region."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from pims.accounts.roles import Cap, has_capability
from pims.audit.models import Action
from pims.audit.services import audit_record, client_ip
from pims.lib import clock
from pims.lib.errors import Refused
from pims.registry import reproductive
from pims.registry.selectors import access_household, access_person
from pims.web.errors import refusals_as_messages

from . import exports, handover, rules, selectors, services
from .forms import MessageForm
from .models import Kind, Receipt, State


def register_nav() -> None:
    """Menu entry of the 信息交换 queue; called from ExchangeConfig.ready()."""
    from pims.web.modules import Item, register_item

    register_item(
        "services",
        Item(_("信息交换"), "exchange:queue", Cap.VIEW_EXCHANGE, _("协查、通报、反馈和交接：收件、发件、转递和逾期")),
    )


def _require_view(user) -> None:
    if not has_capability(user, Cap.VIEW_EXCHANGE):
        raise Http404


@login_required
def queue_view(request):
    _require_view(request.user)
    name = request.GET.get("q", "inbox")
    if name not in selectors.QUEUES:
        name = "inbox"
    qs = selectors.queue(request.user, name)
    kind = request.GET.get("kind", "")
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs.select_related("person"), 50).get_page(request.GET.get("page"))
    today = clock.today()
    rows = [(m, selectors.is_overdue(m, today)) for m in selectors.with_names(list(page))]
    context = {
        "queue": name,
        "queues": [(q, QUEUE_TITLES[q]) for q in selectors.QUEUES],
        "kinds": Kind.choices,
        "kind": kind,
        "page": page,
        "rows": rows,
        "counts": selectors.queue_counts(request.user),
        "can_send": has_capability(request.user, Cap.EXCHANGE),
    }
    return render(request, "exchange/queue.html", context)


QUEUE_TITLES = {
    "inbox": _("收件"),
    "outbox": _("发件"),
    "route": _("待转递"),
    "due_soon": _("即将到期"),
    "overdue": _("逾期"),
    "all": _("全部"),
}


@login_required
def message_new(request):
    if not has_capability(request.user, Cap.EXCHANGE):
        raise Http404
    person = None
    person_pk = request.POST.get("person") or request.GET.get("person")
    if person_pk:
        person = access_person(request.user, person_pk)
    form = MessageForm(
        request.POST or None, sender_code=request.user.region.code, person=person, initial={"person": person_pk}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = services.message_draft(
                actor=request.user,
                kind=data["kind"],
                topic=data["topic"],
                receiver_code=data["receiver_code"],
                person=person,
                text=data["text"],
                priority=data["priority"],
            )
        except Refused as exc:
            for m in exc.messages:
                form.add_error(None, m)
            status = exc.status
        else:
            messages.success(request, _("草稿已保存，核对后发出。"))
            return redirect("exchange:message_detail", pk=message.pk)
    elif request.method == "POST":
        status = 422
    return render(request, "exchange/message_new.html", {"form": form, "person": person}, status=status)


@login_required
def message_detail(request, pk):
    _require_view(request.user)
    message = selectors.with_names([selectors.access_message(request.user, pk)])[0]
    context = {
        "m": message,
        "overdue": selectors.is_overdue(message),
        "actions": available_actions(request.user, message),
        "replies": message.replies.all(),
        "payload": sorted(message.payload.items()),
        "has_list": message.kind == Kind.HANDOVER,
    }
    return render(request, "exchange/message_detail.html", context)


def available_actions(user, m) -> list[str]:
    """The actions the page offers (the services check again)."""
    out = []
    if m.state == State.DRAFT and rules.acts_for(user, m.sender_code):
        out.append("send")
    if m.state == State.SENT and m.forwarding and rules.acts_for(user, m.route_code, Cap.ROUTE_EXCHANGE):
        out.append("forward")
    if rules.acts_for(user, m.receiver_code):
        if services.delivered(m):
            out += ["receive", "refuse"]
        elif m.state == State.RECEIVED and m.kind == Kind.INQUIRY:
            out += ["answer", "refuse"]
    if m.state in services.BEFORE_RECEIPT and rules.acts_for(user, m.sender_code):
        out.append("withdraw")
    return out


ACTIONS = {
    "send": lambda user, m, post: services.message_send(actor=user, message=m),
    "forward": lambda user, m, post: services.message_forward(actor=user, message=m),
    "receive": lambda user, m, post: services.message_receive(actor=user, message=m),
    "answer": lambda user, m, post: services.message_answer(actor=user, message=m, text=post.get("text", "")),
    "refuse": lambda user, m, post: services.message_refuse(actor=user, message=m, reason=post.get("reason", "")),
    "withdraw": lambda user, m, post: services.message_withdraw(actor=user, message=m),
}
DONE = {
    "send": _("已发出。"),
    "forward": _("已转递给接收单位。"),
    "receive": _("已签收。"),
    "answer": _("已反馈。"),
    "refuse": _("已退回。"),
    "withdraw": _("已撤回。"),
}


@login_required
@require_POST
def message_action(request, pk, action):
    _require_view(request.user)
    message = selectors.access_message(request.user, pk)
    with refusals_as_messages(request):
        ACTIONS[action](request.user, message, request.POST)
        messages.success(request, DONE[action])
    return redirect("exchange:message_detail", pk=message.pk)


# --- the handover list (交接清单) ---------------------------------------------------------


# The handover entry's service items that are reproductive data (issue 14.7).
REPRODUCTIVE_KEYS = ("pregnant_since", "contraception")


@login_required
def handover_list_view(request, pk):
    _require_view(request.user)
    hl = selectors.access_handover_list(request.user, pk)
    m = selectors.with_names([hl.message])[0]
    receivable = m.state == State.RECEIVED or services.delivered(m)
    rows = selectors.handover_rows(hl)
    show_reproductive = reproductive.can_view(request.user)
    if show_reproductive and any((r["f"].get("services") or {}).get(k) for r in rows for k in REPRODUCTIVE_KEYS):
        reproductive.record_viewing(
            actor=request.user, obj=hl, region_code=hl.message.sender_code, what="handover_list"
        )
    context = {
        "hl": hl,
        "m": m,
        "rows": rows,
        "show_reproductive": show_reproductive,
        "receipts": [(r, r.label) for r in handover.DECIDED],
        "can_confirm_send": m.state == State.DRAFT
        and hl.sender_confirmed_at is None
        and rules.acts_for(request.user, m.sender_code),
        "can_confirm_receive": receivable
        and hl.receiver_confirmed_at is None
        and rules.acts_for(request.user, m.receiver_code),
    }
    return render(request, "exchange/handover_list.html", context)


@login_required
def handover_pdf(request, pk):
    """The printed list (IDs masked); every print is audited as an export."""
    _require_view(request.user)
    hl = selectors.access_handover_list(request.user, pk)
    content = exports.handover_pdf(hl)
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        obj=hl,
        region_code=hl.message.sender_code,
        detail={"format": "pdf", "number": hl.number},
        ip=client_ip(request),
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="handover-{hl.number}.pdf"'
    return response


@login_required
@require_POST
def handover_confirm_send(request, pk):
    _require_view(request.user)
    hl = selectors.access_handover_list(request.user, pk)
    with refusals_as_messages(request):
        handover.handover_confirm_send(actor=request.user, handover_list=hl)
        messages.success(request, _("移交方已确认交接清单，可以发出。"))
    return redirect("exchange:handover_list", pk=pk)


def receipt_decisions(post, hl) -> dict[int, tuple[str, str]]:
    """entry pk → (receipt, reason) from the form's receipt-<pk>/reason-<pk>."""
    return {
        e.pk: (post.get(f"receipt-{e.pk}", Receipt.RECEIVED), post.get(f"reason-{e.pk}", "")) for e in hl.entries.all()
    }


@login_required
@require_POST
def handover_confirm_receive(request, pk):
    _require_view(request.user)
    hl = selectors.access_handover_list(request.user, pk)
    with refusals_as_messages(request):
        handover.handover_confirm_receive(
            actor=request.user, handover_list=hl, decisions=receipt_decisions(request.POST, hl)
        )
        messages.success(request, _("接收方已确认交接清单。"))
    return redirect("exchange:handover_list", pk=pk)


# --- the monthly exchange report (双向考核) ------------------------------------------------


@login_required
def report_home(request):
    _require_view(request.user)
    code = rules.node_code(request.user.region.code, request.user.region.level)
    return redirect("exchange:report", code=code)


def _report_args(request, code):
    from pims.events.periods import is_period
    from pims.regions.selectors import access_region

    from . import report

    region = access_region(request.user, code)
    if not report.can_report(request.user, region):
        raise Http404
    period = request.GET.get("period", "")
    if not is_period(period):
        period = report.default_period(clock.today())
    return report.exchange_report(user=request.user, region=region, period=period)


@login_required
def report_view(request, code):
    _require_view(request.user)
    result = _report_args(request, code)
    sections = [
        (s, [(row, [c.format(row.values.get(c.key)) for c in s.columns]) for row in s.all_rows()])
        for s in result.sections
    ]
    return render(
        request,
        "exchange/report.html",
        {
            "result": result,
            "sections": sections,
            "period": result.first,
            "can_export": has_capability(request.user, Cap.EXPORT),
        },
    )


@login_required
def report_export(request, code, fmt):
    from pims.stats import exports as stats_exports

    _require_view(request.user)
    if fmt not in stats_exports.FORMATS or not has_capability(request.user, Cap.EXPORT):
        raise Http404
    result = _report_args(request, code)
    content, content_type, filename = stats_exports.render(result, fmt, user=request.user)
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        region_code=result.region.code,
        detail={"report": "exchange", "period": result.first, "format": fmt},
        ip=client_ip(request),
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = stats_exports.content_disposition(filename)
    return response


@login_required
@require_POST
def inquiry_by_id(request):
    """The collection form's offer: a 协查 to the registered place of a
    citizen ID met on the form, instead of a second record."""
    from .entry import inquiry_registered_elsewhere

    if not has_capability(request.user, Cap.EXCHANGE):
        raise Http404
    household = None
    if request.POST.get("household"):
        household = access_household(request.user, request.POST["household"], for_write=True)
    try:
        message = inquiry_registered_elsewhere(
            actor=request.user,
            citizen_id=request.POST.get("citizen_id", ""),
            name=request.POST.get("name", ""),
            residence_code=request.POST.get("residence_code", ""),
            household=household,
        )
    except Refused as exc:
        for m in exc.messages:
            messages.error(request, m)
        return redirect("exchange:queue")
    messages.success(request, _("协查草稿已生成，核对后发出；该人员不在本户重复登记。"))
    return redirect("exchange:message_detail", pk=message.pk)
