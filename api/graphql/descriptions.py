"""Descriptions the schema gives by convention: arguments that mean the same everywhere
(`first`, `after`, `id`, `workspaceId`, ...) and the values of enums that wrap model
enums (strawberry cannot describe the values of an enum it did not declare).

A description written on the field itself always wins; these fill only what is missing.
tests/platform/test_schema_lint.py fails when anything in the schema has none.
"""

from __future__ import annotations

import re

from graphql import GraphQLEnumType, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema

ROOTS = {
    "Query": "Everything that can be read.",
    "Mutation": "Everything that can be changed.",
    "Subscription": "Live updates over a websocket (graphql-transport-ws or graphql-ws).",
}

ARGUMENTS = {
    "workspaceId": "Global id of the workspace.",
    "targetId": "Global id of the target.",
    "channelId": "Global id of the alert channel.",
    "userId": "Global id of the user.",
    "first": "Page size from the start (default 20, at most 100).",
    "after": "Cursor of the edge the page starts after.",
    "last": "Page size from the end (at most 100).",
    "before": "Cursor of the edge the page ends before.",
    "input": "What to create or change.",
    "email": "E-mail address.",
    "password": "The account's password.",
    "currentPassword": "The account's current password.",
    "newPassword": "The new password.",
    "token": "The single-use token from the e-mailed link.",
    "name": "Display name.",
    "displayName": "Name shown to teammates.",
    "reason": "Why: audited, and shown to the customer in their access log.",
    "scopes": "Scopes granted (docs/oauth.md lists them).",
    "role": "Role in the workspace.",
    "redirectUris": "Allowed OAuth redirect URIs, matched exactly.",
    "confidential": "True: a server-side client with a secret; false: a public (PKCE) client.",
    "since": "Start of the window (inclusive).",
    "until": "End of the window (exclusive); default now.",
    "region": "Only this region (a region code).",
    "policy": "The alert policy.",
    "open": "True: open incidents only; false: resolved ones only; null: both.",
    "status": "Only those in this status.",
    "search": "Only those whose name contains this text (case-insensitive).",
    "mfaToken": "The token logIn answered with (mfaRequired), valid 5 minutes, single use.",
    "totpCode": "The 6-digit code of the authenticator app.",
    "recoveryCode": "One of the recovery codes (each works once).",
    "code": "A current second factor: an authenticator code or a recovery code.",
    "newEmail": "The new e-mail address (confirmed by a mailed link).",
    "credential": "The authenticator's answer (PublicKeyCredential JSON) to the options given.",
    "required": "Whether members must have a second factor to see this workspace's data.",
    "plan": "The plan.",
    "provider": "The payment provider the customer is sent to.",
    "currency": "The currency billed (EUR, USD).",
}

ENUM_VALUES = {
    "ChannelKind": {
        "EMAIL": "An e-mail address.",
        "WEBHOOK": "A signed JSON POST to your URL.",
        "SLACK": "A Slack incoming webhook.",
        "DISCORD": "A Discord webhook.",
        "TELEGRAM": "A Telegram bot message.",
        "TEAMS": "A Microsoft Teams incoming webhook.",
        "PAGERDUTY": "A PagerDuty Events API v2 incident.",
        "OPSGENIE": "An Opsgenie alert.",
        "SMS": "A text message through Twilio.",
        "NTFY": "An ntfy push notification.",
        "PUSHOVER": "A Pushover notification.",
    },
    "AlertEventKind": {
        "DOWN": "The target went down.",
        "UP": "The target is back up.",
        "DEGRADED": "The target is slow or its certificate is close to expiry.",
        "REMINDER": "The target is still down.",
        "SUMMARY": "The target flapped; alerts paused for a while.",
        "TEST": "A test sent on request.",
    },
    "SlaPeriod": {
        "LAST_MONTH": "The previous calendar month.",
        "THIS_MONTH": "From the 1st of this month to today.",
        "LAST_30_DAYS": "The 30 days before today.",
        "LAST_12_MONTHS": "The 12 calendar months before this one.",
    },
    "SlaExportFormat": {
        "CSV": "One row per target and region, then the totals.",
        "JSON": "The report as one JSON document.",
    },
    "CheckStatus": {
        "UP": "The check passed.",
        "DEGRADED": "It answered, but slowly or with a certificate close to expiry.",
        "DOWN": "The check failed.",
        "INCONCLUSIVE": "Not judged: the probe was overloaded (never counts as DOWN).",
    },
    "DeliveryStatus": {
        "PENDING": "Not delivered yet (waiting or retrying).",
        "SENT": "Accepted by the provider.",
        "FAILED": "Given up on (permanent error or too many attempts).",
        "SUPPRESSED": "Not sent on purpose (maintenance, flapping guard, upstream outage).",
    },
    "ErrorCode": {
        "INVALID": "The input breaks a rule; `field` names it.",
        "NOT_FOUND": "No such object, or not visible to the caller.",
        "ALREADY_EXISTS": "Something with this identity exists already.",
        "LIMIT_REACHED": "A limit of the service was reached.",
        "UNSAFE_TARGET": "The address is private, loopback or a metadata endpoint.",
        "EXPIRED": "The token or link is too old.",
        "WRONG_PASSWORD": "The e-mail or the password is wrong.",
        "NOT_VERIFIED": "The e-mail address is not verified yet.",
        "INVALID_CODE": "The second-factor code is wrong, used already or expired.",
        "TWO_FACTOR_REQUIRED": "This needs a second factor: enrol one first.",
        "PLAN_LIMIT": "The workspace's plan allows no more of this; the message names the limit.",
        "DEPENDENCY_CYCLE": "Target dependencies may not loop; the message names the cycle.",
        "RATE_LIMITED": "Too many of these for now; retry after `retryAfter` seconds.",
    },
    "BillingStatus": {
        "NONE": "No paid subscription.",
        "ACTIVE": "Paid and current.",
        "PAST_DUE": "A payment failed: the plan holds until the grace period ends.",
        "CANCELED": "Canceled: the plan ends with the paid period.",
    },
    "PaymentProvider": {"STRIPE": "Stripe (card, by redirect).", "PAYPAL": "PayPal (by redirect)."},
    "PlanName": {
        "FREE": "The free plan.",
        "PRO": "The Pro plan.",
        "BUSINESS": "The Business plan.",
        "UNLIMITED": "No limits (self-hosted, or granted by staff).",
    },
    "SecondFactor": {
        "TOTP": "An authenticator app (6-digit codes).",
        "WEBAUTHN": "A passkey or security key.",
        "RECOVERY_CODE": "A single-use recovery code.",
    },
    "Role": {
        "OWNER": "Everything, billing and deleting the workspace included.",
        "ADMIN": "Manages members, channels and OAuth clients.",
        "MEMBER": "Creates and changes targets and alerting.",
        "VIEWER": "Reads only.",
    },
    "TargetKind": {
        "HTTP": "An HTTP(S) request.",
        "TCP": "A TCP connection.",
        "DNS": "A DNS lookup.",
        "TLS": "A TLS certificate check.",
        "ICMP": "A ping.",
        "HEARTBEAT": "Your job calls Hitflow; silence is an outage.",
    },
    "HttpMethod": {
        m: f"HTTP {m}." for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    },
    "DnsRecordType": {
        "A": "IPv4 address.",
        "AAAA": "IPv6 address.",
        "CNAME": "Canonical name (alias).",
        "MX": "Mail exchanger.",
        "NS": "Name server.",
        "TXT": "Text record.",
        "SOA": "Start of authority.",
        "CAA": "Certification authority authorization.",
        "SRV": "Service locator.",
        "PTR": "Reverse-lookup pointer.",
    },
    "StatusPageVisibility": {
        "PUBLIC": "Anyone with the link sees the page.",
        "PASSWORD": "The page asks for its password.",
    },
    "StatusUpdateState": {
        "INVESTIGATING": "The cause is being looked for.",
        "IDENTIFIED": "The cause is known; a fix is under way.",
        "MONITORING": "A fix is in place; watching that it holds.",
        "RESOLVED": "Over.",
    },
    "ComponentStatus": {
        "OPERATIONAL": "Every target of the component is up.",
        "UNDER_MAINTENANCE": "Its targets are in a planned maintenance window.",
        "DEGRADED_PERFORMANCE": "Some targets are slow or degraded; none is down.",
        "PARTIAL_OUTAGE": "Some, not all, of its targets are down.",
        "MAJOR_OUTAGE": "All of its targets are down.",
    },
    "TargetStatus": {
        "PENDING": "Not checked yet.",
        "UP": "Reachable and correct.",
        "DEGRADED": "Reachable, but slow or with a certificate close to expiry.",
        "DOWN": "Failing (confirmed by the policy's regions and retries).",
        "PAUSED": "Not checked: paused by a member or a plan limit.",
    },
    "IncidentCause": {
        "DIRECT": "The target itself failed; alerted (after the dependency settle window "
        "when the target has dependencies or dependents).",
        "UPSTREAM": "A target it depends on was down: attached to that incident, its own "
        "alerts suppressed.",
    },
}


def _words(name: str) -> str:
    return " ".join(w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name))


def _object_of(field_name: str) -> str:
    """`updateTarget` -> "target", `revokePersonalAccessToken` -> "personal access token"."""
    words = _words(field_name).split()
    verbs = {"get", "update", "delete", "pause", "resume", "revoke", "remove", "cancel"}
    return " ".join(words[1:] if len(words) > 1 and words[0] in verbs else words)


def fill_descriptions(schema: GraphQLSchema) -> None:
    for name, gql_type in schema.type_map.items():
        if name in ROOTS and not gql_type.description:
            gql_type.description = ROOTS[name]
        if isinstance(gql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in gql_type.fields.items():
                for arg_name, arg in field.args.items():
                    if arg.description:
                        continue
                    if arg_name == "id":
                        arg.description = f"Global id of the {_object_of(field_name)}."
                    elif arg_name in ARGUMENTS:
                        arg.description = ARGUMENTS[arg_name]
        if isinstance(gql_type, GraphQLEnumType):
            for value_name, value in gql_type.values.items():
                if not value.description:
                    value.description = ENUM_VALUES.get(name, {}).get(value_name)
