"""API fuzzing: schemathesis generates requests from the OpenAPI schema for every operation, as
several callers, and checks each answer: no 5xx, a status code and content type the schema
documents, a body matching the schema, and no unit the caller may not see.

The schema is generated in-process and the requests go to Django's WSGI handler in this thread, so
they run inside the test's transaction on the module's tree (every app's objects from the
isolation matrix): writes, fuzzed like reads, are rolled back after each caller. Path parameters
are often real ids of objects of every unit, visible to the caller or not, so that fuzzing reaches
past 404 and the leak check sees real objects. The runs are reproducible: derandomized Hypothesis
(the cases are a fixed function of the schema), no example database.

Operations not fuzzed: none. The sync peer endpoints (inbox, ping) are fuzzed without a valid
signature: their 401 is documented. Uploads are fuzzed with generated multipart bodies.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from mttq_platform.models import ApiToken
from orgtree.models import OrgUnit
from tests.api.fixtures import module_tree, tree  # noqa: F401  (one tree per module)
from tests.api.helpers import assert_json_error
from tests.conftest import USERS
# Every app's objects for every unit, made once per module (shared with the isolation matrix).
from tests.platform.test_isolation import (  # noqa: F401
    documents, inspection_objects, review_objects, sync_objects,
)

pytestmark = pytest.mark.django_db

# Cases per operation and caller, ~90 operations x 5 callers; the module must stay well under 90 s
# on 2 cores. Schema-valid cases for every caller; invalid ones (4x dearer to generate, and their
# refusal hardly depends on who asks) for the two writing callers, more for writes than reads.
POSITIVE_EXAMPLES = 2
NEGATIVE_EXAMPLES = {False: 1, True: 2}  # by "is a write"


@dataclass(frozen=True)
class Caller:
    username: str
    token_unit: str | None = None  # a token for this unit's subtree; None: signed in (session)
    read_only: bool = False
    negative: bool = False  # also fuzzed with schema-invalid input

    @property
    def label(self):
        if self.token_unit is None:
            return f"{self.username}@session"
        return f"{self.username}@{'read-only-' if self.read_only else ''}token:{self.token_unit}"


CALLERS = [
    Caller("himlam.cadre", token_unit="03127", negative=True),  # commune cadre, a writing token
    Caller("dbp.cadre", token_unit="094"),  # district cadre, a writing token
    Caller("db.viewer", negative=True),  # province viewer, signed in (writes carry the CSRF token)
    Caller("db.chair", token_unit="094", read_only=True),  # province chair, read-only token for a district
    Caller("tw.analyst"),  # the central committee, signed in
]

# Resource (first path segment under /api/v1/) -> the fixture objects its path parameter names.
PATH_OBJECTS = {
    "units": ("unit",), "plans": ("draft", "issued"), "tasks": ("task",), "inbox": ("inbox",),
    "dispatches": ("dispatch",), "derivation-jobs": ("job",), "reports": ("report",), "progress": ("progress",),
    "evidence": ("evidence",), "comment-rounds": ("round",), "comments": ("comment",),
    "inspection-plans": ("iplan",), "inspection-teams": ("team",), "inspections": ("inspection",),
    "inspection-conclusions": ("inspection",), "recommendations": ("recommendation",),
    "checklist-items": ("item",),
}
PATH_KEYS = {"code": lambda obj: obj.code, "uuid": lambda obj: str(obj.uuid), "id": lambda obj: obj.pk}


@pytest.fixture(scope="module")
def raw_schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


@pytest.fixture
def django_wsgi():
    """Django's WSGI handler, without closing the connection at the end of each request (the
    test's transaction lives on it), as Django's own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def visible_codes(caller: Caller) -> set[str]:
    """Units the caller may see at all: the subtree of its unit and the units above it, narrowed
    for a token to the token's subtree and the units above it (plans and units flow down)."""
    member_unit = OrgUnit.objects.get(code=USERS[caller.username][0])
    scope = OrgUnit.objects.get(code=caller.token_unit) if caller.token_unit else None
    return {
        unit.code for unit in OrgUnit.objects.all()
        if (unit.is_within(member_unit) or member_unit.is_within(unit))
        and (scope is None or unit.is_within(scope) or scope.is_within(unit))
    }


def unit_of(objs) -> OrgUnit:
    return objs["unit"]


@pytest.fixture(params=CALLERS, ids=lambda caller: caller.label)
def caller(request, tree, sync_objects, django_wsgi):
    """The caller's credentials (headers, cookies) and what it must never see."""
    role: Caller = request.param
    user = tree.user(role.username)
    headers, cookies = {}, {}
    if role.token_unit:
        _, key = ApiToken.issue(user, "fuzz", unit=tree[role.token_unit], read_only=role.read_only)
        headers["Authorization"] = f"Token {key}"
    else:
        client = Client()
        client.force_login(user)
        csrf = "f" * 32  # a fixed CSRF secret, sent as cookie and header like a browser's page would
        cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf}
        headers["X-CSRFToken"] = csrf
    visible = visible_codes(role)
    hidden_units = [objs["unit"] for code, objs in sync_objects.items() if code not in visible]
    hidden_uuids = {
        str(obj.uuid) for code, objs in sync_objects.items() if code not in visible
        for obj in objs.values() if hasattr(obj, "uuid")
    }
    return {"role": role, "headers": headers, "cookies": cookies, "app": django_wsgi,
            "hidden_codes": {unit.code for unit in hidden_units}, "hidden_names": [unit.name for unit in hidden_units],
            "hidden_uuids": hidden_uuids}


def real_path_parameters(objects_by_unit, token_id):
    """A hook: path parameters are either generated or those of a real object of some unit."""
    objects = {
        resource: [objs["draft"].tasks.get() if name == "task" else objs[name]
                   for objs in objects_by_unit.values() for name in names]
        for resource, names in PATH_OBJECTS.items()
    }

    def flatmap_path_parameters(context, path_parameters):
        resource = context.operation.path.split("/")[3]
        if not path_parameters or not set(path_parameters) <= set(PATH_KEYS):
            return st.just(path_parameters)
        if resource == "tokens":
            candidates = [{"id": token_id}]
        else:
            candidates = [{key: PATH_KEYS[key](obj) for key in path_parameters} for obj in objects.get(resource, ())]
        if not candidates:
            return st.just(path_parameters)
        return st.one_of(st.just(path_parameters), st.sampled_from(candidates))

    return flatmap_path_parameters


@pytest.fixture
def api_schema(raw_schema, caller, sync_objects):
    schema = schemathesis.openapi.from_dict(raw_schema)
    schema.app = caller["app"]
    token = ApiToken.objects.filter(user__username=caller["role"].username).first()
    schema.hook(real_path_parameters(sync_objects, token.pk if token else 0))
    return schema


def units_within_reach(hidden_codes, hidden_names, hidden_uuids):
    """A check: no code, name or object of a unit the caller cannot see appears in the answer."""

    def walk(value, key=""):
        if isinstance(value, dict):
            for name, item in value.items():
                yield from walk(item, name)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item, key)
        elif isinstance(value, str):
            yield key, value

    def units_within_reach(ctx, response, case):
        text = response.content.decode(errors="replace")
        leaked = [name for name in hidden_names if name in text]
        if response.headers.get("content-type", [""])[0].startswith("application/json") and response.content:
            for key, value in walk(json.loads(text)):
                if value in hidden_uuids or (value in hidden_codes and ("unit" in key or key in ("code", "parent"))):
                    leaked.append(f"{key}={value}")
        assert not leaked, f"the answer shows units the caller cannot see: {leaked[:5]}"

    return units_within_reach


def operations(api_schema):
    for result in api_schema.get_all_operations():
        yield result.ok()  # a schema error fails here, loudly


def fuzz_operation(operation, caller, checks) -> str | None:
    """Runs the operation's generated cases; the first failure, if any."""
    role: Caller = caller["role"]
    write = operation.method.upper() != "GET"
    runs = [(GenerationMode.POSITIVE, POSITIVE_EXAMPLES)]
    if role.negative:
        runs.append((GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES[write]))
    for mode, examples in runs:

        # derandomize: the cases are a fixed function of the schema (no seed to keep, no example database).
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate])
        def run(case):
            case.call_and_validate(app=caller["app"], headers=caller["headers"], cookies=caller["cookies"], checks=checks)

        try:
            run()
        except Unsatisfiable:
            assert mode == GenerationMode.NEGATIVE, f"{operation.label}: no valid input can be generated"
            # Nothing in the operation's input can be made invalid (e.g. no parameters at all).
        except (Exception, BaseExceptionGroup) as failure:  # every operation runs; failures are reported together
            return f"{operation.label} ({mode.value}): {failure}"
    return None


def test_api_fuzz(caller, api_schema):
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
              units_within_reach(caller["hidden_codes"], caller["hidden_names"], caller["hidden_uuids"])]
    failures = [failure for operation in operations(api_schema) if (failure := fuzz_operation(operation, caller, checks))]
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)


@pytest.mark.parametrize("url", [
    "/api/v1/report-documents/?year=2025&unit=03%00", "/api/v1/rollup/?year=2025&unit=03%00",
    "/api/v1/inspection-summary/?year=2025&unit=03%00", "/api/v1/sync/feed/?unit=03%00",
])
def test_nul_character_in_a_query_is_refused(tree, url):
    """Found by the fuzzing: views reading their query themselves answered 500 (PostgreSQL text
    cannot hold NUL)."""
    client = Client()
    client.force_login(tree.user("db.chair"))
    assert_json_error(client.get(url), 400, "invalid")


def test_the_leak_check_flags_what_the_caller_cannot_see():
    check = units_within_reach({"01"}, ["thành phố Hà Nội"], {"0f6c9a7e-hidden"})

    def answer(body):
        return SimpleNamespace(content=json.dumps(body, ensure_ascii=False).encode(),
                               headers={"content-type": ["application/json"]})

    check(None, answer({"results": [{"unit": "03127", "code": "094", "year": "01"}]}), None)
    for leaked in ({"results": [{"unit_code": "01"}]}, {"plan": "0f6c9a7e-hidden"}, {"title": "Kế hoạch của thành phố Hà Nội"}):
        with pytest.raises(AssertionError):
            check(None, answer(leaked), None)
