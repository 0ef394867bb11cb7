"""Several servers on one PostgreSQL database see each other's changes at once (scale-out)."""

import httpx
import pytest

from api.demo.layouts import demo_layouts
from api.storage import ControllerSettings, Store
from tests.conftest import TEST_SECRET, admin_key, postgres_schema_url
from tests.server import running_server

pytestmark = pytest.mark.postgres


@pytest.fixture
def shared_url():
    yield from postgres_schema_url()


def test_a_change_through_one_server_is_honoured_by_the_other_at_once(shared_url, tmp_path):
    store = Store.open(shared_url, secret=TEST_SECRET)
    for layout in demo_layouts():
        store.put_module(layout, "t")
    store.save_settings(ControllerSettings(compliance_enabled=True, modules=("Leads",)), "t")
    auth = {"Authorization": f"Bearer {admin_key(store)}"}
    env = {"LAWFUL_SECRET": TEST_SECRET.hex()}
    ask = {
        "question": "field_release",
        "module": "Leads",
        "channel": "api",
        "fields": ["Tax_ID"],
        "record": {"basis": "contract"},
    }
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        running_server(shared_url, tmp_path / "a", env=env) as a,
        running_server(shared_url, tmp_path / "b", env=env, workers=2) as b,
    ):
        assert httpx.post(f"{b}/api/v1/decisions", json=ask, headers=auth).json()["effect"] == "allow"
        settings = httpx.get(f"{a}/api/v1/settings", headers=auth).json()
        changed = httpx.put(f"{a}/api/v1/settings", json={**settings, "withheld": ["api.sensitive"]}, headers=auth)
        assert changed.status_code == 200
        for _ in range(4):  # every worker of server b, not only the one that answered first
            assert (
                httpx.post(f"{b}/api/v1/decisions", json=ask, headers=auth).json()["decided_by"]
                == "release.channel_restricted"
            )

        assert (
            httpx.post(
                f"{a}/api/v1/blocklist", json={"email": "gone@example.org", "reason": "erasure"}, headers=auth
            ).status_code
            == 201
        )
        added = httpx.post(
            f"{b}/api/v1/records",
            json={"module": "Leads", "data": {"Last_Name": "X", "Company": "Y", "Email": "Gone@Example.org"}},
            headers=auth,
        ).json()
        assert [w["rule"] for w in added["decision"]["warnings"]] == ["blocklist.match.warns"]
    store.close()
