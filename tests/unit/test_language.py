from __future__ import annotations

import pytest

from shared.text.language import LANGUAGE_NAMES, Language, detect_language, parse_language

pytestmark = pytest.mark.unit

QUESTIONS = [
    (Language.EN, "What should I eat to improve my fertility?"),
    (Language.EN, "How long after ovulation can I take a pregnancy test?"),
    (Language.EN, "Is a low AMH level a sign of early menopause?"),
    (Language.TA, "கருவுறுதலை மேம்படுத்த நான் என்ன சாப்பிட வேண்டும்?"),
    (Language.TA, "ஐவிஎஃப் சிகிச்சைக்கு எவ்வளவு செலவாகும்?"),
    (Language.TA, "என் மாதவிடாய் சுழற்சி ஒழுங்கற்றதாக உள்ளது, இது கர்ப்பம் தரிப்பதை பாதிக்குமா?"),
    (Language.HI, "आईवीएफ की सफलता दर कितनी होती है?"),
    (Language.HI, "क्या पीसीओएस होने पर मैं गर्भवती हो सकती हूँ?"),
    (Language.HI, "ओव्यूलेशन के दौरान कौन से लक्षण होते हैं?"),
    (Language.TE, "గర్భం దాల్చడానికి ఉత్తమ సమయం ఏది?"),
    (Language.TE, "ఐవీఎఫ్ చికిత్స ఎంత కాలం పడుతుంది?"),
    (Language.TE, "నా పీరియడ్స్ క్రమం తప్పుతున్నాయి, ఇది సంతానోత్పత్తిని ప్రభావితం చేస్తుందా?"),
    (Language.ML, "ഗർഭധാരണത്തിന് ഏറ്റവും നല്ല സമയം ഏതാണ്?"),
    (Language.ML, "ഐവിഎഫ് ചികിത്സയുടെ വിജയ നിരക്ക് എത്രയാണ്?"),
    (Language.ML, "പിസിഒഎസ് ഉള്ളവർക്ക് ഗർഭിണിയാകാൻ കഴിയുമോ?"),
    (Language.ES, "¿Qué debo comer para mejorar mi fertilidad?"),
    (Language.ES, "¿Cuántos embriones se transfieren en un ciclo de FIV?"),
    (Language.ES, "Tengo SOP, ¿puedo quedar embarazada de forma natural?"),
    (Language.ES, "puedo quedar embarazada con endometriosis"),
    (Language.JA, "体外受精の成功率はどのくらいですか\uff1f"),
    (Language.JA, "妊娠しやすい時期はいつですか\uff1f"),
    (Language.JA, "多嚢胞性卵巣症候群でも妊娠できますか\uff1f"),
]


@pytest.mark.parametrize(("expected", "question"), QUESTIONS)
def test_detects_fertility_questions(expected: Language, question: str) -> None:
    assert detect_language(question) is expected


@pytest.mark.parametrize(("expected", "question"), QUESTIONS)
def test_detection_ignores_default_when_text_is_clear(expected: Language, question: str) -> None:
    other = Language.JA if expected is not Language.JA else Language.TA
    assert detect_language(question, default=other) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hola", Language.ES),
        ("¿IVF?", Language.ES),
        ("Hi", Language.EN),
        ("ｸﾘﾆｯｸ", Language.JA),  # half-width katakana
        ("クリニック", Language.JA),
    ],
)
def test_short_inputs(text: str, expected: Language) -> None:
    assert detect_language(text, default=Language.TA) is expected


@pytest.mark.parametrize("text", ["", "   ", "12345", "?!", "IVF?", "AMH 1.2 ng/ml", "😀"])
def test_undecidable_text_falls_back_to_default(text: str) -> None:
    assert detect_language(text) is Language.EN
    assert detect_language(text, default=Language.HI) is Language.HI


def test_native_digits_alone_are_not_letters() -> None:
    assert detect_language("௧௨௩", default=Language.ES) is Language.ES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PCOS இருந்தால் கர்ப்பமாக முடியுமா?", Language.TA),
        ("मेरा AMH level कम है, क्या मैं IVF करवा सकती हूँ?", Language.HI),
        ("AMHの値が低いと言われました。IVFは可能ですか\uff1f", Language.JA),
        ("My doctor says கருவுறுதல் சிகிச்சை தேவை", Language.TA),
        ("What is the success rate of IVF for women over forty? நன்றி", Language.EN),
        ("¿Cuál es la tasa de éxito de IVF? धन्यवाद", Language.ES),
    ],
)
def test_mixed_script_goes_to_the_script_with_most_letters(text: str, expected: Language) -> None:
    assert detect_language(text) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("en", Language.EN),
        ("EN", Language.EN),
        ("es", Language.ES),
        (" ta ", Language.TA),
        ("ja-JP", Language.JA),
        ("es_MX", Language.ES),
        ("ML-in", Language.ML),
        ("hi", Language.HI),
        ("te", Language.TE),
    ],
)
def test_parse_language_accepts_codes(value: str, expected: Language) -> None:
    assert parse_language(value) is expected


def test_parse_language_passes_none_through() -> None:
    assert parse_language(None) is None


@pytest.mark.parametrize("value", ["fr", "english", "", "zz-ES", "-en"])
def test_parse_language_rejects_unsupported_codes(value: str) -> None:
    with pytest.raises(ValueError, match="supported codes are en, ta, hi, te, ml, es, ja"):
        parse_language(value)


def test_every_language_has_an_english_name() -> None:
    assert set(LANGUAGE_NAMES) == set(Language)
    names = list(LANGUAGE_NAMES.values())
    assert len(set(names)) == len(names)
    assert all(name.isalpha() and name[0].isupper() for name in names)
