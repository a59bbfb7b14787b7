"""volunteers.identity: ID-number validation, the facts it carries, masking, encryption at
rest and the keyed lookup hash."""

from __future__ import annotations

import datetime

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.utils import timezone
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum.cn import ric

from volunteers.identity import (
    IdentityFacts,
    check_character,
    compose_id_number,
    decrypt_id_number,
    encrypt_id_number,
    id_number_digest,
    mask_id_number,
    normalize_id_number,
    validate_id_number,
)
from volunteers.models import Volunteer
from volunteers.services import volunteer_apply

TODAY = datetime.date(2026, 11, 28)
# 珠晖区, born 1990-01-04, sequence 123 (a man): its check character is X.
X_NUMBER = "43040519900104123X"
# Regions python-stdnum's table knows for every birth year since 1900, so its full
# validation can serve as an oracle here. It refuses others that are real: 430405 珠晖区
# always (see test_stdnum_is_no_validator_for_us), 440305 for some birth years.
STDNUM_KNOWN_REGIONS = ["110101", "110102", "310101", "430400"]
# Every character someone might type into the field, to substitute with.
TYPED_CHARACTERS = "0123456789XxAZ -"


def validation_code(value: str, *, today: datetime.date = TODAY) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_id_number(value, today=today)
    return caught.value.code


def validation_message(value: str) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_id_number(value, today=TODAY)
    return caught.value.messages[0]


# --- valid numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "birth_date", "sequence", "expected"),
    [
        ("430405", datetime.date(1990, 3, 7), 123, "43040519900307123X"),
        ("110101", datetime.date(1949, 10, 1), 2, "110101194910010028"),
        ("310101", datetime.date(2000, 2, 29), 35, "310101200002290357"),
        ("430406", datetime.date(1900, 1, 1), 999, "430406190001019994"),
        ("820101", datetime.date(2026, 11, 28), 500, "82010120261128500X"),
    ],
)
def test_composed_numbers_are_valid(region, birth_date, sequence, expected):
    number = compose_id_number(region, birth_date, sequence)

    assert number == expected
    assert validate_id_number(number, today=TODAY).birth_date == birth_date


def test_composed_check_character_agrees_with_stdnum():
    # An oracle written by someone else: same check character for the examples above.
    for number in ["43040519900307123X", "110101194910010028", X_NUMBER]:
        assert ric.calc_check_digit(number) == number[-1]


def test_a_number_with_check_character_x_is_valid():
    assert X_NUMBER[-1] == "X"
    assert check_character(X_NUMBER[:17]) == "X"

    facts = validate_id_number(X_NUMBER, today=TODAY)

    assert facts == IdentityFacts(birth_date=datetime.date(1990, 1, 4), gender="male")


@pytest.mark.parametrize(
    ("sequence", "gender"),
    [(1, "male"), (2, "female"), (123, "male"), (998, "female"), (0, "female"), (999, "male")],
)
def test_gender_follows_the_parity_of_the_seventeenth_digit(sequence, gender):
    number = compose_id_number("430405", datetime.date(1985, 12, 31), sequence)

    facts = validate_id_number(number, today=TODAY)

    assert facts.gender == gender
    assert facts.birth_date == datetime.date(1985, 12, 31)


def test_birth_today_and_on_the_first_day_of_1900_are_accepted():
    born_today = compose_id_number("430405", TODAY, 1)
    born_1900 = compose_id_number("430405", datetime.date(1900, 1, 1), 1)

    assert validate_id_number(born_today, today=TODAY).birth_date == TODAY
    assert validate_id_number(born_1900, today=TODAY).birth_date == datetime.date(1900, 1, 1)


@pytest.mark.parametrize(
    "raw",
    [
        "43040519900104123x",
        " 43040519900104123x ",
        "430405 19900104 123x",
        X_NUMBER,
        "４３０４０５１９９００１０４１２３Ｘ",  # full width, as Chinese input methods type it
        "430405\u300019900104123x",  # an ideographic space
    ],
)
def test_lowercase_x_spaces_and_full_width_are_normalised(raw):
    normalised = normalize_id_number(raw)

    assert normalised == X_NUMBER
    assert validate_id_number(normalised, today=TODAY).gender == "male"


def test_normalise_turns_none_into_the_empty_string():
    assert normalize_id_number(None) == ""
    assert validation_code("") == "id_length"


# --- invalid numbers ---------------------------------------------------------------------


def test_a_wrong_check_character_is_refused_with_a_chinese_message():
    wrong = X_NUMBER[:17] + "1"

    assert validation_code(wrong) == "id_check_character"
    assert validation_message(wrong) == "身份证号码校验位不正确，请核对后重新填写。"


@pytest.mark.parametrize(
    "first17",
    [
        "43040519900230123",  # 30 February
        "43040519900229123",  # 29 February in a common year
        "43040519901301123",  # month 13
        "43040519900001123",  # month 00
        "43040519900100123",  # day 00
        "43040519900431123",  # 31 April
    ],
)
def test_impossible_birth_dates_are_refused(first17):
    # The check character is right, so only the date can be what is refused.
    number = first17 + check_character(first17)

    assert validation_code(number) == "id_birth_date"
    assert validation_message(number) == "身份证号码中的出生日期不存在。"


@pytest.mark.parametrize(
    "birth_date",
    [TODAY + datetime.timedelta(days=1), datetime.date(2099, 1, 1), datetime.date(1899, 12, 31)],
)
def test_implausible_birth_dates_are_refused(birth_date):
    number = compose_id_number("430405", birth_date, 123)

    assert validation_code(number) == "id_birth_date"
    assert validation_message(number) == "身份证号码中的出生日期不合理。"


def test_the_future_is_judged_against_the_local_date_by_default():
    today = timezone.localdate()
    born_today = compose_id_number("430405", today, 123)
    born_tomorrow = compose_id_number("430405", today + datetime.timedelta(days=1), 123)

    assert validate_id_number(born_today).birth_date == today
    with pytest.raises(ValidationError) as caught:
        validate_id_number(born_tomorrow)

    assert caught.value.code == "id_birth_date"


@pytest.mark.parametrize(
    "region",
    [
        "990101",  # no province 99
        "000101",  # no province 00
        "100101",  # no province 10
        "430000",  # a province with no prefecture or county: first17[2:6] == "0000"
        "110000",
    ],
)
def test_bad_regions_are_refused(region):
    number = compose_id_number(region, datetime.date(1990, 3, 7), 123)

    assert validation_code(number) == "id_region"
    assert validation_message(number) == "身份证号码的地区码无效。"


def test_fifteen_digit_legacy_numbers_are_refused_with_their_own_message():
    legacy = "430405900307123"

    assert validation_code(legacy) == "id_legacy"
    assert (
        validation_message(legacy) == "这是 15 位的旧版身份证号码，请填写 18 位的第二代身份证号码。"
    )


@pytest.mark.parametrize(
    ("value", "length"),
    [(X_NUMBER[:17], 17), (X_NUMBER + "1", 19), ("43040519900307", 14), ("4304051990030712", 16)],
)
def test_wrong_lengths_are_refused_with_the_length(value, length):
    assert validation_code(value) == "id_length"
    assert validation_message(value) == f"身份证号码应为 18 位，当前为 {length} 位。"


@pytest.mark.parametrize(
    "value",
    [
        "4304051990A104123X",  # a letter among the digits
        "X30405199001041234",  # X anywhere but last
        "43040519900104123Y",  # a last character other than a digit or X
        "43040519900104123x",  # not normalised: lowercase x
        "４３０４０５19900104123X",  # full-width digits are digits to str.isdigit
        "430405-9900104123X",
    ],
)
def test_characters_other_than_digits_and_a_final_x_are_refused(value):
    assert len(value) == 18
    assert validation_code(value) == "id_characters"
    assert validation_message(value) == "身份证号码前 17 位应为数字，最后一位为数字或 X。"


def test_stdnum_is_no_validator_for_us():
    """python-stdnum refuses regions missing from its table, 珠晖区 430405 among them: it
    serves as a checksum oracle only, never as the validator."""
    number = compose_id_number("430405", datetime.date(1990, 3, 7), 123)

    assert not ric.is_valid(number)
    assert ric.calc_check_digit(number) == number[-1]
    assert validate_id_number(number, today=TODAY).gender == "male"


# --- properties --------------------------------------------------------------------------

regions = st.sampled_from(["430405", "430406", "430400", "110101", "310101", "820101", "650102"])
birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


@given(region=regions, birth_date=birth_dates, sequence=sequences)
@example(region="430405", birth_date=datetime.date(1990, 1, 4), sequence=123)  # X
def test_every_generated_number_is_valid(region, birth_date, sequence):
    number = compose_id_number(region, birth_date, sequence)

    facts = validate_id_number(number, today=TODAY)

    assert facts.birth_date == birth_date
    assert facts.gender == ("male" if sequence % 2 else "female")
    # The independent implementation computes the same check character.
    assert ric.calc_check_digit(number) == number[-1]


@given(
    region=st.sampled_from(STDNUM_KNOWN_REGIONS),
    birth_date=st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY),
    sequence=sequences,
)
def test_numbers_of_regions_stdnum_knows_are_valid_to_stdnum_too(region, birth_date, sequence):
    number = compose_id_number(region, birth_date, sequence)

    assert ric.is_valid(number)
    assert validate_id_number(number, today=TODAY).birth_date == birth_date


@given(
    region=regions,
    birth_date=birth_dates,
    sequence=sequences,
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from(TYPED_CHARACTERS),
)
@example(
    region="430405",
    birth_date=datetime.date(1990, 1, 4),
    sequence=123,
    position=17,
    replacement="0",
)
@example(
    region="430405",
    birth_date=datetime.date(1990, 3, 7),
    sequence=123,
    position=13,
    replacement="8",
)
def test_any_one_character_change_is_refused(region, birth_date, sequence, position, replacement):
    """Changing any one character of a valid number makes it invalid.

    A change to a non-digit (or an X before the end) fails the character rule. A digit
    changed among the first 17, from d to d', moves the MOD 11-2 sum by w * (d' - d), where
    the weight w = 2**(17 - position) mod 11 lies in 1..10 and 0 < |d' - d| <= 9: 11 is
    prime, so the product is never a multiple of 11, the remainder changes and the check
    character no longer matches. So even a changed birth-date digit that still spells a real
    date (07 → 08) is refused, by the checksum. A changed check character is, by definition,
    no longer the one the first 17 digits call for.
    """
    number = compose_id_number(region, birth_date, sequence)
    if number[position] == replacement:
        replacement = "1" if replacement != "1" else "2"
    changed = number[:position] + replacement + number[position + 1 :]
    if position < 17 and replacement.isdigit():
        # The argument above, checked directly: the checksum alone already catches it.
        assert check_character(changed[:17]) != number[17]

    with pytest.raises(ValidationError):
        validate_id_number(changed, today=TODAY)
    # Normalising (as the form does) cannot rescue it either, except that x is X: a
    # lowercase x in place of the right X is the same number.
    normalised = normalize_id_number(changed)
    if normalised != number:
        with pytest.raises(ValidationError):
            validate_id_number(normalised, today=TODAY)


@given(first17=st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_character_agrees_with_stdnum_for_any_digits(first17):
    assert check_character(first17) == ric.calc_check_digit(first17 + "0")


# --- masking -----------------------------------------------------------------------------


def test_mask_shows_the_first_and_last_four_characters():
    masked = mask_id_number(X_NUMBER[:4], X_NUMBER[-4:])

    assert masked == "4304**********123X"
    assert len(masked) == 18


# --- encryption and the lookup hash ------------------------------------------------------


def test_encryption_round_trips_and_never_holds_the_number_in_clear():
    token = encrypt_id_number(X_NUMBER)

    assert decrypt_id_number(token) == X_NUMBER
    assert X_NUMBER not in token
    assert X_NUMBER[:17] not in token
    # Fernet is randomised: the same number twice gives two tokens, so equal tokens do not
    # reveal equal numbers.
    assert encrypt_id_number(X_NUMBER) != token


def test_key_rotation_decrypts_tokens_of_the_old_key(settings):
    old_key = Fernet.generate_key().decode()
    new_key = Fernet.generate_key().decode()
    settings.PERSONAL_DATA_KEYS = [old_key]
    old_token = encrypt_id_number(X_NUMBER)

    # when: a new key is prepended
    settings.PERSONAL_DATA_KEYS = [new_key, old_key]
    new_token = encrypt_id_number(X_NUMBER)

    # then: both decrypt, and the new token is made with the new key alone
    assert decrypt_id_number(old_token) == X_NUMBER
    assert decrypt_id_number(new_token) == X_NUMBER
    assert Fernet(new_key.encode()).decrypt(new_token.encode()).decode() == X_NUMBER
    settings.PERSONAL_DATA_KEYS = [new_key]
    assert decrypt_id_number(new_token) == X_NUMBER
    with pytest.raises(ImproperlyConfigured):
        decrypt_id_number(old_token)


def test_a_malformed_key_is_a_configuration_error(settings):
    settings.PERSONAL_DATA_KEYS = ["not-a-fernet-key"]

    with pytest.raises(ImproperlyConfigured):
        encrypt_id_number(X_NUMBER)


def test_the_lookup_digest_ignores_the_encryption_keys(settings):
    settings.PERSONAL_DATA_LOOKUP_KEY = "lookup-key-1"
    settings.PERSONAL_DATA_KEYS = [Fernet.generate_key().decode()]
    before = id_number_digest(X_NUMBER)

    settings.PERSONAL_DATA_KEYS = [Fernet.generate_key().decode()]

    assert id_number_digest(X_NUMBER) == before
    assert len(before) == 64
    assert X_NUMBER not in before


def test_the_lookup_digest_is_keyed(settings):
    settings.PERSONAL_DATA_LOOKUP_KEY = "lookup-key-1"
    first = id_number_digest(X_NUMBER)
    other_number = id_number_digest("43040519900307123X")

    settings.PERSONAL_DATA_LOOKUP_KEY = "lookup-key-2"

    assert id_number_digest(X_NUMBER) != first
    assert other_number != first


# --- at rest in the database -------------------------------------------------------------


def forms_of(number: str) -> list[str]:
    """The number as it might leak: as typed, lowercased, and without its check character."""
    return [number, number.lower(), number[:17]]


@pytest.mark.django_db
def test_the_volunteer_table_never_holds_the_number_in_clear(tree, people):
    # given: an application with a lowercase x, as a phone keyboard types it
    volunteer = volunteer_apply(
        user=people.resident,
        real_name="张群众",
        id_number=X_NUMBER.lower(),
        home_center=tree.village_a,
    )

    # when: the rows are read as stored, without the model
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM volunteers_volunteer")
        rows = cursor.fetchall()

    # then
    assert len(rows) == 2
    for row in rows:
        for column in row:
            for form in forms_of(X_NUMBER):
                assert form not in str(column)
    volunteer.refresh_from_db()
    assert decrypt_id_number(volunteer.id_number_encrypted) == X_NUMBER
    assert volunteer.id_number_masked == "4304**********123X"


def text_columns() -> list[tuple[str, str]]:
    """Every (table, column) of the database whose type can hold text."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema()
              AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
            ORDER BY table_name, column_name
            """
        )
        return cursor.fetchall()


@pytest.mark.django_db
def test_no_text_column_of_any_table_holds_the_number(tree, people):
    # given
    volunteer_apply(
        user=people.resident, real_name="张群众", id_number=X_NUMBER, home_center=tree.village_a
    )
    columns = text_columns()
    assert ("volunteers_volunteer", "id_number_encrypted") in columns
    assert ("accounts_user", "phone") in columns

    # when
    found = []
    with connection.cursor() as cursor:
        for table, column in columns:
            for form in forms_of(X_NUMBER):
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE %s',
                    [f"%{form}%"],
                )
                if cursor.fetchone()[0]:
                    found.append((table, column, form))

    # then
    assert found == []
    # and the scan does find what is there: the phone number, and the stored first four
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM accounts_user WHERE phone::text LIKE %s", ["%139%"])
        assert cursor.fetchone()[0] == 1
    assert Volunteer.objects.filter(id_number_first4="4304").count() == 2
