"""Appel à intrapreneurs: an incubator's call, the dossiers candidates file, their pre-selection."""
