"""The README's examples run as written."""

import json
import re
import shutil
import subprocess
import sys

from api.app import Services, create_app
from api.config import Config
from api.demo import seed_demo
from api.demo.layouts import demo_layouts
from api.storage import ControllerSettings, Store
from tests.conftest import ROOT, RULES, TEST_SECRET, client_for

README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_readme_opens_with_the_two_commands():
    first = blocks("console")[0]
    assert first.splitlines()[0].startswith("make run") and first.splitlines()[1].startswith("make test")


def test_python_example(monkeypatch):
    monkeypatch.chdir(ROOT)
    exec(compile(blocks("python")[0], "README.md", "exec"), {})


def test_first_decision_example(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'demo.db'}", secret=TEST_SECRET)
    services = Services(Config(database_url="unused://", rules_path=RULES, var_dir=tmp_path), store=store)
    seed_demo(store, services.lifecycles, tmp_path / "demo")
    curl = next(b for b in blocks("console") if "/api/v1/decisions" in b)
    payload = json.loads(re.search(r"-d '(.*?)'", curl, re.S).group(1))
    expected = json.loads(blocks("json")[0])
    with client_for(create_app(services.config, services), store) as client:
        listed = client.get("/api/v1/records?module=leads&basis=contract&limit=1").json()
        assert listed[0]["id"] == payload["record_id"]
        body = client.post("/api/v1/decisions", json=payload).json()
    assert body["effect"] == expected["effect"] and body["decided_by"] == expected["decided_by"]
    assert [(f["field"], f["effect"], f["decided_by"]) for f in body["fields"]] == [
        (f["field"], f["effect"], f["decided_by"]) for f in expected["fields"]
    ]
    assert body["ruleset"]["name"] == "gdpr" and body["ruleset"]["version"] == expected["ruleset"]["version"]


def test_released_record_example(tmp_path):
    """What callers see of a record (F5): the example is what an app key reads."""
    example = next(json.loads(b) for b in blocks("json") if '"withheld"' in b)
    store = Store.open(f"sqlite:///{tmp_path / 'lawful.db'}", secret=TEST_SECRET)
    services = Services(Config(database_url="unused://", rules_path=RULES, var_dir=tmp_path), store=store)
    for layout in demo_layouts():
        store.put_module(layout, "t")
    store.save_settings(
        ControllerSettings(compliance_enabled=True, modules=("Leads",), withheld=("api.sensitive",)), "t"
    )
    services.records.add(
        "Leads", {**example["data"], "Date_of_Birth": "1990-01-02"}, source={"kind": "api"}, actor="t", record_id="L1"
    )
    services.lifecycles.set_basis("L1", example["basis"], actor="t")
    with client_for(create_app(services.config, services), store, "app") as client:
        body = client.get(f"/api/v1/records/{example['id']}").json()
    assert {key: body[key] for key in example if key != "..."} == {k: v for k, v in example.items() if k != "..."}


def test_check_example_output(tmp_path):
    example = next(b for b in blocks("console") if b.startswith("$ lawful check rules/"))
    expected = example.splitlines()[1]
    shutil.copytree(RULES, tmp_path / "rules" / "gdpr")
    path = tmp_path / "rules" / "gdpr" / "2026.1" / "processing.yaml"
    path.write_text(path.read_text().replace('consent.status == "obtained"', 'consnet.status == "obtained"'))
    run = subprocess.run(
        [sys.executable, "-m", "api.cli", "check", "rules/"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    assert run.returncode == 1
    assert expected in run.stderr.splitlines()
