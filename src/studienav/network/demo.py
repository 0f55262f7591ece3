"""Demo network activity: a year (2025) of courses with about 230 GCP participants, waiting
lists and certificates; the node's six networks with meetings and actions; a library of
templates and support documents in Swedish and English; and a few coming sessions."""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO

from django.core.files.base import ContentFile
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from studienav.core.audit import audit_record
from studienav.core.demo import DEMO_DOMAIN, DEMO_PASSWORD, demo_totp_key
from studienav.core.models import Region, Role, RoleAssignment, User
from studienav.core.pdf import Document as PdfDocument
from studienav.core.pdf import Heading, Text, pdf_render
from studienav.core.selectors import node_regions
from studienav.network import library
from studienav.network.models import (
    ActionItem,
    Certificate,
    Course,
    CourseKind,
    CourseSession,
    Evaluation,
    Meeting,
    MemberRole,
    Network,
    NetworkMember,
    Registration,
    RegistrationState,
    Topic,
    Visibility,
)
from studienav.network.services import add_months, certificate_code_new

DEMO_YEAR = 2025
_REASON = "demo data"

COURSES = [
    (
        CourseKind.GCP_BASIC,
        "GCP grundkurs",
        "GCP basic course",
        "En dag om god klinisk sed (ICH E6(R3)): ansvar, samtycke, dokumentation och "
        "säkerhetsrapportering för dig som ska arbeta i kliniska studier.",
        "One day on Good Clinical Practice (ICH E6(R3)): responsibilities, consent, "
        "documentation and safety reporting for everyone starting to work in clinical studies.",
        36,
    ),
    (
        CourseKind.GCP_REFRESHER,
        "GCP repetitionskurs",
        "GCP refresher",
        "En halvdag som förnyar ditt GCP-certifikat: nyheterna i ICH E6(R3) och vanliga "
        "fynd vid monitorering och inspektion.",
        "Half a day that renews your GCP certificate: what is new in ICH E6(R3) and common "
        "findings in monitoring and inspection.",
        36,
    ),
    (
        CourseKind.RESEARCH_NURSE,
        "Introduktion för forskningssjuksköterskor",
        "Introduction for research nurses",
        "Två dagar om forskningssjuksköterskans roll: rekrytering, prover, CRF och logistik.",
        "Two days on the research nurse's role: recruitment, samples, CRFs and logistics.",
        None,
    ),
    (
        CourseKind.OTHER,
        "Etikprövning och dataskydd för forskare",
        "Ethics review and data protection for researchers",
        "Hur en ansökan till Etikprövningsmyndigheten skrivs, och vad GDPR kräver av en studie.",
        "How to write an application to the Swedish Ethical Review Authority, and what the GDPR "
        "asks of a study.",
        None,
    ),
]
# Participants marked present per session of 2025: 170 + 60 = 230 GCP participants.
ATTENDED = {
    CourseKind.GCP_BASIC: [18, 17, 19, 16, 18, 17, 15, 18, 16, 16],
    CourseKind.GCP_REFRESHER: [12, 13, 11, 12, 12],
    CourseKind.RESEARCH_NURSE: [14, 12],
    CourseKind.OTHER: [22, 19],
}
PLACES = {
    "03": "Akademiska sjukhuset, Uppsala",
    "04": "Mälarsjukhuset, Eskilstuna",
    "17": "Centralsjukhuset, Karlstad",
    "18": "Universitetssjukhuset Örebro",
    "19": "Västmanlands sjukhus, Västerås",
    "20": "Falu lasarett",
    "21": "Gävle sjukhus",
}
FIRST = ["Anna", "Maria", "Karin", "Sara", "Emma", "Lena", "Johan", "Erik", "Lars", "Nils", "Ida"]
FIRST += ["Elin", "Hanna", "Oskar", "Amir", "Fatima", "Sofia", "Jonas", "Petra", "Linnea"]
LAST = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson"]
LAST += ["Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Lindberg", "Hassan"]
ORGANISATIONS = [
    "Region Uppsala",
    "Region Sörmland",
    "Region Värmland",
    "Region Örebro län",
    "Region Västmanland",
    "Region Dalarna",
    "Region Gävleborg",
    "Uppsala universitet",
    "Örebro universitet",
    "Läkemedel AB",
]
COMMENTS = [
    "Bra praktiska exempel från verkliga studier.",
    "Lite för mycket på en dag, men mycket nyttigt.",
    "Very clear on the new risk-based approach in E6(R3).",
    "Mer tid för frågor hade varit bra.",
    "",
    "",
]
NETWORKS = [
    (
        "node-coordinators",
        "Nodsamordnare",
        "Node coordinators",
        "De lokala nodernas samordnare: gemensamma rutiner, rapportering och studieförfrågningar.",
        10,
    ),
    (
        "legal",
        "Juridiknätverket",
        "Legal network",
        "Jurister från regionerna: avtal för kliniska prövningar, nationella avtalsmallar, ATMP.",
        4,
    ),
    (
        "biostatistics",
        "Biostatistiknätverket",
        "Biostatistics network",
        "Statistiker som stöder forskare i regionerna: studiedesign, styrkeberäkning, analys.",
        4,
    ),
    (
        "monitoring",
        "Monitoreringsnätverket",
        "Monitoring network",
        "Monitorer från regionerna: riskbaserad monitorering och gemensamma rutiner.",
        5,
    ),
    (
        "data-disclosure",
        "Utlämnande av hälsodata",
        "Health-data disclosure",
        "Regionernas utlämnandefunktioner: harmoniserad blankett, sekretessprövning, förbehåll.",
        6,
    ),
    (
        "research-nurses",
        "Forskningssjuksköterskor",
        "Research nurses",
        "Forskningssjuksköterskor från alla regioner: erfarenhetsutbyte och fortbildning.",
        4,
    ),
]
AGENDAS = [
    "1. Mötets öppnande\n2. Föregående protokoll\n3. Rapporter från regionerna\n4. {topic}\n"
    "5. Övriga frågor",
    "1. Opening\n2. Minutes of the last meeting\n3. Round of the regions\n4. {topic}\n5. AOB",
]
TOPICS = [
    "Nationella avtalsmallar för företagsinitierade prövningar",
    "ICH E6(R3): vad ändras för prövningsställena",
    "Harmoniserad blankett för utlämnande",
    "Årsrapport och gemensamma mått",
    "Riskbaserad monitorering",
    "Rekrytering via 1177",
    "Styrkeberäkning i registerstudier",
    "Verksamhetsplan 2026",
]
ACTIONS = [
    "Skicka ut reviderad mall till regionerna",
    "Sammanställa regionernas synpunkter",
    "Boka föreläsare till nästa möte",
    "Uppdatera rutinbeskrivningen i dokumentbiblioteket",
    "Ta fram förslag på gemensamma mått",
    "Kontakta KSS nationella nätverk",
]
DOCUMENTS = [
    (
        "Nationell avtalsmall för kliniska läkemedelsprövningar",
        "Mall för avtal mellan sponsor och region vid företagsinitierade kliniska prövningar.",
        Topic.AGREEMENTS,
        "sv",
        Visibility.PUBLIC,
        2,
    ),
    (
        "National template clinical trial agreement",
        "Template agreement between sponsor and region for company-initiated clinical trials.",
        Topic.AGREEMENTS,
        "en",
        Visibility.PUBLIC,
        2,
    ),
    (
        "Avtalsmall för medicintekniska prövningar",
        "Mall för avtal vid klinisk prövning av medicinteknik.",
        Topic.AGREEMENTS,
        "sv",
        Visibility.PUBLIC,
        1,
    ),
    (
        "ATMP: checklista inför prövning",
        "Vad prövningsstället behöver ordna inför en prövning med avancerade terapier.",
        Topic.ATMP,
        "sv",
        Visibility.PUBLIC,
        1,
    ),
    (
        "ATMP template: site readiness",
        "What a site needs to arrange before a trial with advanced therapy medicinal products.",
        Topic.ATMP,
        "en",
        Visibility.PUBLIC,
        1,
    ),
    (
        "GCP: checklista för prövningsstället",
        "Checklista enligt ICH E6(R3) för prövare och forskningssjuksköterskor.",
        Topic.GCP,
        "sv",
        Visibility.PUBLIC,
        3,
    ),
    (
        "Delegeringslogg",
        "Mall för delegeringslogg på prövningsstället.",
        Topic.GCP,
        "sv",
        Visibility.PUBLIC,
        1,
    ),
    (
        "Harmoniserad blankett för utlämnande av hälsodata",
        "Blanketten som skickas till flera regioner samtidigt.",
        Topic.DATA,
        "sv",
        Visibility.PUBLIC,
        2,
    ),
    (
        "Rutin för sekretessprövning (intern)",
        "Nodens gemensamma rutin för utlämnandefunktionerna.",
        Topic.DATA,
        "sv",
        Visibility.STAFF,
        1,
    ),
    (
        "Starting a clinical study in the region: a guide",
        "From idea to first participant: ethics, agreements, budget and registration.",
        Topic.STUDY_START,
        "en",
        Visibility.PUBLIC,
        1,
    ),
    (
        "Budgetmall för kliniska studier",
        "Kalkyl för kostnader per patient och fasta kostnader.",
        Topic.STUDY_START,
        "sv",
        Visibility.STAFF,
        1,
    ),
    (
        "Nodsamordnarnas rutin för studieförfrågningar",
        "Hur förfrågningar tas emot, vidarebefordras och besvaras.",
        Topic.OTHER,
        "sv",
        Visibility.STAFF,
        1,
    ),
]


def _moment(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _course_leader(seed: int) -> User:
    email = f"course.leader@{DEMO_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, full_name="Helena Strömberg", language="sv")
        user.set_password(DEMO_PASSWORD)
        user.save()
        audit_record(actor=None, action="user.create", obj=user, before={}, reason=_REASON)
        TOTPDevice.objects.get_or_create(
            user=user,
            name="authenticator",
            defaults={"key": demo_totp_key(email, seed), "confirmed": True},
        )
    if not RoleAssignment.objects.active().filter(user=user, role=Role.COURSE_LEADER).exists():
        RoleAssignment.objects.create(user=user, role=Role.COURSE_LEADER)
    return user


def _person(rng: random.Random) -> tuple[str, str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    email = f"{first}.{last}.{rng.randrange(1000, 9999)}@example.org".lower()
    for swedish, plain in (("å", "a"), ("ä", "a"), ("ö", "o")):
        email = email.replace(swedish, plain)
    return f"{first} {last}", email, rng.choice(ORGANISATIONS)


def _registration(
    session: CourseSession, rng: random.Random, state: str, registered: datetime
) -> Registration:
    name, email, organisation = _person(rng)
    return Registration.objects.create(
        session=session,
        full_name=name,
        email=email,
        organisation=organisation,
        language="en" if session.language == "en" or rng.random() < 0.06 else "sv",
        state=state,
        link_key=secrets.token_urlsafe(18),
        registered_at=registered,
    )


def _session_year(
    *,
    course: Course,
    attended: int,
    day: date,
    region: Region,
    rng: random.Random,
    leader: User,
) -> None:
    """One held session: full, with a waiting list, cancellations that moved people up, some
    absent, certificates for everyone present and evaluations from about half."""
    online = rng.random() < 0.25
    absent = rng.randrange(0, 3)
    seats = attended + absent
    hours = 4 if course.kind == CourseKind.GCP_REFRESHER else 7
    session = CourseSession.objects.create(
        course=course,
        starts_at=_moment(day, 9),
        ends_at=_moment(day, 9 + hours),
        place="" if online else PLACES[region.code],
        is_online=online,
        region=None if online else region,
        language="en" if rng.random() < 0.12 else "sv",
        seats=seats,
        audience="Prövare, forskningssjuksköterskor och koordinatorer",
        fee_sek=None if course.kind != CourseKind.OTHER else 500,
        leader=leader,
        created_at=_moment(day - timedelta(days=90), 10),
    )
    opened = day - timedelta(days=60)
    holders = [
        _registration(
            session, rng, RegistrationState.CONFIRMED, _moment(opened, 8) + timedelta(hours=i * 7)
        )
        for i in range(seats)
    ]
    cancelled = rng.randrange(0, 4)
    waiting_left = rng.randrange(0, 3)
    # The first `cancelled` holders cancel; as many from the waiting list moved up.
    for index, holder in enumerate(holders[:cancelled]):
        holder.state = RegistrationState.CANCELLED
        holder.cancelled_at = _moment(day - timedelta(days=10 - index), 12)
        holder.save(update_fields=["state", "cancelled_at"])
        moved = _registration(
            session, rng, RegistrationState.CONFIRMED, _moment(day - timedelta(days=30), 9 + index)
        )
        moved.moved_up_at = holder.cancelled_at
        moved.save(update_fields=["moved_up_at"])
        holders.append(moved)
    for index in range(waiting_left):
        _registration(
            session, rng, RegistrationState.WAITING, _moment(day - timedelta(days=20), 9 + index)
        )
    seated = [h for h in holders if h.state == RegistrationState.CONFIRMED]
    rng.shuffle(seated)
    issued = timezone.localdate(session.ends_at)
    for index, registration in enumerate(seated):
        present = index < attended
        registration.state = RegistrationState.ATTENDED if present else RegistrationState.ABSENT
        registration.reminded_at = _moment(day - timedelta(days=3), 7)
        registration.save(update_fields=["state", "reminded_at"])
        if not present:
            continue
        Certificate.objects.create(
            registration=registration,
            code=certificate_code_new(),
            full_name=registration.full_name,
            issued_on=issued,
            valid_until=add_months(issued, course.validity_months)
            if course.is_gcp and course.validity_months
            else None,
            language=registration.language,
        )
        if rng.random() < 0.55:
            Evaluation.objects.create(
                registration=registration,
                overall=rng.choice([3, 4, 4, 5, 5]),
                relevance=rng.choice([3, 4, 4, 5, 5]),
                leader=rng.choice([4, 4, 5, 5, 5]),
                would_recommend=rng.random() < 0.9,
                comment=rng.choice(COMMENTS),
                submitted_at=_moment(day + timedelta(days=2), 10),
            )


def _courses(rng: random.Random, leader: User) -> None:
    regions = list(node_regions())
    for kind, name, name_en, description, description_en, months in COURSES:
        course = Course.objects.create(
            kind=kind,
            name=name,
            name_en=name_en,
            description=description,
            description_en=description_en,
            validity_months=months,
        )
        audit_record(actor=None, action="course.create", obj=course, before={}, reason=_REASON)
        plan = ATTENDED[kind]
        for index, attended in enumerate(plan):
            # Spread over the year, never in July.
            month = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12][int(index * 11 / len(plan))]
            day = date(DEMO_YEAR, month, 8 + rng.randrange(0, 15))
            while day.weekday() >= 5:
                day += timedelta(days=1)
            _session_year(
                course=course,
                attended=attended,
                day=day,
                region=regions[index % len(regions)],
                rng=rng,
                leader=leader,
            )
        _coming_sessions(course, rng, leader, regions)


def _coming_sessions(
    course: Course, rng: random.Random, leader: User, regions: list[Region]
) -> None:
    """Two sessions in the coming months; the first GCP basic one is full with a queue."""
    today = timezone.localdate()
    for index in range(2):
        day = today + timedelta(days=30 + 45 * index + rng.randrange(0, 10))
        while day.weekday() >= 5:
            day += timedelta(days=1)
        region = regions[(index * 3 + len(course.name)) % len(regions)]
        seats = 20 if course.is_gcp else 16
        session = CourseSession.objects.create(
            course=course,
            starts_at=_moment(day, 9),
            ends_at=_moment(day, 13 if course.kind == CourseKind.GCP_REFRESHER else 16),
            place=PLACES[region.code],
            region=region,
            language="en" if (index == 1 and course.kind == CourseKind.GCP_BASIC) else "sv",
            seats=seats,
            audience="Prövare, forskningssjuksköterskor och koordinatorer",
            fee_sek=None if course.kind != CourseKind.OTHER else 500,
            leader=leader,
        )
        full = course.kind == CourseKind.GCP_BASIC and index == 0
        taken = seats if full else rng.randrange(3, seats - 2)
        for n in range(taken):
            _registration(
                session,
                rng,
                RegistrationState.CONFIRMED,
                timezone.now() - timedelta(hours=n * 9 + 1),
            )
        for n in range(3 if full else 0):
            _registration(
                session, rng, RegistrationState.WAITING, timezone.now() - timedelta(minutes=50 - n)
            )


def _members_for(slug: str, regions: list[Region], rng: random.Random) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = []
    roles = {
        "node-coordinators": Role.NODE_COORDINATOR,
        "data-disclosure": Role.DISCLOSURE_OFFICER,
    }
    if slug in roles:
        for assignment in RoleAssignment.objects.active().filter(
            role=roles[slug], region__in=regions
        ):
            people.append(
                {"user": assignment.user, "region": assignment.region, "organisation": ""}
            )
        return people
    if slug == "research-nurses":
        for assignment in RoleAssignment.objects.active().filter(
            role=Role.SITE_STAFF, organisation__region__in=regions
        ):
            people.append(
                {
                    "user": assignment.user,
                    "region": assignment.organisation.region if assignment.organisation else None,
                    "organisation": str(assignment.organisation or ""),
                }
            )
        return people
    # Legal, biostatistics and monitoring: people without accounts, one or two per region.
    for region in regions:
        for _n in range(rng.choice([1, 1, 2])):
            name, email, _organisation = _person(rng)
            people.append(
                {
                    "full_name": name,
                    "email": email.replace("@example.org", f"@{region.code}.example.org"),
                    "region": region,
                    "organisation": f"Region {region.short_name}",
                }
            )
    return people


def _networks(rng: random.Random, office: User, documents: list[Any]) -> None:
    regions = list(node_regions())
    for slug, name, name_en, purpose, meetings in NETWORKS:
        network = Network.objects.create(slug=slug, name=name, name_en=name_en, purpose=purpose)
        audit_record(actor=None, action="network.create", obj=network, before={}, reason=_REASON)
        members = [
            NetworkMember.objects.create(
                network=network,
                user=person.get("user"),
                full_name=person.get("full_name") or person["user"].full_name,
                email=person.get("email") or person["user"].email,
                region=person["region"],
                organisation=person["organisation"],
                role=MemberRole.MEMBER,
            )
            for person in _members_for(slug, regions, rng)
        ]
        members.append(
            NetworkMember.objects.create(
                network=network,
                user=office,
                full_name=office.full_name,
                email=office.email,
                organisation="Forum Mellansverige",
                role=MemberRole.CHAIR,
            )
        )
        for index in range(meetings):
            month = 1 + int(index * 11 / meetings)
            day = date(DEMO_YEAR, month, 10 + rng.randrange(0, 10))
            while day.weekday() >= 5:
                day += timedelta(days=1)
            topic = rng.choice(TOPICS)
            meeting = Meeting.objects.create(
                network=network,
                title=f"{name} {day:%Y-%m-%d}",
                starts_at=_moment(day, 13),
                place="Teams",
                agenda=AGENDAS[0].format(topic=topic),
                minutes=f"Alla regioner deltog utom en. Diskussion om: {topic}.",
                decisions=f"Nätverket ställer sig bakom förslaget om {topic.lower()}.",
            )
            if documents and rng.random() < 0.4:
                meeting.documents.add(rng.choice(documents))
            for _n in range(rng.randrange(1, 4)):
                due = day + timedelta(days=rng.randrange(14, 60))
                ActionItem.objects.create(
                    meeting=meeting,
                    text=rng.choice(ACTIONS),
                    owner=rng.choice(members),
                    due_on=due,
                    done_on=due - timedelta(days=rng.randrange(0, 10))
                    if rng.random() < 0.8
                    else None,
                )
        upcoming = timezone.localdate() + timedelta(days=20 + rng.randrange(0, 20))
        Meeting.objects.create(
            network=network,
            title=f"{name} {upcoming:%Y-%m-%d}",
            starts_at=_moment(upcoming, 13),
            place="Teams",
            agenda=AGENDAS[1].format(topic=rng.choice(TOPICS)),
        )


def _demo_pdf(title: str, language: str, version: int, description: str) -> bytes:
    note = (
        f"Version {version}. Demonstration document of the node's library."
        if language == "en"
        else f"Version {version}. Demonstrationsdokument i nodens bibliotek."
    )
    return pdf_render(
        PdfDocument(
            title=title,
            language=language,
            blocks=[Text(description), Heading("1"), Text(note)],
            subtitle="Forum Mellansverige",
        )
    )


def _documents(office: User, rng: random.Random) -> list[Any]:
    created = []
    today = timezone.localdate()
    for index, (title, description, topic, language, visibility, versions) in enumerate(DOCUMENTS):
        # One document's review date has passed, to show the reminder.
        review = (
            today - timedelta(days=12) if index == 5 else today + timedelta(days=90 + 30 * index)
        )
        upload = ContentFile(_demo_pdf(title, language, 1, description), name=f"{title[:40]}.pdf")
        document = library.document_create(
            by=office,
            data={
                "title": title,
                "description": description,
                "topic": topic,
                "language": language,
                "owner": office,
                "review_on": review,
                "visibility": visibility,
            },
            upload=upload,
            note="Första versionen" if language == "sv" else "First version",
        )
        for number in range(2, versions + 1):
            library.document_version_add(
                by=office,
                document=document,
                upload=ContentFile(
                    _demo_pdf(title, language, number, description), name=f"{title[:40]}.pdf"
                ),
                note="Uppdaterad efter ICH E6(R3)" if language == "sv" else "Updated for E6(R3)",
            )
        created.append(document)
    return created


def demo_data_load(*, rng: random.Random, options: dict[str, Any], stdout: TextIO) -> None:
    """Courses of 2025 and coming sessions, networks with meetings, the document library."""
    if Course.objects.exists():
        return
    office = User.objects.filter(email=f"cecilia@{DEMO_DOMAIN}").first()
    if office is None:
        stdout.write("network: core demo data missing, no network activity created\n")
        return
    seed = int(options.get("seed") or 2025)
    leader = _course_leader(seed)
    _courses(rng, leader)
    documents = _documents(office, rng)
    _networks(rng, office, documents)
    if not options.get("quiet"):
        stdout.write(f"  {leader.email:<34} course leader (network activity)\n")
