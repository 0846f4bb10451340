"""What Izana says in its own words, in each language it answers in: the notes, lines and
follow-up questions it adds to an answer, as opposed to what it quotes from the (English)
knowledge base or what a chat model writes.

A changed text changes answers: bump PROMPTS_VERSION (shared/providers/llm/prompts.py), which is
part of the response-cache key, so that cached answers with the old text are retired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from shared.text.language import Language


@dataclass(frozen=True)
class LocalizedTexts:
    # Opens an offline answer, whose quotes are in English; None in English itself.
    sources_in_english: str | None
    nothing_quotable: str  # the offline answer when no sentence of the passages fits
    decline: str  # the knowledge base has nothing on the question's topic
    disclaimer: str  # closes every answer but a decline
    # By MedQuAD question type; `{focus}` is the (English) title of a topic the answer cited.
    follow_ups: Mapping[str, str]
    general_follow_ups: tuple[str, ...]  # when the topics offer too few


_TEXTS: Mapping[Language, LocalizedTexts] = MappingProxyType(
    {
        Language.EN: LocalizedTexts(
            sources_in_english=None,
            nothing_quotable=(
                "I could not find this in the knowledge base I draw on. Please rephrase the "
                "question, or ask your fertility specialist."
            ),
            decline=(
                "The knowledge base I draw on has nothing on this topic, so I cannot answer it "
                "reliably. Please ask your fertility specialist."
            ),
            disclaimer="This is general information, not medical advice.",
            follow_ups={
                "information": "What is {focus}?",
                "causes": "What causes {focus}?",
                "symptoms": "What are the symptoms of {focus}?",
                "exams and tests": "How is {focus} diagnosed?",
                "treatment": "How is {focus} treated?",
                "susceptibility": "Who is at risk of {focus}?",
                "outlook": "What is the outlook for {focus}?",
                "prevention": "Can {focus} be prevented?",
            },
            general_follow_ups=(
                "When should we see a fertility specialist?",
                "Which tests are part of a fertility work-up?",
                "How can lifestyle changes support fertility?",
            ),
        ),
        Language.TA: LocalizedTexts(
            sources_in_english="ஆதாரங்கள் ஆங்கிலத்தில் உள்ளன; தொடர்புடைய மேற்கோள்கள் இவை.",
            nothing_quotable=(
                "நான் பயன்படுத்தும் அறிவுத் தளத்தில் இதைக் கண்டறிய முடியவில்லை. கேள்வியை வேறு "
                "விதமாகக் கேளுங்கள், அல்லது உங்கள் கருவுறுதல் நிபுணரிடம் கேளுங்கள்."
            ),
            decline=(
                "நான் பயன்படுத்தும் அறிவுத் தளத்தில் இந்தத் தலைப்பைப் பற்றி எதுவும் இல்லை, எனவே "
                "இதற்கு நம்பகமான பதிலைத் தர இயலாது. உங்கள் கருவுறுதல் நிபுணரிடம் கேளுங்கள்."
            ),
            disclaimer="இது பொதுவான தகவல் மட்டுமே, மருத்துவ ஆலோசனை அல்ல.",
            follow_ups={
                "information": "{focus} என்றால் என்ன?",
                "causes": "{focus} எதனால் ஏற்படுகிறது?",
                "symptoms": "{focus} பாதிப்பின் அறிகுறிகள் என்ன?",
                "exams and tests": "{focus} எவ்வாறு கண்டறியப்படுகிறது?",
                "treatment": "{focus} பாதிப்புக்கு என்ன சிகிச்சை உள்ளது?",
                "susceptibility": "யாருக்கு {focus} ஏற்படும் ஆபத்து அதிகம்?",
                "outlook": "{focus} உள்ளவர்களின் எதிர்கால நிலை எப்படி இருக்கும்?",
                "prevention": "{focus} வராமல் தடுக்க முடியுமா?",
            },
            general_follow_ups=(
                "கருவுறுதல் நிபுணரை எப்போது சந்திக்க வேண்டும்?",
                "கருவுறுதல் மதிப்பீட்டில் என்னென்ன பரிசோதனைகள் அடங்கும்?",
                "வாழ்க்கை முறை மாற்றங்கள் கருவுறுதலுக்கு எப்படி உதவும்?",
            ),
        ),
        Language.HI: LocalizedTexts(
            sources_in_english="स्रोत अंग्रेज़ी में हैं; ये उनके प्रासंगिक अंश हैं।",
            nothing_quotable=(
                "मेरे ज्ञानकोश में यह जानकारी नहीं मिली। कृपया प्रश्न दूसरे शब्दों में पूछें, या "
                "अपने प्रजनन विशेषज्ञ से सलाह लें।"
            ),
            decline=(
                "मेरे ज्ञानकोश में इस विषय पर कोई जानकारी नहीं है, इसलिए इसका भरोसेमंद उत्तर देना "
                "संभव नहीं है। कृपया अपने प्रजनन विशेषज्ञ से सलाह लें।"
            ),
            disclaimer="यह सामान्य जानकारी है, चिकित्सा सलाह नहीं।",
            follow_ups={
                "information": "{focus} क्या है?",
                "causes": "{focus} के कारण क्या हैं?",
                "symptoms": "{focus} के लक्षण क्या हैं?",
                "exams and tests": "{focus} का निदान कैसे किया जाता है?",
                "treatment": "{focus} का इलाज कैसे किया जाता है?",
                "susceptibility": "{focus} का ख़तरा किन लोगों को ज़्यादा होता है?",
                "outlook": "{focus} में आगे क्या उम्मीद की जा सकती है?",
                "prevention": "क्या {focus} से बचाव संभव है?",
            },
            general_follow_ups=(
                "हमें प्रजनन विशेषज्ञ से कब मिलना चाहिए?",
                "प्रजनन क्षमता के मूल्यांकन में कौन-कौन सी जाँचें होती हैं?",
                "जीवनशैली में बदलाव प्रजनन क्षमता बढ़ाने में कैसे मदद कर सकते हैं?",
            ),
        ),
        Language.TE: LocalizedTexts(
            sources_in_english="మూలాలు ఆంగ్లంలో ఉన్నాయి; వాటిలోని సంబంధిత వాక్యాలు ఇవి.",
            nothing_quotable=(
                "నేను ఆధారపడే సమాచార భాండాగారంలో ఇది దొరకలేదు. దయచేసి ప్రశ్నను వేరే విధంగా "
                "అడగండి, లేదా మీ సంతాన సాఫల్య నిపుణులను సంప్రదించండి."
            ),
            decline=(
                "నేను ఆధారపడే సమాచార భాండాగారంలో ఈ విషయం గురించి ఏమీ లేదు, కాబట్టి దీనికి "
                "నమ్మదగిన సమాధానం ఇవ్వలేను. దయచేసి మీ సంతాన సాఫల్య నిపుణులను సంప్రదించండి."
            ),
            disclaimer="ఇది సాధారణ సమాచారం మాత్రమే, వైద్య సలహా కాదు.",
            follow_ups={
                "information": "{focus} అంటే ఏమిటి?",
                "causes": "{focus} రావడానికి కారణాలు ఏమిటి?",
                "symptoms": "{focus} లక్షణాలు ఏమిటి?",
                "exams and tests": "{focus} ను ఎలా నిర్ధారిస్తారు?",
                "treatment": "{focus} కు చికిత్స ఎలా చేస్తారు?",
                "susceptibility": "{focus} వచ్చే ప్రమాదం ఎవరికి ఎక్కువ?",
                "outlook": "{focus} ఉన్నవారి భవిష్యత్తు ఎలా ఉంటుంది?",
                "prevention": "{focus} రాకుండా నివారించవచ్చా?",
            },
            general_follow_ups=(
                "సంతాన సాఫల్య నిపుణులను ఎప్పుడు సంప్రదించాలి?",
                "సంతాన సామర్థ్య మూల్యాంకనంలో ఏయే పరీక్షలు ఉంటాయి?",
                "జీవనశైలి మార్పులు సంతాన సామర్థ్యానికి ఎలా తోడ్పడతాయి?",
            ),
        ),
        Language.ML: LocalizedTexts(
            sources_in_english="ഉറവിടങ്ങൾ ഇംഗ്ലീഷിലാണ്; അവയിലെ പ്രസക്തമായ ഭാഗങ്ങൾ ഇവയാണ്.",
            nothing_quotable=(
                "ഞാൻ ആശ്രയിക്കുന്ന വിജ്ഞാനശേഖരത്തിൽ ഇത് കണ്ടെത്താനായില്ല. ദയവായി ചോദ്യം "
                "മറ്റൊരു രീതിയിൽ ചോദിക്കുക, അല്ലെങ്കിൽ നിങ്ങളുടെ വന്ധ്യതാ ചികിത്സാ വിദഗ്ധരോട് "
                "ചോദിക്കുക."
            ),
            decline=(
                "ഞാൻ ആശ്രയിക്കുന്ന വിജ്ഞാനശേഖരത്തിൽ ഈ വിഷയത്തെക്കുറിച്ച് ഒന്നുമില്ല, അതിനാൽ "
                "ഇതിന് വിശ്വസനീയമായ ഉത്തരം നൽകാൻ കഴിയില്ല. ദയവായി നിങ്ങളുടെ വന്ധ്യതാ ചികിത്സാ "
                "വിദഗ്ധരോട് ചോദിക്കുക."
            ),
            disclaimer="ഇത് പൊതുവായ വിവരം മാത്രമാണ്, വൈദ്യോപദേശമല്ല.",
            follow_ups={
                "information": "{focus} എന്നാൽ എന്താണ്?",
                "causes": "{focus} ഉണ്ടാകാനുള്ള കാരണങ്ങൾ എന്തൊക്കെയാണ്?",
                "symptoms": "{focus} ഉള്ളപ്പോൾ എന്തൊക്കെ ലക്ഷണങ്ങൾ കാണാം?",
                "exams and tests": "{focus} എങ്ങനെയാണ് കണ്ടെത്തുന്നത്?",
                "treatment": "{focus} എങ്ങനെയാണ് ചികിത്സിക്കുന്നത്?",
                "susceptibility": "ആർക്കാണ് {focus} വരാൻ സാധ്യത കൂടുതൽ?",
                "outlook": "{focus} ഉള്ളവരുടെ ഭാവി എങ്ങനെയായിരിക്കും?",
                "prevention": "{focus} തടയാൻ കഴിയുമോ?",
            },
            general_follow_ups=(
                "എപ്പോഴാണ് വന്ധ്യതാ ചികിത്സാ വിദഗ്ധരെ കാണേണ്ടത്?",
                "പ്രത്യുൽപാദനശേഷി വിലയിരുത്തലിൽ ഏതൊക്കെ പരിശോധനകൾ ഉൾപ്പെടുന്നു?",
                "ജീവിതശൈലിയിലെ മാറ്റങ്ങൾ പ്രത്യുൽപാദനശേഷിക്ക് എങ്ങനെ സഹായിക്കും?",
            ),
        ),
        Language.ES: LocalizedTexts(
            sources_in_english="Las fuentes están en inglés; estas son las citas relevantes.",
            nothing_quotable=(
                "No encontré esto en la base de conocimientos que consulto. Reformule la "
                "pregunta o consulte a su especialista en fertilidad."
            ),
            decline=(
                "La base de conocimientos que consulto no tiene nada sobre este tema, así que no "
                "puedo responder con fiabilidad. Consulte a su especialista en fertilidad."
            ),
            disclaimer="Esto es información general, no consejo médico.",
            follow_ups={
                "information": "¿Qué es {focus}?",
                "causes": "¿Cuáles son las causas de {focus}?",
                "symptoms": "¿Cuáles son los síntomas de {focus}?",
                "exams and tests": "¿Cómo se diagnostica {focus}?",
                "treatment": "¿Cómo se trata {focus}?",
                "susceptibility": "¿Quién tiene más riesgo de padecer {focus}?",
                "outlook": "¿Cuál es el pronóstico de {focus}?",
                "prevention": "¿Se puede prevenir {focus}?",
            },
            general_follow_ups=(
                "¿Cuándo deberíamos consultar a un especialista en fertilidad?",
                "¿Qué pruebas incluye un estudio de fertilidad?",
                "¿Cómo pueden ayudar a la fertilidad los cambios en el estilo de vida?",
            ),
        ),
        Language.JA: LocalizedTexts(
            sources_in_english="出典が英語のため、関連する箇所を英語のまま引用します。",
            nothing_quotable=(
                "参照している知識ベースでは、この内容が見つかりませんでした。質問の言い方を"
                "変えるか、不妊治療の専門医にご相談ください。"
            ),
            decline=(
                "参照している知識ベースにはこのテーマに関する情報がないため、確かな回答が"
                "できません。不妊治療の専門医にご相談ください。"
            ),
            disclaimer="これは一般的な情報であり、医学的な助言ではありません。",
            follow_ups={
                "information": "{focus}とは何ですか？",
                "causes": "{focus}の原因は何ですか？",
                "symptoms": "{focus}の症状は何ですか？",
                "exams and tests": "{focus}はどのように診断されますか？",
                "treatment": "{focus}はどのように治療されますか？",
                "susceptibility": "{focus}になりやすいのはどんな人ですか？",
                "outlook": "{focus}の今後の見通しはどうですか？",
                "prevention": "{focus}は予防できますか？",
            },
            general_follow_ups=(
                "不妊治療の専門医には、いつ相談すべきですか？",
                "不妊検査にはどのような検査がありますか？",
                "生活習慣を見直すことは、妊娠のしやすさにどう役立ちますか？",
            ),
        ),
    }
)


def localized(language: str) -> LocalizedTexts:
    """The texts in `language`, a code of `Language`."""
    return _TEXTS[Language(language)]
