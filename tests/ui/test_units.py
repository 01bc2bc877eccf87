"""The front end's own logic, without services: error messages, plain reasons, form parsing, start-up safety,
and production sign-in through st.login's identity."""

from __future__ import annotations

import ast

import httpx
import pytest

from tests.ui.apptest import assert_clean, new_app, texts
from tests.ui.browser import REPO
from ui.streamlit import labels
from ui.streamlit.client import Api, ServiceError, error_from_response, field_errors
from ui.streamlit.config import UISettings, startup_problems
from ui.streamlit.forms import changed_fields, split_list
from ui.streamlit.reasons import (
    beyond_label,
    beyond_reach,
    level_rule_in_words,
    plain_reasons,
    skills_with_esco,
    to_learn,
    too_few_notice,
)
from ui.streamlit.widgets import opportunity_facts

pytestmark = pytest.mark.unit

NOWHERE = "http://127.0.0.1:9"


def _response(status: int, body: object) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("GET", "http://x/"))


def test_validation_errors_are_mapped_to_the_fields_they_name() -> None:
    detail = [
        {"loc": ["body", "postcode"], "msg": "Value error, 'XYZ' is not a UK postcode (e.g. SK1 3XE)",
         "type": "value_error"},
        {"loc": ["body", "given_name"], "msg": "Field required", "type": "missing"},
        {"loc": ["body", "reason"], "msg": "String should have at least 3 characters", "type": "string_too_short",
         "ctx": {"min_length": 3}},
        {"loc": ["body", "qualifications", 0, "level"], "msg": "Input should be 'entry', '1'", "type": "literal_error"},
        {"loc": ["query", "near"], "msg": "`near` must be a postcode we can place on the map",
         "type": "postcode_not_located"},
        {"loc": ["body", "email"], "msg": "value is not a valid email address: An email address must have an @-sign.",
         "type": "value_error"},
    ]
    assert field_errors(detail) == {
        "postcode": "'XYZ' is not a UK postcode (e.g. SK1 3XE)",
        "given_name": "Please fill this in.",
        "reason": "Please write at least 3 characters.",
        "qualifications": "Please choose one of the options.",
        "near": "`near` must be a postcode we can place on the map",
        "email": "That doesn't look like an email address (like name@example.com).",
    }
    err = error_from_response("profiles", _response(422, {"detail": detail}))
    assert err.status == 422 and set(err.fields) == {"postcode", "given_name", "reason", "qualifications", "near",
                                                   "email"}


@pytest.mark.parametrize(("status", "body", "says"), [
    (401, {"detail": "invalid token: Signature has expired"}, "Your sign-in has run out"),
    (403, {"detail": "role 'employer' may not do this"}, "Your account can't do that."),
    (404, {"detail": "profile 1 not found"}, "We couldn't find that."),
    (409, {"detail": "profile 1 already exists"}, "Profile 1 already exists"),
    (503, {"detail": "the matching index is not loaded yet"}, "The suggestions service is starting up"),
    (500, "oops", "Something went wrong in the suggestions service"),
])
def test_service_errors_become_plain_messages(status: int, body: object, says: str) -> None:
    err = error_from_response("matching", _response(status, body))
    assert says in err.message
    assert "Traceback" not in err.message and "{" not in err.message


def test_an_unreachable_service_is_a_message() -> None:
    api = Api(UISettings(profiles_url=NOWHERE, timeout_seconds=2), httpx.Client())
    with pytest.raises(ServiceError, match="The profiles service isn.t answering right now"):
        api.profiles()


def test_reasons_are_plain_sentences_for_a_young_person() -> None:
    explanation = {"matched_skills": ["customer service", "teamwork"], "missing_skills": ["food hygiene"],
                   "distance_km": 2.6, "reasons": ["shares 2 of 3 listed skills"]}
    opportunity = {"type": "job", "remote": False, "wage_per_hour": 12.5, "closing_date": "2099-01-01",
                   "requires_universal_credit": True}
    profile = {"preferred_types": ["job"], "on_universal_credit": True}
    assert plain_reasons({**explanation, "matched_interests": ["cafes"]}, opportunity, profile) == [
        "You listed customer service and teamwork. This job asks for both.",
        "You said you're interested in cafes: this job is about that.",
        "It's about 3 km from you.",
        "It's a job, which you said you want.",
        "It's for people on Universal Credit, like you.",
        "It pays £12.50 an hour.",
    ]
    remote = plain_reasons({"matched_skills": ["coding"], "missing_skills": [], "distance_km": None},
                           {"type": "apprenticeship", "remote": True})
    assert remote == ["You listed coding. This apprenticeship asks for it.", "You can do it from home."]
    assert to_learn(explanation) == "food hygiene"
    assert to_learn({"missing_skills": list("abcdef")}) == "a, b, c, d and 2 more"
    by_meaning = {"matched_skills": ["childcare", "first aid"], "missing_skills": ["safeguarding"],
                  "distance_km": None, "skill_matches": [
                      {"skill": "childcare", "own_words": "caring for children", "esco_label": "baby care"},
                      {"skill": "first aid", "own_words": "first aid", "esco_label": None}]}
    assert plain_reasons(by_meaning, {"type": "apprenticeship", "remote": True})[0] == (
        "You listed caring for children and first aid: this apprenticeship asks for childcare and first aid.")
    assert skills_with_esco(by_meaning) == ["childcare (their words: caring for children; ESCO: baby care)",
                                            "first aid"]


def test_a_postings_level_is_a_reason_within_reach_and_worth_knowing_beyond_it() -> None:
    apprenticeship = {"type": "apprenticeship", "remote": True}
    within = {"matched_skills": [], "level_fit": {"posting_level": 3, "asked_first": 2, "highest_recorded": 2,
                                                  "short": 0, "step_up": True}}
    assert plain_reasons(within, apprenticeship)[-1] == (
        "It's at level 3: it usually asks for level 2 first (like GCSEs at grades 4 to 9), and your highest recorded "
        "qualification is level 2.")
    assert beyond_reach(within) is None
    degree = {"matched_skills": [], "level_fit": {"posting_level": 6, "asked_first": 3, "highest_recorded": 0,
                                                  "short": 3, "step_up": True}}
    assert beyond_reach(degree) == (
        "It's at level 6, which usually asks for level 3 first (like A levels or a T Level); your highest recorded "
        "qualification is entry level. Your adviser can say whether there is another way in.")
    assert beyond_reach(degree, you=False) == (
        "It's at level 6, which usually asks for level 3 first (like A levels or a T Level); their highest recorded "
        "qualification is entry level.")
    assert plain_reasons(degree, apprenticeship) == ["You can do it from home."]
    below = {"level_fit": {"posting_level": 2, "asked_first": 0, "highest_recorded": 3, "short": 0, "step_up": False}}
    assert plain_reasons(below, apprenticeship) == ["You can do it from home."]  # not a step up: nothing to say
    assert beyond_reach({"level_fit": None}) is None
    assert level_rule_in_words() == (
        "levels 1 and 2: nothing; level 3: level 2 (like GCSEs at grades 4 to 9); levels 4 to 8: level 3 (like A "
        "levels or a T Level)")


def test_a_cards_facts_give_the_level_unless_the_title_does() -> None:
    card = {"type": "apprenticeship", "employer_name": "Acme", "hours_per_week": 30, "positions": 1,
            "positions_filled": 0, "closing_date": "2099-01-01", "title": "Bookkeeper apprentice", "level": 3}
    assert opportunity_facts(card).startswith("Apprenticeship, level 3 · Acme · 30 hours a week")
    assert opportunity_facts({**card, "title": "Bookkeeper apprentice (Level 3)"}).startswith("Apprenticeship · Acme")
    assert opportunity_facts({**card, "level": None}).startswith("Apprenticeship · Acme")


def test_too_few_within_reach_is_said_and_wider_results_are_labelled() -> None:
    answer = {"fewer_than_k": True, "travel_km": 10.0, "within_travel": 3}
    assert too_few_notice(answer) == "Only 3 suggestions are within the 10 km you said you'd travel."
    assert too_few_notice({**answer, "within_travel": 0}, you=False) == (
        "Nothing is within the 10 km they said they'd travel.")
    assert too_few_notice({**answer, "fewer_than_k": False}) is None
    wider = {"beyond_travel": True, "explanation": {"distance_km": 12.4}}
    assert beyond_label(wider, 10.0) == "Beyond your 10 km: about 12 km away"
    assert beyond_label(wider, 10.0, you=False) == "Beyond their 10 km: about 12 km away"
    assert to_learn({"missing_skills": []}) is None


def test_form_helpers() -> None:
    assert split_list(" customer service,teamwork\nteamwork ,, cooking ") == ["customer service", "teamwork",
                                                                              "cooking"]
    assert changed_fields({"a": 1, "b": [1], "c": "x"}, {"a": 1, "b": [2], "c": None}) == {"b": [2], "c": None}


def test_a_moment_is_read_on_the_hubs_clock() -> None:
    assert labels.moment("2026-07-01T08:05:00+00:00") == "1 Jul 2026 09:05"  # British Summer Time
    assert labels.moment("2026-12-07T02:17:30Z") == "7 Dec 2026 02:17"


def test_settings_read_ui_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UI_MATCHING_URL", "http://matching.internal:9000/")
    monkeypatch.setenv("YG_ENV", "production")
    config = UISettings()
    assert config.service_url("matching") == "http://matching.internal:9000"
    assert config.profiles_url == "http://127.0.0.1:8001" and config.events_url == "http://127.0.0.1:8004"
    assert not config.development_mode


def test_production_refuses_development_defaults() -> None:
    development = UISettings(environment="development")
    assert startup_problems(development, login_configured=False) == []
    bare = UISettings(environment="production")
    assert len(startup_problems(bare, login_configured=False)) == 2
    provider = {"oidc_issuer": "https://idp.example.org", "oidc_jwks_url": "https://idp.example.org/jwks"}
    assert any("YG_OIDC_ISSUER" in p for p in startup_problems(bare, login_configured=True))
    ready = UISettings(environment="production", **provider)
    assert startup_problems(ready, login_configured=True) == []


def _production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YG_ENV", "production")
    monkeypatch.setenv("YG_OIDC_ISSUER", "https://idp.example.org")
    monkeypatch.setenv("YG_OIDC_JWKS_URL", "https://idp.example.org/jwks")
    for name in ("PROFILES", "OPPORTUNITIES", "MATCHING", "EVENTS"):
        monkeypatch.setenv(f"UI_{name}_URL", NOWHERE)


def test_the_app_will_not_start_in_production_without_sign_in(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch)
    monkeypatch.delenv("YG_OIDC_ISSUER")
    at = new_app().run()
    assert not at.exception
    message = at.error[0].value
    assert "can't start" in message and "YG_OIDC_ISSUER" in message and "[auth]" in message
    assert not at.button and not at.selectbox  # no demo users, no way in


def test_production_sign_in_uses_the_identity_from_st_login(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch)
    at = new_app()
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "yg", "client_secret": "s", "server_metadata_url": "http://idp/.well-known"}
    at.user = {"is_logged_in": False}
    at.run()
    assert_clean(at)
    assert [b.label for b in at.button] == ["Sign in"] and not at.selectbox  # no demo users outside development

    at.user = {"is_logged_in": True, "name": "Pat Adviser", "email": "pat@example.org", "yg_role": "adviser",
               "yg_sub": "adviser-9", "tokens": {}}
    at.run()
    assert not at.exception
    assert "no access token" in at.error[0].value  # the services check the provider's token: without it, no way in

    at.user = {**at.user, "tokens": {"access": "the-provider-access-token"}}
    at.run()
    assert not at.exception
    assert at.title[0].value == "Caseload"
    assert "Signed in as **Pat Adviser**" in at.sidebar.markdown[0].value
    assert "isn't answering" in texts(at)  # the services are down in this test: a message, not a traceback

    stranger = new_app()
    stranger.secrets["auth"] = at.secrets["auth"]
    stranger.user = {"is_logged_in": True, "name": "Someone", "email": "someone@example.org"}
    stranger.run()
    assert not stranger.exception
    assert "no role on this platform" in stranger.error[0].value


def test_caches_hold_only_public_things() -> None:
    """Every st.cache_data / st.cache_resource in the UI is one of the known public ones, and none takes a token."""
    allowed = {"_http", "browse_public", "map_public", "opportunity_public"}
    cached: dict[str, list[str]] = {}
    for path in (REPO / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                "cache_data" in ast.unparse(d) or "cache_resource" in ast.unparse(d) for d in node.decorator_list
            ):
                cached[node.name] = [arg.arg for arg in node.args.args]
    assert set(cached) == allowed, cached
    for name, params in cached.items():
        assert not {"token", "user", "profile_id", "signed_in"} & set(params), (name, params)
