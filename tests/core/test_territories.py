"""The département list a person picks from: in code order, overseas included, each code once."""

from beta_training.core.territories import DEPARTEMENTS, departement_label


def test_departements_are_listed_in_code_order():
    codes = [code for code, _name in DEPARTEMENTS]
    # Corsica's « 2A » and « 2B » take the place of the former 20, as in the INSEE list.
    assert codes == sorted(codes, key=lambda code: (len(code), code.replace("2A", "20a").replace("2B", "20b")))
    assert len(codes) == len(set(codes))


def test_label_names_the_departement_and_keeps_an_unknown_code():
    assert departement_label("975") == "Saint-Pierre-et-Miquelon (975)"
    assert departement_label("999") == "999 (999)"
    assert departement_label(None) == ""
