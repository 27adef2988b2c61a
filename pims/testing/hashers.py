from django.contrib.auth.hashers import Argon2PasswordHasher


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    """Still argon2 (same algorithm name and hash format), with test-sized cost:
    the suite creates and signs in many users."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
