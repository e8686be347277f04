"""REST API for accounts: token sign-in and organisations."""
