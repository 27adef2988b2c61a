import pytest
from django.core.management import call_command

from pims.audit.models import Action, AuditEntry
from pims.codes.models import CodeVersion
from pims.codes.selectors import code_map

pytestmark = pytest.mark.django_db

NEW_SEX = "code,name_zh,name_en\r\n1,男,Male\r\n2,女,Female\r\n9,未说明的性别,Not stated\r\n"


@pytest.fixture
def sex(db):
    call_command("load_codes", table="sex")


def test_browser_visible_to_clerk(client_for, sex):
    client = client_for("clerk")
    listing = client.get("/codes/")
    assert listing.status_code == 200 and "GB/T 2261.1-2003" in listing.content.decode()
    detail = client.get("/codes/sex/")
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "未说明的性别" in body and "/codes/sex/edit/" not in body


def test_pages_require_login(client, sex):
    assert client.get("/codes/").status_code == 302
    assert client.get("/codes/sex/edit/").status_code == 302


@pytest.mark.parametrize("persona", ["clerk", "county", "auditor", "outsider"])
def test_edit_page_is_404_for_other_roles(client_for, sex, persona):
    client = client_for(persona)
    assert client.get("/codes/sex/edit/").status_code == 404
    response = client.post("/codes/sex/edit/", {"text": NEW_SEX, "note": "x", "base_number": 1})
    assert response.status_code == 404
    assert CodeVersion.objects.filter(table__key="sex").count() == 1


def test_sysadmin_saves_a_new_version(client_for, sex, personas):
    client = client_for("sysadmin")
    page = client.get("/codes/sex/edit/")
    assert page.status_code == 200 and "未知的性别" in page.content.decode()

    response = client.post("/codes/sex/edit/", {"text": NEW_SEX, "note": "去掉 0", "base_number": 1})

    assert response.status_code == 302
    current = CodeVersion.objects.get(table__key="sex", is_current=True)
    assert (current.number, current.note, current.created_by) == (2, "去掉 0", personas["sysadmin"])
    assert code_map("sex") == {"1": "男", "2": "女", "9": "未说明的性别"}
    entry = AuditEntry.objects.filter(action=Action.UPDATE).latest("seq")
    assert entry.actor == personas["sysadmin"] and entry.detail["version"] == 2

    old = client.get("/codes/sex/?v=1")
    assert old.status_code == 200 and "未知的性别" in old.content.decode()
    assert client.get("/codes/sex/?v=7").status_code == 404


def test_editor_reports_bad_rows_and_writes_nothing(client_for, sex):
    client = client_for("sysadmin")
    response = client.post(
        "/codes/sex/edit/", {"text": "code,name_zh,name_en\n1,男,\n1,女,\n", "note": "x", "base_number": 1}
    )
    assert response.status_code == 200
    assert "第 3 行" in response.content.decode()
    assert CodeVersion.objects.filter(table__key="sex").count() == 1


def test_editor_refuses_to_overwrite_a_newer_version(client_for, sex):
    client = client_for("sysadmin")
    client.post("/codes/sex/edit/", {"text": NEW_SEX, "note": "first", "base_number": 1})
    response = client.post("/codes/sex/edit/", {"text": NEW_SEX + "0,未知,\r\n", "note": "stale", "base_number": 1})
    assert response.status_code == 200
    assert CodeVersion.objects.filter(table__key="sex").count() == 2


def test_unchanged_content_creates_no_version(client_for, sex):
    client = client_for("sysadmin")
    text = client.get("/codes/sex/edit/").context["form"].initial["text"]
    client.post("/codes/sex/edit/", {"text": text, "note": "same", "base_number": 1})
    assert CodeVersion.objects.filter(table__key="sex").count() == 1


def test_api_lists_tables_codes_and_lookup(client_for, sex):
    client = client_for("clerk")
    tables = client.get("/api/codes/").json()
    assert tables[0]["key"] == "sex" and tables[0]["current_version"] == 1 and tables[0]["code_count"] == 4
    assert [c["code"] for c in client.get("/api/codes/sex").json()] == ["0", "1", "2", "9"]
    assert [c["name"] for c in client.get("/api/codes/sex/lookup", {"q": "wz"}).json()] == ["未知的性别"]
    assert client.get("/api/codes/nope").status_code == 404


def test_api_requires_login(client, sex):
    assert client.get("/api/codes/").status_code == 401
    assert client.get("/api/codes/sex").status_code == 401
    assert client.get("/api/codes/sex/lookup", {"q": "n"}).status_code == 401
