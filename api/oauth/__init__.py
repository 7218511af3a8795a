"""OAuth 2 authorization server (authlib): third parties act for a user with granted scopes."""
