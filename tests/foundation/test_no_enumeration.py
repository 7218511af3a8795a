"""No answer tells whether an address has an account."""

from __future__ import annotations

from unittest.mock import ANY

from api.resources import CORE_QUEUE
from tests.factories.accounts import create_account

SIGN_UP = """
mutation($email: String!, $password: String!) {
  signUp(email: $email, password: $password) { token user { id } errors { field code message } }
}"""
RESET = "mutation($email: String!) { requestPasswordReset(email: $email) }"
LOG_IN = """
mutation($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token user { id } errors { field code message } }
}"""


async def _answer(client, query: str, variables: dict) -> tuple[int, dict, str | None]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    return response.status_code, response.json(), response.headers.get("set-cookie")


async def test_sign_up_answers_the_same_for_a_taken_and_a_free_address(client, settings) -> None:
    await create_account(settings, email="taken@example.test")
    taken = await _answer(client, SIGN_UP, {"email": "taken@example.test", "password": "x" * 12})
    free = await _answer(client, SIGN_UP, {"email": "free@example.test", "password": "x" * 12})
    assert taken == free
    assert free[1] == {
        "extensions": ANY,
        "data": {"signUp": {"token": None, "user": None, "errors": []}},
    }
    # Validation errors do not depend on the address either.
    short_taken = await _answer(client, SIGN_UP, {"email": "taken@example.test", "password": "x"})
    short_free = await _answer(client, SIGN_UP, {"email": "other@example.test", "password": "x"})
    assert short_taken == short_free


async def test_password_reset_answers_and_works_the_same_for_known_and_unknown(
    client, settings, resources
) -> None:
    await create_account(settings, email="known@example.test")
    known = await _answer(client, RESET, {"email": "known@example.test"})
    queued_after_known = await resources.redis.zcard(CORE_QUEUE)
    unknown = await _answer(client, RESET, {"email": "unknown@example.test"})
    queued_after_unknown = await resources.redis.zcard(CORE_QUEUE)

    assert (
        known == unknown == (200, {"extensions": ANY, "data": {"requestPasswordReset": True}}, None)
    )
    # The request only queues a job in both cases: the lookup happens in the worker,
    # so the response time does not depend on the address either.
    assert queued_after_known == 1
    assert queued_after_unknown == 2


async def test_log_in_answers_the_same_for_unknown_address_and_wrong_password(
    client, settings
) -> None:
    await create_account(settings, email="real@example.test")
    wrong = await _answer(client, LOG_IN, {"email": "real@example.test", "password": "y" * 12})
    unknown = await _answer(client, LOG_IN, {"email": "fake@example.test", "password": "y" * 12})
    assert wrong == unknown
    assert wrong[1]["data"]["logIn"]["errors"][0]["code"] == "WRONG_PASSWORD"
