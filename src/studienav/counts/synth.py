# ruff: noqa: S608, E501 (SQL built from this module's own constants and numbers; long SQL lines)
"""Realistic synthetic OMOP CDM data as Parquet, at any size, generated inside DuckDB.

A Swedish region in miniature: the age and sex structure of Sweden's population, chronic
conditions with their prevalence rising with age (type 2 diabetes about 6 %, hypertension,
COPD, asthma, heart failure, atrial fibrillation, depression, ...), the drugs that follow
each condition, measurements with units (HbA1c in mmol/mol, eGFR, BMI, blood pressure),
visits, observation periods and deaths. Every random draw is a hash of the person, the seed
and the draw's name, so the same seed gives the same data on any number of threads.

Condition, ingredient, measurement, unit and visit concept ids are real OMOP standard
concepts (SNOMED, RxNorm, LOINC, UCUM, Visit). Clinical drug products, ICD-10 source codes
and the Swedish language concept use the local range above 2,000,000,000 that OMOP leaves
to each site, so the small vocabulary never claims a real id it does not know.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

LOCAL = 2_000_000_000
SWEDISH = LOCAL + 1  # the language of the Swedish synonyms
END_DATE = "2024-12-31"
FIRST_DATE = "2005-01-01"

# Sweden's population by five-year age band (per cent, 2023, rounded; 100+ folded into 95).
AGE_BANDS = (
    5.4,
    5.9,
    6.2,
    6.0,
    5.9,
    6.6,
    7.0,
    6.7,
    6.3,
    6.2,
    6.4,
    6.2,
    5.8,
    5.4,
    5.3,
    4.7,
    3.2,
    1.8,
    0.8,
    0.3,
)


@dataclass(frozen=True)
class Condition:
    """A chronic condition: its concepts, its ICD-10 code and its prevalence by age."""

    key: str
    concept_id: int  # the standard SNOMED concept (coded on most records)
    name: str
    name_sv: str
    icd10: str
    prevalence_at_70: float  # share of 70-year-olds who have it
    onset_age: int  # the age where it begins to appear
    children: tuple[tuple[int, str, str], ...] = ()  # more specific concepts coded on some records
    parent: tuple[int, str, str] | None = None  # a broader concept above it
    male_factor: float = 1.0


CONDITIONS = (
    Condition(
        "t2d",
        201826,
        "Type 2 diabetes mellitus",
        "Typ 2-diabetes",
        "E11",
        0.13,
        30,
        children=(
            (
                4193704,
                "Type 2 diabetes mellitus without complication",
                "Typ 2-diabetes utan komplikation",
            ),
            (
                443732,
                "Disorder due to type 2 diabetes mellitus",
                "Sjukdom orsakad av typ 2-diabetes",
            ),
        ),
        parent=(201820, "Diabetes mellitus", "Diabetes mellitus"),
        male_factor=1.3,
    ),
    Condition(
        "hypertension",
        320128,
        "Essential hypertension",
        "Essentiell hypertoni",
        "I10",
        0.50,
        25,
        parent=(316866, "Hypertensive disorder", "Hypertonisjukdom"),
    ),
    Condition("copd", 255573, "Chronic obstructive lung disease", "KOL", "J44", 0.08, 40),
    Condition("asthma", 317009, "Asthma", "Astma", "J45", 0.09, 0),
    Condition(
        "heart_failure",
        316139,
        "Heart failure",
        "Hjärtsvikt",
        "I50",
        0.05,
        45,
        parent=(321588, "Heart disease", "Hjärtsjukdom"),
        male_factor=1.3,
    ),
    Condition(
        "atrial_fibrillation",
        313217,
        "Atrial fibrillation",
        "Förmaksflimmer",
        "I48",
        0.10,
        45,
        parent=(321588, "Heart disease", "Hjärtsjukdom"),
        male_factor=1.4,
    ),
    Condition(
        "depression", 440383, "Depressive disorder", "Depression", "F32", 0.10, 12, male_factor=0.6
    ),
    Condition("hyperlipidemia", 432867, "Hyperlipidemia", "Hyperlipidemi", "E78", 0.30, 30),
    Condition(
        "hypothyroidism", 140673, "Hypothyroidism", "Hypotyreos", "E03", 0.08, 20, male_factor=0.2
    ),
    Condition(
        "ckd",
        46271022,
        "Chronic kidney disease",
        "Kronisk njursjukdom",
        "N18",
        0.10,
        40,
    ),
    Condition(
        "osteoarthritis", 80180, "Osteoarthritis", "Artros", "M19", 0.25, 40, male_factor=0.7
    ),
)


@dataclass(frozen=True)
class Drug:
    """An ingredient that follows a condition: who gets it and when it starts."""

    key: str
    ingredient_id: int  # RxNorm ingredient
    name: str
    condition: str
    share: float  # of persons with the condition who get it
    start_min: int  # days after the diagnosis
    start_max: int
    product: str  # the clinical drug that is dispensed


DRUGS = (
    Drug(
        "metformin",
        1503297,
        "metformin",
        "t2d",
        0.80,
        0,
        60,
        "metformin hydrochloride 500 MG Oral Tablet",
    ),
    Drug(
        "insulin_glargine",
        1502905,
        "insulin glargine",
        "t2d",
        0.15,
        180,
        1500,
        "insulin glargine 100 UNT/ML Injectable Solution",
    ),
    Drug(
        "atorvastatin",
        1545958,
        "atorvastatin",
        "hyperlipidemia",
        0.60,
        0,
        90,
        "atorvastatin 20 MG Oral Tablet",
    ),
    Drug(
        "simvastatin",
        1539403,
        "simvastatin",
        "hyperlipidemia",
        0.20,
        0,
        90,
        "simvastatin 20 MG Oral Tablet",
    ),
    Drug(
        "lisinopril",
        1308216,
        "lisinopril",
        "hypertension",
        0.35,
        0,
        90,
        "lisinopril 10 MG Oral Tablet",
    ),
    Drug(
        "amlodipine",
        1332418,
        "amlodipine",
        "hypertension",
        0.40,
        0,
        120,
        "amlodipine 5 MG Oral Tablet",
    ),
    Drug(
        "hydrochlorothiazide",
        974166,
        "hydrochlorothiazide",
        "hypertension",
        0.20,
        0,
        180,
        "hydrochlorothiazide 25 MG Oral Tablet",
    ),
    Drug(
        "apixaban",
        43013024,
        "apixaban",
        "atrial_fibrillation",
        0.70,
        0,
        30,
        "apixaban 5 MG Oral Tablet",
    ),
    Drug(
        "warfarin",
        1310149,
        "warfarin",
        "atrial_fibrillation",
        0.15,
        0,
        30,
        "warfarin sodium 5 MG Oral Tablet",
    ),
    Drug(
        "furosemide",
        956874,
        "furosemide",
        "heart_failure",
        0.80,
        0,
        14,
        "furosemide 40 MG Oral Tablet",
    ),
    Drug(
        "metoprolol",
        1307046,
        "metoprolol",
        "heart_failure",
        0.60,
        0,
        30,
        "metoprolol succinate 50 MG Extended Release Oral Tablet",
    ),
    Drug(
        "tiotropium",
        1106776,
        "tiotropium",
        "copd",
        0.60,
        0,
        60,
        "tiotropium 18 MCG Inhalation Powder",
    ),
    Drug(
        "albuterol",
        1154343,
        "albuterol",
        "asthma",
        0.85,
        0,
        14,
        "albuterol 0.1 MG/ACTUAT Metered Dose Inhaler",
    ),
    Drug(
        "budesonide",
        939259,
        "budesonide",
        "asthma",
        0.60,
        0,
        60,
        "budesonide 0.2 MG/ACTUAT Dry Powder Inhaler",
    ),
    Drug(
        "sertraline",
        739138,
        "sertraline",
        "depression",
        0.40,
        0,
        30,
        "sertraline 50 MG Oral Tablet",
    ),
    Drug(
        "escitalopram",
        715939,
        "escitalopram",
        "depression",
        0.30,
        0,
        30,
        "escitalopram 10 MG Oral Tablet",
    ),
    Drug(
        "levothyroxine",
        1501700,
        "levothyroxine",
        "hypothyroidism",
        0.95,
        0,
        30,
        "levothyroxine sodium 0.1 MG Oral Tablet",
    ),
)

# Measurements: concept, unit, names, and who is measured with which values.
HBA1C, EGFR, BMI, SYSTOLIC = 3004410, 46236952, 3038553, 3004249
MMOL_PER_MOL, EGFR_UNIT, KG_PER_M2, MM_HG = 9579, LOCAL + 101, 9531, 8876

# concept_id, name, domain, vocabulary, class, standard, code, Swedish name (or "")
VOCABULARY_EXTRA: tuple[tuple[int, str, str, str, str, str, str, str], ...] = (
    (8507, "MALE", "Gender", "Gender", "Gender", "S", "M", "man"),
    (8532, "FEMALE", "Gender", "Gender", "Gender", "S", "F", "kvinna"),
    (9201, "Inpatient Visit", "Visit", "Visit", "Visit", "S", "IP", "Slutenvårdstillfälle"),
    (9202, "Outpatient Visit", "Visit", "Visit", "Visit", "S", "OP", "Öppenvårdsbesök"),
    (9203, "Emergency Room Visit", "Visit", "Visit", "Visit", "S", "ER", "Akutbesök"),
    (
        HBA1C,
        "Hemoglobin A1c/Hemoglobin.total in Blood",
        "Measurement",
        "LOINC",
        "Lab Test",
        "S",
        "4548-4",
        "HbA1c",
    ),
    (
        EGFR,
        "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by "
        "Creatinine-based formula (CKD-EPI)",
        "Measurement",
        "LOINC",
        "Lab Test",
        "S",
        "62238-1",
        "eGFR",
    ),
    (
        BMI,
        "Body mass index (BMI) [Ratio]",
        "Measurement",
        "LOINC",
        "Clinical Observation",
        "S",
        "39156-5",
        "Kroppsmasseindex (BMI)",
    ),
    (
        SYSTOLIC,
        "Systolic blood pressure",
        "Measurement",
        "LOINC",
        "Clinical Observation",
        "S",
        "8480-6",
        "Systoliskt blodtryck",
    ),
    (MMOL_PER_MOL, "millimole per mole", "Unit", "UCUM", "Unit", "S", "mmol/mol", ""),
    (
        EGFR_UNIT,
        "milliliter per minute per 1.73 square meter",
        "Unit",
        "Local",
        "Unit",
        "S",
        "mL/min/{1.73_m2}",
        "",
    ),
    (KG_PER_M2, "kilogram per square meter", "Unit", "UCUM", "Unit", "S", "kg/m2", ""),
    (MM_HG, "millimeter mercury column", "Unit", "UCUM", "Unit", "S", "mm[Hg]", ""),
    (4298794, "Smoker", "Observation", "SNOMED", "Clinical Finding", "S", "77176002", "Rökare"),
    (SWEDISH, "Swedish language", "Language", "Local", "Qualifier Value", "", "sv", "svenska"),
)


def _u(name: str, key: str = "person_id") -> str:
    """A uniform draw in [0, 1) from the person (or row) key, the seed and the draw's name."""
    return f"(hash({key}, $seed, '{name}') % 1000000007)::DOUBLE / 1000000007.0"


def _normal(name: str, key: str = "person_id") -> str:
    """A standard normal draw (Box-Muller on two uniform draws)."""
    return f"(sqrt(-2 * ln(1 - {_u(name + '1', key)})) * cos(2 * pi() * {_u(name + '2', key)}))"


def _vocabulary_rows() -> tuple[
    list[tuple[object, ...]],
    list[tuple[int, int, int]],
    list[tuple[int, int, str]],
    list[tuple[int, str, int]],
]:
    concepts: list[tuple[object, ...]] = []
    ancestors: list[tuple[int, int, int]] = []
    relationships: list[tuple[int, int, str]] = []
    synonyms: list[tuple[int, str, int]] = []
    seen: set[int] = set()

    def concept(
        cid: int,
        name: str,
        domain: str,
        vocabulary: str,
        klass: str,
        standard: str,
        code: str,
        sv: str,
    ) -> None:
        if cid in seen:
            return
        seen.add(cid)
        concepts.append((cid, name, domain, vocabulary, klass, standard or None, code))
        synonyms.append((cid, name, 4180186))
        if sv:
            synonyms.append((cid, sv, SWEDISH))
        ancestors.append((cid, cid, 0))

    for number, condition in enumerate(CONDITIONS):
        concept(
            condition.concept_id,
            condition.name,
            "Condition",
            "SNOMED",
            "Clinical Finding",
            "S",
            f"snomed-{condition.concept_id}",
            condition.name_sv,
        )
        for child_id, name, sv in condition.children:
            concept(
                child_id,
                name,
                "Condition",
                "SNOMED",
                "Clinical Finding",
                "S",
                f"snomed-{child_id}",
                sv,
            )
            ancestors.append((condition.concept_id, child_id, 1))
        if condition.parent is not None:
            parent_id, name, sv = condition.parent
            concept(
                parent_id,
                name,
                "Condition",
                "SNOMED",
                "Clinical Finding",
                "S",
                f"snomed-{parent_id}",
                sv,
            )
            ancestors.append((parent_id, condition.concept_id, 1))
            for child_id, _name, _sv in condition.children:
                ancestors.append((parent_id, child_id, 2))
        icd = LOCAL + 1000 + number
        concept(
            icd,
            f"{condition.name} ({condition.icd10})",
            "Condition",
            "ICD10",
            "ICD10 code",
            "",
            condition.icd10,
            "",
        )
        relationships.append((icd, condition.concept_id, "Maps to"))
        relationships.append((condition.concept_id, icd, "Mapped from"))
    for number, drug in enumerate(DRUGS):
        concept(
            drug.ingredient_id,
            drug.name,
            "Drug",
            "RxNorm",
            "Ingredient",
            "S",
            f"rxnorm-{drug.ingredient_id}",
            "",
        )
        product = LOCAL + 2000 + number
        concept(product, drug.product, "Drug", "Local", "Clinical Drug", "S", f"drug-{number}", "")
        ancestors.append((drug.ingredient_id, product, 1))
    for row in VOCABULARY_EXTRA:
        concept(*row)
    # The concept codes of SNOMED and RxNorm concepts are not shipped here; the ids are real.
    return concepts, ancestors, relationships, synonyms


def _case_age_band() -> str:
    total = sum(AGE_BANDS)
    cumulative = 0.0
    whens = []
    for band, weight in enumerate(AGE_BANDS[:-1]):
        cumulative += weight / total
        whens.append(f"WHEN u_age < {cumulative:.6f} THEN {band * 5}")
    return f"CASE {' '.join(whens)} ELSE {(len(AGE_BANDS) - 1) * 5} END"


def _prevalence(condition: Condition) -> str:
    """Probability of having the condition by age and sex: rises with age, levels off after 70."""
    p70 = condition.prevalence_at_70
    span = max(70 - condition.onset_age, 10)
    # Quadratic rise from the onset age to age 70, then flat; scaled by sex.
    shape = f"least(1.0, greatest(0.0, (age - {condition.onset_age}) / {span}.0))"
    sex = f"(CASE WHEN gender_concept_id = 8507 THEN {condition.male_factor:.3f} ELSE 1.0 END)"
    norm = 2 / (1 + condition.male_factor)
    return f"least(0.95, {p70:.4f} * {norm:.4f} * {sex} * ({shape} * (2 - {shape})))"


@dataclass(frozen=True)
class SynthResult:
    """What was written: rows per table, seconds taken."""

    persons: int
    rows: dict[str, int]
    seconds: float


def omop_synth(
    *, persons: int, output: Path | str, seed: int = 1, threads: int = 0, memory_limit: str = "4GB"
) -> SynthResult:
    """Write a synthetic OMOP store of `persons` persons as Parquet files into `output`."""
    if persons < 1 or persons > 100_000_000:
        raise ValueError("persons must be between 1 and 100,000,000")
    started = time.perf_counter()
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / ".work"
    work.mkdir(exist_ok=True)
    connection = duckdb.connect(database=":memory:")
    connection.execute(f"SET memory_limit = '{memory_limit}'")
    connection.execute(f"SET temp_directory = '{work}'")
    connection.execute("SET preserve_insertion_order = false")
    if threads:
        connection.execute(f"SET threads = {int(threads)}")
    rows: dict[str, int] = {}

    def run(query: str) -> None:
        connection.execute(query.replace("$seed", str(int(seed))))

    def write(table: str, query: str) -> None:
        target = folder / f"{table}.parquet"
        run(
            f"COPY ({query}) TO '{target}' (FORMAT PARQUET, COMPRESSION ZSTD, ROW_GROUP_SIZE 122880)"
        )
        result = connection.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone()
        rows[table] = int(result[0]) if result else 0

    def parquet(table: str) -> str:
        return f"read_parquet('{folder / f'{table}.parquet'}')"

    try:
        _write_vocabulary(connection, folder, rows)
        # Persons with their age at the end of the data, sex, birth date, observation and death.
        write(
            "person",
            f"""
            WITH base AS (
              SELECT range + 1 AS person_id, {_u("age", "range + 1")} AS u_age,
                     {_u("sex", "range + 1")} AS u_sex, {_u("day", "range + 1")} AS u_day,
                     {_u("year", "range + 1")} AS u_year
              FROM range({int(persons)})
            ), aged AS (
              SELECT person_id, {_case_age_band()} + floor(u_year * 5)::INTEGER AS age,
                     CASE WHEN u_sex < 0.503 THEN 8507 ELSE 8532 END AS gender_concept_id, u_day
              FROM base
            )
            SELECT person_id, gender_concept_id,
                   (2024 - age)::INTEGER AS year_of_birth,
                   (1 + floor(u_day * 12))::INTEGER AS month_of_birth,
                   (1 + floor({_u("dom")} * 28))::INTEGER AS day_of_birth,
                   make_timestamp(2024 - age, (1 + floor(u_day * 12))::INTEGER,
                                  (1 + floor({_u("dom")} * 28))::INTEGER, 0, 0, 0) AS birth_datetime,
                   0 AS race_concept_id, 0 AS ethnicity_concept_id,
                   NULL::BIGINT AS location_id, NULL::BIGINT AS care_site_id,
                   'P' || person_id::VARCHAR AS person_source_value,
                   CASE WHEN gender_concept_id = 8507 THEN 'M' ELSE 'F' END AS gender_source_value
            FROM aged
            """,
        )
        run(
            f"""
            CREATE TABLE people AS
            SELECT person_id, gender_concept_id, year_of_birth,
                   2024 - year_of_birth AS age,
                   birth_datetime::DATE AS birth_date,
                   greatest(birth_datetime::DATE, DATE '{FIRST_DATE}'
                            + (CASE WHEN {_u("mover")} < 0.15 THEN floor({_u("moved")} * 3650) ELSE 0 END)::INTEGER)
                     AS op_start,
                   CASE WHEN {_u("death")} < least(0.6, 0.0004 * exp((2024 - year_of_birth) / 11.0))
                        THEN DATE '{END_DATE}' - floor({_u("death_day")} * 3000)::INTEGER END AS death_date
            FROM {parquet("person")}
            """
        )
        run(
            f"""
            CREATE TABLE periods AS
            SELECT person_id, gender_concept_id, age, birth_date, op_start,
                   CASE WHEN death_date IS NOT NULL AND death_date > op_start THEN death_date
                        ELSE DATE '{END_DATE}' END AS op_end,
                   CASE WHEN death_date > op_start THEN death_date END AS death_date
            FROM people
            """
        )
        write(
            "observation_period",
            """
            SELECT person_id AS observation_period_id, person_id,
                   op_start AS observation_period_start_date, op_end AS observation_period_end_date,
                   32817 AS period_type_concept_id
            FROM periods
            """,
        )
        write(
            "death",
            """
            SELECT person_id, death_date, 32817 AS death_type_concept_id, 0 AS cause_concept_id,
                   NULL::VARCHAR AS cause_source_value
            FROM periods WHERE death_date IS NOT NULL
            """,
        )
        # Diagnoses: one row per person and condition, with the date of onset in observation.
        diagnoses = []
        for number, condition in enumerate(CONDITIONS):
            diagnoses.append(
                f"""
                SELECT person_id, {number} AS condition_number, {condition.concept_id} AS concept_id,
                       op_start + floor({_u("onset_" + condition.key)}
                                        * greatest(1, op_end - op_start))::INTEGER AS onset,
                       op_end, age,
                       {_u("records_" + condition.key)} AS u_records
                FROM periods
                WHERE {_u("has_" + condition.key)} < {_prevalence(condition)}
                """
            )
        run("CREATE TABLE diagnoses AS " + " UNION ALL ".join(diagnoses))
        coded = []
        for number, condition in enumerate(CONDITIONS):
            choices = [condition.concept_id] + [child[0] for child in condition.children]
            if len(choices) == 1:
                coded.append(f"WHEN {number} THEN {condition.concept_id}")
            else:
                coded.append(
                    f"WHEN {number} THEN CASE WHEN u_code < 0.5 THEN {choices[0]} "
                    f"WHEN u_code < 0.85 THEN {choices[1]} ELSE {choices[-1]} END"
                )
        write(
            "condition_occurrence",
            f"""
            WITH records AS (
              SELECT d.person_id, d.condition_number, d.onset, d.op_end, r.i AS record,
                     {_u("code", "d.person_id, d.condition_number, r.i")} AS u_code,
                     {_u("gap", "d.person_id, d.condition_number, r.i")} AS u_gap
              FROM diagnoses d, LATERAL (SELECT unnest(range(1 + floor(d.u_records * 4)::INTEGER)) AS i) r
            )
            SELECT person_id * 64 + condition_number * 4 + record AS condition_occurrence_id, person_id,
                   CASE condition_number {" ".join(coded)} END AS condition_concept_id,
                   onset + (record * (90 + floor(u_gap * 270)))::INTEGER AS condition_start_date,
                   NULL::DATE AS condition_end_date, 32817 AS condition_type_concept_id,
                   NULL::VARCHAR AS condition_source_value, 0 AS condition_source_concept_id,
                   NULL::BIGINT AS visit_occurrence_id
            FROM records
            WHERE onset + (record * (90 + floor(u_gap * 270)))::INTEGER <= op_end
            """,
        )
        write(
            "condition_era",
            f"""
            SELECT row_number() OVER (ORDER BY person_id, condition_concept_id) AS condition_era_id,
                   person_id, condition_concept_id,
                   min(condition_start_date) AS condition_era_start_date,
                   max(condition_start_date) AS condition_era_end_date,
                   count(*)::INTEGER AS condition_occurrence_count
            FROM {parquet("condition_occurrence")}
            GROUP BY person_id, condition_concept_id
            """,
        )
        # Drugs follow their conditions: a share of the diagnosed start within a few days.
        prescriptions = []
        numbers = {condition.key: number for number, condition in enumerate(CONDITIONS)}
        for number, drug in enumerate(DRUGS):
            prescriptions.append(
                f"""
                SELECT person_id, {number} AS drug_number, {LOCAL + 2000 + number} AS product_id,
                       {drug.ingredient_id} AS ingredient_id,
                       onset + ({drug.start_min} + floor({_u("start_" + drug.key)}
                                * {drug.start_max - drug.start_min + 1}))::INTEGER AS first_fill,
                       op_end, {_u("fills_" + drug.key)} AS u_fills
                FROM diagnoses
                WHERE condition_number = {numbers[drug.condition]} AND {_u("gets_" + drug.key)} < {drug.share}
                """
            )
        run("CREATE TABLE prescriptions AS " + " UNION ALL ".join(prescriptions))
        write(
            "drug_exposure",
            """
            WITH fills AS (
              SELECT p.person_id, p.drug_number, r.i, p.product_id, p.first_fill + (r.i * 90)::INTEGER AS start_date,
                     p.op_end
              FROM prescriptions p,
                   LATERAL (SELECT unnest(range(1 + floor(p.u_fills * 8)::INTEGER)) AS i) r
            )
            SELECT person_id * 256 + drug_number * 8 + i AS drug_exposure_id, person_id, product_id AS drug_concept_id,
                   start_date AS drug_exposure_start_date, start_date + 89 AS drug_exposure_end_date,
                   32817 AS drug_type_concept_id, 90.0 AS quantity, 90 AS days_supply,
                   NULL::VARCHAR AS drug_source_value, 0 AS drug_source_concept_id,
                   NULL::BIGINT AS visit_occurrence_id
            FROM fills WHERE start_date <= op_end
            """,
        )
        write(
            "drug_era",
            f"""
            SELECT row_number() OVER (ORDER BY e.person_id, p.ingredient_id) AS drug_era_id, e.person_id,
                   p.ingredient_id AS drug_concept_id,
                   min(e.drug_exposure_start_date) AS drug_era_start_date,
                   max(e.drug_exposure_end_date) AS drug_era_end_date,
                   count(*)::INTEGER AS drug_exposure_count, 0 AS gap_days
            FROM {parquet("drug_exposure")} e
            JOIN (SELECT DISTINCT product_id, ingredient_id FROM prescriptions) p ON p.product_id = e.drug_concept_id
            GROUP BY e.person_id, p.ingredient_id
            """,
        )
        t2d = numbers["t2d"]
        ckd = numbers["ckd"]
        hypertension = numbers["hypertension"]
        write(
            "measurement",
            f"""
            WITH flags AS (
              SELECT p.person_id, p.age, p.op_start, p.op_end, p.gender_concept_id,
                     max(CASE WHEN d.condition_number = {t2d} THEN d.onset END) AS t2d_onset,
                     bool_or(d.condition_number = {ckd}) AS has_ckd,
                     bool_or(d.condition_number = {hypertension}) AS has_hypertension
              FROM periods p LEFT JOIN diagnoses d USING (person_id)
              GROUP BY ALL
            ), plan AS (
              -- HbA1c: twice a year from the diabetes diagnosis; once for a fifth of other adults.
              SELECT person_id, 0 AS kind, {HBA1C} AS concept_id, {MMOL_PER_MOL} AS unit_id,
                     t2d_onset - 14 + (r.i * 180)::INTEGER AS day, op_end,
                     52 + 11 * {_normal("hba1c", "person_id, r.i")} AS value, r.i AS n
              FROM flags, LATERAL (SELECT unnest(range(1 + floor({_u("hba1c_n")} * 6)::INTEGER)) AS i) r
              WHERE t2d_onset IS NOT NULL
              UNION ALL
              SELECT person_id, 1, {HBA1C}, {MMOL_PER_MOL},
                     op_start + floor({_u("hba1c_day")} * greatest(1, op_end - op_start))::INTEGER, op_end,
                     36 + 3.5 * {_normal("hba1c_healthy")}, 0
              FROM flags WHERE t2d_onset IS NULL AND age >= 40 AND {_u("hba1c_some")} < 0.2
              UNION ALL
              SELECT person_id, 2, {EGFR}, {EGFR_UNIT},
                     op_start + floor({_u("egfr_day")} * greatest(1, op_end - op_start))::INTEGER, op_end,
                     CASE WHEN has_ckd THEN 45 + 12 * {_normal("egfr_ckd")}
                          ELSE 100 - greatest(0, age - 40) * 0.8 + 12 * {_normal("egfr")} END, 0
              FROM flags WHERE age >= 40 AND (has_ckd OR {_u("egfr_some")} < 0.35)
              UNION ALL
              SELECT person_id, 3, {BMI}, {KG_PER_M2},
                     op_start + floor({_u("bmi_day")} * greatest(1, op_end - op_start))::INTEGER, op_end,
                     26 + (CASE WHEN t2d_onset IS NOT NULL THEN 4 ELSE 0 END) + 4.5 * {_normal("bmi")}, 0
              FROM flags WHERE age >= 18 AND {_u("bmi_some")} < 0.5
              UNION ALL
              SELECT person_id, 4, {SYSTOLIC}, {MM_HG},
                     op_start + floor({_u("sbp_day")} * greatest(1, op_end - op_start))::INTEGER, op_end,
                     (CASE WHEN has_hypertension THEN 148 ELSE 124 END) + 14 * {_normal("sbp")}, 0
              FROM flags WHERE age >= 18 AND (has_hypertension OR {_u("sbp_some")} < 0.3)
            )
            SELECT person_id * 64 + kind * 8 + n AS measurement_id, person_id, concept_id AS measurement_concept_id,
                   day AS measurement_date, 32817 AS measurement_type_concept_id,
                   round(greatest(value, 1), 1) AS value_as_number, NULL::INTEGER AS value_as_concept_id,
                   unit_id AS unit_concept_id, NULL::DOUBLE AS range_low, NULL::DOUBLE AS range_high,
                   NULL::VARCHAR AS measurement_source_value, NULL::VARCHAR AS unit_source_value,
                   NULL::BIGINT AS visit_occurrence_id
            FROM plan WHERE day <= op_end
            """,
        )
        write(
            "observation",
            f"""
            SELECT person_id AS observation_id, person_id, 4298794 AS observation_concept_id,
                   op_start + floor({_u("smoker_day")} * greatest(1, op_end - op_start))::INTEGER
                     AS observation_date,
                   32817 AS observation_type_concept_id, NULL::DOUBLE AS value_as_number,
                   NULL::VARCHAR AS value_as_string, NULL::INTEGER AS value_as_concept_id,
                   NULL::INTEGER AS unit_concept_id, NULL::VARCHAR AS observation_source_value,
                   NULL::BIGINT AS visit_occurrence_id
            FROM periods WHERE age >= 16 AND {_u("smoker")} < 0.12
            """,
        )
        write(
            "visit_occurrence",
            f"""
            WITH visits AS (
              SELECT p.person_id, p.op_start, p.op_end, r.i,
                     {_u("visit_day", "p.person_id, r.i")} AS u_day,
                     {_u("visit_kind", "p.person_id, r.i")} AS u_kind
              FROM periods p,
                   LATERAL (SELECT unnest(range(floor({_u("visits", "p.person_id")}
                                                    * (1 + p.age / 15.0))::INTEGER)) AS i) r
            )
            SELECT person_id * 64 + i AS visit_occurrence_id, person_id,
                   CASE WHEN u_kind < 0.85 THEN 9202 WHEN u_kind < 0.95 THEN 9203 ELSE 9201 END
                     AS visit_concept_id,
                   op_start + floor(u_day * greatest(1, op_end - op_start))::INTEGER AS visit_start_date,
                   op_start + floor(u_day * greatest(1, op_end - op_start))::INTEGER
                     + (CASE WHEN u_kind >= 0.95 THEN 1 + floor(u_kind * 1000) % 7 ELSE 0 END)::INTEGER
                     AS visit_end_date,
                   32817 AS visit_type_concept_id, NULL::BIGINT AS care_site_id,
                   NULL::VARCHAR AS visit_source_value
            FROM visits
            """,
        )
        write(
            "procedure_occurrence",
            """
            SELECT 0::BIGINT AS procedure_occurrence_id, 0::BIGINT AS person_id, 0 AS procedure_concept_id,
                   DATE '2000-01-01' AS procedure_date, 0 AS procedure_type_concept_id,
                   NULL::VARCHAR AS procedure_source_value, 0 AS procedure_source_concept_id,
                   NULL::BIGINT AS visit_occurrence_id
            WHERE false
            """,
        )
    finally:
        connection.close()
        for leftover in work.glob("*"):
            leftover.unlink(missing_ok=True)
        work.rmdir()
    return SynthResult(persons=persons, rows=rows, seconds=time.perf_counter() - started)


def _write_vocabulary(
    connection: duckdb.DuckDBPyConnection, folder: Path, rows: dict[str, int]
) -> None:
    concepts, ancestors, relationships, synonyms = _vocabulary_rows()
    tables = {
        "concept": (
            "concept_id INTEGER, concept_name VARCHAR, domain_id VARCHAR, vocabulary_id VARCHAR, "
            "concept_class_id VARCHAR, standard_concept VARCHAR, concept_code VARCHAR",
            concepts,
            ", DATE '1970-01-01' AS valid_start_date, DATE '2099-12-31' AS valid_end_date, "
            "NULL::VARCHAR AS invalid_reason",
        ),
        "concept_ancestor": (
            "ancestor_concept_id INTEGER, descendant_concept_id INTEGER, min_levels_of_separation INTEGER",
            ancestors,
            ", min_levels_of_separation AS max_levels_of_separation",
        ),
        "concept_relationship": (
            "concept_id_1 INTEGER, concept_id_2 INTEGER, relationship_id VARCHAR",
            relationships,
            ", DATE '1970-01-01' AS valid_start_date, DATE '2099-12-31' AS valid_end_date, "
            "NULL::VARCHAR AS invalid_reason",
        ),
        "concept_synonym": (
            "concept_id INTEGER, concept_synonym_name VARCHAR, language_concept_id INTEGER",
            synonyms,
            "",
        ),
    }
    table_rows: dict[str, Sequence[Sequence[object]]] = {
        "concept": concepts,
        "concept_ancestor": ancestors,
        "concept_relationship": relationships,
        "concept_synonym": synonyms,
    }
    for table, (columns, _values, extra) in tables.items():
        values = table_rows[table]
        connection.execute(f"CREATE TABLE v_{table} ({columns})")
        width = columns.count(",") + 1
        placeholders = ", ".join("?" for _ in range(width))
        connection.executemany(
            f"INSERT INTO v_{table} VALUES ({placeholders})", [list(v) for v in values]
        )
        target = folder / f"{table}.parquet"
        connection.execute(f"COPY (SELECT *{extra} FROM v_{table}) TO '{target}' (FORMAT PARQUET)")
        rows[table] = len(values)


def expected_prevalence(condition_key: str) -> float:
    """The share of the whole population expected to have a condition (for tests and docs)."""
    condition = next(c for c in CONDITIONS if c.key == condition_key)
    total = sum(AGE_BANDS)
    share = 0.0
    for band, weight in enumerate(AGE_BANDS):
        for year in range(5):
            age = band * 5 + year
            span = max(70 - condition.onset_age, 10)
            x = min(1.0, max(0.0, (age - condition.onset_age) / span))
            base = condition.prevalence_at_70 * 2 / (1 + condition.male_factor)
            p_female = min(0.95, base * x * (2 - x))
            p_male = min(0.95, base * condition.male_factor * x * (2 - x))
            share += weight / total / 5 * (0.503 * p_male + 0.497 * p_female)
    return share if not math.isnan(share) else 0.0
