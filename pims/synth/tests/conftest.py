import pytest


@pytest.fixture
def codes(db):
    from pims.integration.testing import load_code_tables

    load_code_tables()
