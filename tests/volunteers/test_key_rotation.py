"""manage.py rotate_personal_data_key: re-encrypting the ID numbers with real Fernet keys."""

from __future__ import annotations

import datetime
import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tests.factories.volunteers import make_volunteers as factory_volunteers
from volunteers.identity import compose_id_number, decrypt_id_number, reencrypt_id_number
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
LOST_KEY = Fernet.generate_key().decode()

only_old = override_settings(PERSONAL_DATA_KEYS=[OLD_KEY])
rotating = override_settings(PERSONAL_DATA_KEYS=[NEW_KEY, OLD_KEY])
only_new = override_settings(PERSONAL_DATA_KEYS=[NEW_KEY])


BORN = datetime.date(1970, 1, 1)


def id_number(sequence: int) -> str:
    """What VolunteerFactory gives the volunteer of number ``sequence`` born on BORN."""
    return compose_id_number("430405", BORN, sequence)


def make_volunteers(tree, count: int, first: int = 1) -> list[Volunteer]:
    """``count`` volunteers of village_a whose ID numbers are ``id_number(first)`` on."""
    return factory_volunteers(
        range(first, first + count),
        tree.village_a,
        phone_prefix="1340000",
        name_prefix="轮换",
        born=BORN,
    )


def rotate(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_personal_data_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def tokens() -> dict[int, str]:
    return dict(Volunteer.objects.values_list("pk", "id_number_encrypted"))


def clear_numbers() -> dict[int, str]:
    return {pk: decrypt_id_number(token) for pk, token in tokens().items()}


def test_rows_encrypted_with_the_old_key_read_with_only_the_new_key_afterwards(tree):
    # given: volunteers registered while the old key was the only one
    with only_old:
        volunteers = make_volunteers(tree, 5)
        before = clear_numbers()
        stamps = dict(Volunteer.objects.values_list("pk", "updated_at"))
    with only_new, pytest.raises(ImproperlyConfigured, match="could not be decrypted"):
        decrypt_id_number(tokens()[volunteers[0].pk])

    # when: the new key is put first and the command runs, in batches of two
    with rotating:
        out, err = rotate("--batch-size", "2")

    # then: every number reads with the new key alone, unchanged
    with only_new:
        assert (
            clear_numbers() == before == {v.pk: id_number(n + 1) for n, v in enumerate(volunteers)}
        )
    # and the old key reads none of them any more
    old = Fernet(OLD_KEY.encode())
    for token in tokens().values():
        with pytest.raises(InvalidToken):
            old.decrypt(token.encode())
    assert "共检查 5 行：重新加密 5 行，已是第一个密钥 0 行，无法解密 0 行" in out
    assert err == ""
    # a new key is not a change of the person
    assert dict(Volunteer.objects.values_list("pk", "updated_at")) == stamps


def test_a_second_run_rewrites_nothing(tree):
    with only_old:
        make_volunteers(tree, 3)
    with rotating:
        rotate()
        after_first = tokens()

        out, _err = rotate()

    assert tokens() == after_first
    assert "共检查 3 行：重新加密 0 行，已是第一个密钥 3 行，无法解密 0 行" in out


def test_a_run_cut_short_is_finished_by_running_again(tree):
    # given: a run that got through the first batch only, then died (the batch committed)
    with only_old:
        volunteers = make_volunteers(tree, 4)
    with rotating:
        first_batch = {volunteers[0].pk, volunteers[1].pk}
        done = {
            pk: reencrypt_id_number(token) for pk, token in tokens().items() if pk in first_batch
        }
        for pk, token in done.items():
            Volunteer.objects.filter(pk=pk).update(id_number_encrypted=token)

        # when
        out, _err = rotate("--batch-size", "3")

    # then: only the rest was rotated, and everything reads with the new key
    assert "重新加密 2 行，已是第一个密钥 2 行" in out
    with only_new:
        assert sorted(clear_numbers().values()) == [id_number(n) for n in range(1, 5)]


def test_start_after_skips_the_rows_already_checked(tree):
    with only_old:
        volunteers = make_volunteers(tree, 4)
    with rotating:
        out, _err = rotate("--start-after", str(volunteers[1].pk))

    assert "共检查 2 行：重新加密 2 行" in out
    with only_new:
        decrypt_id_number(tokens()[volunteers[3].pk])
        with pytest.raises(ImproperlyConfigured, match="could not be decrypted"):
            decrypt_id_number(tokens()[volunteers[0].pk])


def test_tokens_no_key_decrypts_are_listed_and_left_alone(tree):
    # given: one row written under a key that has since been lost, one that is garbage
    with only_old:
        volunteers = make_volunteers(tree, 4)
    lost = Fernet(LOST_KEY.encode()).encrypt(b"430405197001010011").decode()
    Volunteer.objects.filter(pk=volunteers[1].pk).update(id_number_encrypted=lost)
    Volunteer.objects.filter(pk=volunteers[2].pk).update(id_number_encrypted="not-a-token")

    # when
    with rotating:
        out, err = rotate("--batch-size", "3")

    # then
    assert "重新加密 2 行，已是第一个密钥 0 行，无法解密 2 行" in out
    assert f"{volunteers[1].pk}, {volunteers[2].pk}" in err
    assert tokens()[volunteers[1].pk] == lost
    assert tokens()[volunteers[2].pk] == "not-a-token"
    with only_new:
        decrypt_id_number(tokens()[volunteers[0].pk])
        decrypt_id_number(tokens()[volunteers[3].pk])


def test_dry_run_counts_and_writes_nothing(tree):
    with only_old:
        make_volunteers(tree, 3)
        before = tokens()
    with rotating:
        out, _err = rotate("--dry-run")

    assert tokens() == before
    assert "共检查 3 行：将重新加密 3 行" in out
    assert "试运行，未写入任何数据" in out


def test_progress_is_printed_with_the_last_id(tree):
    with only_old:
        volunteers = make_volunteers(tree, 3)
    with rotating:
        out, _err = rotate("--batch-size", "2", "--verbosity", "2")

    assert f"已检查 2 行（至 id {volunteers[1].pk}）" in out
    assert f"已检查 3 行（至 id {volunteers[2].pk}）" in out


def test_one_key_only_is_pointed_out_and_changes_nothing(tree):
    with only_old:
        make_volunteers(tree, 2)
        before = tokens()

        out, err = rotate()

    assert tokens() == before
    assert "只有 1 个密钥" in err
    assert "重新加密 0 行，已是第一个密钥 2 行" in out


def test_an_empty_table_and_a_bad_batch_size(db):
    with rotating:
        out, _err = rotate()
        with pytest.raises(CommandError, match="每批行数至少为 1"):
            rotate("--batch-size", "0")

    assert "共检查 0 行" in out


def test_a_key_that_is_not_a_fernet_key_stops_the_command(tree):
    with only_old:
        make_volunteers(tree, 1)
    with override_settings(PERSONAL_DATA_KEYS=["not-a-key", OLD_KEY]):
        with pytest.raises(CommandError, match="Fernet keys"):
            rotate()
