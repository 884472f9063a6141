"""Problem details speak JSON, not Python: a null or an array given as
``facts`` is named as such (no ``NoneType``/``list`` in the message)."""

import pytest

starlette = pytest.importorskip("starlette")


@pytest.fixture(scope="module")
def client():
    import warnings

    import safetyrules
    from safetyrules.service.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

        return TestClient(create_app(safetyrules.load()))


@pytest.mark.parametrize("facts,word", [(None, "null"), ([], "an array"), ("x", "a string"), (3, "a number")])
def test_facts_of_the_wrong_json_kind(client, facts, word):
    r = client.post("/v1/evaluate", json={"facts": facts})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    detail = r.json()["detail"]
    assert detail.endswith(f"got {word}") and "NoneType" not in detail, detail
