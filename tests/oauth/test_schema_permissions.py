"""Every root field of the schema needs a permission class, except a public allow-list.

This guards scope enforcement for fields added by any domain: a new field without
`requires("scope")` (or another permission) fails here.
"""

from __future__ import annotations

from api.schema import build_schema

PUBLIC = {
    # Anonymous by design (public catalogue, sign-up/login flows, e-mail links).
    "Query": {
        "node",
        "viewer",
        "probeRegions",
        "partners",
        "privacyPolicy",
        "plans",
        "statusPage",
        "statusPageByDomain",
    },
    "Mutation": {
        "signUp",
        "logIn",
        "completeLogIn",
        "startWebAuthnLogIn",
        "confirmEmailChange",
        "cancelEmailChange",
        "logOut",
        "verifyEmail",
        "requestPasswordReset",
        "resetPassword",
        "confirmAccountDeletion",
        "confirmAlertChannel",
        # Status page visitors (no account): throttled, answers that enumerate nothing.
        "subscribeToStatusPage",
        "confirmStatusPageSubscription",
        "unsubscribeFromStatusPage",
    },
    "Subscription": {"statusPageChanged"},
}


def test_every_root_field_has_a_permission_class() -> None:
    schema = build_schema()._schema
    missing = []
    for root in ("Query", "Mutation", "Subscription"):
        graphql_type = schema.type_map.get(root)
        if graphql_type is None:
            continue
        for name, field in graphql_type.fields.items():
            definition = (field.extensions or {}).get("strawberry-definition")
            if name in PUBLIC[root]:
                continue
            if definition is None or not definition.permission_classes:
                missing.append(f"{root}.{name}")
    assert missing == [], f"root fields without a permission class: {missing}"
