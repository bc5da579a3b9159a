"""BMEcat files for the tests, generated in the shape of public samples.

The shapes follow what open-source BMEcat libraries ship (BMECat.net's and BMEcatConverter's sample catalogues:
2005 "onto" features with FTEMPLATE/FT_ID/FT_NAME and VALUE_IDREF + FVALUE_DETAILS, 1.2 ARTICLE files with a
plain DOCTYPE); the content is made up, so nothing third-party is committed. The feature codes (EF9xxxxx,
0173-1#02-ZZZ…) are invented for the tests and mapped in ``MAPPING`` below, as a content team would map theirs.
"""

from __future__ import annotations

from typing import Any

MAPPING: dict[str, Any] = {
    "columns": {
        "family": ["Produktfamilie"],
        "material": ["Werkstoff", "EF9000001", "0173-1#02-ZZZ001#001"],
        "seal_material": ["Dichtungswerkstoff", "EF9000002"],
        "connection": ["Anschluss", "EF9000003", "0173-1#02-ZZZ003#001"],
        "size": ["Nenngröße", "EF9000004", "0173-1#02-ZZZ004#001"],
        "temp_min_c": ["Temperatur min.", "EF9000005", "0173-1#02-ZZZ005#001"],
        "temp_max_c": ["Temperatur max.", "EF9000006", "0173-1#02-ZZZ006#001"],
        "temp_range": ["Temperaturbereich"],
        "pressure_max_bar": ["Betriebsdruck max.", "EF9000007", "0173-1#02-ZZZ007#001"],
        "certifications": ["Zertifizierungen", "EF9000008"],
        "media": ["Medien", "EF9000009", "0173-1#02-ZZZ009#001"],
        "industries": ["Branchen"],
        "series": ["Serie"],
    },
    "values": {"media": {"Druckluft": "air", "0173-1#07-ZZZ901#001": "water"},
               "certifications": {"FDA": "FDA-21CFR177"}},
    "families": {"EC9000001": "valve", "0173-1#01-ZZZ100#001": "pneumatic_fitting", "seal": "seal"},
    "defaults": {"lead_time_days": 7, "stock_qty": 0},
}


def _features_classic(features: list[tuple[str, str, str]], lang_attr: bool) -> str:
    out = []
    for name, value, unit in features:
        values = "".join(f"<FVALUE>{v}</FVALUE>" for v in value.split("|"))
        out.append(f"<FEATURE><FNAME>{name}</FNAME>{values}" + (f"<FUNIT>{unit}</FUNIT>" if unit else "")
                   + "</FEATURE>")
    return "".join(out)


def product_2005(sku: str, *, name_de: str = "Magnetventil 2/2", name_en: str = "Solenoid valve 2/2",
                 price: str = "48.50", features: list[tuple[str, str, str]] | None = None,
                 group: str = "EC9000001", system: str = "ETIM-9.0", extra: str = "", mode: str = "new",
                 order_unit: str = "C62", per_unit: str = "1") -> str:
    features = features if features is not None else [
        ("EF9000001", "Messing", ""), ("EF9000002", "FKM", ""), ("EF9000003", "G1/4", ""),
        ("EF9000005", "14", "FAH"), ("EF9000006", "176", "FAH"), ("EF9000007", "145", "PS"),
        ("EF9000009", "Druckluft", ""), ("EF9000099", "42", "MMT"),
    ]
    return f"""<PRODUCT mode="{mode}">
  <SUPPLIER_PID>{sku}</SUPPLIER_PID>
  <PRODUCT_DETAILS>
    <DESCRIPTION_SHORT lang="deu">{name_de}</DESCRIPTION_SHORT>
    <DESCRIPTION_SHORT lang="eng">{name_en}</DESCRIPTION_SHORT>
    <DESCRIPTION_LONG lang="deu">Direktgesteuertes Ventil für Druckluft.</DESCRIPTION_LONG>
    <INTERNATIONAL_PID type="gtin">4012345678901</INTERNATIONAL_PID>
    <MANUFACTURER_PID>MV-{sku}</MANUFACTURER_PID>
    <MANUFACTURER_NAME>Beispiel Ventile GmbH</MANUFACTURER_NAME>
    <DELIVERY_TIME>3</DELIVERY_TIME>
    <KEYWORD lang="deu">Ventil</KEYWORD>
    <KEYWORD lang="eng">valve</KEYWORD>
  </PRODUCT_DETAILS>
  <PRODUCT_FEATURES>
    <REFERENCE_FEATURE_SYSTEM_NAME>{system}</REFERENCE_FEATURE_SYSTEM_NAME>
    <REFERENCE_FEATURE_GROUP_ID>{group}</REFERENCE_FEATURE_GROUP_ID>
    {_features_classic(features, True)}
  </PRODUCT_FEATURES>
  <PRODUCT_ORDER_DETAILS>
    <ORDER_UNIT>{order_unit}</ORDER_UNIT><CONTENT_UNIT>C62</CONTENT_UNIT><NO_CU_PER_OU>{per_unit}</NO_CU_PER_OU>
    <PRICE_QUANTITY>1</PRICE_QUANTITY><QUANTITY_MIN>2</QUANTITY_MIN><QUANTITY_INTERVAL>2</QUANTITY_INTERVAL>
  </PRODUCT_ORDER_DETAILS>
  {prices_2005(price)}
  <MIME_INFO><MIME><MIME_TYPE>application/pdf</MIME_TYPE><MIME_SOURCE>datenblatt/{sku}.pdf</MIME_SOURCE>
    <MIME_DESCR>Datenblatt</MIME_DESCR><MIME_PURPOSE>data_sheet</MIME_PURPOSE></MIME></MIME_INFO>
  {extra}
</PRODUCT>"""


def prices_2005(price: str, tier: str = "40.00", valid_to: str = "2099-12-31") -> str:
    return f"""<PRODUCT_PRICE_DETAILS>
    <DATETIME type="valid_start_date"><DATE>2020-01-01</DATE></DATETIME>
    <DATETIME type="valid_end_date"><DATE>{valid_to}</DATE></DATETIME>
    <PRODUCT_PRICE price_type="net_list"><PRICE_AMOUNT>{price}</PRICE_AMOUNT><PRICE_CURRENCY>EUR</PRICE_CURRENCY>
      <TAX>0.19</TAX><LOWER_BOUND>1</LOWER_BOUND><TERRITORY>DE</TERRITORY></PRODUCT_PRICE>
    <PRODUCT_PRICE price_type="net_list"><PRICE_AMOUNT>{tier}</PRICE_AMOUNT><PRICE_CURRENCY>EUR</PRICE_CURRENCY>
      <LOWER_BOUND>50</LOWER_BOUND><TERRITORY>DE</TERRITORY></PRODUCT_PRICE>
  </PRODUCT_PRICE_DETAILS>"""


def catalog_2005(products: list[str], *, transaction: str = "T_NEW_CATALOG", catalog_id: str = "VENT-2026",
                 namespace: str = "http://www.bmecat.org/bmecat/2005") -> bytes:
    prev = '<PREV_VERSION>1</PREV_VERSION>' if transaction != "T_NEW_CATALOG" else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<BMECAT version="2005" xmlns="{namespace}">
<HEADER><GENERATOR_INFO>test</GENERATOR_INFO>
  <CATALOG><LANGUAGE default="true">deu</LANGUAGE><LANGUAGE>eng</LANGUAGE><CATALOG_ID>{catalog_id}</CATALOG_ID>
    <CATALOG_VERSION>1.0</CATALOG_VERSION><CATALOG_NAME lang="deu">Ventile</CATALOG_NAME>
    <TERRITORY>DE</TERRITORY><CURRENCY>EUR</CURRENCY></CATALOG>
  <SUPPLIER><SUPPLIER_NAME>Beispiel Ventile GmbH</SUPPLIER_NAME></SUPPLIER></HEADER>
<{transaction}{' prev_version="1"' if prev else ''}>
{''.join(products)}
</{transaction}>
</BMECAT>""".encode()


def onto_product(sku: str, price: str = "12.90") -> str:
    """2005 "onto" style: FTEMPLATE/FT_ID/FT_NAME, values as FVALUE or VALUE_IDREF with FVALUE_DETAILS."""
    def ft(irdi: str, name: str, value: str = "", idref: str = "", details: str = "", unit: str = "") -> str:
        body = f"<FVALUE>{value}</FVALUE>" if value else (
            f"<VALUE_IDREF>{idref}</VALUE_IDREF><FVALUE_DETAILS>{details}</FVALUE_DETAILS>")
        return (f"<FEATURE><FTEMPLATE><FT_ID>{irdi}</FT_ID><FT_NAME lang=\"deu\">{name}</FT_NAME></FTEMPLATE>"
                f"{body}" + (f"<FUNIT>{unit}</FUNIT>" if unit else "") + "</FEATURE>")

    return f"""<PRODUCT>
  <SUPPLIER_PID>{sku}</SUPPLIER_PID>
  <PRODUCT_DETAILS><DESCRIPTION_SHORT lang="deu">Steckverschraubung gerade</DESCRIPTION_SHORT>
    <DESCRIPTION_SHORT lang="eng">Push-in fitting straight</DESCRIPTION_SHORT></PRODUCT_DETAILS>
  <PRODUCT_FEATURES>
    <REFERENCE_FEATURE_SYSTEM_NAME>ECLASS-12.0</REFERENCE_FEATURE_SYSTEM_NAME>
    <REFERENCE_FEATURE_GROUP_ID>0173-1#01-ZZZ100#001</REFERENCE_FEATURE_GROUP_ID>
    <FEATURE_GROUP><REFERENCE_FEATURE_GROUP_ID>0173-1#01-ZZZ200#001</REFERENCE_FEATURE_GROUP_ID>
    {ft("0173-1#02-ZZZ001#001", "Werkstoff", value="PA12")}
    {ft("0173-1#02-ZZZ003#001", "Anschluss", value="G1/8")}
    {ft("0173-1#02-ZZZ004#001", "Schlauchaußendurchmesser", value="0.25", unit="INH")}
    {ft("0173-1#02-ZZZ005#001", "Temperatur min.", value="-20", unit="CEL")}
    {ft("0173-1#02-ZZZ006#001", "Temperatur max.", value="80", unit="CEL")}
    {ft("0173-1#02-ZZZ007#001", "Betriebsdruck max.", value="1.5", unit="MPA")}
    {ft("0173-1#02-ZZZ009#001", "Medium", idref="0173-1#07-ZZZ901#001", details="Wasser")}
    {ft("0173-1#02-ZZZ050#001", "Farbe", idref="0173-1#07-ZZZ950#001", details="blau")}
    </FEATURE_GROUP>
  </PRODUCT_FEATURES>
  <PRODUCT_ORDER_DETAILS><ORDER_UNIT>PK</ORDER_UNIT><CONTENT_UNIT>C62</CONTENT_UNIT><NO_CU_PER_OU>10</NO_CU_PER_OU>
  </PRODUCT_ORDER_DETAILS>
  {prices_2005(price)}
</PRODUCT>"""


def catalog_12(articles: list[str], *, doctype: str = '<!DOCTYPE BMECAT SYSTEM "bmecat_new_catalog_1_2.dtd">',
               transaction: str = "T_NEW_CATALOG", catalog_id: str = "DICHT-12") -> bytes:
    return f"""<?xml version="1.0" encoding="ISO-8859-1"?>
{doctype}
<BMECAT version="1.2" xmlns="http://www.bmecat.org/XMLSchema/1.2/bmecat_new_catalog">
<HEADER><CATALOG><LANGUAGE>deu</LANGUAGE><CATALOG_ID>{catalog_id}</CATALOG_ID><CATALOG_VERSION>7.1</CATALOG_VERSION>
  <CURRENCY>EUR</CURRENCY></CATALOG><SUPPLIER><SUPPLIER_NAME>Dichtungen AG</SUPPLIER_NAME></SUPPLIER></HEADER>
<{transaction}>
{''.join(articles)}
</{transaction}>
</BMECAT>""".encode("latin-1")


def article_12(aid: str, price: str = "0.85", successor: str = "") -> str:
    ref = f'<ARTICLE_REFERENCE type="followup"><ART_ID_TO>{successor}</ART_ID_TO></ARTICLE_REFERENCE>' if successor \
        else ""
    return f"""<ARTICLE mode="new">
  <SUPPLIER_AID>{aid}</SUPPLIER_AID>
  <ARTICLE_DETAILS><DESCRIPTION_SHORT>O-Ring 25 x 2 EPDM</DESCRIPTION_SHORT>
    <EAN>4000000000017</EAN><MANUFACTURER_AID>OR25-EP</MANUFACTURER_AID><DELIVERY_TIME>2</DELIVERY_TIME>
  </ARTICLE_DETAILS>
  <ARTICLE_FEATURES><REFERENCE_FEATURE_SYSTEM_NAME>proficl@ss</REFERENCE_FEATURE_SYSTEM_NAME>
    <REFERENCE_FEATURE_GROUP_ID>seal</REFERENCE_FEATURE_GROUP_ID>
    <FEATURE><FNAME>Werkstoff</FNAME><FVALUE>EPDM</FVALUE></FEATURE>
    <FEATURE><FNAME>Temperaturbereich</FNAME><FVALUE>-40</FVALUE><FVALUE>302</FVALUE><FUNIT>°F</FUNIT></FEATURE>
    <FEATURE><FNAME>Betriebsdruck max.</FNAME><FVALUE>2900</FVALUE><FUNIT>psi</FUNIT></FEATURE>
    <FEATURE><FNAME>Anschluss</FNAME><FVALUE>-</FVALUE></FEATURE>
    <FEATURE><FNAME>Nenngröße</FNAME><FVALUE>25 x 2</FVALUE></FEATURE>
    <FEATURE><FNAME>Shore-Härte</FNAME><FVALUE>70</FVALUE><FUNIT>Shore A</FUNIT></FEATURE>
    <FEATURE><FNAME>Zertifizierungen</FNAME><FVALUE>FDA, RoHS</FVALUE></FEATURE>
  </ARTICLE_FEATURES>
  <ARTICLE_ORDER_DETAILS><ORDER_UNIT>C62</ORDER_UNIT><QUANTITY_MIN>100</QUANTITY_MIN></ARTICLE_ORDER_DETAILS>
  <ARTICLE_PRICE_DETAILS><ARTICLE_PRICE price_type="net_list"><PRICE_AMOUNT>{price}</PRICE_AMOUNT>
    <PRICE_CURRENCY>EUR</PRICE_CURRENCY></ARTICLE_PRICE></ARTICLE_PRICE_DETAILS>
  {ref}
</ARTICLE>"""


def update_prices(skus_prices: dict[str, str], catalog_id: str = "VENT-2026") -> bytes:
    products = [f"<PRODUCT mode=\"update\"><SUPPLIER_PID>{sku}</SUPPLIER_PID>{prices_2005(price)}</PRODUCT>"
                for sku, price in skus_prices.items()]
    return catalog_2005(products, transaction="T_UPDATE_PRICES", catalog_id=catalog_id)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE BMECAT [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<BMECAT version="2005"><HEADER><CATALOG><CATALOG_ID>&lol3;</CATALOG_ID></CATALOG></HEADER></BMECAT>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE BMECAT [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<BMECAT version="2005"><HEADER><CATALOG><CATALOG_ID>&secret;</CATALOG_ID></CATALOG></HEADER></BMECAT>"""

DTD_FETCH = b"""<?xml version="1.0"?>
<!DOCTYPE BMECAT SYSTEM "http://attacker.invalid/bmecat.dtd">
<BMECAT version="2005"><HEADER><CATALOG><CATALOG_ID>X</CATALOG_ID></CATALOG></HEADER><T_NEW_CATALOG/></BMECAT>"""
