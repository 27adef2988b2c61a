"""The counting rule of 登记孩次 (DOMAIN.md §2): one test per part of the rule."""

import datetime as dt

from pims.documents import counting
from pims.registry.models import Marriage, PersonStatus
from pims.registry.tests.factories import make_child, make_household, make_person


def derive(husband, wife, child=None):
    marriage = Marriage.objects.get(husband=husband, wife=wife)
    return counting.derive(husband, wife, marriage=marriage, child=child)


def reasons(derivation):
    return [line.reason for line in derivation.lines]


def test_a_couple_without_children_registers_the_first(couple):
    _, husband, wife = couple
    d = derive(husband, wife)
    assert d.lines == ()
    assert d.birth_order == 1


def test_joint_children_count(couple):
    hh, husband, wife = couple
    make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2008, 6, 1))
    make_child(hh, 4, mother=wife, father=husband, birth_date=dt.date(2012, 6, 1))
    d = derive(husband, wife)
    assert reasons(d) == [counting.JOINT, counting.JOINT]
    assert d.birth_order == 3


def test_twins_count_as_two(couple):
    hh, husband, wife = couple
    make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2010, 1, 1))
    make_child(hh, 4, mother=wife, father=husband, birth_date=dt.date(2010, 1, 1))
    assert derive(husband, wife).birth_order == 3


def test_a_joint_child_born_before_the_marriage_counts(couple):
    hh, husband, wife = couple  # married 2006-10-01
    make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2005, 2, 1))
    d = derive(husband, wife)
    assert reasons(d) == [counting.JOINT_BEFORE_MARRIAGE]
    assert d.lines[0].counted
    assert d.birth_order == 2


def test_a_child_of_the_husbands_earlier_marriage_is_excluded_and_the_line_says_why(couple, regions):
    hh, husband, wife = couple
    other = make_household(regions["village_a1"])
    ex_wife = make_person(other, 1, "2", dt.date(1981, 1, 1), "02", "40")
    Marriage.objects.create(
        husband=husband, wife=ex_wife, date=dt.date(2000, 1, 1), end_date=dt.date(2004, 1, 1), end_reason="divorce"
    )
    make_child(other, 2, mother=ex_wife, father=husband, birth_date=dt.date(2002, 3, 1))
    make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2008, 6, 1))
    d = derive(husband, wife)
    assert reasons(d) == [counting.EARLIER_MARRIAGE, counting.JOINT]
    assert "男方与前配偶所生子女" in d.lines[0].text
    assert d.birth_order == 2


def test_a_child_of_the_wife_with_a_third_party_is_excluded(couple, regions):
    hh, husband, wife = couple
    other = make_household(regions["village_a1"])
    stranger = make_person(other, 1, "1", dt.date(1979, 1, 1), "02", "20")
    make_child(hh, 3, mother=wife, father=stranger, birth_date=dt.date(2009, 6, 1))
    d = derive(husband, wife)
    assert reasons(d) == [counting.THIRD_PARTY]
    assert "女方与第三方所生子女" in d.lines[0].text
    assert d.birth_order == 1


def test_a_child_with_only_one_spouse_on_the_birth_record_is_excluded_and_flagged(couple):
    hh, husband, wife = couple
    make_child(hh, 3, mother=wife, father=None)
    d = derive(husband, wife)
    assert reasons(d) == [counting.OTHER_PARENT_UNKNOWN]
    assert "请核实" in d.lines[0].text
    assert d.birth_order == 1


def test_a_dead_child_is_excluded(couple):
    hh, husband, wife = couple
    make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2008, 6, 1), status=PersonStatus.DEAD)
    make_child(hh, 4, mother=wife, father=husband, birth_date=dt.date(2011, 6, 1))
    d = derive(husband, wife)
    assert reasons(d) == [counting.DEAD, counting.JOINT]
    assert d.birth_order == 2


def test_an_adopted_child_is_excluded(couple):
    hh, husband, wife = couple
    make_person(hh, 3, "1", dt.date(2010, 1, 1), "27", "10")  # 养子, no birth record naming the couple
    d = derive(husband, wife)
    assert reasons(d) == [counting.ADOPTED]
    assert d.birth_order == 1


def test_late_registration_takes_the_childs_own_place_not_the_next(couple):
    hh, husband, wife = couple
    first = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2008, 6, 1))
    second = make_child(hh, 4, mother=wife, father=husband, birth_date=dt.date(2012, 6, 1))
    make_child(hh, 5, mother=wife, father=husband, birth_date=dt.date(2015, 6, 1))
    assert derive(husband, wife, child=first).birth_order == 1
    assert derive(husband, wife, child=second).birth_order == 2


def test_the_derivation_is_kept_as_plain_data(couple):
    hh, husband, wife = couple
    kid = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2008, 6, 1), name="孩次甲")
    rows = derive(husband, wife).as_list()
    assert rows == [
        {
            "person_id": kid.pk,
            "name": "孩次甲",
            "sex": "1",
            "birth_date": "2008-06-01",
            "reason": counting.JOINT,
            "text": str(counting.REASONS[counting.JOINT]),
            "counted": True,
        }
    ]


def test_derivation_reads_in_a_fixed_number_of_queries(couple, django_assert_max_num_queries):
    hh, husband, wife = couple
    for i in range(5):
        make_child(hh, 3 + i, mother=wife, father=husband, birth_date=dt.date(2008 + i, 6, 1))
    marriage = Marriage.objects.select_related("husband__household", "wife__household").get(husband=husband)
    with django_assert_max_num_queries(3):
        counting.derive(marriage.husband, marriage.wife, marriage=marriage)
