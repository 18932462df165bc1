"""Fiche produit (product sheet + 6-month roadmap) and its review loop: built in issue #5."""
