"""
Staff passwords are hashed with Argon2id on one lane.

Argon2id is memory-hard (2 passes over 100 MiB here, as Django configures
it), so a stolen hash costs an attacker far more to guess than with
PBKDF2. Django's default spreads it over 8 lanes, which lets one sign-in
take every core of a small server for its time; on one lane it takes one
core for about a tenth of a second, a third of what PBKDF2's 1.5 million
rounds took. Failed sign-ins, which anyone can send, cost the public
pages correspondingly less. Hashes made before (PBKDF2) still verify and
are rehashed at the next sign-in.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idOneLanePasswordHasher(Argon2PasswordHasher):
    parallelism = 1
