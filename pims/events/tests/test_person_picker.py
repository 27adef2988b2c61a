"""Person pickers of the event form (issue 15.5): plausible persons only
(sex and age from the parameter table), and search-as-you-type over the
scoped register by name, pinyin initials or the ID number's last digits."""

from django.urls import reverse

from pims.events.widgets import PersonFilter, event_widgets, person_search

from .conftest import village_report


def choices(widgets, name):
    return {label.split("（")[0] for _, label in next(w for w in widgets if w.name == name).choices}


def test_birth_offers_women_as_mothers_and_men_as_fathers(personas, regions, family):
    report = village_report(personas, regions)
    widgets = event_widgets(user=personas["clerk"], report=report, event_type="birth", values={})
    assert choices(widgets, "related_person") == {"李四"}  # the only woman of childbearing age
    fathers = choices(widgets, "father_id")
    assert "张三" in fathers and not fathers & {"李四", "张小红"}  # no woman is offered as a father
    pregnancy = event_widgets(user=personas["clerk"], report=report, event_type="pregnancy", values={})
    assert choices(pregnancy, "person") == {"李四"}
    death = event_widgets(user=personas["clerk"], report=report, event_type="death", values={})
    assert choices(death, "person") == {"张三", "李四", "张小明", "张小红"}


def test_search_by_name_initials_and_id_tail(personas, regions, family):
    hh, m = family
    report = village_report(personas, regions)
    clerk = personas["clerk"]
    anyone = PersonFilter()
    assert [label.split("（")[0] for _, label in person_search(user=clerk, report=report, text="小", f=anyone)] == [
        "张小明",
        "张小红",
    ]
    assert [pk for pk, _ in person_search(user=clerk, report=report, text="ls", f=anyone)] == [m["李四"].pk]
    tail = m["张三"].id_masked[-4:]
    assert m["张三"].pk in [pk for pk, _ in person_search(user=clerk, report=report, text=tail, f=anyone)]
    women = person_search(user=clerk, report=report, text="张", f=PersonFilter("2"))
    assert [label.split("（")[0] for _, label in women] == ["张小红"]


def test_search_endpoint_is_scoped_and_filtered(client_for, personas, regions, family):
    report = village_report(personas, regions)
    url = reverse("events:report_person_search", args=[report.pk])
    data = client_for("clerk").get(url, {"q": "李", "sex": "2", "min_age": "15", "max_age": "49"}).json()
    assert [r["label"].split("（")[0] for r in data["results"]] == ["李四"]
    assert client_for("clerk").get(url, {"q": "李", "sex": "1"}).json() == {"results": []}
    assert client_for("outsider").get(url, {"q": "李"}).status_code == 404
    form = client_for("clerk").get(reverse("events:report_event_create", args=[report.pk]) + "?type=birth")
    assert 'data-person-search="' + url in form.content.decode()


def test_the_spouse_picker_offers_only_the_other_sex(client_for, personas, regions, family):
    """结婚/离婚/复婚: once 本人 is chosen the 配偶 list holds only the other sex —
    on the form, in the browser (each choice carries its sex) and in the search."""
    _hh, m = family
    report = village_report(personas, regions)
    clerk = personas["clerk"]
    for event_type in ("marriage", "divorce", "remarriage"):
        chosen = event_widgets(user=clerk, report=report, event_type=event_type, values={"person": m["张三"].pk})
        spouse = next(w for w in chosen if w.name == "related_person")
        assert spouse.opposite_of == "person" and {sex for _pk, _label, sex in spouse.choices} == {"2"}
        assert {label.split("（")[0] for _pk, label, _sex in spouse.choices} == {"李四", "张小红"}
    url = reverse("events:report_person_search", args=[report.pk])
    data = client_for("clerk").get(url, {"q": "张", "opposite_of": m["李四"].pk}).json()
    assert {r["label"].split("（")[0] for r in data["results"]} == {"张三", "张小明"}
    assert {r["sex"] for r in data["results"]} == {"1"}
    form = client_for("clerk").get(reverse("events:report_event_create", args=[report.pk]) + "?type=marriage")
    html = form.content.decode()
    assert 'data-opposite-of="w-person"' in html and 'data-sex="2"' in html
