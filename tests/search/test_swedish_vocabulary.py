"""Plain Swedish finds English records: everyday and professional Swedish words searched, as
the portal does, among records written as ClinicalTrials.gov writes them (titles and MeSH-style
conditions), with records that only look alike (`SMART`, `graft-versus-host`, `Spain`), which
must not be found.

Each record carries the conditions it is about (its labels); a word's relevant records are
those labelled with the word's condition.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction
from pytest_django import DjangoDbBlocker

from studienav.registry.models import Study, StudyState
from studienav.registry.records import records_apply
from studienav.search import conditions as conditions_module
from studienav.search.conditions import condition_name, conditions
from studienav.search.services import SearchParams, study_search
from tests.search.conftest import study_record

pytestmark = pytest.mark.django_db

Record = tuple[str, tuple[str, ...]]  # title, conditions

# Condition label -> English records about it.
RECORDS: dict[str, list[Record]] = {
    "insomnia": [
        ("Digital CBT for Insomnia in Older Adults", ("Insomnia",)),
        ("Lemborexant Nightly", ("Sleep Initiation and Maintenance Disorders",)),
        ("Acupuncture for Sleeplessness in Adults", ("Sleeplessness",)),
    ],
    "low back pain": [
        ("Exercise Therapy for Chronic Low Back Pain", ("Low Back Pain",)),
        ("Spinal Manipulation Versus Physiotherapy for Back Pain", ("Back Pain",)),
        ("Yoga for Lumbago in Primary Care", ("Lumbago",)),
    ],
    "blood clot": [
        ("Apixaban for Cancer-Associated Venous Thromboembolism", ("Venous Thromboembolism",)),
        ("Compression Stockings After Deep Vein Thrombosis", ("Deep Vein Thrombosis",)),
        ("Catheter-Directed Thrombolysis in Pulmonary Embolism", ("Pulmonary Embolism",)),
    ],
    "heart attack": [
        ("Colchicine After Acute Myocardial Infarction", ("Myocardial Infarction",)),
        ("Early Invasive Strategy in NSTEMI", ("Non-ST Elevation Myocardial Infarction",)),
        ("Cardiac Rehabilitation After a Heart Attack", ("Heart Attack",)),
    ],
    "stroke": [
        ("Minimally Invasive Evacuation", ("Intracerebral Hemorrhage",)),
        ("Thrombectomy for Acute Ischemic Stroke", ("Ischemic Stroke",)),
        ("Robot-Assisted Arm Training After Stroke", ("Stroke",)),
        ("Early Mobilisation After Cerebral Infarction", ("Cerebral Infarction",)),
    ],
    "type 2 diabetes": [
        ("Time-Restricted Eating", ("T2DM",)),
        ("Semaglutide Once Weekly in Adults", ("Diabetes Mellitus, Type 2",)),
        ("Structured Education in Type 2 Diabetes", ("Type 2 Diabetes",)),
    ],
    "type 1 diabetes": [
        ("Closed-Loop Insulin Delivery in Adolescents", ("Diabetes Mellitus, Type 1",)),
        ("Smart Insulin Pens for Young Adults", ("Type 1 Diabetes",)),
    ],
    "diabetes": [
        ("Telemonitoring of Blood Glucose in Primary Care", ("Diabetes Mellitus",)),
    ],
    "gestational diabetes": [
        ("Metformin Versus Insulin in Pregnancy", ("Diabetes, Gestational",)),
    ],
    "hypertension": [
        ("Renal Denervation for Resistant Hypertension", ("Hypertension",)),
        ("Salt Substitution in Rural Villages", ("Essential Hypertension",)),
        ("Home Monitoring of High Blood Pressure", ("High Blood Pressure",)),
    ],
    "anxiety": [
        ("Virtual Reality Exposure", ("Social Anxiety Disorder",)),
        ("Internet CBT for Generalized Anxiety Disorder", ("Generalized Anxiety Disorder",)),
        ("Music to Reduce Preoperative Anxiety", ("Anxiety",)),
        ("Sertraline for Panic Disorder", ("Panic Disorder",)),
    ],
    "depression": [
        ("Esketamine Nasal Spray", ("Depressive Disorder, Treatment-Resistant",)),
        ("Behavioural Activation in Primary Care", ("Major Depressive Disorder",)),
        ("Exercise for Depression in Older Adults", ("Depression",)),
    ],
    "copd": [
        ("Roflumilast in Frequent Exacerbators", ("Chronic Bronchitis",)),
        ("Pulmonary Rehabilitation at Home", ("Pulmonary Disease, Chronic Obstructive",)),
        ("Triple Inhaler Therapy", ("COPD",)),
        ("Endobronchial Valves for Lung Volume Reduction", ("Emphysema",)),
    ],
    "asthma": [
        ("Biologic Therapy for Severe Asthma", ("Asthma",)),
        ("School-Based Inhaler Education", ("Asthma in Children",)),
    ],
    "eczema": [
        ("Dupilumab in Moderate to Severe Disease", ("Dermatitis, Atopic",)),
        ("Emollients From Birth to Prevent Eczema", ("Eczema",)),
        ("Topical JAK Inhibitor for Chronic Hand Eczema", ("Hand Eczema",)),
    ],
    "psoriasis": [
        ("Scalp Lotion Comparison", ("Psoriatic Plaque",)),
        ("IL-23 Inhibitor in Plaque Psoriasis", ("Psoriasis",)),
        ("Narrowband UVB Phototherapy", ("Psoriasis Vulgaris",)),
    ],
    "migraine": [
        ("CGRP Antibody for Prevention", ("Migraine Disorders",)),
        ("Aerobic Exercise for Migraine Without Aura", ("Migraine Without Aura",)),
    ],
    "dementia": [
        ("Multidomain Intervention to Prevent Dementia", ("Dementia",)),
        ("Lecanemab in Early Disease", ("Alzheimer Disease",)),
        ("Music Therapy in Care Homes", ("Dementia, Vascular",)),
    ],
    "rheumatoid arthritis": [
        ("JAK Inhibitor Versus Methotrexate", ("Arthritis, Rheumatoid",)),
        ("Tapering Biologics in Sustained Remission", ("Rheumatoid Arthritis",)),
    ],
    "osteoporosis": [
        ("Romosozumab Followed by Alendronate", ("Osteoporosis, Postmenopausal",)),
        ("High-Intensity Resistance Training for Bone", ("Osteoporosis",)),
    ],
    "kidney failure": [
        ("Incremental Dialysis Start", ("ESRD",)),
        ("SGLT2 Inhibition and Kidney Outcomes", ("Renal Insufficiency, Chronic",)),
        ("Home Haemodialysis Versus In-Centre Care", ("Kidney Failure, Chronic",)),
        ("Remote Ischaemic Preconditioning Before Cardiac Surgery", ("Acute Kidney Injury",)),
    ],
    "gout": [
        ("Colchicine for Gout Flare", ("Gout Flare",)),
        ("Febuxostat Versus Allopurinol", ("Gout",)),
        ("Nurse-Led Care for Gouty Arthritis", ("Gouty Arthritis",)),
    ],
    "pain": [
        ("Ketamine in the Emergency Department", ("Acute Pain",)),
        ("Spinal Cord Stimulation", ("Neuropathic Pain",)),
        ("Virtual Reality for Chronic Pain", ("Chronic Pain",)),
        ("Nerve Block After Knee Replacement", ("Pain, Postoperative",)),
        ("Methadone for Cancer Pain", ("Cancer Pain",)),
        ("Epidural Techniques for Painless Labour", ("Labor Pain",)),
    ],
    "neck pain": [
        ("Manual Therapy for Chronic Neck Pain", ("Neck Pain",)),
        ("Workplace Exercise for Office Workers", ("Neck Pain",)),
    ],
    "heart failure": [
        ("Dapagliflozin With Preserved Ejection Fraction", ("Heart Failure",)),
        ("Telemonitoring After Discharge", ("Heart Failure, Systolic",)),
        ("Intravenous Iron in Congestive Heart Failure", ("Congestive Heart Failure",)),
    ],
    "atrial fibrillation": [
        ("Catheter Ablation as First-Line Therapy", ("Atrial Fibrillation",)),
        ("Screening With Wearable Devices", ("Paroxysmal Atrial Fibrillation",)),
    ],
    "breast cancer": [
        ("Adjuvant Endocrine Therapy for Five Versus Ten Years", ("Breast Neoplasms",)),
        ("Neoadjuvant Immunotherapy", ("Triple Negative Breast Neoplasms",)),
    ],
    "prostate cancer": [
        ("Hypofractionated Radiotherapy", ("Prostatic Neoplasms",)),
        ("PSMA PET Staging", ("Prostate Adenocarcinoma",)),
    ],
    "lung cancer": [
        ("Osimertinib After Resection", ("Carcinoma, Non-Small-Cell Lung",)),
        ("Low-Dose CT Screening in Smokers", ("Lung Neoplasms",)),
    ],
    "colorectal cancer": [
        ("FIT-Based Screening Programme", ("Colorectal Neoplasms",)),
        ("Aspirin After Resection", ("Colonic Neoplasms",)),
    ],
    "skin cancer": [
        ("Nicotinamide for Chemoprevention", ("Skin Neoplasms",)),
        ("Photodynamic Therapy for Superficial Lesions", ("Carcinoma, Basal Cell",)),
    ],
    "melanoma": [
        ("Adjuvant Anti-PD-1 After Resection", ("Melanoma",)),
        ("Sentinel Node Biopsy", ("Melanoma, Cutaneous Malignant",)),
    ],
    "anemia": [
        ("Intravenous Iron in Pregnancy", ("Anemia, Iron-Deficiency",)),
        ("Transfusion Thresholds in Preterm Infants", ("Anaemia",)),
        ("Hydroxyurea in Children", ("Anemia, Sickle Cell",)),
    ],
    "hypothyroidism": [
        ("Levothyroxine Dosing by Weight", ("Hypothyroidism",)),
        ("Selenium Supplementation", ("Hashimoto Disease",)),
    ],
    "obesity": [
        ("Tirzepatide for Weight Management", ("Obesity",)),
        ("Sleeve Gastrectomy Versus Gastric Bypass", ("Obesity, Morbid",)),
        ("Family-Based Treatment in Children", ("Overweight",)),
    ],
    "alcohol": [
        ("Naltrexone in Primary Care", ("Alcohol Use Disorder",)),
        ("Brief Intervention in the Emergency Department", ("Alcohol Drinking",)),
    ],
    "smoking": [
        ("Varenicline in Pregnancy", ("Smoking Cessation",)),
        ("E-Cigarettes Versus Nicotine Replacement", ("Tobacco Use Disorder",)),
    ],
    "schizophrenia": [
        ("Clozapine Early in Treatment", ("Schizophrenia",)),
        ("Cognitive Remediation", ("Schizophrenia Spectrum and Other Psychotic Disorders",)),
    ],
    "adhd": [
        ("Methylphenidate in Adults", ("Attention Deficit Disorder with Hyperactivity",)),
        ("Parent Training Programme", ("ADHD",)),
    ],
    "autism": [
        ("Early Intervention in Toddlers", ("Autism Spectrum Disorder",)),
        ("Intranasal Oxytocin", ("Autistic Disorder",)),
    ],
    "eating disorder": [
        ("Family Therapy for Adolescents", ("Anorexia Nervosa",)),
        ("Guided Self-Help", ("Binge-Eating Disorder",)),
        ("Lisdexamfetamine Trial", ("Bulimia Nervosa",)),
    ],
    "burnout": [
        ("Mindfulness Among Nurses", ("Burnout, Professional",)),
        ("Return-to-Work Intervention", ("Burnout Syndrome",)),
    ],
    "parkinson": [
        ("Focused Ultrasound Thalamotomy", ("Parkinson Disease",)),
        ("Dance for Balance", ("Parkinson's Disease",)),
    ],
    "epilepsy": [
        ("Cenobamate as Adjunctive Therapy", ("Drug Resistant Epilepsy",)),
        ("Ketogenic Diet in Children", ("Epilepsy",)),
    ],
    "multiple sclerosis": [
        ("Ocrelizumab Extension Study", ("Multiple Sclerosis, Relapsing-Remitting",)),
        ("Exercise Training and Walking", ("Multiple Sclerosis",)),
    ],
    "headache": [
        ("Acupuncture for Tension-Type Headache", ("Tension-Type Headache",)),
        ("Nerve Block for Post-Dural Puncture Headache", ("Post-Dural Puncture Headache",)),
    ],
    "vertigo": [
        ("Vestibular Rehabilitation Online", ("Dizziness",)),
        ("Betahistine Dose Comparison", ("Vertigo",)),
    ],
    "tinnitus": [("Sound Therapy Devices", ("Tinnitus",))],
    "hearing loss": [
        ("Cochlear Implants in Older Adults", ("Hearing Loss, Sensorineural",)),
        ("Over-the-Counter Hearing Aids", ("Hearing Impairment",)),
    ],
    "cataract": [
        ("Femtosecond Laser-Assisted Surgery", ("Cataract",)),
        ("Intraocular Lens Choice", ("Age-Related Cataract",)),
    ],
    "glaucoma": [
        ("Selective Laser Trabeculoplasty First", ("Glaucoma, Open-Angle",)),
        ("Eye Drop Adherence Coaching", ("Glaucoma",)),
    ],
    "macular degeneration": [
        ("Faricimab Every Sixteen Weeks", ("Wet Macular Degeneration",)),
        ("Photobiomodulation for Dry Disease", ("Macular Degeneration",)),
    ],
    "pneumonia": [
        ("Short-Course Antibiotics", ("Community-acquired Pneumonia",)),
        ("Corticosteroids in Severe Cases", ("Pneumonia",)),
    ],
    "influenza": [
        ("High-Dose Vaccine in Older Adults", ("Influenza, Human",)),
        ("Baloxavir for Household Contacts", ("Influenza",)),
    ],
    "common cold": [
        ("Zinc Lozenges", ("Common Cold",)),
        ("Probiotics in Day Care", ("Upper Respiratory Tract Infections",)),
    ],
    "urinary tract infection": [
        ("Cranberry for Prevention", ("Urinary Tract Infections",)),
        ("Ibuprofen Versus Antibiotics in Women", ("Cystitis",)),
    ],
    "hay fever": [
        ("Sublingual Immunotherapy Tablets", ("Rhinitis, Allergic, Seasonal",)),
        ("Nasal Spray Combination", ("Hay Fever",)),
    ],
    "reflux": [
        ("Alginate After Meals", ("Heartburn",)),
        ("Vonoprazan for Erosive Disease", ("Gastroesophageal Reflux",)),
        ("Magnetic Sphincter Augmentation", ("GERD",)),
    ],
    "peptic ulcer": [
        ("Eradication Therapy to Prevent Bleeding", ("Peptic Ulcer",)),
        ("PPI Dosing After Endoscopic Treatment", ("Stomach Ulcer",)),
    ],
    "ibs": [
        ("Low FODMAP Diet", ("Irritable Bowel Syndrome",)),
        ("Gut-Directed Hypnotherapy", ("IBS",)),
    ],
    "crohn": [
        ("Risankizumab Induction", ("Crohn Disease",)),
        ("Early Surgery Versus Biologics", ("Crohn's Disease",)),
    ],
    "ulcerative colitis": [
        ("Vedolizumab Subcutaneous", ("Colitis, Ulcerative",)),
        ("Faecal Microbiota Transplantation", ("Ulcerative Colitis",)),
    ],
    "celiac": [
        ("Larazotide Acetate", ("Celiac Disease",)),
        ("Gluten Challenge Study", ("Coeliac Disease",)),
    ],
    "constipation": [
        ("Linaclotide in Adults", ("Chronic Idiopathic Constipation",)),
        ("Naloxegol in Cancer Patients", ("Opioid-Induced Constipation",)),
    ],
    "gallstones": [
        ("Early Cholecystectomy", ("Gallstones",)),
        ("Ursodiol After Bariatric Surgery", ("Cholelithiasis",)),
    ],
    "fatty liver": [
        ("Resmetirom Phase 3", ("Non-alcoholic Steatohepatitis",)),
        ("Lifestyle Intervention", ("NAFLD",)),
    ],
    "cirrhosis": [
        ("Carvedilol to Prevent Decompensation", ("Liver Cirrhosis",)),
        ("Long-Term Albumin Infusions", ("Cirrhosis",)),
    ],
    "osteoarthritis": [
        ("Platelet-Rich Plasma Injections", ("Knee Arthrosis",)),
        ("Intra-articular Corticosteroid Injection", ("Osteoarthritis, Knee",)),
        ("Exercise Versus Surgery", ("Osteoarthritis, Hip",)),
        ("Education and Exercise in Primary Care", ("Osteoarthritis",)),
    ],
    "hip fracture": [
        ("Orthogeriatric Care", ("Hip Fractures",)),
        ("Arthroplasty Versus Internal Fixation", ("Femoral Neck Fractures",)),
    ],
    "fibromyalgia": [("Tai Chi Versus Aerobic Exercise", ("Fibromyalgia",))],
    "sciatica": [
        ("Epidural Steroid Injection", ("Sciatica",)),
        ("Microdiscectomy Versus Conservative Care", ("Lumbar Disc Herniation",)),
    ],
    "kidney stones": [
        ("Tamsulosin for Distal Stones", ("Ureteral Calculi",)),
        ("Hydrochlorothiazide for Recurrence", ("Kidney Calculi",)),
    ],
    "incontinence": [
        ("Pelvic Floor Muscle Training", ("Urinary Incontinence",)),
        ("Midurethral Sling Versus Bulking Agent", ("Urinary Incontinence, Stress",)),
    ],
    "enlarged prostate": [
        ("Prostatic Urethral Lift", ("Prostatic Hyperplasia",)),
        ("Tadalafil Once Daily", ("Benign Prostatic Hyperplasia",)),
    ],
    "endometriosis": [
        ("Relugolix Combination Therapy", ("Endometriosis",)),
        ("Laparoscopic Excision", ("Endometriosis",)),
    ],
    "menopause": [
        ("Fezolinetant Phase 3", ("Hot Flashes",)),
        ("Hormone Therapy and Sleep", ("Menopause",)),
    ],
    "period pain": [("Heat Patches", ("Dysmenorrhea",))],
    "infertility": [
        ("Letrozole Versus Clomiphene", ("Infertility, Female",)),
        ("Freeze-All Versus Fresh Transfer", ("In Vitro Fertilization",)),
    ],
    "preeclampsia": [
        ("Aspirin From the First Trimester", ("Pre-Eclampsia",)),
        ("Sildenafil in Early Onset Disease", ("Preeclampsia",)),
    ],
    "preterm birth": [
        ("Vaginal Progesterone", ("Premature Birth",)),
        ("Cervical Pessary", ("Preterm Labor",)),
    ],
    "miscarriage": [
        ("Progesterone for Bleeding in Early Pregnancy", ("Abortion, Spontaneous",)),
        ("Low-Molecular-Weight Heparin", ("Recurrent Pregnancy Loss",)),
    ],
    "urticaria": [("Omalizumab Dose Comparison", ("Chronic Spontaneous Urticaria",))],
    "acne": [("Topical Clascoterone", ("Acne Vulgaris",))],
    "leg ulcer": [
        ("Compression Bandaging", ("Varicose Ulcer",)),
        ("Skin Grafting Versus Dressings", ("Leg Ulcer",)),
    ],
    "pressure ulcer": [
        ("Pressure-Redistributing Mattresses", ("Pressure Injuries",)),
        ("Repositioning Schedules", ("Pressure Ulcer",)),
        ("Silicone Foam Dressings", ("Pressure Injury",)),
    ],
    "concussion": [("Early Aerobic Exercise in Adolescents", ("Brain Concussion",))],
    "cough": [
        ("Morphine for Coughing in Lung Disease", ("Coughing",)),
        ("Gefapixant Phase 3", ("Chronic Cough",)),
        ("Honey in Children", ("Cough",)),
    ],
    "fatigue": [
        ("Yoga After Chemotherapy", ("Fatigue",)),
        ("Modafinil Crossover Trial", ("Fatigue",)),
    ],
    "nausea": [
        ("Aprepitant in Day Surgery", ("PONV",)),
        ("Olanzapine as Antiemetic", ("Chemotherapy-induced Nausea and Vomiting",)),
        ("Dexamethasone at Induction", ("Postoperative Nausea and Vomiting",)),
    ],
    "angina": [
        ("Ranolazine Add-On", ("Angina Pectoris",)),
        ("Coronary Sinus Reducer", ("Refractory Angina",)),
    ],
    "coronary artery disease": [
        ("Intravascular Imaging-Guided PCI", ("Coronary Artery Disease",)),
        ("Statin Intensity Comparison", ("Coronary Disease",)),
    ],
    "varicose veins": [("Endovenous Laser Ablation", ("Varicose Veins",))],
    "sepsis": [
        ("Vitamin C and Thiamine", ("Septic Shock",)),
        ("Antibiotics Within One Hour", ("Sepsis",)),
    ],
    "lyme": [
        ("Doxycycline Duration", ("Lyme Neuroborreliosis",)),
        ("Vaccine Efficacy Trial", ("Lyme Disease",)),
    ],
    "shingles": [("Recombinant Vaccine in Transplant Recipients", ("Herpes Zoster",))],
    "hiv": [
        ("Broadly Neutralising Antibodies", ("Human Immunodeficiency Virus",)),
        ("Long-Acting Cabotegravir", ("HIV Infections",)),
        ("Pre-Exposure Prophylaxis Uptake", ("HIV",)),
    ],
    "covid": [
        ("Nirmatrelvir in Outpatients", ("COVID-19",)),
        ("Rehabilitation After Infection", ("Post-COVID-19 Condition",)),
    ],
    "periodontitis": [("Non-Surgical Therapy", ("Periodontitis",))],
    "caries": [("Silver Diamine Fluoride in Children", ("Dental Caries",))],
    "dry eye": [("Cyclosporine Drops", ("Dry Eye Syndromes",))],
    "sleep apnea": [
        ("CPAP Adherence Coaching", ("Sleep Apnea, Obstructive",)),
        ("Mandibular Advancement Device", ("Sleep Apnoea",)),
    ],
    "leukemia": [
        ("Fixed-Duration Therapy", ("CLL",)),
        ("Venetoclax With Azacitidine", ("Leukemia, Myeloid, Acute",)),
        ("CAR-T Cells in Relapsed Disease", ("Acute Lymphoblastic Leukemia",)),
        ("Ibrutinib First Line", ("Leukemia, Lymphocytic, Chronic, B-Cell",)),
    ],
    "lymphoma": [
        ("Polatuzumab First Line", ("Lymphoma, Large B-Cell, Diffuse",)),
        ("PET-Guided Therapy in Hodgkin Lymphoma", ("Hodgkin Disease",)),
    ],
    "brain tumour": [
        ("Tumor Treating Fields", ("Glioblastoma",)),
        ("Proton Therapy in Children", ("Brain Neoplasms",)),
    ],
    "ovarian cancer": [("PARP Inhibitor Maintenance", ("Ovarian Neoplasms",))],
    "pancreatic cancer": [("FOLFIRINOX Before Surgery", ("Pancreatic Neoplasms",))],
}

# A record about the first condition is also about these.
ALSO: dict[str, set[str]] = {
    "low back pain": {"pain"},
    "neck pain": {"pain"},
    "type 2 diabetes": {"diabetes"},
    "type 1 diabetes": {"diabetes"},
    "gestational diabetes": {"diabetes"},
}

# Records about none of the words' conditions, that a careless match would find.
DISTRACTORS: list[Record] = [
    ("SMART: Smartphone Reminders for Medication Adherence", ("Medication Adherence",)),
    ("The SMART Trial of Stent Materials", ("Coronary Stenosis",)),
    ("Prophylaxis After Stem Cell Transplantation", ("Graft vs Host Disease",)),
    ("Host Response Biomarkers in Critical Illness", ("Critical Illness",)),
    ("Depth of Anesthesia Monitoring in Older Adults", ("Anesthesia",)),
    ("Spinal Anaesthesia for Caesarean Section", ("Anesthesia, Spinal",)),
    ("Button Battery Ingestion in Children", ("Foreign Bodies",)),
    ("A Registry of Rare Diseases in Spain and Portugal", ("Rare Diseases",)),
    ("Skin Substitutes for Partial-Thickness Burns", ("Burns",)),
    ("Astaxanthin Supplementation in Athletes", ("Muscle Soreness",)),
    ("Cholesterol Lowering With Inclisiran", ("Hypercholesterolemia",)),
    ("Bowel Preparation With Polyethylene Glycol", ("Bowel Preparation",)),
    ("Diaper Dermatitis in Infants", ("Diaper Rash",)),
    ("Thrombopoietin Agonist in ITP", ("Purpura, Thrombocytopenic, Idiopathic",)),
    ("Tacrolimus Dosing After Transplantation", ("Kidney Transplantation",)),
    ("Pharmacokinetics of a Novel Antibiotic", ("Healthy Volunteers",)),
    ("Heart Rate Variability in Elite Athletes", ("Athletic Performance",)),
    ("Emergence Delirium After Sevoflurane", ("Emergence Delirium",)),
    ("Fallopian Tube Patency Testing", ("Tubal Occlusion",)),
    ("Painting and Drawing in Day Care", ("Child Development",)),
    ("Astra: Adherence Study in Transplant Recipients", ("Medication Adherence",)),
    # Look-alikes a substring match cannot tell apart (they stay as the limits measured).
    ("Opioid-Induced Respiratory Depression After Surgery", ("Respiratory Depression",)),
    ("Stroke Volume-Guided Fluid Therapy in Major Surgery", ("Hypovolemia",)),
    ("Inhaled Treprostinil", ("Pulmonary Arterial Hypertension",)),
    ("Cooling Vests for Heat Stroke Prevention", ("Heat Stroke",)),
]

# Everyday and professional Swedish words, and the condition each names.
WORDS: list[tuple[str, str]] = [
    ("sömnlöshet", "insomnia"),
    ("ryggsmärta", "low back pain"),
    ("ryggont", "low back pain"),
    ("ont i ryggen", "low back pain"),
    ("blodpropp", "blood clot"),
    ("hjärtinfarkt", "heart attack"),
    ("stroke", "stroke"),
    ("slaganfall", "stroke"),
    ("diabetes", "diabetes"),
    ("sockersjuka", "diabetes"),
    ("typ 2-diabetes", "type 2 diabetes"),
    ("typ 1-diabetes", "type 1 diabetes"),
    ("graviditetsdiabetes", "gestational diabetes"),
    ("högt blodtryck", "hypertension"),
    ("hypertoni", "hypertension"),
    ("ångest", "anxiety"),
    ("nedstämdhet", "depression"),
    ("depression", "depression"),
    ("KOL", "copd"),
    ("astma", "asthma"),
    ("eksem", "eczema"),
    ("psoriasis", "psoriasis"),
    ("migrän", "migraine"),
    ("demens", "dementia"),
    ("ledgångsreumatism", "rheumatoid arthritis"),
    ("benskörhet", "osteoporosis"),
    ("njursvikt", "kidney failure"),
    ("gikt", "gout"),
    ("smärta", "pain"),
    ("nacksmärta", "neck pain"),
    ("hjärtsvikt", "heart failure"),
    ("förmaksflimmer", "atrial fibrillation"),
    ("bröstcancer", "breast cancer"),
    ("prostatacancer", "prostate cancer"),
    ("lungcancer", "lung cancer"),
    ("tjocktarmscancer", "colorectal cancer"),
    ("hudcancer", "skin cancer"),
    ("melanom", "melanoma"),
    ("blodbrist", "anemia"),
    ("underfunktion i sköldkörteln", "hypothyroidism"),
    ("fetma", "obesity"),
    ("övervikt", "obesity"),
    ("alkoholberoende", "alcohol"),
    ("rökning", "smoking"),
    ("schizofreni", "schizophrenia"),
    ("ADHD", "adhd"),
    ("autism", "autism"),
    ("ätstörning", "eating disorder"),
    ("utbrändhet", "burnout"),
    ("Parkinsons sjukdom", "parkinson"),
    ("epilepsi", "epilepsy"),
    ("MS", "multiple sclerosis"),
    ("huvudvärk", "headache"),
    ("yrsel", "vertigo"),
    ("tinnitus", "tinnitus"),
    ("hörselnedsättning", "hearing loss"),
    ("grå starr", "cataract"),
    ("grön starr", "glaucoma"),
    ("makuladegeneration", "macular degeneration"),
    ("lunginflammation", "pneumonia"),
    ("influensa", "influenza"),
    ("förkylning", "common cold"),
    ("urinvägsinfektion", "urinary tract infection"),
    ("hösnuva", "hay fever"),
    ("halsbränna", "reflux"),
    ("magsår", "peptic ulcer"),
    ("känslig tarm", "ibs"),
    ("Crohns sjukdom", "crohn"),
    ("ulcerös kolit", "ulcerative colitis"),
    ("glutenintolerans", "celiac"),
    ("förstoppning", "constipation"),
    ("gallsten", "gallstones"),
    ("fettlever", "fatty liver"),
    ("skrumplever", "cirrhosis"),
    ("artros", "osteoarthritis"),
    ("höftfraktur", "hip fracture"),
    ("fibromyalgi", "fibromyalgia"),
    ("ischias", "sciatica"),
    ("njursten", "kidney stones"),
    ("urinläckage", "incontinence"),
    ("prostataförstoring", "enlarged prostate"),
    ("endometrios", "endometriosis"),
    ("klimakteriebesvär", "menopause"),
    ("mensvärk", "period pain"),
    ("ofrivillig barnlöshet", "infertility"),
    ("havandeskapsförgiftning", "preeclampsia"),
    ("för tidig förlossning", "preterm birth"),
    ("missfall", "miscarriage"),
    ("nässelfeber", "urticaria"),
    ("akne", "acne"),
    ("bensår", "leg ulcer"),
    ("liggsår", "pressure ulcer"),
    ("hjärnskakning", "concussion"),
    ("hosta", "cough"),
    ("trötthet", "fatigue"),
    ("illamående", "nausea"),
    ("kärlkramp", "angina"),
    ("kranskärlssjukdom", "coronary artery disease"),
    ("åderbråck", "varicose veins"),
    ("blodförgiftning", "sepsis"),
    ("borrelia", "lyme"),
    ("bältros", "shingles"),
    ("hiv", "hiv"),
    ("covid", "covid"),
    ("tandlossning", "periodontitis"),
    ("hål i tänderna", "caries"),
    ("torra ögon", "dry eye"),
    ("sömnapné", "sleep apnea"),
    ("leukemi", "leukemia"),
    ("lymfom", "lymphoma"),
    ("hjärntumör", "brain tumour"),
    ("äggstockscancer", "ovarian cancer"),
    ("bukspottkörtelcancer", "pancreatic cancer"),
]

Labelled = dict[int, frozenset[str]]  # study id -> the conditions it is about


def _records() -> list[tuple[Record, frozenset[str]]]:
    out: list[tuple[Record, frozenset[str]]] = []
    for label, records in RECORDS.items():
        labels = frozenset({label} | ALSO.get(label, set()))
        out.extend((record, labels) for record in records)
    out.extend((record, frozenset()) for record in DISTRACTORS)
    return out


@pytest.fixture(scope="module")
def labelled(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[Labelled]:
    """The records, written once for the module in a transaction rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        records = _records()
        written = records_apply(
            records=[
                study_record(
                    state=StudyState.PUBLISHED,
                    source="ctgov",
                    public_title=title,
                    public_title_en=title,
                    summary_sv="",
                    summary_en=f"{title}: a randomised study.",
                    conditions=[{"name": name} for name in conditions],
                    identifiers=[{"scheme": "nct", "value": f"NCT{9_000_000 + n:08d}"}],
                    sites=[],
                )
                for n, ((title, conditions), _labels) in enumerate(records)
            ],
            by=None,
            reason="test",
        )
        yield {
            result.study.pk: labels  # type: ignore[union-attr]
            for result, (_record, labels) in zip(written, records, strict=True)
        }
        transaction.set_rollback(True)


def _found(word: str, limit: int = 1000) -> list[int]:
    return [study.pk for study in study_search(SearchParams(q=word, limit=limit)).studies]


def labelled_title(pk: int) -> str:
    return str(Study.objects.get(pk=pk).public_title)


def _relevant(labelled: Labelled, label: str) -> set[int]:
    return {pk for pk, labels in labelled.items() if label in labels}


def test_the_list_covers_sixty_conditions_or_more() -> None:
    assert len({label for _word, label in WORDS}) >= 60
    assert {label for _word, label in WORDS} <= set(RECORDS)


def test_swedish_words_find_the_english_records_of_their_condition(labelled: Labelled) -> None:
    wanted = found = 0
    missed = []
    for word, label in WORDS:
        relevant = _relevant(labelled, label)
        hits = relevant & set(_found(word))
        wanted += len(relevant)
        found += len(hits)
        missed += [f"{word}: {labelled_title(pk)}" for pk in sorted(relevant - hits)]
    assert found / wanted >= 0.95, missed


def test_what_a_swedish_word_finds_is_about_its_condition(labelled: Labelled) -> None:
    hits = relevant_hits = 0
    wrong = []
    for word, label in WORDS:
        relevant = _relevant(labelled, label)
        found = _found(word)
        hits += len(found)
        relevant_hits += len(relevant.intersection(found))
        wrong += [f"{word}: {labelled_title(pk)}" for pk in found if pk not in relevant]
    assert relevant_hits / hits >= 0.95, wrong


def test_every_word_finds_records_of_its_condition(labelled: Labelled) -> None:
    blind = [word for word, label in WORDS if not _relevant(labelled, label) & set(_found(word))]
    assert blind == []


def test_the_first_twenty_hits_of_everyday_words_are_about_their_condition(
    labelled: Labelled,
) -> None:
    shown = relevant_shown = 0
    for word, label in WORDS:
        top = _found(word, limit=20)
        shown += len(top)
        relevant_shown += len(_relevant(labelled, label).intersection(top))
    assert relevant_shown / shown >= 0.95


@pytest.mark.parametrize(
    ("word", "look_alike"),
    [
        ("smärta", "SMART: Smartphone Reminders for Medication Adherence"),
        ("smärta", "The SMART Trial of Stent Materials"),
        ("smärta", "A Registry of Rare Diseases in Spain and Portugal"),
        ("hosta", "Prophylaxis After Stem Cell Transplantation"),
        ("hosta", "Host Response Biomarkers in Critical Illness"),
        ("ångest", "Depth of Anesthesia Monitoring in Older Adults"),
        ("ångest", "Button Battery Ingestion in Children"),
        ("utbrändhet", "Skin Substitutes for Partial-Thickness Burns"),
        ("astma", "Astaxanthin Supplementation in Athletes"),
        ("KOL", "Cholesterol Lowering With Inclisiran"),
        ("eksem", "Diaper Dermatitis in Infants"),
        ("blodpropp", "Thrombopoietin Agonist in ITP"),
        ("njursvikt", "Tacrolimus Dosing After Transplantation"),
    ],
)
def test_a_word_does_not_find_records_that_only_look_alike(
    labelled: Labelled, word: str, look_alike: str
) -> None:
    assert look_alike not in {labelled_title(pk) for pk in _found(word)}


# -- the vocabulary itself --------------------------------------------------------------------


def test_the_vocabulary_names_150_conditions_or_more_in_both_languages() -> None:
    named = [c for c in conditions() if c.name_sv and c.name_en and c.icd10se and c.synonyms_sv]
    assert len(named) >= 150


def test_every_condition_has_a_valid_icd10_code_of_its_own() -> None:
    codes = [c.icd10 for c in conditions()]
    assert all(codes)
    assert len(codes) == len(set(codes))


def test_icd10se_explanations_in_brackets_are_swedish_names_and_codes_are_not() -> None:
    glaucoma = next(c for c in conditions() if c.icd10 == "H40")
    assert {"Glaukom", "grön starr"} <= set(glaucoma.names_sv)
    retinopathy = next(c for c in conditions() if c.icd10 == "H36.0")
    assert not [name for name in retinopathy.names_sv if "E10" in name]


@pytest.mark.parametrize(
    ("name", "icd10", "language", "shown"),
    [
        ("Insomnia", "", "sv", "Sömnlöshet"),
        ("Sleep Initiation and Maintenance Disorders", "", "sv", "Sömnlöshet"),
        ("Late-life insomnia", "G47.0", "sv", "Sömnlöshet"),
        ("Late-life insomnia", "G47.09", "sv", "Sömnlöshet"),
        ("sömnlöshet", "", "sv", ""),
        ("Insomnia", "", "en", ""),
        ("sömnlöshet", "", "en", "Insomnia"),
        ("Night owl chronotype", "", "sv", ""),
        ("Pulmonary Disease, Chronic Obstructive", "", "sv", "KOL"),
    ],
)
def test_a_condition_s_name_in_a_language(name: str, icd10: str, language: str, shown: str) -> None:
    assert condition_name(name, icd10, language) == shown


def test_search_reads_nothing_of_participation() -> None:
    package = Path(conditions_module.__file__).parent
    importing = [
        path.name
        for path in package.rglob("*.py")
        if "studienav.participation" in path.read_text(encoding="utf-8")
    ]
    assert importing == []
