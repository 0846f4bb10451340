"""The words the gold-answer guard reads (`shared/chat/gold_guard.py`), in English and Spanish.

Each table line is `name: alias, alias, ...`. Aliases are written as people type them; the guard
reads them through the same normalisation as the questions (case, accents, hyphens and slashes
folded), and a plural in "s" of each alias's last word is added. An alias of several words is
matched before any shorter one at the same place, so "low ovarian reserve" is one condition, not
"low" and "ovarian reserve".

- ENTITIES: what a question is about. Synonyms (brand and generic names, abbreviations, the
  Spanish name) share one name; related but different things (estradiol and estrogen, IVF and
  mini IVF, running and yoga) have names of their own, since an answer about one does not answer
  the other.
- FOCUS: what a question asks about its entities (symptoms, causes, the normal range...).
- OPENING_FOCUS: question words that set the focus only where the question starts ("When should
  I test?" asks for a time; "Can I take it when trying to conceive?" does not).
- POLARITY: words that turn a question around: negation, avoidance, harm, direction, time,
  sex, thresholds, results. Each line is one pole; two questions must hold the same poles.
- UNITS: what follows a number (or precedes it: "day 5"). Years are the default unit of an age
  ("at 35", "35 years old"), so they are dropped.
"""

from __future__ import annotations

ENTITIES = """
amh: amh, anti-mullerian hormone, anti-müllerian hormone, antimullerian hormone, anti mullerian,
  hormona antimulleriana, hormona anti-mulleriana
fsh: fsh, follicle stimulating hormone, follicle-stimulating hormone, hormona foliculoestimulante
lh: lh, luteinizing hormone, luteinising hormone, hormona luteinizante, lh surge, pico de lh
estradiol: estradiol, oestradiol, e2, estrace
estrogen: estrogen, oestrogen, estrógeno, estrogeno
progesterone: progesterone, progesterona, p4, crinone, endometrin, prometrium, utrogestan,
  progesterone suppositories, progesterone in oil, pio
testosterone: testosterone, testosterona, trt, testosterone therapy
tsh: tsh, thyroid stimulating hormone, thyroid-stimulating hormone, tirotropina
thyroid hormone: t3, t4, free t4, ft4, free t3, ft3, thyroxine, tiroxina
prolactin: prolactin, prolactina
hyperprolactinemia: hyperprolactinemia, hyperprolactinaemia, hiperprolactinemia
hcg: hcg, beta hcg, beta, human chorionic gonadotropin, gonadotropina coriónica, bhcg
dhea: dhea, dhea-s, dheas
inhibin: inhibin b, inhibin, inhibina
insulin: insulin, insulina
insulin resistance: insulin resistance, resistencia a la insulina
cortisol: cortisol
shbg: shbg, sex hormone binding globulin
androgens: androgen, androgens, andrógenos, androgenos
gnrh: gnrh, lupron, leuprolide, leuprorelin, cetrotide, cetrorelix, ganirelix, orgalutran, gnrh
  agonist, gnrh antagonist
vitamin d: vitamin d, vitamin d3, vitamina d
vitamin b12: vitamin b12, b12, vitamina b12
folic acid: folic acid, folate, methylfolate, ácido fólico, acido folico, folato
prenatal vitamins: prenatal vitamin, prenatal vitamins, prenatals, vitaminas prenatales
vitamins: vitamin, vitamins, multivitamin, vitamina, vitaminas
iron: iron, ferritin, hierro, ferritina
omega 3: omega 3, omega-3, fish oil, aceite de pescado
coq10: coq10, coenzyme q10, ubiquinol, coenzima q10
inositol: inositol, myo-inositol, myoinositol, mioinositol
melatonin: melatonin, melatonina
supplements: supplement, supplements, suplemento, suplementos
ibuprofen: ibuprofen, advil, motrin, nurofen, ibuprofeno
naproxen: naproxen, aleve, naproxeno
aspirin: aspirin, baby aspirin, aspirina
acetaminophen: acetaminophen, paracetamol, tylenol
nsaids: nsaid, nsaids, anti-inflammatory, anti-inflammatories, antiinflamatorio, antiinflamatorios
letrozole: letrozole, femara, letrozol
clomiphene: clomiphene, clomid, clomifene, clomiphene citrate, serophene, clomifeno, citrato de
  clomifeno
metformin: metformin, glucophage, metformina
gonadotropins: gonadotropin, gonadotropins, gonal-f, gonal f, follistim, menopur, puregon,
  rekovelle, gonadotropinas
trigger shot: trigger shot, trigger injection, ovidrel, ovitrelle, pregnyl, novarel, inyección
  desencadenante
birth control: birth control, the pill, birth control pill, contraceptive, contraceptives, oral
  contraceptive, oral contraceptives, contraception, anticonceptivo, anticonceptivos, píldora
  anticonceptiva, pastillas anticonceptivas
iud: iud, coil, diu, mirena
levothyroxine: levothyroxine, synthroid, euthyrox, levotiroxina
cabergoline: cabergoline, dostinex, cabergolina
bromocriptine: bromocriptine, bromocriptina
heparin: heparin, lovenox, clexane, enoxaparin, heparina, enoxaparina
steroids: steroid, steroids, prednisone, prednisolone, dexamethasone, corticosteroid,
  corticosteroids, esteroides, prednisona
antibiotics: antibiotic, antibiotics, antibiótico, antibióticos, amoxicillin, doxycycline,
  azithromycin
antidepressants: antidepressant, antidepressants, ssri, ssris, sertraline, zoloft, fluoxetine,
  prozac, escitalopram, lexapro, antidepresivo, antidepresivos
antihistamines: antihistamine, antihistamines, cetirizine, zyrtec, loratadine, claritin,
  antihistamínico, antihistamínicos
sildenafil: sildenafil, viagra, tadalafil, cialis
finasteride: finasteride, propecia, finasterida
isotretinoin: isotretinoin, accutane, isotretinoína
methotrexate: methotrexate, metotrexato
opioids: opioid, opioids, codeine, tramadol, oxycodone, opioides, codeína
semaglutide: semaglutide, ozempic, wegovy, glp-1, mounjaro, tirzepatide
otc: over the counter, over-the-counter, sin receta
alcohol: alcohol, wine, beer, liquor, alcoholic drinks, drinking alcohol, vino, cerveza, alcohólicas
caffeine: caffeine, coffee, espresso, energy drink, energy drinks, café, cafeína
tea: tea, green tea, té, té verde
smoking: smoking, smoke, smoker, cigarette, cigarettes, tobacco, nicotine, vaping, vape, fumar,
  fumo, tabaco, cigarrillo, cigarrillos, nicotina
cannabis: cannabis, marijuana, weed, cbd, thc, marihuana
cocaine: cocaine, cocaína
fish: fish, sushi, tuna, salmon, mercury, pescado, atún, mercurio
soy: soy, soya, tofu
dairy: dairy, milk, cheese, yogurt, lácteos, leche, queso
sugar: sugar, sweets, azúcar, dulces
gluten: gluten
diet: diet, diets, nutrition, dieta, alimentación
fasting: fasting, intermittent fasting, ayuno
exercise: exercise, exercising, workout, workouts, working out, work out, physical activity, gym,
  ejercicio, hacer ejercicio, actividad física
running: running, jogging, jog, correr
yoga: yoga, hot yoga
swimming: swimming, swim, nadar, natación
weightlifting: weightlifting, weight lifting, lifting weights, heavy lifting, lift weights, pesas
cycling: cycling, biking, spinning, bike, bicicleta
sauna: sauna, steam room
hot tub: hot tub, jacuzzi, hot bath, hot baths, baño caliente
sex: sex, intercourse, sexual intercourse, relaciones sexuales, tener relaciones, coito
lubricant: lubricant, lubricants, lube, lubricante
orgasm: orgasm, orgasmo
travel: travel, traveling, travelling, flying, fly, flight, flights, airplane, plane, viajar, viaje,
  avión
stress: stress, stressed, estrés, estres
anxiety: anxiety, ansiedad
depression: depression, depresión
sleep: sleep, sleeping, insomnia, dormir, sueño, insomnio
weight: weight, bmi, body mass index, peso, imc, índice de masa corporal
obesity: obesity, obese, overweight, obesidad, sobrepeso
underweight: underweight, bajo peso
acupuncture: acupuncture, acupuntura
herbs: herb, herbs, herbal, herbal tea, hierbas
radiation: x-ray, x-rays, xray, radiation, ct scan, mri, radiografía, radiación, resonancia
vaccine: vaccine, vaccines, vaccination, vaccinated, flu shot, vacuna, vacunas, vacunación
covid: covid, covid-19, coronavirus
pcos: pcos, pcod, polycystic ovary syndrome, polycystic ovarian syndrome, polycystic ovaries,
  polycystic ovary, sop, síndrome de ovario poliquístico, síndrome de ovarios poliquísticos, ovario
  poliquístico, ovarios poliquísticos
endometriosis: endometriosis, endometrioma, endometriomas
adenomyosis: adenomyosis, adenomiosis
fibroids: fibroid, fibroids, uterine fibroids, myoma, myomas, leiomyoma, mioma, miomas
polyps: polyp, polyps, endometrial polyp, pólipo, pólipos
blocked tubes: blocked tube, blocked tubes, blocked fallopian tubes, tubal blockage, hydrosalpinx,
  trompas obstruidas, trompas bloqueadas, hidrosálpinx
diminished ovarian reserve: diminished ovarian reserve, low ovarian reserve, poor ovarian reserve,
  decreased ovarian reserve, dor, baja reserva ovárica, reserva ovárica baja
ovarian reserve: ovarian reserve, egg reserve, reserva ovárica
premature ovarian insufficiency: premature ovarian insufficiency, premature ovarian failure, poi,
  pof, early menopause, premature menopause, insuficiencia ovárica prematura, menopausia precoz
menopause: menopause, menopausia
perimenopause: perimenopause, perimenopausia
miscarriage: miscarriage, miscarry, miscarried, pregnancy loss, lose the pregnancy, aborto
  espontáneo, pérdida del embarazo, pérdida gestacional, aborto
recurrent miscarriage: recurrent miscarriage, recurrent miscarriages, recurrent pregnancy loss,
  repeated miscarriages, abortos de repetición, aborto recurrente
ectopic pregnancy: ectopic pregnancy, ectopic, tubal pregnancy, embarazo ectópico
chemical pregnancy: chemical pregnancy, embarazo bioquímico
molar pregnancy: molar pregnancy, embarazo molar
ohss: ohss, ovarian hyperstimulation syndrome, ovarian hyperstimulation, hyperstimulation, síndrome
  de hiperestimulación ovárica, hiperestimulación
hypothyroidism: hypothyroidism, underactive thyroid, hashimoto, hashimotos, hashimoto's,
  hipotiroidismo
hyperthyroidism: hyperthyroidism, overactive thyroid, graves disease, hipertiroidismo
thyroid: thyroid, tiroides
diabetes: diabetes, diabetic, diabética, diabético, blood sugar, glucose, glucosa
gestational diabetes: gestational diabetes, diabetes gestacional
prediabetes: prediabetes
hypertension: hypertension, high blood pressure, blood pressure, hipertensión, presión arterial
preeclampsia: preeclampsia, pre-eclampsia
anemia: anemia, anaemia
thrombophilia: thrombophilia, mthfr, factor v leiden, antiphospholipid syndrome, aps, blood clotting
  disorder, trombofilia
autoimmune: autoimmune, lupus, autoinmune
celiac: celiac, coeliac, celiac disease, celiaquía
azoospermia: azoospermia
low sperm count: oligospermia, oligozoospermia, oligoespermia
sperm motility: motility, sperm motility, asthenozoospermia, movilidad, astenozoospermia
sperm morphology: morphology, sperm morphology, teratozoospermia, morfología
sperm count: sperm count, recuento de espermatozoides
varicocele: varicocele
erectile dysfunction: erectile dysfunction, ed, impotence, disfunción eréctil
low libido: low libido, libido, sex drive, deseo sexual
infertility: infertility, infertile, subfertility, subfertile, infertilidad, infértil, esterilidad,
  estéril
unexplained infertility: unexplained infertility, infertilidad sin causa aparente, infertilidad
  inexplicada
secondary infertility: secondary infertility, infertilidad secundaria
amenorrhea: amenorrhea, amenorrhoea, amenorrea
missed period: missed period, late period, missed my period, periodo atrasado, retraso menstrual
irregular periods: irregular period, irregular periods, irregular cycle, irregular cycles, irregular
  menstruation, periodos irregulares, ciclos irregulares, regla irregular, menstruación irregular
anovulation: anovulation, anovulatory, anovulación
luteal phase defect: luteal phase defect, short luteal phase, luteal phase deficiency, fase lútea
  corta
luteal phase: luteal phase, fase lútea
follicular phase: follicular phase, fase folicular
asherman syndrome: asherman, ashermans, asherman's, asherman syndrome, intrauterine adhesions,
  síndrome de asherman
chlamydia: chlamydia, clamidia
gonorrhea: gonorrhea, gonorrhoea, gonorrea
sti: sti, stis, std, stds, sexually transmitted infection, sexually transmitted infections, sexually
  transmitted disease, infección de transmisión sexual
hpv: hpv, human papillomavirus, vph, virus del papiloma humano
hiv: hiv, vih
herpes: herpes
bacterial vaginosis: bacterial vaginosis, bv, vaginosis bacteriana
yeast infection: yeast infection, thrush, candida, candidiasis
uti: uti, urinary tract infection, infección urinaria
pid: pid, pelvic inflammatory disease, enfermedad inflamatoria pélvica
ovarian cyst: cyst, cysts, ovarian cyst, ovarian cysts, quiste, quistes, quiste ovárico
ovarian torsion: ovarian torsion, torsión ovárica
cancer: cancer, cáncer, tumor, tumour
breast cancer: breast cancer, cáncer de mama
ovarian cancer: ovarian cancer, cáncer de ovario
cervical cancer: cervical cancer, cáncer de cuello uterino, cáncer cervical
chemotherapy: chemotherapy, chemo, quimioterapia
thin lining: thin lining, thin endometrium, thin uterine lining, endometrio delgado, endometrio fino
endometrial lining: lining, uterine lining, endometrial lining, endometrium, endometrial thickness,
  endometrio, grosor endometrial
septate uterus: septate uterus, uterine septum, útero septado, tabique uterino
bicornuate uterus: bicornuate uterus, útero bicorne
tilted uterus: tilted uterus, retroverted uterus, útero retrovertido
cervical insufficiency: cervical insufficiency, incompetent cervix, insuficiencia cervical
implantation failure: implantation failure, recurrent implantation failure, rif, fallo de
  implantación
turner syndrome: turner syndrome, turner's syndrome, síndrome de turner
klinefelter syndrome: klinefelter, klinefelter syndrome, klinefelter's syndrome, síndrome de
  klinefelter
fragile x: fragile x, x frágil
cystic fibrosis: cystic fibrosis, fibrosis quística
genetics: genetic, genetics, gene, genes, chromosome, chromosomes, chromosomal, karyotype, genético,
  genética, cromosomas, cariotipo
spotting: spotting, manchado
bleeding: bleeding, blood, sangrado, sangre
implantation bleeding: implantation bleeding, sangrado de implantación
cramps: cramp, cramps, cramping, cólicos, calambres
bloating: bloating, bloated, hinchazón
nausea: nausea, morning sickness, náuseas
headache: headache, headaches, migraine, dolor de cabeza, migraña
fatigue: fatigue, tired, tiredness, cansancio, fatiga
pain: pain, painful, dolor, duele
breast tenderness: breast tenderness, sore breasts, sore nipples, dolor de senos
discharge: discharge, flujo
twins: twins, twin, gemelos, mellizos
triplets: triplets, trillizos
multiples: multiples, multiple pregnancy, embarazo múltiple
ivf: ivf, in vitro fertilization, in vitro fertilisation, in-vitro fertilization, test tube baby,
  fiv, fecundación in vitro
mini ivf: mini ivf, mini-ivf, natural cycle ivf, minimal stimulation ivf
iui: iui, intrauterine insemination, artificial insemination, insemination, iiu, inseminación
  artificial, inseminación intrauterina, inseminación
icsi: icsi, intracytoplasmic sperm injection, inyección intracitoplasmática
egg freezing: egg freezing, freeze my eggs, freezing my eggs, freeze eggs, freezing eggs, freeze
  your eggs, oocyte cryopreservation, social egg freezing, congelar óvulos, congelar mis óvulos,
  congelación de óvulos, vitrificación de óvulos
embryo freezing: embryo freezing, freeze embryos, freezing embryos, frozen embryos, congelar
  embriones, congelación de embriones, embriones congelados
fertility preservation: fertility preservation, preservación de la fertilidad
embryo transfer: embryo transfer, transfer, fresh transfer, transferencia, transferencia
  embrionaria, transferencia de embriones
frozen embryo transfer: frozen embryo transfer, fet, frozen transfer, transferencia de embriones
  congelados, transferencia de embrión congelado
egg retrieval: egg retrieval, oocyte retrieval, egg collection, retrieval, punción ovárica, punción
  folicular, extracción de óvulos
ovarian stimulation: ovarian stimulation, stimulation, stims, estimulación ovárica, estimulación
pgt: pgt, pgt-a, pgta, pgs, pgd, preimplantation genetic testing, preimplantation genetic screening,
  diagnóstico genético preimplantacional, dgp
hsg: hsg, hysterosalpingogram, hysterosalpingography, histerosalpingografía
hysteroscopy: hysteroscopy, histeroscopia
laparoscopy: laparoscopy, laparoscopia
ultrasound: ultrasound, ultrasounds, scan, sonogram, transvaginal ultrasound, ecografía, ecografía
  transvaginal
semen analysis: semen analysis, sperm analysis, sperm test, seminogram, semen test, espermiograma,
  seminograma, análisis de semen
blood test: blood test, blood tests, blood work, bloodwork, análisis de sangre
pregnancy test: pregnancy test, pregnancy tests, hpt, home pregnancy test, prueba de embarazo, test
  de embarazo
ovulation test: ovulation test, ovulation tests, opk, opks, ovulation predictor kit, ovulation kit,
  test de ovulación, prueba de ovulación
basal body temperature: basal body temperature, bbt, temperatura basal
donor eggs: donor egg, donor eggs, egg donor, egg donation, ovodonación, donación de óvulos, óvulos
  de donante
donor sperm: donor sperm, sperm donor, sperm donation, semen de donante, donante de semen
surrogacy: surrogacy, surrogate, gestational carrier, gestación subrogada, vientre de alquiler
vasectomy reversal: vasectomy reversal, reversión de vasectomía
vasectomy: vasectomy, vasectomía
tubal reversal: tubal reversal, tubal ligation reversal, reverse tubal ligation
tubal ligation: tubal ligation, tubes tied, ligadura de trompas
myomectomy: myomectomy, miomectomía
d and c: d and c, d&c, dilation and curettage, curettage, legrado
cesarean: c-section, c section, cesarean, caesarean, cesárea
breastfeeding: breastfeeding, breast feeding, nursing, lactancia, amamantar
postpartum: postpartum, after birth, posparto
endometrial scratch: endometrial scratch, endometrial scratching, scratching
assisted hatching: assisted hatching, eclosión asistida
timed intercourse: timed intercourse, coito programado
blastocyst: blastocyst, blastocysts, blast, blasts, blastocisto, blastocistos
embryo: embryo, embryos, embrión, embriones
egg: egg, eggs, oocyte, oocytes, óvulo, óvulos, ovocito, ovocitos
egg quality: egg quality, calidad de los óvulos, calidad ovocitaria
sperm: sperm, semen, spermatozoa, espermatozoides, esperma
sperm quality: sperm quality, calidad del semen, calidad espermática
follicle: follicle, follicles, folículo, folículos
antral follicle count: antral follicle count, afc, recuento de folículos antrales
uterus: uterus, womb, útero, matriz
ovaries: ovary, ovaries, ovario, ovarios
fallopian tubes: fallopian tube, fallopian tubes, tubes, trompas, trompas de falopio
cervix: cervix, cuello uterino
cervical mucus: cervical mucus, cm, ewcm, egg white cervical mucus, moco cervical
testicles: testicle, testicles, testes, testículos
ovulation: ovulation, ovulate, ovulating, ovulated, ovulación, ovular
period: period, periods, menstruation, menstrual period, menses, regla, menstruación, periodo,
  período
menstrual cycle: cycle, cycles, menstrual cycle, round, rounds, ciclo, ciclos, ciclo menstrual
fertile window: fertile window, fertile days, most fertile, ventana fértil, días fértiles
implantation: implantation, implant, implants, implanted, implantación, implantar
ttc: trying to conceive, ttc, trying to get pregnant, trying for a baby, trying for pregnancy,
  trying for a pregnancy, planning a pregnancy, planning to get pregnant, buscando embarazo,
  buscando un bebé, buscar embarazo, intentando concebir, intentando quedar embarazada, intentando
  embarazarme, busco embarazo, buscamos embarazo, buscar un embarazo
conceive: conceive, conceiving, conception, get pregnant, getting pregnant, become pregnant, fall
  pregnant, concebir, concepción, quedar embarazada, quedarme embarazada, embarazarme
pregnancy: pregnant, pregnancy, pregnancies, expecting, embarazada, embarazo, embarazos
fertility: fertility, fertile, fertilidad, fértil
advanced maternal age: advanced maternal age, geriatric pregnancy, edad materna avanzada
"""

FOCUS = """
symptoms: symptom, signs, sign, síntoma, síntomas, signo, signos, señales
cause: cause, causes, caused, causing, reason, reasons, lead to, leads to, result in, causa, causas,
  causan, provoca, provocar
treatment: treat, treats, treated, treating, treatment, treatments, cure, cures, cured, therapy,
  therapies, manage, management, remedy, remedies, tratamiento, tratamientos, tratar, trata, tratan,
  curar, cura, terapia
diagnosis: diagnose, diagnosed, diagnosis, diagnosing, detect, detected, diagnóstico, diagnosticar,
  detectar
testing: test, tested, testing, check, checked, measure, measured, screening, screen, prueba,
  pruebas, examen, análisis, medir
normal: normal, range, ranges, typical, average, healthy, reference range, normales, rango, rangos,
  promedio, saludable
side effects: side effect, side effects, efecto secundario, efectos secundarios
risks: risk, risks, complication, complications, riesgo, riesgos, complicación, complicaciones
success: success, successful, succeed, chance, chances, odds, likelihood, likely, probability,
  éxito, probabilidad, probabilidades, posibilidad, posibilidades
prevention: prevent, prevents, prevented, prevention, preventing, prevenir, prevención
duration: duration, take long, duración, dura, duran
timing: timing, best time, right time, momento
cost: cost, costs, price, prices, expensive, cheap, afford, insurance, covered, coste, costo,
  precio, cuesta, cuestan, caro, seguro médico
amount: dose, doses, dosage, amount, quantity, dosis, cantidad
frequency: frequency, frecuencia
effect: affect, affects, affected, affecting, effect, effects, impact, impacts, influence, afecta,
  afectan, afectar, efecto, efectos, impacto, influye
meaning: mean, means, meaning, indicate, indicates, significa, significado, indica
difference: difference, differences, versus, vs, compare, compared, comparison, diferencia,
  diferencias, comparado, different, differ, diferente
mechanism: work, works, working, funciona, funcionan
"""

OPENING_FOCUS = """
cause: why, por qué, por que
duration: how long, cuánto tiempo, cuanto tiempo, cuánto dura, cuanto dura
timing: when, how soon, cuándo, cuando
frequency: how often, cada cuánto, con qué frecuencia
amount: how many, cuántos, cuántas, cuantos, cuantas
"""

POLARITY = """
negation: not, no, never, without, none, nothing, nor, neither, nobody, unable, nunca, jamás, sin,
  ningún, ninguno, ninguna, ni, tampoco, nada
avoidance: avoid, avoided, avoiding, stop, stopped, stopping, quit, quitting, skip, refrain,
  discontinue, abstain, cut out, give up, cut back, evitar, evito, evite, evita, dejar de,
  suspender, parar
harm: unsafe, dangerous, harmful, harm, harms, hurt, hurts, risky, toxic, damage, damages, damaging,
  peligroso, peligrosa, dañino, dañina, perjudicial, perjudica, daña
better: good, better, best, bueno, buena, mejor
worse: bad, worse, worst, malo, mala, peor
up: increase, increases, increased, increasing, raise, raises, raised, boost, boosts, boosting,
  improve, improves, improved, improving, higher, high, elevated, rise, rises, rising, more, gain,
  gaining, gained, enhance, maximize, aumentar, aumenta, aumento, subir, sube, alto, alta, altos,
  altas, elevado, elevada, mejorar, mejora, más, mas
down: decrease, decreases, decreased, decreasing, lower, lowers, lowered, reduce, reduces, reduced,
  reducing, low, drop, drops, decline, declines, fall, falls, falling, less, fewer, lose, losing,
  lost, loss, minimize, bajar, baja, bajo, bajos, bajas, disminuir, disminuye, reducir, reduce,
  menos, perder
before: before, prior, pre, ahead, antes
after: after, post, following, afterwards, later, después, despues, tras
early: early, earlier, premature, temprano, precoz
late: late, delayed, overdue, tarde, tardío
male: male, males, man, men, husband, boyfriend, father, paternal, hombre, hombres, masculino,
  masculina, varón, esposo, marido, padre
female: female, females, woman, women, wife, girlfriend, mother, maternal, mujer, mujeres, femenino,
  femenina, esposa, madre
above: over, above, exceed, exceeds, greater, beyond, older, encima, mayor, mayores
below: under, below, younger, debajo, menor, menores
positive: positive, positivo, positiva
negative: negative, negativo, negativa
heavy: heavy, abundante, abundantes
light: light, ligero, ligera, escaso, escasa
failure: fail, fails, failed, failure, failing, unsuccessful, fallo, fallido, fallida, fracaso
"""

UNITS = """
mg: mg, milligram, milligrams, miligramo, miligramos
mcg: mcg, µg, ug, microgram, micrograms, microgramo, microgramos
g: g, gram, grams, gramo, gramos
kg: kg, kilo, kilos, kilogram, kilograms, kilogramo, kilogramos
lb: lb, lbs, pound, pounds, libra, libras
iu: iu, ui, international units, unit, units, unidad, unidades
ml: ml, milliliter, milliliters, millilitre, millilitres, mililitro, mililitros
l: l, liter, litre, litro
dl: dl
ng: ng, nanogram, nanograms
pg: pg
pmol: pmol
nmol: nmol
miu: miu, mui
cm: cm, centimeter, centimetre, centímetro, centímetros
mm: mm, millimeter, millimetre, milímetro, milímetros
percent: percent, per cent, porciento, por ciento
day: day, days, día, días, dia, dias
dpo: dpo, days past ovulation
dpt: dpt, days past transfer, days post transfer
week: week, weeks, wk, wks, semana, semanas
month: month, months, mes, meses
year: year, years, yr, yrs, yo, year old, years old, año, años
hour: hour, hours, hr, hrs, h, hora, horas
minute: minute, minutes, min, mins, minuto, minutos
times: time, times, vez, veces
cycle: cycle, cycles, round, rounds, ciclo, ciclos
"""

NUMBER_WORDS = """
0: zero, cero
2: two, dos, second, segundo, segunda
3: three, tres, third, tercer, tercero, tercera
4: four, cuatro, fourth, cuarto, cuarta
5: five, cinco, fifth, quinto, quinta
6: six, seis, sixth, sexto, sexta
7: seven, siete, seventh, séptimo, séptima
8: eight, ocho, eighth, octavo, octava
9: nine, nueve, ninth, noveno, novena
10: ten, diez, tenth, décimo, décima
11: eleven
12: twelve, doce, dozen, docena
13: thirteen, trece
14: fourteen, catorce
15: fifteen, quince
16: sixteen, dieciséis
17: seventeen, diecisiete
18: eighteen, dieciocho
19: nineteen, diecinueve
20: twenty, veinte
21: veintiuno, veintiuna
22: veintidós
23: veintitrés
24: veinticuatro
25: veinticinco
26: veintiséis
27: veintisiete
28: veintiocho
29: veintinueve
30: thirty, treinta
40: forty, cuarenta
50: fifty, cincuenta
60: sixty, sesenta
70: seventy, setenta
80: eighty, ochenta
90: ninety, noventa
100: hundred, cien, ciento
1: first, primer, primero, primera
"""
