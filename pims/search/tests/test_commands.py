from io import StringIO

from django.core.management import call_command

from pims.registry.models import Person


def test_recompute_name_pinyin_fixes_old_surname_readings(world):
    Person.objects.filter(pk=world["曾三"].pk).update(name_pinyin="cengsan", name_initials="cs")
    out = StringIO()
    call_command("recompute_name_pinyin", batch=3, stdout=out)
    assert Person.objects.values_list("name_pinyin", "name_initials").get(pk=world["曾三"].pk) == ("zengsan", "zs")
    assert "updated 1" in out.getvalue()
    call_command("recompute_name_pinyin", stdout=out)
    assert out.getvalue().strip().endswith("updated 0")
