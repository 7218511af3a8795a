"""Payment providers behind one small contract (see base.py): each module offers
`start_checkout`, `portal_url` (where the provider has one), `cancel_at_period_end`,
`cancel_now`, `change_plan` (None, or the URL where the payer approves the change) and
`parse_webhook` (verify, then keep only the fields we use)."""
