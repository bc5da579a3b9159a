from assistant.retrieval.tokenize import Tokenizer, fold


def test_umlauts_and_sharp_s_are_folded():
    assert fold("Größe Überwurfmutter Maß") == "groesse ueberwurfmutter mass"


def test_article_numbers_threads_and_sizes_stay_whole():
    tokens = Tokenizer().tokenize('3S-1208 QC-300-08 G1/4 G 1/2" 1.4404 DN25 M5 8 mm NPT 1/2 OR-0250-E')
    for expected in ("3s-1208", "qc-300-08", "g1/4", "g1/2", "1.4404", "dn25", "m5", "8mm", "npt1/2", "or-0250-e"):
        assert expected in tokens, expected
    assert "qc-300" in tokens  # the series of QC-300-08 matches too
    assert "1" not in tokens and "4404" not in tokens


def test_compound_split_against_vocabulary():
    t = Tokenizer(["lebensmittel", "industrie", "kupplung"])
    assert t.split_compound("lebensmittelindustrie") == ("lebensmittel", "industrie")
    tokens = t.tokenize("Lebensmittelindustrie")
    assert set(Tokenizer().tokenize("Lebensmittel Industrie")) <= set(tokens)


def test_no_split_without_vocabulary_or_for_unknown_parts():
    assert Tokenizer().split_compound("lebensmittelindustrie") == ()
    assert Tokenizer(["lebensmittel"]).split_compound("lebensmittelxyzq") == ()


def test_german_and_english_stems_match_inflections():
    t = Tokenizer()
    assert set(t.tokenize("Kupplungen")) & set(t.tokenize("Kupplung"))
    assert set(t.tokenize("couplings")) & set(t.tokenize("coupling"))


def test_stopwords_dropped():
    assert Tokenizer().tokenize("die und the of") == []
