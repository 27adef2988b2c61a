import datetime as dt

import pytest

from pims.params.models import ParameterValue
from pims.params.selectors import param_value

pytestmark = pytest.mark.django_db
KEY = "marriage.min_age.female"


def test_the_county_admin_reads_the_table_with_unverified_values_marked(client_for):
    client = client_for("county")
    body = client.get("/params/").content.decode()
    assert "女性法定婚龄" in body and "20 周岁" in body
    assert "生育时母亲最小年龄" in body and "15 周岁（待核实）" in body
    assert "/amend/" not in body
    detail = client.get(f"/params/{KEY}/").content.decode()
    assert "18 周岁（待核实）" in detail and "1980-12-31" in detail
    assert client.get(f"/params/{KEY}/amend/").status_code == 404


@pytest.mark.parametrize("persona", ["clerk", "operator", "reviewer", "auditor", "outsider"])
def test_other_roles_get_404(client_for, persona):
    client = client_for(persona)
    for url in ("/params/", f"/params/{KEY}/", f"/params/{KEY}/amend/"):
        assert client.get(url).status_code == 404, url


def test_the_sysadmin_amends_through_the_form(client_for):
    client = client_for("sysadmin")
    assert client.get(f"/params/{KEY}/amend/").status_code == 200
    response = client.post(
        f"/params/{KEY}/amend/",
        {"value": "19", "valid_from": "2030-01-01", "source": "测试文件", "status": "unverified"},
    )
    assert response.status_code == 302
    assert ParameterValue.objects.filter(origin="amendment", value="19").exists()
    assert param_value(KEY, on=dt.date(2030, 1, 2)) == 19


def test_a_refused_amendment_keeps_the_input_and_names_the_problem(client_for):
    client = client_for("sysadmin")
    data = {"value": "35", "valid_from": "2030-01-01", "source": "测试文件", "status": "unverified"}
    body = client.post(f"/params/{KEY}/amend/", data).content.decode()
    assert "大于允许的上限 30" in body and 'value="35"' in body
    assert not ParameterValue.objects.filter(origin="amendment").exists()
