from django.test import Client
from pims.testing.fixtures import login
def test_dbg(personas, regions):
    c = login(Client(raise_request_exception=False), personas["outsider"])
    for u in ["/api/regions/210124101000", "/api/regions/210124102000", "/regions/210124102000/"]:
        r = c.get(u); print(u, r.status_code, r.content[:300].decode())
