"""OAuth 2 authorization server (authlib): third parties act for a user with granted scopes.

Importing this package registers the `hf_at_` bearer-token resolver with
api.auth.resolve (the schema imports api.oauth.queries, the app api.oauth.routes).
"""

from api.oauth.principal import register as _register_token_resolver

_register_token_resolver()
