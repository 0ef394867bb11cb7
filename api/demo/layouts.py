"""Field layouts of six typical CRM modules, for the demo and as a starting point.

One line a field: `api name | label | type | flags`, flags among required, unique,
encrypted, read_only, normal, sensitive (the last two mark the field personal).
A subform's fields follow it, indented, and are named `Subform.Field`.
"""

from __future__ import annotations

from ..storage import FieldLayout, ModuleLayout

_FLAGS = {"required", "unique", "encrypted", "read_only"}

LEADS = """
Owner | Lead Owner | ownerlookup
Lead_Number | Lead Number | autonumber | unique read_only
Salutation | Salutation | picklist
First_Name | First Name | text | normal
Middle_Name | Middle Name | text | normal
Last_Name | Last Name | text | required normal
Full_Name | Full Name | text | read_only normal
Nickname | Nickname | text | normal
Designation | Title | text
Department | Department | text
Company | Company | text | required
Email | Email | email | unique normal
Secondary_Email | Secondary Email | email | normal
Personal_Email | Personal Email | email | normal
Phone | Phone | phone | normal
Mobile | Mobile | phone | normal
Home_Phone | Home Phone | phone | normal
Other_Phone | Other Phone | phone | normal
Fax | Fax | phone
Website | Website | website
LinkedIn_URL | LinkedIn URL | website | normal
Facebook_URL | Facebook URL | website | normal
Skype_ID | Skype ID | text | normal
Twitter | Twitter | text | normal
Street | Street | text | normal
Address_Line_2 | Address Line 2 | text | normal
City | City | text | normal
State | State | text
Zip_Code | Zip Code | text | normal
Country | Country | text
Nationality | Nationality | text | normal
Assistant_Name | Assistant Name | text
Tax_ID | Tax ID | text | encrypted sensitive
Lead_Source | Lead Source | picklist
Lead_Status | Lead Status | picklist
Industry | Industry | picklist
No_of_Employees | No. of Employees | integer
Email_Opt_Out | Email Opt Out | boolean
Date_of_Birth | Date of Birth | date | sensitive
Referred_By | Referred By | lookup
Description | Description | textarea
Call_Notes | Call Notes | textarea | normal
Alternate_Address | Alternate Address | textarea | normal
Record_Image | Lead Image | profileimage | normal
Days_Since_Created | Days Since Created | formula | read_only
Created_Time | Created Time | datetime | read_only
Modified_Time | Modified Time | datetime | read_only
"""

CONTACTS = """
Owner | Contact Owner | ownerlookup
Contact_Number | Contact Number | autonumber | unique read_only
Salutation | Salutation | picklist
First_Name | First Name | text | normal
Middle_Name | Middle Name | text | normal
Last_Name | Last Name | text | required normal
Full_Name | Full Name | text | read_only normal
Title | Title | text
Department | Department | text
Account_Name | Account Name | lookup
Reporting_To | Reports To | lookup
Email | Email | email | unique normal
Secondary_Email | Secondary Email | email | normal
Personal_Email | Personal Email | email | normal
Phone | Phone | phone | normal
Mobile | Mobile | phone | normal
Home_Phone | Home Phone | phone | normal
Other_Phone | Other Phone | phone
Fax | Fax | phone
Assistant | Assistant | text
Asst_Phone | Asst Phone | phone
Skype_ID | Skype ID | text | normal
Twitter | Twitter | text | normal
LinkedIn_URL | LinkedIn URL | website | normal
Mailing_Street | Mailing Street | text | normal
Mailing_City | Mailing City | text | normal
Mailing_State | Mailing State | text
Mailing_Zip | Mailing Zip | text | normal
Mailing_Country | Mailing Country | text
Other_Street | Other Street | text
Other_City | Other City | text
Other_State | Other State | text
Other_Zip | Other Zip | text
Other_Country | Other Country | text
Date_of_Birth | Date of Birth | date | sensitive
National_ID | National ID | text | encrypted sensitive
IBAN | Bank Account (IBAN) | text | encrypted sensitive
Lead_Source | Lead Source | picklist
Email_Opt_Out | Email Opt Out | boolean
Languages_Spoken | Languages Spoken | multiselectpicklist
Description | Description | textarea
Age | Age | formula | read_only
Previous_Addresses | Previous Addresses | subform
  Parent_Id | Parent Id | lookup | read_only
  Address_Type | Address Type | picklist
  Street | Street | text | normal
  City | City | text | normal
  Postal_Code | Postal Code | text | normal
  Country | Country | text
  Lived_From | Lived From | date
  Lived_Until | Lived Until | date
  Verified | Verified | boolean
ID_Document_Scan | ID Document Scan | fileupload | sensitive
Created_Time | Created Time | datetime | read_only
Modified_Time | Modified Time | datetime | read_only
"""

VENDORS = """
Owner | Vendor Owner | ownerlookup
Vendor_Number | Vendor Number | autonumber | unique read_only
Vendor_Name | Vendor Name | text | required unique
Contact_Person | Contact Person | text | normal
Email | Email | email | normal
Phone | Phone | phone | normal
Mobile | Mobile | phone | normal
Website | Website | website
GL_Account | GL Account | picklist
Category | Category | text
Street | Street | text
City | City | text
State | State | text
Zip_Code | Zip Code | text
Country | Country | text
VAT_ID | VAT ID | text
Bank_IBAN | Bank IBAN | text | encrypted sensitive
Sole_Trader | Sole Trader | boolean
Primary_Contact | Primary Contact | lookup
Payment_Terms_Days | Payment Terms (days) | integer
Outstanding_Balance | Outstanding Balance | currency
Payment_Due_Date | Payment Due Date | formula | read_only
Description | Description | textarea
Record_Image | Vendor Image | profileimage
Created_Time | Created Time | datetime | read_only
Modified_Time | Modified Time | datetime | read_only
"""

EVENT_REGISTRATIONS = """
Name | Registration Name | text | required
Owner | Event Registration Owner | ownerlookup
Registration_No | Registration No | autonumber | unique read_only
Attendee_First_Name | Attendee First Name | text | normal
Attendee_Last_Name | Attendee Last Name | text | normal
Attendee_Email | Attendee Email | email | normal
Attendee_Phone | Attendee Phone | phone | normal
Job_Title | Job Title | text
Organisation | Organisation | text
Contact | Contact | lookup
Lead | Lead | lookup
Event_Name | Event Name | picklist
Event_Date | Event Date | date
Ticket_Type | Ticket Type | picklist
Ticket_Price | Ticket Price | currency
Guest_Count | Guest Count | integer
Street | Street | text | normal
City | City | text | normal
Postal_Code | Postal Code | text | normal
Country | Country | text
Date_of_Birth | Date of Birth | date | sensitive
Nationality | Nationality | text | normal
Passport_Number | Passport Number | text | encrypted sensitive
Dietary_Requirements | Dietary Requirements | multiselectpicklist | sensitive
Accessibility_Needs | Accessibility Needs | textarea | sensitive
Emergency_Contact_Name | Emergency Contact Name | text | normal
Emergency_Contact_Phone | Emergency Contact Phone | phone | normal
Photo_Consent | Photo Consent | boolean
Marketing_Consent | Marketing Consent | boolean
Consent_Timestamp | Consent Timestamp | datetime
Check_In_Time | Check-in Time | datetime
Days_Until_Event | Days Until Event | formula | read_only
Headshot | Headshot | fileupload | normal
Notes | Notes | textarea
Created_Time | Created Time | datetime | read_only
Modified_Time | Modified Time | datetime | read_only
"""

ACCOUNTS = """
Owner | Account Owner | ownerlookup
Account_Ref | Account Ref | autonumber | unique read_only
Account_Name | Account Name | text | required unique
Account_Number | Account Number | bigint
Account_Site | Account Site | text
Parent_Account | Parent Account | lookup
Website | Website | website
Industry | Industry | picklist
Employees | Employees | integer
Annual_Revenue | Annual Revenue | currency
Phone | Phone | phone
Billing_City | Billing City | text
Billing_Country | Billing Country | text
Description | Description | textarea
Created_Time | Created Time | datetime | read_only
Modified_Time | Modified Time | datetime | read_only
"""

DEALS = """
Owner | Deal Owner | ownerlookup
Deal_Number | Deal Number | autonumber | unique read_only
Deal_Name | Deal Name | text | required
Account_Name | Account Name | lookup
Contact_Name | Contact Name | lookup
Amount | Amount | currency
Stage | Stage | picklist
Closing_Date | Closing Date | date
Probability | Probability (%) | integer
Expected_Revenue | Expected Revenue | formula | read_only
Description | Description | textarea
Created_Time | Created Time | datetime | read_only
Modified_Time | Modified Time | datetime | read_only
"""


def parse_layout(
    name: str, label: str, table: str, *, custom: bool = False, person_related: bool = True
) -> ModuleLayout:
    """Read a layout table (see the module docstring) into a ModuleLayout."""
    fields: list[FieldLayout] = []
    subform: str | None = None
    for line in table.strip("\n").splitlines():
        indented = line.startswith("  ")
        api_name, field_label, kind, *rest = [part.strip() for part in line.split("|")]
        flags = set(rest[0].split()) if rest else set()
        if not indented:
            subform = api_name if kind == "subform" else None
        owner = subform if indented else None
        classification = "sensitive" if "sensitive" in flags else "normal" if "normal" in flags else "none"
        fields.append(
            FieldLayout(
                name=f"{owner}.{api_name}" if owner else api_name,
                label=field_label,
                type=kind,
                subform=owner,
                classification=classification,
                **{flag: True for flag in flags & _FLAGS},
            )
        )
    return ModuleLayout(name=name, label=label, custom=custom, person_related=person_related, fields=tuple(fields))


def demo_layouts() -> list[ModuleLayout]:
    """Return the six demo modules: four about people, two not."""
    return [
        parse_layout("Leads", "Leads", LEADS),
        parse_layout("Contacts", "Contacts", CONTACTS),
        parse_layout("Vendors", "Vendors", VENDORS),
        parse_layout("Event_Registrations", "Event Registrations", EVENT_REGISTRATIONS, custom=True),
        parse_layout("Accounts", "Accounts", ACCOUNTS, person_related=False),
        parse_layout("Deals", "Deals", DEALS, person_related=False),
    ]
