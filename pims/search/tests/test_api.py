import json

URL = "/api/search/persons"


def post(client, payload):
    return client.post(URL, json.dumps(payload), content_type="application/json")


def test_api_search_mirrors_the_page(world, client_for):
    client = client_for("operator")
    resp = post(client, {"name": "zs"})
    assert resp.status_code == 200
    data = resp.json()
    assert data["count"] == 2
    assert {i["name"] for i in data["items"]} == {"张三", "曾三"}
    item = next(i for i in data["items"] if i["name"] == "曾三")
    assert item["citizen_id"] == world["曾三"].id_masked and item["phone"] == "139****5678"
    assert world.ids["曾三"] not in resp.content.decode()


def test_api_combined_conditions_and_paging(world, client_for):
    client = client_for("operator")
    women = post(client, {"sex": "2", "marital": "married", "childbearing": True, "contraception": "none"}).json()
    assert [i["name"] for i in women["items"]] == ["王芳"]
    paged = post(client, {"sort": "birth_date", "page": 2, "page_size": 3}).json()
    assert paged["pages"] == 3 and [i["name"] for i in paged["items"]] == ["李四", "王芳", "张小明"]


def test_api_citizen_id_in_the_body(world, client_for):
    resp = post(client_for("operator"), {"citizen_id": world.ids["李四"]})
    assert [i["name"] for i in resp.json()["items"]] == ["李四"]
    assert world.ids["李四"] not in resp.content.decode()


def test_api_outsider_gets_nothing_of_township_a(world, client_for):
    client = client_for("outsider")
    for payload in ({"name": "zs"}, {"citizen_id": world.ids["张三"]}, {"name": "张三", "name_mode": "exact"}, {}):
        names = {i["name"] for i in post(client, payload).json()["items"]}
        assert names <= {"张三丰", "赵敏"}, payload
    region = post(client, {"region": world["张三"].registered_code})
    assert region.status_code == 422


def test_api_invalid_conditions_are_422_and_unknown_keys_refused(world, client_for):
    client = client_for("operator")
    assert post(client, {"age_min": 30, "age_max": 20}).status_code == 422
    assert post(client, {"sex": "x"}).status_code == 422
    assert post(client, {"surprise": 1}).status_code == 422


def test_api_roles_without_personal_data_get_404(world, client_for):
    assert post(client_for("sysadmin"), {"name": "zs"}).status_code == 404


def test_api_needs_a_session(world, client):
    assert post(client, {"name": "zs"}).status_code == 401
