"""No card data, provably: no field of the schema or of the database can hold a card
number, expiry, CVC or IBAN, and a webhook carrying card details stores none of them."""

from __future__ import annotations

import re

from graphql import GraphQLInputObjectType, GraphQLObjectType
from tortoise import Tortoise

from api.schema import schema
from tests.billing.helpers import CHECKOUT, session_id
from tests.factories.accounts import create_account

CARD = re.compile(
    r"card|cvc|cvv|iban|(^|_)pan($|_)|exp_?(month|year)|(^|card_)expiry($|_date|_month|_year)|expiration_?(month|year)"
    r"|account_?number|sort_?code|routing_?number|bic($|_)|swift",
    re.IGNORECASE,
)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_no_schema_field_or_argument_names_card_data() -> None:
    found = []
    for type_ in schema._schema.type_map.values():
        if type_.name.startswith("__") or not isinstance(
            type_, GraphQLObjectType | GraphQLInputObjectType
        ):
            continue
        for name, field in type_.fields.items():
            if CARD.search(_snake(name)):
                found.append(f"{type_.name}.{name}")
            for arg in getattr(field, "args", {}) or {}:
                if CARD.search(_snake(arg)):
                    found.append(f"{type_.name}.{name}({arg})")
    assert found == []


async def test_no_database_column_names_card_data(db) -> None:
    columns = [
        f"{model._meta.db_table}.{field}"
        for app in Tortoise.apps.values()
        for model in app.values()
        for field in model._meta.fields_map
    ]
    assert len(columns) > 100  # every model was scanned
    assert [c for c in columns if CARD.search(c.split(".", 1)[1])] == []


async def test_a_webhook_carrying_card_details_stores_none_of_them(
    gql, settings, fake_stripe
) -> None:
    owner = await create_account(settings)
    result = await gql(
        CHECKOUT,
        {"ws": owner.workspace_gid, "plan": "PRO", "provider": "STRIPE", "cur": "EUR"},
        token=owner.token,
    )
    sub = await fake_stripe.complete_checkout(
        session_id(result["data"]["startCheckout"]["redirectUrl"])
    )
    invoice = fake_stripe._invoice(sub, paid=True)
    invoice["payment_method_details"] = {
        "card": {"number": "4242424242424242", "exp_month": 12, "cvc": "987", "last4": "4242"}
    }
    invoice["customer_email"] = "payer@example.test"
    await fake_stripe.send("invoice.paid", invoice)

    dump = []
    for app in Tortoise.apps.values():
        for model in app.values():
            dump.extend(str(row) for row in await model.all().values())
    text = "\n".join(dump)
    assert "4242424242424242" not in text
    assert "payment_method_details" not in text and "exp_month" not in text
    assert "payer@example.test" not in text
