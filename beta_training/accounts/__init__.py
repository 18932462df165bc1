"""Accounts: users, roles, sign-up with email confirmation, login, password reset, profile, role grants."""
