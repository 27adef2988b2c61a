import datetime as dt

from pims.lib.citizen_id import make_citizen_id


def family_form(village_code: str, *, number="0001", mother_birth="1988-04-02", head_id=None, spouse_id=None):
    """A household of four as a clerk types it: head, wife, two children."""
    head_birth, wife_birth = dt.date(1985, 6, 15), dt.date.fromisoformat(mother_birth)
    data = {
        "number": number,
        "hh_type": "1",
        "address": "大孤家子村一组 12 号",
        "form_number": "F-0001",
        "volume_number": "V-01",
        "collected_on": "2026-11-01",
    }
    base = {"ethnicity": "01", "hukou_type": "2", "education": "", "occupation": "", "residence_status": "1"}
    members = [
        {
            **base,
            "row": 1,
            "name": "张三",
            "sex": "1",
            "birth_date": head_birth.isoformat(),
            "relationship": "02",
            "marital_status": "21",
            "spouse_row": "2",
            "marriage_date": "2010-05-01",
            "citizen_id": head_id or make_citizen_id("210124", head_birth, 11, "1"),
        },
        {
            **base,
            "row": 2,
            "name": "李四",
            "sex": "2",
            "birth_date": wife_birth.isoformat(),
            "relationship": "10",
            "marital_status": "21",
            "spouse_row": "1",
            "marriage_date": "2010-05-01",
            "contraceptive_method": "03",
            "contraception_start": "2016-01-01",
            "citizen_id": spouse_id or make_citizen_id("210124", wife_birth, 22, "2"),
        },
        {
            **base,
            "row": 3,
            "name": "张小明",
            "sex": "1",
            "birth_date": "2012-03-08",
            "relationship": "20",
            "marital_status": "10",
            "mother_row": "2",
            "father_row": "1",
            "birth_order": "1",
            "no_id_reason": "1",
        },
        {
            **base,
            "row": 4,
            "name": "张小红",
            "sex": "2",
            "birth_date": "2015-09-20",
            "relationship": "30",
            "marital_status": "10",
            "mother_row": "2",
            "father_row": "1",
            "birth_order": "2",
            "no_id_reason": "1",
        },
    ]
    return data, members
