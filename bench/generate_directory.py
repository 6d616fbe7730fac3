"""Generate a synthetic but realistic HSDS 3.1 CSV directory package for the benchmarks."""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_SERVICES = 50_000
DEFAULT_SEED = 1
PROGRESS_EVERY = 10_000

# Never change: every id of every package derives from it, and re-import benchmarks compare packages.
NAMESPACE = uuid.UUID("6f1c0c7e-2b7d-5a43-9d0e-3c1f6a8b9e21")

# HSDS resource names (datapackage.json `name`) this generator fills, in the order of the datapackage.
TABLES: tuple[str, ...] = (
    "organization",
    "service",
    "attribute",
    "service_at_location",
    "location",
    "phone",
    "address",
    "schedule",
    "language",
    "taxonomy_term",
    "taxonomy",
)

TAXONOMY_NAME = "Open Eligibility"

# USPS ZIP prefixes (first three digits) by state. Prefixes of territories other than Puerto Rico and
# of military post offices are left out: the ZCTA table has no such ZIPs or they have no single state.
_ZIP3_RANGES: tuple[tuple[int, int, str], ...] = (
    (5, 5, "NY"), (6, 7, "PR"), (9, 9, "PR"), (10, 27, "MA"), (28, 29, "RI"), (30, 38, "NH"),
    (39, 49, "ME"), (50, 54, "VT"), (55, 55, "MA"), (56, 59, "VT"), (60, 69, "CT"), (70, 89, "NJ"),
    (100, 149, "NY"), (150, 196, "PA"), (197, 199, "DE"), (200, 200, "DC"), (201, 201, "VA"),
    (202, 205, "DC"), (206, 219, "MD"), (220, 246, "VA"), (247, 268, "WV"), (270, 289, "NC"),
    (290, 299, "SC"), (300, 319, "GA"), (320, 339, "FL"), (341, 349, "FL"), (350, 369, "AL"),
    (370, 385, "TN"), (386, 397, "MS"), (398, 399, "GA"), (400, 427, "KY"), (430, 459, "OH"),
    (460, 479, "IN"), (480, 499, "MI"), (500, 528, "IA"), (530, 549, "WI"), (550, 567, "MN"),
    (569, 569, "DC"), (570, 577, "SD"), (580, 588, "ND"), (590, 599, "MT"), (600, 629, "IL"),
    (630, 658, "MO"), (660, 679, "KS"), (680, 693, "NE"), (700, 714, "LA"), (716, 729, "AR"),
    (730, 731, "OK"), (733, 733, "TX"), (734, 749, "OK"), (750, 799, "TX"), (800, 816, "CO"),
    (820, 831, "WY"), (832, 838, "ID"), (840, 847, "UT"), (850, 865, "AZ"), (870, 884, "NM"),
    (885, 885, "TX"), (889, 898, "NV"), (900, 961, "CA"), (967, 968, "HI"), (970, 979, "OR"),
    (980, 994, "WA"), (995, 999, "AK"),
)
_ZIP3_STATE: dict[int, str] = {
    prefix: state for low, high, state in _ZIP3_RANGES for prefix in range(low, high + 1)
}
# American Samoa shares Hawaii's 967 prefix.
_ZIP_STATE_EXCEPTIONS: dict[str, str | None] = {"96799": None}

STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana",
    "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
    "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
    "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "PR": "Puerto Rico", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah",
    "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming",
}

AREA_CODES: dict[str, tuple[str, ...]] = {
    "AL": ("205", "251", "256", "334"), "AK": ("907",), "AZ": ("480", "520", "602", "928"),
    "AR": ("479", "501", "870"), "CA": ("213", "415", "510", "559", "619", "707", "916"),
    "CO": ("303", "719", "970"), "CT": ("203", "860"), "DE": ("302",), "DC": ("202",),
    "FL": ("305", "407", "727", "813", "850", "904"), "GA": ("404", "706", "912"), "HI": ("808",),
    "ID": ("208",), "IL": ("217", "312", "618", "773", "815"), "IN": ("219", "317", "574", "812"),
    "IA": ("319", "515", "712"), "KS": ("316", "785", "913"), "KY": ("502", "606", "859"),
    "LA": ("225", "318", "504"), "ME": ("207",), "MD": ("301", "410", "443"),
    "MA": ("413", "508", "617", "978"), "MI": ("313", "517", "616", "906"), "MN": ("218", "612", "651"),
    "MS": ("228", "601", "662"), "MO": ("314", "417", "573", "816"), "MT": ("406",),
    "NE": ("308", "402"), "NV": ("702", "775"), "NH": ("603",), "NJ": ("201", "609", "732", "973"),
    "NM": ("505", "575"), "NY": ("212", "315", "518", "585", "716", "718"),
    "NC": ("704", "828", "910", "919"), "ND": ("701",), "OH": ("216", "330", "419", "513", "614"),
    "OK": ("405", "918"), "OR": ("503", "541"), "PA": ("215", "412", "570", "717", "814"),
    "PR": ("787", "939"), "RI": ("401",), "SC": ("803", "843", "864"), "SD": ("605",),
    "TN": ("423", "615", "901"), "TX": ("210", "214", "512", "713", "806", "915"), "UT": ("435", "801"),
    "VT": ("802",), "VA": ("276", "540", "703", "757", "804"), "WA": ("206", "360", "509"),
    "WV": ("304",), "WI": ("414", "608", "715", "920"), "WY": ("307",),
}

CITY_NAMES: tuple[str, ...] = (
    "Springfield", "Franklin", "Greenville", "Clinton", "Madison", "Georgetown", "Salem", "Fairview",
    "Riverside", "Centerville", "Arlington", "Ashland", "Bristol", "Burlington", "Camden", "Chester",
    "Clayton", "Dayton", "Dover", "Fayetteville", "Florence", "Greenwood", "Hamilton", "Hanover",
    "Hudson", "Jackson", "Jamestown", "Kingston", "Lakewood", "Lebanon", "Lexington", "Marion",
    "Milford", "Monroe", "Mount Vernon", "Newport", "Oakland", "Oxford", "Plymouth", "Princeton",
    "Richmond", "Shelbyville", "Troy", "Union City", "Warren", "Washington", "Waverly", "Winchester",
    "Auburn", "Beaumont", "Bedford", "Belmont", "Berlin", "Bloomington", "Brookfield", "Cambridge",
    "Canton", "Carrollton", "Cleveland Heights", "Columbia", "Concord", "Cottonwood", "Danville",
    "Easton", "Edgewood", "Elmwood", "Fairfield", "Farmington", "Glendale", "Grafton", "Hartford",
    "Highland", "Hillsboro", "Holly Springs", "Homestead", "Independence", "Jefferson", "Kent",
    "Lafayette", "Lancaster", "Laurel", "Liberty", "Lincoln", "Livingston", "Manchester", "Maplewood",
    "Marshall", "Middletown", "Milton", "Morgantown", "Newark", "Newton", "Norwood", "Oak Grove",
    "Orange", "Palmyra", "Paris", "Pine Bluff", "Pleasant Hill", "Portland", "Quincy", "Raleigh Hills",
    "Red Oak", "Rochester", "Rockport", "Roseville", "Sharon", "Somerset", "Stratford", "Sullivan",
    "Summit", "Sunnyvale", "Taylor", "Trenton", "Vernon", "Vienna", "Walnut Creek", "Wayne",
    "Westfield", "Weston", "Wilmington", "Windsor", "Woodland", "Woodstock", "York", "Albany",
    "Athens", "Aurora", "Bay City", "Brighton", "Cedar Falls", "Clarksville", "Crystal Lake",
    "Eagle Point", "Elk Grove", "Forest Park", "Fort Morgan", "Glen Burnie", "Harrison", "Lake City",
    "Long Branch", "Mill Creek", "North Hills", "Rock Springs", "Silver Lake", "Spring Valley",
)

NEIGHBORHOODS: tuple[str, ...] = (
    "Eastside", "Westside", "Northside", "Southside", "Riverside", "Harbor", "Midtown", "Uptown",
    "Lakeview", "Hillcrest", "Parkside", "Old Town", "Greenfield", "Brookside", "Fairmount",
)

STREETS: tuple[str, ...] = (
    "Main Street", "Oak Avenue", "Maple Street", "Washington Boulevard", "Martin Luther King Jr. Boulevard",
    "Park Avenue", "Church Street", "Elm Street", "Broadway", "Market Street", "Lincoln Avenue",
    "Jefferson Street", "Franklin Avenue", "Highland Avenue", "Center Street", "River Road",
    "Pine Street", "Cedar Street", "Walnut Street", "Chestnut Street", "Spring Street", "Union Street",
    "Water Street", "Mill Street", "High Street", "Court Street", "State Street", "Liberty Street",
    "Madison Avenue", "Monroe Street", "Lake Street", "Hill Street", "Grove Street", "Pleasant Street",
    "Prospect Avenue", "Central Avenue", "1st Street", "2nd Avenue", "3rd Street", "5th Avenue",
    "Jackson Street", "Adams Street", "Cherry Street", "Locust Street", "Hickory Lane", "Orchard Road",
    "Meadow Lane", "College Avenue", "Greenwood Avenue", "Sunset Boulevard", "Ridge Road",
    "Commerce Drive", "Industrial Parkway", "Fairview Avenue", "Riverside Drive", "Kings Highway",
    "Academy Street", "Bridge Street", "Front Street", "Delaware Avenue",
)

ADJECTIVES: tuple[str, ...] = (
    "Hope", "New Beginnings", "Bright Horizons", "Open Door", "Common Ground", "Second Chance",
    "Pathways", "Cornerstone", "Beacon", "Bridges", "Lighthouse", "Harmony", "Unity", "Good Shepherd",
    "Mercy", "Sunrise", "Open Arms", "Safe Harbor", "Stepping Stones", "Helping Hands", "Compass",
    "Gateway", "Harvest", "Keystone", "Renewal", "Crossroads", "Horizon", "Milestone", "Lifeline",
)

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "es": "Spanish", "zh": "Chinese", "vi": "Vietnamese", "ko": "Korean",
    "fr": "French", "ru": "Russian", "ar": "Arabic",
}
_SPANISH_STATES = frozenset({"TX", "CA", "FL", "NM", "AZ", "NV", "NY", "NJ", "IL", "CO"})
# Other languages are likelier where their speakers live (ACS language-spoken-at-home patterns).
_OTHER_LANGUAGES: tuple[tuple[str, frozenset[str], float, float], ...] = (
    ("zh", frozenset({"CA", "NY", "MA", "WA", "NJ"}), 0.08, 0.02),
    ("vi", frozenset({"CA", "TX", "WA", "LA", "VA"}), 0.06, 0.015),
    ("ko", frozenset({"CA", "NY", "NJ", "VA", "GA"}), 0.05, 0.01),
    ("fr", frozenset({"LA", "ME", "NY", "FL"}), 0.05, 0.015),
    ("ru", frozenset({"NY", "NJ", "WA", "CA", "PA"}), 0.04, 0.01),
    ("ar", frozenset({"MI", "NY", "NJ", "CA", "IL", "TX"}), 0.04, 0.01),
)

DAY_NAMES: dict[str, str] = {
    "MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
    "SA": "Saturday", "SU": "Sunday",
}
_WEEK: tuple[str, ...] = tuple(DAY_NAMES)
_WEEKDAYS = "MO,TU,WE,TH,FR"
_ALWAYS: tuple[tuple[str, str, str], ...] = ((",".join(_WEEK), "00:00:00", "23:59:59"),)
# Opening-hour patterns with their weights: each is one schedule row per (days, opens, closes).
_HOURS: tuple[tuple[float, tuple[tuple[str, str, str], ...]], ...] = (
    (0.38, ((_WEEKDAYS, "09:00:00", "17:00:00"),)),
    (0.15, ((_WEEKDAYS, "08:30:00", "16:30:00"),)),
    (0.14, ((_WEEKDAYS, "09:00:00", "17:00:00"), ("SA", "10:00:00", "14:00:00"))),
    (0.10, (("MO,TU,WE,TH", "08:00:00", "18:00:00"), ("FR", "08:00:00", "12:00:00"))),
    (0.10, (("TU,TH", "10:00:00", "14:00:00"),)),
    (0.07, (("MO,WE", "09:00:00", "20:00:00"), ("TU,TH,FR", "09:00:00", "17:00:00"))),
    (0.06, (("MO,WE,FR", "11:00:00", "13:30:00"), ("SA", "09:00:00", "12:00:00"))),
)


@dataclass(frozen=True)
class Topic:
    """A kind of service: the Open Eligibility terms it carries and the words that describe it."""

    key: str
    family: str
    terms: tuple[str, ...]  # Open Eligibility codes; the first is always linked
    situations: tuple[str, ...]  # eligibility ("situation") codes, one of which may be linked
    names: tuple[str, ...]
    sentences: tuple[str, ...]  # the first one always leads the description
    eligibility: tuple[str, ...]
    application: tuple[str, ...]
    fees: tuple[str, ...] = ("Free.",)
    always_open: bool = False
    minimum_age: int | None = None
    maximum_age: int | None = None


TOPICS: tuple[Topic, ...] = (
    Topic(
        "food_pantry", "food", ("102-04", "102-02", "101-03"), ("124-02", "122-01"),
        ("Food Pantry", "Emergency Food Pantry", "Community Food Pantry", "Weekly Grocery Distribution",
         "Mobile Food Pantry", "Client-Choice Food Pantry"),
        ("The food pantry gives free groceries to households that need food, including canned goods, "
         "fresh produce, bread and dairy when available.",
         "The pantry is client-choice: shoppers pick the items their family will use.",
         "Households may visit the food pantry once a month and receive about three days of food for "
         "each member.",
         "Emergency food boxes are available the same day for families in crisis.",
         "Volunteers help visitors carry groceries to the car or bus stop.",
         "Diapers, toiletries and pet food are given out when donations allow."),
        ("Residents of {city} and surrounding ZIP codes with household income at or below 200% of the "
         "federal poverty level.",
         "Open to anyone who needs food; no income documentation is required.",
         "Households in the service area; one visit per month."),
        ("Walk in during distribution hours and bring a photo ID and proof of address.",
         "Call ahead to register; first-time visitors complete a short intake form.",
         "No appointment needed. Please bring your own bags if you can."),
    ),
    Topic(
        "free_meals", "food", ("102-05", "102-02"), ("123-02", "124-02"),
        ("Community Meal", "Hot Meals Program", "Soup Kitchen", "Free Lunch Program", "Evening Meal Program"),
        ("Serves free hot meals to anyone who is hungry, no questions asked.",
         "The soup kitchen serves breakfast and lunch in the fellowship hall.",
         "Meals are prepared by volunteers and always include a vegetarian option.",
         "Take-away bag lunches are available for people who cannot stay to eat.",
         "Guests can also pick up hygiene kits and information about shelter and benefits."),
        ("Open to everyone; no identification is required.",
         "Anyone who is hungry, including people experiencing homelessness."),
        ("No registration; come during meal times.", "Walk in; meals are served first come, first served."),
    ),
    Topic(
        "home_meals", "food", ("102-03", "102-07"), ("112-07", "116-07"),
        ("Home-Delivered Meals", "Meals on Wheels Program", "Senior Meal Delivery",
         "Medically Tailored Meals"),
        ("Delivers hot, nutritious meals to the homes of older adults and people with disabilities who "
         "cannot shop or cook.",
         "Drivers deliver meals on weekdays and check on each client's wellbeing during the visit.",
         "Frozen meals for weekends are available on request.",
         "Special diets, including diabetic and low-sodium meals, can be arranged with a doctor's note."),
        ("Adults aged 60 and over, or adults with a disability, who are homebound in {city} and nearby "
         "communities.",),
        ("Call to request an in-home assessment; meal delivery usually starts within two weeks.",),
        ("Free; a suggested donation of $3 per meal is welcome but not required.",
         "Sliding-scale contribution based on income."),
        minimum_age=60,
    ),
    Topic(
        "snap_help", "food", ("102-06-01", "107-02-02"), ("124-02", "124-01"),
        ("SNAP Application Assistance", "Food Stamp Enrollment Help", "SNAP and WIC Outreach",
         "Food Benefits Enrollment"),
        ("Helps individuals and families apply for SNAP (food stamps) and WIC food benefits.",
         "Staff screen households for eligibility, help complete the application and upload documents.",
         "Outreach workers also help with SNAP recertification and appeals of denied applications.",
         "Information is available about farmers' market programs that double SNAP dollars."),
        ("Low-income individuals and families who may qualify for SNAP or WIC.",),
        ("Call for an appointment or walk in; bring ID, proof of income and proof of address.",),
    ),
    Topic(
        "shelter", "housing", ("103-01", "101-04"), ("123-02", "119-01", "122-01"),
        ("Emergency Shelter", "Overnight Shelter", "Family Shelter", "Women's Shelter", "Men's Shelter",
         "Winter Shelter"),
        ("Provides emergency shelter beds, showers and meals for people experiencing homelessness.",
         "Case managers help shelter guests find permanent housing, income and health care.",
         "Beds are assigned nightly; check-in begins in the early evening.",
         "Lockers, laundry and mail service are available to guests.",
         "Families with children are placed in private rooms when space allows."),
        ("Adults experiencing homelessness; families with children are referred to the family shelter.",
         "People who are homeless or at immediate risk of homelessness in {city}."),
        ("Call the coordinated entry hotline for a shelter bed referral, or come to the front desk before "
         "7 pm.",
         "Walk in; intake is done on arrival."),
        always_open=True,
    ),
    Topic(
        "rental_assistance", "housing", ("103-03", "101-02-03", "107-01-04"), ("123-03", "123-01", "124-02"),
        ("Emergency Rental Assistance", "Eviction Prevention Program", "Rent and Security Deposit Help",
         "Homelessness Prevention Program"),
        ("Provides one-time financial help with past-due rent to prevent eviction.",
         "Rental assistance funds may also cover a security deposit and first month's rent for households "
         "moving into stable housing.",
         "Payments are made directly to the landlord.",
         "Housing counselors help tenants make a budget and negotiate a payment plan with their landlord.",
         "Households facing a court date for eviction are seen first."),
        ("Renters in {city} with a past-due rent notice and household income at or below 50% of area "
         "median income.",
         "Tenants at risk of eviction who can show a recent loss of income."),
        ("Call to complete a phone screening; bring your lease, the past-due notice, ID and proof of "
         "income to the appointment.",
         "Apply online or in person; applications are reviewed within ten business days."),
    ),
    Topic(
        "utility_assistance", "housing", ("103-03-01", "107-01-04-01", "101-02-06"), ("124-02", "112-07"),
        ("Energy Assistance Program", "Utility Bill Assistance", "Heating Assistance (LIHEAP)",
         "Water Bill Help", "Utility Shut-off Prevention"),
        ("Helps low-income households pay heating, electric and water utility bills.",
         "Emergency grants can stop a utility shut-off or restore service that was disconnected.",
         "Staff help households apply for the federal Low Income Home Energy Assistance Program (LIHEAP).",
         "Weatherization referrals are made to lower future energy bills."),
        ("Households with income at or below 60% of the state median income that are responsible for a "
         "utility bill.",),
        ("Bring a recent utility bill, the shut-off notice if any, ID and proof of income for everyone in "
         "the household.",),
    ),
    Topic(
        "housing_search", "housing", ("103-02", "108-06-03"), ("123-02", "123-03", "116-01"),
        ("Housing Search Assistance", "Housing Navigation", "Rapid Re-Housing", "Affordable Housing Locator"),
        ("Housing navigators help people find and apply for affordable apartments.",
         "The program keeps a list of landlords who accept housing vouchers.",
         "Staff help with rental applications, application fees and moving costs.",
         "Rapid re-housing offers short-term rent help and case management to people leaving "
         "homelessness."),
        ("People experiencing homelessness or living in unsafe housing.",
         "Households with a housing voucher who are looking for an apartment."),
        ("Referral through coordinated entry, or call for an intake appointment.",),
    ),
    Topic(
        "home_repair", "housing", ("103-04", "107-01-04-03"), ("112-07", "116-04", "124-02"),
        ("Home Repair Program", "Emergency Home Repairs", "Accessibility Modifications",
         "Weatherization Program"),
        ("Makes free critical home repairs for low-income homeowners, such as roofs, furnaces and "
         "plumbing.",
         "Installs grab bars, ramps and stair rails so older adults and people with disabilities can stay "
         "safely at home.",
         "Weatherization crews seal drafts and insulate homes to cut energy bills.",
         "Repairs are done by licensed contractors and volunteer crews."),
        ("Low-income homeowners in {city}, with priority for seniors, veterans and people with "
         "disabilities.",),
        ("Call to request an application; a staff member will visit the home to assess the repairs.",),
    ),
    Topic(
        "homeowner_counseling", "housing", ("103-05-01", "103-05-02", "107-03-02"), ("124-02",),
        ("Foreclosure Prevention Counseling", "Homebuyer Education", "Housing Counseling",
         "First-Time Homebuyer Workshop"),
        ("HUD-approved housing counselors help homeowners who are behind on their mortgage avoid "
         "foreclosure.",
         "Counselors review budgets, contact the lender and help apply for loan modifications.",
         "Homebuyer education classes cover credit, budgeting, mortgages and the home-buying process.",
         "Graduates of the homebuyer workshop may qualify for down payment assistance."),
        ("Homeowners facing foreclosure and first-time homebuyers.",),
        ("Call to schedule a counseling session; workshops require registration.",),
        ("Free counseling; the homebuyer workshop costs $25.", "Free."),
    ),
    Topic(
        "transitional_housing", "housing", ("103-09", "103-06-01"), ("123-02", "119-01", "129-09", "113-03"),
        ("Transitional Housing Program", "Supportive Housing", "Permanent Supportive Housing",
         "Veterans Transitional Housing"),
        ("Offers transitional housing for up to 24 months with case management and life skills classes.",
         "Residents work with a case manager on employment, savings and a plan for permanent housing.",
         "Permanent supportive housing combines an affordable apartment with on-site support services.",
         "Units are furnished, and utilities are included."),
        ("Adults experiencing homelessness who are ready to work on a housing plan.",
         "Homeless veterans and their families."),
        ("Referral from a shelter or coordinated entry is required.",),
        ("Residents pay 30% of their income toward rent.", "Free."),
    ),
    Topic(
        "eviction_defense", "legal", ("103-08", "111-01-09", "111-04"), ("123-01", "124-02"),
        ("Tenant Legal Services", "Eviction Defense Project", "Housing Law Clinic", "Tenant Rights Hotline"),
        ("Free legal help for tenants facing eviction, including representation in landlord-tenant court.",
         "Attorneys advise tenants on repairs, security deposits, illegal lockouts and lease problems.",
         "The tenant rights hotline answers questions about eviction notices and court dates.",
         "Lawyers are available at the courthouse on eviction docket days."),
        ("Tenants in {city} with household income at or below 200% of the federal poverty level.",),
        ("Call the legal intake line as soon as you receive an eviction notice or court papers.",),
    ),
    Topic(
        "legal_aid", "legal", ("111-01", "111-04", "111-02"), ("124-02", "112-07"),
        ("Civil Legal Aid", "Free Legal Advice Clinic", "Legal Services for Seniors",
         "Family Law Assistance"),
        ("Provides free civil legal aid in family law, consumer debt, public benefits and housing cases.",
         "Volunteer lawyers give brief legal advice at walk-in clinics.",
         "Staff attorneys represent clients in custody, divorce and protective order cases.",
         "Mediation services help resolve disputes without going to court."),
        ("Low-income residents with a civil legal problem; no criminal cases.",),
        ("Call the legal aid intake line or apply online; an attorney will call back within a week.",),
    ),
    Topic(
        "immigration_legal", "legal", ("111-01-02", "109-05-01"), ("114-01", "114-02"),
        ("Immigration Legal Services", "Citizenship Application Assistance", "DACA Renewal Clinic",
         "Refugee and Asylum Legal Help"),
        ("Accredited representatives and attorneys help immigrants with citizenship, green card and DACA "
         "applications.",
         "Free naturalization workshops help eligible permanent residents apply for U.S. citizenship.",
         "The immigration legal team represents asylum seekers and refugees in immigration court.",
         "Know-your-rights presentations are offered in English and Spanish."),
        ("Immigrants and refugees living in the area, regardless of status.",),
        ("Call for a consultation; bring any immigration documents you have.",),
        ("Free consultations; low-cost application help on a sliding scale.", "Free."),
    ),
    Topic(
        "expungement", "legal", ("111-01", "110-01"), ("115-01",),
        ("Record Expungement Clinic", "Reentry Legal Services", "Criminal Record Clearing"),
        ("Free legal help for people with criminal records to file for expungement and record sealing.",
         "Attorneys review court records and explain which charges can be cleared.",
         "Clearing a record can remove legal barriers to jobs, housing and school."),
        ("Adults with an arrest or conviction record in the state.",),
        ("Attend a walk-in legal clinic or call for an appointment; bring a photo ID.",),
    ),
    Topic(
        "benefits_advocacy", "legal", ("111-01-06", "107-02-04", "108-06-01"), ("116-01", "124-01"),
        ("Public Benefits Advocacy", "Disability Benefits Assistance", "Benefits Navigation",
         "SSI and SSDI Application Help"),
        ("Helps people apply for public benefits and appeal denials of SSI, SSDI, Medicaid and SNAP.",
         "Benefits navigators screen households for every program they may qualify for.",
         "Advocates help fill out forms and gather medical records for disability benefit claims."),
        ("People with disabilities and low-income households who need help with public benefits.",),
        ("Call for an appointment; bring any letters you have received from the benefits agency.",),
    ),
    Topic(
        "counseling", "behavioral", ("106-07", "108-09-01", "106-07-01-01-03"),
        ("116-10", "125-02", "125-01"),
        ("Outpatient Counseling", "Mental Health Counseling", "Individual and Family Therapy",
         "Child and Adolescent Counseling", "Counseling Services"),
        ("Licensed therapists provide individual, couples and family counseling for depression, anxiety, "
         "trauma and stress.",
         "Psychiatric evaluation and medication management are available on site.",
         "Mental health counseling is offered in person and by video.",
         "Therapists use evidence-based approaches such as cognitive behavioral therapy (CBT).",
         "Same-week counseling appointments are usually available for new clients."),
        ("Children, teens and adults; Medicaid, Medicare and most private insurance accepted.",
         "Adults 18 and over living in the area."),
        ("Call the intake line to schedule a first appointment.",
         "Ask your doctor for a referral or call to refer yourself."),
        ("Sliding-scale fees based on income; Medicaid accepted.",
         "Most insurance accepted; no one is turned away for inability to pay."),
    ),
    Topic(
        "crisis", "behavioral", ("106-13", "108-09-02", "101-07"), ("116-10", "112-01"),
        ("Crisis Hotline", "Mobile Crisis Team", "24-Hour Crisis Line", "Behavioral Health Crisis Center"),
        ("Trained crisis counselors answer calls, texts and chats 24 hours a day for anyone in emotional "
         "distress or thinking about suicide.",
         "The mobile crisis team can come to a home, school or street location to help de-escalate a "
         "mental health crisis.",
         "Crisis callers can be connected to follow-up counseling and psychiatric care.",
         "The crisis center offers walk-in assessment as an alternative to the emergency room."),
        ("Anyone in crisis; no insurance needed.",),
        ("Call or text the crisis line at any time.",),
        always_open=True,
    ),
    Topic(
        "support_groups", "behavioral", ("108-09-09", "108-09-07", "108-09-09-02"),
        ("129-02", "121-12", "128-01"),
        ("Support Groups", "Grief Support Group", "Peer Support Program", "Family Support Group",
         "Caregiver Support Group"),
        ("Free weekly support groups are led by trained facilitators and peers with lived experience.",
         "Support groups are offered for grief and loss, depression, anxiety and families of people with "
         "mental illness.",
         "Peer specialists offer one-on-one support and help with wellness planning.",
         "Group meetings are held in person and online."),
        ("Adults and families affected by mental illness or loss.",),
        ("No referral needed; call to get the support group schedule.",),
    ),
    Topic(
        "mat", "recovery", ("106-01-02-01-01", "106-01-02-01-01-02", "106-01-02-01-01-01"),
        ("121-10", "125-02"),
        ("Opioid Treatment Program", "Medication-Assisted Treatment", "Buprenorphine Clinic",
         "Methadone Maintenance"),
        ("Medication-assisted treatment (MAT) for opioid use disorder with buprenorphine, methadone or "
         "naltrexone.",
         "Patients see a prescriber and a counselor, and receive take-home naloxone.",
         "New patients can often start buprenorphine for opioid addiction the same day.",
         "Medication treatment is combined with counseling and recovery support."),
        ("Adults 18 and over with opioid use disorder; Medicaid and uninsured patients welcome.",),
        ("Walk in weekday mornings for an assessment, or call to schedule.",),
        ("Medicaid and most insurance accepted; sliding scale for uninsured patients.",),
        minimum_age=18,
    ),
    Topic(
        "outpatient_sud", "recovery", ("106-01-01-01", "106-01-01-01-02", "106-01-02-03"),
        ("121-11", "121-10", "132-06"),
        ("Outpatient Substance Use Treatment", "Intensive Outpatient Program", "Addiction Counseling",
         "Alcohol and Drug Treatment"),
        ("Outpatient treatment for alcohol and drug use disorders with individual and group counseling.",
         "The intensive outpatient program (IOP) meets three evenings a week so clients can keep working.",
         "Addiction counselors use motivational interviewing and relapse prevention.",
         "Treatment for co-occurring mental health conditions is available."),
        ("Adults and adolescents with a substance use disorder.",),
        ("Call for a substance use assessment; walk-ins are seen weekday mornings.",),
        ("Medicaid and most insurance accepted; sliding scale for uninsured patients.",),
    ),
    Topic(
        "residential_sud", "recovery", ("106-01-01-02", "106-01-01-02-03", "106-01-02-02"),
        ("121-10", "121-11", "119-02", "119-01"),
        ("Residential Treatment Program", "Detox and Withdrawal Management",
         "Women's Residential Recovery Program", "28-Day Residential Treatment"),
        ("Residential addiction treatment with 24-hour staff, counseling and medical care.",
         "Medically monitored withdrawal management (detox) is available for alcohol and opioids.",
         "Residents attend group therapy, life skills classes and family sessions.",
         "Discharge planning links residents to outpatient care and recovery housing."),
        ("Adults 18 and over who need a residential level of substance use treatment.",),
        ("Call the admissions line for a phone screening; a bed may be available within days.",),
        ("Medicaid and most insurance accepted.",),
        always_open=True,
        minimum_age=18,
    ),
    Topic(
        "recovery_housing", "recovery", ("106-01-01-02-01", "103-09-02"), ("121-10", "121-11", "115-01"),
        ("Recovery Housing", "Sober Living Home", "Recovery Residence"),
        ("Safe, drug-free recovery housing for people in early recovery.",
         "Residents share household chores, attend recovery meetings and work or go to school.",
         "House managers and peer mentors support residents of the sober living home day to day."),
        ("Adults in recovery from substance use who are committed to a sober living environment.",),
        ("Call to schedule an interview; most residents are referred by treatment programs.",),
        ("Weekly rent of $150; the first two weeks may be covered by a grant.",),
        always_open=True,
    ),
    Topic(
        "peer_recovery", "recovery", ("108-09-07", "108-09-09-01"), ("121-10", "121-11"),
        ("Peer Recovery Support", "Recovery Community Center", "Recovery Coaching"),
        ("Certified peer recovery specialists with lived experience support people in or seeking "
         "recovery.",
         "The recovery community center hosts 12-step and all-recovery meetings every day.",
         "Recovery coaches help people connect to treatment, housing and jobs.",
         "Naloxone training and free naloxone kits are available."),
        ("Anyone affected by substance use, including family members.",),
        ("Walk in during open hours; no appointment needed.",),
    ),
    Topic(
        "job_training", "employment", ("110-03", "110-03-07", "109-06-07"), ("118-03", "112-03"),
        ("Job Training Program", "Career Training", "Healthcare Careers Training",
         "Construction Pre-Apprenticeship", "Workforce Development Program"),
        ("Free job training programs lead to industry certifications in healthcare, construction, IT and "
         "logistics.",
         "Job training includes paid internships with local employers.",
         "Graduates get help with job placement and support during their first months at work.",
         "Training classes are offered during the day and in the evening."),
        ("Unemployed and underemployed adults 18 and over.",),
        ("Attend an information session and complete a skills assessment.",),
        ("Free; help with transportation and childcare costs during training.", "Free."),
        minimum_age=18,
    ),
    Topic(
        "job_placement", "employment", ("110-01", "110-01-01", "108-06-05"), ("118-03", "113-03"),
        ("Job Placement Services", "Employment Services", "Career Center", "Veterans Employment Program"),
        ("Career counselors help job seekers find work, with job leads from local employers.",
         "Employment services include resume writing, interview practice and hiring events.",
         "Computers, printers and phones are available for job searches.",
         "Veterans receive priority of service."),
        ("Job seekers 18 and over.",),
        ("Walk in to register at the career center.",),
    ),
    Topic(
        "resume_help", "employment", ("110-03-05", "110-03-04", "109-06-05"), ("118-03",),
        ("Resume and Interview Workshop", "Job Readiness Training", "Employment Readiness Program"),
        ("Job readiness workshops cover resume writing, interview skills and workplace expectations.",
         "Participants leave with a finished resume and practice mock job interviews.",
         "Professional clothing for job interviews is available."),
        ("Adults looking for work.",),
        ("Register by phone or online; workshops start every month.",),
    ),
    Topic(
        "adult_education", "employment", ("109-03-06", "109-06-01", "109-03-03"), ("117-01", "114-01"),
        ("GED Preparation Classes", "Adult Basic Education", "English as a Second Language (ESL) Classes",
         "Adult Literacy Program"),
        ("Free GED and high school equivalency preparation classes.",
         "English as a Second Language (ESL) classes at beginner, intermediate and advanced levels.",
         "Adult literacy tutors work one-on-one with learners.",
         "Digital literacy and computer classes help adults get online."),
        ("Adults 18 and over who want to improve reading, math or English skills.",),
        ("Come to a placement test session; classes start several times a year.",),
        minimum_age=18,
    ),
    Topic(
        "reentry_employment", "employment", ("110-01", "110-04"), ("115-01",),
        ("Reentry Employment Program", "Second Chance Jobs Program", "Transitional Jobs"),
        ("Helps people returning from incarceration find and keep a job.",
         "Transitional jobs provide paid work experience and a reference.",
         "Case managers help get an ID, birth certificate and other documents needed for work."),
        ("Adults recently released from jail or prison.",),
        ("Call or walk in for an intake appointment; referrals from parole officers are welcome.",),
    ),
    Topic(
        "primary_care", "health", ("106-10", "106-05-02", "106-06"), ("125-01", "125-02", "124-02"),
        ("Primary Care Clinic", "Community Health Center", "Free Clinic", "Family Medicine"),
        ("Primary medical care for children and adults, including checkups, sick visits, vaccines and "
         "chronic disease care.",
         "Uninsured patients pay on a sliding fee scale based on income.",
         "The health center has an on-site pharmacy, lab and behavioral health services.",
         "Patients can get help enrolling in Medicaid and marketplace health insurance."),
        ("Everyone is welcome, regardless of insurance status or ability to pay.",),
        ("Call to schedule an appointment; same-day sick visits are available.",),
        ("Sliding fee scale for uninsured patients; Medicaid, Medicare and private insurance accepted.",),
    ),
    Topic(
        "dental", "health", ("106-02",), ("125-01", "125-02", "112-06"),
        ("Dental Clinic", "Community Dental Care", "Children's Dental Program"),
        ("Low-cost dental care including exams, cleanings, fillings and extractions.",
         "Emergency dental appointments are available for people in pain.",
         "Dentists see children and adults; Medicaid dental coverage accepted."),
        ("Children and adults; priority for uninsured and Medicaid patients.",),
        ("Call to schedule a dental appointment.",),
        ("Sliding fee scale; Medicaid accepted.",),
    ),
    Topic(
        "insurance_enrollment", "health", ("106-05-03", "107-04-01"), ("125-01", "124-02"),
        ("Health Insurance Enrollment", "Medicaid Enrollment Assistance", "Health Insurance Navigators"),
        ("Certified navigators help people enroll in Medicaid, CHIP and marketplace health insurance plans.",
         "Health insurance enrollment help is available year-round, with extra appointments during open "
         "enrollment.",
         "Navigators explain costs, coverage and financial help to lower premiums."),
        ("Uninsured residents and anyone who needs help choosing health coverage.",),
        ("Call for an appointment; bring ID, proof of income and immigration documents if you have them.",),
    ),
    Topic(
        "prescriptions", "health", ("106-05-05", "107-01-03-05"), ("125-01", "112-07"),
        ("Prescription Assistance", "Medication Assistance Program"),
        ("Helps uninsured and underinsured people get their prescription medications free or at low cost.",
         "Staff apply to drug manufacturer patient assistance programs on the patient's behalf."),
        ("Uninsured or underinsured patients with a valid prescription.",),
        ("Bring your prescriptions and proof of income to an appointment.",),
    ),
    Topic(
        "maternity", "health", ("106-06-07", "106-08", "108-09-03"), ("121-01", "119-01"),
        ("Prenatal Care", "Maternal and Child Health Home Visiting", "Healthy Start Program",
         "Doula Services"),
        ("Prenatal and postpartum care for pregnant women, including those without insurance.",
         "Nurses and community health workers visit families at home during pregnancy and the baby's "
         "first years.",
         "Breastfeeding support and childbirth classes are available."),
        ("Pregnant women and families with infants.",),
        ("Call to enroll; you can start at any point during pregnancy.",),
    ),
    Topic(
        "medical_rides", "transportation", ("105-02-01", "106-05-06"), ("112-07", "116-07", "125-02"),
        ("Medical Transportation", "Rides to Medical Appointments", "Non-Emergency Medical Transportation"),
        ("Free rides to medical, dental and behavioral health appointments.",
         "Wheelchair-accessible vans are available for medical transportation.",
         "Rides must be scheduled at least two business days in advance."),
        ("Older adults, people with disabilities and Medicaid members without transportation.",),
        ("Call the ride line at least two business days before your appointment.",),
    ),
    Topic(
        "transit_help", "transportation", ("105-01-01", "105-01"), ("124-02", "118-03"),
        ("Bus Pass Assistance", "Transit Fare Help", "Transportation Assistance"),
        ("Provides free or reduced-fare bus passes for job seekers, patients and people in crisis.",
         "Gas cards are available for trips to work and medical appointments."),
        ("Low-income residents who need transportation to work, school or medical care.",),
        ("Ask your case manager for a referral, or call to request a bus pass.",),
    ),
    Topic(
        "tax_prep", "money", ("107-05",), ("124-02",),
        ("Free Tax Preparation", "VITA Free Tax Site", "Earned Income Tax Credit Assistance"),
        ("IRS-certified volunteers prepare and e-file tax returns for free.",
         "Tax volunteers make sure filers claim the Earned Income Tax Credit and the Child Tax Credit."),
        ("Households earning under $67,000 a year.",),
        ("Make an appointment; bring photo ID, Social Security cards and all tax forms.",),
    ),
    Topic(
        "financial_coaching", "money", ("107-03", "109-03-04-01", "107-03-04"), ("124-02",),
        ("Financial Coaching", "Credit Counseling", "Money Management Classes", "Matched Savings Program"),
        ("One-on-one financial coaching to build a budget, reduce debt and improve credit.",
         "Credit counselors review credit reports and help set up debt management plans.",
         "The matched savings program doubles savings toward a home, education or small business."),
        ("Adults who want to improve their finances; some programs have income limits.",),
        ("Call to book a financial coaching session.",),
    ),
    Topic(
        "emergency_cash", "money", ("101-02", "107-01"), ("124-02", "123-03"),
        ("Emergency Financial Assistance", "Crisis Assistance Fund", "Emergency Assistance"),
        ("One-time emergency financial help with rent, utilities, car repairs or other urgent bills.",
         "Emergency assistance is paid directly to the landlord, utility or vendor.",
         "Case managers also help with longer-term budgeting and benefits."),
        ("Residents of {city} facing a financial emergency, once every twelve months.",),
        ("Call on weekday mornings to request an appointment; funds are limited.",),
    ),
    Topic(
        "dv_shelter", "safety", ("101-06-01", "103-07", "108-07-05-01"), ("129-09", "119-01", "122-01"),
        ("Domestic Violence Shelter", "Safe Housing for Survivors", "Domestic Violence Hotline",
         "Family Violence Program"),
        ("Confidential emergency shelter for survivors of domestic violence and their children.",
         "The 24-hour domestic violence hotline offers safety planning, crisis counseling and shelter "
         "referrals.",
         "Advocates help survivors obtain protective orders and go with them to court.",
         "Counseling and support groups help survivors of abuse and their children heal."),
        ("Survivors of domestic or dating violence and their children.",),
        ("Call the hotline at any time; the shelter location is confidential.",),
        always_open=True,
    ),
    Topic(
        "sexual_assault", "safety", ("101-06", "108-09-01"), ("129-12", "129-02"),
        ("Sexual Assault Services", "Rape Crisis Center", "Survivor Advocacy"),
        ("Free, confidential support for survivors of sexual assault, including hospital accompaniment.",
         "Therapists provide trauma-focused counseling for survivors of sexual violence of all ages."),
        ("Survivors of sexual assault and their families.",),
        ("Call the hotline at any time.",),
        always_open=True,
    ),
    Topic(
        "clothing", "goods", ("104-02", "104-02-03"), ("124-02", "123-02"),
        ("Clothing Closet", "Free Clothing Bank", "Career Clothing Program"),
        ("Free clothing, shoes and winter coats for children and adults.",
         "Professional clothing for job interviews is available by appointment."),
        ("Anyone in need of clothing.",),
        ("Walk in during open hours; limit of one visit per month.",),
    ),
    Topic(
        "baby_supplies", "goods", ("104-01-02", "104-01"), ("122-01", "112-05"),
        ("Diaper Bank", "Baby Pantry", "Baby Supplies Program"),
        ("Provides free diapers, wipes and infant formula to families with babies and toddlers.",
         "Car seats and cribs are available to parents who complete a safe-sleep class."),
        ("Families with children under three.",),
        ("Call to register, then pick up diapers once a month.",),
    ),
    Topic(
        "furniture", "goods", ("104-03-03", "104-03"), ("123-02",),
        ("Furniture Bank", "Household Goods Program"),
        ("Free furniture and household items for families moving out of homelessness or fleeing violence.",
         "Clients choose beds, tables, dishes and linens at the furniture bank showroom."),
        ("Households moving into housing, referred by a case manager.",),
        ("A referral from a partner agency is required.",),
        ("Free; a delivery fee of $50 may apply.",),
    ),
    Topic(
        "childcare", "childcare", ("108-04-04", "108-04-04-02", "108-04-04-01"),
        ("122-01", "112-06", "122-02"),
        ("Child Care Subsidy Assistance", "Child Care Resource and Referral", "Early Childhood Center"),
        ("Helps parents find licensed child care and apply for child care subsidies.",
         "The early learning center offers full-day child care for infants, toddlers and preschoolers.",
         "Child care specialists explain how to choose safe, quality care."),
        ("Working parents, parents in school or training, and families receiving benefits.",),
        ("Call or apply online; a child care specialist will follow up within three days.",),
        ("Free referrals; subsidized child care fees depend on family income.",),
    ),
    Topic(
        "afterschool", "childcare", ("108-04-02", "109-03-10"), ("112-06", "112-04"),
        ("After-School Program", "Youth Tutoring", "Summer Youth Program"),
        ("After-school programs offer homework help, tutoring, sports and arts for school-age children.",
         "Healthy snacks and dinner are served every day at the after-school program."),
        ("Children and teens aged 6 to 17.",),
        ("Parents complete a registration form at the center.",),
        ("Free.", "Sliding-scale fees; no child is turned away."),
        minimum_age=6,
        maximum_age=17,
    ),
    Topic(
        "adult_day", "seniors", ("108-04-01", "108-04-08"), ("112-07", "121-03"),
        ("Adult Day Program", "Caregiver Respite", "Memory Care Day Program"),
        ("Adult day services offer supervised activities, meals and health monitoring for older adults.",
         "Respite care gives family caregivers a break."),
        ("Adults 60 and over, including people living with dementia.",),
        ("Call to schedule a tour and an intake assessment.",),
        ("Daily fee on a sliding scale; Medicaid waiver accepted.",),
        minimum_age=60,
    ),
    Topic(
        "in_home", "seniors", ("108-09-04", "106-09-09"), ("112-07", "116-04"),
        ("In-Home Support Services", "Personal Care Assistance", "Friendly Visitor Program"),
        ("Aides help older adults and people with disabilities with bathing, dressing, housekeeping and "
         "errands.",
         "Volunteer friendly visitors make weekly calls and visits to reduce isolation."),
        ("Older adults and adults with disabilities who need help at home.",),
        ("Call for an in-home assessment.",),
        ("Free or low-cost, based on income.",),
    ),
)

# Share of organizations by what they mainly do; `multi` are community action agencies and the like.
FAMILY_WEIGHTS: dict[str, float] = {
    "multi": 0.18, "food": 0.13, "housing": 0.13, "legal": 0.06, "behavioral": 0.09, "recovery": 0.07,
    "employment": 0.08, "health": 0.09, "transportation": 0.03, "money": 0.04, "safety": 0.03,
    "goods": 0.03, "childcare": 0.02, "seniors": 0.02,
}

ORG_NAME_PATTERNS: dict[str, tuple[str, ...]] = {
    "multi": ("{place} Community Action Agency", "{place} Family Services", "{place} Neighborhood House",
              "{place} Interfaith Outreach", "{adj} Community Services", "{place} Community Partnership",
              "{state} Community Services Council", "{adj} Family Center"),
    "food": ("{place} Food Bank", "{place} Community Pantry", "{adj} Food Ministry",
             "Loaves and Fishes of {place}", "{place} Hunger Relief Network", "{adj} Kitchen"),
    "housing": ("{place} Housing Partnership", "{adj} Homes Alliance", "{place} Rescue Mission",
                "{place} Housing Authority Partners", "{adj} Housing Coalition", "{place} Shelter Network"),
    "legal": ("Legal Aid Society of {place}", "{place} Justice Center", "{place} Tenant Law Project",
              "{state} Legal Services", "{place} Immigrant Legal Services", "{adj} Legal Clinic"),
    "behavioral": ("{place} Counseling Center", "{adj} Behavioral Health", "{place} Family Guidance Center",
                   "{place} Mental Health Association", "{adj} Wellness Center"),
    "recovery": ("{adj} Recovery Center", "{place} Recovery Community Organization",
                 "{adj} Treatment Services", "{place} Addiction Services", "{adj} House"),
    "employment": ("{place} Workforce Alliance", "{place} Job Training Center", "{adj} Career Services",
                   "{place} Works", "{state} Employment Partners"),
    "health": ("{place} Community Health Center", "{place} Free Clinic", "{adj} Health Partners",
               "{place} Family Health Services", "{adj} Medical Clinic"),
    "transportation": ("{place} Ride Connection", "{adj} Transportation Services",
                       "{place} Mobility Partners"),
    "money": ("{place} Financial Empowerment Center", "{adj} Credit Counseling",
              "{place} Tax Help Coalition"),
    "safety": ("{place} Domestic Violence Program", "{adj} Safe House", "{place} Center for Survivors",
               "{place} Women's Resource Center"),
    "goods": ("{place} Clothing Bank", "{place} Diaper Bank", "{adj} Furniture Bank",
              "{adj} Thrift Ministry"),
    "childcare": ("{place} Child Care Resource Center", "{adj} Early Learning",
                  "{place} Youth and Family Center"),
    "seniors": ("{place} Senior Services", "{place} Area Agency on Aging", "{adj} Senior Center"),
}

MISSIONS: dict[str, str] = {
    "multi": "offers a range of services to families in need",
    "food": "fights hunger",
    "housing": "helps people find and keep safe, affordable housing",
    "legal": "provides free civil legal help",
    "behavioral": "provides mental health care and support",
    "recovery": "helps people recover from substance use",
    "employment": "connects people with training and jobs",
    "health": "provides affordable health care",
    "transportation": "helps people get to work, school and medical care",
    "money": "helps families build financial stability",
    "safety": "supports survivors of violence",
    "goods": "provides essential goods to families in need",
    "childcare": "supports children and families",
    "seniors": "helps older adults live independently",
}

CLOSING_SENTENCES: tuple[str, ...] = (
    "Referrals are accepted from health care providers, case managers and community partners.",
    "Staff can also connect you with other resources in {city}.",
    "Please call ahead to confirm hours before visiting.",
    "{org} has served {city} since {year}.",
)
TRANSPORTATION: tuple[str, ...] = (
    "On the #{n} bus line.", "Two blocks from the {street} light rail stop.",
    "Free parking behind the building.", "Street parking only; the nearest bus stop is on {street}.",
)
LOCATION_NOTES: tuple[str, ...] = (
    "The entrance is on the side of the building; ring the bell.",
    "Located in the lower level of the church.",
    "Wheelchair accessible entrance on {street}.",
    "Check in at the front desk on the first floor.",
)
ALERTS: tuple[str, ...] = (
    "Closed on federal holidays.",
    "Hours may change during severe weather; call before visiting.",
    "Waiting list is currently open; call to be added.",
)
WAIT_TIMES: tuple[str, ...] = (
    "Same day", "Usually within one week", "Two to four weeks", "Waiting list; call for current wait",
)
_SERVICES_PER_ORG: tuple[tuple[int, float], ...] = (
    (1, 0.25), (2, 0.20), (3, 0.20), (4, 0.15), (5, 0.10), (6, 0.06), (8, 0.04),
)


@dataclass
class GenerationSummary:
    """What a run of the generator wrote."""

    out_dir: Path
    services: int
    seed: int
    rows: dict[str, int]
    bytes_written: int
    seconds: float


@dataclass(frozen=True)
class _Zip:
    code: str
    lat: float
    lng: float
    state: str
    city: str


@dataclass
class _Location:
    id: str
    zip: _Zip
    index: int


@dataclass
class _Org:
    id: str
    name: str
    family: str
    home: _Zip
    year: int
    languages: tuple[str, ...]
    website: str | None
    locations: list[_Location] = field(default_factory=list)


def stable_id(seed: int, kind: str, key: int | str) -> str:
    """The id of the `key`-th object of `kind` in the package generated with `seed`."""
    return str(uuid.uuid5(NAMESPACE, f"{seed}/{kind}/{key}"))


def zip_state(zip_code: str) -> str | None:
    """The two-letter state (or PR) of a five-digit US ZIP code, or None outside the 50 states, DC, PR."""
    if len(zip_code) != 5 or not zip_code.isdigit():
        return None
    if zip_code in _ZIP_STATE_EXCEPTIONS:
        return _ZIP_STATE_EXCEPTIONS[zip_code]
    return _ZIP3_STATE.get(int(zip_code[:3]))


def city_for_zip(zip_code: str) -> str:
    """A plausible town name for a ZIP, the same for every address in it (crc32 is stable across runs)."""
    return CITY_NAMES[zlib.crc32(zip_code.encode()) % len(CITY_NAMES)]


def _load_zips(path: Path) -> list[_Zip]:
    zips: list[_Zip] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                code, lat, lng = row["zip"], float(row["lat"]), float(row["lng"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path} line {line}: expected zip,lat,lng, got {row!r}") from exc
            state = zip_state(code)
            if state is not None:
                zips.append(_Zip(code, lat, lng, state, city_for_zip(code)))
    if not zips:
        raise ValueError(f"{path}: no usable US ZIP codes")
    return zips


def _load_taxonomy(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    codes = {row["taxonomy_id"] for row in rows}
    for line, row in enumerate(rows, start=2):
        if not row["taxonomy_id"] or not row["name"]:
            raise ValueError(f"{path} line {line}: taxonomy_id and name are required")
        if row["parent_id"] and row["parent_id"] not in codes:
            raise ValueError(f"{path} line {line}: parent_id {row['parent_id']!r} is not a taxonomy_id")
    missing = sorted(
        {code for topic in TOPICS for code in (*topic.terms, *topic.situations)} - codes
    )
    if missing:
        raise ValueError(f"{path}: topics use codes that are not in the taxonomy: {', '.join(missing)}")
    return rows


def _load_datapackage(path: Path) -> dict[str, Any]:
    package: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    by_name = {resource["name"]: resource for resource in package["resources"]}
    missing = [name for name in TABLES if name not in by_name]
    if missing:
        raise ValueError(f"{path}: no resource named {', '.join(missing)}")
    package["resources"] = [r for r in package["resources"] if r["name"] in TABLES]
    return package


def package_file_names(data_dir: Path = DEFAULT_DATA_DIR) -> frozenset[str]:
    """The names of the files a generated package consists of."""
    package = _load_datapackage(data_dir / "hsds" / "spec-3.1" / "examples" / "csv" / "datapackage.json")
    return frozenset({"datapackage.json", *(r["path"] for r in package["resources"])})


class _Tables:
    """One CSV writer per HSDS resource, with the columns the datapackage gives it."""

    def __init__(self, stack: ExitStack, out_dir: Path, package: dict[str, Any]) -> None:
        self.rows: dict[str, int] = {}  # by file name
        self._paths: dict[str, str] = {}
        self._writers: dict[str, csv.DictWriter[str]] = {}
        for resource in package["resources"]:
            name = resource["name"]
            handle = stack.enter_context((out_dir / resource["path"]).open("w", newline="", encoding="utf-8"))
            fields = [f["name"] for f in resource["schema"]["fields"]]
            # CRLF like the HSDS example package; extrasaction="raise" catches a misspelt column.
            writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="raise", lineterminator="\r\n")
            writer.writeheader()
            self._writers[name] = writer
            self._paths[name] = resource["path"]
            self.rows[resource["path"]] = 0

    def write(self, table: str, row: dict[str, str]) -> None:
        self._writers[table].writerow(row)
        self.rows[self._paths[table]] += 1


class _Generator:
    def __init__(
        self, tables: _Tables, seed: int, zips: list[_Zip], taxonomy: list[dict[str, str]]
    ) -> None:
        self.t = tables
        self.seed = seed
        self.rng = random.Random(seed)
        self.zips = zips
        self.by_prefix: dict[str, list[_Zip]] = {}
        for z in zips:
            self.by_prefix.setdefault(z.code[:3], []).append(z)
        self.taxonomy = taxonomy
        self.counters: dict[str, int] = {}
        self.topics_by_family: dict[str, list[Topic]] = {}
        for topic in TOPICS:
            self.topics_by_family.setdefault(topic.family, []).append(topic)
        self.families = list(FAMILY_WEIGHTS)
        self.family_cum = _cumulative(FAMILY_WEIGHTS.values())
        self.size_values = [size for size, _ in _SERVICES_PER_ORG]
        self.size_cum = _cumulative(weight for _, weight in _SERVICES_PER_ORG)
        self.hours_cum = _cumulative(weight for weight, _ in _HOURS)
        self.term_ids = {
            row["taxonomy_id"]: stable_id(seed, "taxonomy_term", row["taxonomy_id"]) for row in taxonomy
        }
        self.taxonomy_id = stable_id(seed, "taxonomy", TAXONOMY_NAME)
        self.modified_base = datetime(2025, 6, 30, 12, tzinfo=UTC)

    def next_id(self, kind: str) -> str:
        n = self.counters.get(kind, 0)
        self.counters[kind] = n + 1
        return stable_id(self.seed, kind, n)

    def write_taxonomy(self) -> None:
        self.t.write("taxonomy", {
            "id": self.taxonomy_id,
            "name": TAXONOMY_NAME,
            "description": "Open Eligibility: an open taxonomy of human services and of the situations "
                           "of the people they serve, as adapted by the Baltimore 211 Ohana directory.",
            "uri": "https://openeligibility.org",
            "version": "2019-04",
        })
        for row in self.taxonomy:
            kind = "service" if row["type"] == "service" else "situation"
            parent = f" under {row['parent_name']}" if row["parent_name"] else ""
            self.t.write("taxonomy_term", {
                "id": self.term_ids[row["taxonomy_id"]],
                "code": row["taxonomy_id"],
                "name": row["name"],
                "description": f"Open Eligibility {kind} term {row['taxonomy_id']}: {row['name']}{parent}.",
                "parent_id": self.term_ids[row["parent_id"]] if row["parent_id"] else "",
                "taxonomy": TAXONOMY_NAME,
                "language": "en",
                "taxonomy_id": self.taxonomy_id,
            })

    def run(self, services: int, progress: Callable[[str], None] | None, started: float) -> None:
        self.write_taxonomy()
        done = 0
        next_report = PROGRESS_EVERY
        while done < services:
            size = min(self.rng.choices(self.size_values, cum_weights=self.size_cum)[0], services - done)
            org = self.organization()
            for _ in range(size):
                self.service(org)
                done += 1
                if progress is not None and done >= next_report:
                    progress(f"  {done:>9,} / {services:,} services ({time.perf_counter() - started:.1f} s)")
                    next_report += PROGRESS_EVERY

    def organization(self) -> _Org:
        rng = self.rng
        family = rng.choices(self.families, cum_weights=self.family_cum)[0]
        home = rng.choice(self.zips)
        place = _place(rng, home)
        name = rng.choice(ORG_NAME_PATTERNS[family]).format(
            place=place, adj=rng.choice(ADJECTIVES), state=STATE_NAMES[home.state]
        )
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:40]
        year = rng.randint(1948, 2021)
        website = f"https://www.{slug}.example.org" if rng.random() < 0.8 else None
        languages = _org_languages(rng, home.state)
        org = _Org(self.next_id("organization"), name, family, home, year, languages, website)
        words = [w for w in name.replace("-", " ").split() if w[0].isupper() and w not in {"The"}]
        description = f"{name} is a nonprofit organization that {MISSIONS[family]} in {home.city}, " \
                      f"{STATE_NAMES[home.state]} and nearby communities."
        if rng.random() < 0.5:
            description += f" Founded in {year}, it relies on staff, volunteers and local donors."
        self.t.write("organization", {
            "id": org.id,
            "name": name,
            "alternate_name": "".join(w[0] for w in words) if len(words) >= 3 and rng.random() < 0.4 else "",
            "description": description,
            "email": f"info@{slug}.example.org" if rng.random() < 0.7 else "",
            "website": website or "",
            "tax_status": "501(c)(3)" if rng.random() < 0.85 else "",
            "year_incorporated": str(year),
            "legal_status": "Nonprofit corporation" if rng.random() < 0.8 else "",
        })
        return org

    def service(self, org: _Org) -> None:
        rng = self.rng
        if org.family == "multi" or rng.random() < 0.1:
            topic = rng.choice(TOPICS)
        else:
            topic = rng.choice(self.topics_by_family[org.family])
        service_id = self.next_id("service")
        languages = tuple(code for code in org.languages if code == "en" or rng.random() < 0.85) or ("en",)
        city = org.home.city
        # The lead sentence names the service in the words people search for; the rest add detail.
        extra = rng.randint(1, min(2, len(topic.sentences) - 1))
        picked = sorted(rng.sample(range(1, len(topic.sentences)), extra))
        parts = [topic.sentences[0], *(topic.sentences[i] for i in picked)]
        others = [LANGUAGE_NAMES[code] for code in languages if code != "en"]
        if others:
            parts.append(f"Staff speak {_join(others)}.")
        if rng.random() < 0.4:
            parts.append(rng.choice(CLOSING_SENTENCES).format(org=org.name, city=city, year=org.year))
        status = rng.choices(("active", "temporarily closed", "inactive"), cum_weights=(0.96, 0.98, 1.0))[0]
        slug = topic.key.replace("_", "-")
        modified = self.modified_base - timedelta(seconds=rng.randrange(2 * 365 * 86400))
        minimum_age = topic.minimum_age if topic.minimum_age is not None and rng.random() < 0.7 else None
        self.t.write("service", {
            "id": service_id,
            "organization_id": org.id,
            "name": rng.choice(topic.names),
            "description": " ".join(parts),
            "url": f"{org.website}/{slug}" if org.website and rng.random() < 0.6 else "",
            "email": f"{slug}@{org.website.removeprefix('https://www.')}"
                     if org.website and rng.random() < 0.3 else "",
            "status": status,
            "interpretation_services": (
                f"Staff speak {_join(others)}; telephone interpretation is available for other languages."
                if others else ("Telephone interpretation is available." if rng.random() < 0.3 else "")
            ),
            "application_process": rng.choice(topic.application),
            "fees_description": rng.choice(topic.fees),
            "wait_time": rng.choice(WAIT_TIMES) if rng.random() < 0.3 else "",
            "eligibility_description": rng.choice(topic.eligibility).format(city=city),
            "minimum_age": str(minimum_age) if minimum_age is not None else "",
            "maximum_age": str(topic.maximum_age) if topic.maximum_age is not None else "",
            "alert": rng.choice(ALERTS) if rng.random() < 0.03 else "",
            "last_modified": modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
        })
        self.attributes(service_id, topic)
        for code in languages:
            self.t.write("language", {
                "id": self.next_id("language"),
                "service_id": service_id,
                "name": LANGUAGE_NAMES[code],
                "code": code,
            })
        if rng.random() < 0.4:
            self.phone(org.home.state, service_id=service_id, description="Intake line")
        # About one location per service: one in seven services shares a site the organization already has.
        if org.locations and rng.random() < 0.15:
            location = rng.choice(org.locations)
        else:
            location = self.location(org, topic)
        sal_id = self.service_at_location(service_id, location)
        if len(org.locations) > 1 and rng.random() < 0.05:
            second = rng.choice(org.locations)
            if second is not location:
                self.service_at_location(service_id, second)
        if rng.random() < 0.1:
            self.schedule(rng.choice(_HOURS[:5])[1], service_at_location_id=sal_id)
        elif topic.always_open and rng.random() < 0.5:
            self.schedule(_ALWAYS, service_id=service_id)

    def attributes(self, service_id: str, topic: Topic) -> None:
        rng = self.rng
        codes = [topic.terms[0]]
        if len(topic.terms) > 1 and rng.random() < 0.55:
            codes.append(rng.choice(topic.terms[1:]))
        if rng.random() < 0.4:
            codes.append(rng.choice(topic.situations))
        for code in codes:
            self.t.write("attribute", {
                "id": self.next_id("attribute"),
                "link_id": service_id,
                "taxonomy_term_id": self.term_ids[code],
                "link_entity": "service",
            })

    def location(self, org: _Org, topic: Topic) -> _Location:
        rng = self.rng
        if not org.locations or rng.random() < 0.7:
            place = org.home
        else:
            place = rng.choice(self.by_prefix[org.home.code[:3]])
        location = _Location(self.next_id("location"), place, len(org.locations))
        org.locations.append(location)
        street = rng.choice(STREETS)
        if location.index == 0:
            name = org.name
        else:
            label = rng.choice(
                (f"{place.city} Office", f"{street} Site", f"{rng.choice(NEIGHBORHOODS)} Center")
            )
            name = f"{org.name} - {label}"
        latitude = longitude = ""
        # One location in twenty has only its address, as in real 211 exports.
        if rng.random() >= 0.05:
            lat = place.lat + rng.uniform(-0.015, 0.015)
            lng = place.lng + rng.uniform(-0.015, 0.015) / max(math.cos(math.radians(place.lat)), 0.2)
            latitude, longitude = f"{lat:.6f}", f"{lng:.6f}"
        self.t.write("location", {
            "id": location.id,
            "location_type": "physical",
            "organization_id": org.id,
            "name": name,
            "description": rng.choice(LOCATION_NOTES).format(street=street) if rng.random() < 0.2 else "",
            "transportation": rng.choice(TRANSPORTATION).format(n=rng.randint(1, 99), street=street)
            if rng.random() < 0.3 else "",
            "latitude": latitude,
            "longitude": longitude,
        })
        address_2 = ""
        if rng.random() < 0.25:
            address_2 = rng.choice(
                (f"Suite {rng.randint(100, 450)}", "Floor 2", f"Room {rng.randint(1, 30)}", "Unit B")
            )
        self.t.write("address", {
            "id": self.next_id("address"),
            "location_id": location.id,
            "address_1": f"{rng.randint(1, 9999)} {street}",
            "address_2": address_2,
            "city": place.city,
            "state_province": place.state,
            "postal_code": place.code,
            "country": "US",
            "address_type": "physical",
        })
        self.phone(place.state, location_id=location.id, description="Main line")
        if rng.random() < 0.1:
            self.phone(place.state, location_id=location.id, kind="fax", description="Fax")
        if topic.always_open:
            self.schedule(_ALWAYS, location_id=location.id)
        elif rng.random() < 0.85:
            pattern = rng.choices(_HOURS, cum_weights=self.hours_cum)[0][1]
            self.schedule(pattern, location_id=location.id)
        return location

    def service_at_location(self, service_id: str, location: _Location) -> str:
        sal_id = self.next_id("service_at_location")
        row = {"id": sal_id, "service_id": service_id, "location_id": location.id}
        self.t.write("service_at_location", row)
        return sal_id

    def phone(self, state: str, *, kind: str = "voice", description: str = "", **link: str) -> None:
        rng = self.rng
        area = rng.choice(AREA_CODES[state])
        # 555-01XX numbers are reserved for fiction, so no generated number rings a real person.
        line = f"01{rng.randrange(100):02d}"
        style = rng.random()
        if style < 0.7:
            number = f"({area}) 555-{line}"
        elif style < 0.9:
            number = f"{area}-555-{line}"
        else:
            number = f"{area}.555.{line}"
        self.t.write("phone", {
            "id": self.next_id("phone"),
            **link,
            "number": number,
            "extension": str(rng.randint(100, 499)) if kind == "voice" and rng.random() < 0.1 else "",
            "type": kind,
            "description": description,
        })

    def schedule(self, pattern: tuple[tuple[str, str, str], ...], **link: str) -> None:
        for byday, opens_at, closes_at in pattern:
            self.t.write("schedule", {
                "id": self.next_id("schedule"),
                **link,
                "freq": "WEEKLY",
                "byday": byday,
                "description": _describe_hours(byday, opens_at, closes_at),
                "opens_at": opens_at,
                "closes_at": closes_at,
            })


def _cumulative(weights: Iterable[float]) -> list[float]:
    total = 0.0
    out: list[float] = []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _place(rng: random.Random, home: _Zip) -> str:
    roll = rng.random()
    if roll < 0.5:
        return home.city
    if roll < 0.65:
        return f"Greater {home.city}"
    if roll < 0.8:
        return f"{rng.choice(NEIGHBORHOODS)} {home.city}"
    if roll < 0.9:
        return rng.choice(NEIGHBORHOODS)
    return STATE_NAMES[home.state]


def _org_languages(rng: random.Random, state: str) -> tuple[str, ...]:
    if state == "PR":
        return ("es", "en") if rng.random() < 0.6 else ("es",)
    codes = ["en"]
    if rng.random() < (0.55 if state in _SPANISH_STATES else 0.25):
        codes.append("es")
    for code, states, likely, otherwise in _OTHER_LANGUAGES:
        if rng.random() < (likely if state in states else otherwise):
            codes.append(code)
    return tuple(codes)


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _clock(value: str) -> str:
    hours, minutes = int(value[:2]), int(value[3:5])
    suffix = "am" if hours < 12 else "pm"
    shown = hours % 12 or 12
    return f"{shown}:{minutes:02d} {suffix}" if minutes else f"{shown} {suffix}"


def _describe_hours(byday: str, opens_at: str, closes_at: str) -> str:
    days = byday.split(",")
    if len(days) == 7 and opens_at == "00:00:00":
        return "Open 24 hours a day, 7 days a week."
    names = [DAY_NAMES[d] for d in days]
    indexes = [_WEEK.index(d) for d in days]
    if len(days) > 2 and indexes == list(range(indexes[0], indexes[0] + len(days))):
        shown = f"{names[0]} to {names[-1]}"
    else:
        shown = _join(names)
    return f"{shown}, {_clock(opens_at)} to {_clock(closes_at)}."


def generate(
    out_dir: Path,
    services: int = DEFAULT_SERVICES,
    seed: int = DEFAULT_SEED,
    data_dir: Path = DEFAULT_DATA_DIR,
    progress: Callable[[str], None] | None = print,
) -> GenerationSummary:
    """Write an HSDS 3.1 CSV package with `services` services into `out_dir`, rows streamed to disk.

    The same `services` and `seed` always give byte-identical files.
    """
    if services < 1:
        raise ValueError(f"services must be at least 1, got {services}")
    package = _load_datapackage(data_dir / "hsds" / "spec-3.1" / "examples" / "csv" / "datapackage.json")
    zips = _load_zips(data_dir / "geo" / "us_zcta_centroids_2010.csv")
    taxonomy = _load_taxonomy(data_dir / "datasets" / "baltimore-ohana-csv" / "taxonomy.csv")
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with ExitStack() as stack:
        tables = _Tables(stack, out_dir, package)
        _Generator(tables, seed, zips, taxonomy).run(services, progress, started)
    (out_dir / "datapackage.json").write_text(
        json.dumps(package, indent=4, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    seconds = time.perf_counter() - started
    written = sum((out_dir / r["path"]).stat().st_size for r in package["resources"])
    written += (out_dir / "datapackage.json").stat().st_size
    return GenerationSummary(out_dir, services, seed, tables.rows, written, seconds)


def format_summary(summary: GenerationSummary) -> str:
    """A short table of the rows and bytes a run wrote."""
    lines = [f"Wrote {summary.out_dir} (seed {summary.seed}) in {summary.seconds:.1f} s:"]
    lines += [f"  {name:<28}{count:>12,}" for name, count in summary.rows.items()]
    lines.append(f"  {'total rows':<28}{sum(summary.rows.values()):>12,}")
    lines.append(f"  {'size':<28}{summary.bytes_written / 1e6:>11.1f} MB")
    lines.append(f"  {'services per second':<28}{summary.services / max(summary.seconds, 1e-9):>12,.0f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: `python -m bench.generate_directory --services N --out DIR [--seed S]`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--services", type=int, default=DEFAULT_SERVICES, help="number of services (default 50000)"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write the CSV package into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="same seed, same bytes (default 1)")
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="the shared reference data folder"
    )
    args = parser.parse_args(argv)
    if args.services < 1:
        parser.error("--services must be at least 1")
    try:
        summary = generate(args.out, args.services, args.seed, args.data_dir, progress=print)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(format_summary(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
