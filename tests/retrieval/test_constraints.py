import pytest

from assistant.retrieval.constraints import Constraints, match_products, parse_constraints
from assistant.retrieval.loaders import load_products

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def products():
    return load_products(FIXTURES / "products.csv", FIXTURES)[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kupplung bis 120 °C", {"temp_max_c": 120.0}),
        ("coupling up to 120°C", {"temp_max_c": 120.0}),
        ("Schlauch für 120 Grad", {"temp_max_c": 120.0}),
        ("von -40 bis 150 °C", {"temp_min_c": -40.0, "temp_max_c": 150.0}),
        ("350 bar", {"pressure_bar": 350.0}),
        ("PN16", {"pressure_bar": 16.0}),
        ("5000 psi", {"pressure_bar": 344.7}),
    ],
)
def test_numbers(text, expected):
    c = parse_constraints(text)
    for key, value in expected.items():
        assert getattr(c, key) == value


def test_german_question_with_many_facts():
    c = parse_constraints("Edelstahl-Verbindung 1.4404 mit FKM-Dichtung, G1/4, für Dampf in der Pharma, FDA")
    assert c.materials == {"1.4404"} and c.seal_materials == {"FKM"} and c.sizes == {"g1/4"}
    assert c.media == {"steam"} and c.industries == {"pharma"} and c.certifications == {"FDA"}
    assert "seal" not in c.families


def test_english_question_with_many_facts():
    c = parse_constraints("stainless push-in fitting, 8 mm tube, ATEX, cleanroom ISO class 5, food industry")
    assert c.materials == {"stainless"} and c.sizes == {"8mm"} and c.industries == {"food_beverage"}
    assert c.certifications == {"ATEX", "CLEANROOM"} and c.cleanroom_class == 5
    assert c.families == {"pneumatic_fitting"}


def test_mobile_hydraulics_and_hydraulic_oil():
    de = parse_constraints("Kupplung für mobile Hydraulik mit Hydrauliköl")
    en = parse_constraints("coupling for mobile hydraulics with hydraulic oil")
    assert de.industries == en.industries == {"mobile_hydraulics"}
    assert de.media == en.media == {"hydraulic_oil"}


def test_nothing_measurable():
    assert parse_constraints("Wie schnell liefern Sie?").is_empty()
    assert parse_constraints("Datenblatt 3S-1208").count == 0


def test_match_reports_matched_and_missed_facts(products):
    ranked = match_products(parse_constraints("Kupplung für mobile Hydraulik, 350 bar"), products)
    assert ranked[0].product.sku == "QC-300-08" and ranked[0].fits
    second = ranked[1]
    assert second.product.sku == "QC-300-06"
    assert [(f.key, f.required, f.actual) for f in second.missed] == [("pressure", "350 bar", "300 bar")]


def test_no_product_fits_then_closest_first(products):
    ranked = match_products(parse_constraints("Lebensmittelschlauch bis 120 °C"), products)
    assert not any(m.fits for m in ranked)
    assert ranked[0].product.sku == "HS-2010-25"
    assert ranked[0].missed[0].key == "temperature_max" and ranked[0].missed[0].actual == "90 °C"


def test_discontinued_sorts_after_active(products):
    ranked = match_products(Constraints(sizes=frozenset({"8mm"})), products)
    skus = [m.product.sku for m in ranked if m.fits]
    assert skus.index("3S-0806") < skus.index("3S-0804")


def test_cleanroom_class_is_checked(products):
    assert match_products(parse_constraints("Reinraum ISO Klasse 5 Ventil"), products)[0].fits
    assert not match_products(parse_constraints("Reinraum ISO Klasse 3 Ventil"), products)[0].fits


@pytest.mark.parametrize(("text", "required", "excluded"), [
    ("no copper, zinc or brass anywhere near the process; push-in fitting 8 mm into G1/4",
     set(), {"copper", "zinc", "brass"}),
    ("Steckverschraubung messingfrei G1/4", set(), {"brass"}),
    ("Kein Messing, kein Kupfer bitte", set(), {"brass", "copper"}),
    ("Edelstahl statt Messing", {"stainless"}, {"brass"}),
    ("stainless instead of brass", {"stainless"}, {"brass"}),
    ("Steckverschraubung aus Messing G1/4", {"brass"}, set()),
    ("no problem with brass fittings", {"brass"}, set()),  # "no" that rules out nothing
])
def test_a_material_ruled_out_is_not_a_material_asked_for(text, required, excluded) -> None:
    c = parse_constraints(text)
    assert set(c.materials) == required and set(c.excluded_materials) == excluded


def test_an_excluded_material_fails_articles_made_of_it_or_of_an_alloy_of_it(products) -> None:
    fits = {m.product.sku for m in match_products(parse_constraints("no copper, zinc or brass"), products)
            if m.fits}
    brass = {p.sku for p in products if "messing" in p.material.lower() or "brass" in p.material.lower()}
    assert brass and fits and not fits & brass
