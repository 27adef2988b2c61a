from django import forms
from django.utils.translation import gettext_lazy as _

from pims.regions.models import Region

from . import rules
from .models import Kind, Priority, Topic


def receiver_choices(sender_code: str, person=None) -> list[tuple[str, str]]:
    """The nodes a message may go to from the form: the places the person is
    registered, lives or is managed in (their townships), and the sender's
    own county, city and province."""
    codes = {rules.node_code(sender_code, level) for level in rules.NODE_LEVELS if level != rules.Level.TOWNSHIP}
    if person is not None:
        for code in (person.registered_code, person.residence_code, person.responsible_code):
            codes.add(rules.node_code(code, rules.Level.TOWNSHIP))
    codes.discard(sender_code)
    nodes = Region.objects.filter(code__in=codes, level__in=rules.NODE_LEVELS, valid_to__isnull=True)
    return [(r.code, f"{r.name}（{r.code}）") for r in nodes.order_by("-code")]


class MessageForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类别"), choices=[(k, k.label) for k in (Kind.INQUIRY, Kind.NOTICE, Kind.HANDOVER)]
    )
    topic = forms.ChoiceField(label=_("事由"), choices=Topic.choices)
    receiver_code = forms.ChoiceField(label=_("接收单位"))
    priority = forms.ChoiceField(label=_("紧急程度"), choices=Priority.choices, initial=Priority.NORMAL)
    person = forms.IntegerField(label=_("对象人员"), required=False, widget=forms.HiddenInput)
    text = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)

    def __init__(self, *args, sender_code: str = "", person=None, **kwargs):
        super().__init__(*args, **kwargs)
        receiver = self.fields["receiver_code"]
        assert isinstance(receiver, forms.ChoiceField)
        receiver.choices = receiver_choices(sender_code, person)
